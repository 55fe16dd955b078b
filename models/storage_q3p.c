/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * storage_q3p.c - the storage design "q3p": SECOQC's Quantum Point to
 * Point Protocol key store (docs/storage-models.md, "The q3p design";
 * shared/REFERENCE.md, SECOQC row and "Q3P implementation facts").
 *
 * Per link end: one pickup store per QKD device, where the device's key
 * lands; one common store, which also pays the authentication tags of
 * the key managers' messages; and two buffers, one per direction of
 * traffic ("a-to-b" is end a's encryption buffer and end b's decryption
 * buffer). Every pair is synced: a key manager acts at both ends at one
 * instant.
 *
 * The master end decides everything. Every `timer` it runs STORE (pickup
 * -> common) for each pickup store holding key and LOAD (common ->
 * buffer) for each buffer under the R10 rules; the slave asks for a LOAD
 * (LOAD-REQUEST) when its decryption buffer leaves READY. A STORE or LOAD
 * is an exchange of a message and its acknowledgement; it takes effect
 * `delay` after the decision, at both ends at once, and then pays the
 * two tags from the common store. A LOAD-REQUEST is one message and one
 * tag. LOADs and LOAD-REQUESTs leave the tags of one round of STOREs in
 * the common store, so that pickup key can always be stored.
 *
 * Clients are served from the buffer of the direction that starts at
 * their master's end, in step at both ends (storage_serve_pair).
 */
#include "models/storage.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define Q3P_MS INT64_C(1000000)

enum { Q3P_STORE = 0, Q3P_LOAD = 1, Q3P_REQUEST = 2 };
/* Its counters (sl->counters), declared in q3p_counters. */
enum { Q3P_MESSAGES, Q3P_TAG_BITS, Q3P_SKIPPED, Q3P_ROUNDS, Q3P_MOVED };

/* A message in flight. All messages have the same delay and the kernel
 * runs equal times in scheduling order, so they arrive in the order they
 * were sent: one FIFO holds them. */
typedef struct q3p_msg {
    int64_t due;       /* ns, when it takes effect at both ends */
    uint64_t amount;   /* LOAD: the bits the master decided to move */
    uint32_t target;   /* STORE: device; LOAD, REQUEST: buffer (direction) */
    int kind;
} q3p_msg_t;

typedef struct q3p_state {
    int64_t timer;             /* ns between rounds */
    int64_t delay;             /* ns, one-way message delay */
    uint64_t tag;              /* bits of one authentication tag */
    uint64_t buffer;           /* capacity of each buffer, bits */
    uint64_t pickup;           /* capacity of each pickup store, bits */
    uint64_t reserve;          /* bits of the common store only STOREs may spend */
    bool load_request;
    int master;                /* STORAGE_END_A or STORAGE_END_B */
    kstore_t *common[2];
    kstore_t *buf[2][2];       /* buf[d]: the direction from end d ("a-to-b", "b-to-a") */
    kstore_t *(*pick)[2];      /* sl->ndevices pairs */
    int64_t *upto;             /* per pickup: key born up to this may move (last STORE) */
    uint64_t committed;        /* tag bits the messages in flight will take, per end */
    bool request_in_flight;
    q3p_msg_t *q;              /* the messages in flight, a ring */
    size_t qhead, qn, qcap;
} q3p_state_t;

static const char *const q3p_params[] = {
    "timer", "tag", "delay", "buffer", "pickup", "load-request", "master", NULL,
};

static uint64_t q3p_min(uint64_t x, uint64_t y)
{
    return x < y ? x : y;
}

/* Tags a message of `kind` costs: an exchange pays its acknowledgement
 * too. */
static uint64_t q3p_tags(int kind)
{
    return kind == Q3P_REQUEST ? 1 : 2;
}

static int q3p_bug(storage_link_t *sl, sim_err_t *err, const char *what)
{
    if (err->code != SIM_OK)
        return err->code;
    return sim_err_set(err, SIM_ERR_RUN, "link %s: q3p: %s", sl->id, what);
}

