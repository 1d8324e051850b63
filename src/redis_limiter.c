/*
 * redis_limiter.c -- the shared limiter backend (ratelimit.backend=redis): the in-process backend's semantics
 * (ratelimit_mem.c), counted in Redis so that every process and host of an account draws from one budget.
 *
 * Keys, all in the hash tag of the account (<prefix>{<ratelimit.key>}:rl:...), so that one Lua script may touch
 * them all, on a single server or a cluster slot:
 *   meta   hash: gen (when this state was born), per bucket b<n>:blocked (drained until), b<n>:hmax (the
 *          provider's -Max), b<n>:drains, b<n>:corr, and seq (ids of entries added by corrections)
 *   w0, w1 sorted sets, the main and search windows: one member per request, scored with the time (Redis clock,
 *          us) it stops being in flight: acquire adds it at now + lease (http.timeout.ms + 2 s, so that a process
 *          that dies holding a slot frees it), done moves it to the completion time. An entry counts while
 *          score > now - W: in flight, then one window after its response, as in-process.
 *   day    hash: per-minute counts m<minute> over a rolling 24 hours, used, base (oldest minute), pmax and synced
 *          (the provider's figures), probe_at, probes
 *   conc   sorted set of the requests in flight, scored with their lease's end
 *
 * Every decision is one script on the server's clock (TIME), so hosts with skewed clocks agree: acquire (the
 * daily budget, the drain, the window and the concurrency cap for the caller's priority lane; either takes every
 * slot the request needs or answers how long to wait), done (completion or release, drain on a rate-limit answer,
 * corrections from the provider's usage headers), merge and stats. Scripts run by SHA (redis.c).
 *
 * One round trip per request: acquire waits for its answer; done is written without waiting (its answer is read
 * with the connection's next command), except after a rate-limit or quota answer, whose drain must be in place
 * before the retry asks again.
 *
 * In the process, waiters queue per bucket and priority lane as in-process (FIFO, HIGH first, LOW behind
 * NORMAL): only the head of a bucket asks Redis; when refused it sleeps for the wait Redis computed (or until a
 * local completion), and the others wait behind it, failing fast when the head's wait already exceeds what they
 * allow. Across processes only the reserve shares order the lanes.
 *
 * Lost state. Redis may lose the budget (a restart without persistence, a flush, eviction): the acquire script
 * then starts a new generation, and refuses a process that saw another one until it has put back what it sent in
 * the current windows (this process's completions are kept in a small local log), so that no process draws on an
 * empty state its own requests still fill. The daily count comes back with the provider's usage headers.
 *
 * Failure (redis.failure). closed: acquire fails with the endpoint's "unreachable" error. degrade: acquire uses
 * an in-process limiter with redis.degrade.percent of every budget, which starts with what this process sent in
 * the current windows and the rest of them as taken by the others (seed_fallback); once the reconnect backoff
 * allows, the first acquire puts what went through it back into Redis, and that answer ends the outage. Acquire
 * then stays on the fallback, putting its completions into Redis as it goes, until every busy process has had
 * time to find Redis back (note_up). The transitions are reported once each, through the ticket (the pipeline
 * logs them at WARNING).
 */
#include "ratelimit_int.h"
#include "error_int.h"
#include "provider_int.h"
#include "redis_int.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define HELD_REDIS (1u << 8)     /* the ticket holds slots in Redis */
#define HELD_FALLBACK (1u << 9)  /* the ticket comes from the fallback (its own bits are the memory backend's) */
enum { RH_WIN = 1, RH_CONC = 2, RH_DAY = 4 }; /* what a Redis ticket holds, as the scripts see it */
enum { K_META, K_W0, K_W1, K_DAY, K_CONC, NKEYS };
enum { LANE_LOW, LANE_NORMAL, LANE_HIGH, NLANES };
enum { NBUCKETS = 2 };
enum { ST_OK = 0, ST_WINDOW = 1, ST_QUOTA = 2, ST_CONC = 3, ST_NEWGEN = 4 };

#define LEASE_EXTRA_US INT64_C(2000000) /* a slot's lease: the attempt's timeout and this */
#define CONC_POLL_US INT64_C(10000)     /* concurrency freed by another process is not signalled: poll */

/* ---------------------------------------------------------------------------------------------- scripts */

#define LUA_COMMON                                                                                                \
    "if redis.replicate_commands then pcall(redis.replicate_commands) end\n"                                      \
    "local t = redis.call('TIME')\n"                                                                              \
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"                                                     \
    "local function s(x) return string.format('%d', x) end\n"                                                     \
    "local function roll(d, minute)\n"                                                                            \
    "  local base = tonumber(redis.call('HGET', d, 'base'))\n"                                                    \
    "  if not base or minute - base >= 2880 then\n"                                                               \
    "    if base then\n"                                                                                          \
    "      local ks = redis.call('HKEYS', d)\n"                                                                   \
    "      for i = 1, #ks do if string.sub(ks[i], 1, 1) == 'm' then redis.call('HDEL', d, ks[i]) end end\n"       \
    "    end\n"                                                                                                   \
    "    redis.call('HSET', d, 'base', s(minute - 1439), 'used', '0')\n"                                          \
    "    return\n"                                                                                                \
    "  end\n"                                                                                                     \
    "  if minute - base < 1440 then return end\n"                                                                 \
    "  local used = tonumber(redis.call('HGET', d, 'used')) or 0\n"                                               \
    "  while minute - base >= 1440 do\n"                                                                          \
    "    local f = 'm' .. s(base)\n"                                                                              \
    "    local v = tonumber(redis.call('HGET', d, f))\n"                                                          \
    "    if v then used = used - v; redis.call('HDEL', d, f) end\n"                                               \
    "    base = base + 1\n"                                                                                       \
    "  end\n"                                                                                                     \
    "  if used < 0 then used = 0 end\n"                                                                           \
    "  redis.call('HSET', d, 'base', s(base), 'used', s(used))\n"                                                 \
    "end\n"                                                                                                       \
    "local function keep(k, ms)\n"                                                                                \
    "  if redis.call('PTTL', k) < ms then redis.call('PEXPIRE', k, s(ms)) end\n"                                  \
    "end\n"

/* KEYS meta, window, day, conc. ARGV 1 id, 2 bucket, 3 high, 4 window max, 5 window us, 6 headroom,
 * 7 reserve %, 8 lease us, 9 daily max, 10 daily is a cap, 11 recheck us, 12 concurrency max, 13 the generation
 * the caller saw last (0: none), 14 refresh the expiry of the long-lived keys (each process about once a minute).
 * Answers {status, wait or retry us, minute, window count with this request, now, generation}; status 4: the
 * state is not the one the caller saw (lost since): nothing taken, put usage back. */
