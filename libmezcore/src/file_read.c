/* file_read.c: mez_file_open_regular, mez_file_open_regular_or_problem and mez_file_kind (mez/file.h). */
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mez/file.h"
#include "mez/problem.h"

const char *mez_file_kind(const struct stat *st)
{
    if (S_ISREG(st->st_mode))
        return "a regular file";
    if (S_ISDIR(st->st_mode))
        return "a directory";
    if (S_ISFIFO(st->st_mode))
        return "a named pipe (FIFO)";
    if (S_ISCHR(st->st_mode))
        return "a character device";
    if (S_ISBLK(st->st_mode))
        return "a block device";
    if (S_ISSOCK(st->st_mode))
        return "a socket";
    return "not a regular file";
}

int mez_file_open_regular(const char *path, struct stat *st)
{
    /* O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever when there is none (httpd at
     * start-up, `mez pack build`), and some devices wait too. The open itself is the only step that could wait;
     * fstat then looks at what was opened, so nothing can be swapped in between the check and the read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), flags, saved;
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        errno = 0;
        return -1;
    }
    /* A regular file ignores O_NONBLOCK on Linux; cleared anyway, so reads behave as everywhere else. */
    if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int mez_file_open_regular_or_problem(apr_pool_t *p, const char *path, struct stat *st, mez_problem_t *pb)
{
    int fd = mez_file_open_regular(path, st);
    if (fd >= 0)
        return fd;
    if (errno == 0)
        mez_problem(pb, p, MEZ_EIO, 500, "io.read", NULL, "%s is %s, not a regular file", path, mez_file_kind(st));
    else
        mez_problem(pb, p, MEZ_EIO, 500, "io.open", NULL, "cannot open %s: %s", path, strerror(errno));
    return -1;
}
