package dev.tollgate.gateway.budget;

import dev.tollgate.core.alert.Alert;
import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.BudgetAccount;
import dev.tollgate.core.budget.Period;
import dev.tollgate.core.budget.Scope;
import dev.tollgate.gateway.auth.KeyStore;
import dev.tollgate.gateway.auth.Principal;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.config.SpendControls;
import dev.tollgate.store.BudgetStore;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.ObservedLedger;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Budgets, rate limits, sandbox keys and alerts as the gateway runs them. The request path only touches the
 * in-memory {@link BudgetBook} and {@link RateLimiter}, or, when {@code spend_controls.redis} is set, the shared
 * {@link RedisCounters} (asynchronously); the blocking methods here ({@link #install}, {@link #delete}) read the
 * ledger and the store and run at start-up or on a worker thread of the admin API.
 */
public final class BudgetService implements AutoCloseable {

    public static final String SANDBOX_BUDGET_PREFIX = "sandbox:";
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BudgetService.class);

    private final SpendControls controls;
    private final Ledger ledger;
    private final BudgetStore store;
    private final BudgetBook book = new BudgetBook();
    private final RateLimiter rateLimiter;
    private final AlertDispatcher alerts;
    private final RunawayWatch runaway;
    private AnomalyWatch anomalies;
    private final Clock clock;
    private final Map<String, SpendControls.SandboxKey> sandboxKeys = new LinkedHashMap<>();
    private final List<String> models;
    private final Set<BoundHold> boundHolds = ConcurrentHashMap.newKeySet();
    private final RedisCounters redis;
    /** Budgets from other replicas that this one cannot apply (said once each, not at every reload). */
    private final Set<Budget> unappliable = new java.util.HashSet<>();
    private final Leases leases;

    private BudgetService(SpendControls controls, List<String> models, Ledger ledger, BudgetStore store, Clock clock) {
        this.controls = controls;
        this.models = models;
        this.ledger = ledger;
        this.store = store;
        this.clock = clock;
        this.rateLimiter = new RateLimiter(controls.rateLimits(), System::nanoTime);
        this.alerts = new AlertDispatcher(controls.alerts(), store);
        this.runaway = new RunawayWatch(controls.runaway(), alerts, clock);
        this.redis = controls.redis() == null ? null : RedisCounters.connect(controls.redis(), clock);
        this.leases = redis == null ? null : new Leases(redis, clock, this::alert);
        controls.sandboxKeys().forEach(k -> sandboxKeys.put(k.key(), k));
    }

    /**
     * Loads the config's budgets, with the store's run-time changes applied, and each one's spend in its current
     * period from the ledger. Blocks: call before serving.
     */
    public static BudgetService start(GatewayConfig config, ObservedLedger ledger, BudgetStore store, Clock clock) {
        BudgetService service = new BudgetService(config.controls(),
                config.models().stream().map(GatewayConfig.Model::name).toList(), ledger, store, clock);
        try {
            service.load(config, ledger, store, clock);
        } catch (RuntimeException e) {
            service.close(); // the alert thread and the Redis client's event loop would outlive a failed start
            throw e;
        }
        return service;
    }

    private void load(GatewayConfig config, ObservedLedger ledger, BudgetStore store, Clock clock) {
        checkSandboxKeys(config);
        anomalies = AnomalyWatch.start(config.controls().anomaly(), alerts, ledger, clock);
        if (runaway.enabled()) runaway.seed(ledger);
        Map<String, Budget> budgets = inForce(store.budgets(), store.deleted());
        for (Budget b : budgets.values()) checkModel(b, true);
        if (!budgets.isEmpty()) {
            List<Alert> fired = store.alertsSince(clock.instant().minus(java.time.Duration.ofDays(32)));
            for (Budget b : budgets.values()) install(b, fired);
        }
    }

    /**
     * The budgets in force: the config's, less those deleted through the admin API, with those created or changed
     * through it (which win over the config's of the same name), and the sandbox keys' caps.
     */
    private Map<String, Budget> inForce(List<Budget> changed, Set<String> deleted) {
        Map<String, Budget> budgets = new LinkedHashMap<>();
        for (Budget b : controls.budgets()) budgets.put(b.name(), b);
        deleted.forEach(budgets::remove);
        for (Budget b : changed) budgets.put(b.name(), b);
        for (SpendControls.SandboxKey k : controls.sandboxKeys()) {
            budgets.put(SANDBOX_BUDGET_PREFIX + k.key(), new Budget(SANDBOX_BUDGET_PREFIX + k.key(), new Scope("key", k.key()),
                    Period.LIFETIME, k.capUsd(), Budget.Action.BLOCK, null, null, controls.timeZone()));
        }
        return budgets;
    }

    /**
     * Brings the budgets in force up to date with the store, where another replica may have created, changed or
     * deleted some: the same install and remove that a change through this replica's admin API makes. A budget whose
     * definition did not change keeps its account untouched. Blocks (store, ledger): the store's watcher calls it.
     */
    public synchronized void reconcile() {
        Map<String, Budget> budgets = inForce(store.budgets(), store.deleted());
        List<Alert> fired = null;
        for (Budget b : budgets.values()) {
            Optional<BudgetBook.Entry> current = book.find(b.name());
            if (current.isPresent() && sameDefinition(current.get().budget(), b)) continue;
            try {
                checkModel(b, false);
            } catch (IllegalArgumentException e) {
                if (unappliable.add(b)) log.warn("budget '{}' from another replica is not applied here: {}", b.name(), e.getMessage());
                continue;
            }
            if (fired == null) {
                ledger.flush();
                fired = store.alertsSince(clock.instant().minus(java.time.Duration.ofDays(32)));
            }
            log.info("budget '{}' {} by another replica", b.name(), current.isPresent() ? "changed" : "created");
            install(b, fired);
        }
        for (BudgetBook.Entry e : book.entries()) {
            if (budgets.containsKey(e.budget().name())) continue;
            log.info("budget '{}' deleted by another replica", e.budget().name());
            book.remove(e.budget().name());
        }
    }

    /** Whether two budgets are defined alike (the limit compared by value: 5 and 5.00 are the same limit). */
    static boolean sameDefinition(Budget a, Budget b) {
        return a.name().equals(b.name()) && a.scope().equals(b.scope()) && a.period() == b.period()
                && a.limitUsd().compareTo(b.limitUsd()) == 0 && a.action() == b.action()
                && java.util.Objects.equals(a.downgradeTo(), b.downgradeTo()) && a.thresholds().equals(b.thresholds())
                && a.zone().equals(b.zone());
    }

    public SpendControls controls() {
        return controls;
    }

    public BudgetBook book() {
        return book;
    }

    /** The shared counters, or null when budgets and rate limits are counted in this process only. */
    public RedisCounters redis() {
        return redis;
    }

    /** This replica's slices of the shared budgets and rate limits, or null without Redis. */
    public Leases leases() {
        return leases;
    }

    public RateLimiter rateLimiter() {
        return rateLimiter;
    }

    public AlertDispatcher alerts() {
        return alerts;
    }

    public RunawayWatch runaway() {
        return runaway;
    }

    public BudgetStore store() {
        return store;
    }

    /** A call in flight holding BudgetStage's tokenizer-free bound, which it can swap for its counted worst case. */
    public interface BoundHold {
        /**
         * Swaps the bound for the counted worst case if the call holds any of these budgets or rate limits; false if
         * it holds none, has settled or has swapped already.
         */
        boolean tighten(List<BudgetBook.Entry> budgets, List<RateLimiter.Buckets> buckets);
    }

    /** The calls in flight on the bound, on every event loop (each has its own BudgetStage; they share this). */
    public Set<BoundHold> boundHolds() {
        return boundHolds;
    }

    public Clock clock() {
        return clock;
    }

    public Optional<SpendControls.SandboxKey> sandboxKey(String keyName) {
        return sandboxKeys.isEmpty() ? Optional.empty() : Optional.ofNullable(sandboxKeys.get(keyName));
    }

    /** Creates or changes a budget at run time and keeps it in the store. Blocks (ledger and store). */
    public synchronized BudgetBook.Entry save(Budget budget) {
        if (budget.name().startsWith(SANDBOX_BUDGET_PREFIX)) {
            throw new IllegalArgumentException("budget names starting with '" + SANDBOX_BUDGET_PREFIX + "' are the sandbox keys' caps (spend_controls.sandbox_keys)");
        }
        checkModel(budget, false);
        store.save(budget);
        ledger.flush();
        return install(budget, store.alertsSince(budget.period().window(clock.instant(), budget.zone()).start()));
    }

    /**
     * A sandbox key is named by its key's name: a name that no key has would cap nobody, and a secret pasted there
     * instead would leave the real key uncapped (and, once it is a sandbox key, refused everywhere else).
     */
    static void checkSandboxKeys(GatewayConfig config) {
        Set<String> names = new LinkedHashSet<>();
        config.keys().forEach(k -> names.add(k.name()));
        if (names.isEmpty()) names.add(Principal.ANONYMOUS.keyName());
        for (SpendControls.SandboxKey s : config.controls().sandboxKeys()) {
            if (names.contains(s.key())) continue;
            String hash = KeyStore.hash(s.key());
            Optional<GatewayConfig.Key> secretOf = config.keys().stream().filter(k -> k.keyHash().equals(hash)).findFirst();
            throw new ConfigLoader.ConfigException(secretOf.isPresent()
                    ? "spend_controls.sandbox_keys: an entry gives a key's secret where its name belongs; write key: "
                      + secretOf.get().name() + " (the name under keys:), and keep the secret out of this section"
                    : "spend_controls.sandbox_keys: key '" + s.key() + "' is not the name of a configured key (keys: "
                      + String.join(", ", names) + ")");
        }
    }

    /** A budget that downgrades must name a model this gateway serves. */
    private void checkModel(Budget b, boolean atStart) {
        if (b.action() != Budget.Action.DOWNGRADE || models.contains(b.downgradeTo())) return;
        String message = "budget '" + b.name() + "': downgrade_to '" + b.downgradeTo() + "' is not a configured model ("
                + String.join(", ", models) + ")";
        if (atStart) throw new ConfigLoader.ConfigException(message);
        throw new IllegalArgumentException(message);
    }

    /** Deletes a budget, for good (a config budget stays deleted across restarts). Blocks (store). */
    public synchronized boolean delete(String name) {
        if (name.startsWith(SANDBOX_BUDGET_PREFIX)) {
            throw new IllegalArgumentException("a sandbox key's cap is deleted by removing the key from spend_controls.sandbox_keys");
        }
        if (book.find(name).isEmpty()) return false;
        store.delete(name);
        return book.remove(name);
    }

    private BudgetBook.Entry install(Budget budget, List<Alert> fired) {
        Instant now = clock.instant();
        Optional<BudgetBook.Entry> existing = book.find(budget.name());
        if (existing.isPresent() && BudgetBook.sameAccount(existing.get().budget(), budget)) {
            return book.put(budget, BigDecimal.ZERO, 0, now);
        }
        Period.Window window = budget.period().window(now, budget.zone());
        List<SpendRow> rows = ledger.spend(new SpendQuery(List.of(), window.start(), null, budget.scope().ledgerFilter()));
        BigDecimal spent = rows.stream().map(SpendRow::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
        int alerted = alertedMask(budget, window, fired);
        BudgetBook.Entry entry = book.put(budget, spent, alerted, now);
        if (redis != null) seed(entry, window, spent, alerted);
        return entry;
    }

    /**
     * The first replica to install a budget for a period starts its shared counters at this ledger's spend; the others
     * find them started. If Redis is down the counters start at zero when the first request creates them.
     */
    private void seed(BudgetBook.Entry entry, Period.Window window, BigDecimal spent, int alerted) {
        List<Integer> percents = new java.util.ArrayList<>();
        for (int i = 0; i < entry.budget().thresholds().size(); i++) if ((alerted & (1 << i)) != 0) percents.add(entry.budget().thresholds().get(i));
        try {
            RedisCounters.await(redis.seed(entry.budget(), window, spent, percents));
            refresh(entry);
        } catch (RuntimeException e) {
            log.warn("budget '{}': could not start its shared counters in Redis ({}); they start at zero when Redis is back",
                    entry.budget().name(), e.getMessage());
        }
    }

    /** Reads a budget's shared counters into its entry, for the admin API and metrics. Blocks (Redis); a no-op without Redis. */
    public void refresh(BudgetBook.Entry entry) {
        if (redis == null) return;
        leases.giveBack(entry);
        Period.Window window = entry.window(clock.instant());
        RedisCounters.Counters c = RedisCounters.await(redis.read(entry.budget(), window));
        entry.observe(window.start(), c.spent(), c.reserved());
    }

    /** Thresholds (and a refusal) already alerted in this period (from the store), so a restart does not alert them again. */
    static int alertedMask(Budget budget, Period.Window window, List<Alert> fired) {
        int mask = 0;
        for (Alert a : fired) {
            if (!a.subject().equals(budget.name()) || !window.start().toString().equals(a.details().get("period_start"))) continue;
            if (a.kind().equals(REFUSED_KIND)) mask |= BudgetAccount.REFUSAL_BIT;
            String threshold = a.details().get("threshold_percent");
            int i = threshold == null ? -1 : budget.thresholds().indexOf(Integer.valueOf(threshold));
            if (i >= 0) mask |= 1 << i;
        }
        return mask;
    }

    /** Alerts each threshold this budget's spend has reached and that was not yet alerted this period. Never blocks. */
    public void checkThresholds(BudgetBook.Entry entry, boolean exhausted) {
        Budget b = entry.budget();
        List<Integer> crossed = entry.account().claimThresholds(b.thresholds(), b.limitUsd(), exhausted);
        if (crossed.isEmpty()) return;
        alert(entry, crossed, entry.account().state().spent());
    }

    /**
     * A request this budget could not afford (refused, or let through or downgraded by a budget that does not block).
     * Only a budget whose spend has reached its limit is exhausted (its 100% alert); before that, one request's worst
     * case did not fit in what was left, and the alert says so, once per period. Call before reserving it anyway.
     * Never blocks.
     */
    public void refused(BudgetBook.Entry entry, BigDecimal worstCase) {
        Budget b = entry.budget();
        BudgetAccount.State s = entry.account().state();
        if (s.spent().compareTo(b.limitUsd()) >= 0) {
            checkThresholds(entry, true);
        } else if (b.thresholds().contains(100) && entry.account().claimRefusal()) {
            alertRefused(entry, worstCase, s.spent(), s.reserved());
        }
    }

    /** Sends the alert that one request did not fit in what {@code spent} and {@code reserved} left (claimed by the caller). */
    public void alertRefused(BudgetBook.Entry entry, BigDecimal worstCase, BigDecimal spent, BigDecimal reserved) {
        Budget b = entry.budget();
        Period.Window window = entry.window(clock.instant());
        BigDecimal left = b.limitUsd().subtract(spent).subtract(reserved).max(BigDecimal.ZERO);
        String message = "budget '" + b.name() + "' (" + b.scope() + ") could not afford one request: its worst case "
                + BudgetWords.usd(worstCase) + " is more than the " + BudgetWords.usd(left) + " left (" + BudgetWords.usd(spent) + " of "
                + BudgetWords.usd(b.limitUsd()) + " spent " + BudgetWords.period(b)
                + (reserved.signum() > 0 ? ", " + BudgetWords.usd(reserved) + " held by requests in flight" : "") + "); "
                + refusalPhrase(b) + "; resets " + BudgetWords.reset(b, window);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("budget", b.name());
        details.put("scope", b.scope().toString());
        details.put("worst_case_usd", BudgetWords.exact(worstCase));
        details.put("remaining_usd", BudgetWords.exact(left));
        details.put("spent_usd", BudgetWords.exact(spent));
        details.put("reserved_usd", BudgetWords.exact(reserved));
        details.put("limit_usd", BudgetWords.exact(b.limitUsd()));
        details.put("period", b.period().label());
        details.put("period_start", window.start().toString());
        if (window.end() != Instant.MAX) details.put("resets_at", window.end().toString());
        details.put("action", b.action().label());
        alerts.fire(new Alert(clock.instant(), REFUSED_KIND, b.name(), message, details));
    }

    /** The kind of the alert that one request did not fit (the budget is not exhausted). */
    public static final String REFUSED_KIND = "budget_refused";

    private static String refusalPhrase(Budget b) {
        return switch (b.action()) {
            case BLOCK -> "it was refused, and requests that fit are still served";
            case NOTIFY -> "it was let through (notify only)";
            case DOWNGRADE -> "requests that do not fit are served by " + b.downgradeTo();
        };
    }

    /** Sends the alerts of thresholds {@code crossed} (claimed for this period by the caller) at {@code spent}. Never blocks. */
    public void alert(BudgetBook.Entry entry, List<Integer> crossed, BigDecimal spent) {
        Budget b = entry.budget();
        Period.Window window = entry.window(clock.instant());
        for (int percent : crossed) {
            boolean full = percent == 100;
            String message = full
                    ? "budget '" + b.name() + "' (" + b.scope() + ") is exhausted: " + BudgetWords.usd(spent) + " of " + BudgetWords.usd(b.limitUsd())
                      + " spent " + BudgetWords.period(b) + "; " + actionPhrase(b) + "; resets " + BudgetWords.reset(b, window)
                    : "budget '" + b.name() + "' (" + b.scope() + ") reached " + percent + "%: " + BudgetWords.usd(spent) + " of "
                      + BudgetWords.usd(b.limitUsd()) + " spent " + BudgetWords.period(b) + "; resets " + BudgetWords.reset(b, window);
            Map<String, String> details = new LinkedHashMap<>();
            details.put("budget", b.name());
            details.put("scope", b.scope().toString());
            details.put("threshold_percent", String.valueOf(percent));
            details.put("spent_usd", BudgetWords.exact(spent));
            details.put("limit_usd", BudgetWords.exact(b.limitUsd()));
            details.put("period", b.period().label());
            details.put("period_start", window.start().toString());
            if (window.end() != Instant.MAX) details.put("resets_at", window.end().toString());
            details.put("action", b.action().label());
            alerts.fire(new Alert(clock.instant(), full ? "budget_exceeded" : "budget_threshold", b.name(), message, details));
        }
    }

    private static String actionPhrase(Budget b) {
        return switch (b.action()) {
            case BLOCK -> "further requests are refused";
            case NOTIFY -> "requests continue (notify only)";
            case DOWNGRADE -> "requests are served by " + b.downgradeTo();
        };
    }

    @Override
    public void close() {
        if (anomalies != null) anomalies.close();
        alerts.close();
        if (leases != null) {
            try {
                leases.giveBackAll(); // what this replica spent since its last report, and its unused slices
            } catch (RuntimeException e) {
                log.warn("could not give back this replica's budget slices in Redis ({}); they are released when their lease runs out", e.getMessage());
            }
        }
        if (redis != null) redis.close();
        store.close();
    }
}
