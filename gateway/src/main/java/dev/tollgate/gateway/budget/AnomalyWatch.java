package dev.tollgate.gateway.budget;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.anomaly.SpendRateDetector;
import dev.tollgate.gateway.config.SpendControls;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.ObservedLedger;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import dev.tollgate.store.postgres.PgLedger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Spend-rate anomaly detection on the ledger stream: every row adds to the spend of the organisation, its key and each
 * of its tag values, and each such scope is judged against its own history (see {@link SpendRateDetector}). History
 * comes from the ledger at start-up, so baselines survive a restart.
 */
public final class AnomalyWatch {

    private static final Logger log = LoggerFactory.getLogger(AnomalyWatch.class);
    /** Tag dimensions whose history is loaded at start-up (live rows add any tag). */
    static final List<String> DIMENSIONS = List.of("key", "team", "project", "env", "customer", "feature", "cost_center");
    /** Scopes watched at most (about 7 KiB each): a tag with millions of values must not exhaust the heap. */
    static final int MAX_SCOPES = 20_000;
    /** A scope that alerted is not alerted again for this long (and replicas claim its alert once per such block). */
    static final Duration REALERT = Duration.ofHours(6);

    private final SpendRateDetector detector;
    private final AlertDispatcher alerts;
    private final SpendControls.Anomaly settings;
    private volatile boolean full;

    AnomalyWatch(SpendControls.Anomaly settings, AlertDispatcher alerts) {
        this.settings = settings;
        this.alerts = alerts;
        this.detector = new SpendRateDetector(new SpendRateDetector.Settings(settings.factor(),
                settings.minSpendUsd().doubleValue(), REALERT.toMillis()));
    }

