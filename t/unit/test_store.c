/* test_store.c: CUnit suite for libmezcore's store area. */
#include "unit.h"

void unit_register_store(void)
{
    (void)unit_suite("store");
}
