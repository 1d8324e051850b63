/*
 * ratelimit_mem.c -- the in-process limiter backend: exact rolling windows, a rolling 24-hour budget, a
 * concurrency cap and priority lanes, for every client of one account key in this process.
 *
 * Rolling windows. A provider that counts a request when it arrives and refuses the next one while N arrived in
 * the last W ms never refuses a client that holds each slot from the moment it sends until W after the
 * response came back: the provider saw the request before the response left, so the client's slot expires
 * no earlier than the provider's. A slot is therefore "in flight" from acquire to done, then a completion time
 * in a ring (oldest first); count = in flight + completions younger than W. No guessing, no margin needed
 * (ratelimit.headroom can add one). Completions stay in the ring a little longer than W, to compare the
 * provider's figures with what was counted while a request was on its way.
 *
 * Lanes. Each bucket has a FIFO queue per priority. A request proceeds only when it heads its queue, no
 * higher-priority request of the same bucket is waiting, and the bucket has room for its priority
 * (NORMAL and LOW leave ucrm_rl__reserve() slots to HIGH). Waiting is a timed wait on one condition variable,
 * woken by every completion and at the next moment a slot expires; never a sleep under the lock.
 *
 * Fail fast. Before and while waiting, a lower bound of the wait (the window's k-th oldest completion + W,
 * a drain's end) is compared with what the call allows (max wait, deadline): beyond it, RATE_LIMITED at once
 * with that bound as the retry-after.
 *
 * Corrections. X-HubSpot-RateLimit-Remaining below the local view means requests this process did not make:
 * they become completions stamped now (conservative). A lower -Max lowers the effective limit (never above the
 * configured one). Daily figures (X-HubSpot-RateLimit-Daily-Remaining, Sforce-Limit-Info) replace the local
 * count; once they say the budget is used up, one request a minute still goes out to learn when it frees. A
 * rate-limit answer drains the bucket until retry_after (else one interval).
 */
#include "ratelimit_int.h"
#include "error_int.h"
#include "provider_int.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#define GRACE_US INT64_C(2000000) /* completions kept past their window (win_expire) */
#define MIN_PER_DAY 1440
#define US_PER_MIN INT64_C(60000000)

enum { HELD_WIN = 1u << 0, HELD_CONC = 1u << 1, HELD_DAY = 1u << 2 };
enum { LANE_LOW, LANE_NORMAL, LANE_HIGH, NLANES };
enum { NBUCKETS = 2 }; /* UCRM_BUCKET_MAIN, UCRM_BUCKET_SEARCH */

typedef struct rl_window {
    int64_t max;           /* configured slots; 0 = no window (drains still apply) */
    int64_t eff;           /* effective: the provider's -Max when lower */
    int64_t us;            /* interval */
    int64_t inflight;
    int64_t *ts;           /* completion times (monotonic us), oldest first, ring */
    size_t cap, head, n;
    int64_t blocked_until; /* drained until (monotonic us) */
    uint64_t drains, corrections;
} rl_window_t;

typedef struct rl_daily {
    int64_t max;           /* configured; 0 = none */
    int64_t eff;
    bool explicit_cap;
    int64_t *per_min;      /* MIN_PER_DAY counters, index minute % MIN_PER_DAY */
    int64_t base;          /* oldest minute covered */
    int64_t used;          /* sum of per_min */
    bool synced;           /* the provider reports its count (headers): used is partly its figure */
    /* A budget the provider's figures say is used up is re-checked with one request this long after they came
     * (ratelimit.daily.recheck.ms): they arrive as one count, placed at the minute they arrived, while the
     * provider's budget frees as its rolling day advances (Salesforce) or at midnight (HubSpot). */
    int64_t recheck_us;
    int64_t probe_at;      /* last provider figure, or last re-check of a budget that looked used up */
    uint64_t probes;
} rl_daily_t;

typedef ucrm_rl_waiter_t rl_waiter_t;
typedef ucrm_rl_queue_t rl_queue_t;

typedef struct rl_mem {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t reserve_pct, headroom;
    rl_window_t win[NBUCKETS];
    rl_daily_t day;
    int64_t conc_max, conc_inflight;
    rl_queue_t q[NBUCKETS][NLANES];
    ucrm_rl_counts_t counts;
} rl_mem_t;

/* Slots of a bucket of n that a lane may use (at least 1, so that nothing can deadlock on a tiny bucket). */
static int64_t lane_limit(const rl_mem_t *m, int64_t n, int64_t headroom, int lane) {
    int64_t lim = n - headroom - (lane == LANE_HIGH ? 0 : ucrm_rl__reserve(n, m->reserve_pct));
    return lim < 1 ? 1 : lim;
}

