/* file_write.c: mez_file_create_durable (mez/file.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mez/file.h"

int mez_file_create_durable(const char *path, const void *data, size_t len, int mode)
{
    const char *p = data;
    size_t off = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode), saved;
    if (fd < 0)
        return -1;
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
        unlink(path);
        errno = saved;
        return -1;
    }
    if (close(fd) != 0) {
        saved = errno;
        unlink(path);
        errno = saved;
        return -1;
    }
    return 0;
}
