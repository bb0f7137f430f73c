/* version.c: the version string, from configure's AC_INIT. */
#include "config.h"
#include "mez/version.h"

const char *mez_version(void)
{
    return PACKAGE_VERSION;
}
