/* test_file.c — cp_file_replace (supervisor/file.h): the new content with
 * the asked mode whatever the umask, no temporary left behind, the old
 * content kept when the write cannot happen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "supervisor/file.h"
#include "bench.h"

static void
s_read(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
}

static int
s_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void
test_replace(void **state)
{
    char dir[64];
    bench_state_dir(dir, sizeof(dir), "file");
    char path[128];
    snprintf(path, sizeof(path), "%s/key.pem", dir);
    mode_t old = umask(0);                          //  the mode must not come from the umask
    assert_int_equal(cp_file_replace(path, "first", 5, 0600), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(cp_file_replace(path, "second\n", 7, 0644), 0);
    char text[32];
    s_read(path, text, sizeof(text));
    assert_string_equal(text, "second\n");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(s_entries(dir), 1);            //  no temporary left
    //  Into a directory that does not exist: refused, nothing created.
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/none/key.pem", dir);
    assert_int_equal(cp_file_replace(missing, "x", 1, 0600), -1);
    s_read(path, text, sizeof(text));
    assert_string_equal(text, "second\n");
    bench_state_dir_remove(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