/* ------------------------------------------------------------ setup */

static int q3p_check(storage_link_t *sl, const scn_elem_t *e, const q3p_state_t *st,
                     sim_err_t *err)
{
    const uint64_t cap = sl->cfg.capacity;
    const size_t devices = sl->ndevices > 0 ? sl->ndevices : 1;

    if (st->timer <= 0)
        return scn_error(e, err, "attribute 'timer': must be positive (the LOAD/STORE "
                                 "round)");
    if (st->delay < 0)
        return scn_error(e, err, "attribute 'delay': must not be negative");
    if (st->tag > cap / 2 / devices)
        return scn_error(e, err, "link '%s': attribute 'tag': a round of STOREs costs two "
                                 "tags per device (2 x %" PRIu64 " b x %zu), more than the "
                                 "link's store (capacity %" PRIu64 " b) can hold", sl->id,
                         st->tag, devices, cap);
    if (st->buffer == 0)
        return scn_error(e, err, "link '%s': attribute 'buffer': must be positive (the "
                                 "default is a tenth of the store's capacity of %" PRIu64
                                 " b)", sl->id, cap);
    if (st->buffer > cap)
        return scn_error(e, err, "link '%s': attribute 'buffer': %" PRIu64 " b exceeds the "
                                 "capacity of the link's store (%" PRIu64 " b), from which "
                                 "the buffers are loaded", sl->id, st->buffer, cap);
    if (st->pickup == 0)
        return scn_error(e, err, "attribute 'pickup': must be positive");
    return SIM_OK;
}

static int q3p_parse(storage_link_t *sl, const scn_elem_t *e, q3p_state_t *st, sim_err_t *err)
{
    /* xs:boolean spellings; the index's parity is the value. */
    static const char *const booleans[] = { "false", "true", "0", "1", NULL };
    static const char *const ends[] = { "a", "b", NULL };
    int request = 1, master = STORAGE_END_A;
    int rc;

    st->timer = 250 * Q3P_MS;
    st->tag = 96;
    st->delay = 1 * Q3P_MS;
    st->buffer = sl->cfg.capacity / 10;
    st->pickup = sl->cfg.capacity;
    if ((rc = scn_attr_time(e, "timer", false, &st->timer, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "tag", false, &st->tag, err)) != SIM_OK ||
        (rc = scn_attr_time(e, "delay", false, &st->delay, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "buffer", false, &st->buffer, err)) != SIM_OK ||
        (rc = scn_attr_bits(e, "pickup", false, &st->pickup, err)) != SIM_OK ||
        (rc = scn_attr_enum(e, "load-request", false, booleans, &request, err)) != SIM_OK ||
        (rc = scn_attr_enum(e, "master", false, ends, &master, err)) != SIM_OK)
        return rc;
    st->load_request = request % 2 == 1;
    st->master = master;
    if ((rc = q3p_check(sl, e, st, err)) != SIM_OK)
        return rc;
    /* One round of STOREs, so that pickup key can always enter the
     * common store (checked above to fit in it). */
    st->reserve = 2 * st->tag * sl->ndevices;
    return SIM_OK;
}

/* The pickup stores: the link's store with their own capacity and no
 * initial key; its thresholds when they fit, none otherwise. */
static kstore_config_t q3p_pickup_config(const storage_link_t *sl, const q3p_state_t *st)
{
    kstore_config_t c = sl->cfg;
    c.capacity = st->pickup;
    c.initial = 0;
    c.reserve_min = false;   /* nobody is served from a pickup store */
    if (c.mthr > c.capacity)
        c.mmin = c.mthr = 0;
    return c;
}

/* The buffers: Mthr at half the capacity (the slave's LOAD-REQUEST
 * point), Mmin 0; lifecycle and format of the link's store. */
