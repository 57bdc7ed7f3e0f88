package dev.tollgate.gateway.budget;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.anomaly.RunawayDetector;
import dev.tollgate.gateway.BufferBytes;
import dev.tollgate.gateway.config.SpendControls;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;
import io.vertx.core.buffer.Buffer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches every key for runaway loops (the same body over and over, or a sudden multiple of its usual request rate),
 * alerts, and, when {@code throttle_minutes} is set, refuses the key's requests for that long.
 */
public final class RunawayWatch {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RunawayWatch.class);

    private final SpendControls.Runaway settings;
    private final RunawayDetector detector;
    private final AlertDispatcher alerts;
    private final Clock clock;
    private final Map<String, Long> throttledUntil = new ConcurrentHashMap<>();
    /** A key that alerted is not alerted again for this long (and replicas claim its alert once per such block). */
    private final long cooldown;

    RunawayWatch(SpendControls.Runaway settings, AlertDispatcher alerts, Clock clock) {
        this.settings = settings;
        this.alerts = alerts;
        this.clock = clock;
        this.cooldown = Math.max(settings.window().toMillis(), 15 * 60_000L);
        this.detector = new RunawayDetector(new RunawayDetector.Settings(settings.samePrompt(), settings.window().toMillis(),
                settings.rateMultiple(), settings.minRequestsPerMinute(), cooldown));
    }

    public boolean enabled() {
        return settings.enabled();
    }

    /** Whether the key is being throttled now; the time it is free again is in {@link #throttledUntil}. */
    public boolean throttled(String key) {
        if (throttledUntil.isEmpty()) return false;
        Long until = throttledUntil.get(key);
        if (until == null) return false;
        if (clock.millis() < until) return true;
        throttledUntil.remove(key, until);
        return false;
    }

    public long throttledUntil(String key) {
        return throttledUntil.getOrDefault(key, 0L);
    }

    /**
     * Reads each key's requests per minute over the past hour (and a minute) from the ledger, so that the rate sign
     * works from the first minute after a restart. Blocks (a ledger read of raw rows): call at start-up. Minutes the
     * gateway was down count as minutes without requests.
     */
    void seed(Ledger ledger) {
        Instant now = clock.instant();
        try {
            for (SpendRow row : ledger.spend(new SpendQuery(List.of("minute", "key"), now.minus(Duration.ofMinutes(61)), now, Map.of()))) {
                String minute = row.group().get("minute"), key = row.group().get("key");
                if (minute != null && key != null) detector.seed(key, Instant.parse(minute.replace("Z", ":00Z")).toEpochMilli(), row.requests());
            }
        } catch (RuntimeException e) {
            log.warn("request history for runaway detection could not be loaded ({}); request rates are judged after an hour", e.getMessage());
        }
    }

    /** Records a request; cheap (a hash of the body and a map lookup), never blocks. */
    public void observe(String key, Buffer body) {
        long now = clock.millis();
        RunawayDetector.Finding f = detector.observe(key, hash(body), now);
        if (f == null) return;
        boolean throttle = !settings.throttleFor().isZero();
        if (throttle) throttledUntil.put(key, now + settings.throttleFor().toMillis());
        String what = f.kind() == RunawayDetector.Kind.REPEATED_PROMPT
                ? "sent the same request " + f.count() + " times within " + settings.window().toMinutes() + " minutes"
                : "sent " + f.count() + " requests this minute, " + Math.round(f.count() / f.baseline()) + "× its usual "
                  + Math.round(f.baseline()) + " a minute";
        alerts.fire(new Alert(clock.instant(), "runaway", "key:" + key, "key '" + key + "' looks like a runaway loop: it " + what
                + (throttle ? "; its requests are refused for " + settings.throttleFor().toMinutes() + " minutes" : ""),
                Map.of("key", key, "sign", f.kind().name().toLowerCase(), "count", String.valueOf(f.count()),
                        "baseline_per_minute", String.valueOf(f.baseline()), "throttled", String.valueOf(throttle),
                        // replicas that each catch the same loop claim its alert once (BudgetStore#claim)
                        "period_start", Instant.ofEpochMilli(now - Math.floorMod(now, cooldown)).toString())));
    }

    /**
     * Identical bodies hash alike; no cryptographic strength is needed. {@link Arrays#hashCode(byte[])} is vectorized
     * by the JIT, so a 64 KiB body costs a few microseconds; the length makes accidental matches rarer still.
     */
    static long hash(Buffer body) {
        return ((long) body.length() << 32) ^ (Arrays.hashCode(BufferBytes.whole(body)) & 0xffffffffL);
    }
}