    /**
     * Loads five weeks of hourly spend per scope from the ledger and subscribes to new rows. Blocks (ledger reads).
     *
     * <p>A ledger that replicas share ({@link PgLedger}) holds the whole group's history, while this replica's own
     * rows are only its share of the live spend: judged against the group's baseline they would hide a spike that
     * doubles the group's spend. So with a shared ledger the watch judges the group's spend instead: every
     * {@value #POLL_SECONDS} s it reads the last and the current hour per scope ({@link #poll}; the organisation and
     * the {@link #DIMENSIONS}), and every replica reaches the same finding, which the alert claim sends once.
     */
    static AnomalyWatch start(SpendControls.Anomaly settings, AlertDispatcher alerts, ObservedLedger ledger, Clock clock) {
        AnomalyWatch watch = new AnomalyWatch(settings, alerts);
        if (!settings.enabled()) return watch;
        boolean shared = ledger.unwrap() instanceof PgLedger;
        Instant from = clock.instant().minus(Duration.ofDays(35));
        // with a shared ledger the last two hours come from the first poll
        Instant to = shared ? lastHourStart(clock.instant()) : null;
        try {
            for (SpendRow row : ledger.spend(new SpendQuery(List.of("hour"), from, to, Map.of()))) {
                watch.history("org", row.group().get("hour"), row.costUsd());
            }
            for (String dim : DIMENSIONS) {
                for (SpendRow row : ledger.spend(new SpendQuery(List.of("hour", dim), from, to, Map.of()))) {
                    String value = row.group().get(dim);
                    if (value != null) watch.history(dim + ":" + value, row.group().get("hour"), row.costUsd());
                }
            }
        } catch (RuntimeException e) {
            log.warn("spend history for anomaly detection could not be loaded ({}); baselines start empty", e.getMessage());
        }
        if (shared) {
            watch.poller = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tollgate-anomaly-poll");
                t.setDaemon(true);
                return t;
            });
            watch.poller.scheduleWithFixedDelay(() -> {
                try {
                    watch.poll(ledger, clock.instant());
                } catch (RuntimeException e) {
                    log.warn("the group's spend could not be read for anomaly detection: {}", e.getMessage());
                }
            }, 0, POLL_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } else {
            ledger.subscribe(watch::onRow);
        }
        return watch;
    }

    static final int POLL_SECONDS = 60;
    private java.util.concurrent.ScheduledExecutorService poller;
    /** The group's spend per scope and hour at the last poll ("scope|hour" → USD), the last and the current hour only. */
    private final Map<String, BigDecimal> polled = new java.util.HashMap<>();

    private static Instant lastHourStart(Instant now) {
        return now.truncatedTo(java.time.temporal.ChronoUnit.HOURS).minus(Duration.ofHours(1));
    }

    /**
     * Reads the group's spend per scope in the last and the current hour from the shared ledger and judges what was
     * added since the previous poll, hour by hour, as if those rows had arrived now.
     */
    synchronized void poll(dev.tollgate.store.Ledger ledger, Instant now) {
        Instant from = lastHourStart(now);
        java.util.TreeMap<String, BigDecimal> totals = new java.util.TreeMap<>(); // "hour|scope", oldest hour first
        for (SpendRow row : ledger.spend(new SpendQuery(List.of("hour"), from, null, Map.of()))) {
            totals.put(row.group().get("hour") + "|org", row.costUsd());
        }
        for (String dim : DIMENSIONS) {
            for (SpendRow row : ledger.spend(new SpendQuery(List.of("hour", dim), from, null, Map.of()))) {
                String value = row.group().get(dim);
                if (value != null) totals.put(row.group().get("hour") + "|" + dim + ":" + value, row.costUsd());
            }
        }
        long nowMillis = now.toEpochMilli();
        for (Map.Entry<String, BigDecimal> e : totals.entrySet()) {
            BigDecimal added = e.getValue().subtract(polled.getOrDefault(e.getKey(), BigDecimal.ZERO));
            polled.put(e.getKey(), e.getValue());
            if (added.signum() <= 0) continue;
            int bar = e.getKey().indexOf('|');
            long hourMillis = Instant.parse(e.getKey().substring(0, bar).replace("Z", ":00Z")).toEpochMilli();
            // the last hour's late rows count in their own hour; the current hour's at this moment
            observe(e.getKey().substring(bar + 1), Math.min(nowMillis, hourMillis + 3_600_000L - 1), added.doubleValue());
        }
        String oldest = from.toString().substring(0, 13);
        polled.keySet().removeIf(k -> k.substring(0, 13).compareTo(oldest) < 0);
    }

    /** Stops the poll of a shared ledger. */
    void close() {
        if (poller != null) poller.shutdownNow();
    }

    private void history(String scope, String hour, BigDecimal usd) {
        if (hour == null || !room(scope)) return;
        detector.record(scope, Instant.parse(hour.replace("Z", ":00Z")).toEpochMilli(), usd.doubleValue());
    }

    /** One ledger row, on the event loop that appended it: a few map updates per scope. */
    void onRow(LedgerEntry entry) {
        if (entry.costUsd().signum() == 0) return;
        long at = entry.time().toEpochMilli();
        double usd = entry.costUsd().doubleValue();
        observe("org", at, usd);
        Scopes scopes = lastScopes;
        if (scopes == null || !scopes.fit(entry)) lastScopes = scopes = Scopes.of(entry);
        for (String scope : scopes.names()) observe(scope, at, usd);
    }

    /**
     * A row's scopes beyond the organisation: its key's, then each tag value's. Named once for a key's requests, whose
     * rows share one map of tags while their tags are the key's own.
     */
    private record Scopes(String keyName, Map<String, String> tags, String[] names) {
        static Scopes of(LedgerEntry entry) {
            String[] names = new String[1 + entry.tags().size()];
            names[0] = "key:" + entry.keyName();
            int i = 1;
            for (Map.Entry<String, String> tag : entry.tags().entrySet()) names[i++] = tag.getKey() + ":" + tag.getValue();
            return new Scopes(entry.keyName(), entry.tags(), names);
        }

        boolean fit(LedgerEntry entry) {
            return tags == entry.tags() && java.util.Objects.equals(keyName, entry.keyName());
        }
    }

    /** The last row's scopes (a record of finals: an event loop sees another's whole, or the one before). */
    private volatile Scopes lastScopes;

    private void observe(String scope, long at, double usd) {
        if (room(scope)) judge(detector.observe(scope, at, usd));
    }

    private boolean room(String scope) {
        if (detector.size() < MAX_SCOPES || detector.tracks(scope)) return true;
        if (!full) {
            full = true;
            log.warn("anomaly detection watches {} scopes already; new tag values are not watched", MAX_SCOPES);
        }
        return false;
    }

    private void judge(SpendRateDetector.Finding f) {
        if (f == null) return;
        BigDecimal lastHour = BigDecimal.valueOf(f.lastHour()).setScale(2, RoundingMode.HALF_UP);
        BigDecimal usual = BigDecimal.valueOf(f.baselineMedian()).setScale(2, RoundingMode.HALF_UP);
        String times = f.baselineMedian() > 0 ? String.format("%.1f× ", f.lastHour() / f.baselineMedian()) : "far above ";
        Map<String, String> details = new LinkedHashMap<>();
        details.put("scope", f.scope());
        details.put("last_hour_usd", lastHour.toPlainString()); // the judged clock hour's spend (see hour_start)
        details.put("baseline_median_usd", usd(f.baselineMedian()));
        details.put("baseline_mad_usd", usd(f.baselineMad()));
        details.put("factor", String.valueOf(settings.factor()));
        Instant hour = Instant.ofEpochMilli(f.hourMillis());
        boolean current = f.atMillis() - f.hourMillis() < 3_600_000L;
        details.put("hour_start", hour.toString());
        // replicas that see the same spike claim it once (BudgetStore#claim): one alert per scope per block of the
        // detector's own pause between alerts
        details.put("period_start", Instant.ofEpochMilli(f.hourMillis() - Math.floorMod(f.hourMillis(), REALERT.toMillis())).toString());
        alerts.fire(new Alert(Instant.ofEpochMilli(f.atMillis()), "spend_anomaly", f.scope(), "spend of " + f.scope()
                + " is running at $" + lastHour.toPlainString() + " in the hour from " + hour.toString().substring(11, 16) + " UTC"
                + (current ? " so far" : "") + ", " + times + "its usual $" + usual.toPlainString() + " for this hour of the week", details));
    }

    private static String usd(double v) {
        return BigDecimal.valueOf(v).setScale(4, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }
}