/* ---------------------------------------------------------------------------------------------- window */

/* The k-th oldest completion in the ring (1-based, k <= n), live or not. */
static int64_t win_nth(const rl_window_t *w, size_t k) { return w->ts[(w->head + k - 1) % w->cap]; }

/* Completions are kept GRACE_US beyond the interval, so that the provider's figures can be compared with what
 * this process counted while a request was on its way (win_correct). Only those younger than W count. */
static void win_expire(rl_window_t *w, int64_t now) {
    while (w->n && now - w->ts[w->head] >= w->us + GRACE_US) {
        w->head = (w->head + 1) % w->cap;
        w->n--;
    }
}

/* How many completions at the head of the ring are at least W old at time x (binary search: oldest first). */
static size_t win_dead_at(const rl_window_t *w, int64_t x) {
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x - win_nth(w, mid + 1) >= w->us)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Completions younger than W at time x. */
static int64_t win_count_at(const rl_window_t *w, int64_t x) { return (int64_t)(w->n - win_dead_at(w, x)); }

static int64_t win_count(rl_window_t *w, int64_t now) {
    win_expire(w, now);
    return w->inflight + win_count_at(w, now);
}

static void win_push(rl_window_t *w, int64_t now) {
    if (w->n == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 16;
        int64_t *nts = ncap <= SIZE_MAX / sizeof *nts ? ucrm__malloc(ncap * sizeof *nts) : NULL;
        if (!nts) {
            if (!w->cap)
                return; /* out of memory: forget this completion (the provider's headers still correct us) */
            w->head = (w->head + 1) % w->cap; /* drop the oldest instead */
            w->n--;
        } else {
            for (size_t i = 0; i < w->n; i++)
                nts[i] = w->ts[(w->head + i) % w->cap];
            ucrm__free(w->ts);
            w->ts = nts;
            w->cap = ncap;
            w->head = 0;
        }
    }
    w->ts[(w->head + w->n) % w->cap] = now;
    w->n++;
}

/* Room for one more request of this lane, now? */
static bool win_room(const rl_mem_t *m, rl_window_t *w, int lane, int64_t now, bool main) {
    if (now < w->blocked_until)
        return false;
    return w->max <= 0 || win_count(w, now) < lane_limit(m, w->eff, main ? m->headroom : 0, lane);
}

/* A lower bound of the wait (us) before `ahead` requests queued before us and we ourselves fit. */
static int64_t win_wait(const rl_mem_t *m, rl_window_t *w, int lane, int64_t ahead, int64_t now, bool main) {
    int64_t wait = w->blocked_until > now ? w->blocked_until - now : 0;
    if (w->max <= 0)
        return wait;
    int64_t excess = win_count(w, now) - lane_limit(m, w->eff, main ? m->headroom : 0, lane) + 1 + ahead;
    if (excess <= 0)
        return wait;
    /* the excess-th oldest live completion must expire; in-flight requests first complete, then last W */
    size_t dead = win_dead_at(w, now);
    int64_t t = (uint64_t)excess <= w->n - dead ? win_nth(w, dead + (size_t)excess) + w->us - now : w->us;
    return t > wait ? t : wait;
}

/* When something may change for a waiter on this window: the next expiry or the end of a drain. */
static int64_t win_next_event(rl_window_t *w, int64_t now) {
    if (now < w->blocked_until)
        return w->blocked_until;
    size_t dead = win_dead_at(w, now);
    return dead < w->n ? win_nth(w, dead + 1) + w->us : INT64_MAX;
}

/* The provider's view of the window: fewer slots left than we think means others use the account. view: what
 * this process had counted while the answer was on its way (in flight + completions alive when the request
 * was sent): the provider counted at some moment in between, and an entry that expired here meanwhile must
 * not pass for someone else's request. */
static void win_correct(rl_window_t *w, const ucrm_usage_t *u, int64_t view, int64_t now) {
    if (w->max <= 0 || !u->has_window || u->window_max <= 0)
        return;
    w->eff = u->window_max < w->max ? u->window_max : w->max;
    int64_t server_used = u->window_max - (u->window_remaining > 0 ? u->window_remaining : 0);
    int64_t local = win_count(w, now);
    int64_t add = server_used - (view > local ? view : local);
    if (add > w->eff - local)
        add = w->eff - local;
    if (add <= 0)
        return;
    w->corrections++;
    for (int64_t i = 0; i < add; i++)
        win_push(w, now);
}

/* ---------------------------------------------------------------------------------------------- daily */

