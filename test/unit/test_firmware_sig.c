/* test_firmware_sig.c — the checks of SignedUpdateFirmware (firmware_sig.h)
 * against certificates, images and signatures made by openssl: a signing
 * certificate under the installed manufacturer root passes, one under
 * another root, an expired one, garbage or no root at all does not; an
 * RSA and an ECDSA signature over the image's SHA256 (`openssl dgst
 * -sha256 -sign`) verify, a signature of another image, a truncated one,
 * a signature by another key and non-base64 do not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "actors/firmware/firmware_sig.h"
#include "bench.h"

static char s_dir[64];

static void
s_sh(const char *command)
{
    bench_sh(s_dir, command);
}

//  Without the trailing newlines (openssl's base64 and hex dumps).
static char *
s_read(const char *name)
{
    char *text = bench_read_file(s_dir, name);
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n')
        text[--n] = '\0';
    return text;
}

static const char *
s_path(const char *name)
{
    static char path[4][256];
    static int i;
    i = (i + 1) % 4;
    snprintf(path[i], sizeof(path[i]), "%s/%s", s_dir, name);
    return path[i];
}

static int
s_setup(void **state)
{
    (void) state;
    bench_state_dir(s_dir, sizeof(s_dir), "fwsig");
    s_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem"
         " -days 30 -subj '/CN=Manufacturer Root' -addext basicConstraints=critical,CA:TRUE"
         " -addext keyUsage=critical,keyCertSign");
    s_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem"
         " -days 30 -subj '/CN=Someone Else' -addext basicConstraints=critical,CA:TRUE"
         " -addext keyUsage=critical,keyCertSign");
    s_sh("printf 'basicConstraints=CA:FALSE\\nkeyUsage=digitalSignature\\n' > leaf.ext"
         " && openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj '/CN=fw signer RSA'"
         " && openssl x509 -req -in rsa.csr -CA root.pem -CAkey root.key -set_serial 11 -days 10"
         " -extfile leaf.ext -out rsa.pem"
         " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.csr"
         " -subj '/CN=fw signer EC' && openssl x509 -req -in ec.csr -CA root.pem -CAkey root.key"
         " -set_serial 12 -days 10 -extfile leaf.ext -out ec.pem"
         " && openssl x509 -req -in ec.csr -CA other.pem -CAkey other.key -set_serial 13 -days 10"
         " -extfile leaf.ext -out stranger.pem");
    s_sh("head -c 300000 /dev/urandom > image.bin && printf 'another image' > other.bin"
         " && openssl dgst -sha256 -sign rsa.key -out rsa.sig image.bin && base64 -w0 rsa.sig > rsa.b64"
         " && openssl dgst -sha256 -sign ec.key -out ec.sig image.bin && base64 -w0 ec.sig > ec.b64"
         " && head -c 100 rsa.sig | base64 -w0 > short.b64");
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    bench_state_dir_remove(s_dir);
    return 0;
}

static void
test_certificate(void **state)
{
    (void) state;
    char reason[256];
    int64_t now = (int64_t) time(NULL);
    char *rsa = s_read("rsa.pem"), *ec = s_read("ec.pem"), *stranger = s_read("stranger.pem");
    assert_int_equal(firmware_sig_check_certificate(rsa, s_path("root.pem"), now, reason, sizeof(reason)), 0);
    assert_int_equal(firmware_sig_check_certificate(ec, s_path("root.pem"), now, reason, sizeof(reason)), 0);
    //  another hierarchy
    assert_int_equal(firmware_sig_check_certificate(stranger, s_path("root.pem"), now, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "does not verify"));
    //  but it is fine under its own root
    assert_int_equal(firmware_sig_check_certificate(stranger, s_path("other.pem"), now, reason, sizeof(reason)), 0);
    //  out of its validity (in 11 days; before it was made)
    assert_int_equal(firmware_sig_check_certificate(ec, s_path("root.pem"), now + 11 * 86400, reason,
                                                    sizeof(reason)), -1);
    assert_non_null(strstr(reason, "validity"));
    assert_int_equal(firmware_sig_check_certificate(ec, s_path("root.pem"), now - 86400, reason, sizeof(reason)), -1);
    //  no manufacturer root installed; garbage
    assert_int_equal(firmware_sig_check_certificate(ec, s_path("missing.pem"), now, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "no ManufacturerRootCertificate"));
    assert_int_equal(firmware_sig_check_certificate("garbage", s_path("root.pem"), now, reason, sizeof(reason)), -1);
    free(rsa);
    free(ec);
    free(stranger);
}

static void
test_signature(void **state)
{
    (void) state;
    char reason[256];
    char *rsa = s_read("rsa.pem"), *ec = s_read("ec.pem");
    char *rsa_sig = s_read("rsa.b64"), *ec_sig = s_read("ec.b64"), *short_sig = s_read("short.b64");
    assert_int_equal(firmware_sig_verify_image(s_path("image.bin"), rsa, rsa_sig, reason, sizeof(reason)), 0);
    assert_int_equal(firmware_sig_verify_image(s_path("image.bin"), ec, ec_sig, reason, sizeof(reason)), 0);
    //  another image
    assert_int_equal(firmware_sig_verify_image(s_path("other.bin"), rsa, rsa_sig, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "does not verify"));
    assert_int_equal(firmware_sig_verify_image(s_path("other.bin"), ec, ec_sig, reason, sizeof(reason)), -1);
    //  another key's signature, a truncated one, not base64, an empty one
    assert_int_equal(firmware_sig_verify_image(s_path("image.bin"), ec, rsa_sig, reason, sizeof(reason)), -1);
    assert_int_equal(firmware_sig_verify_image(s_path("image.bin"), rsa, short_sig, reason, sizeof(reason)), -1);
    assert_int_equal(firmware_sig_verify_image(s_path("image.bin"), rsa, "!!not base64!!", reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "base64"));
    assert_int_equal(firmware_sig_verify_image(s_path("image.bin"), rsa, "", reason, sizeof(reason)), -1);
    //  no image
    assert_int_equal(firmware_sig_verify_image(s_path("missing.bin"), rsa, rsa_sig, reason, sizeof(reason)), -1);
    free(rsa);
    free(ec);
    free(rsa_sig);
    free(ec_sig);
    free(short_sig);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_signature),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
