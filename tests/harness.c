/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * harness.c - shared test scaffolding (harness.h).
 */
#include "tests/harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char th_dir[64] = "";

/* Removes th_dir and the files the tests left in it. */
static void th_remove_dir(void)
{
    DIR *d = opendir(th_dir);
    struct dirent *e;
    char path[512];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", th_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(th_dir);
}

int th_main(const char *suite_name, const th_test_t *tests)
{
    CU_pSuite suite;
    unsigned failed;

    snprintf(th_dir, sizeof th_dir, "/tmp/qkm_test_XXXXXX");
    if (mkdtemp(th_dir) == NULL || CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    suite = CU_add_suite(suite_name, NULL, NULL);
    if (suite == NULL)
        goto fail;
    for (size_t i = 0; tests[i].name != NULL; i++)
        if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL)
            goto fail;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    scn_library_cleanup();
    th_remove_dir();
    return failed > 0 ? 1 : 0;
fail:
    CU_cleanup_registry();
    th_remove_dir();
    return 1;
}

int th_write_file(const char *name, const char *text, char *buf, size_t len)
{
    FILE *f;
    int n = snprintf(buf, len, "%s/%s", th_dir, name);

    if (n < 0 || (size_t)n >= len || (f = fopen(buf, "w")) == NULL)
        return -1;
    fputs(text, f);
    return fclose(f) == 0 ? 0 : -1;
}

int th_load(const char *body, scn_t **scn, sim_err_t *err)
{
    char path[256];
    if (th_write_file("s.xml", body, path, sizeof path) != 0)
        return sim_err_set(err, SIM_ERR_RUN, "cannot write %s", path);
    return scn_load(path, NULL, 0, scn, err);
}

void th_expect_input_error(int rc, const sim_err_t *err, const char *want, const char *where)
{
    const bool found = strstr(err->msg, want) != NULL && strstr(err->msg, where) != NULL;
    CU_ASSERT_EQUAL(rc, SIM_ERR_INPUT);
    CU_ASSERT_TRUE(found);
    if (rc != SIM_ERR_INPUT || !found)
        fprintf(stderr, "\n  wanted '%s' at '%s'; message was: %s\n", want, where, err->msg);
}

/* ------------------------------------------------------------ a design alone */

static void th_on_expiry(sim_t *sim, void *object, uint64_t arg)
{
    th_link_t *h = object;
    sim_err_t err;
    if (kstore_on_timer(h->stores[arg], sim_now(sim), &err) != SIM_OK)
        model_fail(&h->ctx, &err);
}

static int th_timer(void *ctx, kstore_t *store, int64_t due, sim_err_t *err)
{
    th_link_t *h = ctx;
    if (due > h->ctx.end)
        return SIM_OK;
    if (sim_schedule_at(h->sim, due, th_on_expiry, h, kstore_id(store)) == 0)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return SIM_OK;
}

