/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * grow.h - room in an array that grows by doubling, the one way every
 * module grows its arrays (amortised O(1) per element).
 */
#ifndef QKM_SIM_GROW_H
#define QKM_SIM_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* v, an array of *cap elements of `size` bytes, with room for at least
 * `want` (>= 1): v itself when it has it, else v moved by realloc to the
 * first capacity `first` (when *cap is 0) or *cap doubled as often as
 * needed, *cap updated. NULL when out of memory or when the bytes would
 * overflow: then v and *cap are unchanged (v is still the caller's).
 * Usage: T *p = grow_room(a->v, &a->cap, a->n + 1, sizeof *p, 16);
 *        if (p == NULL) ...out of memory...; a->v = p; */
static inline void *grow_room(void *v, size_t *cap, size_t want, size_t size, size_t first)
{
    size_t c = *cap == 0 ? first : *cap;
    void *p;

    if (want <= *cap)
        return v;
    while (c < want) {
        if (c > SIZE_MAX / 2)
            return NULL;
        c *= 2;
    }
    if (size == 0 || c > SIZE_MAX / size || (p = realloc(v, c * size)) == NULL)
        return NULL;
    *cap = c;
    return p;
}

#endif
