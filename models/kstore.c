/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kstore.c - key store: a ring buffer of key ranges, QKDNetSim states and
 * exact accounting. See kstore.h for the model.
 */
#include "models/kstore.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/checked.h"

typedef struct kstore_sub {
    kstore_state_fn fn;
    void *ctx;
} kstore_sub_t;

typedef struct kstore_obs {
    kstore_observer_fn fn;
    void *ctx;
} kstore_obs_t;

struct kstore {
    uint32_t id;
    kstore_config_t cfg;
    kstore_state_t state;
    uint64_t level;
    kstore_accounts_t acc;

    /* Ring buffer of ranges, oldest at head; cap is a power of two. */
    kstore_range_t *ring;
    size_t head, count, cap;
    /* Births never decrease from head to tail (always true with max_age,
     * where kstore_add enforces it; otherwise true until a range born
     * earlier than the newest one arrives, and again once empty). Never
     * set in a merging store: there a range's birth is only its first
     * part's, so kstore_remove must not search by birth. */
    bool birth_sorted;
    bool merge;   /* cfg.merge && no max_age (kstore.h, "Merging") */

    /* The last KSTORE_RISING_WINDOW - 1 levels before the current one. */
    uint64_t history[KSTORE_RISING_WINDOW - 1];
    size_t history_len, history_pos;

    kstore_obs_t obs[KSTORE_MAX_SUBSCRIBERS];   /* level observers, in order */
    size_t nobs;
    kstore_sub_t subs[KSTORE_MAX_SUBSCRIBERS];
    size_t nsubs;

    kstore_timer_fn timer;
    void *timer_ctx;
    kstore_feed_fn feed;   /* NULL: none */
    void *feed_ctx;
    int64_t timer_due;   /* the pending wake-up, KSTORE_NO_TIMER when none */
};

#define KSTORE_NO_TIMER INT64_MAX

#if defined(__GNUC__)
#define KSTORE_NOINLINE __attribute__((noinline))
#else
#define KSTORE_NOINLINE
#endif

int kstore_config_check(const kstore_config_t *cfg, sim_err_t *err)
{
    if (cfg->capacity == 0)
        return sim_err_set(err, SIM_ERR_INPUT, "capacity must be positive");
    if (cfg->capacity > KSTORE_MAX_CAPACITY)
        return sim_err_set(err, SIM_ERR_INPUT,
                           "capacity (%" PRIu64 " b) exceeds %" PRIu64 " b (2^62, the "
                           "largest store whose level changes fit signed 64-bit counts)",
                           cfg->capacity, KSTORE_MAX_CAPACITY);
    if (cfg->mmin > cfg->mthr)
        return sim_err_set(err, SIM_ERR_INPUT,
                           "min (%" PRIu64 " b) exceeds threshold (%" PRIu64 " b)",
                           cfg->mmin, cfg->mthr);
    if (cfg->mthr > cfg->capacity)
        return sim_err_set(err, SIM_ERR_INPUT,
                           "threshold (%" PRIu64 " b) exceeds capacity (%" PRIu64 " b)",
                           cfg->mthr, cfg->capacity);
    if (cfg->initial > cfg->capacity)
        return sim_err_set(err, SIM_ERR_INPUT,
                           "initial (%" PRIu64 " b) exceeds capacity (%" PRIu64 " b)",
                           cfg->initial, cfg->capacity);
    if (cfg->max_age < 0)
        return sim_err_set(err, SIM_ERR_INPUT, "max-age must not be negative");
    return kformat_check(&cfg->format, err);
}

