/* test_secret_args.c — the --password value leaves argv (supervisor/secret_args.c).
 *
 * Why this file exists: the password must vanish from the process's own
 * argument area (what ps shows) and from every command line built from it
 * later, while every other argument survives in order.
 */
#define _GNU_SOURCE             //  memmem
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/secret_args.h"

//  A writable argv like the kernel's: strings back to back in one area.
typedef struct {
    char area[512];
    char *argv[32];
    int argc;
} fake_argv_t;

static void
fake_argv(fake_argv_t *f, const char *const *args)
{
    memset(f, 0, sizeof(*f));
    size_t pos = 0;
    for (f->argc = 0; args[f->argc]; f->argc++) {
        size_t len = strlen(args[f->argc]) + 1;
        assert_true(pos + len <= sizeof(f->area));
        memcpy(f->area + pos, args[f->argc], len);
        f->argv[f->argc] = f->area + pos;
        pos += len;
    }
}

static bool
area_contains(const fake_argv_t *f, const char *needle)
{
    return memmem(f->area, sizeof(f->area), needle, strlen(needle)) != NULL;
}

static void
expect_args(char **got, int got_argc, const char *const *want)
{
    int n = 0;
    while (want[n])
        n++;
    assert_int_equal(got_argc, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(got[i], want[i]);
    assert_null(got[n]);
}

static void
test_separate_value(void **state)
{
    (void) state;
    fake_argv_t f;
    fake_argv(&f, (const char *const[]) { "chargepointd", "--csms", "ws://h/ocpp", "--password",
                                          "hunter2hunter2hunter2", "--id", "CP1", NULL });
    char **out = NULL;
    int out_argc = 0;
    assert_int_equal(cp_secret_args_strip(f.argc, f.argv, &out, &out_argc), 1);
    expect_args(out, out_argc, (const char *const[]) { "chargepointd", "--csms", "ws://h/ocpp", "--id", "CP1", NULL });
    assert_false(area_contains(&f, "hunter2"));
    assert_string_equal(f.argv[4], "");
    free(out);
}

static void
test_equals_form_and_repeats(void **state)
{
    (void) state;
    fake_argv_t f;
    fake_argv(&f, (const char *const[]) { "chargepointd", "--password=first-secret-value", "--split",
                                          "--password", "second-secret-value", NULL });
    char **out = NULL;
    int out_argc = 0;
    assert_int_equal(cp_secret_args_strip(f.argc, f.argv, &out, &out_argc), 2);
    expect_args(out, out_argc, (const char *const[]) { "chargepointd", "--split", NULL });
    assert_false(area_contains(&f, "secret"));
    assert_string_equal(f.argv[1], "--password=");
    free(out);
}

static void
test_lookalikes_kept(void **state)
{
    (void) state;
    //  "--password" as the value of another option, and as argv[0], is not
    //  the flag; nor is "--passwords"
    fake_argv_t f;
    fake_argv(&f, (const char *const[]) { "--password", "--id", "--password", "--passwords", "x",
                                          "--help", NULL });
    char **out = NULL;
    int out_argc = 0;
    assert_int_equal(cp_secret_args_strip(f.argc, f.argv, &out, &out_argc), 0);
    expect_args(out, out_argc, (const char *const[]) { "--password", "--id", "--password", "--passwords", "x",
                                                       "--help", NULL });
    free(out);
    //  A trailing flag without a value (refused by the parser anyway)
    fake_argv(&f, (const char *const[]) { "chargepointd", "--password", NULL });
    assert_int_equal(cp_secret_args_strip(f.argc, f.argv, &out, &out_argc), 1);
    expect_args(out, out_argc, (const char *const[]) { "chargepointd", NULL });
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separate_value),
        cmocka_unit_test(test_equals_form_and_repeats),
        cmocka_unit_test(test_lookalikes_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