static kstore_config_t q3p_buffer_config(const storage_link_t *sl, const q3p_state_t *st)
{
    kstore_config_t c = sl->cfg;
    c.capacity = st->buffer;
    c.mmin = 0;
    c.mthr = st->buffer / 2;
    c.initial = 0;
    c.reserve_min = false;
    return c;
}

static void q3p_on_state(void *ctx, kstore_t *store, kstore_state_t from, kstore_state_t to,
                         int64_t time);

static int q3p_make_stores(storage_link_t *sl, q3p_state_t *st, sim_err_t *err)
{
    const kstore_config_t pc = q3p_pickup_config(sl, st), bc = q3p_buffer_config(sl, st);
    char role[STORAGE_ROLE_MAX];
    int rc;

    for (size_t k = 0; k < sl->ndevices; k++) {
        snprintf(role, sizeof role, "pickup/%zu", k);
        if ((rc = storage_make_stores(sl, role, &pc, true, st->pick[k], err)) != SIM_OK)
            return rc;
    }
    if ((rc = storage_make_stores(sl, "common", &sl->cfg, true, st->common, err)) != SIM_OK ||
        (rc = storage_make_stores(sl, "a-to-b", &bc, true, st->buf[STORAGE_END_A], err)) !=
            SIM_OK ||
        (rc = storage_make_stores(sl, "b-to-a", &bc, true, st->buf[STORAGE_END_B], err)) !=
            SIM_OK)
        return rc;
    /* The slave watches its decryption buffer: the direction from the
     * master to it, at its own end. */
    if (st->load_request)
        return kstore_subscribe(st->buf[st->master][1 - st->master], q3p_on_state, sl, err);
    return SIM_OK;
}

