/* bench_cp_cert.c — the cost of the Charge Point certificate's cryptography
 * on the charger (issue 15's "key generation + CSR time"): a fresh ECDSA
 * P-256 key and its CSR (cp_cert_keygen + cp_cert_csr, what one
 * SignChargePointCertificate costs), and the check of a CertificateSigned
 * chain (cp_cert_check_chain: parse, key match, verify under a root).
 * Prints Markdown table rows like bench_auth. The chain is made by this
 * program with mbedTLS's certificate writer (no openssl needed).
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "actors/security/cp_cert.h"
#include "bench/bench.h"

#define RUNS 200

//  In ms: mean, median, p99.
static void
s_row(const char *what, double *us, int n)
{
    bench_stats_t st = bench_stats(us, n);
    printf("| %s | %.2f | %.2f | %.2f |\n", what, st.mean / 1000, st.p50 / 1000, st.p99 / 1000);
}

//  A certificate for the subject key, signed by issuer_key as issuer_name.
static int
s_issue(mbedtls_pk_context *subject_key, const char *subject, mbedtls_pk_context *issuer_key, const char *issuer,
        bool ca, mbedtls_ctr_drbg_context *drbg, unsigned char *pem, size_t size)
{
    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&serial);
    mbedtls_mpi_lset(&serial, ca ? 1 : 2);
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, subject_key);
    mbedtls_x509write_crt_set_issuer_key(&crt, issuer_key);
    int rc = mbedtls_x509write_crt_set_subject_name(&crt, subject)
          || mbedtls_x509write_crt_set_issuer_name(&crt, issuer)
          || mbedtls_x509write_crt_set_serial(&crt, &serial)
          || mbedtls_x509write_crt_set_validity(&crt, "20200101000000", "20991231235959")
          || mbedtls_x509write_crt_set_basic_constraints(&crt, ca, -1)
          || mbedtls_x509write_crt_pem(&crt, pem, size, mbedtls_ctr_drbg_random, drbg);
    mbedtls_mpi_free(&serial);
    mbedtls_x509write_crt_free(&crt);
    return rc ? -1 : 0;
}

int
main(void)
{
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *) "bench", 5) != 0)
        return 1;
    static double us[RUNS];
    char key[CP_CERT_KEY_PEM_MAX], csr[CP_CERT_CSR_PEM_MAX], reason[256];
    for (int i = 0; i < RUNS; i++) {
        double t0 = bench_now_us();
        if (cp_cert_keygen(mbedtls_ctr_drbg_random, &drbg, key, sizeof(key), reason, sizeof(reason)) != 0
        ||  cp_cert_csr(key, "SN-BENCH-0001", "Bench CPO", mbedtls_ctr_drbg_random, &drbg, csr, sizeof(csr),
                        reason, sizeof(reason)) != 0) {
            fprintf(stderr, "bench_cp_cert: %s\n", reason);
            return 1;
        }
        us[i] = bench_now_us() - t0;
    }
    //  A root and a leaf for the last key.
    char root_key_pem[CP_CERT_KEY_PEM_MAX];
    unsigned char root_pem[4096], leaf_pem[4096];
    mbedtls_pk_context root_pk, leaf_pk;
    mbedtls_pk_init(&root_pk);
    mbedtls_pk_init(&leaf_pk);
    mbedtls_x509_crt root;
    mbedtls_x509_crt_init(&root);
    if (cp_cert_keygen(mbedtls_ctr_drbg_random, &drbg, root_key_pem, sizeof(root_key_pem), reason, sizeof(reason))
    ||  mbedtls_pk_parse_key(&root_pk, (const unsigned char *) root_key_pem, strlen(root_key_pem) + 1, NULL, 0)
    ||  mbedtls_pk_parse_key(&leaf_pk, (const unsigned char *) key, strlen(key) + 1, NULL, 0)
    ||  s_issue(&root_pk, "CN=Bench root", &root_pk, "CN=Bench root", true, &drbg, root_pem, sizeof(root_pem))
    ||  s_issue(&leaf_pk, "CN=SN-BENCH-0001,O=Bench CPO", &root_pk, "CN=Bench root", false, &drbg, leaf_pem,
                sizeof(leaf_pem))
    ||  mbedtls_x509_crt_parse(&root, root_pem, strlen((const char *) root_pem) + 1)) {
        fprintf(stderr, "bench_cp_cert: cannot make the test chain\n");
        return 1;
    }
    cp_cert_der_t der = { root.raw.p, root.raw.len };
    static double check_us[RUNS];
    cp_cert_leaf_t leaf;
    for (int i = 0; i < RUNS; i++) {
        double t0 = bench_now_us();
        if (cp_cert_check_chain((const char *) leaf_pem, 10000, key, "SN-BENCH-0001", &der, 1,
                                (int64_t) time(NULL) * 1000, &leaf, reason, sizeof(reason)) != 0) {
            fprintf(stderr, "bench_cp_cert: %s\n", reason);
            return 1;
        }
        check_us[i] = bench_now_us() - t0;
    }
    printf("| measure (%d runs) | mean (ms) | median (ms) | p99 (ms) |\n|---|---|---|---|\n", RUNS);
    s_row("ECDSA P-256 key generation + CSR (one SignChargePointCertificate)", us, RUNS);
    s_row("CertificateSigned chain check (parse, key match, verify under the root)", check_us, RUNS);
    mbedtls_x509_crt_free(&root);
    mbedtls_pk_free(&root_pk);
    mbedtls_pk_free(&leaf_pk);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return 0;
}
