/* mez/file.h: writing a file that others read whole: created exclusively, never through a symbolic link someone
 * left in a shared directory (a spool the httpd user can write, a status directory), and on disk before it is
 * renamed or linked into place; and opening a file to read whole without ever waiting on a named pipe or a
 * device put where a file belongs. */
#ifndef MEZ_FILE_H
#define MEZ_FILE_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/stat.h>

/* Creates path (which must not exist: O_EXCL, O_NOFOLLOW) with mode, writes all of data, fsyncs and closes it.
 * 0, or -1 with errno set, the partial file removed. Callers rename(2) or link(2) it to its final name. */
int mez_file_create_durable(const char *path, const void *data, size_t len, int mode);

/* The same, name relative to the directory dirfd (openat): for a writer that holds the directory open so that no
 * component of its path can be swapped for a link (the CAS, which root writes in directories others may). */
int mez_file_create_durable_at(int dirfd, const char *name, const void *data, size_t len, int mode);

/* As mez_file_create_durable, the file's group being the group of the directory it is in (when the caller may give
 * it that group; else the caller's). A status file in a spool the httpd user reads is then 0640 and readable by
 * the spool's group, not by every local user. */
int mez_file_create_durable_dir_group(const char *path, const void *data, size_t len, int mode);

/* The group of the directory path is in (path's dirname); 0 with *gid, -1 with errno. */
int mez_file_dir_group(const char *path, gid_t *gid);
/* Opens path read-only (O_CLOEXEC) to be read whole, without waiting: the open does not block, so a FIFO with no
 * writer or a device cannot hang the caller, and the descriptor is then checked with fstat, so what is checked is
 * what is read. Returns the descriptor (blocking again) with st filled; -1 with errno set when path cannot be
 * opened; -1 with errno 0 and st filled when it is not a regular file (mez_file_kind(st) says what it is). */
int mez_file_open_regular(const char *path, struct stat *st);

/* "a directory", "a named pipe (FIFO)", "a character device", ...: what st is, for messages. */
const char *mez_file_kind(const struct stat *st);

/* mez_file_open_regular with its refusal as a problem: "io.read" (500, "PATH is a named pipe (FIFO), not a
 * regular file") or "io.open" (500, with the system's reason). The descriptor, or -1 with pb set. */
struct apr_pool_t;
struct mez_problem_t;
int mez_file_open_regular_or_problem(struct apr_pool_t *p, const char *path, struct stat *st,
                                     struct mez_problem_t *pb);

#endif