/* Minutes on the monotonic clock, shifted by two days so that base (a day earlier) is never negative: the
 * counters are indexed by minute % MIN_PER_DAY. */
static int64_t minute_of(int64_t now_us) { return now_us / US_PER_MIN + 2 * MIN_PER_DAY; }

static void day_roll(rl_daily_t *d, int64_t minute) {
    if (minute - d->base >= 2 * MIN_PER_DAY) {
        memset(d->per_min, 0, MIN_PER_DAY * sizeof *d->per_min);
        d->used = 0;
        d->base = minute - MIN_PER_DAY + 1;
        return;
    }
    while (minute - d->base >= MIN_PER_DAY) {
        d->used -= d->per_min[d->base % MIN_PER_DAY];
        d->per_min[d->base % MIN_PER_DAY] = 0;
        d->base++;
    }
}

static void day_add(rl_daily_t *d, int64_t minute, int64_t k) {
    d->per_min[minute % MIN_PER_DAY] += k;
    d->used += k;
}

/* Removes up to k, newest minutes first, never below zero; from_minute bounds where to start. */
static void day_sub(rl_daily_t *d, int64_t from_minute, int64_t k) {
    for (int64_t mi = from_minute; k > 0 && mi >= d->base; mi--) {
        int64_t *c = &d->per_min[mi % MIN_PER_DAY];
        int64_t x = *c < k ? *c : k;
        *c -= x;
        d->used -= x;
        k -= x;
    }
}

/* How long (us) until the rolling count drops below limit. */
static int64_t day_wait(const rl_daily_t *d, int64_t limit, int64_t now) {
    int64_t over = d->used - limit + 1;
    for (int64_t mi = d->base; over > 0 && mi < d->base + MIN_PER_DAY; mi++) {
        over -= d->per_min[mi % MIN_PER_DAY];
        if (over <= 0)
            return (mi - 2 * MIN_PER_DAY + MIN_PER_DAY + 1) * US_PER_MIN - now;
    }
    return MIN_PER_DAY * US_PER_MIN;
}

static void day_correct(rl_daily_t *d, const ucrm_usage_t *u, int64_t now) {
    int64_t minute = minute_of(now);
    if (d->max <= 0 || !u->has_daily || u->daily_max <= 0)
        return;
    d->eff = d->explicit_cap && d->max < u->daily_max ? d->max : u->daily_max;
    d->synced = true;
    d->probe_at = now; /* the provider's count is fresh: the next re-check is one interval away */
    int64_t server_used = u->daily_max - (u->daily_remaining > 0 ? u->daily_remaining : 0);
    if (server_used > d->used)
        day_add(d, minute, server_used - d->used);
    else if (server_used < d->used)
        day_sub(d, minute, d->used - server_used);
}

/* ---------------------------------------------------------------------------------------------- queues */

/* Requests that go before w: those ahead of it in its queue and every waiter of a higher lane. */
static int64_t q_ahead(const rl_mem_t *m, int b, int lane, const rl_waiter_t *w) {
    int64_t n = 0;
    for (const rl_waiter_t *x = m->q[b][lane].head; x && x != w; x = x->next)
        n++;
    for (int l = lane + 1; l < NLANES; l++)
        n += (int64_t)m->q[b][l].n;
    return n;
}

/* ---------------------------------------------------------------------------------------------- backend */

static ucrm_err_t mem_create(void **impl, const ucrm_rl_settings_t *s, const ucrm_conf_t *conf, const char *key,
                             ucrm_error_t **errp) {
    (void)conf;
    (void)key;
    rl_mem_t *m = ucrm__calloc(1, sizeof *m);
    if (!m)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    if (s->daily_max > 0 && !(m->day.per_min = ucrm__calloc(MIN_PER_DAY, sizeof *m->day.per_min))) {
        ucrm__free(m);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cond, &ca);
    pthread_condattr_destroy(&ca);
    m->reserve_pct = s->reserve_pct;
    m->headroom = s->headroom;
    m->win[UCRM_BUCKET_MAIN].max = m->win[UCRM_BUCKET_MAIN].eff = s->window_max;
    m->win[UCRM_BUCKET_MAIN].us = s->window_ms * 1000;
    m->win[UCRM_BUCKET_SEARCH].max = m->win[UCRM_BUCKET_SEARCH].eff = s->search_max;
    m->win[UCRM_BUCKET_SEARCH].us = s->search_ms * 1000;
    m->day.max = m->day.eff = s->daily_max;
    m->day.explicit_cap = s->daily_explicit;
    m->day.recheck_us = s->daily_recheck_ms * 1000;
    m->day.base = minute_of(ucrm__mono_us()) - MIN_PER_DAY + 1;
    m->conc_max = s->concurrency;
    *impl = m;
    return UCRM_OK;
}