static int q3p_setup(storage_link_t *sl, const scn_elem_t *e, sim_err_t *err)
{
    q3p_state_t *st = calloc(1, sizeof *st);
    const size_t n = sl->ndevices > 0 ? sl->ndevices : 1;
    int rc;

    if (st == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    sl->state = st;
    st->pick = calloc(n, sizeof *st->pick);
    st->upto = calloc(n, sizeof *st->upto);
    if (st->pick == NULL || st->upto == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "out of memory");
    for (size_t k = 0; k < n; k++)
        st->upto[k] = INT64_MIN;   /* nothing may move before its first STORE */
    if ((rc = q3p_parse(sl, e, st, err)) != SIM_OK)
        return rc;
    return q3p_make_stores(sl, st, err);
}

static void q3p_destroy(storage_link_t *sl)
{
    q3p_state_t *st = sl->state;
    if (st == NULL)
        return;
    free(st->pick);
    free(st->upto);
    free(st->q);
    free(st);
}

/* ------------------------------------------------------------ messages */

static void q3p_on_arrival(sim_t *sim, void *object, uint64_t arg);

static int q3p_push(q3p_state_t *st, const q3p_msg_t *m, sim_err_t *err)
{
    if (st->qn == st->qcap) {
        const size_t cap = st->qcap == 0 ? 8 : 2 * st->qcap;
        q3p_msg_t *v = malloc(cap * sizeof *v);
        if (v == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        for (size_t i = 0; i < st->qn; i++)
            v[i] = st->q[(st->qhead + i) % st->qcap];
        free(st->q);
        st->q = v;
        st->qhead = 0;
        st->qcap = cap;
    }
    st->q[(st->qhead + st->qn) % st->qcap] = *m;
    st->qn++;
    return SIM_OK;
}

/* Key of the common store that is promised to nobody: its level less the
 * tags of the messages in flight, the STORE reserve and `also`. */
static uint64_t q3p_spare(const q3p_state_t *st, uint64_t also)
{
    const uint64_t level = kstore_level(st->common[st->master]);
    const uint64_t keep = st->committed + st->reserve;
    return level > keep && level - keep > also ? level - keep - also : 0;
}

/* Sends a message decided at `now`. It goes only when the common store
 * holds its tags beyond those the messages in flight will take and,
 * unless it is a STORE, beyond the STORE reserve (else it is counted as
 * skipped), and only when it arrives within the run. *sent (may be NULL)
 * says whether it went. */
static int q3p_send(storage_link_t *sl, int kind, uint32_t target, uint64_t amount,
                    int64_t now, bool *sent, sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    const uint64_t cost = q3p_tags(kind) * st->tag;
    const q3p_msg_t m = { .due = now + st->delay, .amount = amount, .target = target,
                          .kind = kind };
    int rc;

    if (sent != NULL)
        *sent = false;
    if (now > sl->ctx->end - st->delay)
        return SIM_OK;   /* would take effect after the run */
    if (kstore_level(st->common[st->master]) <
        st->committed + cost + (kind == Q3P_STORE ? 0 : st->reserve))
        return storage_count(sl, Q3P_SKIPPED, 1, err);
    if ((rc = q3p_push(st, &m, err)) != SIM_OK ||
        (rc = storage_schedule(sl, m.due, q3p_on_arrival, 0, err)) != SIM_OK)
        return rc;
    st->committed += cost;
    st->request_in_flight |= kind == Q3P_REQUEST;
    if (sent != NULL)
        *sent = true;
    return SIM_OK;
}

/* A message takes effect: its tags (and its acknowledgement's) leave the
 * common store at both ends, as one change. *paid false when the store
 * cannot pay them any more: nothing is taken, the message counts as
 * skipped. */
static int q3p_pay(storage_link_t *sl, int kind, int sender, int64_t now, bool *paid,
                   sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    const uint64_t n = q3p_tags(kind), cost = n * st->tag;
    int rc;

    *paid = false;
    st->committed -= cost;
    storage_expire_pair(st->common, now);
    if (kstore_level(st->common[sender]) < cost)
        return storage_count(sl, Q3P_SKIPPED, 1, err);
    sim_err_clear(err);
    if (cost > 0 && !storage_take_pair(st->common, sender, cost, KSTORE_CAUSE_INTERNAL,
                                       KSTORE_CAUSE_INTERNAL, now, NULL, err))
        return q3p_bug(sl, err, "the common store could not pay a tag it holds");
    /* cost <= the level <= capacity <= 2^62, so 2 * cost cannot wrap. */
    if ((rc = storage_count(sl, Q3P_MESSAGES, n, err)) != SIM_OK ||
        (rc = storage_count(sl, Q3P_TAG_BITS, 2 * cost, err)) != SIM_OK)
        return rc;
    *paid = true;
    return SIM_OK;
}

/* ------------------------------------------------------------ STORE */

static int q3p_decide_stores(storage_link_t *sl, int64_t now, sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    int rc;
    for (size_t k = 0; k < sl->ndevices; k++)
        if (kstore_level(st->pick[k][st->master]) > 0 &&
            (rc = q3p_send(sl, Q3P_STORE, (uint32_t)k, 0, now, NULL, err)) != SIM_OK)
            return rc;
    return SIM_OK;
}

/* Moves pickup key into the common store in birth order over all
 * devices (expiry needs the common store's ranges in birth order): the
 * oldest key of any pickup store goes next, while its STORE allows it
 * (born up to that STORE's arrival); the first key that may not move yet
 * stops the merge. Each step moves the leading ranges of one pickup store
 * that are not younger than the others' oldest. */
static int q3p_merge(storage_link_t *sl, int64_t now, sim_err_t *err)
{
    q3p_state_t *st = sl->state;

    for (size_t k = 0; k < sl->ndevices; k++)
        storage_expire_pair(st->pick[k], now);
    for (;;) {
        size_t best = SIZE_MAX;
        int64_t limit;
        uint64_t bits = 0;
        for (size_t k = 0; k < sl->ndevices; k++) {
            const kstore_t *p = st->pick[k][0];
            if (kstore_range_count(p) > 0 &&
                (best == SIZE_MAX ||
                 kstore_range_at(p, 0)->birth < kstore_range_at(st->pick[best][0], 0)->birth))
                best = k;
        }
        if (best == SIZE_MAX || kstore_range_at(st->pick[best][0], 0)->birth > st->upto[best])
            return SIM_OK;
        limit = st->upto[best];
        for (size_t k = 0; k < sl->ndevices; k++)
            if (k != best && kstore_range_count(st->pick[k][0]) > 0 &&
                kstore_range_at(st->pick[k][0], 0)->birth < limit)
                limit = kstore_range_at(st->pick[k][0], 0)->birth;
        for (size_t i = 0; i < kstore_range_count(st->pick[best][0]) &&
                           kstore_range_at(st->pick[best][0], i)->birth <= limit; i++)
            bits += kstore_range_at(st->pick[best][0], i)->length;
        sim_err_clear(err);
        if (!storage_move_pair(sl, st->pick[best], st->common, bits, now, err))
            return q3p_bug(sl, err, "a pickup store could not give the key it holds");
    }
}

static int q3p_apply_store(storage_link_t *sl, uint32_t k, int64_t now, sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    bool paid = false;
    int rc;

    if ((rc = q3p_pay(sl, Q3P_STORE, st->master, now, &paid, err)) != SIM_OK || !paid)
        return rc;
    st->upto[k] = now;
    return q3p_merge(sl, now, err);
}

/* ------------------------------------------------------------ LOAD */

/* What a LOAD of buffer d may move, seen at the master: nothing when the
 * buffer is more than 90 % full; else its room, at most a third of the
 * common store's level `common`, at most `limit`, and at most what the
 * common store can spare once this LOAD's tags and `planned` (bits
 * promised to the LOAD decided just before) are set aside. */
static uint64_t q3p_load_amount(const q3p_state_t *st, int d, uint64_t common, uint64_t limit,
                                uint64_t planned)
{
    const kstore_t *b = st->buf[d][st->master];
    const uint64_t cap = kstore_config(b)->capacity, room = cap - kstore_level(b);
    const uint64_t spare = q3p_spare(st, 2 * st->tag + planned);

    if (room <= (cap - 1) / 10)   /* room < cap / 10: level > 90 % */
        return 0;
    return q3p_min(q3p_min(room, common / 3), q3p_min(limit, spare));
}

/* The master's LOAD decisions for buffer `only` (-1: both, out first).
 * Incoming <= outgoing: the master's in-buffer may be loaded only up to
 * the level its out-buffer will have once its own LOAD is done. A LOAD
 * that would move fewer bits than its two tags is not worth sending. The
 * tags and the key of the LOADs decided leave the STORE reserve alone. */
static int q3p_decide_loads(storage_link_t *sl, int only, int64_t now, sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    const int out = st->master, in = 1 - st->master;
    const uint64_t common = kstore_level(st->common[st->master]);
    uint64_t planned = 0, amount, have_out, have_in;
    bool sent = false;
    int rc;

    if (only < 0 || only == out) {
        amount = q3p_load_amount(st, out, common, UINT64_MAX, 0);
        if (amount > 0 && amount >= 2 * st->tag) {
            if ((rc = q3p_send(sl, Q3P_LOAD, (uint32_t)out, amount, now, &sent, err)) != SIM_OK)
                return rc;
            planned = sent ? amount : 0;
        }
    }
    if (only >= 0 && only != in)
        return SIM_OK;
    have_out = kstore_level(st->buf[out][st->master]) + planned;
    have_in = kstore_level(st->buf[in][st->master]);
    amount = q3p_load_amount(st, in, common, have_out > have_in ? have_out - have_in : 0,
                             planned);
    if (amount > 0 && amount >= 2 * st->tag)
        return q3p_send(sl, Q3P_LOAD, (uint32_t)in, amount, now, NULL, err);
    return SIM_OK;
}

/* A LOAD takes effect: after its tags, it moves what was decided, at most
 * what the common store can spare now (beyond the tags still in flight
 * and the STORE reserve) and the buffer's room, and for the master's
 * in-buffer at most what keeps it at or below the out-buffer. */
static int q3p_apply_load(storage_link_t *sl, uint32_t d, uint64_t amount, int64_t now,
                          sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    const int m = st->master;
    bool paid = false;
    uint64_t move, out, in;
    int rc;

    if ((rc = q3p_pay(sl, Q3P_LOAD, m, now, &paid, err)) != SIM_OK || !paid)
        return rc;
    storage_expire_pair(st->buf[0], now);
    storage_expire_pair(st->buf[1], now);
    move = q3p_min(amount, q3p_spare(st, 0));
    move = q3p_min(move, st->buffer - kstore_level(st->buf[d][m]));
    if ((int)d != m) {
        out = kstore_level(st->buf[m][m]);
        in = kstore_level(st->buf[d][m]);
        move = q3p_min(move, out > in ? out - in : 0);
    }
    sim_err_clear(err);
    if (move > 0 && !storage_move_pair(sl, st->common, st->buf[d], move, now, err))
        return q3p_bug(sl, err, "the common store could not give the key it holds");
    return SIM_OK;
}

/* ------------------------------------------------------------ LOAD-REQUEST */

/* The slave's decryption buffer left READY: ask the master for a LOAD,
 * unless a request is already on its way. */
static void q3p_on_state(void *ctx, kstore_t *store, kstore_state_t from, kstore_state_t to,
                         int64_t time)
{
    storage_link_t *sl = ctx;
    q3p_state_t *st = sl->state;
    sim_err_t err;
    (void)store;

    if (from != KSTORE_READY || to == KSTORE_READY || st->request_in_flight)
        return;
    if (q3p_send(sl, Q3P_REQUEST, (uint32_t)st->master, 0, time, NULL, &err) != SIM_OK)
        storage_fail(sl, &err);
}

static int q3p_apply_request(storage_link_t *sl, uint32_t d, int64_t now, sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    bool paid = false;
    int rc;

    st->request_in_flight = false;
    if ((rc = q3p_pay(sl, Q3P_REQUEST, 1 - st->master, now, &paid, err)) != SIM_OK || !paid)
        return rc;
    return q3p_decide_loads(sl, (int)d, now, err);
}

static void q3p_on_arrival(sim_t *sim, void *object, uint64_t arg)
{
    storage_link_t *sl = object;
    q3p_state_t *st = sl->state;
    const int64_t now = sim_now(sim);
    sim_err_t err;
    q3p_msg_t m;
    int rc;
    (void)arg;

    sim_err_clear(&err);
    if (st->qn == 0 || st->q[st->qhead].due != now) {
        q3p_bug(sl, &err, "a message arrived out of order");
        storage_fail(sl, &err);
        return;
    }
    m = st->q[st->qhead];
    st->qhead = (st->qhead + 1) % st->qcap;
    st->qn--;
    switch (m.kind) {
    case Q3P_STORE: rc = q3p_apply_store(sl, m.target, now, &err); break;
    case Q3P_LOAD: rc = q3p_apply_load(sl, m.target, m.amount, now, &err); break;
    default: rc = q3p_apply_request(sl, m.target, now, &err); break;
    }
    if (rc != SIM_OK)
        storage_fail(sl, &err);
}

/* ------------------------------------------------------------ rounds */

static void q3p_on_round(sim_t *sim, void *object, uint64_t arg);

/* The next round, unless it would fall after the end of the run. */
static int q3p_next_round(storage_link_t *sl, int64_t now, sim_err_t *err)
{
    const q3p_state_t *st = sl->state;
    if (now > sl->ctx->end - st->timer)
        return SIM_OK;
    return storage_schedule(sl, now + st->timer, q3p_on_round, 0, err);
}

static void q3p_on_round(sim_t *sim, void *object, uint64_t arg)
{
    storage_link_t *sl = object;
    const int64_t now = sim_now(sim);
    sim_err_t err;
    (void)arg;

    if (storage_count(sl, Q3P_ROUNDS, 1, &err) != SIM_OK ||
        q3p_decide_stores(sl, now, &err) != SIM_OK ||
        q3p_decide_loads(sl, -1, now, &err) != SIM_OK ||
        q3p_next_round(sl, now, &err) != SIM_OK)
        storage_fail(sl, &err);
}

static int q3p_start(storage_link_t *sl, sim_err_t *err)
{
    return q3p_next_round(sl, 0, err);
}

/* ------------------------------------------------------------ key and clients */

static int q3p_deliver(storage_link_t *sl, size_t device, const kstore_range_t *r,
                       kstore_cause_t cause, int64_t now, sim_err_t *err)
{
    q3p_state_t *st = sl->state;

    /* Q3P authenticates with pre-shared key: the initial key is common. */
    if (cause == KSTORE_CAUSE_INITIAL)
        return storage_add_pair(st->common, r, cause, now, err);
    if (device >= sl->ndevices)
        return sim_err_set(err, SIM_ERR_RUN, "link %s: key from device %zu of %zu", sl->id,
                           device, sl->ndevices);
    return storage_add_pair(st->pick[device], r, cause, now, err);
}

static int q3p_get_key(storage_link_t *sl, size_t app, uint64_t bits, uint64_t waste,
                       int64_t now, kstore_rangebuf_t *out, uint64_t *ticket, bool *granted,
                       sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    const int m = sl->apps[app].master_end;
    *ticket = 0;
    return storage_serve_pair(st->buf[m], m, bits, waste, now, out, granted, err);
}

/* A client is served from its master's direction buffer, held at both ends. */
static const kstore_t *q3p_serving(const storage_link_t *sl, size_t app, int end)
{
    const q3p_state_t *st = sl->state;
    return st->buf[sl->apps[app].master_end][end];
}

static int q3p_fetch(storage_link_t *sl, size_t app, uint64_t ticket, uint64_t bits,
                     uint64_t waste, int64_t now, bool *ok, sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    const int m = sl->apps[app].master_end;
    (void)ticket;
    (void)now;
    *ok = true;
    return storage_fetch_pair(st->buf[m], 1 - m, bits, waste, err);
}

/* Relay takes from the buffer of the direction leaving `end`, as an
 * application's key would (the LOAD rules keep it stocked). */
static int q3p_take(storage_link_t *sl, int end, uint64_t bits, int64_t now,
                    kstore_rangebuf_t *out, bool *granted, sim_err_t *err)
{
    q3p_state_t *st = sl->state;
    return storage_relay_pair(st->buf[end], end, bits, now, out, granted, err);
}

/* In the order of the /summary/links columns they were before designs
 * declared them (messages, tag_bits, skipped, rounds, moved_bits). */
static const model_counter_t q3p_counters[] = {
    [Q3P_MESSAGES] = { .name = "messages" },
    [Q3P_TAG_BITS] = { .name = "tag_bits" },
    [Q3P_SKIPPED] = { .name = "skipped" },
    [Q3P_ROUNDS] = { .name = "rounds" },
    [Q3P_MOVED] = { .name = "moved_bits" },
    { .name = NULL },
};

/* Every `timer` a round at the master and, counted as about one per
 * round, a message arriving 'delay' later; a message changes about six
 * levels (its tag at both common stores, the key it moves at both ends). */
static void q3p_estimate(const storage_link_t *sl, int64_t end, model_estimate_t *est)
{
    const q3p_state_t *st = sl->state;
    const double rounds = (double)end / (double)st->timer;
    est->events += 2 * rounds;
    est->level_rows += 6 * rounds;
}

const storage_design_t storage_q3p = {
    .name = "q3p",
    .params = q3p_params,
    .setup = q3p_setup,
    .start = q3p_start,
    .deliver = q3p_deliver,
    .get_key = q3p_get_key,
    .fetch = q3p_fetch,
    .serving = q3p_serving,
    .take = q3p_take,
    .counters = q3p_counters,
    .destroy = q3p_destroy,
    .estimate = q3p_estimate,
};
