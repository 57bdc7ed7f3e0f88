package dev.tollgate.app.plan;

import dev.tollgate.app.GatewayLink;
import dev.tollgate.app.GatewayOptions;
import dev.tollgate.app.LedgerSource;
import dev.tollgate.planner.capacity.CapacityPlan;
import dev.tollgate.planner.capacity.CapacityPlanner;
import dev.tollgate.planner.capacity.SpotRisk;
import dev.tollgate.planner.capacity.UsageHour;
import dev.tollgate.planner.capacity.WorkloadType;
import dev.tollgate.planner.gpu.BuildVsBuy;
import dev.tollgate.planner.gpu.Efficiency;
import dev.tollgate.planner.gpu.Gpu;
import dev.tollgate.planner.gpu.ModelShape;
import dev.tollgate.planner.gpu.Precision;
import dev.tollgate.planner.gpu.ThroughputModel;
import dev.tollgate.store.duckdb.LedgerScan;
import dev.tollgate.planner.report.Money;
import dev.tollgate.planner.report.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** {@code tollgate plan capacity}: reserved, on-demand and spot from an hourly GPU usage history. */
@Command(name = "capacity", mixinStandardHelpOptions = true,
        description = "From hourly GPU usage (a CSV, or the ledger of a self-hosted provider), the reserved commitment that saves most (with the savings curve), the share left on demand, and which workload types to move to spot.")
public final class PlanCapacity extends PlanStep {