int kstore_config_parse_options(const scn_elem_t *store, kstore_config_t *cfg,
                                sim_err_t *err)
{
    /* xs:boolean spellings; the index's parity is the value. */
    static const char *const booleans[] = { "false", "true", "0", "1", NULL };
    int reserve = 0;
    int rc;

    cfg->max_age = 0;
    cfg->reserve_min = false;
    if (store == NULL)
        return kformat_parse(NULL, &cfg->format, err);
    if ((rc = scn_attr_time(store, "max-age", false, &cfg->max_age, err)) != SIM_OK ||
        (rc = scn_attr_enum(store, "reserve-min", false, booleans, &reserve, err)) != SIM_OK ||
        (rc = kformat_parse(store, &cfg->format, err)) != SIM_OK)
        return rc;
    if (scn_attr(store, "max-age") != NULL && cfg->max_age <= 0)
        return scn_error(store, err, "attribute 'max-age': must be positive");
    cfg->reserve_min = reserve % 2 == 1;
    return SIM_OK;
}

kstore_t *kstore_create(const kstore_config_t *cfg, uint32_t id)
{
    kstore_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->id = id;
    s->cfg = *cfg;
    s->state = KSTORE_EMPTY;
    s->timer_due = KSTORE_NO_TIMER;
    s->cap = 16;
    s->merge = cfg->merge && cfg->max_age == 0;
    s->birth_sorted = !s->merge;
    s->ring = malloc(s->cap * sizeof *s->ring);
    if (s->ring == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void kstore_destroy(kstore_t *store)
{
    if (store == NULL)
        return;
    free(store->ring);
    free(store);
}

int kstore_observe(kstore_t *store, kstore_observer_fn fn, void *ctx, sim_err_t *err)
{
    if (store->nobs == KSTORE_MAX_SUBSCRIBERS)
        return sim_err_set(err, SIM_ERR_RUN, "store %" PRIu32 ": too many observers",
                           store->id);
    store->obs[store->nobs].fn = fn;
    store->obs[store->nobs].ctx = ctx;
    store->nobs++;
    return SIM_OK;
}

int kstore_subscribe(kstore_t *store, kstore_state_fn fn, void *ctx, sim_err_t *err)
{
    if (store->nsubs == KSTORE_MAX_SUBSCRIBERS)
        return sim_err_set(err, SIM_ERR_RUN, "store %" PRIu32 ": too many subscribers",
                           store->id);
    store->subs[store->nsubs].fn = fn;
    store->subs[store->nsubs].ctx = ctx;
    store->nsubs++;
    return SIM_OK;
}

/* ------------------------------------------------------------ states */

void kstore_set_feed(kstore_t *store, kstore_feed_fn fn, void *ctx)
{
    store->feed = fn;
    store->feed_ctx = ctx;
}

/* Brings the store up to date (kstore_set_feed) before it is looked at. */
static inline void kstore_feed(const kstore_t *s)
{
    if (s->feed != NULL)
        s->feed(s->feed_ctx);
}

static bool kstore_rising(const kstore_t *s)
{
    for (size_t i = 0; i < s->history_len; i++)
        if (s->level < s->history[i])
            return false;
    return true;
}

static kstore_state_t kstore_next_state(const kstore_t *s)
{
    /* The five rules of kstore.h, in the order a level meets them: at or
     * above Mthr rule 1, at or below Mmin rule 4; in between, rule 2, 3
     * or 5 by the previous state, and only from WARNING does "rising"
     * decide (from EMPTY rule 2 holds, from READY rule 3, from CHARGING
     * rule 2 or 5 both keep CHARGING), so the window is read only then. */
    if (s->level >= s->cfg.mthr)
        return KSTORE_READY;
    if (s->level <= s->cfg.mmin)
        return KSTORE_EMPTY;
    switch (s->state) {
    case KSTORE_EMPTY: return KSTORE_CHARGING;
    case KSTORE_READY: return KSTORE_WARNING;
    case KSTORE_WARNING: return kstore_rising(s) ? KSTORE_CHARGING : KSTORE_WARNING;
    default: return KSTORE_CHARGING;
    }
}

/* The slow part of a change: the observers (with delta 0 for a discard
 * the state and the rising window are left alone), then the subscribers
 * when the state moved. Kept out of line (KSTORE_NOINLINE) so that the
 * common case, no observer and no state change, costs a few instructions
 * in kstore_notify (docs/performance.md). */
static KSTORE_NOINLINE void kstore_tell(kstore_t *s, kstore_state_t from, int64_t delta,
                                        uint64_t amount, kstore_cause_t cause, int64_t time)
{
    const kstore_state_t to = s->state;

    if (s->nobs > 0) {
        const kstore_change_t ch = {
            .time = time, .level = s->level, .delta = delta, .amount = amount,
            .cause = cause, .state = to,
        };
        for (size_t i = 0; i < s->nobs; i++)
            s->obs[i].fn(s->obs[i].ctx, s, &ch);
    }
    if (from != to)
        for (size_t i = 0; i < s->nsubs; i++)
            s->subs[i].fn(s->subs[i].ctx, s, from, to, time);
}

/* After every change of level: the rising window and the state, then
 * the observers and, when the state moved, the subscribers. */
static inline void kstore_notify(kstore_t *s, uint64_t old_level, uint64_t amount,
                                 kstore_cause_t cause, int64_t time)
{
    const kstore_state_t from = s->state;

    /* The window holds the levels before the current one, the one just
     * left included. */
    s->history[s->history_pos] = old_level;
    s->history_pos = (s->history_pos + 1) % (KSTORE_RISING_WINDOW - 1);
    if (s->history_len < KSTORE_RISING_WINDOW - 1)
        s->history_len++;
    s->state = kstore_next_state(s);
    if (s->nobs > 0 || s->state != from)
        kstore_tell(s, from, (int64_t)s->level - (int64_t)old_level, amount, cause, time);
}

/* ------------------------------------------------------------ ranges */

static kstore_range_t *kstore_slot(const kstore_t *s, size_t i)
{
    return &s->ring[(s->head + i) & (s->cap - 1)];
}

static int kstore_grow(kstore_t *s, sim_err_t *err)
{
    size_t ncap = s->cap * 2;
    kstore_range_t *r = NULL;

    if (ncap < s->cap || ncap > SIZE_MAX / sizeof *r)
        return sim_err_set(err, SIM_ERR_RUN, "store %" PRIu32 ": too many ranges", s->id);
    r = malloc(ncap * sizeof *r);
    if (r == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "store %" PRIu32 ": out of memory", s->id);
    for (size_t i = 0; i < s->count; i++)
        r[i] = *kstore_slot(s, i);
    free(s->ring);
    s->ring = r;
    s->head = 0;
    s->cap = ncap;
    return SIM_OK;
}

/* ------------------------------------------------------------ lifecycle */

/* When r expires; INT64_MAX when never (no max age, or not representable). */
static int64_t kstore_expiry_of(const kstore_t *s, const kstore_range_t *r)
{
    if (s->cfg.max_age <= 0 || r->birth > INT64_MAX - s->cfg.max_age)
        return INT64_MAX;
    return r->birth + s->cfg.max_age;
}

/* When the oldest range expires; INT64_MAX when never. */
static int64_t kstore_first_expiry(const kstore_t *s)
{
    return s->count > 0 ? kstore_expiry_of(s, kstore_slot(s, 0)) : INT64_MAX;
}

int64_t kstore_next_expiry(const kstore_t *store)
{
    kstore_feed(store);
    return kstore_first_expiry(store);
}



/* Removes every range due at `now` from the oldest end, as one change.
 * Ranges are in birth order, so the first one not due ends the scan. */
static void kstore_expire_scan(kstore_t *s, int64_t now)
{
    const uint64_t old = s->level;
    uint64_t bits = 0;

    while (s->count > 0 && kstore_expiry_of(s, kstore_slot(s, 0)) <= now) {
        bits += kstore_slot(s, 0)->length;
        s->head = (s->head + 1) & (s->cap - 1);
        s->count--;
    }
    if (bits == 0)
        return;
    s->level -= bits;
    s->acc.expired += bits;
    kstore_notify(s, old, bits, KSTORE_CAUSE_EXPIRED, now);
}

/* Every take, add and look expires first: in the common case nothing can
 * expire (no max-age), checked inline (the call was a hot spot of relay,
 * docs/performance.md). */
static inline void kstore_expire_due(kstore_t *s, int64_t now)
{
    if (s->cfg.max_age > 0)
        kstore_expire_scan(s, now);
}

/* Requests a wake-up for the oldest range unless one is pending. */
static int kstore_arm(kstore_t *s, sim_err_t *err)
{
    int64_t due;

    if (s->cfg.max_age <= 0 || s->timer == NULL || s->timer_due != KSTORE_NO_TIMER ||
        (due = kstore_first_expiry(s)) == INT64_MAX)
        return SIM_OK;
    s->timer_due = due;
    return s->timer(s->timer_ctx, s, due, err);
}

int kstore_set_timer(kstore_t *store, kstore_timer_fn fn, void *ctx, sim_err_t *err)
{
    store->timer = fn;
    store->timer_ctx = ctx;
    store->timer_due = KSTORE_NO_TIMER;
    return kstore_arm(store, err);
}

void kstore_expire(kstore_t *store, int64_t now)
{
    kstore_feed(store);
    kstore_expire_due(store, now);
}

int kstore_on_timer(kstore_t *store, int64_t now, sim_err_t *err)
{
    kstore_feed(store);
    /* The pending wake-up may be early (its range was taken meanwhile):
     * then nothing is due and the next one is requested. */
    store->timer_due = KSTORE_NO_TIMER;
    kstore_expire_due(store, now);
    return kstore_arm(store, err);
}

/* ------------------------------------------------------------ adding */

/* True when `bits` more can be received: every account is a part of the
 * key received (generated + moved_in, kstore.h), so keeping that total
 * below 2^64 keeps every account and every sum of accounts below it. */
static bool kstore_inflow_fits(const kstore_t *s, uint64_t bits)
{
    uint64_t total = s->acc.generated;
    return sim_add_u64(&total, s->acc.moved_in) && sim_add_u64(&total, bits);
}

/* Joins the first `keep` bits of range to the newest range held when the
 * store merges and range continues it (kstore.h, "Merging"). */
static inline bool kstore_extend(kstore_t *s, const kstore_range_t *range, uint64_t keep)
{
    kstore_range_t *last;

    if (!s->merge || s->count == 0)
        return false;
    last = kstore_slot(s, s->count - 1);
    if (last->stream != range->stream || range->offset < last->offset ||
        range->offset - last->offset != last->length)
        return false;
    last->length += keep;
    return true;
}

/* Appends the first `keep` bits of range as a new ring entry, making room
 * first. SIM_ERR_RUN (nothing added) when out of memory. Out of line, so
 * that a merge, the common case where stores merge, spills no registers. */
static KSTORE_NOINLINE int kstore_append(kstore_t *s, const kstore_range_t *range,
                                         uint64_t keep, sim_err_t *err)
{
    kstore_range_t *slot;

    if (s->count == s->cap && kstore_grow(s, err) != SIM_OK)
        return SIM_ERR_RUN;
    if (s->count == 0)
        s->birth_sorted = !s->merge;
    else if (range->birth < kstore_slot(s, s->count - 1)->birth)
        s->birth_sorted = false;
    slot = kstore_slot(s, s->count);
    *slot = *range;
    slot->length = keep;
    s->count++;
    return SIM_OK;
}

/* The checks before an add that can fail, out of line (the error text
 * costs registers in the hot path): with max_age, what is due leaves
 * first and births must not go back; the key received must stay below
 * 2^64 bits. */
static KSTORE_NOINLINE int kstore_add_check(kstore_t *store, const kstore_range_t *range,
                                            int64_t time, sim_err_t *err)
{
    if (store->cfg.max_age > 0) {
        kstore_expire_scan(store, time);
        if (store->count > 0 && range->birth < kstore_slot(store, store->count - 1)->birth)
            return sim_err_set(err, SIM_ERR_RUN,
                               "store %" PRIu32 ": key born at %" PRId64
                               " ns arrived after key born at %" PRId64
                               " ns: expiry needs ranges in birth order",
                               store->id, range->birth,
                               kstore_slot(store, store->count - 1)->birth);
    }
    if (!kstore_inflow_fits(store, range->length))
        return sim_err_set(err, SIM_ERR_RUN,
                           "store %" PRIu32 ": key counter overflow: %" PRIu64 " b more "
                           "would take the key it received (generated %" PRIu64
                           " + moved in %" PRIu64 " b) past 2^64 - 1 bits",
                           store->id, range->length, store->acc.generated,
                           store->acc.moved_in);
    return SIM_OK;
}

/* After an add with max_age: a range that arrived past its age leaves at
 * once, and the wake-up for the oldest range is asked for. */
static KSTORE_NOINLINE int kstore_add_aged_done(kstore_t *store, int64_t time, sim_err_t *err)
{
    kstore_expire_scan(store, time);
    return kstore_arm(store, err);
}

int kstore_add(kstore_t *store, const kstore_range_t *range, kstore_cause_t cause,
               int64_t time, uint64_t *stored, sim_err_t *err)
{
    const uint64_t length = range->length;
    uint64_t keep, lost;
    kstore_feed(store);

    *stored = 0;
    if ((store->cfg.max_age > 0 || !kstore_inflow_fits(store, length)) &&
        kstore_add_check(store, range, time, err) != SIM_OK)
        return SIM_ERR_RUN;
    keep = store->cfg.capacity - store->level;   /* room; the level may have
                                                  * dropped by expiry */
    keep = length < keep ? length : keep;
    lost = length - keep;
    if (keep > 0 && !kstore_extend(store, range, keep) &&
        kstore_append(store, range, keep, err) != SIM_OK)
        return SIM_ERR_RUN;   /* nothing added, nothing counted */
    if (cause == KSTORE_CAUSE_MOVED)
        store->acc.moved_in += length;
    else
        store->acc.generated += length;
    if (keep > 0) {
        const uint64_t before = store->level;
        store->level += keep;
        kstore_notify(store, before, keep, cause, time);
    }
    if (lost > 0) {
        store->acc.discarded += lost;
        if (store->nobs > 0)
            kstore_tell(store, store->state, 0, lost, KSTORE_CAUSE_DISCARDED, time);
    }
    *stored = keep;
    return store->cfg.max_age > 0 ? kstore_add_aged_done(store, time, err) : SIM_OK;
}

static uint64_t *kstore_account_of(kstore_t *s, kstore_cause_t cause)
{
    switch (cause) {
    case KSTORE_CAUSE_SUPPLIED: return &s->acc.supplied;
    case KSTORE_CAUSE_RESERVED: return &s->acc.reserved;
    case KSTORE_CAUSE_INTERNAL: return &s->acc.internal;
    case KSTORE_CAUSE_RELAYED: return &s->acc.relayed;
    case KSTORE_CAUSE_EXPIRED: return &s->acc.expired;
    case KSTORE_CAUSE_MOVED: return &s->acc.moved_out;
    default: return NULL;
    }
}

int kstore_rangebuf_push(kstore_rangebuf_t *buf, const kstore_range_t *r, sim_err_t *err)
{
    if (buf->n == buf->cap) {
        size_t ncap = buf->cap == 0 ? 4 : buf->cap * 2;
        kstore_range_t *p = realloc(buf->borrowed ? NULL : buf->v, ncap * sizeof *p);
        if (p == NULL)
            return sim_err_set(err, SIM_ERR_RUN, "out of memory");
        if (buf->borrowed && buf->n > 0)
            memcpy(p, buf->v, buf->n * sizeof *p);
        buf->v = p;
        buf->cap = ncap;
        buf->borrowed = false;
    }
    buf->v[buf->n++] = *r;
    return SIM_OK;
}

void kstore_rangebuf_free(kstore_rangebuf_t *buf)
{
    if (!buf->borrowed)
        free(buf->v);
    buf->v = NULL;
    buf->n = buf->cap = 0;
    buf->borrowed = false;
}

/* True when taking `bits` for `cause` would cut into a reserved Mmin. */
static bool kstore_cuts_reserve(const kstore_t *s, uint64_t bits, kstore_cause_t cause)
{
    const bool guarded = cause == KSTORE_CAUSE_SUPPLIED || cause == KSTORE_CAUSE_RESERVED ||
                         cause == KSTORE_CAUSE_RELAYED;
    return s->cfg.reserve_min && guarded && s->level - bits < s->cfg.mmin;
}

/* Cuts up to `left` bits off the oldest (or newest) range into *piece and
 * removes them from the ring; returns the bits cut. */
static uint64_t kstore_cut_end(kstore_t *s, uint64_t left, bool newest, kstore_range_t *piece)
{
    kstore_range_t *r = kstore_slot(s, newest ? s->count - 1 : 0);

    *piece = *r;
    piece->length = r->length < left ? r->length : left;
    if (newest)
        piece->offset = r->offset + r->length - piece->length;
    if (piece->length == r->length) {
        if (!newest)
            s->head = (s->head + 1) & (s->cap - 1);
        s->count--;
    } else {
        r->length -= piece->length;
        if (!newest)
            r->offset += piece->length;
    }
    return piece->length;
}

/* kstore_take from either end of the store. */
static bool kstore_take_end(kstore_t *store, uint64_t bits, kstore_cause_t cause, int64_t time,
                            bool newest, kstore_rangebuf_t *out, sim_err_t *err)
{
    uint64_t *account = kstore_account_of(store, cause);
    uint64_t old, left = bits;

    kstore_expire_due(store, time);
    old = store->level;
    if (account == NULL || store->level < bits || kstore_cuts_reserve(store, bits, cause))
        return false;
    while (left > 0) {
        kstore_range_t piece;
        const uint64_t n = kstore_cut_end(store, left, newest, &piece);
        left -= n;
        store->level -= n;
        *account += n;
        if (out != NULL && kstore_rangebuf_push(out, &piece, err) != SIM_OK)
            return false;
    }
    if (bits > 0)
        kstore_notify(store, old, bits, cause, time);
    return true;
}

bool kstore_take(kstore_t *store, uint64_t bits, kstore_cause_t cause, int64_t time,
                 kstore_rangebuf_t *out, sim_err_t *err)
{
    kstore_feed(store);
    return kstore_take_end(store, bits, cause, time, false, out, err);
}

bool kstore_take_newest(kstore_t *store, uint64_t bits, kstore_cause_t cause, int64_t time,
                        kstore_rangebuf_t *out, sim_err_t *err)
{
    kstore_feed(store);
    return kstore_take_end(store, bits, cause, time, true, out, err);
}

/* The first ring index whose range was born at or after `birth` (the
 * ring is in birth order: s->birth_sorted). */
static size_t kstore_first_born(const kstore_t *s, int64_t birth)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (kstore_slot(s, mid)->birth < birth)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Removes ring entry i, moving the shorter side of the ring by one. */
static void kstore_erase(kstore_t *s, size_t i)
{
    if (i < s->count - 1 - i) {
        for (size_t k = i; k > 0; k--)
            *kstore_slot(s, k) = *kstore_slot(s, k - 1);
        s->head = (s->head + 1) & (s->cap - 1);
    } else {
        for (size_t k = i; k + 1 < s->count; k++)
            *kstore_slot(s, k) = *kstore_slot(s, k + 1);
    }
    s->count--;
}

/* Inserts r as ring entry i (0 <= i <= count), moving the shorter side. */
static int kstore_insert(kstore_t *s, size_t i, const kstore_range_t *r, sim_err_t *err)
{
    if (s->count == s->cap && kstore_grow(s, err) != SIM_OK)
        return SIM_ERR_RUN;
    if (i < s->count - i) {
        s->head = (s->head + s->cap - 1) & (s->cap - 1);
        for (size_t k = 0; k < i; k++)
            *kstore_slot(s, k) = *kstore_slot(s, k + 1);
    } else {
        for (size_t k = s->count; k > i; k--)
            *kstore_slot(s, k) = *kstore_slot(s, k - 1);
    }
    s->count++;
    *kstore_slot(s, i) = *r;
    return SIM_OK;
}

/* Cuts [lo, hi) out of ring entry *i (which holds it); *i moves past what
 * is left of the entry. */
static int kstore_cut_at(kstore_t *s, size_t *i, uint64_t lo, uint64_t hi, sim_err_t *err)
{
    kstore_range_t *r = kstore_slot(s, *i);
    const uint64_t end = r->offset + r->length;
    kstore_range_t tail = *r;

    if (lo == r->offset && hi == end) {
        kstore_erase(s, *i);
        return SIM_OK;
    }
    if (lo == r->offset) {
        r->offset = hi;
        r->length = end - hi;
    } else {
        r->length = lo - r->offset;
        if (hi < end) {   /* a hole inside: the tail becomes its own entry */
            tail.offset = hi;
            tail.length = end - hi;
            if (kstore_insert(s, *i + 1, &tail, err) != SIM_OK)
                return SIM_ERR_RUN;
            (*i)++;
        }
    }
    (*i)++;
    return SIM_OK;
}

/* Removes whatever part of q the store holds; adds the bits to *cut. In a
 * ring in birth order only the entries born when q was are looked at
 * (found by binary search): the rest cannot hold any of q's bits. */
static int kstore_cut_range(kstore_t *s, const kstore_range_t *q, uint64_t *cut,
                            sim_err_t *err)
{
    const uint64_t q_end = q->offset + q->length;
    size_t i = s->birth_sorted ? kstore_first_born(s, q->birth) : 0;

    while (i < s->count) {
        const kstore_range_t *r = kstore_slot(s, i);
        const uint64_t end = r->offset + r->length;
        if (s->birth_sorted && r->birth != q->birth)
            break;
        if (r->stream != q->stream || end <= q->offset || r->offset >= q_end) {
            i++;
            continue;
        }
        const uint64_t lo = r->offset > q->offset ? r->offset : q->offset;
        const uint64_t hi = end < q_end ? end : q_end;
        *cut += hi - lo;
        if (kstore_cut_at(s, &i, lo, hi, err) != SIM_OK)
            return SIM_ERR_RUN;
    }
    return SIM_OK;
}

int kstore_remove(kstore_t *store, const kstore_range_t *ranges, size_t n,
                  kstore_cause_t cause, int64_t time, uint64_t *removed, sim_err_t *err)
{
    uint64_t *account = kstore_account_of(store, cause);
    uint64_t old, cut = 0;
    int rc = SIM_OK;
    kstore_feed(store);

    *removed = 0;
    kstore_expire_due(store, time);
    old = store->level;
    if (account == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "store %" PRIu32 ": bad cause", store->id);
    for (size_t i = 0; i < n && rc == SIM_OK; i++)
        rc = kstore_cut_range(store, &ranges[i], &cut, err);
    /* What was cut leaves the level even when a later range failed, so
     * the accounts stay exact. */
    if (cut > 0) {
        store->level -= cut;
        *account += cut;
        *removed = cut;
        kstore_notify(store, old, cut, cause, time);
    }
    return rc;
}

int kstore_take_same(kstore_t *store, const kstore_range_t *ranges, size_t n,
                     kstore_cause_t cause, int64_t time, sim_err_t *err)
{
    uint64_t bits = 0;
    uint64_t *account = kstore_account_of(store, cause);
    uint64_t old;
    kstore_feed(store);

    kstore_expire_due(store, time);
    old = store->level;
    if (account == NULL)
        return sim_err_set(err, SIM_ERR_RUN, "store %" PRIu32 ": bad cause", store->id);
    for (size_t i = 0; i < n; i++) {
        kstore_range_t *head = store->count > 0 ? kstore_slot(store, 0) : NULL;
        if (head == NULL || head->stream != ranges[i].stream ||
            head->offset != ranges[i].offset || head->length < ranges[i].length)
            return sim_err_set(err, SIM_ERR_RUN,
                               "store %" PRIu32 ": key %" PRIu64 ":%" PRIu64
                               " is not at the head: the two ends of the link disagree",
                               store->id, ranges[i].stream, ranges[i].offset);
        if (head->length == ranges[i].length) {
            store->head = (store->head + 1) & (store->cap - 1);
            store->count--;
        } else {
            head->offset += ranges[i].length;
            head->length -= ranges[i].length;
        }
        store->level -= ranges[i].length;
        *account += ranges[i].length;
        bits += ranges[i].length;
    }
    if (bits > 0)
        kstore_notify(store, old, bits, cause, time);
    return SIM_OK;
}

int kstore_release_reserved(kstore_t *store, uint64_t bits, sim_err_t *err)
{
    kstore_feed(store);
    if (bits > store->acc.reserved)
        return sim_err_set(err, SIM_ERR_RUN,
                           "store %" PRIu32 ": releasing %" PRIu64 " b but only %" PRIu64
                           " b are reserved", store->id, bits, store->acc.reserved);
    if (!sim_add_u64(&store->acc.supplied, bits))
        return sim_err_set(err, SIM_ERR_RUN, "store %" PRIu32 ": key counter overflow "
                           "(supplied)", store->id);
    store->acc.reserved -= bits;
    return SIM_OK;
}

int kstore_count_waste(kstore_t *store, uint64_t bits, sim_err_t *err)
{
    kstore_feed(store);
    if (bits > store->acc.supplied - store->acc.wasted)
        return sim_err_set(err, SIM_ERR_RUN,
                           "store %" PRIu32 ": %" PRIu64 " b of waste exceed the %" PRIu64
                           " b supplied and not yet counted as waste",
                           store->id, bits, store->acc.supplied - store->acc.wasted);
    store->acc.wasted += bits;
    return SIM_OK;
}

uint32_t kstore_id(const kstore_t *store) { return store->id; }
uint64_t kstore_level(const kstore_t *store)
{
    kstore_feed(store);
    return store->level;
}
kstore_state_t kstore_state(const kstore_t *store)
{
    kstore_feed(store);
    return store->state;
}
const kstore_config_t *kstore_config(const kstore_t *store) { return &store->cfg; }
const kstore_accounts_t *kstore_accounts(const kstore_t *store)
{
    kstore_feed(store);
    return &store->acc;
}
size_t kstore_range_count(const kstore_t *store)
{
    kstore_feed(store);
    return store->count;
}

const kstore_range_t *kstore_range_at(const kstore_t *store, size_t i)
{
    kstore_feed(store);
    return i < store->count ? kstore_slot(store, i) : NULL;
}

bool kstore_accounts_close(const kstore_t *store)
{
    kstore_feed(store);
    /* Sums that overflow do not close: modulo 2^64 they might. */
    const kstore_accounts_t *a = &store->acc;
    const uint64_t outs[] = { a->reserved, a->supplied, a->internal, a->relayed,
                              a->expired,  a->discarded, a->moved_out };
    uint64_t in = a->generated, out = store->level, in_ranges = 0;
    bool ok = sim_add_u64(&in, a->moved_in);

    for (size_t i = 0; ok && i < sizeof outs / sizeof outs[0]; i++)
        ok = sim_add_u64(&out, outs[i]);
    for (size_t i = 0; ok && i < store->count; i++)
        ok = sim_add_u64(&in_ranges, kstore_slot(store, i)->length);
    return ok && in == out && in_ranges == store->level && a->wasted <= a->supplied;
}

const char *kstore_state_name(kstore_state_t state)
{
    static const char *const names[] = { "READY", "CHARGING", "WARNING", "EMPTY" };
    return (unsigned)state < 4 ? names[state] : "?";
}

const char *kstore_cause_name(kstore_cause_t cause)
{
    static const char *const names[] = { "initial", "generated", "supplied", "reserved",
                                         "internal", "relayed", "expired", "discarded",
                                         "sample", "moved" };
    return (unsigned)cause < 10 ? names[cause] : "?";
}
