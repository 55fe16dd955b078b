/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_sched.c - the relay schedulers (models/sched.h) alone, driven by
 * hand: jobs are queued and served as the relay would, with the link's key
 * either unlimited or arriving at a fixed rate.
 *
 * Expected values come from the rules and closed forms of docs/models.md
 * ("Relay schedulers"), computed here: DWRR shares Q_i / sum Q_j and an
 * independent round-by-round DRR, strict priority, FIFO order, Toshiba's
 * a_i = d_i min(1, C / sum d), QKDTL's sum of admitted rates <= C, and
 * DDKA's est(K). None is copied from a run.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/sched.h"
#include "tests/harness.h"

/* ------------------------------------------------------------ helpers */

/* A scheduler with its policy. */
typedef struct sch {
    const sched_policy_t *pol;
    void *st;
    uint64_t seq;
} sch_t;

static void sch_open(sch_t *s, const char *name, const sched_params_t *p)
{
    sim_err_t err;
    sched_params_t d;
    sched_params_default(&d);
    s->pol = sched_find(name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s->pol);
    s->st = NULL;
    s->seq = 0;
    CU_ASSERT_EQUAL_FATAL(s->pol->create(p != NULL ? p : &d, &s->st, &err), SIM_OK);
}

static void sch_flow(sch_t *s, const sched_flow_t *f)
{
    sim_err_t err;
    CU_ASSERT_EQUAL_FATAL(s->pol->add_flow(s->st, f, &err), SIM_OK);
}

/* Adds flows 0..n-1 with weights w (NULL: 1), rates r (NULL: 0). */
static void sch_flows(sch_t *s, size_t n, const double *w, const double *r)
{
    for (size_t i = 0; i < n; i++) {
        sched_flow_t f;
        sched_flow_default(&f, (uint32_t)i);
        if (w != NULL)
            f.weight = w[i];
        if (r != NULL)
            f.rate = r[i];
        sch_flow(s, &f);
    }
}

static void sch_put(sch_t *s, sched_job_t *j, uint32_t flow, uint64_t bits)
{
    memset(j, 0, sizeof *j);
    j->flow = flow;
    j->bits = bits;
    j->seq = s->seq++;
    s->pol->enqueue(s->st, j, 0);
}

static void sch_close(sch_t *s)
{
    s->pol->destroy(s->st);
}

/* A small deterministic generator for job sizes (not a model's stream). */
static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

/* Job sizes between 128 and 4096 bits. */
static uint64_t job_size(uint64_t *x)
{
    return 128 + lcg(x) % (4096 - 128 + 1);
}

/* ------------------------------------------------------------ registry */

static void test_registry(void)
{
    const char *names[] = { "fifo", "dwrr", "prio", "ddka", "toshiba", "qkdtl" };
    size_t n = 0;
    for (size_t i = 0; sched_policies[i] != NULL; i++, n++) {
        const sched_policy_t *p = sched_policies[i];
        CU_ASSERT_PTR_EQUAL(sched_find(p->name), p);
        CU_ASSERT(p->create != NULL && p->add_flow != NULL && p->enqueue != NULL &&
                  p->next != NULL && p->remove != NULL && p->pending != NULL &&
                  p->destroy != NULL);
        CU_ASSERT((p->admit == NULL) == (p->release == NULL));
    }
    CU_ASSERT_EQUAL(n, sizeof names / sizeof names[0]);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CU_ASSERT_PTR_NOT_NULL(sched_find(names[i]));
    CU_ASSERT_PTR_NULL(sched_find("wfq"));
}

