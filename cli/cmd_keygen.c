/* cmd_keygen.c: `mez keygen` (being written). */
#include <stdio.h>
#include "mez_cli.h"

int mez_cmd_keygen(apr_pool_t *p, int argc, const char *const *argv)
{
    fprintf(stderr, "mez keygen: not built yet\n");
    return MEZ_EXIT_USAGE;
}
