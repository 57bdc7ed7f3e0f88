package dev.tollgate.app.plan;

import dev.tollgate.app.GatewayLink;
import dev.tollgate.app.GatewayOptions;
import dev.tollgate.app.LedgerSource;
import dev.tollgate.app.PricesCommand;
import dev.tollgate.app.WorkProgress;
import dev.tollgate.planner.report.Money;
import dev.tollgate.planner.report.Table;
import dev.tollgate.planner.whatif.PipelinedReplay;
import dev.tollgate.planner.whatif.ReplayEngine;
import dev.tollgate.planner.whatif.ReplayPolicy;
import dev.tollgate.planner.whatif.ReplayResult;
import dev.tollgate.store.duckdb.LedgerScan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code tollgate plan whatif}: replay the ledger under a changed policy. */
@Command(name = "whatif", mixinStandardHelpOptions = true,
        description = "Replay a period of the ledger under a changed policy (routing, response cache, history trimming, output cap, self-hosting) and compare the cost before and after.")
public final class PlanWhatIf extends PlanStep {

    /** Below this many rows no progress bar is drawn. */
    static final long PROGRESS_FROM = 200_000;

    @Option(names = "--data", defaultValue = "data", description = "Data directory holding ledger.duckdb (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Option(names = "--from", description = "Replay from (inclusive): 2026-11-01 or an ISO instant.")
    String from;
    @Option(names = "--to", description = "Replay to (exclusive).")
    String to;
    @Option(names = "--route", description = "[MODEL][,TAG=VALUE][,share=S][,!TAG=VALUE]->TARGET, e.g. 'gpt-4o,feature=autocomplete->gpt-4o-mini' or 'gpt-4o,share=0.3->gpt-4o-mini';"
            + " !TAG=VALUE (or !TAG for any value) leaves those requests out. Repeatable; the first match decides.")
    List<String> routes = new ArrayList<>();
    @Option(names = "--cache-ttl", description = "Add a response cache keeping answers this long (90s, 30m, 1h).")
    String cacheTtl;
    @Option(names = "--max-input-tokens", defaultValue = "0", description = "Trim prompts (older history first) to this many tokens.")
    long maxInput;
    @Option(names = "--max-output-tokens", defaultValue = "0", description = "Cap answers at this many tokens.")
    long maxOutput;
    @Option(names = "--self-host", description = "Move this model's traffic to your own GPUs.")
    String selfHost;
    @Option(names = "--self-host-gpu", defaultValue = "h100", description = "GPU for --self-host (default: ${DEFAULT-VALUE}).")
    String selfHostGpu;
    @Option(names = "--self-host-shape", defaultValue = "llama-3-8b", description = "Open model serving it (default: ${DEFAULT-VALUE}).")
    String selfHostShape;
    @Option(names = "--self-host-precision", defaultValue = "bf16", description = "bf16, fp8 or int4 (default: ${DEFAULT-VALUE}).")
    String selfHostPrecision;
    @Option(names = "--self-host-utilization", defaultValue = "0.6", description = "Share of GPU hours busy (default: ${DEFAULT-VALUE}).")
    double selfHostUtilization;
    @Option(names = "--self-host-batch", defaultValue = "64", description = "Decode batch (default: ${DEFAULT-VALUE}).")
    int selfHostBatch;
    @Option(names = "--self-host-hourly", description = "Price of one GPU hour (default: the GPU's built-in on-demand price).")
    BigDecimal selfHostHourly;
    @Option(names = "--by", description = "Also break the result down by this tag (team, customer, …).")
    String by;
    @Mixin
    GatewayOptions.WithGatewayAlias gateway = new GatewayOptions.WithGatewayAlias();
    @Mixin
    LedgerSource ledger = new LedgerSource();
    @Mixin
    OutputOptions out;

    @Override
    String name() {
        return "whatif";
    }

    @Override
    int run() throws Exception {
        WhatIfOptions options = new WhatIfOptions(from, to, routes, cacheTtl, maxInput, maxOutput, selfHost == null ? null
                : new WhatIfOptions.SelfHost(selfHost, selfHostGpu, selfHostShape, selfHostPrecision, selfHostUtilization, selfHostBatch, selfHostHourly), by);
        ReplayPolicy policy = options.policy();
        if (policy.changesNothing()) {
            System.err.println("plan whatif: give a policy to replay (--route, --cache-ttl, --max-input-tokens, --max-output-tokens or --self-host)");
            return 2;
        }
        long began = System.nanoTime();
        Replayed replayed = replay(ledger, options, policy, dataDir, gateway.url(), gateway.adminToken(), out.format == PlanOutput.Format.TABLE);
        Duration took = Duration.ofNanos(System.nanoTime() - began);
        List<Table> tables = tables(replayed.result(), policy, by, took, replayed.source());
        out.print(tables);
        return 0;
    }

    /** A replay's result, and a note saying where it ran when a gateway ran it (else null). */
    record Replayed(ReplayResult result, String source) {
    }

    /**
     * Replays [{@code from}, {@code to}) with {@code routes} (as {@code --route} takes them, e.g. "gpt-4o->gpt-4o-mini"):
     * what moving that traffic would have cost. Used by {@code tollgate eval} for the saving of switching a route.
     */
    public static ReplayResult replayRoutes(LedgerSource ledger, Path dataDir, String gateway, String adminToken, List<String> routes, Instant from, Instant to)
            throws Exception {
        WhatIfOptions options = new WhatIfOptions(from.toString(), to.toString(), routes, null, 0, 0, null, null);
        return replay(ledger, options, options.policy(), dataDir, gateway, adminToken, false).result();
    }

    /**
     * The shared ledger in PostgreSQL with {@code --ledger} (the range's rows copied into a scratch embedded ledger and
     * replayed by the same code, {@code PgLedger.scan}), else the ledger file when no process holds it, else the
     * gateway that does (through its admin API).
     */
    private static Replayed replay(LedgerSource ledger, WhatIfOptions options, ReplayPolicy policy, Path dataDir, String gateway,
                                   String adminToken, boolean progress) throws Exception {
        Instant start = options.start();
        Instant end = options.end();
        if (ledger.shared()) {
            ReplayEngine engine = new ReplayEngine(PricesCommand.catalog(dataDir), policy, options.by());
            try (LedgerSource.Shared shared = ledger.open()) {
                return new Replayed(shared.ledger().scan(start, end, scan -> PipelinedReplay.run(scan, start, end, engine, seen -> { })),
                        "Replayed from the shared ledger (" + shared.where() + ").");
            }
        }
        try (LedgerScan scan = LedgerScan.open(dataDir)) {
            ReplayEngine engine = new ReplayEngine(PricesCommand.catalog(dataDir), policy, options.by());
            long rows = scan.count(start, end);
            if (rows >= PROGRESS_FROM && progress) {
                try (WorkProgress bar = WorkProgress.rows("plan whatif", rows, System.err)) {
                    return new Replayed(PipelinedReplay.run(scan, start, end, engine, bar::stepTo), null);
                }
            }
            return new Replayed(PipelinedReplay.run(scan, start, end, engine, seen -> { }), null);
        } catch (LedgerScan.LedgerBusyException busy) {
            // the running gateway replays it through its own connection, with its own price catalog
            GatewayLink link = GatewayLink.find(dataDir, gateway, adminToken);
            if (link.token() == null) {
                throw new IllegalStateException(busy.getMessage() + ", or give its admin token (--admin-token or TOLLGATE_ADMIN_TOKEN) to ask it");
            }
            return new Replayed(ReplayJson.read(link.post(PlanAdminRoutes.WHATIF, options.toJson())),
                    "Replayed by the gateway at " + link.url() + " (admin API), which holds the ledger.");
        }
    }

    /** The result's tables; {@code source}, when not null, is a note saying where the replay ran. */
    static List<Table> tables(ReplayResult r, ReplayPolicy policy, String by, Duration took, String source) {
        List<Table> tables = new ArrayList<>();
        Table.Builder summary = Table.builder("What-if replay of " + String.format("%,d", r.rows()) + " ledger rows", "", "cost", "saving");
        summary.row("before (as recorded)", Money.usdFineCell(r.before()), "");
        Map<String, BigDecimal> parts = r.savingByPart();
        long[] counts = {r.routed(), r.cacheHits(), r.trimmed(), r.capped(), r.selfHosted()};
        String[] what = {"requests routed", "cache hits", "prompts trimmed", "answers capped", "requests self-hosted"};
        int i = 0;
        for (var e : parts.entrySet()) {
            if (counts[i] > 0 || e.getValue().signum() != 0) {
                summary.row("  " + e.getKey() + " (" + String.format("%,d", counts[i]) + " " + what[i] + ")", "",
                        new Table.Cell(Money.usdFine(e.getValue()) + " (" + Money.percent(Money.ratio(e.getValue(), r.before())) + ")", e.getValue()));
            }
            i++;
        }
        summary.row("after", Money.usdFineCell(r.after()), new Table.Cell(Money.usdFine(r.saving()) + " (" + Money.percent(Money.ratio(r.saving(), r.before())) + ")", r.saving()));
        summary.note("Policy: " + String.join("; ", policy.describe()) + ".");
        if (policy.cacheTtl() != null) {
            summary.note("The ledger keeps no prompts: a repeat is a request with the same key, model, tags and prompt length within the TTL.");
        }
        if (policy.selfHost() != null) {
            summary.note("Self-hosted cost: GPU time from the calibrated throughput model at " + Money.usdFine(policy.selfHost().setup().gpuHourly())
                    + " per GPU-hour, " + Money.percent(policy.selfHost().setup().utilization()) + " busy; people and operations not included.");
        }
        if (r.unpriced() > 0) summary.note(String.format("%,d changes could not be priced (model without a catalog price) and kept their recorded cost.", r.unpriced()));
        summary.note(String.format("Replayed in %.1f s.", took.toMillis() / 1000.0));
        if (source != null) summary.note(source);
        tables.add(summary.build());
        Table.Builder models = Table.builder("By model (as served)", "model", "requests before", "requests after", "before", "after", "saving", "saving %");
        r.byModel().forEach((k, v) -> models.row(k, count(v.requests()), count(v.requestsAfter()), Money.usdFineCell(v.before()),
                Money.usdFineCell(v.after()), Money.usdFineCell(v.saving()), v.before().signum() == 0 ? "" : Money.percentCell(Money.ratio(v.saving(), v.before()))));
        models.note("Before: the model that served each request; after: the one that serves it under the policy ("
                + ReplayEngine.CACHE + " for cache hits, MODEL (self-hosted) on your GPUs).");
        tables.add(models.build());
        if (by != null) {
            Table.Builder t = Table.builder("By " + by, by, "requests", "before", "after", "saving", "saving %");
            r.byScope().forEach((k, v) -> t.row(k, count(v.requests()), Money.usdFineCell(v.before()),
                    Money.usdFineCell(v.after()), Money.usdFineCell(v.saving()), Money.percentCell(Money.ratio(v.saving(), v.before()))));
            tables.add(t.build());
        }
        return tables;
    }

    private static Table.Cell count(long n) {
        return new Table.Cell(String.format("%,d", n), n);
    }
}
