/* mass_entities.c: the sovereign Mass store's entities primitive (being written; until then every path is a 404). */
#include "mass_int.h"

mez_status_t mez_mass_entities_handle(mez_mass_call_t *c)
{
    return mez_mass_no_route(c, 0);
}
