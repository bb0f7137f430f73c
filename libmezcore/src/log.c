/* log.c: the core's logging sink. The callback is set once at start-up (before threads), then only read,
 * which is the one piece of process-wide state the core keeps. */
#include <stdarg.h>
#include <apr_strings.h>
#include "mez/log.h"

static mez_log_fn *log_fn;
static void *log_baton;
static mez_log_level_t log_max = MEZ_LOG_WARN;

void mez_log_set(mez_log_fn *fn, void *baton, mez_log_level_t max_level)
{
    log_fn = fn;
    log_baton = baton;
    log_max = max_level;
}

int mez_log_enabled(mez_log_level_t level)
{
    return log_fn != NULL && level <= log_max;
}

void mez_log_print(const char *file, int line, mez_log_level_t level, apr_pool_t *p, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    if (!mez_log_enabled(level))
        return;
    va_start(ap, fmt);
    apr_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_fn(log_baton, level, file, line, buf);
}
