/* test_did.c: CUnit suite for libmezcore's did area. */
#include "unit.h"

void unit_register_did(void)
{
    (void)unit_suite("did");
}
