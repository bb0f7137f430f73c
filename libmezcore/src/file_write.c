/* file_write.c: mez_file_create_durable, _at and _dir_group (mez/file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mez/file.h"

int mez_file_dir_group(const char *path, gid_t *gid)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    struct stat st;
    int rc;
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir)
        return -1;
    rc = stat(dir, &st);
    free(dir);
    if (rc != 0)
        return -1;
    *gid = st.st_gid;
    return 0;
}

/* path relative to dirfd (AT_FDCWD: as open(2) takes it); gid (gid_t)-1: the creator's group. */
static int create_durable(int dirfd, const char *path, const void *data, size_t len, int mode, gid_t gid)
{
    const char *p = data;
    size_t off = 0;
    int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode), saved;
    if (fd < 0)
        return -1;
    /* Before a byte is written; a caller that may not give the group keeps its own (the file is still mode). */
    if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) != 0) {
        if (errno != EPERM) {
            saved = errno;
            close(fd);
            unlinkat(dirfd, path, 0);
            errno = saved;
            return -1;
        }
        errno = 0;
    }
    fchmod(fd, (mode_t)mode);           /* the umask does not decide who may read it */
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (off < len || fsync(fd) != 0) {
        saved = off < len && !errno ? EIO : errno;
        close(fd);
        unlinkat(dirfd, path, 0);
        errno = saved;
        return -1;
    }
    if (close(fd) != 0) {
        saved = errno;
        unlinkat(dirfd, path, 0);
        errno = saved;
        return -1;
    }
    return 0;
}

int mez_file_create_durable(const char *path, const void *data, size_t len, int mode)
{
    return create_durable(AT_FDCWD, path, data, len, mode, (gid_t)-1);
}

int mez_file_create_durable_at(int dirfd, const char *name, const void *data, size_t len, int mode)
{
    return create_durable(dirfd, name, data, len, mode, (gid_t)-1);
}

int mez_file_create_durable_dir_group(const char *path, const void *data, size_t len, int mode)
{
    gid_t gid;
    if (mez_file_dir_group(path, &gid) != 0)
        return -1;
    return create_durable(AT_FDCWD, path, data, len, mode, gid);
}
