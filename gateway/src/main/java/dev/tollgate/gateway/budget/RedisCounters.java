package dev.tollgate.gateway.budget;

import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import dev.tollgate.gateway.config.SpendControls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
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
import java.time.Instant;
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
 * {@code sh sl} (spent), {@code rh rl} (reserved), {@code r:ID} for each request's hold and {@code tP} for each
 * threshold P% alerted, with the holds' lease deadlines in {@code …:leases}; both expire an hour after the period
 * ends. Rate-limit buckets refill by Redis's own clock, so replicas' clocks need not agree.
 *
 * <p>Calls run on a small Vert.x instance of their own; callers get a {@link Future} that fails when Redis does not
 * answer within the configured timeout.
 */
public final class RedisCounters implements AutoCloseable {

    private static final BigInteger PICO = BigInteger.TEN.pow(12);
    /** Keeps a finished period's counters a while, so that calls still in flight at the roll-over can settle. */
    private static final long GRACE_MS = 3_600_000;

    /** Two-limb exact arithmetic: (h, l) is h + l·10⁻¹² with 0 ≤ l < 10¹². And holds: each reservation by request id. */
    private static final String MONEY = """
            local E = 1000000000000
            local function norm(h, l)
              if l >= E then return h + 1, l - E elseif l < 0 then return h - 1, l + E end
              return h, l
            end
            local function le(ah, al, bh, bl) return ah < bh or (ah == bh and al <= bl) end
            local function f(x) return string.format('%.0f', x) end
            local function get(k)
              local v = redis.call('HMGET', k, 'sh', 'sl', 'rh', 'rl')
              return tonumber(v[1] or 0), tonumber(v[2] or 0), tonumber(v[3] or 0), tonumber(v[4] or 0)
            end
            -- spent >= percent% of limit, exactly: spent x 100 >= limit x percent
            local function reached(sh, sl, lh, ll, p)
              if lh == 0 and ll == 0 then return sh > 0 or sl > 0 end
              local a = sl * 100
              local b = ll * p
              return le(lh * p + math.floor(b / E), b % E, sh * 100 + math.floor(a / E), a % E)
            end
            -- takes request id's hold off the reserved amount; false if there is none (settled, or swept)
            local function unhold(k, id)
              local v = redis.call('HGET', k, 'r:' .. id)
              redis.call('ZREM', k .. ':leases', id)
              if not v then return false end
              redis.call('HDEL', k, 'r:' .. id)
              local sp = string.find(v, ' ')
              local sh, sl, rh, rl = get(k)
              rh, rl = norm(rh - tonumber(string.sub(v, 1, sp - 1)), rl - tonumber(string.sub(v, sp + 1)))
              if rh < 0 then rh, rl = 0, 0 end
              redis.call('HSET', k, 'rh', f(rh), 'rl', f(rl))
              return true
            end
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            """;

    /**
     * KEYS: the budgets' hashes. ARGV: amount (h, l), force (1: reserve on budgets that may go over), request id, lease
     * ms, then per budget: limit (h, l), blocks (1/0), time to live ms (0: never expires), alerts at 100% (1/0).
     * Returns {-1, i, sh, sl, rh, rl, claimed} when budget i blocks; {-2, i…} when budgets that may go over are over
     * and force is 0 (nothing reserved); else {1, (sh, sl, rh, rl) per budget, then (i, claimed) per budget over}.
     * claimed: 1 = this call claimed the 100% alert (spend has reached the limit), 2 = the period's alert that one
     * request did not fit, 0 = none.
     * A reservation is held under the request id with a lease ({@code KEY:leases}, by deadline); holds whose lease ran
     * out (a replica that died mid-call) are given back first, a few per call.
     */
    static final String RESERVE = MONEY + """
            local ah, al = tonumber(ARGV[1]), tonumber(ARGV[2])
            local force, id, lease = ARGV[3] == '1', ARGV[4], tonumber(ARGV[5])
            local G = 5
            -- every write is followed by the period's expiry, so no key outlives its period (not even one made late)
            local function touch()
              for i = 1, #KEYS do
                local e = ARGV[G + (i - 1) * 5 + 4]
                if e ~= '0' then
                  redis.call('PEXPIRE', KEYS[i], e)
                  redis.call('PEXPIRE', KEYS[i] .. ':leases', e)
                end
              end
            end
            -- a refusal alerts once per period: as exhausted (t100, 1) when spend has reached the limit, else as one
            -- request that did not fit in what was left (tref, 2)
            local function claim(k, sh, sl, b)
              if le(tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), sh, sl) then return redis.call('HSETNX', k, 't100', 1) end
              return redis.call('HSETNX', k, 'tref', 1) * 2
            end
            local state, over = {}, {}
            for i = 1, #KEYS do
              local b = G + (i - 1) * 5
              for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[i] .. ':leases', '-inf', now, 'LIMIT', 0, 16)) do unhold(KEYS[i], gone) end
              local sh, sl, rh, rl = get(KEYS[i])
              state[i] = {sh, sl, rh, rl}
              local th, tl = norm(sh + rh, sl + rl)
              th, tl = norm(th + ah, tl + al)
              if not le(th, tl, tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])) then
                if ARGV[b + 3] == '1' then
                  local claimed = 0
                  if ARGV[b + 5] == '1' then claimed = claim(KEYS[i], sh, sl, b) end
                  touch()
                  return {-1, i, sh, sl, rh, rl, claimed}
                end
                over[#over + 1] = i
              end
            end
            if #over > 0 and not force then
              touch()
              local out = {-2}
              for _, i in ipairs(over) do out[#out + 1] = i end
              return out
            end
            local out = {1}
            for i = 1, #KEYS do
              local s = state[i]
              local rh, rl = norm(s[3] + ah, s[4] + al)
              redis.call('HSET', KEYS[i], 'sh', f(s[1]), 'sl', f(s[2]), 'rh', f(rh), 'rl', f(rl), 'r:' .. id, f(ah) .. ' ' .. f(al))
              redis.call('ZADD', KEYS[i] .. ':leases', now + lease, id)
              out[#out + 1] = s[1]; out[#out + 1] = s[2]; out[#out + 1] = rh; out[#out + 1] = rl
            end
            for _, i in ipairs(over) do
              local claimed = 0
              if ARGV[G + (i - 1) * 5 + 5] == '1' then claimed = claim(KEYS[i], state[i][1], state[i][2], G + (i - 1) * 5) end
              out[#out + 1] = i; out[#out + 1] = claimed
            end
            touch()
            return out
            """;