static int th_make_stores(void *owner, storage_link_t *sl, const char *role,
                          const kstore_config_t *cfg, bool synced, kstore_t *pair[2],
                          sim_err_t *err)
{
    th_link_t *h = owner;
    (void)sl;
    (void)synced;
    if (h->nstores + 2 > TH_MAX_STORES)
        return sim_err_set(err, SIM_ERR_RUN, "harness: too many stores");
    for (int end = 0; end < 2; end++) {
        const size_t i = h->nstores;
        if ((h->stores[i] = kstore_create(cfg, (uint32_t)i)) == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        h->nstores++;
        snprintf(h->roles[i], sizeof h->roles[i], "%s", role);
        if (kstore_set_timer(h->stores[i], th_timer, h, err) != SIM_OK)
            return SIM_ERR_RUN;
        pair[end] = h->stores[i];
    }
    return SIM_OK;
}

int th_link_setup(th_link_t *h, const char *storage_xml, const kstore_config_t *cfg,
                  size_t ndevices, const storage_app_t *apps, size_t napps, int64_t end,
                  sim_err_t *err)
{
    const scn_elem_t *e = NULL;
    char path[256], text[2048];
    int rc;

    memset(h, 0, sizeof *h);
    if ((h->sim = sim_create()) == NULL || napps > TH_MAX_APPS)
        return sim_err_set(err, SIM_ERR_RUN, "harness: cannot set up");
    h->ctx = (model_ctx_t){ .sim = h->sim, .seed = 1, .run = 0, .end = end };
    if (storage_xml != NULL) {
        snprintf(text, sizeof text,
                 "<scenario name='t' duration='1s'>%s</scenario>\n", storage_xml);
        if (th_write_file("storage.xml", text, path, sizeof path) != 0)
            return sim_err_set(err, SIM_ERR_RUN, "harness: cannot write %s", path);
        if ((rc = scn_load(path, NULL, 0, &h->scn, err)) != SIM_OK)
            return rc;
        e = scn_child(h->scn->root, "storage");
    }
    if (napps > 0)
        memcpy(h->apps, apps, napps * sizeof *apps);
    h->sl = (storage_link_t){ .index = 0, .id = "L", .node_id = { "A", "B" },
                              .ndevices = ndevices, .ctx = &h->ctx, .cfg = *cfg,
                              .apps = h->apps, .napps = napps,
                              .make_store = th_make_stores, .owner = h };
    if ((rc = storage_select(e, &h->sl.design, err)) != SIM_OK)
        return rc;
    return storage_setup(&h->sl, e, err);
}

int th_link_start(th_link_t *h, sim_err_t *err)
{
    return h->sl.design->start != NULL ? h->sl.design->start(&h->sl, err) : SIM_OK;
}

kstore_t *th_store(const th_link_t *h, const char *role, int end)
{
    for (size_t i = 0; i + 1 < h->nstores; i += 2)
        if (strcmp(h->roles[i], role) == 0)
            return h->stores[i + (size_t)end];
    return NULL;
}

kstore_t *th_store_of(const th_link_t *h, const char *role, int end)
{
    kstore_t *s = th_store(h, role, end);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

uint64_t th_level(const th_link_t *h, const char *role, int end)
{
    return kstore_level(th_store_of(h, role, end));
}

void th_assert_pair_level(const th_link_t *h, const char *role, uint64_t bits)
{
    CU_ASSERT_EQUAL(th_level(h, role, STORAGE_END_A), bits);
    CU_ASSERT_EQUAL(th_level(h, role, STORAGE_END_B), bits);
}

bool th_get_key(th_link_t *h, size_t app, uint64_t bits, int64_t now)
{
    kstore_rangebuf_t out = { 0 };
    uint64_t ticket = 0;
    bool granted = false;
    sim_err_t err;

    CU_ASSERT_EQUAL(h->sl.design->get_key(&h->sl, app, bits, 0, now, &out, &ticket, &granted,
                                          &err), SIM_OK);
    kstore_rangebuf_free(&out);
    return granted;
}

int th_deliver(th_link_t *h, size_t device, uint64_t offset, uint64_t bits, int64_t now,
               sim_err_t *err)
{
    const kstore_range_t r = { .stream = device + 1, .offset = offset, .length = bits,
                               .birth = now };
    return h->sl.design->deliver(&h->sl, device, &r,
                                 now == 0 ? KSTORE_CAUSE_INITIAL : KSTORE_CAUSE_GENERATED,
                                 now, err);
}

int th_run(th_link_t *h, int64_t until)
{
    sim_run(h->sim, until);
    return h->ctx.failed ? h->ctx.err.code : SIM_OK;
}

bool th_accounts_close(const th_link_t *h)
{
    uint64_t in = 0, out = 0;
    for (size_t i = 0; i < h->nstores; i++) {
        if (!kstore_accounts_close(h->stores[i]))
            return false;
        in += kstore_accounts(h->stores[i])->moved_in;
        out += kstore_accounts(h->stores[i])->moved_out;
    }
    return in == out;
}

void th_link_free(th_link_t *h)
{
    storage_destroy(&h->sl);
    for (size_t i = 0; i < h->nstores; i++)
        kstore_destroy(h->stores[i]);
    scn_free(h->scn);
    sim_destroy(h->sim);
    memset(h, 0, sizeof *h);
}
