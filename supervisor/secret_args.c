/* secret_args.c — see secret_args.h. */
#define _GNU_SOURCE             //  explicit_bzero
#include "supervisor/secret_args.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_FLAG "--password"

int
cp_secret_args_strip(int argc, char **argv, char ***out_argv, int *out_argc)
{
    assert(argc >= 0);
    assert(argv || argc == 0);
    assert(out_argv && out_argc);
    char **copy = calloc((size_t) argc + 1, sizeof(char *));
    if (!copy)
        return -1;
    //  Walks argv exactly as options.c does, so that a value which merely
    //  looks like the flag ("--id --password") is left alone
    int n = 0, removed = 0;
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        bool takes_value = i > 0 && strncmp(arg, "--", 2) == 0 && !strchr(arg, '=')
                        && strcmp(arg, "--split") != 0 && strcmp(arg, "--help") != 0
                        && strcmp(arg, "--version") != 0;
        if (i > 0 && strncmp(arg, PASSWORD_FLAG "=", sizeof(PASSWORD_FLAG)) == 0) {
            char *value = arg + sizeof(PASSWORD_FLAG);
            explicit_bzero(value, strlen(value));
            removed++;
            continue;
        }
        if (takes_value && strcmp(arg, PASSWORD_FLAG) == 0) {
            if (i + 1 < argc) {
                explicit_bzero(argv[i + 1], strlen(argv[i + 1]));
                i++;
            }
            removed++;
            continue;
        }
        copy[n++] = arg;
        if (takes_value && i + 1 < argc)
            copy[n++] = argv[++i];
    }
    copy[n] = NULL;
    *out_argv = copy;
    *out_argc = n;
    return removed;
}
