/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * harness.h - what the CUnit test programs share: running a suite, a
 * scratch folder, and a storage design on one link driven by hand.
 *
 * Prefix th_. Test code only; nothing here is part of libqkmsim.
 */
#ifndef QKM_TESTS_HARNESS_H
#define QKM_TESTS_HARNESS_H

#include <CUnit/Basic.h>
#include <stddef.h>
#include <stdint.h>

#include "models/kstore.h"
#include "models/model.h"
#include "models/storage.h"
#include "sim/kernel.h"
#include "sim/scenario.h"

typedef struct th_test {
    const char *name;
    CU_TestFunc fn;
} th_test_t;

/* Creates a scratch folder (its path in th_dir), registers the tests
 * (NULL-terminated by a {NULL, NULL} entry) as one suite, runs them in
 * verbose mode, frees libxml2's globals, removes the folder with the
 * files in it, and returns 0 when every assertion held, 1 otherwise. */
int th_main(const char *suite, const th_test_t *tests);

/* The scratch folder of th_main ("" before it runs). */
extern char th_dir[];

/* Writes text to th_dir/name and returns the path in buf. -1 on failure. */
int th_write_file(const char *name, const char *text, char *buf, size_t len);

/* Writes body to th_dir/s.xml and loads it (scn_load, no overrides). */
int th_load(const char *body, scn_t **scn, sim_err_t *err);

/* Asserts that rc is SIM_ERR_INPUT and that the message holds `want` and
 * `where` (e.g. "s.xml:3:"); prints the message when it does not. */
void th_expect_input_error(int rc, const sim_err_t *err, const char *want, const char *where);

/* ------------------------------------------------------------ a design alone */

#define TH_MAX_STORES 64
#define TH_MAX_APPS 16

/* One link with a storage design, its stores made through a recording
 * factory, and a kernel to run its timers. */
typedef struct th_link {
    sim_t *sim;
    model_ctx_t ctx;
    scn_t *scn;                       /* holds the <storage> element */
    storage_link_t sl;
    storage_app_t apps[TH_MAX_APPS];
    kstore_t *stores[TH_MAX_STORES];  /* in the order made: pairs a, b */
    char roles[TH_MAX_STORES][STORAGE_ROLE_MAX];
    size_t nstores;
} th_link_t;

/* Sets up a link with `ndevices` devices, store config cfg and the given
 * clients (copied) under the design that `storage_xml` selects (a whole
 * <storage .../> element, or NULL for the default design). The run ends
 * at `end` ns (ctx.end). Returns the setup's code; err says why. */
int th_link_setup(th_link_t *h, const char *storage_xml, const kstore_config_t *cfg,
                  size_t ndevices, const storage_app_t *apps, size_t napps, int64_t end,
                  sim_err_t *err);

/* Calls the design's start. */
int th_link_start(th_link_t *h, sim_err_t *err);

/* The store of `role` at `end`, NULL when the design made none. */
kstore_t *th_store(const th_link_t *h, const char *role, int end);

/* The store of `role` at `end`; a fatal assertion when there is none. */
kstore_t *th_store_of(const th_link_t *h, const char *role, int end);

/* Its level, bits. */
uint64_t th_level(const th_link_t *h, const char *role, int end);

/* Asserts that both ends of `role` hold `bits`. */
void th_assert_pair_level(const th_link_t *h, const char *role, uint64_t bits);

/* Client app's GET_KEY for `bits` (no format waste) at `now`, asserting
 * that the design returns SIM_OK; true when granted. */
bool th_get_key(th_link_t *h, size_t app, uint64_t bits, int64_t now);

/* Delivers `bits` of device `device`'s stream (stream device + 1, offset
 * as given) at `now`, cause GENERATED (INITIAL when now is 0). */
int th_deliver(th_link_t *h, size_t device, uint64_t offset, uint64_t bits, int64_t now,
               sim_err_t *err);

/* Runs the kernel until `until` (ns); returns the run's first failure. */
int th_run(th_link_t *h, int64_t until);

/* True when every store's accounts close and, over all stores,
 * moved_in == moved_out. */
bool th_accounts_close(const th_link_t *h);

void th_link_free(th_link_t *h);

#endif
