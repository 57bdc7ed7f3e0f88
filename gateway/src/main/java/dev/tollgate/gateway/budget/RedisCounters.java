package dev.tollgate.gateway.budget;

import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.gateway.config.SpendControls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Budget counters and rate-limit buckets in Redis, shared by every replica that names the same Redis and key prefix.
 * Each operation is one Lua script, so it is atomic across replicas: a reservation checks every budget of the request
 * and adds to all of them, or to none.
 *
 * <p>Money is exact: an amount is kept as whole dollars plus picodollars (10⁻¹² USD), two integers that Lua's doubles
 * hold exactly (whole dollars up to 2⁵³, or 9·10¹³ where thresholds multiply them by 100; picodollars below 10¹²).
 * Redis's INCRBYFLOAT is a double and is not used. Amounts are rounded up to a picodollar and limits down (both exact
 * for prices with up to six decimals per million tokens), so a counter never shows less than was spent nor allows
 * more than the limit.
 *
 * <p>A budget's counters for one period live in one hash, {@code PREFIX budget:NAME:ACCOUNT:PERIOD_START}, fields
 * {@code sh sl} (spent), {@code rh rl} (held: requests' reservations and replicas' slices), {@code qh ql} (of which
 * the slices, see {@link Leases}), {@code r:ID} for each request's hold or replica's slice (with its lease deadline)
 * and {@code tP} for each threshold P% alerted; it expires an hour after the period ends. Callers are shown as reserved
 * what requests hold, without the slices. Rate-limit buckets refill by Redis's own clock, so replicas' clocks need not agree.
 *
 * <p>Calls run on a small Vert.x instance of their own, down one pipelined connection; callers get a {@link Future}
 * that fails when Redis does not answer within the configured timeout. Reservations and settles are batched: a script
 * run has a fixed cost in Redis that dwarfs the few commands of one request, so the requests that arrive while one
 * batch is on its way share the next script run, in the order they were made (at most one batch on its way).
 */
public final class RedisCounters implements AutoCloseable {

    private static final BigInteger PICO = BigInteger.TEN.pow(12);
    /** Keeps a finished period's counters a while, so that calls still in flight at the roll-over can settle. */
    private static final long GRACE_MS = 3_600_000;

    /**
     * What every script starts with: two-limb exact arithmetic, Redis's clock, and the rate-limit buckets. Every script
     * takes the same head: KEYS[1..nb] are rate-limit buckets, the rest budgets' hashes; ARGV[1] is nb, ARGV[2] the
     * buckets' mode ('take' all-or-nothing, or 'adjust' to give back or take after the fact), then per bucket its
     * per-minute rate and amount. The buckets' part of the answer is {1, 0, 0, (remaining, ms until full) per bucket}
     * or, when bucket i cannot give its amount, {0, i, ms until it can, (remaining, ms until full) per bucket} with
     * nothing taken (and no budget touched).
     *
     * <p>The scripts are run in batches ({@link #BATCH}): each operation sees its own KEYS and ARGV.
     *
     * <p>A hold (a request's reservation) is the field {@code r:ID} = "dollars picodollars deadline-ms"; holds whose
     * lease ran out (a replica that died mid-call) are given back when they would make a difference, before a refusal.
     */
    private static final String COMMON = """
            local E = 1000000000000
            local function norm(h, l)
              if l >= E then return h + 1, l - E elseif l < 0 then return h - 1, l + E end
              return h, l
            end
            local function le(ah, al, bh, bl) return ah < bh or (ah == bh and al <= bl) end
            local function f(x) return string.format('%.0f', x) end
            -- spent, held (requests' holds and replicas' slices), and of the held the slices (qh ql)
            local function get(k)
              local v = redis.call('HMGET', k, 'sh', 'sl', 'rh', 'rl', 'qh', 'ql')
              return tonumber(v[1] or 0), tonumber(v[2] or 0), tonumber(v[3] or 0), tonumber(v[4] or 0), tonumber(v[5] or 0), tonumber(v[6] or 0)
            end
            -- what callers are shown as reserved: the requests' holds, not the slices replicas lease
            local function shown(rh, rl, qh, ql)
              local h, l = norm(rh - qh, rl - ql)
              if h < 0 then return 0, 0 end
              return h, l
            end
            -- spent >= percent% of limit, exactly: spent x 100 >= limit x percent
            local function reached(sh, sl, lh, ll, p)
              if lh == 0 and ll == 0 then return sh > 0 or sl > 0 end
              local a = sl * 100
              local b = ll * p
              return le(lh * p + math.floor(b / E), b % E, sh * 100 + math.floor(a / E), a % E)
            end
            local t = redis.call('TIME')
            local nowus = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local now = math.floor(nowus / 1000)
            -- gives back the holds of k whose lease ran out; true if there were any
            local function sweep(k)
              local all = redis.call('HGETALL', k)
              local gh, gl, n, qh, ql = 0, 0, 0, 0, 0
              for j = 1, #all, 2 do
                if string.sub(all[j], 1, 2) == 'r:' then
                  -- a request's hold is "h l deadline", a replica's slice "h l deadline seq"
                  local h, l, d, seq = string.match(all[j + 1], '^(%S+) (%S+) (%S+) ?(%S*)$')
                  if d and tonumber(d) <= now then
                    gh, gl = norm(gh + tonumber(h), gl + tonumber(l))
                    if seq ~= '' then qh, ql = norm(qh + tonumber(h), ql + tonumber(l)) end
                    redis.call('HDEL', k, all[j])
                    n = n + 1
                  end
                end
              end
              if n == 0 then return false end
              local sh, sl, rh, rl, lh, ll = get(k)
              rh, rl = norm(rh - gh, rl - gl)
              if rh < 0 then rh, rl = 0, 0 end
              lh, ll = norm(lh - qh, ll - ql)
              if lh < 0 then lh, ll = 0, 0 end
              redis.call('HSET', k, 'rh', f(rh), 'rl', f(rl), 'qh', f(lh), 'ql', f(ll))
              return true
            end
            """;