static void test_bad_input(void)
{
    sim_err_t err;
    sched_params_t p;
    void *st = NULL;
    sched_params_default(&p);
    p.quantum = 0;
    CU_ASSERT_EQUAL(sched_find("dwrr")->create(&p, &st, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "quantum"));
    sched_params_default(&p);
    p.ddka_w = 1.5;
    CU_ASSERT_EQUAL(sched_find("ddka")->create(&p, &st, &err), SIM_ERR_INPUT);

    for (size_t i = 0; sched_policies[i] != NULL; i++) {
        sch_t s;
        sched_flow_t f;
        sch_open(&s, sched_policies[i]->name, NULL);
        sched_flow_default(&f, 3);
        f.rate = 1000.0;
        CU_ASSERT_EQUAL(s.pol->add_flow(s.st, &f, &err), SIM_OK);
        CU_ASSERT_EQUAL(s.pol->add_flow(s.st, &f, &err), SIM_ERR_INPUT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "twice"));
        sched_flow_default(&f, 4);
        f.weight = 0.0;
        CU_ASSERT_EQUAL(s.pol->add_flow(s.st, &f, &err), SIM_ERR_INPUT);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "flow 4"));
        sched_flow_default(&f, 5);
        f.sec = 10.0;
        CU_ASSERT_EQUAL(s.pol->add_flow(s.st, &f, &err), SIM_ERR_INPUT);
        sch_close(&s);
    }

    /* Rate quanta need a rate; so does toshiba. */
    sch_t s;
    sched_flow_t f;
    sched_flow_default(&f, 0);
    sch_open(&s, "toshiba", NULL);
    CU_ASSERT_EQUAL(s.pol->add_flow(s.st, &f, &err), SIM_ERR_INPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "rate"));
    sch_close(&s);
    sched_params_default(&p);
    p.quanta = SCHED_QUANTA_RATE;
    sch_open(&s, "dwrr", &p);
    CU_ASSERT_EQUAL(s.pol->add_flow(s.st, &f, &err), SIM_ERR_INPUT);
    sch_close(&s);
    sch_open(&s, "prio", NULL);
    f.cls = SCHED_CLASS_MAX + 1;
    CU_ASSERT_EQUAL(s.pol->add_flow(s.st, &f, &err), SIM_ERR_INPUT);
    sch_close(&s);
}

/* ------------------------------------------------------------ FIFO */

static void test_fifo_order(void)
{
    enum { N = 50 };
    sched_job_t jobs[N];
    uint64_t x = 7;
    sch_t s;
    sch_open(&s, "fifo", NULL);
    sch_flows(&s, 4, NULL, NULL);
    for (size_t i = 0; i < N; i++)
        sch_put(&s, &jobs[i], (uint32_t)(lcg(&x) % 4), job_size(&x));
    CU_ASSERT_EQUAL(s.pol->pending(s.st), N);
    /* Head of line: key for a later, smaller job does not pass the head. */
    CU_ASSERT_PTR_NULL(s.pol->next(s.st, jobs[0].bits - 1, 0));
    for (size_t i = 0; i < N; i++)
        CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, UINT64_MAX, 0), &jobs[i]);
    CU_ASSERT_PTR_NULL(s.pol->next(s.st, UINT64_MAX, 0));
    CU_ASSERT_EQUAL(s.pol->pending(s.st), 0);
    sch_close(&s);
}

/* ------------------------------------------------------------ DWRR */

/* Keeps n flows backlogged (each with `depth` jobs queued, a served job
 * queued again with a new size) and serves until `total` bits; key arrives
 * `chunk` bits at a time (0: unlimited). served[i] receives flow i's bits. */