static const char *const s_acquire_parts[] = {LUA_COMMON,
    "local function reserve(n, pct)\n"
    "  if n <= 1 or pct <= 0 then return 0 end\n"
    "  local r = math.floor(n * pct / 100)\n"
    "  if r < 1 then r = 1 elseif r >= n then r = n - 1 end\n"
    "  return r\n"
    "end\n"
    "local high, pct = ARGV[3] == '1', tonumber(ARGV[7])\n"
    "local function lane_limit(n, headroom)\n"
    "  local lim = n - headroom - (high and 0 or reserve(n, pct))\n"
    "  if lim < 1 then lim = 1 end\n"
    "  return lim\n"
    "end\n"
    "local meta, win, day, conc = KEYS[1], KEYS[2], KEYS[3], KEYS[4]\n"
    "local b = 'b' .. ARGV[2] .. ':'\n"
    "local mv = redis.call('HMGET', meta, 'gen', b .. 'blocked', b .. 'hmax')\n"
    "local gen, ttl = tonumber(mv[1]), ARGV[14] == '1'\n"
    "if not gen then gen = now; ttl = true; redis.call('HSET', meta, 'gen', s(gen)) end\n"
    "if ttl then redis.call('PEXPIRE', meta, 172800000) end\n"
    "local seen = tonumber(ARGV[13])\n"
    "if seen ~= 0 and seen ~= gen then return {4, 0, 0, 0, now, gen} end\n"
    "local minute = math.floor(now / 60000000)\n"
    "local day_max = tonumber(ARGV[9])\n"
    "if day_max > 0 then\n"
    "  local dv = redis.call('HMGET', day, 'base', 'used', 'pmax', 'synced', 'probe_at')\n"
    "  local base, used = tonumber(dv[1]), tonumber(dv[2]) or 0\n"
    "  if not base or minute - base >= 1440 then\n"
    "    roll(day, minute)\n"
    "    used = tonumber(redis.call('HGET', day, 'used')) or 0\n"
    "    base = tonumber(redis.call('HGET', day, 'base'))\n"
    "  end\n"
    "  local eff, pmax = day_max, tonumber(dv[3])\n"
    "  if pmax and not (ARGV[10] == '1' and day_max < pmax) then eff = pmax end\n"
    "  local lim = lane_limit(eff, 0)\n"
    "  if used >= lim then\n"
    "    local over, retry = used - lim + 1, 86400000000\n"
    "    for mi = base, base + 1439 do\n"
    "      local v = tonumber(redis.call('HGET', day, 'm' .. s(mi)))\n"
    "      if v then over = over - v; if over <= 0 then retry = (mi + 1440) * 60000000 - now; break end end\n"
    "    end\n"
    "    if dv[4] ~= '1' then return {2, retry, minute, 0, now, gen} end\n"
    "    local pa, rc = tonumber(dv[5]) or 0, tonumber(ARGV[11])\n"
    "    if now - pa < rc then\n"
    "      if pa + rc - now < retry then retry = pa + rc - now end\n"
    "      return {2, retry, minute, 0, now, gen}\n"
    "    end\n"
    "    redis.call('HSET', day, 'probe_at', s(now))\n"
    "    redis.call('HINCRBY', day, 'probes', 1)\n"
    "  end\n"
    "end\n"
    "local blocked = tonumber(mv[2]) or 0\n"
    "if now < blocked then return {1, blocked - now, minute, 0, now, gen} end\n"
    "local win_max, win_us, count = tonumber(ARGV[4]), tonumber(ARGV[5]), 0\n"
    "if win_max > 0 then\n"
    "  redis.call('ZREMRANGEBYSCORE', win, '-inf', s(now - win_us))\n"
    "  count = redis.call('ZCARD', win)\n"
    "  local eff, hmax = win_max, tonumber(mv[3])\n"
    "  if hmax and hmax < eff then eff = hmax end\n"
    "  local lim = lane_limit(eff, tonumber(ARGV[6]))\n"
    "  if count >= lim then\n"
    "    local e = redis.call('ZRANGE', win, s(count - lim), s(count - lim), 'WITHSCORES')\n"
    "    local sc = tonumber(e[2])\n"
    "    if sc > now then sc = now end\n"
    "    local w = sc + win_us - now\n"
    "    if w < 1 then w = 1 end\n"
    "    return {1, w, minute, count, now, gen}\n"
    "  end\n"
    "end\n"
    "local conc_max, lease = tonumber(ARGV[12]), tonumber(ARGV[8])\n"
    "if conc_max > 0 then\n"
    "  redis.call('ZREMRANGEBYSCORE', conc, '-inf', s(now))\n"
    "  if redis.call('ZCARD', conc) >= lane_limit(conc_max, 0) then return {3, 0, minute, count, now, gen} end\n"
    "  redis.call('ZADD', conc, s(now + lease), ARGV[1])\n"
    /* this lease ends last: what the key must outlive */
    "  redis.call('PEXPIRE', conc, s(math.floor(lease / 1000) + 1000))\n"
    "end\n"
    "if win_max > 0 then\n"
    "  redis.call('ZADD', win, s(now + lease), ARGV[1])\n"
    "  redis.call('PEXPIRE', win, s(math.floor((lease + win_us) / 1000) + 1000))\n"
    "  count = count + 1\n"
    "end\n"
    "if day_max > 0 then\n"
    "  redis.call('HINCRBY', day, 'm' .. s(minute), 1)\n"
    "  redis.call('HINCRBY', day, 'used', 1)\n"
    "  if ttl then redis.call('PEXPIRE', day, 172800000) end\n"
    "end\n"
    "return {0, 0, minute, count, now, gen}\n",
    NULL};
static ucrm_redis_script_t s_acquire = {"rate-limit acquire", s_acquire_parts, "", 0};

/* KEYS meta, window, day, conc. ARGV 1 id, 2 bucket, 3 outcome (0 not sent, 1 sent, 2 rate limited, 3 quota),
 * 4 held (1 window, 2 concurrency, 4 day), 5 minute taken, 6 view, 7 retry-after us, 8 window us, 9 window max,
 * 10 main bucket, 11 has window figures, 12 their max, 13 their remaining, 14 daily max, 15 daily is a cap,
 * 16 has daily figures, 17 their max, 18 their remaining. */