    /** The start of each operation: its buckets (see {@link #COMMON}). */
    private static final String OP_HEAD = """
            local nb = tonumber(ARGV[1])
            local function buckets()
              local take = ARGV[2] == 'take'
              local level, refused, wait = {}, 0, 0
              for i = 1, nb do
                local cap, amount = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
                local v = redis.call('HMGET', KEYS[i], 'l', 't')
                local l, at = tonumber(v[1] or cap), tonumber(v[2] or nowus)
                if nowus > at then l = math.min(cap, l + (nowus - at) * cap / 60000000) end
                level[i] = l
                local needed = math.min(amount, cap)
                if take and refused == 0 and l < needed then refused, wait = i, math.ceil((needed - l) * 60000 / cap) end
              end
              local out = {refused == 0 and 1 or 0, refused, wait}
              for i = 1, nb do
                local cap, amount = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
                local l = level[i]
                if refused == 0 then
                  if take then l = l - amount else l = math.min(cap, l + amount) end
                  redis.call('HSET', KEYS[i], 'l', string.format('%.17g', l), 't', string.format('%.0f', nowus))
                end
                local full = math.ceil((cap - l) * 60000 / cap)
                if refused == 0 then redis.call('PEXPIRE', KEYS[i], full + 1000) end
                out[#out + 1] = math.max(0, math.floor(l)); out[#out + 1] = full
              end
              return out, refused == 0
            end
            local R = 2 + 2 * nb
            """;

    /**
     * The request's one call before the provider: takes its rate-limit buckets and reserves its worst case on every
     * budget, all in one atomic script. After the head's arguments: amount (h, l), force (1: reserve on budgets that
     * may go over), request id, lease ms, then per budget: limit (h, l), blocks (1/0), time to live ms (0: never
     * expires), alerts at 100% (1/0). Returns the buckets' part, then (if they gave and there are budgets):
     * {-1, i, sh, sl, rh, rl, claimed} when budget i blocks; {-2, i…} when budgets that may go over are over and force
     * is 0 (nothing reserved); else {1, (sh, sl, rh, rl) per budget, then (i, claimed) per budget over}.
     * claimed: 1 = this call claimed the 100% alert (spend has reached the limit), 2 = the period's alert that one
     * request did not fit, 0 = none. A budget refusal keeps the buckets' take (the caller gives the tokens back).
     */
    private static final String RESERVE = """
            local out, taken = buckets()
            local nk = #KEYS - nb
            if not taken or nk == 0 then return out end
            local ah, al = tonumber(ARGV[R + 1]), tonumber(ARGV[R + 2])
            local force, id, lease = ARGV[R + 3] == '1', ARGV[R + 4], tonumber(ARGV[R + 5])
            local G = R + 5
            local fresh = {}
            -- a new key gets its period's expiry, so no key outlives its period (not even one made late)
            local function touch()
              for i = 1, nk do
                local e = ARGV[G + (i - 1) * 5 + 4]
                if fresh[i] and e ~= '0' then redis.call('PEXPIRE', KEYS[nb + i], e) end
              end
            end
            local function fits(s, b)
              local th, tl = norm(s[1] + s[3], s[2] + s[4])
              th, tl = norm(th + ah, tl + al)
              return le(th, tl, tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]))
            end
            -- a refusal alerts once per period: as exhausted (t100, 1) when spend has reached the limit, else as one
            -- request that did not fit in what was left (tref, 2)
            local function claim(k, sh, sl, b)
              if le(tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), sh, sl) then return redis.call('HSETNX', k, 't100', 1) end
              return redis.call('HSETNX', k, 'tref', 1) * 2
            end
            local function result(r)
              for _, x in ipairs(r) do out[#out + 1] = x end
              return out
            end
            local state, over = {}, {}
            for i = 1, nk do
              local k, b = KEYS[nb + i], G + (i - 1) * 5
              local v = redis.call('HMGET', k, 'sh', 'sl', 'rh', 'rl', 'qh', 'ql')
              fresh[i] = not v[1] and redis.call('EXISTS', k) == 0
              local s = {tonumber(v[1] or 0), tonumber(v[2] or 0), tonumber(v[3] or 0), tonumber(v[4] or 0), tonumber(v[5] or 0), tonumber(v[6] or 0)}
              if not fits(s, b) and (s[3] > 0 or s[4] > 0) and sweep(k) then s = {get(k)} end
              state[i] = s
              if not fits(s, b) then
                if ARGV[b + 3] == '1' then
                  local claimed = 0
                  if ARGV[b + 5] == '1' then claimed = claim(k, s[1], s[2], b) end
                  touch()
                  local vh, vl = shown(s[3], s[4], s[5], s[6])
                  return result({-1, i, s[1], s[2], vh, vl, claimed})
                end
                over[#over + 1] = i
              end
            end
            if #over > 0 and not force then
              local r = {-2}
              for _, i in ipairs(over) do r[#r + 1] = i end
              return result(r)
            end
            local r = {1}
            local hold = f(ah) .. ' ' .. f(al) .. ' ' .. f(now + lease)
            for i = 1, nk do
              local s = state[i]
              local rh, rl = norm(s[3] + ah, s[4] + al)
              redis.call('HSET', KEYS[nb + i], 'sh', f(s[1]), 'sl', f(s[2]), 'rh', f(rh), 'rl', f(rl), 'r:' .. id, hold)
              local vh, vl = shown(rh, rl, s[5], s[6])
              r[#r + 1] = s[1]; r[#r + 1] = s[2]; r[#r + 1] = vh; r[#r + 1] = vl
            end
            for _, i in ipairs(over) do
              local claimed = 0
              if ARGV[G + (i - 1) * 5 + 5] == '1' then claimed = claim(KEYS[nb + i], state[i][1], state[i][2], G + (i - 1) * 5) end
              r[#r + 1] = i; r[#r + 1] = claimed
            end
            touch()
            return result(r)
            """;