    @Option(names = "--usage", description = "CSV: hour,gpus[,workload] (workload: training, batch or realtime; default realtime).")
    Path usageFile;
    @Option(names = "--ledger-provider", description = "Instead of --usage: the self-hosted provider (as named in the gateway config) whose ledger traffic to size; GPUs per hour come from the throughput model.")
    String ledgerProvider;
    @Option(names = "--data", defaultValue = "data", description = "Data directory holding ledger.duckdb (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Mixin
    GatewayOptions.WithGatewayAlias gateway = new GatewayOptions.WithGatewayAlias();
    @Mixin
    LedgerSource ledger = new LedgerSource();
    @Option(names = "--from", description = "With --ledger-provider: history from (2026-10-01 or an ISO instant).")
    String from;
    @Option(names = "--to", description = "With --ledger-provider: history to (exclusive).")
    String to;
    @Option(names = "--shape", defaultValue = "llama-3-8b", description = "With --ledger-provider: the model it serves (default: ${DEFAULT-VALUE}).")
    String shapeName;
    @Option(names = "--precision", defaultValue = "bf16", description = "With --ledger-provider: bf16, fp8 or int4 (default: ${DEFAULT-VALUE}).")
    String precisionName;
    @Option(names = "--batch", defaultValue = "64", description = "With --ledger-provider: decode batch (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--utilization", defaultValue = "0.6", description = "With --ledger-provider: how busy the fleet runs at most; GPUs per hour = busy time / this (default: ${DEFAULT-VALUE}).")
    double utilization;
    @Option(names = "--gpu", defaultValue = "h100", description = "Whose built-in prices to use (default: ${DEFAULT-VALUE}).")
    String gpuName;
    @Option(names = "--on-demand", description = "On-demand price per GPU-hour.")
    BigDecimal onDemand;
    @Option(names = "--reserved", description = "Reserved price per GPU-hour (paid for every hour).")
    BigDecimal reserved;
    @Option(names = "--spot", description = "Spot price per GPU-hour.")
    BigDecimal spot;
    @Option(names = "--interruptions-per-hour", defaultValue = "0.05", description = "Spot preemptions per GPU-hour (default: ${DEFAULT-VALUE}).")
    double interruptions;
    @Option(names = "--restart-minutes", defaultValue = "15", description = "Time to replace a preempted GPU (default: ${DEFAULT-VALUE}).")
    double restartMinutes;
    @Option(names = "--checkpoint-minutes", defaultValue = "60", description = "Training checkpoint interval (default: ${DEFAULT-VALUE}).")
    double checkpointMinutes;
    @Option(names = "--batch-item-minutes", defaultValue = "6", description = "Length of a batch-inference work item (default: ${DEFAULT-VALUE}).")
    double batchItemMinutes;
    @Option(names = "--realtime-headroom", defaultValue = "0.5", description = "Spare spot capacity real-time serving would need (default: ${DEFAULT-VALUE}).")
    double headroom;
    @Option(names = "--term-months", defaultValue = "12", description = "Length of the commitment the reserved price needs, in months (default: ${DEFAULT-VALUE}).")
    int termMonths;
    @Mixin
    OutputOptions out;

    @Override
    String name() {
        return "capacity";
    }

    @Override
    int run() throws Exception {
        Gpu gpu = Gpu.named(gpuName).orElseThrow(() -> new IllegalArgumentException("unknown GPU '" + gpuName + "' (built in: " + Gpu.builtInNames()
                + "; for another, give its prices with --on-demand, --reserved and --spot and a built-in GPU of similar speed)"));
        BigDecimal od = onDemand != null ? onDemand : gpu.onDemandHourly();
        BigDecimal res = reserved != null ? reserved : gpu.reservedHourly();
        BigDecimal sp = spot != null ? spot : gpu.spotHourly();
        SpotRisk risk = new SpotRisk(interruptions, restartMinutes / 60, checkpointMinutes / 60, batchItemMinutes / 60, headroom);
        if ((usageFile == null) == (ledgerProvider == null)) {
            System.err.println("plan capacity: give either --usage FILE or --ledger-provider NAME");
            return 2;
        }
        List<UsageHour> usage = usageFile != null ? read(usageFile) : fromLedger(gpu);
        if (usage.isEmpty()) {
            System.err.println("plan capacity: no usage in " + (usageFile != null ? usageFile : "the ledger for provider '" + ledgerProvider + "'"));
            return 1;
        }
        CapacityPlan plan = new CapacityPlanner(od, res, sp, risk).plan(usage);

        List<Table> tables = new ArrayList<>();
        Table.Builder types = Table.builder("Workload types (on demand " + Money.usdFine(od) + ", reserved " + Money.usdFine(res) + ", spot " + Money.usdFine(sp) + " per GPU-hour)",
                "workload", "GPU-hours", "spot overhead", "spot per useful GPU-hour", "buy as");
        for (var e : plan.gpuHoursByType().entrySet()) {
            WorkloadType t = e.getKey();
            BigDecimal overhead = new BigDecimal(risk.overhead(t), new java.math.MathContext(12));
            types.row(t.name().toLowerCase(), new Table.Cell(e.getValue().stripTrailingZeros().toPlainString(), e.getValue()),
                    new Table.Cell(Money.percent(overhead) + (risk.onDemandFallback(t) > 0 ? " + fallback" : ""), overhead),
                    Money.usdFineCell(plan.spotCostPerUsefulHour().get(t)), plan.onSpot().contains(t) ? "spot" : "reserved + on demand");
        }
        types.note("Spot overhead: preemptions x (work lost since the last checkpoint or item start + restart); real-time serving keeps spare replicas and falls back to on demand while a replacement starts.");
        tables.add(types.build());

        if (termMonths < 1) throw new IllegalArgumentException("--term-months must be at least 1");
        // history amounts scaled to a month of 730 hours (365/12 days)
        BigDecimal perMonth = BuildVsBuy.HOURS_PER_MONTH.divide(BigDecimal.valueOf(plan.hours()), 12, RoundingMode.HALF_EVEN);
        int cheapest = plan.reservedGpus();
        int safe = plan.conservativeGpus();
        BigDecimal bestSaving = plan.saving();
        BigDecimal poolHours = plan.curve().getFirst().onDemandGpuHours();
        String spotTypes = plan.onSpot().isEmpty() ? "nothing" : String.join(", ", plan.onSpot().stream().map(t -> t.name().toLowerCase()).toList());
        Table.Builder purchase = Table.builder("Recommended purchase (per month of 730 hours)", "item", "cheapest", "conservative");
        purchase.row("reserved commitment", new Table.Cell(gpus(cheapest), cheapest), new Table.Cell(gpus(safe), safe));
        purchase.row("chosen as", "lowest cost over the history", "70% of the lowest day (" + plan.lowestDay().setScale(1, RoundingMode.HALF_EVEN).toPlainString() + " GPUs)");
        purchase.row("last reserved GPU busy", busyCell(plan, cheapest), busyCell(plan, safe));
        purchase.row("left on demand", onDemandCell(plan, cheapest, poolHours), onDemandCell(plan, safe, poolHours));
        purchase.row("moved to spot", spotTypes, spotTypes);
        purchase.row("all on demand", Money.usdCell(plan.allOnDemand().multiply(perMonth)), Money.usdCell(plan.allOnDemand().multiply(perMonth)));
        purchase.row("with this plan", Money.usdCell(plan.planned().multiply(perMonth)), Money.usdCell(plan.plannedWith(safe).multiply(perMonth)));
        BigDecimal safeSaving = plan.allOnDemand().subtract(plan.plannedWith(safe));
        purchase.row("saving", savingCell(bestSaving.multiply(perMonth), plan.allOnDemand().multiply(perMonth)),
                savingCell(safeSaving.multiply(perMonth), plan.allOnDemand().multiply(perMonth)));
        purchase.row("of the cheapest's saving", Money.percentCell(BigDecimal.ONE), Money.percentCell(Money.ratio(safeSaving, bestSaving)));
        BigDecimal termHours = BuildVsBuy.HOURS_PER_MONTH.multiply(BigDecimal.valueOf(termMonths));
        purchase.row("commitment over " + termMonths + " months", commitmentCell(cheapest, res, termHours), commitmentCell(safe, res, termHours));
        purchase.note("A reserved GPU pays off when it is busy more than " + Money.percent(plan.breakEven()) + " of hours (reserved "
                + Money.usdFine(res) + " / on demand " + Money.usdFine(od) + ").");
        if (cheapest > safe) {
            purchase.note((cheapest > safe + 1 ? "GPUs " + (safe + 1) + "-" + cheapest + " of the cheapest commitment are" : "GPU " + cheapest + " of the cheapest commitment is")
                    + " busy "
                    + Money.percent(plan.busy(safe + 1, cheapest)) + " of hours against that break-even, adding "
                    + Money.percent(Money.ratio(bestSaving.subtract(safeSaving), bestSaving)) + " of its saving.");
        }
        purchase.note("Costs scaled from the history's " + plan.hours() + " hours to a month of 730; the reserved price commits to "
                + termMonths + " months (--term-months), " + (plan.hours() < termHours.longValue() ? "longer than the history: the saving assumes its usage goes on." : "no longer than the history."));
        tables.add(purchase.build());

        Table.Builder curve = Table.builder("Savings curve of the reserved commitment (reserved + on-demand pool, per month)",
                "reserved GPUs", "pool cost", "saving vs on demand", "last GPU busy");
        List<CapacityPlan.Level> levels = plan.curve();
        int step = Math.max(1, levels.size() / 15);
        for (int i = 0; i < levels.size(); i++) {
            CapacityPlan.Level l = levels.get(i);
            if (i % step == 0 || l.reservedGpus() == cheapest || l.reservedGpus() == safe || i == levels.size() - 1) {
                String mark = l.reservedGpus() == cheapest ? " (cheapest)" : l.reservedGpus() == safe ? " (conservative)" : "";
                curve.row(new Table.Cell(l.reservedGpus() + mark, l.reservedGpus()), Money.usdCell(l.poolCost().multiply(perMonth)),
                        Money.usdCell(l.saving().multiply(perMonth)), l.reservedGpus() == 0 ? "" : Money.percentCell(l.lastGpuBusy()));
            }
        }
        tables.add(curve.build());
        out.print(tables);

        PlanCharts.Lines lines = new PlanCharts.Lines();
        for (CapacityPlan.Level l : levels) lines.add("saving vs all on demand", l.reservedGpus(), l.saving().multiply(perMonth).doubleValue());
        out.chart("capacity-savings", "Savings by reserved commitment", "reserved GPUs", "USD saved per month", lines.series());
        return 0;
    }

    /**
     * GPUs a self-hosted provider needed each hour: the replica time its traffic kept busy (throughput model), over
     * the target utilization, in whole replicas.
     */
    private List<UsageHour> fromLedger(Gpu gpu) {
        ModelShape shape = ModelShape.named(shapeName).orElseThrow(() -> new IllegalArgumentException("unknown model shape '" + shapeName + "'"));
        Precision precision = Precision.valueOf(precisionName.toUpperCase(java.util.Locale.ROOT));
        int gpus = ThroughputModel.replicaGpus(gpu, shape, precision, Efficiency.H100_CALIBRATED, 4096, batch);
        ThroughputModel replica = new ThroughputModel(gpu, gpus, shape, precision, Efficiency.H100_CALIBRATED);
        List<UsageHour> out = new ArrayList<>();
        for (LedgerScan.HourTokens h : hourlyTokens()) {
            double busyReplicaHours = replica.busySeconds(h.requests(), h.inputTokens(), h.outputTokens(), batch) / 3600;
            long replicas = (long) Math.ceil(busyReplicaHours / utilization - 1e-9);
            out.add(new UsageHour(h.hour(), BigDecimal.valueOf(replicas * gpus), WorkloadType.REALTIME));
        }
        return out;
    }

    /** The provider's traffic per hour: from the shared ledger (--ledger), the file, or the running gateway's admin API when it holds the file. */
    private List<LedgerScan.HourTokens> hourlyTokens() {
        Instant start = Inputs.instant(from);
        Instant end = Inputs.instant(to);
        if (ledger.shared()) {
            try (LedgerSource.Shared shared = ledger.open()) {
                return shared.ledger().scan(start, end, scan -> scan.hourlyTokens(start, end, ledgerProvider));
            } catch (Exception e) {
                throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
            }
        }
        try (LedgerScan scan = LedgerScan.open(dataDir)) {
            return scan.hourlyTokens(start, end, ledgerProvider);
        } catch (LedgerScan.LedgerBusyException busy) {
            GatewayLink link = gateway.link(dataDir);
            if (link.token() == null) {
                throw new IllegalStateException(busy.getMessage() + ", or give its admin token (--admin-token or TOLLGATE_ADMIN_TOKEN) to ask it");
            }
            String query = "/admin/spend?group_by=hour&provider=" + java.net.URLEncoder.encode(ledgerProvider, java.nio.charset.StandardCharsets.UTF_8)
                    + (start == null ? "" : "&from=" + start) + (end == null ? "" : "&to=" + end);
            List<LedgerScan.HourTokens> hours = new ArrayList<>();
            for (com.fasterxml.jackson.databind.JsonNode row : link.get(query).path("rows")) {
                hours.add(new LedgerScan.HourTokens(java.time.OffsetDateTime.parse(row.path("hour").asText()).toInstant(), row.path("requests").asLong(),
                        row.path("input_tokens").asLong(), row.path("output_tokens").asLong()));
            }
            hours.sort(java.util.Comparator.comparing(LedgerScan.HourTokens::hour));
            return hours;
        }
    }

    private static String gpus(int n) {
        return n + (n == 1 ? " GPU" : " GPUs");
    }

    private static Table.Cell busyCell(CapacityPlan plan, int gpus) {
        if (gpus == 0) return new Table.Cell("-", null);
        BigDecimal busy = plan.curve().get(gpus).lastGpuBusy();
        return new Table.Cell(Money.percent(busy) + " of hours", busy);
    }

    private static Table.Cell onDemandCell(CapacityPlan plan, int gpus, BigDecimal poolHours) {
        BigDecimal share = Money.ratio(plan.curve().get(gpus).onDemandGpuHours(), poolHours);
        return new Table.Cell(Money.percent(share) + " of the non-spot GPU-hours", share);
    }

    private static Table.Cell savingCell(BigDecimal saving, BigDecimal of) {
        return new Table.Cell(Money.usd(saving) + " (" + Money.percent(Money.ratio(saving, of)) + ")", saving);
    }

    private static Table.Cell commitmentCell(int gpus, BigDecimal reservedHourly, BigDecimal termHours) {
        return Money.usdCell(reservedHourly.multiply(BigDecimal.valueOf(gpus)).multiply(termHours));
    }

    static List<UsageHour> read(Path file) throws Exception {
        List<UsageHour> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file)) {
            int n = 0;
            for (String line; (line = r.readLine()) != null; ) {
                n++;
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#") || line.toLowerCase().startsWith("hour")) continue;
                String[] f = line.split(",");
                if (f.length < 2) throw new IllegalArgumentException(file + " line " + n + ": expected hour,gpus[,workload]");
                Instant hour = Inputs.instant(f[0]).truncatedTo(ChronoUnit.HOURS);
                out.add(new UsageHour(hour, new BigDecimal(f[1].strip()), f.length > 2 ? WorkloadType.parse(f[2]) : WorkloadType.REALTIME));
            }
        }
        return out;
    }
}
