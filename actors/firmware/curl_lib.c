/* curl_lib.c — see curl_lib.h. */
#include "actors/firmware/curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

//  Debian's runtime package (libcurl4) ships this soname.
#define CURL_SONAME "libcurl.so.4"

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static curl_lib_t s_lib;
static const curl_lib_t *s_loaded;          //  NULL: not loaded, s_error says why
static char s_error[256];

static void *
s_symbol(void *handle, const char *name, int *missing)
{
    void *symbol = dlsym(handle, name);
    if (!symbol && !*missing) {
        snprintf(s_error, sizeof(s_error), "%s has no %s", CURL_SONAME, name);
        *missing = 1;
    }
    return symbol;
}

static void
s_load(void)
{
    //  Never unloaded: libcurl keeps global state (its TLS backend).
    void *handle = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(s_error, sizeof(s_error), "cannot load %s: %s", CURL_SONAME, dlerror());
        return;
    }
    int missing = 0;
    CURLcode (*global_init)(long) = (CURLcode (*)(long)) s_symbol(handle, "curl_global_init", &missing);
    //  POSIX: a data pointer from dlsym converts to a function pointer.
#define LOAD(field, name) *(void **) (&s_lib.field) = s_symbol(handle, name, &missing)
    LOAD(easy_init, "curl_easy_init");
    LOAD(easy_setopt, "curl_easy_setopt");
    LOAD(easy_perform, "curl_easy_perform");
    LOAD(easy_getinfo, "curl_easy_getinfo");
    LOAD(easy_cleanup, "curl_easy_cleanup");
    LOAD(easy_strerror, "curl_easy_strerror");
    LOAD(mime_init, "curl_mime_init");
    LOAD(mime_addpart, "curl_mime_addpart");
    LOAD(mime_name, "curl_mime_name");
    LOAD(mime_filedata, "curl_mime_filedata");
    LOAD(mime_filename, "curl_mime_filename");
    LOAD(mime_type, "curl_mime_type");
    LOAD(mime_free, "curl_mime_free");
#undef LOAD
    if (missing)
        return;
    //  Inside the once: no other thread is in libcurl's global init.
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(s_error, sizeof(s_error), "cannot initialise %s", CURL_SONAME);
        return;
    }
    s_loaded = &s_lib;
}

const curl_lib_t *
curl_lib(char *reason, size_t size)
{
    pthread_once(&s_once, s_load);
    if (!s_loaded && reason && size)
        snprintf(reason, size, "%s", s_error);
    return s_loaded;
}