    /**
     * The request's one call after the answer: corrects its token take and settles its budgets. After the head's
     * arguments: request id, actual (h, l), then per budget: limit (h, l), the number of thresholds, the thresholds.
     * Gives back the request's hold (if it still has one) and adds the actual amount to spent, then claims the
     * thresholds spend has reached (HSETNX: each is claimed by one caller per period, whichever replica it is on).
     * Returns the buckets' part, then per budget {sh, sl, rh, rl, n, claimed…}, or {-1} for a budget whose period
     * has ended (its counters are gone).
     */
    private static final String SETTLE = """
            local out = buckets()
            if #KEYS == nb then return out end
            local id, acth, actl = ARGV[R + 1], tonumber(ARGV[R + 2]), tonumber(ARGV[R + 3])
            local b = R + 4
            for i = nb + 1, #KEYS do
              local k = KEYS[i]
              local lh, ll, n = tonumber(ARGV[b]), tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
              local v = redis.call('HMGET', k, 'sh', 'sl', 'rh', 'rl', 'r:' .. id, 'qh', 'ql')
              if not v[1] and redis.call('EXISTS', k) == 0 then
                out[#out + 1] = -1
              else
                local sh, sl, rh, rl = tonumber(v[1] or 0), tonumber(v[2] or 0), tonumber(v[3] or 0), tonumber(v[4] or 0)
                if v[5] then
                  local h, l = string.match(v[5], '^(%S+) (%S+)')
                  rh, rl = norm(rh - tonumber(h), rl - tonumber(l))
                  if rh < 0 then rh, rl = 0, 0 end
                  redis.call('HDEL', k, 'r:' .. id)
                end
                sh, sl = norm(sh + acth, sl + actl)
                redis.call('HSET', k, 'sh', f(sh), 'sl', f(sl), 'rh', f(rh), 'rl', f(rl))
                local vh, vl = shown(rh, rl, tonumber(v[6] or 0), tonumber(v[7] or 0))
                out[#out + 1] = sh; out[#out + 1] = sl; out[#out + 1] = vh; out[#out + 1] = vl
                local claimed = {}
                if acth > 0 or actl > 0 then
                  for j = 1, n do
                    local p = tonumber(ARGV[b + 2 + j])
                    if reached(sh, sl, lh, ll, p) and redis.call('HSETNX', k, 't' .. p, 1) == 1 then claimed[#claimed + 1] = p end
                  end
                end
                out[#out + 1] = #claimed
                for _, p in ipairs(claimed) do out[#out + 1] = p end
              end
              b = b + 3 + n
            end
            return out
            """;

