/* secret_args.h — keep the --password value out of the process table.
 *
 * Anyone on the machine can read a process's command line (ps,
 * /proc/PID/cmdline), so a password given with --password would be
 * visible for as long as the controller runs. main() therefore takes the
 * value out of argv right after parsing: the bytes in the process's own
 * argument area are wiped, and every later use of the command line (the
 * actor processes of --split, the re-exec of a Hard reset) gets a copy
 * without the option. The password reaches those processes through
 * CHARGEPOINTD_PASSWORD instead, which only the same user (or root) can
 * read (/proc/PID/environ is mode 0400).
 */
#ifndef CP_SUPERVISOR_SECRET_ARGS_H
#define CP_SUPERVISOR_SECRET_ARGS_H

//  Builds in *out_argv a NULL-terminated copy of argv (argc entries) without
//  "--password VALUE" and "--password=VALUE", and wipes the bytes of every
//  such VALUE in place (so /proc/PID/cmdline shows empty strings there).
//  The copy's strings are argv's own. *out_argc is its length. Returns how
//  many passwords were removed (0: *out_argv is still a fresh copy), or -1
//  when out of memory (argv untouched). Free *out_argv with free().
int cp_secret_args_strip(int argc, char **argv, char ***out_argv, int *out_argc);

#endif