static void backlogged(sch_t *s, size_t n, uint64_t total, uint64_t chunk, uint64_t *x,
                       double *served)
{
    enum { DEPTH = 3 };
    sched_job_t *jobs = calloc(n * DEPTH, sizeof *jobs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(jobs);
    for (size_t i = 0; i < n * DEPTH; i++)
        sch_put(s, &jobs[i], (uint32_t)(i % n), job_size(x));
    for (size_t i = 0; i < n; i++)
        served[i] = 0.0;
    uint64_t done = 0, avail = 0;
    while (done < total) {
        avail = chunk == 0 ? UINT64_MAX : avail + chunk;
        sched_job_t *j;
        while (done < total && (j = s->pol->next(s->st, avail, 0)) != NULL) {
            CU_ASSERT_FATAL(j->bits <= avail);
            if (chunk != 0)
                avail -= j->bits;
            served[j->flow] += (double)j->bits;
            done += j->bits;
            sch_put(s, j, j->flow, job_size(x));
        }
        CU_ASSERT_EQUAL_FATAL(s->pol->pending(s->st), n * DEPTH);
    }
    for (size_t i = 0; i < n * DEPTH; i++)
        s->pol->remove(s->st, &jobs[i]);
    CU_ASSERT_EQUAL(s->pol->pending(s->st), 0);
    free(jobs);
}

/* Q_i = max(1, round(q x_i / max x)), docs/models.md. */
static void quanta_of(const double *x, size_t n, uint64_t q, double *quanta)
{
    double xmax = 0.0;
    for (size_t i = 0; i < n; i++)
        xmax = fmax(xmax, x[i]);
    for (size_t i = 0; i < n; i++)
        quanta[i] = fmax(1.0, nearbyint((double)q * x[i] / xmax));
}

/* Each flow's share of the served bits is within 2 % of Q_i / sum Q. */
static void assert_shares(const double *served, const double *quanta, size_t n)
{
    double sum_s = 0.0, sum_q = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum_s += served[i];
        sum_q += quanta[i];
    }
    for (size_t i = 0; i < n; i++) {
        double want = quanta[i] / sum_q, got = served[i] / sum_s;
        CU_ASSERT(fabs(got - want) <= 0.02 * want);
        if (fabs(got - want) > 0.02 * want)
            printf("\n  flow %zu share %.4f, want %.4f\n", i, got, want);
    }
}

static void test_dwrr_shares(void)
{
    const double w[] = { 1.0, 2.0, 3.0 };
    const uint64_t qs[] = { SCHED_QUANTUM_DEFAULT, 300, 5 };
    const uint64_t chunks[] = { 0, 1000, 5000 };
    double quanta[3], served[3];
    uint64_t x = 42;
    for (size_t a = 0; a < sizeof qs / sizeof qs[0]; a++) {
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            sched_params_t p;
            sch_t s;
            sched_params_default(&p);
            p.quantum = qs[a];
            sch_open(&s, "dwrr", &p);
            sch_flows(&s, 3, w, NULL);
            backlogged(&s, 3, 20000000, chunks[c], &x, served);
            quanta_of(w, 3, qs[a], quanta);
            assert_shares(served, quanta, 3);
            sch_close(&s);
        }
    }
}

static void test_dwrr_rate_quanta(void)
{
    const double r[] = { 50e3, 400e3, 150e3, 100e3 };
    double quanta[4], served[4];
    uint64_t x = 9;
    sched_params_t p;
    sch_t s;
    sched_params_default(&p);
    p.quanta = SCHED_QUANTA_RATE;
    p.quantum = 4096;
    sch_open(&s, "dwrr", &p);
    sch_flows(&s, 4, NULL, r);
    backlogged(&s, 4, 20000000, 3000, &x, served);
    quanta_of(r, 4, p.quantum, quanta);
    assert_shares(served, quanta, 4);
    sch_close(&s);
}

/* A plain round-by-round DRR (no skipped rounds), the reference. */
typedef struct ref_drr {
    size_t n;
    double quanta[4];
    double deficit[4];
    uint64_t queue[4][64];   /* job sizes, FIFO */
    size_t head[4], len[4];
    size_t cur;
    int credited;
} ref_drr_t;

/* The flow served next by the reference, the job's bits in *bits; the
 * reference has unlimited key. */
static size_t ref_next(ref_drr_t *r, uint64_t *bits)
{
    for (;;) {
        size_t i = r->cur;
        if (r->len[i] == 0) {
            r->deficit[i] = 0.0;
            r->credited = 0;
            r->cur = (i + 1) % r->n;
            continue;
        }
        if (!r->credited) {
            r->deficit[i] += r->quanta[i];
            r->credited = 1;
        }
        uint64_t b = r->queue[i][r->head[i] % 64];
        if ((double)b <= r->deficit[i]) {
            r->deficit[i] -= (double)b;
            r->head[i]++;
            r->len[i]--;
            *bits = b;
            return i;
        }
        r->credited = 0;
        r->cur = (i + 1) % r->n;
    }
}

/* With every flow always backlogged, the scheduler serves the same flows
 * in the same order as the reference, also with quanta much smaller than
 * the jobs (where it skips empty rounds in one step). */