    /**
     * KEYS: the budgets' hashes. ARGV: request id, actual (h, l), then per budget: limit (h, l), the number of
     * thresholds, the thresholds. Gives back the request's hold (if it still has one) and adds the actual amount to
     * spent, then claims the thresholds spend has reached (HSETNX: each is claimed by one caller per period, whichever
     * replica it is on). Returns per budget {sh, sl, rh, rl, n, claimed…}, or {-1} for a budget whose period has ended
     * (its counters are gone).
     */
    static final String SETTLE = MONEY + """
            local id, acth, actl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local out = {}
            local b = 4
            for i = 1, #KEYS do
              local k = KEYS[i]
              local lh, ll, n = tonumber(ARGV[b]), tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
              if redis.call('EXISTS', k) == 0 then
                out[#out + 1] = -1
              else
                unhold(k, id)
                local sh, sl, rh, rl = get(k)
                sh, sl = norm(sh + acth, sl + actl)
                redis.call('HSET', k, 'sh', f(sh), 'sl', f(sl))
                out[#out + 1] = sh; out[#out + 1] = sl; out[#out + 1] = rh; out[#out + 1] = rl
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

    /**
     * Token buckets refilled continuously at per-minute rates by Redis's clock (levels are counts, so doubles do).
     * KEYS: buckets' hashes. ARGV: mode ('take' all-or-nothing, or 'adjust' to give back or take after the fact), then
     * per bucket: per-minute rate, amount. Returns {1, 0, 0, (remaining, ms until full) per bucket} or, when bucket i
     * cannot give its amount, {0, i, ms until it can, (remaining, ms until full) per bucket} with nothing taken.
     */
    static final String BUCKETS = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local take = ARGV[1] == 'take'
            local level, refused, wait = {}, 0, 0
            for i = 1, #KEYS do
              local cap, amount = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
              local v = redis.call('HMGET', KEYS[i], 'l', 't')
              local l, at = tonumber(v[1] or cap), tonumber(v[2] or now)
              if now > at then l = math.min(cap, l + (now - at) * cap / 60000000) end
              level[i] = l
              local needed = math.min(amount, cap)
              if take and refused == 0 and l < needed then refused, wait = i, math.ceil((needed - l) * 60000 / cap) end
            end
            local out = {refused == 0 and 1 or 0, refused, wait}
            for i = 1, #KEYS do
              local cap, amount = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
              local l = level[i]
              if refused == 0 then
                if take then l = l - amount else l = math.min(cap, l + amount) end
                redis.call('HSET', KEYS[i], 'l', string.format('%.17g', l), 't', string.format('%.0f', now))
              end
              local full = math.ceil((cap - l) * 60000 / cap)
              if refused == 0 then redis.call('PEXPIRE', KEYS[i], full + 1000) end
              out[#out + 1] = math.max(0, math.floor(l)); out[#out + 1] = full
            end
            return out
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
        // a budget whose scope, period or zone changes counts other spend: it gets other counters. Only strings go in
        // (their hash is specified): an enum's hash is its identity, other in every process, so replicas would not share
        String account = Integer.toHexString(Objects.hash(budget.scope().toString(), budget.period().name(), budget.zone().getId()));
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
        List<String> keys = new ArrayList<>(targets.size());
        String[] a = limbs(amount);
        List<String> args = new ArrayList<>(5 + targets.size() * 5);
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
        return eval(RESERVE, keys, args).map(r -> {
            int status = r.get(0).toInteger();
            if (status == -1) {
                int i = r.get(1).toInteger() - 1;
                int claimed = r.get(6).toInteger();
                return new Reserve(i, List.of(), List.of(counters(r, 2)), claimed == 1 ? List.of(i) : List.of(),
                        claimed == 2 ? List.of(i) : List.of(), false);
            }
            if (status == -2) {
                List<Integer> over = new ArrayList<>();
                for (int j = 1; j < r.size(); j++) over.add(r.get(j).toInteger() - 1);
                return new Reserve(-1, over, List.of(), List.of(), List.of(), false);
            }
            List<Counters> counters = new ArrayList<>(targets.size());
            for (int i = 0; i < targets.size(); i++) counters.add(counters(r, 1 + 4 * i));
            List<Integer> over = new ArrayList<>(), exhausted = new ArrayList<>(), refused = new ArrayList<>();
            for (int j = 1 + 4 * targets.size(); j < r.size(); j += 2) {
                int i = r.get(j).toInteger() - 1;
                over.add(i);
                if (r.get(j + 1).toInteger() == 1) exhausted.add(i);
                if (r.get(j + 1).toInteger() == 2) refused.add(i);
            }
            return new Reserve(-1, over, counters, exhausted, refused, true);
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
        List<String> keys = new ArrayList<>(targets.size());
        List<String> args = new ArrayList<>();
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
        return eval(SETTLE, keys, args).map(out -> {
            List<Settled> settled = new ArrayList<>(targets.size());
            int j = 0;
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

    /** Starts a budget's counters for {@code window} at the ledger's {@code spent}, unless they exist. */
    public Future<Boolean> seed(Budget budget, Period.Window window, BigDecimal spent, List<Integer> alerted) {
        String[] s = limbs(spent);
        List<String> args = new ArrayList<>(List.of(s[0], s[1], timeToLive(window)));
        alerted.forEach(p -> args.add(String.valueOf(p)));
        return eval(SEED, List.of(budgetKey(budget, window.start())), args).map(r -> r.toInteger() == 1);
    }

    /** A budget's counters for {@code window}, read as they are (zero if none yet). */
    public Future<Counters> read(Budget budget, Period.Window window) {
        return send(Request.cmd(Command.HMGET).arg(budgetKey(budget, window.start())).arg("sh").arg("sl").arg("rh").arg("rl"))
                .map(r -> new Counters(amount(r.get(0), r.get(1)), amount(r.get(2), r.get(3))));
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
        List<String> args = new ArrayList<>(1 + 2 * buckets.size());
        args.add(mode);
        for (Bucket b : buckets) {
            keys.add(bucketKey(b.scope(), b.tokens() ? "tokens" : "requests", b.perMinute()));
            args.add(String.valueOf(b.perMinute()));
            args.add(String.valueOf(b.amount()));
        }
        return eval(BUCKETS, keys, args).map(r -> {
            long[] remaining = new long[buckets.size()], full = new long[buckets.size()];
            for (int i = 0; i < buckets.size(); i++) {
                remaining[i] = r.get(3 + 2 * i).toLong();
                full[i] = r.get(4 + 2 * i).toLong();
            }
            return new Buckets(r.get(1).toInteger() - 1, r.get(2).toLong(), remaining, full);
        });
    }

    // ---- plumbing

    /** EVALSHA, and EVAL when Redis does not have the script yet (first use, or after a restart). */
    private Future<Response> eval(String script, List<String> keys, List<String> args) {
        return send(script(Command.EVALSHA, sha1(script), keys, args)).recover(e -> {
            if (e.getMessage() == null || !e.getMessage().startsWith("NOSCRIPT")) return Future.failedFuture(e);
            return send(script(Command.EVAL, script, keys, args));
        });
    }

    private static Request script(Command command, String script, List<String> keys, List<String> args) {
        Request r = Request.cmd(command).arg(script).arg(keys.size());
        keys.forEach(r::arg);
        args.forEach(r::arg);
        return r;
    }

    private Future<Response> send(Request request) {
        return client.send(request).timeout(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
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
        client.close();
        vertx.close();
    }
}
