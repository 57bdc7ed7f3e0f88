package dev.tollgate.core.anomaly;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Spend-rate anomalies per scope: a clock hour's spend against that scope's own usual spend for the same hour of the
 * week, learnt from past weeks.
 *
 * <p>The baseline is the median of the spend in the same clock hour (same weekday, same hour of the day) in each of
 * the past {@value #WEEKS} weeks; its spread is the MAD. Two hours are judged against it: the current one so far, and
 * the last complete one (for a spike that straddles the hour). Both sides are read from the same hourly buckets, like
 * with like: the current hour so far is a part of an hour compared with whole hours, so it can only look smaller,
 * never larger, than it is; a window sliding across two hours would instead have to guess how past weeks' spend fell
 * within each hour (read pro rata, a burst at the same minute every week looked like a spike). An hour is an anomaly
 * when its spend is above both {@code factor × median} and {@code median + 3σ} (σ from the MAD), and at least
 * {@code minSpend}, so a noisy scope or a tiny one does not page anyone. A scope needs {@value #MIN_HISTORY_DAYS} days
 * (two comparable weeks) of history before it is judged; one alert per scope per {@code cooldown}.
 *
 * <p>Spend here is a rate statistic (double), not money that is stored or billed. Thread-safe.
 */
public final class SpendRateDetector {

    static final int WEEKS = 4;
    static final int MIN_HISTORY_DAYS = 14;
    private static final long WEEK_HOURS = 168;
    private static final long HOUR = 3_600_000L;
    private static final int HOURS_KEPT = (WEEKS + 1) * 168;

    /** @param cooldownMillis after an alert, the scope is quiet this long */
    public record Settings(double factor, double minSpend, long cooldownMillis) {
    }

    /**
     * An anomaly found: the judged hour's spend (the current hour so far, or the last complete one, starting at
     * {@code hourMillis}) and the baseline it was judged against.
     */
    public record Finding(String scope, long atMillis, double lastHour, double baselineMedian, double baselineMad, long hourMillis) {
    }

    private final Settings settings;
    private final ConcurrentHashMap<String, ScopeState> scopes = new ConcurrentHashMap<>();

    public SpendRateDetector(Settings settings) {
        this.settings = settings;
    }

    /** How many scopes are tracked (each costs about 7 KiB). */
    public int size() {
        return scopes.size();
    }

    public boolean tracks(String scope) {
        return scopes.containsKey(scope);
    }

    /** Adds spend to a scope's history (history loaded at start-up, or a live ledger row). */
    public void record(String scope, long atMillis, double usd) {
        scopes.computeIfAbsent(scope, s -> new ScopeState(atMillis)).add(atMillis, usd);
    }

    /** Records a live row and judges the scope; a finding is returned once per incident. */
    public Finding observe(String scope, long atMillis, double usd) {
        ScopeState state = scopes.get(scope); // a lookup first: computeIfAbsent's lambda would capture atMillis on every call
        if (state == null) state = scopes.computeIfAbsent(scope, s -> new ScopeState(atMillis));
        state.add(atMillis, usd);
        return state.judge(scope, atMillis, settings);
    }

    /** Judges a scope at a time without new spend (a clock tick). */
    public Finding evaluate(String scope, long atMillis) {
        ScopeState state = scopes.get(scope);
        return state == null ? null : state.judge(scope, atMillis, settings);
    }

    private static final class ScopeState {
        private final double[] hourly = new double[HOURS_KEPT];
        private long latestHour;
        private long firstMillis;
        private long lastAlert = Long.MIN_VALUE;

        ScopeState(long firstMillis) {
            this.firstMillis = firstMillis;
            this.latestHour = Math.floorDiv(firstMillis, HOUR);
        }

        synchronized void add(long at, double usd) {
            firstMillis = Math.min(firstMillis, at);
            long hour = Math.floorDiv(at, HOUR);
            advanceTo(hour);
            if (hour > latestHour - HOURS_KEPT) hourly[(int) Math.floorMod(hour, HOURS_KEPT)] += usd;
        }

        /** Moves the newest hour forward, clearing the buckets of the hours it passes. */
        private void advanceTo(long hour) {
            if (hour <= latestHour) return;
            for (long h = latestHour + 1; h <= Math.min(hour, latestHour + HOURS_KEPT); h++) hourly[(int) Math.floorMod(h, HOURS_KEPT)] = 0;
            latestHour = hour;
        }

        synchronized Finding judge(String scope, long at, Settings settings) {
            if (at - firstMillis < MIN_HISTORY_DAYS * 24 * HOUR) return null;
            if (lastAlert != Long.MIN_VALUE && at - lastAlert < settings.cooldownMillis()) return null;
            long hour = Math.floorDiv(at, HOUR);
            advanceTo(hour);
            Finding f = judgeHour(scope, at, hour, settings);
            if (f == null) f = judgeHour(scope, at, hour - 1, settings);
            if (f != null) lastAlert = at;
            return f;
        }

        /** Clock hour {@code hour} against the same hour in each past week whose whole hour is in the history. */
        private Finding judgeHour(String scope, long at, long hour, Settings settings) {
            if (hour <= latestHour - HOURS_KEPT) return null;
            double spend = hourly[(int) Math.floorMod(hour, HOURS_KEPT)];
            if (spend < settings.minSpend()) return null;
            double[] samples = new double[WEEKS];
            int n = 0;
            for (int w = 1; w <= WEEKS; w++) {
                long past = hour - w * WEEK_HOURS;
                if (past * HOUR < firstMillis || past <= latestHour - HOURS_KEPT) continue;
                samples[n++] = hourly[(int) Math.floorMod(past, HOURS_KEPT)];
            }
            if (n < 2) return null;
            double median = Robust.median(samples, n);
            double mad = Robust.mad(samples, n, median);
            double threshold = Math.max(settings.factor() * median, median + 3 * Robust.MAD_TO_SIGMA * mad);
            if (spend <= threshold) return null;
            return new Finding(scope, at, spend, median, mad, hour * HOUR);
        }
    }
}
