#include "core/err.h"
#include "engine/engine.h"
int loop_generate(struct engine *e, int idx, struct wr_err *err) { (void)e; (void)idx; return err_set(err, WR_EINVAL, "todo"); }