    /**
     * A replica's lease on a budget (see {@link Leases}): a hold like a request's, under the lease's id, that the replica
     * spends from locally. KEYS[1]: the budget's hash. ARGV: lease id, sequence number, spent since the last report
     * (h, l), keep (h, l), want (h, l), limit (h, l), floor (h, l), time to live ms, lease ms, the number of thresholds,
     * the thresholds. Adds the report to spent and sets the hold to want where the budget still has the floor left
     * beyond it, else to keep (never less: the replica may have spent from it meanwhile). An operation whose sequence
     * number was applied already (a retry after a timeout) changes nothing. Returns {grant (h, l), sh, sl, rh, rl,
     * n, claimed…}.
     */
    private static final String LEASE = """
            local k, id, seq = KEYS[1], 'r:' .. ARGV[1], ARGV[2]
            local v = redis.call('HMGET', k, 'sh', 'sl', 'rh', 'rl', id, 'qh', 'ql')
            local fresh = not v[1] and redis.call('EXISTS', k) == 0
            local sh, sl, rh, rl = tonumber(v[1] or 0), tonumber(v[2] or 0), tonumber(v[3] or 0), tonumber(v[4] or 0)
            local oh, ol, os = 0, 0, nil
            if v[5] then
              local h, l, d, s = string.match(v[5], '^(%S+) (%S+) (%S+) ?(%S*)$')
              oh, ol, os = tonumber(h), tonumber(l), s
            end
            local qh, ql = tonumber(v[6] or 0), tonumber(v[7] or 0)
            if os == seq then
              local vh, vl = shown(rh, rl, qh, ql)
              return {oh, ol, sh, sl, vh, vl, 0}
            end
            sh, sl = norm(sh + tonumber(ARGV[3]), sl + tonumber(ARGV[4]))
            rh, rl = norm(rh - oh, rl - ol)
            if rh < 0 then rh, rl = 0, 0 end
            qh, ql = norm(qh - oh, ql - ol)
            if qh < 0 then qh, ql = 0, 0 end
            local gh, gl = tonumber(ARGV[5]), tonumber(ARGV[6])
            local th, tl = norm(sh + rh, sl + rl)
            th, tl = norm(th + tonumber(ARGV[7]), tl + tonumber(ARGV[8]))
            th, tl = norm(th + tonumber(ARGV[11]), tl + tonumber(ARGV[12]))
            if le(th, tl, tonumber(ARGV[9]), tonumber(ARGV[10])) then gh, gl = tonumber(ARGV[7]), tonumber(ARGV[8]) end
            rh, rl = norm(rh + gh, rl + gl)
            qh, ql = norm(qh + gh, ql + gl)
            redis.call('HSET', k, 'sh', f(sh), 'sl', f(sl), 'rh', f(rh), 'rl', f(rl), 'qh', f(qh), 'ql', f(ql), id,
              f(gh) .. ' ' .. f(gl) .. ' ' .. f(now + tonumber(ARGV[14])) .. ' ' .. seq)
            if fresh and ARGV[13] ~= '0' then redis.call('PEXPIRE', k, ARGV[13]) end
            local vh, vl = shown(rh, rl, qh, ql)
            local out = {gh, gl, sh, sl, vh, vl}
            local claimed = {}
            if tonumber(ARGV[3]) > 0 or tonumber(ARGV[4]) > 0 then
              for j = 1, tonumber(ARGV[15]) do
                local p = tonumber(ARGV[15 + j])
                if reached(sh, sl, tonumber(ARGV[9]), tonumber(ARGV[10]), p) and redis.call('HSETNX', k, 't' .. p, 1) == 1 then claimed[#claimed + 1] = p end
              end
            end
            out[#out + 1] = #claimed
            for _, p in ipairs(claimed) do out[#out + 1] = p end
            return out
            """;

    /**
     * Many requests' operations in one script run, in the order they were made: a script run costs Redis far more than
     * the few commands each operation makes, so requests that arrive while a batch is on its way share the next one.
     * ARGV: the number of operations, then per operation: its kind ('r' reserve, 's' settle, 'l' lease), its number of keys and
     * of arguments, its arguments; KEYS: every operation's keys in turn. Returns each operation's answer, or {-99,
     * message} for one that failed (the others stand).
     */
    static final String BATCH = COMMON
            + "local function reserve(KEYS, ARGV)\n" + OP_HEAD + RESERVE + "end\n"
            + "local function settle(KEYS, ARGV)\n" + OP_HEAD + SETTLE + "end\n"
            + "local function lease(KEYS, ARGV)\n" + LEASE + "end\n"
            + """
            local out = {}
            local k, a = 1, 2
            for i = 1, tonumber(ARGV[1]) do
              local kind, nk, na = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
              local keys, args = {}, {}
              for j = 1, nk do keys[j] = KEYS[k + j - 1] end
              for j = 1, na do args[j] = ARGV[a + 2 + j] end
              k, a = k + nk, a + 3 + na
              local op = settle
              if kind == 'r' then op = reserve elseif kind == 'l' then op = lease end
              local ok, r = pcall(op, keys, args)
              if ok then out[i] = r else out[i] = {-99, tostring(r)} end
            end
            return out
            """;

