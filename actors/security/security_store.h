/* security_store.h — the security actor's durable state, its own tables
 * in the controller's SQLite store (supervisor/store.h):
 *   security_cert   the CA certificates the central system installed
 *                   (InstallCertificate), DER with their hash data, so
 *                   GetInstalledCertificateIds needs no parsing;
 *   security_log    the security log (whitepaper chapter 8): every event,
 *                   oldest first, bounded by SECURITY_LOG_MAX rows; a row
 *                   with sent = 0 is still owed to the central system as
 *                   SecurityEventNotification: the log is also the queue,
 *                   delivered in seq order, so nothing is lost across
 *                   kill -9 or power loss (WAL + synchronous=FULL);
 *   security_meta   key/value: "last_run", the run id of the last start
 *                   seen (StartupOfTheDevice once per controller start, not
 *                   per actor restart); "firmware", the version that start
 *                   ran (FirmwareUpdated when the next one runs another).
 * Bound: past SECURITY_LOG_MAX rows the oldest delivered rows go first;
 * only when every row is still owed does the oldest owed one go (counted
 * and logged): a central system that never answers cannot fill the disk.
 */
#ifndef CP_ACTORS_SECURITY_SECURITY_STORE_H
#define CP_ACTORS_SECURITY_SECURITY_STORE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include "actors/security/cert_info.h"

#define SECURITY_LOG_MAX 1000
#define SECURITY_CERT_TYPE_MAX 40

typedef struct _security_store_t security_store_t;

typedef struct {
    int64_t id;
    char type[SECURITY_CERT_TYPE_MAX + 1];
    cert_hash_data_t hash;
    unsigned char *der;            //  heap, owned by the list
    size_t der_len;
} security_cert_t;

typedef struct {
    int64_t seq;
    char type[51];
    char tech_info[256];
    int64_t at_ms;                 //  wall ms UTC
    bool sent;
} security_event_row_t;

security_store_t *security_store_new(sqlite3 *db);
//  Its tables (CREATE … IF NOT EXISTS). main creates every store's in one
//  transaction before the actors start; _new creates them too, for a store
//  opened on its own.
const char *security_store_schema(void);
void security_store_destroy(security_store_t **self_p);

//  Certificates. type NULL = all. Fills up to max into out (free with
//  security_store_free_certs); returns how many, or -1 on a store error.
int security_store_certs(security_store_t *self, const char *type, security_cert_t *out, int max);
void security_store_free_certs(security_cert_t *certs, int count);
int64_t security_store_cert_count(security_store_t *self);
int security_store_cert_add(security_store_t *self, const char *type, const cert_info_t *info);
int security_store_cert_delete(security_store_t *self, int64_t id);

//  The log. append: 0 or -1; *dropped set to the owed rows the bound
//  removed (0 normally).
int security_store_log_append(security_store_t *self, const char *type, const char *tech_info, int64_t at_ms,
                              int *dropped);
//  The oldest owed event: 1 found, 0 none, -1 error.
int security_store_log_head(security_store_t *self, security_event_row_t *row);
int security_store_log_mark_sent(security_store_t *self, int64_t seq);
int64_t security_store_log_count(security_store_t *self, bool owed_only);

//  A value of security_meta ("" when absent); set one. 0 or -1.
//  GetLog SecurityLog: the security log's events with at_ms in
//  [from_ms, to_ms], oldest first, one line each ("<ISO time> <type>
//  <techInfo>") to out. Reads through any connection to the state
//  database (the firmware actor uploads it). Returns the number of lines,
//  or -1 on a store failure.
int security_store_export_log(sqlite3 *db, FILE *out, int64_t from_ms, int64_t to_ms);

int security_store_meta_get(security_store_t *self, const char *key, char *value, size_t size);
int security_store_meta_set(security_store_t *self, const char *key, const char *value);
#endif
