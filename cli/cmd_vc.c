/* cmd_vc.c: `mez vc` (being written). */
#include <stdio.h>
#include "mez_cli.h"

int mez_cmd_vc(apr_pool_t *p, int argc, const char *const *argv)
{
    fprintf(stderr, "mez vc: not built yet\n");
    return MEZ_EXIT_USAGE;
}