    /**
     * KEYS[1]: a budget's hash. ARGV: spent (h, l), time to live ms (0: never expires), then the thresholds already alerted. Starts the
     * counters of a period from the ledger's spend, unless another replica already has.
     */
    static final String SEED = """
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            redis.call('HSET', KEYS[1], 'sh', ARGV[1], 'sl', ARGV[2], 'rh', 0, 'rl', 0)
            for j = 4, #ARGV do redis.call('HSET', KEYS[1], 't' .. ARGV[j], 1) end
            if ARGV[3] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
            return 1
            """;

    private final SpendControls.Redis settings;
    private final Clock clock;
    private final Vertx vertx;
    private final Redis client;

    private RedisCounters(SpendControls.Redis settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        // its own event loop: replies are handed back to each request's context by the caller
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        this.client = Redis.createClient(vertx, new RedisOptions().setConnectionString(settings.url())
                .setMaxPoolSize(8).setMaxPoolWaiting(100_000).setMaxWaitingHandlers(100_000));
    }

    /** {@code clock} is the one the budgets' periods are read on: a period's counters live until it ends by that clock. */
    public static RedisCounters connect(SpendControls.Redis settings, Clock clock) {
        return new RedisCounters(settings, clock);
    }

    public SpendControls.Redis settings() {
        return settings;
    }

    // ---- keys

    /** The hash of {@code budget}'s counters in the period starting at {@code periodStart}. */
    public String budgetKey(Budget budget, Instant periodStart) {
        // a budget whose scope, period or zone changes counts other spend: it gets other counters
        String account = Integer.toHexString(Objects.hash(budget.scope().toString(), budget.period(), budget.zone().getId()));
        return settings.keyPrefix() + "budget:" + budget.name() + ":" + account + ":" + periodStart.getEpochSecond();
    }

    /**
     * Milliseconds until an hour after the period ends, relative so that the counters follow the budgets' clock rather
     * than Redis's; a period long over gets a negative time, which makes Redis delete its counters at once.
     */
    private String timeToLive(Period.Window window) {
        if (window.end() == Instant.MAX) return "0";
        long ttl = window.end().toEpochMilli() + GRACE_MS - clock.millis();
        return String.valueOf(ttl == 0 ? -1 : ttl);
    }

    private String bucketKey(String scope, String kind, long perMinute) {
        return settings.keyPrefix() + "rate:" + scope + ":" + kind + ":" + perMinute;
    }

    // ---- budgets

    /** One budget of a request, in the period the request arrived in. */
    public record Target(BudgetBook.Entry entry, Period.Window window) {
    }

    /** A budget's counters as a script reported them. */
    public record Counters(BigDecimal spent, BigDecimal reserved) {
    }

    /**
     * The outcome of {@link #reserve}.
     *
     * @param blockedBy  index of the budget that refused (nothing reserved), or -1
     * @param over       indices of budgets that may go over and are over
     * @param counters   each budget's counters after the reservation (only the blocking one's when blocked)
     * @param exhausted  indices of budgets whose 100% alert this call claimed (their spend has reached the limit)
     * @param refused    indices of budgets whose alert that one request did not fit this call claimed
     * @param reserved   whether the amount was reserved (on every budget)
     */
    public record Reserve(int blockedBy, List<Integer> over, List<Counters> counters, List<Integer> exhausted,
                          List<Integer> refused, boolean reserved) {
    }

    /**
     * Reserves {@code amount} on every target, all or nothing, held under {@code holdId} (unique per request);
     * budgets that notify or downgrade go over only if {@code force}.
     */
    public Future<Reserve> reserve(List<Target> targets, BigDecimal amount, boolean force, String holdId) {
        return check(List.of(), targets, amount, force, holdId).map(Check::reserve);
    }

    /** The outcome of {@link #check}: the buckets' take, and the reservation (null when a bucket refused or there are no budgets). */
    public record Check(Buckets buckets, Reserve reserve) {
    }

