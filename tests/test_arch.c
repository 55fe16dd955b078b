/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_arch.c - the interfaces of docs/architecture.md: a client kind added
 * without touching the world (a test-only kind driving requests through the
 * key service), the key service's take for other purposes, and the link
 * and store events with more than one listener.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "models/client.h"
#include "models/etsi014.h"
#include "models/keysvc.h"
#include "models/link.h"
#include "models/world.h"
#include "sim/trace.h"

/* ------------------------------------------------------------ a test-only kind */

/*
 * "probe": asks for `number` keys of `size` bits at 1 ms, 2 ms, ... (one
 * request per ms, `count` of them, count = the rate attribute of its
 * <arrivals> read as a number), and fetches each granted key at the slave
 * 1 ms later. It writes /probe_requests (one row per GET_KEY) and
 * /summary/probe, and declares one network counter, probe_fetched.
 */
typedef struct probe_rec {
    int64_t time;
    uint32_t client, status;
} probe_rec_t;

static const trace_field_t probe_fields[] = {
    { "time", TRACE_I64, offsetof(probe_rec_t, time) },
    { "client", TRACE_U32, offsetof(probe_rec_t, client) },
    { "status", TRACE_U32, offsetof(probe_rec_t, status) },
};

typedef struct probe {
    client_t base;
    uint64_t count, fetched;
    keysvc_grant_t last;      /* the grant the pending fetch serves */
    trace_table_t *log;
} probe_t;

static void probe_on_fetch(sim_t *sim, void *object, uint64_t arg)
{
    probe_t *p = object;
    sim_err_t err;
    bool ok = false;
    (void)arg;
    if (keysvc_fetch(&p->base.key, &p->last, sim_now(sim), &ok, &err) != SIM_OK)
        model_fail(p->base.ctx, &err);
    p->fetched += ok;
}

static void probe_on_request(sim_t *sim, void *object, uint64_t arg)
{
    probe_t *p = object;
    keysvc_grant_t g;
    sim_err_t err;
    probe_rec_t rec = { sim_now(sim), p->base.index, 0 };
    (void)arg;

    if (keysvc_get_key(&p->base.key, p->base.size, p->base.number, sim_now(sim), &g, &err) !=
        SIM_OK) {
        model_fail(p->base.ctx, &err);
        return;
    }
    rec.status = g.granted ? 200 : 503;
    client_count(&p->base, rec.status);
    if (g.granted) {
        p->last = g;
        sim_schedule_in(sim, SIM_MS / 2, probe_on_fetch, p, 0);
    }
    if (trace_append(p->log, &rec, &err) != SIM_OK)
        model_fail(p->base.ctx, &err);
}

static int probe_create(const client_env_t *env, const scn_elem_t *e, client_t **out,
                        sim_err_t *err)
{
    probe_t *p = calloc(1, sizeof *p);
    double rate = 0;
    int rc;

    *out = &p->base;
    if (p == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    if ((rc = scn_attr_string(e, "id", true, &p->base.id, err)) != SIM_OK ||
        (rc = env->node(env, e, "master", &p->base.master, err)) != SIM_OK ||
        (rc = env->node(env, e, "slave", &p->base.slave, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "size", true, &p->base.size, err)) != SIM_OK ||
        (rc = scn_attr_frequency(scn_child(e, "arrivals"), "rate", true, &rate, err)) !=
            SIM_OK)
        return rc;
    p->base.number = 1;
    p->base.rate = 1000.0;
    p->count = (uint64_t)rate;
    return SIM_OK;
}

static int probe_start(client_t *c, sim_err_t *err)
{
    probe_t *p = (probe_t *)c;
    for (uint64_t i = 1; i <= p->count; i++)
        if (sim_schedule_at(c->ctx->sim, (int64_t)i * SIM_MS, probe_on_request, p, 0) == 0)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    return SIM_OK;
}

static void probe_destroy(client_t *c)
{
    free(c);
}

static int probe_trace_open(trace_t *trace, const client_output_t *out,
                            client_t *const *clients, size_t n, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(trace, "/probe_requests", sizeof(probe_rec_t),
                                          probe_fields, 3, err);
    (void)out;
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++)
        ((probe_t *)clients[i])->log = t;
    return SIM_OK;
}

typedef struct probe_sum {
    uint32_t client;
    uint64_t ok, fetched;
} probe_sum_t;

