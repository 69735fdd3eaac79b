/* A made-up anet.c for the reader's test (fixture code, not Redis's). */

#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>

static void anetSetError(char *err, const char *fmt, ...) {
    va_list ap;

    if (err == NULL) return;
    va_start(ap, fmt);
    vsnprintf(err, 256, fmt, ap);
    va_end(ap);
}

int anetNonBlock(char *err, int fd) {
    int flags = fcntl(fd, F_GETFL);

    if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
        anetSetError(err, "fcntl: cannot make fd %d non-blocking", fd);
        return -1;
    }
    return 0;
}
