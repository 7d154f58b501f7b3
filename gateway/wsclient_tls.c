/*  =========================================================================
    wsclient_tls - the link's TLS rules, on whichever library lws was built with

    Why this file exists: see wsclient_tls.h. How each library is reached:

    - mbedTLS (the bundled lws, its one patch): lws calls back with each
      connection's mbedtls_ssl_config before the handshake
      (LWS_CALLBACK_MBEDTLS_CLIENT_CONFIG). The trust anchors and the
      charger's certificate, read once per configuration here, the version,
      the suites and a verify callback are set on it, and certificate
      verification is made required for this handshake. lws' own mbedTLS
      glue would only check the certificate after a completed handshake
      and keeps one CA certificate of a bundle. The verify callback sees
      the server's chain from its trust anchor down: the first certificate
      with a fault gives the refusal (in OpenSSL's words, which operators
      and the tests know), the deepest one without gives the trust anchor.
      mbedTLS 2.28 checks a certificate's name against its DNS names only;
      a URL's IP address is matched here against the iPAddress names. An
      alert is read from the connection when lws reports the failure.
      Three CBC suites are offered last and refused if chosen: without
      them a server limited to TLS 1.0/1.1 could not say so (s_suites).
      Each connection's verify callback has a small record of its own
      (s_link_t), made with its configuration and freed when lws destroys
      the connection, so a connection of an abandoned attempt is still
      verified, and reports nothing.
    - OpenSSL (Debian's lws): lws takes the files and the options in the
      context's creation info; OpenSSL's verify and message callbacks give
      the refusal, the trust anchor and the alerts. This file links no
      OpenSSL: the few functions it calls are looked up in the libcrypto
      lws loaded.
    =========================================================================
*/

#define _GNU_SOURCE
#include "gateway/wsclient_tls.h"
#include "gateway/wsclient.h"

#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#if defined(LWS_WITH_MBEDTLS)
#include <mbedtls/asn1.h>
#include <mbedtls/cipher.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <arpa/inet.h>
#else
#include <openssl/ssl.h>        //  the SSL_OP_* option bits only: lws links OpenSSL
#include <dlfcn.h>
#endif

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  TLS 1.2 cipher suites offered on a wss:// link, AEAD only: ECDHE with
//  AES-GCM first (forward secrecy, RECOMMENDED by A00.FR.318), then the
//  whitepaper's TLS_RSA_WITH_AES_*_GCM pair, which is all a central system
//  with an RSA certificate must support (A00.FR.317).
#if defined(LWS_WITH_MBEDTLS)
static const int s_suites [] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_RSA_WITH_AES_128_GCM_SHA256, MBEDTLS_TLS_RSA_WITH_AES_256_GCM_SHA384,
    //  Offered last, never accepted: the suites a server limited to TLS
    //  1.0 or 1.1 can choose. mbedTLS 2.28 sends no supported_versions
    //  extension, so such a server takes our TLS 1.2 hello as a 1.1 one;
    //  offered AEAD suites only, it finds no suite and can only answer
    //  handshake_failure, and the charger could not tell the whitepaper's
    //  InvalidTLSVersion (A00.FR.315/419) from InvalidTLSCipherSuite. With
    //  these it answers with its version, which mbedTLS refuses
    //  (protocol_version); a TLS 1.2 server that picks one of them is
    //  refused by s_verify before the charger sends anything of its own:
    //  of what it offers, the charger accepts the AEAD suites only.
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    MBEDTLS_TLS_RSA_WITH_AES_128_CBC_SHA,
    0
};
//  The system store when no ca_file is named: OpenSSL's own variable
//  first, as lws on OpenSSL honours it, then Debian's bundle
#define WSCLIENT_TLS_SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#else
#define WSCLIENT_TLS12_CIPHERS \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:" \
    "AES128-GCM-SHA256:AES256-GCM-SHA384"
#endif

#if defined(LWS_WITH_MBEDTLS)
//  One connection lws made: what its verify callback needs to know.
typedef struct s_link_t {
    struct s_link_t *next;
    wsclient_tls_t *tls;
    struct lws *wsi;
    mbedtls_ssl_context *ssl;
    bool current;               //  it belongs to the attempt under way
} s_link_t;
#endif

