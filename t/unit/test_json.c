/* test_json.c: CUnit suite for libmezcore's json area. */
#include "unit.h"

void unit_register_json(void)
{
    (void)unit_suite("json");
}
