/* actors.h — the actors the supervisor runs, in start order. Adding an
 * actor is one line here. */
#ifndef CP_SUPERVISOR_ACTORS_H
#define CP_SUPERVISOR_ACTORS_H

#include <czmq.h>

typedef struct {
    const char *name;
    zactor_fn *main;
} cp_actor_def_t;

extern const cp_actor_def_t cp_actor_defs[];
extern const int cp_actor_def_count;
#endif
