/* fuzz_firmware_sig.c — libFuzzer harness for SignedUpdateFirmware's
 * untrusted inputs (actors/firmware/firmware_sig.c): the signingCertificate
 * and the base64 signature a central system sends, through mbedTLS's PEM,
 * X.509, base64 and signature code. The input is split at its first NUL:
 * the certificate text, then the signature text. Checked against a fixed
 * manufacturer root and a fixed image, with the root itself as the signer
 * for the seed. Properties: no crash, leak or UB; a verdict is 0 or -1, with
 * a reason when -1.
 * Built and run by scripts/fuzz.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actors/firmware/firmware_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char s_root[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBmjCCAT+gAwIBAgIUG25l0VfAz9+0+Oz/8DZV0tfkhSYwCgYIKoZIzj0EAwIw\n"
    "ITEfMB0GA1UEAwwWZnV6eiBtYW51ZmFjdHVyZXIgcm9vdDAgFw0yNjEyMDUyMDQ1\n"
    "NTdaGA8yMTI2MTExMTIwNDU1N1owITEfMB0GA1UEAwwWZnV6eiBtYW51ZmFjdHVy\n"
    "ZXIgcm9vdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCtxU0JGScVBWetGhFdc\n"
    "SgwjADDcOQLDV7+wjECc7mMgUzFY55eFBY66PynkrnJWePLmayTmH20MfXpM0hUE\n"
    "iOujUzBRMB0GA1UdDgQWBBS17kEb8/9gFqwH+1xzsBk7aDgPcDAfBgNVHSMEGDAW\n"
    "gBS17kEb8/9gFqwH+1xzsBk7aDgPcDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49\n"
    "BAMCA0kAMEYCIQCSFiF3SBdd1pDRSvW6XCVnUdusTHDFeD/6mTZ35BDNswIhAJLZ\n"
    "m89MC4XQuvjybnps32FjJ1+z9HtpR/QeH9OxZgaJ\n"
    "-----END CERTIFICATE-----\n";

static char s_roots[64], s_image[64];

static void
s_cleanup(void)
{
    unlink(s_roots);
    unlink(s_image);
}

static void
s_init(void)
{
    if (s_roots[0])
        return;
    snprintf(s_roots, sizeof(s_roots), "/tmp/fuzz-fwsig-%d-root.pem", (int) getpid());
    snprintf(s_image, sizeof(s_image), "/tmp/fuzz-fwsig-%d-image", (int) getpid());
    FILE *f = fopen(s_roots, "w");
    if (!f || fputs(s_root, f) < 0 || fclose(f) != 0)
        abort();
    f = fopen(s_image, "w");
    if (!f || fputs("image", f) < 0 || fclose(f) != 0)
        abort();
    atexit(s_cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_init();
    if (size > FW_SIG_CERT_MAX + FW_SIG_SIGNATURE_MAX + 1)
        return 0;
    char *text = malloc(size + 2);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    text[size + 1] = '\0';
    const char *cert = text;
    const char *sig = text + strlen(text) + 1;
    if (sig > text + size)
        sig = text + size + 1;
    char reason[256];
    reason[0] = 'x';
    int rc = firmware_sig_check_certificate(cert, s_roots, 1800000000, reason, sizeof(reason));
    if (rc != 0 && (rc != -1 || !reason[0]))
        abort();
    reason[0] = 'x';
    rc = firmware_sig_verify_image(s_image, cert, sig, reason, sizeof(reason));
    if (rc != 0 && (rc != -1 || !reason[0]))
        abort();
    free(text);
    return 0;
}
