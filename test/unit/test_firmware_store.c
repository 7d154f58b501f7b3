/* test_firmware_store.c — the firmware actor's tables (firmware_store.h):
 * a job survives a reopen field for field, the queue of statuses owed
 * included; step NONE deletes it but job ids never repeat; the installed
 * version is written only with a REBOOTING job and read by main's
 * connection of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/firmware/firmware_store.h"
#include "supervisor/store.h"

typedef struct {
    char dir[64];
    sqlite3 *db;
    firmware_store_t *store;
} fixture_t;

static void
s_open(fixture_t *f)
{
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    f->store = firmware_store_new(f->db);
    assert_non_null(f->store);
}

static void
s_close(fixture_t *f)
{
    firmware_store_destroy(&f->store);
    assert_null(f->store);
    cp_store_close(&f->db);
}

static int
s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/cp-fwstore-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    s_open(f);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void
test_empty(void **state)
{
    fixture_t *f = *state;
    fw_job_t job;
    char run[64];
    int64_t last = -1;
    assert_int_equal(firmware_store_load(f->store, &job, run, sizeof(run), &last), 0);
    assert_int_equal(last, 0);
    char version[FW_VERSION_MAX + 1] = "keep";
    assert_int_equal(firmware_store_installed_version(f->dir, version, sizeof(version)), -1);
    assert_string_equal(version, "keep");
}

static void
test_round_trip(void **state)
{
    fixture_t *f = *state;
    fw_job_t job = {
        .id = 42, .step = FW_STEP_DOWNLOADED, .tries = 5, .failed = 2, .interval_ms = 7000,
        .retrieve_ms = 1800000000000LL, .next_ms = 1800000009000LL, .held = 0x6, .report_count = 2,
    };
    snprintf(job.location, sizeof(job.location), "ftp://u:p@h/dir/fw.bin");
    snprintf(job.reports[0], sizeof(job.reports[0]), "Downloading");
    snprintf(job.reports[1], sizeof(job.reports[1]), "Downloaded");
    assert_int_equal(firmware_store_save(f->store, &job, "run-a"), 0);
    s_close(f);
    s_open(f);
    fw_job_t back;
    char run[64];
    int64_t last = 0;
    assert_int_equal(firmware_store_load(f->store, &back, run, sizeof(run), &last), 1);
    assert_int_equal(last, 42);
    assert_string_equal(run, "run-a");
    assert_memory_equal(&back, &job, sizeof(job));
    //  Not REBOOTING: no version is recorded.
    char version[FW_VERSION_MAX + 1] = "";
    assert_int_equal(firmware_store_installed_version(f->dir, version, sizeof(version)), -1);
}

static void
test_installed_version_and_delete(void **state)
{
    fixture_t *f = *state;
    fw_job_t job = { .id = 3, .step = FW_STEP_REBOOTING, .tries = 1 };
    snprintf(job.version, sizeof(job.version), "9.9.9");
    assert_int_equal(firmware_store_save(f->store, &job, "run-b"), 0);
    char version[FW_VERSION_MAX + 1] = "";
    assert_int_equal(firmware_store_installed_version(f->dir, version, sizeof(version)), 0);
    assert_string_equal(version, "9.9.9");
    //  Forgotten: the row goes, the version and the last id stay.
    fw_job_t none = { .id = 3, .step = FW_STEP_NONE };
    assert_int_equal(firmware_store_save(f->store, &none, "run-c"), 0);
    fw_job_t back;
    char run[64];
    int64_t last = 0;
    assert_int_equal(firmware_store_load(f->store, &back, run, sizeof(run), &last), 0);
    assert_int_equal(last, 3);
    assert_int_equal(firmware_store_installed_version(f->dir, version, sizeof(version)), 0);
    assert_string_equal(version, "9.9.9");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_empty),
        T(test_round_trip),
        T(test_installed_version_and_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