static void test_dwrr_exact(void)
{
    const double w[] = { 1.0, 3.0, 7.0 };
    const uint64_t qs[] = { 4096, 64, 3 };
    for (size_t a = 0; a < sizeof qs / sizeof qs[0]; a++) {
        ref_drr_t ref;
        sched_job_t jobs[3][2];
        sched_params_t p;
        sch_t s;
        uint64_t x = 5;
        memset(&ref, 0, sizeof ref);
        ref.n = 3;
        quanta_of(w, 3, qs[a], ref.quanta);
        sched_params_default(&p);
        p.quantum = qs[a];
        sch_open(&s, "dwrr", &p);
        sch_flows(&s, 3, w, NULL);
        /* Two jobs per flow queued, in flow order (the active list's order). */
        for (size_t k = 0; k < 2; k++)
            for (size_t i = 0; i < 3; i++) {
                uint64_t b = job_size(&x);
                ref.queue[i][ref.len[i]++] = b;
                sch_put(&s, &jobs[i][k], (uint32_t)i, b);
            }
        /* Enqueue order above is k-major, so the active list is 0, 1, 2. */
        int same = 1;
        for (int step = 0; step < 3000 && same; step++) {
            uint64_t rb = 0;
            size_t rf = ref_next(&ref, &rb);
            sched_job_t *j = s.pol->next(s.st, UINT64_MAX, 0);
            same = j != NULL && j->flow == rf && j->bits == rb;
            if (j == NULL)
                break;
            uint64_t b = job_size(&x);
            ref.queue[rf][(ref.head[rf] + ref.len[rf]) % 64] = b;
            ref.len[rf]++;
            sch_put(&s, j, j->flow, b);
        }
        CU_ASSERT(same);
        sch_close(&s);
    }
}

/* A flow's job waits when its deficit covers it but the key does not; the
 * visit goes on when key arrives (no other flow is served meanwhile). */
static void test_dwrr_waits_for_key(void)
{
    sched_job_t a, b;
    sched_params_t p;
    sch_t s;
    sched_params_default(&p);
    p.quantum = 1000;
    sch_open(&s, "dwrr", &p);
    sch_flows(&s, 2, NULL, NULL);
    sch_put(&s, &a, 0, 900);
    sch_put(&s, &b, 1, 100);
    CU_ASSERT_PTR_NULL(s.pol->next(s.st, 899, 0));
    CU_ASSERT_PTR_NULL(s.pol->next(s.st, 899, 0));
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, 900, 0), &a);
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, 100, 0), &b);
    CU_ASSERT_PTR_NULL(s.pol->next(s.st, UINT64_MAX, 0));
    sch_close(&s);
}

/* Removing the last job of the flow being visited ends its visit and
 * drops its deficit (D = 0 when a queue empties): back later, it starts
 * from zero behind the others. */
static void test_dwrr_remove_in_visit(void)
{
    sched_job_t a1, a2, a3, b1, b2;
    sched_params_t p;
    sch_t s;
    sched_params_default(&p);
    p.quantum = 1000;
    sch_open(&s, "dwrr", &p);
    sch_flows(&s, 2, NULL, NULL);     /* quanta 1000 and 1000 */
    sch_put(&s, &a1, 0, 400);
    sch_put(&s, &a2, 0, 500);
    sch_put(&s, &b1, 1, 1000);
    sch_put(&s, &b2, 1, 1000);
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, UINT64_MAX, 0), &a1);   /* D_0 = 1000 - 400 */
    s.pol->remove(s.st, &a2);                                     /* flow 0 empty: D_0 = 0 */
    CU_ASSERT_EQUAL(s.pol->pending(s.st), 2);
    sch_put(&s, &a3, 0, 1500);        /* flow 0 back, behind flow 1 */
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, UINT64_MAX, 0), &b1);   /* D_1 = 1000 - 1000 */
    /* Flow 0's visit: D_0 = 0 + 1000 < 1500 (had it kept 600: 1600, served
     * now); so flow 1's next visit comes first. */
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, UINT64_MAX, 0), &b2);
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, UINT64_MAX, 0), &a3);   /* D_0 = 2000 */
    CU_ASSERT_EQUAL(s.pol->pending(s.st), 0);
    sch_close(&s);
}

/* ------------------------------------------------------------ priority */

