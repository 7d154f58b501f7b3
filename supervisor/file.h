/* file.h — replacing a small file durably: what a power cut leaves is the
 * old content or the new, never a mix. Used where state lives in files of
 * its own rather than in the store (certificates and keys, the trust
 * bundle the link reads).
 */
#ifndef CP_SUPERVISOR_FILE_H
#define CP_SUPERVISOR_FILE_H

#include <stddef.h>
#include <sys/types.h>

//  path = text[len] with mode (whatever the umask): a temporary beside it
//  (".NAME.tmp"), fsync, rename over path, fsync of the directory. 0, or
//  -1 with errno set and the temporary removed.
int cp_file_replace(const char *path, const char *text, size_t len, mode_t mode);
#endif
