/* cmd_db.c: `mez db` (being written). */
#include <stdio.h>
#include "mez_cli.h"

int mez_cmd_db(apr_pool_t *p, int argc, const char *const *argv)
{
    fprintf(stderr, "mez db: not built yet\n");
    return MEZ_EXIT_USAGE;
}