static const char *const s_done_parts[] = {LUA_COMMON,
    "local meta, win, day, conc = KEYS[1], KEYS[2], KEYS[3], KEYS[4]\n"
    "local b = 'b' .. ARGV[2] .. ':'\n"
    "local outcome, held = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local win_us, win_max = tonumber(ARGV[8]), tonumber(ARGV[9])\n"
    "local minute = math.floor(now / 60000000)\n"
    "local function day_sub(from, k)\n"
    "  local base = tonumber(redis.call('HGET', day, 'base')) or from\n"
    "  local used = tonumber(redis.call('HGET', day, 'used')) or 0\n"
    "  local mi = from\n"
    "  while k > 0 and mi >= base do\n"
    "    local f = 'm' .. s(mi)\n"
    "    local v = tonumber(redis.call('HGET', day, f))\n"
    "    if v and v > 0 then\n"
    "      local x = v\n"
    "      if k < x then x = k end\n"
    "      if v == x then redis.call('HDEL', day, f) else redis.call('HSET', day, f, s(v - x)) end\n"
    "      used, k = used - x, k - x\n"
    "    end\n"
    "    mi = mi - 1\n"
    "  end\n"
    "  if used < 0 then used = 0 end\n"
    "  redis.call('HSET', day, 'used', s(used))\n"
    "end\n"
    "if held % 2 == 1 then\n"
    "  if outcome ~= 1 then\n"
    "    redis.call('ZREM', win, ARGV[1])\n"
    "  elseif redis.call('ZADD', win, s(now), ARGV[1]) == 1 then\n"
    /* its entry had gone (a lost state): the key may need a longer life */
    "    keep(win, math.floor(win_us / 1000) + 1000)\n"
    "  end\n"
    "end\n"
    "if math.floor(held / 2) % 2 == 1 then redis.call('ZREM', conc, ARGV[1]) end\n"
    "local day_max = tonumber(ARGV[14])\n"
    "local give_back = math.floor(held / 4) % 2 == 1 and (outcome == 0 or outcome == 2)\n"
    "local figures = day_max > 0 and ARGV[16] == '1' and tonumber(ARGV[17]) > 0\n"
    "if day_max > 0 and (give_back or figures) then roll(day, minute) end\n"
    "if give_back then day_sub(tonumber(ARGV[5]), 1) end\n"
    "if outcome == 2 then\n"
    "  local ra = tonumber(ARGV[7])\n"
    "  if ra <= 0 then ra = win_us end\n"
    "  local cur = tonumber(redis.call('HGET', meta, b .. 'blocked')) or 0\n"
    "  if now + ra > cur then redis.call('HSET', meta, b .. 'blocked', s(now + ra)) end\n"
    "  redis.call('HINCRBY', meta, b .. 'drains', 1)\n"
    "  keep(meta, 172800000)\n"
    "end\n"
    "local hmax, hrem = tonumber(ARGV[12]), tonumber(ARGV[13])\n"
    "if ARGV[10] == '1' and win_max > 0 and ARGV[11] == '1' and hmax > 0 then\n"
    "  redis.call('HSET', meta, b .. 'hmax', s(hmax))\n"
    "  local eff = win_max\n"
    "  if hmax < eff then eff = hmax end\n"
    "  if hrem < 0 then hrem = 0 end\n"
    "  redis.call('ZREMRANGEBYSCORE', win, '-inf', s(now - win_us))\n"
    "  local here, view = redis.call('ZCARD', win), tonumber(ARGV[6])\n"
    "  if view < here then view = here end\n"
    "  local add = hmax - hrem - view\n"
    "  if add > eff - here then add = eff - here end\n"
    "  if add > 0 then\n"
    "    local seq = redis.call('HINCRBY', meta, 'seq', s(add))\n"
    "    local gen = redis.call('HGET', meta, 'gen') or '0'\n"
    "    for i = 1, add do redis.call('ZADD', win, s(now), 'p' .. gen .. ':' .. s(seq - i)) end\n"
    "    redis.call('HINCRBY', meta, b .. 'corr', 1)\n"
    "    keep(win, math.floor(win_us / 1000) + 1000)\n"
    "  end\n"
    "end\n"
    "local dmax, drem = tonumber(ARGV[17]), tonumber(ARGV[18])\n"
    "if figures then\n"
    "  redis.call('HSET', day, 'pmax', s(dmax), 'synced', '1', 'probe_at', s(now))\n"
    "  if drem < 0 then drem = 0 end\n"
    "  local used = tonumber(redis.call('HGET', day, 'used')) or 0\n"
    "  if dmax - drem > used then\n"
    "    redis.call('HINCRBY', day, 'm' .. s(minute), s(dmax - drem - used))\n"
    "    redis.call('HSET', day, 'used', s(dmax - drem))\n"
    "  elseif dmax - drem < used then\n"
    "    day_sub(minute, used - dmax + drem)\n"
    "  end\n"
    "  keep(day, 172800000)\n"
    "end\n"
    "return 0\n",
    NULL};
static ucrm_redis_script_t s_done = {"rate-limit done", s_done_parts, "", 0};

/* KEYS meta, w0, w1, day. ARGV 1 tag (unique per merge), 2 n0, 3 n1, 4 w0 us, 5 w1 us, 6 daily count to add,
 * 7 the generation the caller saw last (0: none), 8 all (1: everything the caller has, after a lost state), then
 * n0 + n1 completion times (Redis clock, us). Puts back what this process sent that Redis does not know, unless
 * the state is not the one the caller saw and this is not everything. Answers {1 when refused, generation}. */
static const char *const s_merge_parts[] = {LUA_COMMON,
    "local gen = tonumber(redis.call('HGET', KEYS[1], 'gen'))\n"
    "if not gen then gen = now; redis.call('HSET', KEYS[1], 'gen', s(gen)) end\n"
    "keep(KEYS[1], 172800000)\n"
    "local seen = tonumber(ARGV[7])\n"
    "if ARGV[8] ~= '1' and seen ~= 0 and seen ~= gen then return {1, gen} end\n"
    "local n = {tonumber(ARGV[2]), tonumber(ARGV[3])}\n"
    "local wus = {tonumber(ARGV[4]), tonumber(ARGV[5])}\n"
    "local idx = 9\n"
    "for bk = 1, 2 do\n"
    "  for i = 1, n[bk] do\n"
    "    local ts = tonumber(ARGV[idx])\n"
    "    idx = idx + 1\n"
    "    if ts > now - wus[bk] then redis.call('ZADD', KEYS[1 + bk], s(ts), 'm' .. ARGV[1] .. ':' .. s(idx)) end\n"
    "  end\n"
    "  if n[bk] > 0 then keep(KEYS[1 + bk], math.floor(wus[bk] / 1000) + 1000) end\n"
    "end\n"
    "local add = tonumber(ARGV[6])\n"
    "if add > 0 then\n"
    "  local minute = math.floor(now / 60000000)\n"
    "  roll(KEYS[4], minute)\n"
    "  redis.call('HINCRBY', KEYS[4], 'm' .. s(minute), s(add))\n"
    "  redis.call('HINCRBY', KEYS[4], 'used', s(add))\n"
    "  keep(KEYS[4], 172800000)\n"
    "end\n"
    "return {0, gen}\n",
    NULL};
static ucrm_redis_script_t s_merge = {"rate-limit merge", s_merge_parts, "", 0};

/* KEYS meta, w0, w1, day, conc. ARGV 1 w0 us, 2 w1 us. Answers {now, then per window: used, in flight,
 * drained for us, -Max seen, drains, corrections; daily used, the provider's daily max, probes; in flight}. */
static const char *const s_stats_parts[] = {LUA_COMMON,
    "local out = {now}\n"
    "for bk = 0, 1 do\n"
    "  local w, wus, b = KEYS[2 + bk], tonumber(ARGV[1 + bk]), 'b' .. bk .. ':'\n"
    "  out[#out + 1] = redis.call('ZCOUNT', w, '(' .. s(now - wus), '+inf')\n"
    "  out[#out + 1] = redis.call('ZCOUNT', w, '(' .. s(now), '+inf')\n"
    "  local bl = (tonumber(redis.call('HGET', KEYS[1], b .. 'blocked')) or 0) - now\n"
    "  if bl < 0 then bl = 0 end\n"
    "  out[#out + 1] = bl\n"
    "  out[#out + 1] = tonumber(redis.call('HGET', KEYS[1], b .. 'hmax')) or 0\n"
    "  out[#out + 1] = tonumber(redis.call('HGET', KEYS[1], b .. 'drains')) or 0\n"
    "  out[#out + 1] = tonumber(redis.call('HGET', KEYS[1], b .. 'corr')) or 0\n"
    "end\n"
    "if redis.call('EXISTS', KEYS[4]) == 1 then roll(KEYS[4], math.floor(now / 60000000)) end\n"
    "out[#out + 1] = tonumber(redis.call('HGET', KEYS[4], 'used')) or 0\n"
    "out[#out + 1] = tonumber(redis.call('HGET', KEYS[4], 'pmax')) or 0\n"
    "out[#out + 1] = tonumber(redis.call('HGET', KEYS[4], 'probes')) or 0\n"
    "out[#out + 1] = redis.call('ZCOUNT', KEYS[5], '(' .. s(now), '+inf')\n"
    "return out\n",
    NULL};
