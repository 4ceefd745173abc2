/* file_read.c — opening files to read, refusing anything but regular files
 * (see file_read.h). */
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a non-regular file is, for the message. */
static const char *kind_of(mode_t mode)
{
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a pipe (FIFO)";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISSOCK(mode)) return "a socket";
    return "something else";
}

/* open() with O_NONBLOCK: a FIFO without a writer returns at once instead of
 * waiting, and fstat then refuses it. Regular files ignore the flag, but it
 * is cleared anyway so later reads behave as usual. */
static int open_regular_fd(const char *path, int *fd_out, uint64_t *size, Status *st)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return status_fail(st, LS_ERR_IO, "%s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return status_fail(st, LS_ERR_IO, "%s", strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        const char *kind = kind_of(sb.st_mode);
        close(fd);
        return status_fail(st, LS_ERR_IO, "is %s, not a regular file", kind);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    *fd_out = fd;
    *size = (uint64_t)sb.st_size;
    return LS_OK;
}

int file_open_regular(const char *path, FILE **f, uint64_t *size, Status *st)
{
    *f = NULL;
    *size = 0;
    int fd;
    int rc = open_regular_fd(path, &fd, size, st);
    if (rc) return rc;
    *f = fdopen(fd, "rb");
    if (!*f) {
        int e = errno;
        close(fd);
        return status_fail(st, LS_ERR_IO, "%s", strerror(e));
    }
    return LS_OK;
}

int file_map(FileMap *m, const char *path, size_t max_size, Status *st)
{
    memset(m, 0, sizeof *m);
    int fd;
    uint64_t size;
    int rc = open_regular_fd(path, &fd, &size, st);
    if (rc) {
        status_prefix(st, "%s", path);
        return rc;
    }
    if (size > (uint64_t)max_size) {
        close(fd);
        return status_fail(st, LS_ERR_RANGE, "%s: %llu bytes is more than the %zu allowed", path,
                           (unsigned long long)size, max_size);
    }
    if (size == 0) { /* mmap refuses length 0; an empty view needs no mapping */
        close(fd);
        m->data = (const unsigned char *)"";
        return LS_OK;
    }
    void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd); /* the mapping keeps the file open */
    if (p == MAP_FAILED) return status_fail(st, LS_ERR_IO, "%s: cannot map the file: %s", path, strerror(e));
    m->data = p;
    m->size = (size_t)size;
    return LS_OK;
}

void file_unmap(FileMap *m)
{
    if (!m) return;
    if (m->size) munmap((void *)m->data, m->size);
    memset(m, 0, sizeof *m);
}
