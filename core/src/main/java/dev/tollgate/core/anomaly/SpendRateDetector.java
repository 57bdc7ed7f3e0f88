package dev.tollgate.core.anomaly;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Spend-rate anomalies per scope: the spend of the trailing hour against that scope's own usual spend for the same
 * hour of the week, learnt from past weeks.
 *
 * <p>The baseline is the median of the spend in the same hour-long window (same weekday, same time of day) in each of
 * the past {@value #WEEKS} weeks, read pro rata from hourly buckets; its spread is the MAD. The trailing hour is an
 * anomaly when it is above both {@code factor × median} and {@code median + 3σ} (σ from the MAD), and at
 * least {@code minSpend}, so a noisy scope or a tiny one does not page anyone. A scope needs
 * {@value #MIN_HISTORY_DAYS} days (two comparable weeks) of history before it is judged; one alert per scope per {@code cooldown}.
 *
 * <p>Spend here is a rate statistic (double), not money that is stored or billed. Thread-safe.
 */
public final class SpendRateDetector {

    static final int WEEKS = 4;
    static final int MIN_HISTORY_DAYS = 14;
    private static final long WEEK = 168 * 3_600_000L;
    private static final long HOUR = 3_600_000L;
    private static final long FIVE_MINUTES = 300_000L;
    private static final int HOURS_KEPT = (WEEKS + 1) * 168;
    private static final int SLOTS = 12;

    /** @param cooldownMillis after an alert, the scope is quiet this long */
    public record Settings(double factor, double minSpend, long cooldownMillis) {
    }

    /** An anomaly found: the trailing hour's spend and the baseline it was judged against. */
    public record Finding(String scope, long atMillis, double lastHour, double baselineMedian, double baselineMad) {
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
        ScopeState state = scopes.computeIfAbsent(scope, s -> new ScopeState(atMillis));
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
        private final double[] fiveMinutes = new double[SLOTS];
        private long latestSlot;
        private long lastAlert = Long.MIN_VALUE;

        ScopeState(long firstMillis) {
            this.firstMillis = firstMillis;
            this.latestHour = Math.floorDiv(firstMillis, HOUR);
            this.latestSlot = Math.floorDiv(firstMillis, FIVE_MINUTES);
        }

        synchronized void add(long at, double usd) {
            firstMillis = Math.min(firstMillis, at);
            long hour = Math.floorDiv(at, HOUR);
            if (hour > latestHour) {
                for (long h = latestHour + 1; h <= Math.min(hour, latestHour + HOURS_KEPT); h++) hourly[(int) Math.floorMod(h, HOURS_KEPT)] = 0;
                latestHour = hour;
            }
            if (hour > latestHour - HOURS_KEPT) hourly[(int) Math.floorMod(hour, HOURS_KEPT)] += usd;
            advanceSlots(at);
            long slot = Math.floorDiv(at, FIVE_MINUTES);
            if (slot > latestSlot - SLOTS) fiveMinutes[(int) Math.floorMod(slot, SLOTS)] += usd;
        }

        private void advanceSlots(long at) {
            long slot = Math.floorDiv(at, FIVE_MINUTES);
            if (slot <= latestSlot) return;
            for (long s = latestSlot + 1; s <= Math.min(slot, latestSlot + SLOTS); s++) fiveMinutes[(int) Math.floorMod(s, SLOTS)] = 0;
            latestSlot = slot;
        }

        /** Spend in {@code [end - 1h, end)} from the hourly buckets, pro rata within the two hours it spans. */
        private double hourSpendEndingAt(long end) {
            long hour = Math.floorDiv(end, HOUR);
            double intoHour = (double) (end - hour * HOUR) / HOUR;
            return intoHour * hourly[(int) Math.floorMod(hour, HOURS_KEPT)]
                    + (1 - intoHour) * hourly[(int) Math.floorMod(hour - 1, HOURS_KEPT)];
        }

        synchronized Finding judge(String scope, long at, Settings settings) {
            if (at - firstMillis < MIN_HISTORY_DAYS * 24 * HOUR) return null;
            if (lastAlert != Long.MIN_VALUE && at - lastAlert < settings.cooldownMillis()) return null;
            advanceSlots(at);
            double lastHour = 0;
            for (double v : fiveMinutes) lastHour += v;
            if (lastHour < settings.minSpend()) return null;
            double[] samples = new double[WEEKS];
            int n = 0;
            // the trailing twelve five-minute slots end where the current slot ends; past weeks are read over the same span
            long windowEnd = (Math.floorDiv(at, FIVE_MINUTES) + 1) * FIVE_MINUTES;
            for (int w = 1; w <= WEEKS; w++) {
                long end = windowEnd - w * WEEK;
                if (end - HOUR < firstMillis || Math.floorDiv(end - HOUR, HOUR) <= latestHour - HOURS_KEPT) continue;
                samples[n++] = hourSpendEndingAt(end);
            }
            if (n < 2) return null;
            double median = Robust.median(samples, n);
            double mad = Robust.mad(samples, n, median);
            double threshold = Math.max(settings.factor() * median, median + 3 * Robust.MAD_TO_SIGMA * mad);
            if (lastHour <= threshold) return null;
            lastAlert = at;
            return new Finding(scope, at, lastHour, median, mad);
        }
    }
}