static ucrm_redis_script_t s_stats = {"rate-limit stats", s_stats_parts, "", 0};

/* ---------------------------------------------------------------------------------------------- state */

typedef ucrm_rl_waiter_t waiter_t;
typedef ucrm_rl_queue_t queue_t;

/* This process's completions in one window (monotonic us, oldest first) and whether Redis has them. */
typedef struct clog {
    int64_t *ts;
    unsigned char *fb; /* 1: sent through the fallback, not in Redis */
    size_t cap, head, n;
} clog_t;

typedef struct rr {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    ucrm_redis_t *r;
    char *keys[NKEYS];
    ucrm_rl_settings_t s;
    int64_t lease_us;
    bool degrade;
    int64_t degrade_pct;
    void *fallback;        /* the in-process limiter used while Redis is unreachable (degrade only) */
    bool down;             /* the last acquire found Redis unreachable */
    int64_t settle_until;  /* degrade: after an outage, acquire stays on the fallback until then (monotonic us) */
    bool merging;          /* a thread is putting usage back into Redis */
    bool merge_all;        /* the shared state was lost: everything this process has in the windows goes back */
    int64_t gen;           /* generation of the shared state last seen (0: none yet) */
    int64_t day_unmerged;  /* sent through the fallback, not yet in the shared daily count */
    int64_t offset_us;     /* Redis clock minus monotonic clock, as last seen */
    int64_t ttl_due;       /* monotonic: the next acquire refreshes the expiry of the long-lived keys */
    clog_t log[NBUCKETS];
    int64_t inflight[NBUCKETS];    /* tickets held in Redis (window buckets) */
    int64_t fb_inflight[NBUCKETS]; /* tickets held in the fallback */
    int64_t fb_counted[NBUCKETS];  /* of those, already put back into Redis (as if completed then) */
    bool merge_pending;            /* fallback tickets completed after Redis came back: to be put back */
    queue_t q[NBUCKETS][NLANES];
    int64_t hint_until[NBUCKETS]; /* the head's last refusal: no slot before then (monotonic us) */
    uint64_t seq;
    char nonce[17];        /* makes this process's entry names unique (renewed in a forked child) */
    pid_t nonce_pid;
    ucrm_rl_counts_t counts;
    uint64_t fallback_acquired, merges, resets, done_lost, outages;
} rr_t;

static int bucket_of(const ucrm_rl_ticket_t *t) { return t->bucket == UCRM_BUCKET_SEARCH ? 1 : 0; }

static int64_t win_max(const rr_t *m, int b) { return b ? m->s.search_max : m->s.window_max; }
static int64_t win_us(const rr_t *m, int b) { return (b ? m->s.search_ms : m->s.window_ms) * 1000; }

/* ---------------------------------------------------------------------------------------------- local log */

static void clog_expire(clog_t *l, int64_t now, int64_t w) {
    while (l->n && now - l->ts[l->head] >= w) {
        l->head = (l->head + 1) % l->cap;
        l->n--;
    }
}

/* Records a completion; on out of memory the oldest is dropped (the log only serves to put usage back). */
static void clog_push(clog_t *l, int64_t now, int64_t w, bool fallback) {
    clog_expire(l, now, w);
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 32;
        int64_t *nts = ucrm__calloc(ncap, sizeof *nts);
        unsigned char *nfb = ucrm__calloc(ncap, 1);
        if (!nts || !nfb) {
            ucrm__free(nts);
            ucrm__free(nfb);
            if (!l->cap)
                return;
            l->head = (l->head + 1) % l->cap;
            l->n--;
        } else {
            for (size_t i = 0; i < l->n; i++) {
                nts[i] = l->ts[(l->head + i) % l->cap];
                nfb[i] = l->fb[(l->head + i) % l->cap];
            }
            ucrm__free(l->ts);
            ucrm__free(l->fb);
            l->ts = nts;
            l->fb = nfb;
            l->cap = ncap;
            l->head = 0;
        }
    }
    size_t at = (l->head + l->n) % l->cap;
    l->ts[at] = now;
    l->fb[at] = fallback;
    l->n++;
}

/* ---------------------------------------------------------------------------------------------- queues */

/* w heads its bucket: first of its lane, nobody waiting in a higher one. */
static bool is_head(const rr_t *m, int b, int lane, const waiter_t *w) {
    for (int l = lane + 1; l < NLANES; l++)
        if (m->q[b][l].n)
            return false;
    return m->q[b][lane].head == w;
}

/* ---------------------------------------------------------------------------------------------- create */

static int64_t share(int64_t n, int64_t pct) {
    if (n <= 0)
        return 0;
    int64_t x = n / 100 * pct + n % 100 * pct / 100;
    return x < 1 ? 1 : x;
}

/* A random name for this process's entries (lock held, or not shared yet). */
static void new_nonce(rr_t *m) {
    unsigned char rnd[8];
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        uint64_t x = ucrm__rand64();
        memcpy(rnd, &x, sizeof rnd);
    }
    for (int i = 0; i < 8; i++)
        snprintf(m->nonce + 2 * i, 3, "%02x", rnd[i]);
    m->nonce_pid = getpid();
}

static void rr_destroy(void *impl) {
    rr_t *m = impl;
    if (!m)
        return;
    if (m->fallback)
        ucrm_limiter__memory.destroy(m->fallback);
    ucrm_redis__release(m->r);
    for (int k = 0; k < NKEYS; k++)
        ucrm__free(m->keys[k]);
    for (int b = 0; b < NBUCKETS; b++) {
        ucrm__free(m->log[b].ts);
        ucrm__free(m->log[b].fb);
    }
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    ucrm__free(m);
}

