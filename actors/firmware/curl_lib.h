/* curl_lib.h — libcurl, loaded on the first transfer instead of at start.
 *
 * Only the firmware actor's transfers use libcurl, and rarely. Linked into
 * the process, libcurl and what stands behind it (GnuTLS or OpenSSL,
 * Kerberos, libssh2, LDAP, nghttp2, IDN …) were mapped and relocated at
 * every start: about a third of the dynamic linker's work before the first
 * BootNotification and several MB of resident pages on an idle charger
 * (issue 12). Loaded with dlopen when the first transfer runs, it costs
 * nothing until then; a board without libcurl still charges and answers a
 * transfer with DownloadFailed / UploadFailed and the reason.
 *
 * The table holds exactly the calls transfer.c makes.
 */
#ifndef CP_FIRMWARE_CURL_LIB_H
#define CP_FIRMWARE_CURL_LIB_H

#include <curl/curl.h>
#include <stddef.h>

typedef struct {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    curl_mime *(*mime_init)(CURL *easy);
    curl_mimepart *(*mime_addpart)(curl_mime *mime);
    CURLcode (*mime_name)(curl_mimepart *part, const char *name);
    CURLcode (*mime_filedata)(curl_mimepart *part, const char *filename);
    CURLcode (*mime_filename)(curl_mimepart *part, const char *filename);
    CURLcode (*mime_type)(curl_mimepart *part, const char *mimetype);
    void (*mime_free)(curl_mime *mime);
} curl_lib_t;

//  The library, loaded and globally initialised once, from any thread.
//  NULL when it cannot be: reason says why (the same on every call).
const curl_lib_t *curl_lib(char *reason, size_t size);

#endif
