/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "sim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sim_err_set(sim_err_t *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int sim_err_prefix(sim_err_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return SIM_ERR_RUN;
    char joined[SIM_ERR_MSG_MAX];
    size_t len;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(joined, sizeof joined, fmt, ap);
    va_end(ap);
    len = strlen(joined);
    /* "prefix: old message", cut at the buffer's end. */
    if (len + 2 < sizeof joined) {
        memcpy(joined + len, ": ", 3);
        strncat(joined, err->msg, sizeof joined - len - 3);
    }
    memcpy(err->msg, joined, sizeof joined);
    if (err->code == SIM_OK)
        err->code = SIM_ERR_RUN;
    return err->code;
}

void sim_err_clear(sim_err_t *err)
{
    if (err == NULL)
        return;
    err->code = SIM_OK;
    err->msg[0] = '\0';
}
