package dev.tollgate.gateway.observe;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import dev.tollgate.store.LedgerHealth;
import java.util.function.Supplier;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus metrics fed by the ledger stream: one update per ledger row, on the thread that appended it (an event
 * loop), so it only touches lock-free Micrometer meters looked up once per label set.
 *
 * <p>Labels are {@code model} (the configured model name the client asked for), {@code provider} (the configured
 * provider) and {@code team} (the value of the configured tag), each capped by {@link BoundedLabel}; requests also
 * carry {@code status} as a class ({@code 2xx}, {@code 4xx}, {@code 5xx}) and tokens their {@code kind}.
 *
 * <p>Cost is summed exactly ({@link BigDecimal}) per label set and only turned into a floating-point number when
 * Prometheus reads it: the exposition format has no decimals. The ledger stays the exact record.
 */
public final class GatewayMetrics {

    /** Request latency buckets: interactive calls live under a few seconds, long generations up to minutes. */
    static final Duration[] LATENCY_BUCKETS = seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300);
    /** Time to first token of streams: what a user waits before text starts to appear. */
    static final Duration[] TTFT_BUCKETS = seconds(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final String teamTag;
    private final BoundedLabel models;
    private final BoundedLabel providers;
    private final BoundedLabel teams;
    private final Map<SeriesKey, Series> series = new ConcurrentHashMap<>();
    private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();

    public GatewayMetrics(ObserveConfig.Metrics config) {
        this.teamTag = config.teamTag();
        this.models = new BoundedLabel(config.maxLabelValues());
        this.providers = new BoundedLabel(config.maxLabelValues());
        this.teams = new BoundedLabel(config.maxLabelValues());
        // the process itself: heap and non-heap memory, threads, CPU, uptime
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The current values in Prometheus' text exposition format (version 0.0.4). */
    public String scrape() {
        beforeScrape.forEach(Runnable::run);
        return registry.scrape();
    }

    /** Runs {@code action} before every scrape: for meters whose set changes at run time (budgets). */
    public void beforeScrape(Runnable action) {
        beforeScrape.add(action);
    }

    /** Gauges of the ledger's writer: what waits in memory and in the spool, what was lost, how long it is stalled. */
    public void bindLedger(Supplier<LedgerHealth> health) {
        Gauge.builder("tollgate.ledger.queued.rows", () -> health.get().queuedRows())
                .description("Ledger rows in memory waiting for the writer").register(registry);
        Gauge.builder("tollgate.ledger.spooled.rows", () -> health.get().spooledRows())
                .description("Ledger rows waiting in the journal (spool) for the writer").register(registry);
        FunctionCounter.builder("tollgate.ledger.lost.rows", health, h -> h.get().lostRows())
                .description("Ledger rows neither written nor kept (memory and spool full, or refused by the database)").register(registry);
        Gauge.builder("tollgate.ledger.lag.seconds", () -> health.get().lagSeconds())
                .description("How long the ledger writer has been unable to commit; 0 while it commits").register(registry);
        Gauge.builder("tollgate.ledger.degraded", () -> health.get().degraded() ? 1 : 0)
                .description("1 while the ledger cannot write rows as they come (see /health for why)").register(registry);
        Gauge.builder("tollgate.ledger.refusing", () -> health.get().refusing() ? 1 : 0)
                .description("1 while metered calls are refused because the ledger can keep no more rows").register(registry);
    }

    /** Counts one ledger row. */
    public void record(LedgerEntry e) {
        SeriesKey key = new SeriesKey(models.of(e.deployment()), providers.of(e.provider()), teams.of(e.tags().get(teamTag)));
        Series s = series.computeIfAbsent(key, this::register);
        s.requests(statusClass(e.status())).increment();
        Usage u = e.usage();
        s.inputTokens.increment(u.uncachedInputTokens());
        s.cachedInputTokens.increment(u.cachedInputTokens());
        s.cacheWriteTokens.increment(u.cacheWriteTokens());
        s.outputTokens.increment(u.outputTokens());
        s.reasoningTokens.increment(u.reasoningTokens());
        s.cost.add(e.costUsd());
        if (u.cachedInputTokens() > 0) s.promptCacheHits.increment();
        if (e.estimated()) s.estimated.increment();
        if (e.unpriced()) s.unpriced().increment();
        if (e.cache() != null) s.cacheServed(e.cache()).increment();
        // cache replays, downgrades and cheaper tiers save; a cascade's thrown-away answer costs more than the baseline,
        // and a counter may only grow, so what was lost is counted apart (the net saving is saved less lost)
        if (e.savedUsd().signum() > 0) s.saved.add(e.savedUsd());
        else if (e.savedUsd().signum() < 0) s.lost().add(e.savedUsd().negate());
        s.latency.record(e.latencyMicros(), TimeUnit.MICROSECONDS);
        if (e.stream() && e.ttftMicros() >= 0) s.ttft().record(e.ttftMicros(), TimeUnit.MICROSECONDS);
    }

    static String statusClass(int status) {
        return status >= 100 && status < 600 ? (status / 100) + "xx" : "none";
    }

    private Series register(SeriesKey key) {
        Tags tags = Tags.of("model", key.model(), "provider", key.provider(), "team", key.team());
        return new Series(registry, tags);
    }

    private record SeriesKey(String model, String provider, String team) {
    }

    /** The meters of one label set. */
    private static final class Series {
        final MeterRegistry registry;
        final Tags tags;
        final Map<String, Counter> requests = new ConcurrentHashMap<>();
        final Counter inputTokens;
        final Counter cachedInputTokens;
        final Counter cacheWriteTokens;
        final Counter outputTokens;
        final Counter reasoningTokens;
        final ExactSum cost = new ExactSum();
        final Counter promptCacheHits;
        final Map<String, Counter> cacheServed = new ConcurrentHashMap<>();
        final ExactSum saved = new ExactSum();
        final Counter estimated;
        final Timer latency;
        private volatile Timer ttft;
        private volatile Counter unpriced;
        private volatile ExactSum lost;

        Series(MeterRegistry registry, Tags tags) {
            this.registry = registry;
            this.tags = tags;
            inputTokens = tokens("input");
            cachedInputTokens = tokens("cached_input");
            cacheWriteTokens = tokens("cache_write");
            outputTokens = tokens("output");
            reasoningTokens = Counter.builder("tollgate.reasoning.tokens")
                    .description("Output tokens spent on reasoning (already counted in tollgate_tokens_total{kind=\"output\"})")
                    .tags(tags).register(registry);
            FunctionCounter.builder("tollgate.cost.usd", cost, ExactSum::doubleValue)
                    .description("Cost of the requests in US dollars (summed exactly; the ledger is the exact record)")
                    .tags(tags).register(registry);
            FunctionCounter.builder("tollgate.saved.usd", saved, ExactSum::doubleValue)
                    .description("What answers served again by the gateway (cache, coalescing, idempotency), downgrades and cheaper tiers saved")
                    .tags(tags).register(registry);
            promptCacheHits = Counter.builder("tollgate.prompt.cache.hits")
                    .description("Requests that read part of their prompt from the provider's prompt cache")
                    .tags(tags).register(registry);
            estimated = Counter.builder("tollgate.usage.estimated")
                    .description("Requests whose usage was counted by the gateway because the provider reported none")
                    .tags(tags).register(registry);
            latency = Timer.builder("tollgate.request.duration")
                    .description("Time from a request's arrival to the last byte of its answer")
                    .serviceLevelObjectives(LATENCY_BUCKETS).tags(tags).register(registry);
        }

        /** Registered with the first call that cost more than its baseline, so the metric appears only where one did. */
        ExactSum lost() {
            ExactSum l = lost;
            if (l == null) {
                synchronized (this) {
                    if (lost == null) {
                        ExactSum sum = new ExactSum();
                        FunctionCounter.builder("tollgate.lost.usd", sum, ExactSum::doubleValue)
                                .description("What calls cost beyond their baseline model: answers a cascade threw away (net saving: saved less lost)")
                                .tags(tags).register(registry);
                        lost = sum;
                    }
                    l = lost;
                }
            }
            return l;
        }

        /** Registered with the first unpriced call, so the metric appears only where a price is missing. */
        Counter unpriced() {
            Counter c = unpriced;
            if (c == null) {
                c = Counter.builder("tollgate.unpriced.requests")
                        .description("Requests to a model with no price (not marked free): metered at $0, so their cost is missing")
                        .tags(tags).register(registry);
                unpriced = c;
            }
            return c;
        }

        /** Registered with the first stream, so label sets that never stream show no empty histogram. */
        Timer ttft() {
            Timer t = ttft;
            if (t == null) {
                t = Timer.builder("tollgate.time.to.first.token")
                        .description("Streams: time from a request's arrival to its first event")
                        .serviceLevelObjectives(TTFT_BUCKETS).tags(tags).register(registry);
                ttft = t; // a race registers the same meter twice; Micrometer returns the existing one
            }
            return t;
        }

        /** Requests the gateway answered without a provider call, by how: hit, near_hit, coalesced, idempotent. */
        Counter cacheServed(String how) {
            return cacheServed.computeIfAbsent(how, h -> Counter.builder("tollgate.cache.served")
                    .description("Requests answered again by the gateway without a provider call, by how")
                    .tags(tags).tag("cache", h).register(registry));
        }

        Counter requests(String statusClass) {
            return requests.computeIfAbsent(statusClass, c -> Counter.builder("tollgate.requests")
                    .description("Requests answered, by status class").tags(tags).tag("status", c).register(registry));
        }

        private Counter tokens(String kind) {
            return Counter.builder("tollgate.tokens")
                    .description("Tokens by kind: input (uncached), cached_input, cache_write, output (reasoning included); the kinds add up to the total")
                    .tags(tags).tag("kind", kind).register(registry);
        }
    }

    /** A running exact total; read as a double only for display. */
    static final class ExactSum {
        private BigDecimal total = BigDecimal.ZERO;

        synchronized void add(BigDecimal amount) {
            total = total.add(amount);
        }

        synchronized BigDecimal total() {
            return total;
        }

        double doubleValue() {
            return total().doubleValue();
        }
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        return out;
    }
}
