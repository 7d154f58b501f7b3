/* actors.h — the actors the supervisor runs, in start order, each with its
 * criticality. Adding an actor is one line in actors.c. */
#ifndef CP_SUPERVISOR_ACTORS_H
#define CP_SUPERVISOR_ACTORS_H

#include <czmq.h>
#include <stdbool.h>

typedef struct {
    const char *name;
    zactor_fn *main;
    //  In a crash loop (past its restart intensity, policy.h) a critical
    //  actor escalates — the controller restarts from the durable store —
    //  while a non-critical one is left down (degraded) and retried later:
    //  charging goes on without it.
    bool critical;
} cp_actor_def_t;

extern const cp_actor_def_t cp_actor_defs[];
extern const int cp_actor_def_count;
#endif
