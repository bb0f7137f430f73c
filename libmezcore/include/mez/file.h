/* mez/file.h: writing a file that others read whole: created exclusively, never through a symbolic link someone
 * left in a shared directory (a spool the httpd user can write, a status directory), and on disk before it is
 * renamed or linked into place. */
#ifndef MEZ_FILE_H
#define MEZ_FILE_H

#include <stddef.h>

/* Creates path (which must not exist: O_EXCL, O_NOFOLLOW) with mode, writes all of data, fsyncs and closes it.
 * 0, or -1 with errno set, the partial file removed. Callers rename(2) or link(2) it to its final name. */
int mez_file_create_durable(const char *path, const void *data, size_t len, int mode);

#endif
