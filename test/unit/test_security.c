/* test_security.c — the security actor's pure parts and its store:
 *   - CertificateHashData (cert_info.h) equals what `openssl ocsp` puts in
 *     an OCSP CertID for the same certificate and issuer (RFC 6960: SHA256
 *     of the DER issuer name and of the issuer's public key bits), for an
 *     EC and an RSA root and a sub-CA under the root, serial without its
 *     leading zeros;
 *   - the install rules (security_ops.h): garbage, two certificates, a
 *     leaf, an expired root, a sub-CA without its issuer are Rejected; a
 *     duplicate is Accepted once; CertificateStoreMaxLength Rejected;
 *     GetInstalledCertificateIds / DeleteCertificate / NotFound, and the
 *     root in the bundle of the connection in use is not deleted;
 *   - AdditionalRootCertificateCheck (root_rotation.h): a root issued by
 *     the root in force replaces it (kept as the fallback); one issued by
 *     the fallback only, or self-signed, is Rejected (M05.FR.10); the
 *     fallback goes once the link is verified under the new root; with
 *     the key false, the same root is simply added;
 *   - the wss:// trust file (csms_trust.h): none while no root is
 *     installed (--ca-file alone), else --ca-file then the roots, read
 *     back by mbedTLS, a new digest for a new set, gone with the last root;
 *   - the whitepaper's event list (chapter 8) and the bounded, ordered
 *     security log that survives a reopen;
 *   - ExtendedTriggerMessage: TriggerMessage's rules for the shared
 *     messages, SignChargePointCertificate's (registered, CpoName set,
 *     no connector), NotImplemented (and nothing deferred) for the others.
 * The certificates are made by openssl in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <ctype.h>
#include "actors/ocpp/trigger_message.h"
#include "actors/security/cert_info.h"
#include "actors/security/csms_trust.h"
#include <mbedtls/x509_crt.h>
#include <sys/stat.h>
#include "actors/security/root_rotation.h"
#include <mbedtls/sha256.h>
#include "actors/security/security_events.h"
#include "actors/security/security_log.h"
#include "actors/security/security_ops.h"
#include "actors/security/security_store.h"
#include "supervisor/store.h"
#include "bench.h"

typedef struct {
    char dir[64];
    sqlite3 *db;
    security_store_t *store;
} fixture_t;

//  What openssl says the CertID of cert under issuer is.
static void
s_ocsp(const char *dir, const char *issuer, const char *cert, cert_hash_data_t *out)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cd %s && openssl ocsp -sha256 -issuer %s -cert %s -no_nonce -req_text"
             " -reqout /dev/null 2>/dev/null", dir, issuer, cert);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    memset(out, 0, sizeof(*out));
    snprintf(out->hash_algorithm, sizeof(out->hash_algorithm), "SHA256");
    char line[512];
    while (fgets(line, sizeof(line), p)) {
        char value[130];
        if (sscanf(line, " Issuer Name Hash: %128s", value) == 1)
            snprintf(out->issuer_name_hash, sizeof(out->issuer_name_hash), "%.128s", value);
        if (sscanf(line, " Issuer Key Hash: %128s", value) == 1)
            snprintf(out->issuer_key_hash, sizeof(out->issuer_key_hash), "%.128s", value);
        if (sscanf(line, " Serial Number: %40s", value) == 1)
            snprintf(out->serial_number, sizeof(out->serial_number), "%.40s", value);
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(strlen(out->issuer_name_hash), 64);
    assert_int_equal(strlen(out->issuer_key_hash), 64);
}

static int64_t
s_now(void)
{
    return (int64_t) time(NULL) * 1000;
}

static int
s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    bench_state_dir(f->dir, sizeof(f->dir), "security");
    //  An EC root (serial with a leading zero byte), an RSA root, a
    //  sub-CA and a leaf under the EC root, an expired root.
    bench_sh(f->dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key"
                 " -out ec.pem -days 30 -subj '/CN=EC Root/O=CPO' -set_serial 0x00AB12");
    bench_sh(f->dir, "openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem -days 30"
                 " -subj '/CN=RSA Root' -set_serial 4660");
    bench_sh(f->dir, "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout sub.key -out sub.csr"
                 " -subj '/CN=Sub CA' && printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=keyCertSign\\n'"
                 " > ca.ext && openssl x509 -req -in sub.csr -CA ec.pem -CAkey ec.key -set_serial 77"
                 " -days 10 -extfile ca.ext -out sub.pem");
    bench_sh(f->dir, "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr"
                 " -subj '/CN=leaf' && printf 'basicConstraints=CA:FALSE\\n' > leaf.ext && openssl x509 -req"
                 " -in leaf.csr -CA ec.pem -CAkey ec.key -set_serial 78 -days 10 -extfile leaf.ext -out leaf.pem");
    bench_sh(f->dir, "cat ec.pem rsa.pem > both.pem");
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    f->store = security_store_new(f->db);
    assert_non_null(f->store);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    security_store_destroy(&f->store);
    cp_store_close(&f->db);
    bench_state_dir_remove(f->dir);
    free(f);
    return 0;
}

static void
s_assert_hash(const cert_hash_data_t *mine, const cert_hash_data_t *openssl)
{
    assert_string_equal(mine->hash_algorithm, "SHA256");
    assert_int_equal(strcasecmp(mine->issuer_name_hash, openssl->issuer_name_hash), 0);
    assert_int_equal(strcasecmp(mine->issuer_key_hash, openssl->issuer_key_hash), 0);
    assert_string_equal(mine->serial_number, openssl->serial_number);
    assert_true(cert_hash_data_equal(mine, openssl));
}

static void
test_hash_data_matches_openssl(void **state)
{
    fixture_t *f = *state;
    const char *roots[] = { "ec.pem", "rsa.pem" };
    for (int i = 0; i < 2; i++) {
        char *pem = bench_read_file(f->dir, roots[i]);
        cert_info_t info;
        char reason[256];
        assert_int_equal(cert_info_parse(pem, NULL, 0, s_now(), &info, reason, sizeof(reason)), 0);
        assert_true(info.self_signed && info.ca);
        cert_hash_data_t expected;
        s_ocsp(f->dir, roots[i], roots[i], &expected);
        s_assert_hash(&info.hash, &expected);
        //  lower-case hex, 64 digits
        for (const char *c = info.hash.issuer_name_hash; *c; c++)
            assert_true((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'));
        cert_info_clear(&info);
        free(pem);
    }
    //  the leading zero byte of 0x00AB12 is not part of the serial, and
    //  4660 is 0x1234
    char *pem = bench_read_file(f->dir, "ec.pem");
    cert_info_t info;
    char reason[256];
    assert_int_equal(cert_info_parse(pem, NULL, 0, s_now(), &info, reason, sizeof(reason)), 0);
    assert_string_equal(info.hash.serial_number, "AB12");
    cert_info_clear(&info);
    free(pem);
    pem = bench_read_file(f->dir, "rsa.pem");
    assert_int_equal(cert_info_parse(pem, NULL, 0, s_now(), &info, reason, sizeof(reason)), 0);
    assert_string_equal(info.hash.serial_number, "1234");
    cert_info_clear(&info);
    free(pem);
}

static void
test_sub_ca_hashes_its_issuer(void **state)
{
    fixture_t *f = *state;
    char *root = bench_read_file(f->dir, "ec.pem"), *sub = bench_read_file(f->dir, "sub.pem");
    cert_info_t root_info, info;
    char reason[256];
    assert_int_equal(cert_info_parse(root, NULL, 0, s_now(), &root_info, reason, sizeof(reason)), 0);
    //  alone it is not a root
    assert_int_equal(cert_info_parse(sub, NULL, 0, s_now(), &info, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "not self-signed"));
    assert_int_equal(cert_info_parse(sub, root_info.der, root_info.der_len, s_now(), &info, reason,
                                     sizeof(reason)), 0);
    assert_false(info.self_signed);
    cert_hash_data_t expected;
    s_ocsp(f->dir, "ec.pem", "sub.pem", &expected);
    s_assert_hash(&info.hash, &expected);
    assert_true(cert_info_issued_by(info.der, info.der_len, root_info.der, root_info.der_len));
    assert_false(cert_info_issued_by(root_info.der, root_info.der_len, info.der, info.der_len));
    //  under the wrong issuer: refused
    char *rsa = bench_read_file(f->dir, "rsa.pem");
    cert_info_t rsa_info;
    assert_int_equal(cert_info_parse(rsa, NULL, 0, s_now(), &rsa_info, reason, sizeof(reason)), 0);
    cert_info_t wrong;
    assert_int_equal(cert_info_parse(sub, rsa_info.der, rsa_info.der_len, s_now(), &wrong, reason,
                                     sizeof(reason)), -1);
    cert_info_clear(&rsa_info);
    cert_info_clear(&info);
    cert_info_clear(&root_info);
    free(rsa);
    free(sub);
    free(root);
}

static void
test_invalid_certificates(void **state)
{
    fixture_t *f = *state;
    cert_info_t info;
    char reason[256];
    assert_int_equal(cert_info_parse("hello", NULL, 0, s_now(), &info, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "not a PEM"));
    assert_int_equal(cert_info_parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", NULL, 0,
                                     s_now(), &info, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "unreadable"));
    char *pem = bench_read_file(f->dir, "both.pem");
    assert_int_equal(cert_info_parse(pem, NULL, 0, s_now(), &info, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "more than one"));
    free(pem);
    pem = bench_read_file(f->dir, "leaf.pem");
    assert_int_equal(cert_info_parse(pem, NULL, 0, s_now(), &info, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "not a CA"));
    free(pem);
    //  a root seen 31 days later is expired; one seen a day early is not
    //  valid yet
    pem = bench_read_file(f->dir, "ec.pem");
    assert_int_equal(cert_info_parse(pem, NULL, 0, s_now() + 31LL * 86400 * 1000, &info, reason,
                                     sizeof(reason)), -1);
    assert_non_null(strstr(reason, "expired"));
    assert_int_equal(cert_info_parse(pem, NULL, 0, s_now() - 86400LL * 1000, &info, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "not valid yet"));
    free(pem);
}

static json_t *
s_install(security_ops_ctx_t *ctx, const char *type, const char *pem)
{
    json_t *req = json_pack("{s:s, s:s}", "certificateType", type, "certificate", pem);
    json_t *res = install_certificate(ctx, req);
    json_decref(req);
    return res;
}

static const char *
s_status(json_t *res)
{
    static char status[32];
    snprintf(status, sizeof(status), "%s", json_string_value(json_object_get(res, "status")));
    json_decref(res);
    return status;
}

static void
test_operations(void **state)
{
    fixture_t *f = *state;
    security_ops_ctx_t ctx = { .store = f->store, .store_max = 3, .ca_file = "", .now_ms = s_now() };
    char *ec = bench_read_file(f->dir, "ec.pem"), *rsa = bench_read_file(f->dir, "rsa.pem"), *sub = bench_read_file(f->dir, "sub.pem");
    json_t *none = json_pack("{s:s}", "certificateType", "CentralSystemRootCertificate");
    assert_string_equal(s_status(get_installed_certificate_ids(&ctx, none)), "NotFound");
    //  a sub-CA before its root: Rejected; garbage: Rejected
    assert_string_equal(s_status(s_install(&ctx, "CentralSystemRootCertificate", sub)), "Rejected");
    assert_string_equal(s_status(s_install(&ctx, "CentralSystemRootCertificate", "garbage")), "Rejected");
    assert_false(ctx.changed);
    assert_string_equal(s_status(s_install(&ctx, "CentralSystemRootCertificate", ec)), "Accepted");
    assert_true(ctx.changed);
    assert_string_equal(s_status(s_install(&ctx, "CentralSystemRootCertificate", ec)), "Accepted");
    assert_false(ctx.changed);
    assert_int_equal(security_store_cert_count(f->store), 1);
    assert_string_equal(s_status(s_install(&ctx, "ManufacturerRootCertificate", rsa)), "Accepted");
    assert_string_equal(s_status(s_install(&ctx, "CentralSystemRootCertificate", sub)), "Accepted");
    //  CertificateStoreMaxLength 3 reached
    assert_string_equal(s_status(s_install(&ctx, "CentralSystemRootCertificate", rsa)), "Rejected");
    assert_non_null(strstr(ctx.reason, "CertificateStoreMaxLength"));
    //  the list per type, with openssl's hash data
    json_t *res = get_installed_certificate_ids(&ctx, none);
    assert_string_equal(json_string_value(json_object_get(res, "status")), "Accepted");
    json_t *list = json_object_get(res, "certificateHashData");
    assert_int_equal(json_array_size(list), 2);
    cert_hash_data_t expected;
    s_ocsp(f->dir, "ec.pem", "ec.pem", &expected);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "serialNumber")), "AB12");
    assert_int_equal(strcasecmp(json_string_value(json_object_get(json_array_get(list, 0), "issuerKeyHash")),
                                expected.issuer_key_hash), 0);
    json_t *ec_hash = json_deep_copy(json_array_get(list, 0));
    json_decref(res);
    json_t *mfr = json_pack("{s:s}", "certificateType", "ManufacturerRootCertificate");
    res = get_installed_certificate_ids(&ctx, mfr);
    assert_int_equal(json_array_size(json_object_get(res, "certificateHashData")), 1);
    json_decref(res);
    //  in use: a wss link verified by a bundle holding it
    char bundle[128];
    snprintf(bundle, sizeof(bundle), "%s/both.pem", f->dir);
    ctx.ca_file = bundle;
    ctx.tls_connected = true;
    json_t *del = json_pack("{s:O}", "certificateHashData", ec_hash);
    assert_string_equal(s_status(delete_certificate(&ctx, del)), "Failed");
    assert_non_null(strstr(ctx.reason, "M04.FR.06"));
    ctx.tls_connected = false;
    //  upper-case hashes and a leading zero in the serial still name it
    json_t *hd = json_object_get(del, "certificateHashData");
    char upper[80];
    snprintf(upper, sizeof(upper), "%s", json_string_value(json_object_get(hd, "issuerNameHash")));
    for (char *c = upper; *c; c++)
        *c = (char) toupper((unsigned char) *c);
    json_object_set_new(hd, "issuerNameHash", json_string(upper));
    json_object_set_new(hd, "serialNumber", json_string("00ab12"));
    assert_string_equal(s_status(delete_certificate(&ctx, del)), "Accepted");
    assert_true(ctx.changed);
    assert_string_equal(s_status(delete_certificate(&ctx, del)), "NotFound");
    json_decref(del);
    json_decref(ec_hash);
    json_decref(mfr);
    json_decref(none);
    free(ec);
    free(rsa);
    free(sub);
}


//  Root A, B issued by A, C issued by A too (so not by B), all CAs.
static void
s_make_rotation(const fixture_t *f)
{
    bench_sh(f->dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout a.key -out a.pem"
                 " -days 30 -subj '/CN=Root A'");
    bench_sh(f->dir, "printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=keyCertSign\\n' > rca.ext"
                 " && for n in B C; do openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
                 " -keyout $n.key -out $n.csr -subj \"/CN=Root $n\" && openssl x509 -req -in $n.csr -CA a.pem"
                 " -CAkey a.key -days 10 -extfile rca.ext -out $n.pem; done");
}

static security_cert_t
s_cert(const cert_info_t *info)
{
    security_cert_t c = { .der = info->der, .der_len = info->der_len };
    return c;
}

static void
s_sha256_hex(const cert_info_t *info, char hex[65])
{
    unsigned char sum[32];
    assert_int_equal(mbedtls_sha256_ret(info->der, info->der_len, sum, 0), 0);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
}

static void
test_root_rotation_pure(void **state)
{
    fixture_t *f = *state;
    s_make_rotation(f);
    char *a = bench_read_file(f->dir, "a.pem"), *b = bench_read_file(f->dir, "B.pem"), *c = bench_read_file(f->dir, "C.pem");
    char why[256];
    cert_info_t ia, ib, ic;
    assert_int_equal(cert_info_parse(a, NULL, 0, s_now(), &ia, why, sizeof(why)), 0);
    assert_int_equal(cert_info_parse(b, ia.der, ia.der_len, s_now(), &ib, why, sizeof(why)), 0);
    assert_int_equal(cert_info_parse(c, ia.der, ia.der_len, s_now(), &ic, why, sizeof(why)), 0);
    security_cert_t roots[2] = { s_cert(&ia), s_cert(&ib) };
    //  none installed: nothing to check; B with A in force: good
    assert_true(root_rotation_signed_by_current(roots, 0, ic.der, ic.der_len));
    assert_true(root_rotation_signed_by_current(roots, 1, ib.der, ib.der_len));
    //  C with B in force: issued by the fallback A only -> bad
    assert_false(root_rotation_signed_by_current(roots, 2, ic.der, ic.der_len));
    //  A (self-signed) with B in force: bad
    assert_false(root_rotation_signed_by_current(&roots[1], 1, ia.der, ia.der_len));
    char hex_a[65], hex_b[65];
    s_sha256_hex(&ia, hex_a);
    s_sha256_hex(&ib, hex_b);
    assert_true(root_rotation_drop_fallback(roots, 2, hex_b));
    assert_false(root_rotation_drop_fallback(roots, 2, hex_a));    //  verified by the fallback: keep it
    assert_false(root_rotation_drop_fallback(roots, 1, hex_a));    //  no fallback
    assert_false(root_rotation_drop_fallback(roots, 2, ""));
    cert_info_clear(&ia);
    cert_info_clear(&ib);
    cert_info_clear(&ic);
    free(a);
    free(b);
    free(c);
}

static int64_t
s_root_count(fixture_t *f)
{
    security_cert_t roots[SECURITY_CERT_STORE_MAX];
    int n = security_store_certs(f->store, "CentralSystemRootCertificate", roots, SECURITY_CERT_STORE_MAX);
    assert_true(n >= 0);
    security_store_free_certs(roots, n);
    return n;
}

static void
test_root_rotation_install(void **state)
{
    fixture_t *f = *state;
    s_make_rotation(f);
    char *a = bench_read_file(f->dir, "a.pem"), *b = bench_read_file(f->dir, "B.pem"), *c = bench_read_file(f->dir, "C.pem");
    security_ops_ctx_t ctx = { .store = f->store, .store_max = 16, .ca_file = "", .now_ms = s_now(),
                               .additional_root_check = true };
    const char *csr = "CentralSystemRootCertificate";
    assert_string_equal(s_status(s_install(&ctx, csr, a)), "Accepted");
    assert_string_equal(s_status(s_install(&ctx, csr, b)), "Accepted");
    assert_true(ctx.changed);
    assert_int_equal(s_root_count(f), 2);                //  B in force, A the fallback
    assert_string_equal(s_status(s_install(&ctx, csr, c)), "Rejected");
    assert_non_null(strstr(ctx.reason, "M05.FR.10"));
    assert_false(ctx.changed);
    assert_null(ctx.event);
    assert_int_equal(s_root_count(f), 2);
    //  Other types are not concerned
    assert_string_equal(s_status(s_install(&ctx, "ManufacturerRootCertificate", a)), "Accepted");
    //  The key false: C is simply added beside them
    ctx.additional_root_check = false;
    assert_string_equal(s_status(s_install(&ctx, csr, c)), "Accepted");
    assert_int_equal(s_root_count(f), 3);
    free(a);
    free(b);
    free(c);
}

static void
test_event_list(void **state)
{
    (void) state;
    int count = 0;
    const security_event_def_t *all = security_events(&count);
    assert_int_equal(count, 18);
    const char *critical[] = { "FirmwareUpdated", "SettingSystemTime", "StartupOfTheDevice", "ResetOrReboot",
                               "SecurityLogWasCleared", "MemoryExhaustion", "TamperDetectionActivated" };
    int n_critical = 0;
    for (int i = 0; i < count; i++) {
        assert_ptr_equal(security_event_find(all[i].name), &all[i]);
        assert_true(strlen(all[i].name) <= 50);   //  SecurityEventNotification type maxLength
        n_critical += all[i].critical;
    }
    assert_int_equal(n_critical, 7);
    for (size_t i = 0; i < sizeof(critical) / sizeof(critical[0]); i++)
        assert_true(security_event_find(critical[i])->critical);
    assert_false(security_event_find("InvalidMessages")->critical);
    assert_non_null(security_event_find("InvalidTLSCipherSuite"));
    assert_null(security_event_find("Reboot"));
    assert_null(security_event_find(NULL));
}

static void
test_log_order_bound_and_reopen(void **state)
{
    fixture_t *f = *state;
    int dropped = 0;
    assert_int_equal(security_store_log_append(f->store, "StartupOfTheDevice", "", 1000, &dropped), 0);
    assert_int_equal(security_store_log_append(f->store, "InvalidMessages", "bad frame", 2000, &dropped), 0);
    security_event_row_t row;
    assert_int_equal(security_store_log_head(f->store, &row), 1);
    assert_string_equal(row.type, "StartupOfTheDevice");
    assert_int_equal(security_store_log_mark_sent(f->store, row.seq), 0);
    //  a reopen keeps the owed one, in order
    security_store_destroy(&f->store);
    cp_store_close(&f->db);
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    f->store = security_store_new(f->db);
    assert_non_null(f->store);
    assert_int_equal(security_store_log_head(f->store, &row), 1);
    assert_string_equal(row.type, "InvalidMessages");
    assert_string_equal(row.tech_info, "bad frame");
    assert_int_equal(row.at_ms, 2000);
    assert_int_equal(security_store_log_mark_sent(f->store, row.seq), 0);
    assert_int_equal(security_store_log_head(f->store, &row), 0);
    //  the bound: delivered rows go first, then the oldest owed
    sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < SECURITY_LOG_MAX - 2; i++)
        assert_int_equal(security_store_log_append(f->store, "InvalidMessages", "", 3000 + i, &dropped), 0);
    sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL);
    assert_int_equal(security_store_log_count(f->store, false), SECURITY_LOG_MAX);
    assert_int_equal(security_store_log_append(f->store, "ResetOrReboot", "", 9000, &dropped), 0);
    assert_int_equal(dropped, 0);
    assert_int_equal(security_store_log_count(f->store, false), SECURITY_LOG_MAX);
    assert_int_equal(security_store_log_count(f->store, true), SECURITY_LOG_MAX - 1);
    assert_int_equal(security_store_log_append(f->store, "ResetOrReboot", "", 9001, &dropped), 0);
    assert_int_equal(security_store_log_append(f->store, "ResetOrReboot", "", 9002, &dropped), 0);
    assert_int_equal(dropped, 1);
    assert_int_equal(security_store_log_count(f->store, false), SECURITY_LOG_MAX);
    assert_int_equal(security_store_log_head(f->store, &row), 1);
    assert_int_equal(row.at_ms, 3001);     //  3000 was the oldest owed: dropped
    //  the run id
    char run[64];
    assert_int_equal(security_store_meta_get(f->store, "last_run", run, sizeof(run)), 0);
    assert_string_equal(run, "");
    assert_int_equal(security_store_meta_set(f->store, "last_run", "run-1"), 0);
    assert_int_equal(security_store_meta_set(f->store, "firmware", "1.0"), 0);
    assert_int_equal(security_store_meta_get(f->store, "last_run", run, sizeof(run)), 0);
    assert_string_equal(run, "run-1");
    assert_int_equal(security_store_meta_get(f->store, "firmware", run, sizeof(run)), 0);
    assert_string_equal(run, "1.0");
}

//  SecurityLogWasCleared: raised when the bound drops undelivered rows,
//  once per episode; rotating delivered rows out is not a clearing.
static int
s_count_type(sqlite3 *db, const char *type)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM security_log WHERE type = ?", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void
test_log_cleared_by_the_bound(void **state)
{
    fixture_t *f = *state;
    security_log_bound_t bound = { 0 };
    bool cleared = true;
    security_event_row_t row;
    //  full of delivered rows: the bound rotates them out, no event
    sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < SECURITY_LOG_MAX; i++) {
        assert_int_equal(security_log_append(f->store, &bound, "InvalidMessages", "", 1000 + i, &cleared), 0);
        assert_int_equal(security_store_log_head(f->store, &row), 1);
        assert_int_equal(security_store_log_mark_sent(f->store, row.seq), 0);
    }
    sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL);
    assert_int_equal(security_log_append(f->store, &bound, "ResetOrReboot", "", 5000, &cleared), 0);
    assert_false(cleared);
    assert_int_equal(s_count_type(f->db, "SecurityLogWasCleared"), 0);
    //  now every row owed (a central system away): fill with owed rows
    sqlite3_exec(f->db, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < SECURITY_LOG_MAX - 1; i++) {
        assert_int_equal(security_log_append(f->store, &bound, "InvalidMessages", "", 6000 + i, &cleared), 0);
        assert_false(cleared);
    }
    sqlite3_exec(f->db, "COMMIT", NULL, NULL, NULL);
    assert_int_equal(security_store_log_count(f->store, true), SECURITY_LOG_MAX);
    assert_int_equal(s_count_type(f->db, "SecurityLogWasCleared"), 0);
    //  the first owed row dropped: SecurityLogWasCleared, after the event
    assert_int_equal(security_log_append(f->store, &bound, "SettingSystemTime", "", 8000, &cleared), 0);
    assert_true(cleared);
    assert_int_equal(s_count_type(f->db, "SecurityLogWasCleared"), 1);
    assert_int_equal(security_store_log_count(f->store, false), SECURITY_LOG_MAX);
    //  the same episode: more drops, no second event
    for (int i = 0; i < 5; i++) {
        assert_int_equal(security_log_append(f->store, &bound, "InvalidMessages", "", 9000 + i, &cleared), 0);
        assert_false(cleared);
    }
    assert_int_equal(s_count_type(f->db, "SecurityLogWasCleared"), 1);
    assert_true(bound.dropped >= 7);
    //  delivery resumes: an append that drops a delivered row ends the episode
    assert_int_equal(security_store_log_head(f->store, &row), 1);
    assert_int_equal(security_store_log_mark_sent(f->store, row.seq), 0);
    assert_int_equal(security_log_append(f->store, &bound, "InvalidMessages", "", 9100, &cleared), 0);
    assert_false(cleared);
    assert_false(bound.clearing);
    //  ... so the next loss is a new episode and raises it again
    assert_int_equal(security_log_append(f->store, &bound, "InvalidMessages", "", 9200, &cleared), 0);
    assert_true(cleared);
    assert_int_equal(s_count_type(f->db, "SecurityLogWasCleared"), 2);
    assert_int_equal(security_store_log_count(f->store, false), SECURITY_LOG_MAX);
}

static const char *
s_trigger_cpo(const char *message, int connector, ocpp_reg_t reg, bool cpo_name_set, trigger_deferred_t *deferred)
{
    json_t *req = connector >= 0 ? json_pack("{s:s, s:i}", "requestedMessage", message, "connectorId", connector)
                                 : json_pack("{s:s}", "requestedMessage", message);
    json_t *res = extended_trigger_message(req, 2, reg, cpo_name_set, deferred);
    json_decref(req);
    return s_status(res);
}

static const char *
s_trigger(const char *message, int connector, ocpp_reg_t reg, trigger_deferred_t *deferred)
{
    return s_trigger_cpo(message, connector, reg, true, deferred);
}

static void
test_extended_trigger(void **state)
{
    (void) state;
    trigger_deferred_t d;
    const char *shared[] = { "Heartbeat", "MeterValues", "StatusNotification" };
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(s_trigger(shared[i], 1, OCPP_REG_ACCEPTED, &d), "Accepted");
        assert_true(d.valid);
        assert_string_equal(d.message, shared[i]);
        assert_int_equal(d.connector, 1);
    }
    assert_string_equal(s_trigger("StatusNotification", 3, OCPP_REG_ACCEPTED, &d), "Rejected");
    assert_false(d.valid);
    assert_string_equal(s_trigger("BootNotification", -1, OCPP_REG_ACCEPTED, &d), "Rejected");
    assert_string_equal(s_trigger("BootNotification", -1, OCPP_REG_PENDING, &d), "Accepted");
    assert_true(d.valid);
    assert_string_equal(s_trigger("LogStatusNotification", -1, OCPP_REG_ACCEPTED, &d), "Accepted");
    assert_true(d.valid);
    assert_string_equal(d.message, "LogStatusNotification");
    assert_string_equal(s_trigger("NoSuchMessage", -1, OCPP_REG_ACCEPTED, &d), "NotImplemented");
    assert_false(d.valid);
    //  FirmwareStatusNotification: a SignedFirmwareStatusNotification (6.14)
    assert_string_equal(s_trigger("FirmwareStatusNotification", -1, OCPP_REG_ACCEPTED, &d), "Accepted");
    assert_true(d.valid);
    assert_string_equal(d.message, "SignedFirmwareStatusNotification");
    assert_string_equal(s_trigger("FirmwareStatusNotification", 1, OCPP_REG_ACCEPTED, &d), "Rejected");
    //  SignChargePointCertificate (A02): to the security actor, once
    //  registered, with CpoName set, for the charge point (connector 0 or
    //  none) only.
    assert_string_equal(s_trigger("SignChargePointCertificate", -1, OCPP_REG_ACCEPTED, &d), "Accepted");
    assert_true(d.valid);
    assert_string_equal(d.message, "SignChargePointCertificate");
    assert_int_equal(trigger_message_count(&d, 2), 1);
    assert_string_equal(s_trigger("SignChargePointCertificate", 0, OCPP_REG_ACCEPTED, &d), "Accepted");
    assert_string_equal(s_trigger("SignChargePointCertificate", 1, OCPP_REG_ACCEPTED, &d), "Rejected");
    assert_false(d.valid);
    assert_string_equal(s_trigger("SignChargePointCertificate", -1, OCPP_REG_PENDING, &d), "Rejected");
    assert_string_equal(s_trigger_cpo("SignChargePointCertificate", -1, OCPP_REG_ACCEPTED, false, &d), "Rejected");
    assert_false(d.valid);
}

//  Certificates in a PEM bundle, as mbedTLS (and so lws) reads it.
static int
s_bundle_count(const char *path)
{
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init(&chain);
    int count = 0;
    if (mbedtls_x509_crt_parse_file(&chain, path) == 0)
        for (const mbedtls_x509_crt *c = &chain; c && c->version; c = c->next)
            count++;
    mbedtls_x509_crt_free(&chain);
    return count;
}

static void
test_csms_trust(void **state)
{
    fixture_t *f = *state;
    char ca_file[128], path[256], bundle[256], digest[CSMS_TRUST_DIGEST_LEN + 1], first[sizeof(digest)], err[256];
    snprintf(ca_file, sizeof(ca_file), "%s/both.pem", f->dir);
    csms_trust_path(f->dir, path, sizeof(path));
    //  no root: no file, the link trusts --ca-file (or the system store)
    assert_int_equal(csms_trust_write(f->dir, ca_file, NULL, 0, digest, sizeof(digest), err, sizeof(err)), 0);
    assert_string_equal(digest, "");
    assert_false(csms_trust_installed(f->dir));
    csms_trust_bundle(f->dir, ca_file, bundle, sizeof(bundle));
    assert_string_equal(bundle, ca_file);
    csms_trust_bundle(f->dir, "", bundle, sizeof(bundle));
    assert_string_equal(bundle, "");
    //  one root: --ca-file's two, then the root
    security_ops_ctx_t ctx = { .store = f->store, .store_max = 3, .ca_file = "", .now_ms = s_now() };
    char *ec = bench_read_file(f->dir, "ec.pem"), *sub = bench_read_file(f->dir, "sub.pem");
    assert_string_equal(s_status(s_install(&ctx, "CentralSystemRootCertificate", ec)), "Accepted");
    security_cert_t roots[4];
    int count = security_store_certs(f->store, "CentralSystemRootCertificate", roots, 4);
    assert_int_equal(count, 1);
    assert_int_equal(csms_trust_write(f->dir, ca_file, roots, count, digest, sizeof(digest), err, sizeof(err)), 0);
    security_store_free_certs(roots, count);
    assert_int_equal(strlen(digest), CSMS_TRUST_DIGEST_LEN);
    assert_true(csms_trust_installed(f->dir));
    csms_trust_bundle(f->dir, ca_file, bundle, sizeof(bundle));
    assert_string_equal(bundle, path);
    assert_int_equal(s_bundle_count(path), 3);
    snprintf(first, sizeof(first), "%s", digest);
    //  without --ca-file: the roots alone
    count = security_store_certs(f->store, "CentralSystemRootCertificate", roots, 4);
    assert_int_equal(csms_trust_write(f->dir, "", roots, count, digest, sizeof(digest), err, sizeof(err)), 0);
    security_store_free_certs(roots, count);
    assert_int_equal(s_bundle_count(path), 1);
    assert_string_not_equal(digest, first);
    //  a second root: a new set, a new digest
    assert_string_equal(s_status(s_install(&ctx, "CentralSystemRootCertificate", sub)), "Accepted");
    count = security_store_certs(f->store, "CentralSystemRootCertificate", roots, 4);
    assert_int_equal(count, 2);
    assert_int_equal(csms_trust_write(f->dir, ca_file, roots, count, digest, sizeof(digest), err, sizeof(err)), 0);
    security_store_free_certs(roots, count);
    assert_int_equal(s_bundle_count(path), 4);
    assert_string_not_equal(digest, first);
    //  an unreadable --ca-file: an error, the file as it was
    assert_int_equal(csms_trust_write(f->dir, "/nonexistent/ca.pem", NULL, 1, digest, sizeof(digest), err,
                                      sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/ca.pem"));
    assert_int_equal(s_bundle_count(path), 4);
    //  the last root deleted: the file goes
    assert_int_equal(csms_trust_write(f->dir, ca_file, NULL, 0, digest, sizeof(digest), err, sizeof(err)), 0);
    assert_false(csms_trust_installed(f->dir));
    free(ec);
    free(sub);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_hash_data_matches_openssl),
        T(test_sub_ca_hashes_its_issuer),
        T(test_invalid_certificates),
        T(test_operations),
        T(test_csms_trust),
        T(test_root_rotation_pure),
        T(test_root_rotation_install),
        cmocka_unit_test(test_event_list),
        T(test_log_order_bound_and_reopen),
        T(test_log_cleared_by_the_bound),
        cmocka_unit_test(test_extended_trigger),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