static void mem_destroy(void *impl) {
    rl_mem_t *m = impl;
    for (int b = 0; b < NBUCKETS; b++)
        ucrm__free(m->win[b].ts);
    ucrm__free(m->day.per_min);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    ucrm__free(m);
}

static bool conc_room(const rl_mem_t *m, int lane) {
    return m->conc_max <= 0 || m->conc_inflight < lane_limit(m, m->conc_max, 0, lane);
}

/* The daily share of this lane is used up: *retry_us says when it frees. */
static bool day_exhausted(rl_mem_t *m, int lane, int64_t now, int64_t *retry_us) {
    if (m->day.max <= 0)
        return false;
    day_roll(&m->day, minute_of(now));
    rl_daily_t *d = &m->day;
    int64_t lim = lane_limit(m, d->eff, 0, lane);
    if (d->used < lim)
        return false;
    *retry_us = day_wait(d, lim, now);
    if (d->synced) {
        if (now - d->probe_at >= d->recheck_us) {
            d->probe_at = now; /* let this one through: its answer brings the provider's current count */
            d->probes++;
            return false;
        }
        if (d->probe_at + d->recheck_us - now < *retry_us)
            *retry_us = d->probe_at + d->recheck_us - now;
    }
    return true;
}

static void take(rl_mem_t *m, ucrm_rl_ticket_t *t, int64_t now) {
    rl_window_t *w = &m->win[t->bucket];
    t->taken_us = now;
    if (w->max > 0) {
        w->inflight++;
        t->held |= HELD_WIN;
    }
    if (m->conc_max > 0) {
        m->conc_inflight++;
        t->held |= HELD_CONC;
    }
    if (m->day.max > 0) {
        t->stamp = minute_of(now);
        day_add(&m->day, t->stamp, 1);
        t->held |= HELD_DAY;
    }
    m->counts.acquired++;
}

static ucrm_err_t mem_acquire(void *impl, ucrm_rl_ticket_t *t, int64_t max_wait_ms, int64_t deadline_us,
                              int64_t *waited_us, ucrm_error_t **errp) {
    rl_mem_t *m = impl;
    int b = t->bucket == UCRM_BUCKET_SEARCH ? UCRM_BUCKET_SEARCH : UCRM_BUCKET_MAIN;
    int lane = ucrm_rl__lane(t->prio);
    rl_window_t *w = &m->win[b];
    rl_waiter_t me;
    ucrm_err_t rc = UCRM_OK;
    int64_t retry_us = 0;

    pthread_mutex_lock(&m->lock);
    int64_t start = ucrm__mono_us(), now = start;
    int64_t limit_us = max_wait_ms < 0 ? INT64_MAX : start + max_wait_ms * 1000;
    if (deadline_us < limit_us)
        limit_us = deadline_us;
    ucrm_rl_q__push(&m->q[b][lane], &me);
    bool waited = false;
    for (;; waited = true) {
        now = ucrm__mono_us();
        if (day_exhausted(m, lane, now, &retry_us)) {
            m->counts.rejected_quota++;
            rc = ucrm_rl__quota_error(errp, lane, retry_us);
            break;
        }
        int64_t ahead = q_ahead(m, b, lane, &me);
        if (ahead == 0 && win_room(m, w, lane, now, b == UCRM_BUCKET_MAIN) && conc_room(m, lane)) {
            take(m, t, now);
            break;
        }
        int64_t need = win_wait(m, w, lane, ahead, now, b == UCRM_BUCKET_MAIN);
        if (now >= limit_us || (need > 0 && now + need > limit_us)) {
            m->counts.rejected_rl++;
            rc = ucrm_rl__rate_error(errp, need, limit_us - start);
            break;
        }
        int64_t wake = win_next_event(w, now);
        ucrm_rl__wait_until(&m->cond, &m->lock, now, wake < limit_us ? wake : limit_us);
    }
    ucrm_rl_q__remove(&m->q[b][lane], &me);
    int64_t waited_us_ = waited ? now - start : 0;
    ucrm_rl_counts__waited(&m->counts, waited_us_);
    if (ucrm_rl_q__waiting(m->q, NBUCKETS))
        pthread_cond_broadcast(&m->cond); /* the next in line may go now */
    pthread_mutex_unlock(&m->lock);
    *waited_us = waited_us_;
    return rc;
}