static void test_prio_strict(void)
{
    enum { FLOWS = 7, JOBS = 400 };
    /* Flow i: class i % 3, flow 6 guaranteed. Queue index: 0 guaranteed,
     * 1 + class otherwise. */
    size_t qof[FLOWS];
    size_t queued[4] = { 0 };
    uint64_t last_seq[4];
    sched_job_t jobs[JOBS];
    uint64_t x = 3;
    sch_t s;
    sch_open(&s, "prio", NULL);
    for (uint32_t i = 0; i < FLOWS; i++) {
        sched_flow_t f;
        sched_flow_default(&f, i);
        f.cls = i % 3;
        f.guaranteed = i == 6;
        qof[i] = f.guaranteed ? 0 : 1 + f.cls;
        sch_flow(&s, &f);
    }
    for (size_t q = 0; q < 4; q++)
        last_seq[q] = 0;
    size_t put = 0, served = 0;
    int strict = 1, fifo = 1, served_low = 0;
    while (served < JOBS) {
        /* Queue a few jobs, then serve a few. */
        for (uint64_t k = lcg(&x) % 4; k > 0 && put < JOBS; k--, put++) {
            uint32_t fl = (uint32_t)(lcg(&x) % FLOWS);
            sch_put(&s, &jobs[put], fl, job_size(&x));
            queued[qof[fl]]++;
        }
        for (uint64_t k = lcg(&x) % 4; k > 0; k--) {
            sched_job_t *j = s.pol->next(s.st, UINT64_MAX, 0);
            if (j == NULL)
                break;
            size_t q = qof[j->flow];
            for (size_t h = 0; h < q; h++)
                strict &= queued[h] == 0;
            fifo &= last_seq[q] == 0 || j->seq > last_seq[q];
            last_seq[q] = j->seq;
            served_low |= q == 3;
            queued[q]--;
            served++;
        }
    }
    CU_ASSERT(strict);
    CU_ASSERT(fifo);
    CU_ASSERT(served_low);
    CU_ASSERT_EQUAL(s.pol->pending(s.st), 0);

    /* A high-class head that lacks key holds back a lower one that fits. */
    sched_job_t hi, lo;
    sch_put(&s, &lo, 2, 10);
    sch_put(&s, &hi, 6, 1000);
    CU_ASSERT_PTR_NULL(s.pol->next(s.st, 999, 0));
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, 1000, 0), &hi);
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, 10, 0), &lo);
    sch_close(&s);
}

/* ------------------------------------------------------------ DDKA */

typedef struct metric_tab {
    double k_qua[8], k_sec[8];
} metric_tab_t;

static void metric(void *ctx, const sched_job_t *j, double *k_qua, double *k_sec)
{
    const metric_tab_t *t = ctx;
    *k_qua = t->k_qua[j->seq];
    *k_sec = t->k_sec[j->seq];
}

static double est(double w, double k_qua, double k_sec)
{
    return (1.0 - w) * log(k_qua) + w * log(10.0 - k_sec);
}