    /**
     * A request's one round trip before the provider call: takes {@code take} from the rate-limit buckets (all or
     * nothing) and, if they gave, reserves {@code amount} on every target as {@link #reserve} does, in one script.
     * When a budget refuses, the buckets' take stays (the caller gives back what it should).
     */
    public Future<Check> check(List<Bucket> take, List<Target> targets, BigDecimal amount, boolean force, String holdId) {
        List<String> keys = new ArrayList<>(take.size() + targets.size());
        List<String> args = bucketArgs(take, "take", keys);
        String[] a = limbs(amount);
        args.add(a[0]);
        args.add(a[1]);
        args.add(force ? "1" : "0");
        args.add(holdId);
        args.add(String.valueOf(settings.lease().toMillis()));
        for (Target t : targets) {
            Budget b = t.entry().budget();
            keys.add(budgetKey(b, t.window().start()));
            String[] limit = limbs(b.limitUsd(), RoundingMode.FLOOR);
            args.add(limit[0]);
            args.add(limit[1]);
            args.add(b.action() == Budget.Action.BLOCK ? "1" : "0");
            args.add(timeToLive(t.window()));
            args.add(b.thresholds().contains(100) ? "1" : "0");
        }
        return batched('r', keys, args).map(r -> {
            Buckets buckets = buckets(r, take.size());
            int at = 3 + 2 * take.size();
            if (!buckets.allowed() || targets.isEmpty()) return new Check(buckets, null);
            int status = r.get(at).toInteger();
            if (status == -1) {
                int i = r.get(at + 1).toInteger() - 1;
                int claimed = r.get(at + 6).toInteger();
                return new Check(buckets, new Reserve(i, List.of(), List.of(counters(r, at + 2)), claimed == 1 ? List.of(i) : List.of(),
                        claimed == 2 ? List.of(i) : List.of(), false));
            }
            if (status == -2) {
                List<Integer> over = new ArrayList<>();
                for (int j = at + 1; j < r.size(); j++) over.add(r.get(j).toInteger() - 1);
                return new Check(buckets, new Reserve(-1, over, List.of(), List.of(), List.of(), false));
            }
            List<Counters> counters = new ArrayList<>(targets.size());
            for (int i = 0; i < targets.size(); i++) counters.add(counters(r, at + 1 + 4 * i));
            List<Integer> over = new ArrayList<>(), exhausted = new ArrayList<>(), refused = new ArrayList<>();
            for (int j = at + 1 + 4 * targets.size(); j < r.size(); j += 2) {
                int i = r.get(j).toInteger() - 1;
                over.add(i);
                if (r.get(j + 1).toInteger() == 1) exhausted.add(i);
                if (r.get(j + 1).toInteger() == 2) refused.add(i);
            }
            return new Check(buckets, new Reserve(-1, over, counters, exhausted, refused, true));
        });
    }

    /** A budget's counters after a settle (null: its period has ended) and the thresholds this call claimed. */
    public record Settled(Counters counters, List<Integer> claimed) {
    }

    /**
     * Replaces the hold {@code holdId} on every target by {@code actual} (zero: a release), and claims the thresholds
     * reached. Idempotent for the hold: a second settle, or one after the lease ran out, only adds {@code actual}.
     */
    public Future<List<Settled>> settle(List<Target> targets, String holdId, BigDecimal actual) {
        return settle(targets, holdId, actual, List.of());
    }

    /** {@link #settle} and the token buckets' correction ({@link #adjust}) in one script: a request's one call after its answer. */
    public Future<List<Settled>> settle(List<Target> targets, String holdId, BigDecimal actual, List<Bucket> adjust) {
        List<String> keys = new ArrayList<>(adjust.size() + targets.size());
        List<String> args = bucketArgs(adjust, "adjust", keys);
        String[] a = limbs(actual);
        args.add(holdId);
        args.add(a[0]);
        args.add(a[1]);
        for (Target t : targets) {
            Budget b = t.entry().budget();
            keys.add(budgetKey(b, t.window().start()));
            String[] limit = limbs(b.limitUsd(), RoundingMode.FLOOR);
            args.add(limit[0]);
            args.add(limit[1]);
            args.add(String.valueOf(b.thresholds().size()));
            for (int p : b.thresholds()) args.add(String.valueOf(p));
        }
        return batched('s', keys, args).map(out -> {
            List<Settled> settled = new ArrayList<>(targets.size());
            int j = 3 + 2 * adjust.size();
            for (int i = 0; i < targets.size(); i++) {
                if (out.get(j).toLong() == -1) {
                    settled.add(new Settled(null, List.of()));
                    j++;
                    continue;
                }
                Counters c = counters(out, j);
                int n = out.get(j + 4).toInteger();
                List<Integer> claimed = new ArrayList<>(n);
                for (int k = 0; k < n; k++) claimed.add(out.get(j + 5 + k).toInteger());
                settled.add(new Settled(c, claimed));
                j += 5 + n;
            }
            return settled;
        });
    }

    /** What a lease operation left: the hold granted to the lease, the budget's counters, the thresholds it claimed. */
    public record Leased(BigDecimal granted, Counters counters, List<Integer> claimed) {
    }

    /**
     * Reports {@code spent} from lease {@code leaseId} on {@code target} and sets its hold to {@code want} where the budget
     * keeps {@code floor} beyond it, else to {@code keep}. {@code seq} makes a retry of the same operation harmless.
     */
    public Future<Leased> lease(Target target, String leaseId, long seq, BigDecimal spent, BigDecimal keep, BigDecimal want,
                                BigDecimal floor, Duration lease) {
        Budget b = target.entry().budget();
        List<String> args = new ArrayList<>(16 + b.thresholds().size());
        args.add(leaseId);
        args.add(String.valueOf(seq));
        for (BigDecimal x : List.of(spent, keep, want)) args.addAll(List.of(limbs(x)));
        args.addAll(List.of(limbs(b.limitUsd(), RoundingMode.FLOOR)));
        args.addAll(List.of(limbs(floor)));
        args.add(timeToLive(target.window()));
        args.add(String.valueOf(lease.toMillis()));
        args.add(String.valueOf(b.thresholds().size()));
        for (int p : b.thresholds()) args.add(String.valueOf(p));
        return batched('l', List.of(budgetKey(b, target.window().start())), args).map(r -> {
            int n = r.get(6).toInteger();
            List<Integer> claimed = new ArrayList<>(n);
            for (int i = 0; i < n; i++) claimed.add(r.get(7 + i).toInteger());
            return new Leased(amount(r.get(0), r.get(1)), counters(r, 2), claimed);
        });
    }

