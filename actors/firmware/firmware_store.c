/* firmware_store.c — see firmware_store.h. The queue of statuses owed is
 * kept as one comma-separated column: it is short (FW_REPORTS_MAX) and
 * always read and written whole. */
#include "actors/firmware/firmware_store.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/log.h"
#include "supervisor/store.h"

#define FW_LOG "firmware"

struct _firmware_store_t {
    sqlite3 *db;
    sqlite3_stmt *put, *del, *get, *meta_put, *meta_get;
};

static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS firmware_job ("
    " one INTEGER PRIMARY KEY CHECK (one = 1), id INTEGER NOT NULL, step INTEGER NOT NULL,"
    " location TEXT NOT NULL, tries INTEGER NOT NULL, failed INTEGER NOT NULL,"
    " interval_ms INTEGER NOT NULL, retrieve_ms INTEGER NOT NULL, next_ms INTEGER NOT NULL,"
    " held INTEGER NOT NULL, version TEXT NOT NULL, reports TEXT NOT NULL, run_id TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS firmware_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

const char *
firmware_store_schema(void)
{
    return s_schema;
}

firmware_store_t *
firmware_store_new(sqlite3 *db)
{
    assert(db);
    firmware_store_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->db = db;
    if (cp_store_schema(db, s_schema) != 0
    ||  cp_store_prepare(db, "INSERT OR REPLACE INTO firmware_job (one, id, step, location, tries, failed,"
                         " interval_ms, retrieve_ms, next_ms, held, version, reports, run_id)"
                         " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &self->put) != 0
    ||  cp_store_prepare(db, "DELETE FROM firmware_job", &self->del) != 0
    ||  cp_store_prepare(db, "SELECT id, step, location, tries, failed, interval_ms, retrieve_ms, next_ms,"
                         " held, version, reports, run_id FROM firmware_job WHERE one = 1", &self->get) != 0
    ||  cp_store_prepare(db, "INSERT OR REPLACE INTO firmware_meta (key, value) VALUES (?, ?)",
                         &self->meta_put) != 0
    ||  cp_store_prepare(db, "SELECT value FROM firmware_meta WHERE key = ?", &self->meta_get) != 0) {
        firmware_store_destroy(&self);
        return NULL;
    }
    return self;
}

void
firmware_store_destroy(firmware_store_t **self_p)
{
    assert(self_p);
    firmware_store_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize(self->put);
    sqlite3_finalize(self->del);
    sqlite3_finalize(self->get);
    sqlite3_finalize(self->meta_put);
    sqlite3_finalize(self->meta_get);
    free(self);
    *self_p = NULL;
}

static int
s_meta_put(firmware_store_t *self, const char *key, const char *value)
{
    sqlite3_bind_text(self->meta_put, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(self->meta_put, 2, value, -1, SQLITE_STATIC);
    return cp_store_run(self->db, self->meta_put, FW_LOG, key, false) < 0 ? -1 : 0;
}

int
firmware_store_save(firmware_store_t *self, const fw_job_t *job, const char *run_id)
{
    assert(self && job && run_id);
    char reports[FW_REPORTS_MAX * 21 + 1] = "";
    for (int i = 0; i < job->report_count; i++) {
        size_t used = strlen(reports);
        snprintf(reports + used, sizeof(reports) - used, "%s%s", i ? "," : "", job->reports[i]);
    }
    if (cp_store_exec(self->db, "BEGIN IMMEDIATE") != 0)
        return -1;
    int rc = 0;
    if (job->step == FW_STEP_NONE)
        rc = cp_store_run(self->db, self->del, FW_LOG, "delete job", false) < 0 ? -1 : 0;
    else {
        sqlite3_stmt *s = self->put;
        sqlite3_bind_int64(s, 1, job->id);
        sqlite3_bind_int(s, 2, (int) job->step);
        sqlite3_bind_text(s, 3, job->location, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, job->tries);
        sqlite3_bind_int(s, 5, job->failed);
        sqlite3_bind_int64(s, 6, job->interval_ms);
        sqlite3_bind_int64(s, 7, job->retrieve_ms);
        sqlite3_bind_int64(s, 8, job->next_ms);
        sqlite3_bind_int64(s, 9, job->held);
        sqlite3_bind_text(s, 10, job->version, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 11, reports, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 12, run_id, -1, SQLITE_STATIC);
        rc = cp_store_run(self->db, s, FW_LOG, "save job", false) < 0 ? -1 : 0;
    }
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long) job->id);
    if (rc == 0)
        rc = s_meta_put(self, "last_id", id);
    //  A signed job's certificate and signature (SignedUpdateFirmware):
    //  in the same transaction as the job, so a restart never installs a
    //  signed job's image unverified
    if (rc == 0) {
        char *text = NULL;
        if (job->step != FW_STEP_NONE && job->signed_fw) {
            json_t *sig = json_pack("{s:I, s:i, s:s, s:s}", "job", (json_int_t) job->id, "requestId",
                                    job->request_id, "cert", job->signing_cert, "signature", job->signature);
            text = sig ? json_dumps(sig, JSON_COMPACT) : NULL;
            json_decref(sig);
            if (!text)
                rc = -1;
        }
        if (rc == 0)
            rc = s_meta_put(self, "signed", text ? text : "");
        free(text);
    }
    if (rc == 0 && job->step == FW_STEP_REBOOTING && job->version[0])
        rc = s_meta_put(self, "installed_version", job->version);
    if (rc != 0 || cp_store_exec(self->db, "COMMIT") != 0) {
        cp_store_exec(self->db, "ROLLBACK");
        return -1;
    }
    return 0;
}

static void
s_text(sqlite3_stmt *s, int col, char *out, size_t size)
{
    const unsigned char *text = sqlite3_column_text(s, col);
    snprintf(out, size, "%s", text ? (const char *) text : "");
}

int
firmware_store_load(firmware_store_t *self, fw_job_t *job, char *run_id, size_t run_id_size, int64_t *last_id)
{
    assert(self && job && run_id && last_id);
    memset(job, 0, sizeof(*job));
    *last_id = 0;
    sqlite3_bind_text(self->meta_get, 1, "last_id", -1, SQLITE_STATIC);
    int rc = sqlite3_step(self->meta_get);
    if (rc == SQLITE_ROW)
        *last_id = strtoll((const char *) sqlite3_column_text(self->meta_get, 0), NULL, 10);
    cp_store_reset(self->meta_get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        cp_error(FW_LOG, "cannot read the last job id: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    sqlite3_stmt *s = self->get;
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        cp_store_reset(s);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        cp_error(FW_LOG, "cannot read the firmware job: %s", sqlite3_errmsg(self->db));
        cp_store_reset(s);
        return -1;
    }
    job->id = sqlite3_column_int64(s, 0);
    int step = sqlite3_column_int(s, 1);
    job->step = step >= FW_STEP_NONE && step <= FW_STEP_FINISHED ? (fw_step_t) step : FW_STEP_FINISHED;
    s_text(s, 2, job->location, sizeof(job->location));
    job->tries = sqlite3_column_int(s, 3);
    job->failed = sqlite3_column_int(s, 4);
    job->interval_ms = sqlite3_column_int64(s, 5);
    job->retrieve_ms = sqlite3_column_int64(s, 6);
    job->next_ms = sqlite3_column_int64(s, 7);
    job->held = sqlite3_column_int64(s, 8);
    s_text(s, 9, job->version, sizeof(job->version));
    char reports[FW_REPORTS_MAX * 21 + 1];
    s_text(s, 10, reports, sizeof(reports));
    s_text(s, 11, run_id, run_id_size);
    cp_store_reset(s);
    char *save = NULL;
    for (char *tok = strtok_r(reports, ",", &save); tok && job->report_count < FW_REPORTS_MAX;
         tok = strtok_r(NULL, ",", &save))
        snprintf(job->reports[job->report_count++], sizeof(job->reports[0]), "%s", tok);
    if (job->id > *last_id)
        *last_id = job->id;
    sqlite3_bind_text(self->meta_get, 1, "signed", -1, SQLITE_STATIC);
    if (sqlite3_step(self->meta_get) == SQLITE_ROW) {
        const char *text = (const char *) sqlite3_column_text(self->meta_get, 0);
        json_t *sig = text && text[0] ? json_loads(text, 0, NULL) : NULL;
        json_int_t id = json_integer_value(json_object_get(sig, "job"));
        const char *cert = json_string_value(json_object_get(sig, "cert"));
        const char *signature = json_string_value(json_object_get(sig, "signature"));
        if (sig && id == job->id && cert && signature) {
            job->signed_fw = true;
            job->request_id = (int) json_integer_value(json_object_get(sig, "requestId"));
            snprintf(job->signing_cert, sizeof(job->signing_cert), "%s", cert);
            snprintf(job->signature, sizeof(job->signature), "%s", signature);
        }
        json_decref(sig);
    }
    cp_store_reset(self->meta_get);
    return 1;
}

int
firmware_store_installed_version(const char *state_dir, char *out, size_t out_size)
{
    char err[256];
    sqlite3 *db = cp_store_open_readonly(state_dir, err, sizeof(err));
    if (!db)
        return -1;
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT value FROM firmware_meta WHERE key = 'installed_version'", -1, &s, NULL)
        == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(s, 0);
        if (text && text[0]) {
            snprintf(out, out_size, "%s", (const char *) text);
            rc = 0;
        }
    }
    sqlite3_finalize(s);
    cp_store_close(&db);
    return rc;
}
