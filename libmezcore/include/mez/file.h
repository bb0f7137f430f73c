/* mez/file.h: writing a file that others read whole: created exclusively, never through a symbolic link someone
 * left in a shared directory (a spool the httpd user can write, a status directory), and on disk before it is
 * renamed or linked into place. */
#ifndef MEZ_FILE_H
#define MEZ_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Creates path (which must not exist: O_EXCL, O_NOFOLLOW) with mode, writes all of data, fsyncs and closes it.
 * 0, or -1 with errno set, the partial file removed. Callers rename(2) or link(2) it to its final name. */
int mez_file_create_durable(const char *path, const void *data, size_t len, int mode);

/* As mez_file_create_durable, the file's group being the group of the directory it is in (when the caller may give
 * it that group; else the caller's). A status file in a spool the httpd user reads is then 0640 and readable by
 * the spool's group, not by every local user. */
int mez_file_create_durable_dir_group(const char *path, const void *data, size_t len, int mode);

/* The group of the directory path is in (path's dirname); 0 with *gid, -1 with errno. */
int mez_file_dir_group(const char *path, gid_t *gid);

#endif
