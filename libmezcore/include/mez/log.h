/* mez/log.h: logging from the core through a callback the caller installs,
 * so the core never includes httpd headers (mod_mez maps it to ap_log_error, the CLI to stderr). */
#ifndef MEZ_LOG_H
#define MEZ_LOG_H

#include <apr_pools.h>

typedef enum { MEZ_LOG_ERR = 3, MEZ_LOG_WARN = 4, MEZ_LOG_INFO = 6, MEZ_LOG_DEBUG = 7 } mez_log_level_t;

typedef void mez_log_fn(void *baton, mez_log_level_t level, const char *file, int line, const char *msg);

/* Installed once at start-up, before any thread exists. */
void mez_log_set(mez_log_fn *fn, void *baton, mez_log_level_t max_level);
int mez_log_enabled(mez_log_level_t level);
void mez_log_print(const char *file, int line, mez_log_level_t level, apr_pool_t *p, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define MEZ_LOG(level, p, ...) \
    do { if (mez_log_enabled(level)) mez_log_print(__FILE__, __LINE__, (level), (p), __VA_ARGS__); } while (0)

#endif
