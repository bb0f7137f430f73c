/* test_digest.c: CUnit suite for libmezcore's digest area. */
#include "unit.h"

void unit_register_digest(void)
{
    (void)unit_suite("digest");
}