    /** Runs {@code task} every {@code ms} on this client's own event loop, until {@link #close}. */
    public void every(long ms, Runnable task) {
        vertx.setPeriodic(ms, id -> task.run());
    }

    /** Starts a budget's counters for {@code window} at the ledger's {@code spent}, unless they exist. */
    public Future<Boolean> seed(Budget budget, Period.Window window, BigDecimal spent, List<Integer> alerted) {
        String[] s = limbs(spent);
        List<String> args = new ArrayList<>(List.of(s[0], s[1], timeToLive(window)));
        alerted.forEach(p -> args.add(String.valueOf(p)));
        return eval(SEED, List.of(budgetKey(budget, window.start())), args).map(r -> r.toInteger() == 1);
    }

    /** A budget's counters for {@code window}, read as they are (zero if none yet). */
    public Future<Counters> read(Budget budget, Period.Window window) {
        return send(Request.cmd(Command.HMGET).arg(budgetKey(budget, window.start())).arg("sh").arg("sl").arg("rh").arg("rl").arg("qh").arg("ql"))
                .map(r -> new Counters(amount(r.get(0), r.get(1)),
                        amount(r.get(2), r.get(3)).subtract(amount(r.get(4), r.get(5))).max(BigDecimal.ZERO)));
    }

    // ---- rate limits

    /**
     * A bucket's state after a take or adjust; {@code refused} ≥ 0 names the bucket that could not give its amount.
     *
     * @param remaining     per bucket: whole units left
     * @param msUntilFull   per bucket: until it is full again
     */
    public record Buckets(int refused, long retryAfterMs, long[] remaining, long[] msUntilFull) {
        public boolean allowed() {
            return refused < 0;
        }
    }

    /** One bucket of a rate limit: the scope's requests or tokens, and what to take from (or give back to) it. */
    public record Bucket(String scope, boolean tokens, long perMinute, long amount) {
    }

    /** Takes every bucket's amount, or nothing. */
    public Future<Buckets> take(List<Bucket> buckets) {
        return buckets(buckets, "take");
    }

    /** Gives back (positive amounts) or takes more (negative) after the fact. */
    public Future<Buckets> adjust(List<Bucket> buckets) {
        return buckets(buckets, "adjust");
    }

    private Future<Buckets> buckets(List<Bucket> buckets, String mode) {
        List<String> keys = new ArrayList<>(buckets.size());
        List<String> args = bucketArgs(buckets, mode, keys);
        return batched(mode.equals("take") ? 'r' : 's', keys, args).map(r -> buckets(r, buckets.size()));
    }

    /** The scripts' head arguments for {@code buckets} (their keys added to {@code keys}). */
    private List<String> bucketArgs(List<Bucket> buckets, String mode, List<String> keys) {
        List<String> args = new ArrayList<>(2 + 2 * buckets.size() + 24);
        args.add(String.valueOf(buckets.size()));
        args.add(mode);
        for (Bucket b : buckets) {
            keys.add(bucketKey(b.scope(), b.tokens() ? "tokens" : "requests", b.perMinute()));
            args.add(String.valueOf(b.perMinute()));
            args.add(String.valueOf(b.amount()));
        }
        return args;
    }

    private static Buckets buckets(Response r, int n) {
        long[] remaining = new long[n], full = new long[n];
        for (int i = 0; i < n; i++) {
            remaining[i] = r.get(3 + 2 * i).toLong();
            full[i] = r.get(4 + 2 * i).toLong();
        }
        return new Buckets(r.get(1).toInteger() - 1, r.get(2).toLong(), remaining, full);
    }

    // ---- plumbing

    /** EVALSHA, and EVAL when Redis does not have the script yet (first use, or after a restart). */
    private Future<Response> eval(String script, List<String> keys, List<String> args) {
        return send(script(Command.EVALSHA, sha1(script), keys, args)).recover(e -> {
            if (e.getMessage() == null || !e.getMessage().startsWith("NOSCRIPT")) return Future.failedFuture(e);
            return send(script(Command.EVAL, script, keys, args));
        });
    }

    /** An operation waiting for its batch. */
    private record Op(char kind, List<String> keys, List<String> args, Promise<Response> answer) {
    }