/* Serves 8 jobs and checks they come in ascending est, ties by seq. */
static void ddka_case(const sched_params_t *p, const uint64_t *bits, const double *sec_of_flow,
                      const metric_tab_t *t)
{
    sched_job_t jobs[8];
    double e[8];
    sch_t s;
    sch_open(&s, "ddka", p);
    for (uint32_t i = 0; i < 4; i++) {
        sched_flow_t f;
        sched_flow_default(&f, i);
        f.sec = sec_of_flow[i];
        sch_flow(&s, &f);
    }
    for (size_t i = 0; i < 8; i++) {
        sch_put(&s, &jobs[i], (uint32_t)(i % 4), bits[i]);
        e[i] = t != NULL ? est(p->ddka_w, t->k_qua[i], t->k_sec[i])
                         : est(p->ddka_w, (double)bits[i], sec_of_flow[i % 4]);
    }
    int ordered = 1;
    const sched_job_t *prev = NULL;
    for (size_t n = 0; n < 8; n++) {
        sched_job_t *j = s.pol->next(s.st, UINT64_MAX, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        if (prev != NULL) {
            double a = e[prev->seq], b = e[j->seq];
            ordered &= a < b || (a == b && prev->seq < j->seq);
        }
        prev = j;
    }
    CU_ASSERT(ordered);
    CU_ASSERT_EQUAL(s.pol->pending(s.st), 0);
    sch_close(&s);
}

static void test_ddka_order(void)
{
    const uint64_t bits[8] = { 2048, 128, 512, 256, 1024, 128, 2048, 512 };
    const double sec[4] = { 0.0, 4.0, 9.0, 2.0 };
    sched_params_t p;
    sched_params_default(&p);
    const double ws[] = { 0.0, 0.3, 0.5, 1.0 };
    for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++) {
        p.ddka_w = ws[k];
        ddka_case(&p, bits, sec, NULL);
    }
    /* Through the relay's metric, with ties (jobs 1 and 5 share est). */
    metric_tab_t t = {
        .k_qua = { 5, 2, 9, 1, 3, 2, 7, 4 },
        .k_sec = { 1, 3, 0, 9, 5, 3, 2, 8 },
    };
    p.ddka_w = 0.5;
    p.metric = metric;
    p.metric_ctx = &t;
    ddka_case(&p, bits, sec, &t);

    /* The head waits for its key: a later job with a higher est does not pass. */
    sched_job_t big, small;
    sch_t s;
    sched_params_default(&p);
    p.ddka_w = 0.0;   /* est = ln bits: the smaller job first */
    sch_open(&s, "ddka", &p);
    sch_flows(&s, 1, NULL, NULL);
    sch_put(&s, &big, 0, 4096);
    sch_put(&s, &small, 0, 256);
    CU_ASSERT_PTR_NULL(s.pol->next(s.st, 255, 0));
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, 256, 0), &small);
    CU_ASSERT_PTR_NULL(s.pol->next(s.st, 4095, 0));
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, 4096, 0), &big);
    sch_close(&s);
}

/* ------------------------------------------------------------ Toshiba */

