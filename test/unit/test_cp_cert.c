/* test_cp_cert.c — the Charge Point certificate (A02/A03): cp_cert.h and
 * cp_cert_store.h.
 *   - the key is ECDSA P-256; the CSR parsed back with mbedTLS has
 *     subject CN = serial, O = CpoName (a comma in it survives), SHA256,
 *     and the key's public half; `openssl req -verify` takes it;
 *   - a chain openssl signed from that CSR is accepted under its root,
 *     also with a sub-CA in between; refused: another root, no root, a
 *     certificate for another key, another CN, a CA as leaf, garbage, a
 *     truncated certificate, more characters than
 *     CertificateSignedMaxChainSize, more than CP_CERT_CHAIN_MAX
 *     certificates, an expired chain;
 *   - the renewal decision (A03.FR.02: within a month; no retry storm);
 *   - the store: pending key and pairs are 0600 in a 0700 directory, the
 *     switch is the `current` link, the previous pair stays, older go;
 *   - the two operations over a real store (sign_certificate.c,
 *     certificate_signed.c): no CSR without CpoName or serial; the CSR's
 *     certificate Accepted under an installed CentralSystemRootCertificate
 *     (a ManufacturerRootCertificate does not count), no second time
 *     (no CSR pending), and InvalidChargePointCertificate on Rejected;
 *   - wsclient_check_client_cert (--client-cert/--client-key): the pair,
 *     a foreign key, an unreadable file; the message never holds the key.
 * The certificates are made by openssl in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "actors/security/cert_info.h"
#include "actors/security/cp_cert.h"
#include "actors/security/cp_cert_store.h"
#include "actors/security/security_ops.h"
#include "actors/security/security_store.h"
#include "gateway/wsclient.h"
#include "supervisor/store.h"
#include "bench.h"

#define SERIAL "SN-0042"
#define CPO "ACME Charging, Inc."

typedef struct {
    char dir[64];
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    char key[CP_CERT_KEY_PEM_MAX];
    char csr[CP_CERT_CSR_PEM_MAX];
} fixture_t;

static void
s_write(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int64_t
s_now_ms(void)
{
    return (int64_t) time(NULL) * 1000;
}

static int
s_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof(*fx));
    bench_state_dir(fx->dir, sizeof(fx->dir), "cp-cert");
    mbedtls_entropy_init(&fx->entropy);
    mbedtls_ctr_drbg_init(&fx->drbg);
    assert_int_equal(mbedtls_ctr_drbg_seed(&fx->drbg, mbedtls_entropy_func, &fx->entropy,
                                           (const unsigned char *) "test", 4), 0);
    char reason[256];
    assert_int_equal(cp_cert_keygen(mbedtls_ctr_drbg_random, &fx->drbg, fx->key, sizeof(fx->key), reason,
                                    sizeof(reason)), 0);
    assert_int_equal(cp_cert_csr(fx->key, SERIAL, CPO, mbedtls_ctr_drbg_random, &fx->drbg, fx->csr,
                                 sizeof(fx->csr), reason, sizeof(reason)), 0);
    s_write(fx->dir, "cp.csr", fx->csr);
    //  A root, a sub-CA under it, another root; the leaf from the CSR.
    s_write(fx->dir, "ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
    s_write(fx->dir, "leaf.ext", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                                 "extendedKeyUsage=clientAuth\n");
    bench_sh(fx->dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key"
                  " -out root.pem -days 30 -subj '/CN=CPO root/O=test CPO'"
                  " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
               " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key"
                  " -out other.pem -days 30 -subj '/CN=other root'"
                  " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
               " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout sub.key -out sub.csr"
                  " -subj '/CN=CPO sub-CA'"
               " && openssl x509 -req -in sub.csr -CA root.pem -CAkey root.key -set_serial 2 -days 30"
                  " -extfile ca.ext -out sub.pem"
               " && openssl x509 -req -in cp.csr -CA root.pem -CAkey root.key -set_serial 3 -days 30"
                  " -extfile leaf.ext -out leaf.pem"
               " && openssl x509 -req -in cp.csr -CA sub.pem -CAkey sub.key -set_serial 4 -days 30"
                  " -extfile leaf.ext -out leaf-sub.pem"
               " && openssl x509 -req -in cp.csr -CA other.pem -CAkey other.key -set_serial 5 -days 30"
                  " -extfile leaf.ext -out leaf-other.pem");
    *state = fx;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *fx = *state;
    bench_state_dir_remove(fx->dir);
    mbedtls_ctr_drbg_free(&fx->drbg);
    mbedtls_entropy_free(&fx->entropy);
    free(fx);
    return 0;
}

//  The DER of a PEM file, for the roots argument (static storage per slot).
static cp_cert_der_t
s_der(const char *dir, const char *name, int slot)
{
    static unsigned char store[4][4096];
    char *pem = bench_read_file(dir, name);
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    assert_int_equal(mbedtls_x509_crt_parse(&crt, (const unsigned char *) pem, strlen(pem) + 1), 0);
    assert_true(crt.raw.len <= sizeof(store[slot]));
    memcpy(store[slot], crt.raw.p, crt.raw.len);
    cp_cert_der_t der = { store[slot], crt.raw.len };
    mbedtls_x509_crt_free(&crt);
    free(pem);
    return der;
}

static void
test_csr_contents(void **state)
{
    fixture_t *fx = *state;
    assert_non_null(strstr(fx->key, "-----BEGIN EC PRIVATE KEY-----"));
    assert_non_null(strstr(fx->csr, "-----BEGIN CERTIFICATE REQUEST-----"));
    mbedtls_x509_csr csr;
    mbedtls_x509_csr_init(&csr);
    assert_int_equal(mbedtls_x509_csr_parse(&csr, (const unsigned char *) fx->csr, strlen(fx->csr) + 1), 0);
    //  Subject: CN = the serial number, O = CpoName, nothing else.
    int cn = 0, o = 0, other = 0;
    for (const mbedtls_x509_name *n = &csr.subject; n; n = n->next) {
        if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
            cn++;
            assert_int_equal(n->val.len, strlen(SERIAL));
            assert_memory_equal(n->val.p, SERIAL, n->val.len);
        }
        else
        if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_ORGANIZATION, &n->oid) == 0) {
            o++;
            assert_int_equal(n->val.len, strlen(CPO));
            assert_memory_equal(n->val.p, CPO, n->val.len);
        }
        else
            other++;
    }
    assert_int_equal(cn, 1);
    assert_int_equal(o, 1);
    assert_int_equal(other, 0);
    assert_int_equal(csr.sig_md, MBEDTLS_MD_SHA256);
    assert_int_equal(csr.sig_pk, MBEDTLS_PK_ECDSA);
    //  The public key: P-256, the pair of the private key.
    assert_int_equal(mbedtls_pk_get_type(&csr.pk), MBEDTLS_PK_ECKEY);
    assert_int_equal(mbedtls_pk_ec(csr.pk)->grp.id, MBEDTLS_ECP_DP_SECP256R1);
    mbedtls_pk_context key;
    mbedtls_pk_init(&key);
    assert_int_equal(mbedtls_pk_parse_key(&key, (const unsigned char *) fx->key, strlen(fx->key) + 1, NULL, 0), 0);
    assert_int_equal(mbedtls_pk_check_pair(&csr.pk, &key), 0);
    mbedtls_pk_free(&key);
    mbedtls_x509_csr_free(&csr);
    //  openssl checks the self-signature and reads the same subject.
    bench_sh(fx->dir, "openssl req -in cp.csr -noout -verify"
                  " && openssl req -in cp.csr -noout -subject -nameopt RFC2253 > subject.txt"
                  " && grep -F 'CN=" SERIAL "' subject.txt && grep -F 'O=ACME Charging\\, Inc.' subject.txt");
    //  Two CSRs: two different keys.
    char key2[CP_CERT_KEY_PEM_MAX], reason[256];
    assert_int_equal(cp_cert_keygen(mbedtls_ctr_drbg_random, &fx->drbg, key2, sizeof(key2), reason,
                                    sizeof(reason)), 0);
    assert_string_not_equal(key2, fx->key);
}

static void
test_csr_refused(void **state)
{
    fixture_t *fx = *state;
    char csr[CP_CERT_CSR_PEM_MAX], reason[256];
    assert_int_equal(cp_cert_csr(fx->key, SERIAL, "", mbedtls_ctr_drbg_random, &fx->drbg, csr, sizeof(csr),
                                 reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "CN and O"));
    assert_int_equal(cp_cert_csr("not a key", SERIAL, CPO, mbedtls_ctr_drbg_random, &fx->drbg, csr, sizeof(csr),
                                 reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "key"));
    char tiny[64];
    assert_int_equal(cp_cert_csr(fx->key, SERIAL, CPO, mbedtls_ctr_drbg_random, &fx->drbg, tiny, sizeof(tiny),
                                 reason, sizeof(reason)), -1);
}

static void
test_chain_accepted(void **state)
{
    fixture_t *fx = *state;
    cp_cert_der_t roots[2] = { s_der(fx->dir, "other.pem", 0), s_der(fx->dir, "root.pem", 1) };
    cp_cert_leaf_t leaf;
    char reason[512];
    char *chain = bench_read_file(fx->dir, "leaf.pem");
    assert_int_equal(cp_cert_check_chain(chain, 10000, fx->key, SERIAL, roots, 2, s_now_ms(), &leaf, reason,
                                         sizeof(reason)), 0);
    assert_int_equal(leaf.count, 1);
    assert_string_equal(leaf.serial, "03");
    assert_non_null(strstr(leaf.subject, "CN=" SERIAL));
    assert_true(leaf.not_after_ms > s_now_ms() + 29LL * 86400 * 1000);
    free(chain);
    //  leaf + sub-CA; and leaf + sub-CA + the root itself
    char *l = bench_read_file(fx->dir, "leaf-sub.pem"), *sub = bench_read_file(fx->dir, "sub.pem"), *root = bench_read_file(fx->dir, "root.pem");
    char both[8192], all[12288];
    snprintf(both, sizeof(both), "%s%s", l, sub);
    snprintf(all, sizeof(all), "%s%s%s", l, sub, root);
    assert_int_equal(cp_cert_check_chain(both, 10000, fx->key, SERIAL, roots, 2, s_now_ms(), &leaf, reason,
                                         sizeof(reason)), 0);
    assert_int_equal(leaf.count, 2);
    assert_int_equal(cp_cert_check_chain(all, 10000, fx->key, SERIAL, roots, 2, s_now_ms(), &leaf, reason,
                                         sizeof(reason)), 0);
    assert_int_equal(leaf.count, 3);
    //  leaf under the sub-CA without the sub-CA: nothing links it to a root
    assert_int_equal(cp_cert_check_chain(l, 10000, fx->key, SERIAL, roots, 2, s_now_ms(), &leaf, reason,
                                         sizeof(reason)), -1);
    assert_non_null(strstr(reason, "does not verify"));
    free(l);
    free(sub);
    free(root);
}

static void
s_refused(fixture_t *fx, const char *chain, size_t max, const char *key, const cp_cert_der_t *roots, int n,
          int64_t now, const char *why)
{
    cp_cert_leaf_t leaf;
    char reason[512];
    assert_int_equal(cp_cert_check_chain(chain, max, key ? key : fx->key, SERIAL, roots, n, now, &leaf, reason,
                                         sizeof(reason)), -1);
    if (!strstr(reason, why))
        fail_msg("reason '%s' does not say '%s'", reason, why);
}

static void
test_chain_refused(void **state)
{
    fixture_t *fx = *state;
    cp_cert_der_t root = s_der(fx->dir, "root.pem", 0), other = s_der(fx->dir, "other.pem", 1);
    char *leaf = bench_read_file(fx->dir, "leaf.pem"), *foreign = bench_read_file(fx->dir, "leaf-other.pem");
    int64_t now = s_now_ms();
    //  an unknown root, no root at all
    s_refused(fx, foreign, 10000, NULL, &root, 1, now, "does not verify");
    s_refused(fx, leaf, 10000, NULL, &other, 1, now, "does not verify");
    s_refused(fx, leaf, 10000, NULL, NULL, 0, now, "no CentralSystemRootCertificate");
    //  another key than the pending one
    char key2[CP_CERT_KEY_PEM_MAX], reason[256];
    assert_int_equal(cp_cert_keygen(mbedtls_ctr_drbg_random, &fx->drbg, key2, sizeof(key2), reason,
                                    sizeof(reason)), 0);
    s_refused(fx, leaf, 10000, key2, &root, 1, now, "not the one of the CSR");
    //  another CN
    cp_cert_leaf_t out;
    char why[512];
    assert_int_equal(cp_cert_check_chain(leaf, 10000, fx->key, "SN-9999", &root, 1, now, &out, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "A00.FR.511"));
    //  a CA as the first certificate
    char *sub = bench_read_file(fx->dir, "sub.pem");
    s_refused(fx, sub, 10000, NULL, &root, 1, now, "is a CA");
    //  garbage, a truncated certificate, a good one followed by garbage
    s_refused(fx, "hello", 10000, NULL, &root, 1, now, "not a PEM");
    char truncated[4096];
    snprintf(truncated, sizeof(truncated), "%.200s\n-----END CERTIFICATE-----\n", leaf);
    s_refused(fx, truncated, 10000, NULL, &root, 1, now, "unreadable");
    char tail[8192];
    snprintf(tail, sizeof(tail), "%s%s", leaf, truncated);
    s_refused(fx, tail, 10000, NULL, &root, 1, now, "unreadable");
    //  CertificateSignedMaxChainSize: one character short
    s_refused(fx, leaf, strlen(leaf) - 1, NULL, &root, 1, now, "CertificateSignedMaxChainSize");
    //  more than CP_CERT_CHAIN_MAX certificates
    char many[16384] = "";
    for (int i = 0; i <= CP_CERT_CHAIN_MAX; i++)
        strcat(many, i == 0 ? leaf : sub);
    s_refused(fx, many, sizeof(many), NULL, &root, 1, now, "certificates in the chain");
    //  expired (31 days on) and not valid yet (a day before)
    s_refused(fx, leaf, 10000, NULL, &root, 1, now + 31LL * 86400 * 1000, "expired");
    s_refused(fx, leaf, 10000, NULL, &root, 1, now - 86400LL * 1000, "not valid yet");
    free(leaf);
    free(foreign);
    free(sub);
}

static void
test_read_leaf(void **state)
{
    fixture_t *fx = *state;
    char *pem = bench_read_file(fx->dir, "leaf.pem");
    cp_cert_leaf_t leaf;
    assert_int_equal(cp_cert_read_leaf(pem, &leaf), 0);
    assert_true(leaf.not_before_ms <= s_now_ms() && leaf.not_after_ms > s_now_ms());
    assert_int_equal(cp_cert_read_leaf("nope", &leaf), -1);
    free(pem);
}

static void
test_renewal_due(void **state)
{
    (void) state;
    const int64_t day = 86400LL * 1000, now = 1800000000000LL;
    assert_false(cp_cert_renewal_due(false, 0, 0, now));                 //  no certificate: A02 only
    assert_false(cp_cert_renewal_due(true, now + 31 * day, 0, now));     //  more than a month left
    assert_true(cp_cert_renewal_due(true, now + 30 * day, 0, now));      //  a month left
    assert_true(cp_cert_renewal_due(true, now - day, 0, now));           //  expired already
    assert_false(cp_cert_renewal_due(true, now + day, now - day, now));  //  a CSR went out yesterday
    assert_true(cp_cert_renewal_due(true, now + day, now - 7 * day, now)); //  a week without answer
}

static int
s_mode(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (int) (st.st_mode & 07777);
}

static void
test_store(void **state)
{
    fixture_t *fx = *state;
    char err[256], path[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], text[16384];
    mode_t old = umask(0);              //  the store must not depend on the umask
    cp_cert_store_t *store = cp_cert_store_new(fx->dir, err, sizeof(err));
    umask(old);
    assert_non_null(store);
    snprintf(path, sizeof(path), "%s/cpcert", fx->dir);
    assert_int_equal(s_mode(path), 0700);
    assert_false(cp_cert_store_paths(fx->dir, cert, key));
    assert_int_equal(cp_cert_store_get_pending(store, text, sizeof(text)), -1);
    assert_int_equal(cp_cert_store_install(store, "x", 1000), -1);     //  no pending key
    //  pending key: 0600, read back
    umask(0);
    assert_int_equal(cp_cert_store_put_pending(store, fx->key), 0);
    umask(old);
    snprintf(path, sizeof(path), "%s/cpcert/pending.key", fx->dir);
    assert_int_equal(s_mode(path), 0600);
    assert_int_equal(cp_cert_store_get_pending(store, text, sizeof(text)), 0);
    assert_string_equal(text, fx->key);
    //  install: the pair in use, pending gone
    char *chain = bench_read_file(fx->dir, "leaf.pem");
    assert_int_equal(cp_cert_store_install(store, chain, 1000), 0);
    assert_true(cp_cert_store_paths(fx->dir, cert, key));
    assert_int_equal(s_mode(key), 0600);
    assert_int_equal(s_mode(cert), 0600);
    assert_int_equal(cp_cert_store_get_pending(store, text, sizeof(text)), -1);
    assert_int_equal(cp_cert_store_get_chain(store, text, sizeof(text)), 0);
    assert_string_equal(text, chain);
    FILE *f = fopen(key, "r");
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_string_equal(text, fx->key);
    //  two more: the previous pair stays, the one before goes; a clock
    //  that went back still names the new pair after the old
    assert_int_equal(cp_cert_store_put_pending(store, "KEY2"), 0);
    assert_int_equal(cp_cert_store_install(store, "CHAIN2", 2000), 0);
    assert_int_equal(cp_cert_store_put_pending(store, "KEY3"), 0);
    assert_int_equal(cp_cert_store_install(store, "CHAIN3", 1500), 0);
    snprintf(path, sizeof(path), "%s/cpcert/0000000001000", fx->dir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof(path), "%s/cpcert/0000000002000/key.pem", fx->dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/cpcert/current", fx->dir);
    char target[64] = "";
    assert_true(readlink(path, target, sizeof(target) - 1) > 0);
    assert_string_equal(target, "0000000002001");
    assert_int_equal(cp_cert_store_get_chain(store, text, sizeof(text)), 0);
    assert_string_equal(text, "CHAIN3");
    cp_cert_store_destroy(&store);
    assert_null(store);
    //  a reopen keeps both; a stray temporary file goes
    s_write(fx->dir, "cpcert/.pending.key.tmp", "half");
    store = cp_cert_store_new(fx->dir, err, sizeof(err));
    assert_non_null(store);
    snprintf(path, sizeof(path), "%s/cpcert/.pending.key.tmp", fx->dir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof(path), "%s/cpcert/0000000002000/cert.pem", fx->dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(cp_cert_store_drop_pending(store), 0);
    cp_cert_store_destroy(&store);
    free(chain);
}

static void
test_operations(void **state)
{
    fixture_t *fx = *state;
    char err[256];
    sqlite3 *db = cp_store_open(fx->dir, err, sizeof(err));
    assert_non_null(db);
    security_store_t *store = security_store_new(db);
    cp_cert_store_t *certs = cp_cert_store_new(fx->dir, err, sizeof(err));
    assert_non_null(store);
    assert_non_null(certs);
    security_ops_ctx_t ctx = { .store = store, .cp_certs = certs, .serial = SERIAL, .cpo_name = "",
                               .chain_max = 10000, .rng = mbedtls_ctr_drbg_random, .p_rng = &fx->drbg,
                               .now_ms = s_now_ms() };
    //  No CpoName, no serial: no CSR, no key
    assert_null(sign_certificate(&ctx));
    assert_non_null(strstr(ctx.reason, "CpoName"));
    ctx.cpo_name = CPO;
    ctx.serial = "";
    assert_null(sign_certificate(&ctx));
    assert_false(cp_cert_store_has_pending(certs));
    ctx.serial = SERIAL;
    json_t *req = sign_certificate(&ctx);
    assert_non_null(req);
    assert_true(cp_cert_store_has_pending(certs));
    s_write(fx->dir, "op.csr", json_string_value(json_object_get(req, "csr")));
    json_decref(req);
    bench_sh(fx->dir, "openssl x509 -req -in op.csr -CA root.pem -CAkey root.key -set_serial 9 -days 30"
                  " -extfile leaf.ext -out op.pem");
    char *chain = bench_read_file(fx->dir, "op.pem");
    json_t *signed_req = json_pack("{s:s}", "certificateChain", chain);
    //  The root installed as a ManufacturerRootCertificate only: not the
    //  Charge Point Operator's hierarchy
    char *root_pem = bench_read_file(fx->dir, "root.pem");
    cert_info_t info;
    assert_int_equal(cert_info_parse(root_pem, NULL, 0, s_now_ms(), &info, err, sizeof(err)), 0);
    assert_int_equal(security_store_cert_add(store, "ManufacturerRootCertificate", &info), 0);
    json_t *res = certificate_signed(&ctx, signed_req);
    assert_string_equal(json_string_value(json_object_get(res, "status")), "Rejected");
    assert_string_equal(ctx.event, "InvalidChargePointCertificate");
    assert_non_null(strstr(ctx.reason, "no CentralSystemRootCertificate"));
    assert_false(ctx.changed);
    json_decref(res);
    //  As a CentralSystemRootCertificate: Accepted, in use, pending gone
    assert_int_equal(security_store_cert_add(store, "CentralSystemRootCertificate", &info), 0);
    cert_info_clear(&info);
    res = certificate_signed(&ctx, signed_req);
    assert_string_equal(json_string_value(json_object_get(res, "status")), "Accepted");
    assert_null(ctx.event);
    assert_true(ctx.changed);
    assert_non_null(strstr(ctx.reason, "serial 09"));
    json_decref(res);
    assert_false(cp_cert_store_has_pending(certs));
    char path_cert[PATH_MAX], path_key[PATH_MAX];
    assert_true(cp_cert_store_paths(fx->dir, path_cert, path_key));
    //  ... and the key in use is the CSR's: the TLS check agrees
    assert_int_equal(wsclient_check_client_cert(path_cert, path_key, err, sizeof(err)), 0);
    //  Again: no CSR pending
    res = certificate_signed(&ctx, signed_req);
    assert_string_equal(json_string_value(json_object_get(res, "status")), "Rejected");
    assert_string_equal(ctx.event, "InvalidChargePointCertificate");
    assert_non_null(strstr(ctx.reason, "no CSR is pending"));
    json_decref(res);
    json_decref(signed_req);
    free(chain);
    free(root_pem);
    cp_cert_store_destroy(&certs);
    security_store_destroy(&store);
    cp_store_close(&db);
}

static void
test_check_client_cert(void **state)
{
    fixture_t *fx = *state;
    char err[256], cert[128], key[128], other[128];
    s_write(fx->dir, "cp.key", fx->key);
    snprintf(cert, sizeof(cert), "%s/leaf.pem", fx->dir);
    snprintf(key, sizeof(key), "%s/cp.key", fx->dir);
    snprintf(other, sizeof(other), "%s/other.key", fx->dir);
    assert_int_equal(wsclient_check_client_cert(cert, key, err, sizeof(err)), 0);
    assert_int_equal(wsclient_check_client_cert(cert, other, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is not the key of"));
    assert_int_equal(wsclient_check_client_cert(cert, "/nonexistent.key", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot be read"));
    assert_int_equal(wsclient_check_client_cert(key, key, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no readable PEM certificate"));
    //  Whatever went wrong, no line of the key is in the message.
    char line[80];
    const char *body = strchr(fx->key, '\n') + 1;
    snprintf(line, sizeof(line), "%.40s", body);
    assert_null(strstr(err, line));
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_csr_contents),
        T(test_csr_refused),
        T(test_chain_accepted),
        T(test_chain_refused),
        T(test_read_leaf),
        cmocka_unit_test(test_renewal_due),
        T(test_store),
        T(test_operations),
        T(test_check_client_cert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