struct _wsclient_tls_t {
    wsclient_tls_attempt_t attempt;
    char *host;
#if defined(LWS_WITH_MBEDTLS)
    mbedtls_x509_crt anchors;       //  trusted roots
    mbedtls_x509_crt own_chain;     //  security profile 3: the charger's certificate chain
    mbedtls_pk_context own_key;     //  ... and its key
    bool have_own;
    struct s_link_t *links;         //  the connections lws has made, until lws destroys them
#else
    char *ca_file;
    char *client_cert;
    char *client_key;
#endif
};

static void
s_fingerprint (const unsigned char *der, size_t len, char out [65])
{
    unsigned char sum [32];
    if (mbedtls_sha256_ret (der, len, sum, 0) != 0) {
        out [0] = '\0';
        return;
    }
    for (int i = 0; i < 32; i++)
        snprintf (out + 2 * i, 3, "%02x", sum [i]);
}

const char *
wsclient_tls_alert_reason (int alert)
{
    switch (alert) {
        case 70:
            return "TLS: no common TLS version (protocol_version alert; this charger needs TLS 1.2 or above)";
        case 40:
            return "TLS: no common cipher suite (handshake_failure alert)";
        case 71:
            return "TLS: no common cipher suite (insufficient_security alert)";
        default:
            return NULL;
    }
}

void
wsclient_tls_attempt_begin (wsclient_tls_t *self)
{
    assert (self);
    memset (&self->attempt, 0, sizeof (self->attempt));
    self->attempt.root_depth = -1;
    self->attempt.alert = -1;
#if defined(LWS_WITH_MBEDTLS)
    //  Connections of the attempts before are not this one's
    for (struct s_link_t *link = self->links; link; link = link->next)
        link->current = false;
#endif
}

const wsclient_tls_attempt_t *
wsclient_tls_attempt (wsclient_tls_t *self)
{
    assert (self);
    return &self->attempt;
}


#if defined(LWS_WITH_MBEDTLS)
//  --------------------------------------------------------------------------
//  mbedTLS

//  The fault of a certificate, in OpenSSL's words where it has them.
static const char *
s_fault (uint32_t flags)
{
    if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        return "unable to get local issuer certificate";
    if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
        return "certificate has expired";
    if (flags & MBEDTLS_X509_BADCERT_FUTURE)
        return "certificate is not yet valid";
    if (flags & MBEDTLS_X509_BADCERT_REVOKED)
        return "certificate revoked";
    if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        return "hostname mismatch";
    if (flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE
               | MBEDTLS_X509_BADCERT_NS_CERT_TYPE))
        return "unsupported certificate purpose";
    if (flags & (MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK
               | MBEDTLS_X509_BADCERT_BAD_KEY))
        return "certificate signature or key too weak";
    if (flags & MBEDTLS_X509_BADCERT_MISSING)
        return "no certificate";
    return "certificate not accepted";
}

//  True when host is an IP address that one of crt's iPAddress names
//  carries (RFC 6125: an address matches those, never a DNS name or CN).
static bool
s_ip_name_matches (const mbedtls_x509_crt *crt, const char *host)
{
    unsigned char address [16];
    size_t size = 0;
    if (inet_pton (AF_INET, host, address) == 1)
        size = 4;
    else
    if (inet_pton (AF_INET6, host, address) == 1)
        size = 16;
    if (!size)
        return false;
    for (const mbedtls_x509_sequence *name = &crt->subject_alt_names; name; name = name->next)
        if (name->buf.p && name->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)
        &&  name->buf.len == size && memcmp (name->buf.p, address, size) == 0)
            return true;
    return false;
}