static const trace_field_t probe_sum_fields[] = {
    { "client", TRACE_U32, offsetof(probe_sum_t, client) },
    { "ok", TRACE_U64, offsetof(probe_sum_t, ok) },
    { "fetched", TRACE_U64, offsetof(probe_sum_t, fetched) },
};

static const model_counter_t probe_counters[] = {
    { .name = "probe_fetched", .network = true },
    { .name = NULL },
};

static int probe_summary(trace_t *trace, client_t *const *clients, size_t n, int64_t end,
                         uint64_t *net, sim_err_t *err)
{
    trace_table_t *t = trace_table_create(trace, "/summary/probe", sizeof(probe_sum_t),
                                          probe_sum_fields, 3, err);
    (void)end;
    if (t == NULL)
        return SIM_ERR_RUN;
    for (size_t i = 0; i < n; i++) {
        const probe_t *p = (const probe_t *)clients[i];
        probe_sum_t row = { p->base.index, p->base.outcomes.ok, p->fetched };
        net[0] += p->fetched;
        if (trace_append(t, &row, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

static const client_kind_t probe_kind = {
    .element = "probe",
    .create = probe_create,
    .start = probe_start,
    .destroy = probe_destroy,
    .trace_open = probe_trace_open,
    .summary = probe_summary,
    .counters = probe_counters,
};

/* The registry of this test: the bundled etsi014 and the probe. */
static const client_kind_t *const test_kinds[] = { &etsi014_kind, &probe_kind, NULL };

/* Link AB with 5000 bits of initial key and (next to nothing) generation;
 * client 'p' asks for 10 keys of 1000 bits, one per ms from 1 ms on.
 * The schema knows only <etsi014>, so the test loads one and renames the
 * element: how the world would meet a kind's element once it is in the
 * schema. */
static const char probe_body[] =
    "<scenario name='t' duration='1s'><nodes><node id='A'/><node id='B'/></nodes>"
    "<links><link id='AB' a='A' b='B'><generation model='constant' rate='1bps' block='10s'/>"
    "<store capacity='1Mb' min='0' threshold='0' initial='5000'/></link></links>"
    "<apps><etsi014 id='p' master='A' slave='B' size='1000'><arrivals rate='10/s'/>"
    "</etsi014></apps></scenario>";

static void rename_first_app(scn_t *scn, const char *name)
{
    scn_child(scn->root, "apps")->first_child->name = name;
}

static double column_sum(trace_reader_t *r, const char *table, const char *col)
{
    double *v = NULL, sum = 0;
    size_t n = 0;
    sim_err_t err;
    CU_ASSERT_EQUAL(trace_read_column(r, table, col, &v, &n, &err), SIM_OK);
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    free(v);
    return sum;
}

static void test_kind_through_key_service(void)
{
    char out[256];
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    world_report_t rep;
    trace_reader_t *r;
    sim_err_t err;

    snprintf(out, sizeof out, "%s/probe.h5", th_dir);
    CU_ASSERT_EQUAL_FATAL(th_load(probe_body, &scn, &err), SIM_OK);
    rename_first_app(scn, "probe");
    CU_ASSERT_EQUAL_FATAL(world_build_kinds(scn, &opts, test_kinds, &w, &err), SIM_OK);
    CU_ASSERT_EQUAL(world_run(w, out, &rep, &err), SIM_OK);
    /* 5000 bits serve five 1000-bit keys; the other five find none */
    CU_ASSERT_EQUAL(rep.requests, 10);
    CU_ASSERT_EQUAL(rep.ok, 5);
    CU_ASSERT_EQUAL(rep.unavailable, 5);
    CU_ASSERT_EQUAL(world_report_extra(&rep, "probe_fetched"), 5);
    CU_ASSERT_EQUAL(world_report_extra(&rep, "slave_failed"), 0);   /* etsi014's, unused */
    /* supplied at the master, reserved then supplied at the slave */
    CU_ASSERT_EQUAL(rep.supplied, 2 * 5000);
    CU_ASSERT_TRUE(rep.accounts_close);
    world_destroy(w);
    scn_free(scn);

    r = trace_reader_open(out, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_TRUE(trace_reader_has(r, "/probe_requests", "status"));
    CU_ASSERT_TRUE(trace_reader_has(r, "/summary/network", "probe_fetched"));
    CU_ASSERT_DOUBLE_EQUAL(column_sum(r, "/probe_requests", "status"), 5 * 200 + 5 * 503, 0);
    CU_ASSERT_DOUBLE_EQUAL(column_sum(r, "/summary/probe", "fetched"), 5, 0);
    CU_ASSERT_DOUBLE_EQUAL(column_sum(r, "/summary/network", "probe_fetched"), 5, 0);
    /* the probe's client row in /apps names its kind's element */
    CU_ASSERT_TRUE(trace_reader_has(r, "/apps", "type"));
    trace_reader_close(r);
}

/* Without the kind in the registry, its element is an input error. */
static void test_unknown_kind(void)
{
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    sim_err_t err;
    int rc;

    CU_ASSERT_EQUAL_FATAL(th_load(probe_body, &scn, &err), SIM_OK);
    rename_first_app(scn, "probe");
    rc = world_build(scn, &opts, &w, &err);
    th_expect_input_error(rc, &err, "no client kind is registered for element <probe>",
                          "s.xml:1:");
    CU_ASSERT_PTR_NULL(w);
    scn_free(scn);
}

/* ------------------------------------------------------------ take */

static const kstore_config_t take_cfg = { .capacity = 1000000, .mmin = 0, .mthr = 0 };

/* The shared design gives key for relay: the same ranges at both ends,
 * cause RELAYED, or nothing when there is not enough. */
static void test_take_shared(void)
{
    th_link_t h;
    keysvc_t *ks;
    kstore_rangebuf_t out = { 0 };
    bool granted = false;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, NULL, &take_cfg, 1, NULL, 0, SIM_S, &err), SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    ks = keysvc_create(NULL, &h.sl, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    CU_ASSERT_EQUAL(keysvc_can_take(ks, 0, &err), SIM_OK);
    CU_ASSERT_EQUAL(keysvc_take(ks, 0, STORAGE_END_B, 300, 5, &out, &granted, &err), SIM_OK);
    CU_ASSERT_TRUE(granted);
    CU_ASSERT_EQUAL(out.n, 1);
    CU_ASSERT_EQUAL(out.v[0].offset, 0);
    CU_ASSERT_EQUAL(out.v[0].length, 300);
    th_assert_pair_level(&h, "common", 700);
    for (int e = 0; e < 2; e++)
        CU_ASSERT_EQUAL(kstore_accounts(th_store_of(&h, "common", e))->relayed, 300);
    /* more than is held: refused, nothing taken */
    CU_ASSERT_EQUAL(keysvc_take(ks, 0, STORAGE_END_A, 701, 6, NULL, &granted, &err), SIM_OK);
    CU_ASSERT_FALSE(granted);
    th_assert_pair_level(&h, "common", 700);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    kstore_rangebuf_free(&out);
    keysvc_destroy(ks);
    th_link_free(&h);
}

/* A design without a take is refused at set-up, naming the link, the
 * design and why; a take anyway is a run failure, not a silent loss. */
static void test_take_refused(void)
{
    th_link_t h;
    keysvc_t *ks;
    bool granted = true;
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, "<storage design='collide'/>", &take_cfg, 1, NULL,
                                        0, SIM_S, &err),
                          SIM_OK);
    CU_ASSERT_EQUAL(th_deliver(&h, 0, 0, 1000, 0, &err), SIM_OK);
    ks = keysvc_create(NULL, &h.sl, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
    CU_ASSERT_EQUAL(keysvc_can_take(ks, 0, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "link 'L': storage design 'collide' cannot give key "
                                           "for relay"));
    CU_ASSERT_EQUAL(keysvc_take(ks, 0, STORAGE_END_A, 10, 1, NULL, &granted, &err),
                    SIM_ERR_RUN);
    CU_ASSERT_FALSE(granted);
    CU_ASSERT_TRUE(th_accounts_close(&h));
    keysvc_destroy(ks);
    th_link_free(&h);
}

/* q3p and session can give key for relay. */
static void test_take_other_designs(void)
{
    const char *designs[] = { "<storage design='q3p'/>", "<storage design='session'/>" };
    for (size_t i = 0; i < 2; i++) {
        th_link_t h;
        keysvc_t *ks;
        sim_err_t err;
        CU_ASSERT_EQUAL_FATAL(th_link_setup(&h, designs[i], &take_cfg, 1, NULL, 0, SIM_S, &err),
                              SIM_OK);
        ks = keysvc_create(NULL, &h.sl, 1);
        CU_ASSERT_EQUAL(keysvc_can_take(ks, 0, &err), SIM_OK);
        keysvc_destroy(ks);
        th_link_free(&h);
    }
}

/* ------------------------------------------------------------ events */

typedef struct level_log {
    size_t n;
    int64_t sum_delta;
    uint64_t last_level;
    size_t ready;          /* threshold crossings into READY */
} level_log_t;

static void on_level(void *ctx, const kstore_t *s, const kstore_change_t *ch)
{
    level_log_t *l = ctx;
    (void)s;
    l->n++;
    l->sum_delta += ch->delta;
    l->last_level = ch->level;
}

static void on_state(void *ctx, kstore_t *s, kstore_state_t from, kstore_state_t to,
                     int64_t time)
{
    level_log_t *l = ctx;
    (void)s;
    (void)from;
    (void)time;
    l->ready += to == KSTORE_READY;
}

/* Two level observers and two state subscribers of one store each see
 * every change and the threshold crossing. */
static void test_store_listeners(void)
{
    const kstore_config_t cfg = { .capacity = 10000, .mmin = 100, .mthr = 1000 };
    kstore_t *s = kstore_create(&cfg, 0);
    level_log_t log[2] = { { 0 }, { 0 } };
    const kstore_range_t r = { .stream = 1, .offset = 0, .length = 1500, .birth = 0 };
    uint64_t stored = 0;
    sim_err_t err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(kstore_observe(s, on_level, &log[i], &err), SIM_OK);
        CU_ASSERT_EQUAL(kstore_subscribe(s, on_state, &log[i], &err), SIM_OK);
    }
    CU_ASSERT_EQUAL(kstore_add(s, &r, KSTORE_CAUSE_GENERATED, 1, &stored, &err), SIM_OK);
    CU_ASSERT_TRUE(kstore_take(s, 600, KSTORE_CAUSE_SUPPLIED, 2, NULL, &err));
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(log[i].n, 2);
        CU_ASSERT_EQUAL(log[i].sum_delta, 900);
        CU_ASSERT_EQUAL(log[i].last_level, 900);
        CU_ASSERT_EQUAL(log[i].ready, 1);
    }
    /* the lists are bounded, and say so */
    for (int i = 2; i < KSTORE_MAX_SUBSCRIBERS; i++)
        CU_ASSERT_EQUAL(kstore_observe(s, on_level, &log[0], &err), SIM_OK);
    CU_ASSERT_EQUAL(kstore_observe(s, on_level, &log[0], &err), SIM_ERR_RUN);
    kstore_destroy(s);
}

typedef struct key_log {
    uint64_t bits, blocks;
    uint64_t next_offset;    /* ranges arrive in stream order */
    bool in_order;
} key_log_t;

static void on_key(void *ctx, size_t device, const kstore_range_t *r, kstore_cause_t cause,
                   int64_t now)
{
    key_log_t *k = ctx;
    (void)device;
    (void)cause;
    (void)now;
    k->in_order = k->in_order && r->offset == k->next_offset;
    k->next_offset = r->offset + r->length;
    k->bits += r->length;
}

static void on_block(void *ctx, const link_block_rec_t *rec)
{
    key_log_t *k = ctx;
    (void)rec;
    k->blocks++;
}

static int sink_nowhere(void *ctx, size_t device, const kstore_range_t *r,
                        kstore_cause_t cause, int64_t now, sim_err_t *err)
{
    (void)ctx, (void)device, (void)r, (void)cause, (void)now, (void)err;
    return SIM_OK;
}

/* Two listeners of one link each see every range of key it delivers
 * (initial key included) and every block. */
static void test_link_listeners(void)
{
    const char *body = "<scenario name='t' duration='10s'><nodes><node id='A'/>"
                       "<node id='B'/></nodes><links><link id='L' a='A' b='B'>"
                       "<generation model='constant' rate='1kbps' block='1s'/></link></links>"
                       "</scenario>";
    scn_t *scn = NULL;
    sim_t *sim = sim_create();
    model_ctx_t ctx = { .sim = sim, .seed = 1, .end = 10 * SIM_S };
    link_t l = { .id = "L", .a = 0, .b = 1, .length_m = NAN, .stream = 1,
                 .sink = sink_nowhere, .ctx = &ctx };
    key_log_t k[2] = { { .in_order = true }, { .in_order = true } };
    sim_err_t err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(sim);
    CU_ASSERT_EQUAL_FATAL(th_load(body, &scn, &err), SIM_OK);
    CU_ASSERT_EQUAL_FATAL(link_parse(&l, scn_child(scn_child(scn->root, "links"), "link"), &err),
                          SIM_OK);
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL(link_listen(&l, &(link_listener_t){ .on_key = on_key,
                                                            .on_block = on_block,
                                                            .ctx = &k[i] },
                                    &err),
                        SIM_OK);
    CU_ASSERT_EQUAL(link_start(&l, 500, &err), SIM_OK);
    sim_run(sim, 10 * SIM_S);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(k[i].bits, 500 + l.generated);
        CU_ASSERT_EQUAL(k[i].blocks, 10);
        CU_ASSERT_TRUE(k[i].in_order);
    }
    CU_ASSERT_EQUAL(l.generated, 10000);
    link_cleanup(&l);
    sim_destroy(sim);
    scn_free(scn);
}

/* ------------------------------------------------------------ topology */

/* GraphML links are named "A-B", and "A-B#k" (k the edge's 1-based
 * position in the file) when an earlier edge joins the same two nodes, in
 * either direction. */
static void test_graphml_parallel_names(void)
{
    static const char graphml[] =
        "<?xml version='1.0'?><graphml xmlns='http://graphml.graphdrawing.org/xmlns'>"
        "<graph edgedefault='undirected'><node id='A'/><node id='B'/><node id='C'/>"
        "<edge source='A' target='B'/><edge source='B' target='C'/>"
        "<edge source='B' target='A'/><edge source='A' target='B'/>"
        "<edge source='C' target='A'/></graph></graphml>\n";
    static const char body[] =
        "<scenario name='t' duration='1s'><topology graphml='p.graphml'>"
        "<link-defaults><generation model='constant' rate='1kbps'/></link-defaults>"
        "</topology></scenario>";
    /* igraph reads an undirected edge with its lower node first */
    const char *want[] = { "A-B", "B-C", "A-B#3", "A-B#4", "A-C" };
    char path[256];
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(th_write_file("p.graphml", graphml, path, sizeof path), 0);
    CU_ASSERT_EQUAL_FATAL(th_load(body, &scn, &err), SIM_OK);
    CU_ASSERT_EQUAL(world_build(scn, &opts, &w, &err), SIM_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL(world_link_count(w), 5);
    for (size_t i = 0; i < 5; i++)
        CU_ASSERT_STRING_EQUAL(world_link_id(w, i), want[i]);
    CU_ASSERT_PTR_NULL(world_link_id(w, 5));
    world_destroy(w);
    scn_free(scn);
}

/* Builds a world from a scenario over g.graphml = `graphml`, lengths in
 * `unit`; returns world_build's code (err says why), *w the world on
 * success (the caller destroys it and *scn). */
static int graphml_world(const char *graphml, const char *unit, scn_t **scn, world_t **w,
                         sim_err_t *err)
{
    char path[256], body[512];
    world_options_t opts = { 0 };

    snprintf(body, sizeof body,
             "<scenario name='t' duration='1s'><topology graphml='g.graphml' "
             "length-unit='%s'><link-defaults><generation model='constant' rate='1kbps'/>"
             "</link-defaults></topology></scenario>", unit);
    *w = NULL;
    CU_ASSERT_EQUAL_FATAL(th_write_file("g.graphml", graphml, path, sizeof path), 0);
    CU_ASSERT_EQUAL_FATAL(th_load(body, scn, err), SIM_OK);
    return world_build(*scn, &opts, w, err);
}

/* Issue 12: link ids were cut at 511 characters, so two links between
 * nodes with long ids could share one. Ids are now built whole. */
static void test_graphml_long_ids(void)
{
    char a[701], graphml[4096], want[1500];
    scn_t *scn = NULL;
    world_t *w = NULL;
    sim_err_t err;

    memset(a, 'a', 700);
    a[700] = '\0';
    snprintf(graphml, sizeof graphml,
             "<?xml version='1.0'?><graphml xmlns='http://graphml.graphdrawing.org/xmlns'>"
             "<graph edgedefault='undirected'><node id='%sX'/><node id='%sY'/><node id='Z'/>"
             "<edge source='%sX' target='Z'/><edge source='%sY' target='Z'/>"
             "</graph></graphml>\n", a, a, a, a);
    CU_ASSERT_EQUAL(graphml_world(graphml, "km", &scn, &w, &err), SIM_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_EQUAL_FATAL(world_link_count(w), 2);
    snprintf(want, sizeof want, "%sX-Z", a);
    CU_ASSERT_STRING_EQUAL(world_link_id(w, 0), want);
    snprintf(want, sizeof want, "%sY-Z", a);
    CU_ASSERT_STRING_EQUAL(world_link_id(w, 1), want);
    CU_ASSERT_STRING_NOT_EQUAL(world_link_id(w, 0), world_link_id(w, 1));
    world_destroy(w);
    scn_free(scn);
}

/* One bad GraphML file: world_build must fail with SIM_ERR_INPUT naming
 * the scenario line of <topology>, the GraphML file and `element`. */
static void expect_graphml_error(const char *nodes, const char *length, const char *unit,
                                 const char *element)
{
    char graphml[1024];
    scn_t *scn = NULL;
    world_t *w = NULL;
    sim_err_t err;
    int rc;

    snprintf(graphml, sizeof graphml,
             "<?xml version='1.0'?><graphml xmlns='http://graphml.graphdrawing.org/xmlns'>"
             "<key id='length' for='edge' attr.name='length' attr.type='double'/>"
             "<graph edgedefault='undirected'>%s"
             "<edge source='A' target='B'><data key='length'>10</data></edge>"
             "<edge source='B' target='C'><data key='length'>%s</data></edge>"
             "</graph></graphml>\n", nodes, length);
    rc = graphml_world(graphml, unit, &scn, &w, &err);
    th_expect_input_error(rc, &err, element, "s.xml:1:");
    if (rc == SIM_ERR_INPUT)
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "GraphML file"));
    if (rc == SIM_ERR_INPUT && strstr(err.msg, "g.graphml") == NULL)
        CU_FAIL("the message does not name g.graphml");
    world_destroy(w);
    scn_free(scn);
}

/* Issue 12: empty node ids, and lengths of inf or 1e308 were accepted; a
 * negative length was refused without the file and the element. */
static void test_graphml_refused(void)
{
    const char *abc = "<node id='A'/><node id='B'/><node id='C'/>";
    expect_graphml_error("<node id='A'/><node id='B'/><node id='C'/><node id=''/>", "5", "km",
                         "<node> 4 has an empty id");
    expect_graphml_error(abc, "-5", "km", "<edge> 2 (B-C): attribute 'length' is -5 km");
    expect_graphml_error(abc, "INF", "km", "<edge> 2 (B-C): attribute 'length' is inf km");
    expect_graphml_error(abc, "1e308", "m", "<edge> 2 (B-C): attribute 'length' is 1e+308 m");
    expect_graphml_error(abc, "1000001", "km", "at most 1e+06 km");
}

/* The same bound for a <link length>. */
static void test_link_length_bound(void)
{
    scn_t *scn = NULL;
    world_t *w = NULL;
    world_options_t opts = { 0 };
    sim_err_t err;

    CU_ASSERT_EQUAL_FATAL(th_load("<scenario name='t' duration='1s'><nodes><node id='A'/>"
                                  "<node id='B'/></nodes><links><link id='L' a='A' b='B' "
                                  "length='1e300km'><generation rate='1kbps'/></link></links>"
                                  "</scenario>", &scn, &err), SIM_OK);
    th_expect_input_error(world_build(scn, &opts, &w, &err), &err, "exceeds 1e+06 km",
                          "s.xml:1:");
    world_destroy(w);
    scn_free(scn);
}

int main(void)
{
    static const th_test_t tests[] = {
        { "a client kind added without touching the world", test_kind_through_key_service },
        { "an element without a registered kind", test_unknown_kind },
        { "key service take: shared", test_take_shared },
        { "key service take: refused by collide", test_take_refused },
        { "key service take: q3p and session", test_take_other_designs },
        { "store events: several listeners", test_store_listeners },
        { "link events: several listeners", test_link_listeners },
        { "GraphML parallel edges", test_graphml_parallel_names },
        { "GraphML link ids of any length", test_graphml_long_ids },
        { "GraphML: empty ids and bad lengths name file and element", test_graphml_refused },
        { "link length bound", test_link_length_bound },
        { NULL, NULL },
    };
    return th_main("architecture", tests);
}