static void mem_done(void *impl, ucrm_rl_ticket_t *t, const ucrm_usage_t *usage, ucrm_rl_outcome_t outcome,
                     int64_t retry_after_ms) {
    rl_mem_t *m = impl;
    int b = t->bucket == UCRM_BUCKET_SEARCH ? UCRM_BUCKET_SEARCH : UCRM_BUCKET_MAIN;
    rl_window_t *w = &m->win[b];
    pthread_mutex_lock(&m->lock);
    int64_t now = ucrm__mono_us();
    int64_t view = (t->held & HELD_WIN) ? w->inflight + win_count_at(w, t->taken_us) : -1;
    if (t->held & HELD_WIN) {
        w->inflight--;
        if (outcome == UCRM_RL_SENT) {
            win_expire(w, now);
            win_push(w, now);
        }
    }
    if (t->held & HELD_CONC)
        m->conc_inflight--;
    if (m->day.max > 0)
        day_roll(&m->day, minute_of(now));
    if ((t->held & HELD_DAY) && (outcome == UCRM_RL_NOT_SENT || outcome == UCRM_RL_RATE_LIMITED))
        day_sub(&m->day, t->stamp, 1);
    t->held = 0;
    if (outcome == UCRM_RL_RATE_LIMITED) {
        int64_t until = now + (retry_after_ms > 0 ? retry_after_ms * 1000 : w->us);
        if (until > w->blocked_until)
            w->blocked_until = until;
        w->drains++;
    }
    if (usage) {
        if (b == UCRM_BUCKET_MAIN)
            win_correct(w, usage, view, now);
        day_correct(&m->day, usage, now);
    }
    /* a quota answer: the provider's figures (usage above) carry the count; none: nothing to add */
    ucrm_rl_counts__answer(&m->counts, outcome);
    if (ucrm_rl_q__waiting(m->q, NBUCKETS))
        pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

static void win_json(ucrm_buf_t *buf, const char *name, rl_window_t *w, int64_t now) {
    ucrm_buf__printf(buf,
                     "\"%s\":{\"limit\":%lld,\"effective_limit\":%lld,\"interval_ms\":%lld,\"used\":%lld,"
                     "\"in_flight\":%lld,\"drained_for_ms\":%lld,\"drains\":%llu,\"corrections\":%llu},",
                     name, (long long)w->max, (long long)w->eff, (long long)(w->us / 1000),
                     (long long)win_count(w, now), (long long)w->inflight,
                     (long long)(w->blocked_until > now ? (w->blocked_until - now) / 1000 : 0),
                     (unsigned long long)w->drains, (unsigned long long)w->corrections);
}

static void mem_stats_json(void *impl, ucrm_buf_t *buf) {
    rl_mem_t *m = impl;
    pthread_mutex_lock(&m->lock);
    int64_t now = ucrm__mono_us();
    win_json(buf, "window", &m->win[UCRM_BUCKET_MAIN], now);
    win_json(buf, "search", &m->win[UCRM_BUCKET_SEARCH], now);
    if (m->day.max > 0)
        day_roll(&m->day, minute_of(now));
    ucrm_buf__printf(buf,
                     "\"daily\":{\"limit\":%lld,\"effective_limit\":%lld,\"used\":%lld,\"probes\":%llu},"
                     "\"concurrency\":{\"limit\":%lld,\"in_flight\":%lld},",
                     (long long)m->day.max, (long long)m->day.eff, (long long)(m->day.max > 0 ? m->day.used : 0),
                     (unsigned long long)m->day.probes, (long long)m->conc_max, (long long)m->conc_inflight);
    ucrm_rl_counts__json(&m->counts, ucrm_rl_q__waiting(m->q, NBUCKETS), buf);
    pthread_mutex_unlock(&m->lock);
}

void ucrm_rl_mem__seed(void *impl, ucrm_bucket_t b, const int64_t *ts, size_t n) {
    rl_mem_t *m = impl;
    rl_window_t *w = &m->win[b == UCRM_BUCKET_SEARCH ? UCRM_BUCKET_SEARCH : UCRM_BUCKET_MAIN];
    pthread_mutex_lock(&m->lock);
    int64_t now = ucrm__mono_us();
    win_expire(w, now);
    /* the ring stays in order: only what is not older than its newest (several at one time all count) */
    for (size_t i = 0; w->max > 0 && i < n; i++)
        if (now - ts[i] < w->us && ts[i] <= now && (!w->n || ts[i] >= win_nth(w, w->n)))
            win_push(w, ts[i]);
    pthread_mutex_unlock(&m->lock);
}

const ucrm_limiter_backend_t ucrm_limiter__memory = {
    .name = "memory",
    .create = mem_create,
    .acquire = mem_acquire,
    .done = mem_done,
    .stats_json = mem_stats_json,
    .destroy = mem_destroy,
};
