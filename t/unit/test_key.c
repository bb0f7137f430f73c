/* test_key.c: CUnit suite for libmezcore's key area. */
#include "unit.h"

void unit_register_key(void)
{
    (void)unit_suite("key");
}
