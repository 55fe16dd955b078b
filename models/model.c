/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "models/model.h"

#include <string.h>

void model_fail(model_ctx_t *ctx, const sim_err_t *e)
{
    if (!ctx->failed) {
        ctx->failed = true;
        ctx->err = *e;
        if (ctx->err.code == SIM_OK)
            ctx->err.code = SIM_ERR_RUN;
    }
    sim_stop(ctx->sim);
}
