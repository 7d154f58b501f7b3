/* csms_trust.c — see csms_trust.h. The file is rebuilt whole from the
 * store at every change (and at every start, since --ca-file may have
 * changed): a handful of certificates, so there is nothing to patch. */
#define _GNU_SOURCE
#include "actors/security/csms_trust.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mbedtls/pem.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "supervisor/file.h"

#define TRUST_NAME "csms-trust.pem"
#define MANUFACTURER_NAME "manufacturer-roots.pem"
//  Bigger than any sane --ca-file plus CertificateStoreMaxLength roots
#define TRUST_MAX (1024 * 1024)

void
csms_trust_path(const char *state_dir, char *out, size_t size)
{
    assert(state_dir && out && size);
    snprintf(out, size, "%s/%s", state_dir, TRUST_NAME);
}

bool
csms_trust_installed(const char *state_dir)
{
    char path[PATH_MAX];
    csms_trust_path(state_dir, path, sizeof(path));
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void
csms_trust_bundle(const char *state_dir, const char *ca_file, char *out, size_t size)
{
    assert(out && size);
    if (csms_trust_installed(state_dir))
        csms_trust_path(state_dir, out, size);
    else
        snprintf(out, size, "%s", ca_file ? ca_file : "");
}

//  Append len bytes to the growing buffer; -1 when it would pass TRUST_MAX.
static int
s_append(char **buf, size_t *len, const char *data, size_t n)
{
    if (*len + n + 1 > TRUST_MAX)
        return -1;
    char *grown = realloc(*buf, *len + n + 1);
    if (!grown)
        return -1;
    memcpy(grown + *len, data, n);
    *len += n;
    grown[*len] = '\0';
    *buf = grown;
    return 0;
}

//  Write text to path durably (file.h); the link reads it, so 0644.
static int
s_write_file(const char *path, const char *text, size_t len)
{
    return cp_file_replace(path, text, len, 0644);
}

void
csms_trust_manufacturer_path(const char *state_dir, char *out, size_t size)
{
    assert(state_dir && out && size);
    snprintf(out, size, "%s/%s", state_dir, MANUFACTURER_NAME);
}

static int s_write_bundle(const char *path, const char *ca_file, const security_cert_t *roots, int count,
                          char *digest, size_t digest_size, char *err, size_t err_size);

int
csms_trust_write(const char *state_dir, const char *ca_file, const security_cert_t *roots, int count,
                 char *digest, size_t digest_size, char *err, size_t err_size)
{
    assert(state_dir);
    char path[PATH_MAX];
    csms_trust_path(state_dir, path, sizeof(path));
    return s_write_bundle(path, ca_file, roots, count, digest, digest_size, err, err_size);
}

int
csms_trust_write_manufacturer(const char *state_dir, const security_cert_t *roots, int count, char *err,
                              size_t err_size)
{
    assert(state_dir);
    char path[PATH_MAX], digest[CSMS_TRUST_DIGEST_LEN + 1];
    csms_trust_manufacturer_path(state_dir, path, sizeof(path));
    return s_write_bundle(path, "", roots, count, digest, sizeof(digest), err, err_size);
}

static int
s_write_bundle(const char *path, const char *ca_file, const security_cert_t *roots, int count,
               char *digest, size_t digest_size, char *err, size_t err_size)
{
    assert(path && digest && digest_size > CSMS_TRUST_DIGEST_LEN && err && err_size);
    digest[0] = '\0';
    err[0] = '\0';
    if (count <= 0) {
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, err_size, "cannot remove %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    //  The factory trust first, as it is (the operator checked it at
    //  start: wsclient_check_ca_file)
    if (ca_file && ca_file[0]) {
        FILE *file = fopen(ca_file, "rb");
        if (!file) {
            snprintf(err, err_size, "cannot read %s: %s", ca_file, strerror(errno));
            return -1;
        }
        char chunk[4096];
        size_t n;
        while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), file)) > 0)
            rc = s_append(&text, &len, chunk, n);
        fclose(file);
        if (rc == 0 && len && text[len - 1] != '\n')
            rc = s_append(&text, &len, "\n", 1);
    }
    for (int i = 0; rc == 0 && i < count; i++) {
        unsigned char pem[8192];
        size_t olen = 0;
        if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
                                     roots[i].der, roots[i].der_len, pem, sizeof(pem), &olen) != 0)
            rc = -1;
        else
            //  olen counts the terminating NUL
            rc = s_append(&text, &len, (const char *) pem, olen ? olen - 1 : 0);
    }
    if (rc != 0) {
        snprintf(err, err_size, "the trust bundle does not fit in %d bytes", TRUST_MAX);
        free(text);
        return -1;
    }
    if (s_write_file(path, text, len) != 0) {
        snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
        free(text);
        return -1;
    }
    unsigned char sum[32];
    mbedtls_sha256_ret((const unsigned char *) text, len, sum, 0);
    free(text);
    for (int i = 0; i < CSMS_TRUST_DIGEST_LEN / 2; i++)
        snprintf(digest + 2 * i, 3, "%02x", sum[i]);
    return 0;
}