static ucrm_err_t rr_create(void **impl, const ucrm_rl_settings_t *s, const ucrm_conf_t *conf, const char *key,
                            ucrm_error_t **errp) {
    static const char *const suffix[NKEYS] = {"meta", "w0", "w1", "day", "conc"};
    rr_t *m = ucrm__calloc(1, sizeof *m);
    if (!m)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cond, &ca);
    pthread_condattr_destroy(&ca);
    m->s = *s;
    m->lease_us = s->attempt_ms * 1000 + LEASE_EXTRA_US;
    m->degrade = ucrm__streq(ucrm_conf__str(conf, UCRM_P_REDIS_FAILURE), "degrade");
    m->degrade_pct = ucrm_conf__int(conf, UCRM_P_REDIS_DEGRADE_PERCENT);
    new_nonce(m);
    const char *prefix = ucrm_conf__str(conf, UCRM_P_REDIS_PREFIX);
    ucrm_err_t rc = UCRM_OK;
    for (int k = 0; k < NKEYS && rc == UCRM_OK; k++) {
        ucrm_buf_t b = UCRM_BUF_INIT;
        ucrm_buf__printf(&b, "%s{%s}:rl:%s", prefix ? prefix : "", key, suffix[k]);
        if (!(m->keys[k] = ucrm_buf__steal(&b)))
            rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    if (rc == UCRM_OK)
        rc = ucrm_redis__get(&m->r, conf, errp);
    if (rc == UCRM_OK && m->degrade) {
        ucrm_rl_settings_t fs = *s;
        fs.window_max = share(s->window_max, m->degrade_pct);
        fs.search_max = share(s->search_max, m->degrade_pct);
        /* the daily share holds until the provider's figures come, which are the whole account's: then the
         * fallback counts the account's usage against the whole budget (rr_done applies a configured cap) */
        fs.daily_max = share(s->daily_max, m->degrade_pct);
        fs.daily_explicit = false;
        fs.concurrency = share(s->concurrency, m->degrade_pct);
        rc = ucrm_limiter__memory.create(&m->fallback, &fs, conf, key, errp);
    }
    if (rc < 0) {
        rr_destroy(m);
        return rc;
    }
    *impl = m;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- errors, events */

/* The fallback starts with what this process sent in the current windows, and with the rest of each window as
 * sent by the others just now (lock held). What the other processes sent is unknown once Redis is gone, and their
 * share may have been far larger than this one's: only "the window was full" is safe. So a process's fallback sends
 * nothing new until one window after the outage began (or until its own part of the window, if that was more than
 * 100 - redis.degrade.percent, has aged out); from then on every process stays within its share. Its share is
 * what the phantom entries need to block it, so no more are kept. */
static void seed_fallback(rr_t *m) {
    int64_t now = ucrm__mono_us();
    for (int b = 0; b < NBUCKETS; b++) {
        clog_t *l = &m->log[b];
        clog_expire(l, now, win_us(m, b));
        size_t own = l->n + (size_t)m->inflight[b]; /* requests on their way count as completed now */
        int64_t lim = win_max(m, b), others = lim - (int64_t)own, cap = share(lim, m->degrade_pct);
        size_t n = own + (size_t)(others <= 0 ? 0 : others < cap ? others : cap);
        int64_t *ts = n ? ucrm__calloc(n, sizeof *ts) : NULL;
        for (size_t i = 0; ts && i < n; i++)
            ts[i] = i < l->n ? l->ts[(l->head + i) % l->cap] : now;
        if (ts)
            ucrm_rl_mem__seed(m->fallback, b ? UCRM_BUCKET_SEARCH : UCRM_BUCKET_MAIN, ts, n);
        ucrm__free(ts);
    }
}

/* Redis failed (lock held). The first failure after a success is reported through the ticket. */
static void note_down(rr_t *m, ucrm_rl_ticket_t *t, const ucrm_error_t *e) {
    if (m->down)
        return;
    m->down = true;
    m->outages++;
    if (m->degrade)
        seed_fallback(m);
    if (!t)
        return;
    t->event_level = UCRM_LOG_WARNING;
    if (m->degrade)
        snprintf(t->event_msg, sizeof t->event_msg,
                 "%s; until it is back this process uses an in-process limiter with %lld%% of the budget "
                 "(redis.failure=degrade)", ucrm_error_message(e), (long long)m->degrade_pct);
    else
        snprintf(t->event_msg, sizeof t->event_msg,
                 "%s; calls fail until it is back (redis.failure=closed)", ucrm_error_message(e));
}

/* Redis answered (lock held): the end of an outage is reported through the ticket. */
static void note_up(rr_t *m, ucrm_rl_ticket_t *t) {
    if (!m->down)
        return;
    m->down = false;
    if (m->degrade) {
        /* Other processes may still be on their fallback, their usage not in Redis yet: until every busy one has
         * found Redis back (its backoff) and a window has passed over what it sent meanwhile, this process keeps
         * to its share too, putting what it sends into Redis as it goes. */
        int64_t w = win_us(m, 0) > win_us(m, 1) ? win_us(m, 0) : win_us(m, 1);
        m->settle_until = ucrm__mono_us() + UCRM_REDIS_BACKOFF_MAX_US + w;
    }
    t->event_level = UCRM_LOG_WARNING;
    snprintf(t->event_msg, sizeof t->event_msg, "Redis at %s answers again: the shared rate limits are back%s",
             ucrm_redis__where(m->r), m->degrade ? " (what this process sent meanwhile is added to them)" : "");
}

/* ---------------------------------------------------------------------------------------------- merge */

/* Puts back into Redis what this process sent that Redis does not have: everything still in the windows after
 * the shared state was lost (m->merge_all), else what went through the fallback. Called with the lock held and
 * m->merging set; returns likewise, m->merging clear. false: Redis failed (*err, when err is given). */
static bool merge(rr_t *m, ucrm_error_t **err) {
    bool all = m->merge_all;
    int64_t now = ucrm__mono_us(), n[NBUCKETS] = {0, 0}, upto = now, fbi[NBUCKETS] = {0, 0};
    size_t total = 0;
    for (int b = 0; b < NBUCKETS; b++) {
        clog_expire(&m->log[b], now, win_us(m, b));
        fbi[b] = m->fb_inflight[b] - m->fb_counted[b];
        total += m->log[b].n + (size_t)fbi[b] + (all ? (size_t)m->inflight[b] : 0);
    }
    char(*vals)[24] = ucrm__calloc(total ? total : 1, sizeof *vals);
    size_t k = 0;
    for (int b = 0; vals && b < NBUCKETS; b++) {
        const clog_t *l = &m->log[b];
        for (size_t i = 0; i < l->n; i++) {
            size_t at = (l->head + i) % l->cap;
            if (all || l->fb[at]) {
                snprintf(vals[k++], sizeof vals[0], "%lld", (long long)(l->ts[at] + m->offset_us));
                n[b]++;
            }
        }
        /* on their way: as if completed now. Redis's own went with a lost state; the fallback's never were there */
        for (int64_t i = 0; i < fbi[b] + (all ? m->inflight[b] : 0); i++, n[b]++)
            snprintf(vals[k++], sizeof vals[0], "%lld", (long long)(now + m->offset_us));
    }
    int64_t day_add = m->day_unmerged;
    char tag[40], a[6][24];
    snprintf(tag, sizeof tag, "%s:%llu", m->nonce, (unsigned long long)++m->seq);
    snprintf(a[0], sizeof a[0], "%lld", (long long)n[0]);
    snprintf(a[1], sizeof a[1], "%lld", (long long)n[1]);
    snprintf(a[2], sizeof a[2], "%lld", (long long)win_us(m, 0));
    snprintf(a[3], sizeof a[3], "%lld", (long long)win_us(m, 1));
    snprintf(a[4], sizeof a[4], "%lld", (long long)day_add);
    snprintf(a[5], sizeof a[5], "%lld", (long long)m->gen);
    pthread_mutex_unlock(&m->lock);

    ucrm_err_t rc = UCRM_ERR_NOMEM;
    size_t argc = 12 + k;
    int64_t refused = 0, gen = 0;
    const char **argv = vals ? ucrm__calloc(argc, sizeof *argv) : NULL;
    if (argv) {
        const char *head[12] = {m->keys[K_META], m->keys[K_W0], m->keys[K_W1], m->keys[K_DAY], tag,
                                a[0], a[1], a[2], a[3], a[4], a[5], all ? "1" : "0"};
        memcpy(argv, head, sizeof head);
        for (size_t i = 0; i < k; i++)
            argv[12 + i] = vals[i];
        struct redisReply *rep = NULL;
        rc = ucrm_redis__eval(m->r, &s_merge, 4, (int)argc, argv, NULL, &rep, err);
        if (rc == UCRM_OK && !(ucrm_redis__reply_int(rep, 0, &refused) && ucrm_redis__reply_int(rep, 1, &gen)))
            rc = ucrm__fail(err, UCRM_ERR_TRANSPORT, "Redis at %s gave an unexpected answer to the %s script",
                            ucrm_redis__where(m->r), s_merge.name);
        ucrm_redis__reply_free(rep);
    } else if (err) {
        ucrm__fail(err, UCRM_ERR_NOMEM, "out of memory");
    }
    ucrm__free(argv);
    ucrm__free(vals);
    pthread_mutex_lock(&m->lock);
    m->merging = false;
    pthread_cond_broadcast(&m->cond);
    if (rc < 0)
        return false; /* nothing changed: the next try puts back the same */
    if (m->gen != gen) {
        if (m->gen) { /* the state was lost as well: everything goes back (the next try) */
            m->merge_all = true;
            m->resets++;
        }
        m->gen = gen;
    }
    if (refused)
        return true;
    for (int b = 0; b < NBUCKETS; b++) { /* what was put back is in Redis now */
        clog_t *l = &m->log[b];
        for (size_t i = 0; i < l->n; i++)
            if (l->ts[(l->head + i) % l->cap] <= upto)
                l->fb[(l->head + i) % l->cap] = 0;
    }
    m->day_unmerged -= day_add;
    for (int b = 0; b < NBUCKETS; b++)
        m->fb_counted[b] += fbi[b];
    if (all)
        m->merge_all = false;
    m->merge_pending = false;
    m->merges++;
    return true;
}

/* ---------------------------------------------------------------------------------------------- acquire */

typedef struct answer {
    int64_t status, value, minute, view, now, gen;
} answer_t;

/* The acquire script for the ticket's bucket and lane, with id as the slot's member (no lock held). */
static ucrm_err_t ask(rr_t *m, int b, int lane, const char *id, int64_t seen, bool ttl, answer_t *a,
                      ucrm_error_t **errp) {
    char v[10][24];
    snprintf(v[0], sizeof v[0], "%d", b);
    snprintf(v[1], sizeof v[1], "%lld", (long long)win_max(m, b));
    snprintf(v[2], sizeof v[2], "%lld", (long long)win_us(m, b));
    snprintf(v[3], sizeof v[3], "%lld", (long long)(b ? 0 : m->s.headroom));
    snprintf(v[4], sizeof v[4], "%lld", (long long)m->s.reserve_pct);
    snprintf(v[5], sizeof v[5], "%lld", (long long)m->lease_us);
    snprintf(v[6], sizeof v[6], "%lld", (long long)m->s.daily_max);
    snprintf(v[7], sizeof v[7], "%lld", (long long)m->s.daily_recheck_ms * 1000);
    snprintf(v[8], sizeof v[8], "%lld", (long long)m->s.concurrency);
    snprintf(v[9], sizeof v[9], "%lld", (long long)seen);
    const char *argv[18] = {m->keys[K_META], m->keys[b ? K_W1 : K_W0], m->keys[K_DAY], m->keys[K_CONC],
                            id, v[0], lane == LANE_HIGH ? "1" : "0", v[1], v[2], v[3], v[4], v[5], v[6],
                            m->s.daily_explicit ? "1" : "0", v[7], v[8], v[9], ttl ? "1" : "0"};
    struct redisReply *rep = NULL;
    ucrm_err_t rc = ucrm_redis__eval(m->r, &s_acquire, 4, 18, argv, NULL, &rep, errp);
    if (rc < 0)
        return rc;
    int64_t *f[6] = {&a->status, &a->value, &a->minute, &a->view, &a->now, &a->gen};
    bool ok = ucrm_redis__reply_len(rep) == 6;
    for (int i = 0; ok && i < 6; i++)
        ok = ucrm_redis__reply_int(rep, i, f[i]);
    ucrm_redis__reply_free(rep);
    if (!ok)
        return ucrm__fail(errp, UCRM_ERR_TRANSPORT, "Redis at %s gave an unexpected answer to the rate-limit script",
                          ucrm_redis__where(m->r));
    return UCRM_OK;
}

/* What acquire does next after asking Redis (lock held). */
typedef enum { NEXT_TAKEN, NEXT_WAIT, NEXT_FAIL, NEXT_FALLBACK } next_t;

typedef struct acq {
    rr_t *m;
    ucrm_rl_ticket_t *t;
    int b, lane;
    waiter_t me;
    int64_t start, limit;
    bool waited;
    ucrm_error_t **errp;
} acq_t;

/* The head's turn: one script, then what it said (called and returning with the lock held). */
static next_t head_turn(acq_t *x, int64_t *wake, ucrm_err_t *rc) {
    rr_t *m = x->m;
    char id[48];
    uint64_t rid = ++m->seq;
    snprintf(id, sizeof id, "%s:%llu", m->nonce, (unsigned long long)rid);
    answer_t a = {0};
    ucrm_error_t *err = NULL;
    int64_t seen = m->gen, t0 = ucrm__mono_us();
    bool ttl = t0 >= m->ttl_due;
    if (ttl)
        m->ttl_due = t0 + INT64_C(60000000);
    pthread_mutex_unlock(&m->lock);
    ucrm_err_t src = ask(m, x->b, x->lane, id, seen, ttl, &a, &err);
    pthread_mutex_lock(&m->lock);
    int64_t now = ucrm__mono_us();
    if (src < 0) {
        note_down(m, x->t, err);
        if (m->degrade) {
            ucrm_error_destroy(err);
            return NEXT_FALLBACK;
        }
        *rc = ucrm__give(x->errp, err);
        return NEXT_FAIL;
    }
    note_up(m, x->t);
    m->offset_us = a.now - now;
    if (a.status == ST_NEWGEN || m->gen != a.gen) {
        if (m->gen) { /* the state was lost: put back what this process sent before anything is taken */
            m->merge_all = true;
            m->resets++;
        }
        m->gen = a.gen;
        if (a.status == ST_NEWGEN) {
            *wake = now;
            return NEXT_WAIT;
        }
    }
    switch (a.status) {
    case ST_OK:
        x->t->held = HELD_REDIS | (win_max(m, x->b) > 0 ? RH_WIN : 0) | (m->s.concurrency > 0 ? RH_CONC : 0) |
                     (m->s.daily_max > 0 ? RH_DAY : 0);
        x->t->rid = (int64_t)rid;
        x->t->stamp = a.minute;
        x->t->view = a.view;
        if (win_max(m, x->b) > 0)
            m->inflight[x->b]++;
        m->counts.acquired++;
        return NEXT_TAKEN;
    case ST_QUOTA:
        m->counts.rejected_quota++;
        *rc = ucrm_rl__quota_error(x->errp, x->lane, a.value);
        return NEXT_FAIL;
    case ST_CONC:
        a.value = 0;
        *wake = now + CONC_POLL_US;
        break;
    default:
        m->hint_until[x->b] = now + a.value;
        *wake = now + a.value;
        break;
    }
    if (now >= x->limit || now + a.value > x->limit) {
        m->counts.rejected_rl++;
        *rc = ucrm_rl__rate_error(x->errp, a.value, x->limit - x->start);
        return NEXT_FAIL;
    }
    return NEXT_WAIT;
}

/* The fallback's acquire with what is left of the call's allowance (no lock held). */
static ucrm_err_t fallback_acquire(acq_t *x, int64_t max_wait_ms, int64_t deadline_us, int64_t *waited_us) {
    rr_t *m = x->m;
    int64_t spent_ms = (ucrm__mono_us() - x->start) / 1000;
    int64_t left = max_wait_ms < 0 ? -1 : max_wait_ms > spent_ms ? max_wait_ms - spent_ms : 0;
    int64_t w = 0;
    ucrm_err_t rc = ucrm_limiter__memory.acquire(m->fallback, x->t, left, deadline_us, &w, x->errp);
    *waited_us += w;
    if (rc == UCRM_OK) {
        x->t->held |= HELD_FALLBACK;
        pthread_mutex_lock(&m->lock);
        m->fallback_acquired++;
        if (win_max(m, x->b) > 0)
            m->fb_inflight[x->b]++;
        pthread_mutex_unlock(&m->lock);
    }
    return rc;
}

static ucrm_err_t rr_acquire(void *impl, ucrm_rl_ticket_t *t, int64_t max_wait_ms, int64_t deadline_us,
                             int64_t *waited_us, ucrm_error_t **errp) {
    rr_t *m = impl;
    acq_t x = {m, t, bucket_of(t), ucrm_rl__lane(t->prio), {0}, 0, 0, false, errp};
    ucrm_err_t rc = UCRM_OK;
    next_t next = NEXT_WAIT;
    pthread_mutex_lock(&m->lock);
    if (m->nonce_pid != getpid()) /* a forked child: its entries must not take its parent's names */
        new_nonce(m);
    x.start = ucrm__mono_us();
    x.limit = max_wait_ms < 0 ? INT64_MAX : x.start + max_wait_ms * 1000;
    if (deadline_us < x.limit)
        x.limit = deadline_us;
    ucrm_rl_q__push(&m->q[x.b][x.lane], &x.me);
    int64_t now = x.start;
    for (;; x.waited = true) {
        now = ucrm__mono_us();
        int64_t wake = x.limit;
        if (m->merging && m->down && m->degrade) { /* another thread is finding out whether Redis is back */
            next = NEXT_FALLBACK;
            break;
        } else if (m->merging) { /* another thread puts usage back into Redis: nothing is taken before it lands */
            ucrm_rl__wait_until(&m->cond, &m->lock, now, now + 2000);
            continue;
        } else if (m->down && m->degrade && ucrm_redis__backing_off(m->r)) {
            next = NEXT_FALLBACK;
            break;
        } else if ((m->down && m->degrade) || m->merge_all || m->merge_pending) {
            /* after an outage (degrade), what went through the fallback goes back first; its answer ends the
             * outage. After a lost state, everything this process still has in the windows. */
            bool was_down = m->down;
            ucrm_error_t *err = NULL;
            m->merging = true;
            if (!merge(m, &err)) {
                note_down(m, t, err);
                ucrm_error_destroy(err);
                if (m->degrade) {
                    next = NEXT_FALLBACK;
                    break;
                }
                rc = ucrm__give(errp, ucrm_error__new(UCRM_ERR_TRANSPORT, "Redis at %s is unreachable",
                                                      ucrm_redis__where(m->r)));
                next = NEXT_FAIL;
                break;
            }
            if (was_down)
                note_up(m, t);
            continue;
        } else if (m->degrade && now < m->settle_until) { /* just back from an outage: see note_up */
            next = NEXT_FALLBACK;
            break;
        } else if (is_head(m, x.b, x.lane, &x.me)) {
            next = head_turn(&x, &wake, &rc);
            if (next != NEXT_WAIT)
                break;
            if (wake <= ucrm__mono_us())
                continue;
        } else {
            int64_t need = m->hint_until[x.b] > now ? m->hint_until[x.b] - now : 0;
            if (now >= x.limit || now + need > x.limit) {
                m->counts.rejected_rl++;
                rc = ucrm_rl__rate_error(errp, need, x.limit - x.start);
                next = NEXT_FAIL;
                break;
            }
        }
        ucrm_rl__wait_until(&m->cond, &m->lock, ucrm__mono_us(), wake < x.limit ? wake : x.limit);
    }
    ucrm_rl_q__remove(&m->q[x.b][x.lane], &x.me);
    now = ucrm__mono_us();
    int64_t waited = x.waited && next != NEXT_FALLBACK ? now - x.start : 0;
    ucrm_rl_counts__waited(&m->counts, waited);
    if (ucrm_rl_q__waiting(m->q, NBUCKETS))
        pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    *waited_us = waited;
    if (next == NEXT_FALLBACK)
        rc = fallback_acquire(&x, max_wait_ms, deadline_us, waited_us);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- done */

static ucrm_err_t tell_done(rr_t *m, const ucrm_rl_ticket_t *t, const ucrm_usage_t *u, ucrm_rl_outcome_t outcome,
                            int64_t retry_after_ms) {
    int b = bucket_of(t);
    static const char *const outcomes[] = {"0", "1", "2", "3"};
    char id[48], v[12][24];
    snprintf(id, sizeof id, "%s:%llu", m->nonce, (unsigned long long)t->rid);
    snprintf(v[0], sizeof v[0], "%d", b);
    snprintf(v[1], sizeof v[1], "%u", t->held & 7u);
    snprintf(v[2], sizeof v[2], "%lld", (long long)t->stamp);
    snprintf(v[3], sizeof v[3], "%lld", (long long)t->view);
    snprintf(v[4], sizeof v[4], "%lld", (long long)(retry_after_ms > 0 ? retry_after_ms * 1000 : 0));
    snprintf(v[5], sizeof v[5], "%lld", (long long)win_us(m, b));
    snprintf(v[6], sizeof v[6], "%lld", (long long)win_max(m, b));
    snprintf(v[7], sizeof v[7], "%lld", (long long)(u ? u->window_max : 0));
    snprintf(v[8], sizeof v[8], "%lld", (long long)(u ? u->window_remaining : 0));
    snprintf(v[9], sizeof v[9], "%lld", (long long)m->s.daily_max);
    snprintf(v[10], sizeof v[10], "%lld", (long long)(u ? u->daily_max : 0));
    snprintf(v[11], sizeof v[11], "%lld", (long long)(u ? u->daily_remaining : 0));
    const char *argv[22] = {m->keys[K_META], m->keys[b ? K_W1 : K_W0], m->keys[K_DAY], m->keys[K_CONC],
                            id, v[0], outcomes[outcome & 3], v[1], v[2], v[3], v[4], v[5], v[6],
                            b == 0 ? "1" : "0", u && u->has_window ? "1" : "0", v[7], v[8], v[9],
                            m->s.daily_explicit ? "1" : "0", u && u->has_daily ? "1" : "0", v[10], v[11]};
    if (outcome == UCRM_RL_RATE_LIMITED || outcome == UCRM_RL_QUOTA) {
        /* the drain must be in place before the retry asks again */
        struct redisReply *rep = NULL;
        ucrm_err_t rc = ucrm_redis__eval(m->r, &s_done, 4, 22, argv, NULL, &rep, NULL);
        ucrm_redis__reply_free(rep);
        return rc;
    }
    return ucrm_redis__eval_async(m->r, &s_done, 4, 22, argv, NULL, NULL);
}

static void rr_done(void *impl, ucrm_rl_ticket_t *t, const ucrm_usage_t *usage, ucrm_rl_outcome_t outcome,
                    int64_t retry_after_ms) {
    rr_t *m = impl;
    int b = bucket_of(t);
    bool fallback = t->held & HELD_FALLBACK, redis = t->held & HELD_REDIS;
    ucrm_err_t rc = UCRM_OK;
    if (fallback) {
        /* The provider's daily figures are the whole account's: the fallback takes them as they are, so that
         * its count is the account's, not only what this process sent since the outage (a configured cap is
         * applied here, the fallback's own daily maximum being only its share until figures come). */
        ucrm_usage_t u;
        if (usage) {
            u = *usage;
            if (u.has_daily && m->s.daily_explicit && m->s.daily_max > 0 && m->s.daily_max < u.daily_max) {
                u.daily_remaining -= u.daily_max - m->s.daily_max;
                u.daily_max = m->s.daily_max;
            }
        }
        t->held &= ~HELD_FALLBACK;
        ucrm_limiter__memory.done(m->fallback, t, usage ? &u : NULL, outcome, retry_after_ms);
    } else if (redis) {
        rc = tell_done(m, t, usage, outcome, retry_after_ms);
    }
    t->held = 0;
    pthread_mutex_lock(&m->lock);
    int64_t now = ucrm__mono_us();
    bool counted = false; /* a fallback ticket already put back into Redis when it came back */
    if (redis && win_max(m, b) > 0)
        m->inflight[b]--;
    if (fallback && win_max(m, b) > 0) {
        m->fb_inflight[b]--;
        if ((counted = m->fb_counted[b] > 0))
            m->fb_counted[b]--;
    }
    if ((fallback || redis) && outcome == UCRM_RL_SENT) {
        if (win_max(m, b) > 0)
            clog_push(&m->log[b], now, win_us(m, b), fallback && !counted);
        if (fallback && m->s.daily_max > 0)
            m->day_unmerged++;
        if (fallback && !counted && !m->down)
            m->merge_pending = true; /* Redis is back: the next acquire puts it there */
    }
    if (rc < 0)
        m->done_lost++; /* the slot stays counted until its lease ends: the safe side */
    ucrm_rl_counts__answer(&m->counts, outcome);
    if (ucrm_rl_q__waiting(m->q, NBUCKETS))
        pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

/* ---------------------------------------------------------------------------------------------- stats */

static void win_json(ucrm_buf_t *buf, const char *name, int64_t max, int64_t ms, const int64_t *f, bool have) {
    int64_t eff = have && f[3] > 0 && f[3] < max ? f[3] : max;
    ucrm_buf__printf(buf,
                     "\"%s\":{\"limit\":%lld,\"effective_limit\":%lld,\"interval_ms\":%lld,\"used\":%lld,"
                     "\"in_flight\":%lld,\"drained_for_ms\":%lld,\"drains\":%lld,\"corrections\":%lld},",
                     name, (long long)max, (long long)eff, (long long)ms, (long long)(have ? f[0] : 0),
                     (long long)(have ? f[1] : 0), (long long)(have ? f[2] / 1000 : 0), (long long)(have ? f[4] : 0),
                     (long long)(have ? f[5] : 0));
}

static void rr_stats_json(void *impl, ucrm_buf_t *buf) {
    rr_t *m = impl;
    char a[2][24];
    snprintf(a[0], sizeof a[0], "%lld", (long long)win_us(m, 0));
    snprintf(a[1], sizeof a[1], "%lld", (long long)win_us(m, 1));
    const char *argv[7] = {m->keys[K_META], m->keys[K_W0], m->keys[K_W1], m->keys[K_DAY], m->keys[K_CONC],
                           a[0], a[1]};
    struct redisReply *rep = NULL;
    int64_t f[17] = {0};
    bool have = ucrm_redis__eval(m->r, &s_stats, 5, 7, argv, NULL, &rep, NULL) == UCRM_OK &&
                ucrm_redis__reply_len(rep) == 17;
    for (int i = 0; have && i < 17; i++)
        have = ucrm_redis__reply_int(rep, i, &f[i]);
    ucrm_redis__reply_free(rep);
    win_json(buf, "window", m->s.window_max, m->s.window_ms, f + 1, have);
    win_json(buf, "search", m->s.search_max, m->s.search_ms, f + 7, have);
    int64_t deff = have && f[14] > 0 && !(m->s.daily_explicit && m->s.daily_max < f[14]) ? f[14] : m->s.daily_max;
    pthread_mutex_lock(&m->lock);
    ucrm_buf__printf(buf,
                     "\"daily\":{\"limit\":%lld,\"effective_limit\":%lld,\"used\":%lld,\"probes\":%lld},"
                     "\"concurrency\":{\"limit\":%lld,\"in_flight\":%lld},",
                     (long long)m->s.daily_max, (long long)deff, (long long)f[13], (long long)f[15],
                     (long long)m->s.concurrency, (long long)f[16]);
    ucrm_rl_counts__json(&m->counts, ucrm_rl_q__waiting(m->q, NBUCKETS), buf);
    int64_t settle_us = m->degrade && !m->down ? m->settle_until - ucrm__mono_us() : 0;
    ucrm_buf__printf(buf,
                     ",\"shared\":{\"available\":%s,\"failure\":\"%s\",\"degraded\":%s,\"settling_ms\":%lld,"
                     "\"fallback_acquired\":%llu,\"outages\":%llu,\"resets\":%llu,\"merges\":%llu,\"done_lost\":%llu,",
                     have ? "true" : "false", m->degrade ? "degrade" : "closed",
                     m->degrade && (m->down || settle_us > 0) ? "true" : "false",
                     (long long)(settle_us > 0 ? settle_us / 1000 : 0), (unsigned long long)m->fallback_acquired,
                     (unsigned long long)m->outages, (unsigned long long)m->resets, (unsigned long long)m->merges,
                     (unsigned long long)m->done_lost);
    pthread_mutex_unlock(&m->lock);
    ucrm_redis__stats_json(m->r, buf);
    ucrm_buf__putc(buf, '}');
    if (m->fallback) {
        ucrm_buf__puts(buf, ",\"fallback\":{");
        ucrm_limiter__memory.stats_json(m->fallback, buf);
        ucrm_buf__putc(buf, '}');
    }
}

const ucrm_limiter_backend_t ucrm_limiter__redis = {
    .name = "redis",
    .create = rr_create,
    .acquire = rr_acquire,
    .done = rr_done,
    .stats_json = rr_stats_json,
    .destroy = rr_destroy,
};