    /** At most this many operations share a script run (its arguments stay far below what Redis takes). */
    private static final int MAX_BATCH = 128;
    private final ArrayDeque<Op> waiting = new ArrayDeque<>();
    /** Whether a batch is on its way; one at a time, so that operations reach Redis in the order they were made. */
    private boolean batchInFlight;

    /**
     * Runs one operation in the next batch: at once when none is on its way (no waiting when idle), else with every
     * operation made meanwhile, as soon as the batch on its way has answered.
     */
    private Future<Response> batched(char kind, List<String> keys, List<String> args) {
        Promise<Response> answer = Promise.promise();
        boolean sendNow;
        synchronized (waiting) {
            waiting.add(new Op(kind, keys, args, answer));
            sendNow = !batchInFlight;
            batchInFlight = true;
        }
        if (sendNow) sendBatch();
        return answer.future();
    }

    private void sendBatch() {
        List<Op> ops = new ArrayList<>();
        synchronized (waiting) {
            while (ops.size() < MAX_BATCH && !waiting.isEmpty()) ops.add(waiting.poll());
            if (ops.isEmpty()) {
                batchInFlight = false;
                return;
            }
        }
        List<String> keys = new ArrayList<>();
        List<String> args = new ArrayList<>();
        args.add(String.valueOf(ops.size()));
        for (Op op : ops) {
            keys.addAll(op.keys());
            args.add(String.valueOf(op.kind()));
            args.add(String.valueOf(op.keys().size()));
            args.add(String.valueOf(op.args().size()));
            args.addAll(op.args());
        }
        eval(BATCH, keys, args).onComplete(ar -> {
            for (int i = 0; i < ops.size(); i++) {
                Promise<Response> answer = ops.get(i).answer();
                if (ar.failed()) {
                    answer.fail(ar.cause());
                    continue;
                }
                Response r = ar.result().get(i);
                if (r.size() == 2 && r.get(0).toInteger() == -99) answer.fail(new IllegalStateException("Redis script: " + r.get(1)));
                else answer.complete(r);
            }
            sendBatch();
        });
    }

    private static Request script(Command command, String script, List<String> keys, List<String> args) {
        Request r = Request.cmd(command).arg(script).arg(keys.size());
        keys.forEach(r::arg);
        args.forEach(r::arg);
        return r;
    }

    /**
     * Every call goes down one pipelined connection, in the order it was made: a settle sent before a reply's end is
     * applied before any reservation its client makes next, and many requests' scripts share each network write.
     */
    private Future<Response> send(Request request) {
        return connection().compose(c -> c.send(request)).timeout(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private Future<RedisConnection> connection;

    private synchronized Future<RedisConnection> connection() {
        Future<RedisConnection> c = connection;
        if (c != null && !c.failed()) return c;
        Future<RedisConnection> opened = client.connect().compose(conn -> {
            // load the scripts once per connection, so that the requests' EVALSHA find them (NOSCRIPT is still handled)
            Future<Response> loaded = Future.succeededFuture();
            for (String script : List.of(BATCH)) loaded = conn.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(script));
            return loaded.<RedisConnection>map(r -> conn).recover(e -> Future.succeededFuture(conn));
        });
        opened.onSuccess(conn -> {
            conn.exceptionHandler(e -> forget(opened));
            conn.endHandler(v -> forget(opened));
        });
        connection = opened;
        return opened;
    }

    /** Drops a broken connection, so that the next call opens a fresh one. */
    private synchronized void forget(Future<RedisConnection> broken) {
        if (connection == broken) connection = null;
    }

    /** A sent future's result, waited for; only for start-up and admin calls off the event loops. */
    public static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Redis", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("Redis: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** {whole dollars, picodollars}, rounded up to a picodollar. */
    static String[] limbs(BigDecimal amount) {
        return limbs(amount, RoundingMode.CEILING);
    }

    static String[] limbs(BigDecimal amount, RoundingMode rounding) {
        BigInteger[] parts = amount.setScale(12, rounding).unscaledValue().divideAndRemainder(PICO);
        return new String[] {parts[0].toString(), parts[1].toString()};
    }

    private static Counters counters(Response r, int at) {
        return new Counters(amount(r.get(at), r.get(at + 1)), amount(r.get(at + 2), r.get(at + 3)));
    }

    private static BigDecimal amount(Response dollars, Response pico) {
        long h = dollars == null ? 0 : dollars.toLong(), l = pico == null ? 0 : pico.toLong();
        return BigDecimal.valueOf(h).add(BigDecimal.valueOf(l, 12)).stripTrailingZeros();
    }

    private static final HexFormat HEX = HexFormat.of();
    private static final java.util.Map<String, String> SHAS = new java.util.concurrent.ConcurrentHashMap<>();

    private static String sha1(String script) {
        return SHAS.computeIfAbsent(script, s -> {
            try {
                return HEX.formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-1 is part of every JDK", e);
            }
        });
    }

    @Override
    public void close() {
        Future<RedisConnection> c = connection;
        if (c != null && c.succeeded()) c.result().close();
        client.close();
        vertx.close();
    }
}