static void test_toshiba_allocate(void)
{
    const double d[3] = { 100e3, 200e3, 100e3 };
    double out[3];
    double c = 200e3;
    double total = sched_toshiba_allocate(d, 3, c, out);
    double sum = d[0] + d[1] + d[2];
    for (size_t i = 0; i < 3; i++)
        CU_ASSERT_DOUBLE_EQUAL(out[i], d[i] * c / sum, 1e-9 * d[i]);
    CU_ASSERT_DOUBLE_EQUAL(total, c, 1e-9 * c);
    /* The survey's example: 50, 100, 50 kbit/s. */
    CU_ASSERT_DOUBLE_EQUAL(out[0], 50e3, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(out[1], 100e3, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(out[2], 50e3, 1e-6);
    /* Demands the path can carry are met in full. */
    total = sched_toshiba_allocate(d, 3, 1e6, out);
    for (size_t i = 0; i < 3; i++)
        CU_ASSERT_DOUBLE_EQUAL(out[i], d[i], 0.0);
    CU_ASSERT_DOUBLE_EQUAL(total, sum, 1e-9 * sum);
}

/* Three flows demanding 100, 200, 100 kbit/s (jobs of varied sizes
 * arriving at those rates) over a link giving 200 kbit/s of key for 100 s:
 * each gets its allocation d_i C / sum d within 2 %. */
static void test_toshiba_served(void)
{
    enum { STEPS = 10000 };                 /* 10 ms each: 100 s */
    const double d[3] = { 100e3, 200e3, 100e3 };
    const double c = 200e3, dt = 0.01;
    const uint64_t sizes[4] = { 512, 1024, 2048, 768 };
    double want[3], served[3] = { 0 }, owed[3] = { 0 };
    size_t next_size[3] = { 0, 1, 2 };
    size_t cap = 1024, used = 0;
    sched_job_t **pool = calloc(cap, sizeof *pool);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
    sch_t s;
    sch_open(&s, "toshiba", NULL);
    sch_flows(&s, 3, NULL, d);
    sched_toshiba_allocate(d, 3, c, want);
    uint64_t avail = 0;
    for (int step = 0; step < STEPS; step++) {
        for (uint32_t i = 0; i < 3; i++) {
            owed[i] += d[i] * dt;
            while (owed[i] >= (double)sizes[next_size[i]]) {
                sched_job_t *j = malloc(sizeof *j);
                CU_ASSERT_PTR_NOT_NULL_FATAL(j);
                if (used == cap) {
                    cap *= 2;
                    pool = realloc(pool, cap * sizeof *pool);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
                }
                pool[used++] = j;
                owed[i] -= (double)sizes[next_size[i]];
                sch_put(&s, j, i, sizes[next_size[i]]);
                next_size[i] = (next_size[i] + 1) % 4;
            }
        }
        avail += (uint64_t)(c * dt);
        sched_job_t *j;
        while ((j = s.pol->next(s.st, avail, 0)) != NULL) {
            avail -= j->bits;
            served[j->flow] += (double)j->bits;
        }
    }
    for (size_t i = 0; i < 3; i++) {
        double rate = served[i] / (STEPS * dt);
        CU_ASSERT(fabs(rate - want[i]) <= 0.02 * want[i]);
        if (fabs(rate - want[i]) > 0.02 * want[i])
            printf("\n  flow %zu: %.0f bit/s, want %.0f\n", i, rate, want[i]);
    }
    /* The backlog leaves the queues before the jobs are freed. */
    while (s.pol->next(s.st, UINT64_MAX, 0) != NULL)
        ;
    CU_ASSERT_EQUAL(s.pol->pending(s.st), 0);
    for (size_t i = 0; i < used; i++)
        free(pool[i]);
    free(pool);
    sch_close(&s);
}

/* ------------------------------------------------------------ QKDTL */

static void test_qkdtl_admission(void)
{
    const double cap = 200e3;
    const double r[4] = { 100e3, 200e3, 100e3, 50e3 };
    sched_params_t p;
    sched_flow_t f[4];
    sch_t s;
    sched_params_default(&p);
    p.low_threshold = 1000;
    sch_open(&s, "qkdtl", &p);
    for (uint32_t i = 0; i < 4; i++) {
        sched_flow_default(&f[i], i);
        f[i].rate = r[i];
        sch_flow(&s, &f[i]);
    }
    /* Admitted while the sum of admitted rates stays <= C. */
    CU_ASSERT_TRUE(s.pol->admit(s.st, &f[0], cap));    /* 100 <= 200 */
    CU_ASSERT_FALSE(s.pol->admit(s.st, &f[1], cap));   /* 100 + 200 > 200 */
    CU_ASSERT_TRUE(s.pol->admit(s.st, &f[2], cap));    /* 100 + 100 <= 200 */
    CU_ASSERT_FALSE(s.pol->admit(s.st, &f[3], cap));   /* 200 + 50 > 200 */
    CU_ASSERT_TRUE(s.pol->admit(s.st, &f[1], 2 * cap)); /* a hop that carries it */
    s.pol->release(s.st, 1);
    s.pol->release(s.st, 0);
    CU_ASSERT_FALSE(s.pol->admit(s.st, &f[1], cap));   /* 100 + 200 > 200 */
    s.pol->release(s.st, 2);
    CU_ASSERT_TRUE(s.pol->admit(s.st, &f[1], cap));    /* 0 + 200 <= 200 */
    /* The CON flag halves the sender: 200 -> 100 frees room for 50 + 50. */
    CU_ASSERT_DOUBLE_EQUAL(sched_qkdtl_halve(s.st, 1), r[1] / 2, 0.0);
    CU_ASSERT_DOUBLE_EQUAL(sched_qkdtl_halve(s.st, 0), 0.0, 0.0);   /* not admitted */
    CU_ASSERT_TRUE(s.pol->admit(s.st, &f[3], cap));    /* 100 + 50 <= 200 */
    CU_ASSERT_FALSE(s.pol->admit(s.st, &f[0], cap));   /* 150 + 100 > 200 */
    sched_flow_t unknown;
    sched_flow_default(&unknown, 9);
    CU_ASSERT_FALSE(s.pol->admit(s.st, &unknown, cap));
    /* Congested below the low threshold. */
    CU_ASSERT_TRUE(sched_qkdtl_congested(s.st, p.low_threshold - 1));
    CU_ASSERT_FALSE(sched_qkdtl_congested(s.st, p.low_threshold));
    /* Jobs in arrival order. */
    sched_job_t a, b;
    sch_put(&s, &a, 3, 700);
    sch_put(&s, &b, 1, 100);
    CU_ASSERT_PTR_NULL(s.pol->next(s.st, 699, 0));
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, 800, 0), &a);
    CU_ASSERT_PTR_EQUAL(s.pol->next(s.st, 100, 0), &b);
    sch_close(&s);
}

