/* placeholder: being written */
#include "models/storage.h"
static int setup(storage_link_t *sl, const scn_elem_t *e, sim_err_t *err)
{ (void)sl; return scn_error(e, err, "storage design collide: not built yet"); }
const storage_design_t storage_collide = { .name = "collide", .setup = setup };