//  True when suite is one of the AEAD suites s_suites offers first
//  (mbedTLS accepts no suite the charger did not offer).
static bool
s_aead (int suite)
{
    const mbedtls_ssl_ciphersuite_t *info = mbedtls_ssl_ciphersuite_from_id (suite);
    const mbedtls_cipher_info_t *cipher = info ? mbedtls_cipher_info_from_type (info->cipher) : NULL;
    return cipher && (cipher->mode == MBEDTLS_MODE_GCM || cipher->mode == MBEDTLS_MODE_CCM
                   || cipher->mode == MBEDTLS_MODE_CHACHAPOLY);
}

//  mbedTLS' verify callback: once per certificate of the server's chain,
//  from its trust anchor (or the topmost one it sent) down to its own.
static int
s_verify (void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    s_link_t *link = (s_link_t *) arg;
    wsclient_tls_t *self = link->tls;
    //  The suite is chosen by now (ServerHello came before the server's
    //  certificate): one of the version probes above is refused here
    int suite = link->ssl->session_negotiate ? link->ssl->session_negotiate->ciphersuite : 0;
    if (!s_aead (suite)) {
        if (link->current && !self->attempt.refusal [0])
            snprintf (self->attempt.refusal, sizeof (self->attempt.refusal),
                      "TLS: no common cipher suite (the server chose %s, not an AEAD suite)",
                      mbedtls_ssl_get_ciphersuite_name (suite));
        return MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE;
    }
    if (depth == 0 && (*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) && s_ip_name_matches (crt, self->host))
        *flags &= ~(uint32_t) MBEDTLS_X509_BADCERT_CN_MISMATCH;
    if (!link->current)
        return 0;               //  a connection of an attempt that ended
    self->attempt.server_spoke = true;
    if (*flags == 0) {
        if (depth > self->attempt.root_depth) {
            s_fingerprint (crt->raw.p, crt->raw.len, self->attempt.root_fp);
            self->attempt.root_depth = depth;
        }
    }
    else
    if (!self->attempt.refusal [0])
        snprintf (self->attempt.refusal, sizeof (self->attempt.refusal),
                  "TLS: certificate verify failed: %s", s_fault (*flags));
    return 0;                   //  the flags decide: verification is required
}

