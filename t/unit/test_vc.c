/* test_vc.c: CUnit suite for libmezcore's vc area. */
#include "unit.h"

void unit_register_vc(void)
{
    (void)unit_suite("vc");
}
