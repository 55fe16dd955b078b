/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * client.c - the registry of client kinds and what they share (client.h).
 */
#include "models/client.h"

#include <string.h>

extern const client_kind_t etsi014_kind;
extern const client_kind_t etsi004_kind;

/* The registry: one line per kind. */
const client_kind_t *const client_kinds[] = {
    &etsi014_kind,
    &etsi004_kind,
    NULL,
};

const client_kind_t *client_find(const client_kind_t *const *kinds, const char *element)
{
    for (size_t i = 0; kinds[i] != NULL; i++)
        if (strcmp(kinds[i]->element, element) == 0)
            return kinds[i];
    return NULL;
}

void client_count(client_t *c, uint32_t status)
{
    c->outcomes.requests++;
    c->outcomes.ok += status == 200;
    c->outcomes.bad_request += status == 400;
    c->outcomes.unavailable += status == 503;
}