//  Set up one connection's mbedTLS configuration before its handshake.
//  Returns -1 when it cannot be (out of memory): lws then drops it.
static int
s_configure (wsclient_tls_t *self, struct lws *wsi, mbedtls_ssl_config *conf,
             mbedtls_ssl_context *ssl, bool current)
{
    s_link_t *link = (s_link_t *) calloc (1, sizeof (s_link_t));
    if (!link)
        return -1;
    link->tls = self;
    link->wsi = wsi;
    link->ssl = ssl;
    link->current = current;
    link->next = self->links;
    self->links = link;
    //  TLS 1.2 or above only (whitepaper A00.FR.312/416); mbedTLS 2.28
    //  has no TLS 1.3, and no TLS compression (A00.FR.320/424)
    mbedtls_ssl_conf_min_version (conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version (conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites (conf, s_suites);
    mbedtls_ssl_conf_ca_chain (conf, &self->anchors, NULL);
    if (self->have_own)
        mbedtls_ssl_conf_own_cert (conf, &self->own_chain, &self->own_key);
    mbedtls_ssl_conf_verify (conf, s_verify, link);
    //  lws sets the configuration's authmode to optional before every
    //  handshake step and checks the result after the handshake; this
    //  handshake's own mode takes precedence, so a refused certificate
    //  ends the handshake with mbedTLS' alert, before the charger's
    //  certificate or anything else is sent
    mbedtls_ssl_conf_authmode (conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_set_hs_authmode (ssl, MBEDTLS_SSL_VERIFY_REQUIRED);
    return 0;
}

//  The connection of wsi, or NULL; with prev_p, where it is linked from.
static s_link_t *
s_link_find (wsclient_tls_t *self, struct lws *wsi, s_link_t ***prev_p)
{
    s_link_t **prev = &self->links;
    while (*prev && (*prev)->wsi != wsi)
        prev = &(*prev)->next;
    if (prev_p)
        *prev_p = prev;
    return *prev;
}

//  Parse the trust anchors: ca_file, else the system's store. A bundle may
//  hold certificates mbedTLS cannot read (it returns how many); one usable
//  one is enough.
static int
s_load_anchors (wsclient_tls_t *self, const char *ca_file, char *err, size_t err_size)
{
    const char *path = ca_file;
    if (!path)
        path = getenv ("SSL_CERT_FILE");
    if (!path)
        path = WSCLIENT_TLS_SYSTEM_BUNDLE;
    mbedtls_x509_crt_parse_file (&self->anchors, path);
    const char *dir = ca_file ? NULL : getenv ("SSL_CERT_DIR");
    if (dir)
        mbedtls_x509_crt_parse_path (&self->anchors, dir);
    if (ca_file && !self->anchors.version) {
        //  Changed since the owner checked it: the same check says why
        if (wsclient_check_ca_file (ca_file, err, err_size) == 0)
            snprintf (err, err_size, "CA file %s holds no usable PEM certificate", ca_file);
        return -1;
    }
    //  No system store: nothing is trusted, and every server's certificate
    //  is refused with "unable to get local issuer certificate"
    return 0;
}

static int
s_load_own (wsclient_tls_t *self, const char *cert, const char *key, char *err, size_t err_size)
{
    if (mbedtls_x509_crt_parse_file (&self->own_chain, cert) != 0 || !self->own_chain.version) {
        snprintf (err, err_size, "client certificate %s holds no readable PEM certificate chain", cert);
        return -1;
    }
    //  Never the key's content, nor mbedTLS's detail about it
    if (mbedtls_pk_parse_keyfile (&self->own_key, key, NULL) != 0) {
        snprintf (err, err_size, "client key %s cannot be read as an unencrypted PEM key", key);
        return -1;
    }
    self->have_own = true;
    return 0;
}

//  Read this configuration's trust anchors and the charger's certificate.
static int
s_load (wsclient_tls_t *self, const char *ca_file, const char *client_cert, const char *client_key,
        char *err, size_t err_size)
{
    mbedtls_x509_crt_init (&self->anchors);
    mbedtls_x509_crt_init (&self->own_chain);
    mbedtls_pk_init (&self->own_key);
    if (s_load_anchors (self, ca_file, err, err_size) != 0)
        return -1;
    if (client_cert && client_key)
        return s_load_own (self, client_cert, client_key, err, err_size);
    return 0;
}

static void
s_unload (wsclient_tls_t *self)
{
    while (self->links) {
        s_link_t *next = self->links->next;
        free (self->links);
        self->links = next;
    }
    mbedtls_x509_crt_free (&self->anchors);
    mbedtls_x509_crt_free (&self->own_chain);
    mbedtls_pk_free (&self->own_key);
}

void
wsclient_tls_context_info (wsclient_tls_t *self, struct lws_context_creation_info *info)
{
    assert (self && info);
    //  Files, versions and suites are set per connection (s_configure):
    //  lws' mbedTLS glue would read the CA file as one certificate
    info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
}

bool
wsclient_tls_callback (wsclient_tls_t *self, struct lws *wsi, int reason, void *user,
                       void *in, size_t len, bool current, int *rc)
{
    assert (self && rc);
    (void) len;
    if (reason == LWS_CALLBACK_MBEDTLS_CLIENT_CONFIG) {
        *rc = s_configure (self, wsi, (mbedtls_ssl_config *) user, (mbedtls_ssl_context *) in, current);
        return true;
    }
    if (reason == LWS_CALLBACK_WSI_DESTROY) {
        //  Seen, not handled: wsclient ends its attempt on it too
        s_link_t **prev;
        s_link_t *link = s_link_find (self, wsi, &prev);
        if (link) {
            *prev = link->next;
            free (link);
        }
    }
    return false;
}

void
wsclient_tls_failed (wsclient_tls_t *self, struct lws *wsi)
{
    assert (self);
    s_link_t *link = s_link_find (self, wsi, NULL);
    if (!link || !link->current || self->attempt.alert >= 0)
        return;
    //  lws reports the failure before it frees the connection's TLS: the
    //  last record each way is still there. An alert received ended the
    //  handshake, else one mbedTLS sent did (protocol_version when the
    //  server chose a version below TLS 1.2)
    const mbedtls_ssl_context *ssl = link->ssl;
    if (ssl->in_msgtype == MBEDTLS_SSL_MSG_ALERT && ssl->in_msg && ssl->in_msglen >= 2)
        self->attempt.alert = ssl->in_msg [1];
    else
    if (ssl->out_msgtype == MBEDTLS_SSL_MSG_ALERT && ssl->out_msg && ssl->out_msglen >= 2)
        self->attempt.alert = ssl->out_msg [1];
}


#else
//  --------------------------------------------------------------------------
//  OpenSSL (looked up in the libcrypto and libssl lws loaded)

static char *
s_strdup_or_null (const char *s)
{
    return s ? strdup (s) : NULL;
}

//  Record why OpenSSL refused the server certificate. lws only logs the
//  reason and then reports a generic "SSL err"; the owner needs the real
//  one ("unable to get local issuer certificate", "hostname mismatch").
static void
s_note_refusal (wsclient_tls_t *self, void *x509_store_ctx)
{
    if (self->attempt.refusal [0])
        return;                 //  keep the first (deepest) reason
    const char *detail = NULL;
    int (*get_error) (void *) = NULL;
    const char *(*error_string) (long) = NULL;
    //  POSIX allows converting dlsym's void * to a function pointer
    *(void **) &get_error = dlsym (RTLD_DEFAULT, "X509_STORE_CTX_get_error");
    *(void **) &error_string = dlsym (RTLD_DEFAULT, "X509_verify_cert_error_string");
    if (x509_store_ctx && get_error && error_string)
        detail = error_string (get_error (x509_store_ctx));
    snprintf (self->attempt.refusal, sizeof (self->attempt.refusal),
              "TLS: certificate verify failed%s%s", detail ? ": " : "", detail ? detail : "");
}

//  Remember the deepest certificate OpenSSL accepted while verifying the
//  server's chain: the trust anchor the link stands on.
static void
s_note_chain_cert (wsclient_tls_t *self, void *x509_store_ctx)
{
    int (*get_depth) (void *) = NULL;
    void *(*get_cert) (void *) = NULL;
    int (*to_der) (void *, unsigned char **) = NULL;
    *(void **) &get_depth = dlsym (RTLD_DEFAULT, "X509_STORE_CTX_get_error_depth");
    *(void **) &get_cert = dlsym (RTLD_DEFAULT, "X509_STORE_CTX_get_current_cert");
    *(void **) &to_der = dlsym (RTLD_DEFAULT, "i2d_X509");
    if (!x509_store_ctx || !get_depth || !get_cert || !to_der)
        return;
    int depth = get_depth (x509_store_ctx);
    void *cert = get_cert (x509_store_ctx);
    if (!cert || depth <= self->attempt.root_depth)
        return;
    int len = to_der (cert, NULL);
    unsigned char *der = len > 0 ? malloc ((size_t) len) : NULL;
    unsigned char *p = der;
    if (der && to_der (cert, &p) == len) {
        s_fingerprint (der, (size_t) len, self->attempt.root_fp);
        self->attempt.root_depth = depth;
    }
    free (der);
}

//  OpenSSL's message callback (SSL_CTX_set_msg_callback), set on the
//  client context with this object as its argument: it sees every TLS
//  record, and keeps the first alert of a handshake, sent or received.
static void
s_tls_msg (int write_p, int version, int content_type, const void *buf, size_t len, void *ssl, void *arg)
{
    (void) write_p;
    (void) version;
    (void) ssl;
    wsclient_tls_t *self = (wsclient_tls_t *) arg;
    if (self && content_type == 21 && len >= 2 && self->attempt.alert < 0)
        self->attempt.alert = ((const unsigned char *) buf) [1];
}

static void
s_hook_alerts (wsclient_tls_t *self, void *ssl_ctx)
{
    void (*set_cb) (void *, void (*) (int, int, int, const void *, size_t, void *, void *)) = NULL;
    long (*ctrl) (void *, int, long, void *) = NULL;
    *(void **) &set_cb = dlsym (RTLD_DEFAULT, "SSL_CTX_set_msg_callback");
    *(void **) &ctrl = dlsym (RTLD_DEFAULT, "SSL_CTX_ctrl");
    if (!ssl_ctx || !set_cb || !ctrl)
        return;
    set_cb (ssl_ctx, s_tls_msg);
    ctrl (ssl_ctx, SSL_CTRL_SET_MSG_CALLBACK_ARG, 0, self);
}

//  Keep the file names for lws, which reads them when it makes the context.
static int
s_load (wsclient_tls_t *self, const char *ca_file, const char *client_cert, const char *client_key,
        char *err, size_t err_size)
{
    self->ca_file = s_strdup_or_null (ca_file);
    self->client_cert = s_strdup_or_null (client_cert);
    self->client_key = s_strdup_or_null (client_key);
    if ((ca_file && !self->ca_file) || (client_cert && !self->client_cert)
    ||  (client_key && !self->client_key)) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    return 0;
}

static void
s_unload (wsclient_tls_t *self)
{
    free (self->ca_file);
    free (self->client_cert);
    free (self->client_key);
}

void
wsclient_tls_context_info (wsclient_tls_t *self, struct lws_context_creation_info *info)
{
    assert (self && info);
    info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info->client_ssl_ca_filepath = self->ca_file;
    //  An operator who names a CA bundle trusts exactly that bundle: lws
    //  would add the system store (SSL_CERT_FILE, /etc/ssl) too, and then
    //  any public CA could vouch for a fake central system
    if (self->ca_file)
        info->options |= LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    //  Security profile 3: the charger's certificate, presented when the
    //  server asks for one (read when lws makes the context)
    info->client_ssl_cert_filepath = self->client_cert;
    info->client_ssl_private_key_filepath = self->client_key;
    //  TLS 1.2 or above only (whitepaper A00.FR.312/416), whatever the
    //  system's OpenSSL configuration allows, and no TLS compression
    //  (A00.FR.320/424)
    info->ssl_client_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1
                                 | SSL_OP_NO_COMPRESSION;
    //  The suites above; TLS 1.3's own suites are all acceptable
    info->client_ssl_cipher_list = WSCLIENT_TLS12_CIPHERS;
}

bool
wsclient_tls_callback (wsclient_tls_t *self, struct lws *wsi, int reason, void *user,
                       void *in, size_t len, bool current, int *rc)
{
    assert (self && rc);
    (void) wsi;
    (void) in;
    switch (reason) {
        case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
            s_hook_alerts (self, user);
            break;
        case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
            if (!current)
                break;
            self->attempt.server_spoke = true;
            //  len is OpenSSL's preverify_ok; we never overrule a failure
            if (len == 0)
                s_note_refusal (self, user);
            else
                s_note_chain_cert (self, user);
            break;
        default:
            return false;
    }
    *rc = 0;
    return true;
}

void
wsclient_tls_failed (wsclient_tls_t *self, struct lws *wsi)
{
    //  OpenSSL's message callback saw the alerts as they passed
    assert (self);
    (void) wsi;
}
#endif

//  --------------------------------------------------------------------------
//  Either library

wsclient_tls_t *
wsclient_tls_new (const char *ca_file, const char *client_cert, const char *client_key,
                  const char *host, char *err, size_t err_size)
{
    assert (host && err);
    err [0] = '\0';
    wsclient_tls_t *self = (wsclient_tls_t *) calloc (1, sizeof (wsclient_tls_t));
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    wsclient_tls_attempt_begin (self);
    self->host = strdup (host);
    if (!self->host)
        snprintf (err, err_size, "out of memory");
    if (!self->host || s_load (self, ca_file, client_cert, client_key, err, err_size) != 0)
        wsclient_tls_destroy (&self);
    return self;
}

void
wsclient_tls_destroy (wsclient_tls_t **self_p)
{
    assert (self_p);
    wsclient_tls_t *self = *self_p;
    if (!self)
        return;
    s_unload (self);
    free (self->host);
    free (self);
    *self_p = NULL;
}