/* ------------------------------------------------------------ all policies */

/* Every policy: next is NULL while the key is below every head job, and
 * remove takes a queued job out (pending drops, the others still come). */
static void test_all_wait_and_remove(void)
{
    for (size_t k = 0; sched_policies[k] != NULL; k++) {
        const double rate[3] = { 1000.0, 2000.0, 3000.0 };
        sched_job_t jobs[6];
        sch_t s;
        sch_open(&s, sched_policies[k]->name, NULL);
        for (uint32_t i = 0; i < 3; i++) {
            sched_flow_t f;
            sched_flow_default(&f, i);
            f.rate = rate[i];
            f.cls = i;
            sch_flow(&s, &f);
            if (s.pol->admit != NULL)
                CU_ASSERT_TRUE(s.pol->admit(s.st, &f, 1e6));
        }
        for (size_t i = 0; i < 6; i++)
            sch_put(&s, &jobs[i], (uint32_t)(i % 3), 1000 + 100 * i);
        CU_ASSERT_PTR_NULL(s.pol->next(s.st, 999, 0));
        CU_ASSERT_PTR_NULL(s.pol->next(s.st, 0, 0));
        CU_ASSERT_EQUAL(s.pol->pending(s.st), 6);
        s.pol->remove(s.st, &jobs[1]);   /* flow 1's first */
        s.pol->remove(s.st, &jobs[5]);   /* flow 2's last */
        s.pol->remove(s.st, &jobs[2]);   /* flow 2's first: flow 2 now empty */
        CU_ASSERT_EQUAL(s.pol->pending(s.st), 3);
        int seen[6] = { 0 }, n = 0;
        sched_job_t *j;
        while ((j = s.pol->next(s.st, UINT64_MAX, 0)) != NULL) {
            seen[j - jobs]++;
            n++;
        }
        CU_ASSERT_EQUAL(n, 3);
        CU_ASSERT(seen[0] == 1 && seen[3] == 1 && seen[4] == 1);
        CU_ASSERT(seen[1] == 0 && seen[2] == 0 && seen[5] == 0);
        CU_ASSERT_EQUAL(s.pol->pending(s.st), 0);
        /* Removing the only queued job leaves an empty scheduler. */
        sch_put(&s, &jobs[0], 0, 10);
        s.pol->remove(s.st, &jobs[0]);
        CU_ASSERT_EQUAL(s.pol->pending(s.st), 0);
        CU_ASSERT_PTR_NULL(s.pol->next(s.st, UINT64_MAX, 0));
        sch_close(&s);
    }
}

int main(void)
{
    static const th_test_t tests[] = {
        { "registry", test_registry },
        { "bad parameters and flows", test_bad_input },
        { "fifo: arrival order, head of line", test_fifo_order },
        { "dwrr: shares proportional to quanta (weights 1:2:3)", test_dwrr_shares },
        { "dwrr: quanta from demanded rates", test_dwrr_rate_quanta },
        { "dwrr: same service order as a plain DRR", test_dwrr_exact },
        { "dwrr: a job waits for key", test_dwrr_waits_for_key },
        { "dwrr: remove during a visit", test_dwrr_remove_in_visit },
        { "prio: strict classes, FIFO within", test_prio_strict },
        { "ddka: ascending est(K), ties FIFO", test_ddka_order },
        { "toshiba: allocation closed form", test_toshiba_allocate },
        { "toshiba: served 50/100/50 kbit/s of 200", test_toshiba_served },
        { "qkdtl: admission and congestion flag", test_qkdtl_admission },
        { "all: wait for key, remove", test_all_wait_and_remove },
        { NULL, NULL },
    };
    return th_main("sched", tests);
}
