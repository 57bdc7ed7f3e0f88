package dev.tollgate.app.plan;

import dev.tollgate.planner.report.Money;
import dev.tollgate.planner.report.Table;
import dev.tollgate.planner.scenario.Mix;
import dev.tollgate.planner.scenario.ModelCost;
import dev.tollgate.planner.scenario.Scenario;
import dev.tollgate.planner.scenario.ScenarioCalculator;
import dev.tollgate.planner.scenario.ScenarioReader;
import dev.tollgate.planner.scenario.Sensitivity;
import dev.tollgate.planner.scenario.TcoCost;
import dev.tollgate.planner.scenario.WorkloadCost;
import dev.tollgate.app.PricesCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** {@code tollgate plan scenario FILE}: what a use case costs, per model, with its TCO. */
@Command(name = "scenario", mixinStandardHelpOptions = true,
        description = "Price a scenario file: monthly cost per model, cost per call and conversation, input vs output, sensitivity, total cost of ownership.")
public final class PlanScenario extends PlanStep {

    @Parameters(paramLabel = "FILE", description = "The scenario (YAML); see examples/.")
    Path file;
    @Option(names = "--data", defaultValue = "data", description = "Data directory with imported prices (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Option(names = "--priced-on", description = "Use the prices in force on this day (default: today).")
    LocalDate pricedOn;
    @Mixin
    OutputOptions output;

    @Override
    String name() {
        return "scenario";
    }

    @Override
    int run() throws Exception {
        Scenario scenario;
        try (InputStream in = Files.newInputStream(file)) {
            scenario = ScenarioReader.read(in);
        }
        Instant at = pricedOn == null ? Instant.now() : pricedOn.atStartOfDay(ZoneOffset.UTC).toInstant();
        ScenarioCalculator calc = new ScenarioCalculator(PricesCommand.catalog(dataDir), at);
        List<ModelCost> costs = calc.costs(scenario);
        output.print(tables(scenario, calc, costs, LocalDate.ofInstant(at, ZoneOffset.UTC)));
        PlanCharts.Lines lines = new PlanCharts.Lines();
        for (ModelCost c : costs) {
            for (int m = 0; m < 12; m++) {
                BigDecimal month = BigDecimal.ZERO;
                for (WorkloadCost w : c.workloads()) {
                    BigDecimal growth = scenario.workloads().stream().filter(x -> x.name().equals(w.workload())).findFirst().orElseThrow().growthPerMonth();
                    month = month.add(w.monthly().multiply(BigDecimal.ONE.add(growth).pow(m)));
                }
                lines.add(c.model(), m + 1, month.add(c.fixedMonthly()).doubleValue());
            }
        }
        output.chart("scenario-monthly-cost", scenario.name() + ": monthly model cost", "month", "USD per month", lines.series());
        return 0;
    }

    static List<Table> tables(Scenario s, ScenarioCalculator calc, List<ModelCost> costs, LocalDate pricedOn) {
        List<Table> tables = new ArrayList<>();
        Table.Builder summary = Table.builder(s.name() + ": model usage per month (prices in force on " + pricedOn + ")",
                "model", "per month", "first 12 months", "calls/month", "per call", "input share", "output share");
        for (ModelCost c : costs) {
            summary.row(c.model(), Money.usdCell(c.monthly()), Money.usdCell(c.yearly()), new Table.Cell(count(c.monthlyCalls()), c.monthlyCalls()),
                    Money.usdFineCell(c.perCall()), Money.percentCell(c.inputShare()), Money.percentCell(BigDecimal.ONE.subtract(c.inputShare())));
        }
        String days = s.daysPerMonth().compareTo(Scenario.DEFAULT_DAYS_PER_MONTH) == 0 ? "365/12"
                : s.daysPerMonth().stripTrailingZeros().toPlainString();
        summary.note("A month is " + days + " days; the 12-month figure compounds each workload's monthly growth.");
        tables.add(summary.build());
        if (!s.mixes().isEmpty()) tables.addAll(mixTables(s, calc, costs));

        Table.Builder detail = Table.builder("Per workload", "workload", "model", "price", "tokens in/out per conv.",
                "cached in", "per conversation", "p90 conversation", "per month");
        for (ModelCost c : costs) {
            for (WorkloadCost w : c.workloads()) {
                detail.row(w.workload(), w.model(), w.priceVersion(), w.inputTokensPerConversation() + " / " + w.outputTokensPerConversation(),
                        w.cachedTokensPerConversation(), Money.usdFineCell(w.perConversation()), Money.usdFineCell(w.p90PerConversation()), Money.usdCell(w.monthly()));
            }
        }
        detail.note("p90: every message, context and answer at its 90th percentile (mean + 1.28 spread).");
        if (costs.stream().anyMatch(c -> c.fixedMonthly().signum() > 0)) {
            detail.note("Self-hosted models' fixed_monthly (people and operations) is in the per-model totals, not in these rows.");
        }
        tables.add(detail.build());

        List<String> cols = new ArrayList<>(List.of("driver", "change"));
        cols.addAll(s.models());
        Table.Builder sens = Table.builder("Sensitivity: change of the monthly bill when one driver moves", cols.toArray(String[]::new));
        for (Sensitivity row : calc.sensitivity(s)) {
            List<Object> cells = new ArrayList<>(List.of(row.driver(), row.change()));
            for (ModelCost c : costs) {
                BigDecimal d = row.monthlyChange().get(c.model());
                cells.add(new Table.Cell(Money.delta(d) + " (" + (d.signum() < 0 ? "" : "+") + Money.percent(Money.ratio(d, c.monthly())) + ")", d));
            }
            sens.row(cells.toArray());
        }
        sens.note("Sorted by the size of the change on " + s.models().getFirst() + ".");
        tables.add(sens.build());

        if (!s.tco().equals(dev.tollgate.planner.scenario.Tco.NONE) || s.outcome() != null) {
            List<TcoCost> tco = costs.stream().map(c -> calc.tco(s, c)).toList();
            List<String> tcols = new ArrayList<>(List.of("per month"));
            tco.forEach(t -> tcols.add(t.model()));
            Table.Builder t = Table.builder("Total cost of ownership", tcols.toArray(String[]::new));
            tcoRow(t, "model usage", tco, TcoCost::modelUsage);
            tcoRow(t, "compute", tco, TcoCost::compute);
            tcoRow(t, "infrastructure (storage, vector DB, egress)", tco, TcoCost::infrastructure);
            tcoRow(t, "people (engineering, operations)", tco, TcoCost::people);
            tcoRow(t, "security, compliance, monitoring", tco, TcoCost::securityComplianceMonitoring);
            tcoRow(t, "total per month", tco, TcoCost::monthly);
            tcoRow(t, "total, first 12 months", tco, TcoCost::yearly);
            if (s.outcome() != null) {
                List<Object> outcomes = new ArrayList<>(List.of(s.outcome().name() + "s per month"));
                tco.forEach(x -> outcomes.add(new Table.Cell(count(x.outcomesPerMonth()), x.outcomesPerMonth())));
                t.row(outcomes.toArray());
                List<Object> per = new ArrayList<>(List.of("cost per " + s.outcome().name()));
                tco.forEach(x -> per.add(Money.usdFineCell(x.perOutcome())));
                t.row(per.toArray());
                List<Object> human = new ArrayList<>(List.of("done by people"));
                tco.forEach(x -> human.add(new Table.Cell(Money.usdFine(x.humanPerOutcome()) + " (" + ratio(x.humanPerOutcome(), x.perOutcome()) + ")", x.humanPerOutcome())));
                t.row(human.toArray());
            }
            tables.add(t.build());
        }
        return tables;
    }

    /** Before (the first model that is not a mix) and after (each mix) with the saving, then each mix's tiers. */
    static List<Table> mixTables(Scenario s, ScenarioCalculator calc, List<ModelCost> costs) {
        List<Table> tables = new ArrayList<>();
        ModelCost before = s.before().flatMap(b -> costs.stream().filter(c -> c.model().equals(b)).findFirst()).orElse(null);
        Table.Builder ba = Table.builder("Before and after", "", "model", "per month", "first 12 months", "saving per month", "saving");
        if (before != null) ba.row("before", "all on " + before.model(), Money.usdCell(before.monthly()), Money.usdCell(before.yearly()), "", "");
        for (Mix mix : s.mixes()) {
            ModelCost after = costs.stream().filter(c -> c.model().equals(mix.name())).findFirst().orElseGet(() -> calc.cost(s, mix.name()));
            if (before == null) {
                ba.row("after", mix.name(), Money.usdCell(after.monthly()), Money.usdCell(after.yearly()), "", "");
                continue;
            }
            BigDecimal saving = before.monthly().subtract(after.monthly());
            ba.row("after", mix.name(), Money.usdCell(after.monthly()), Money.usdCell(after.yearly()), Money.usdCell(saving),
                    Money.percentCell(Money.ratio(saving, before.monthly())));
        }
        for (Mix mix : s.mixes()) ba.note(mix.name() + ": " + mix.describe() + ".");
        ba.note(before == null ? "Add a model that is not a mix to models: to compare with it."
                : "Before is the first model in models: that is not a mix. A response cache hit costs nothing; the prompt cache (cache_hit_rate) discounts prompts on every tier.");
        tables.add(ba.build());

        for (Mix mix : s.mixes()) {
            Table.Builder t = Table.builder("Tiers of " + mix.name() + " (per month)", "tier", "share", "calls/month", "price", "per month", "of the bill");
            List<ScenarioCalculator.TierCost> tiers = calc.tiers(s, mix);
            BigDecimal total = tiers.stream().map(ScenarioCalculator.TierCost::monthly).reduce(BigDecimal.ZERO, BigDecimal::add);
            for (ScenarioCalculator.TierCost tier : tiers) {
                boolean cache = tier.model() == null;
                t.row(cache ? "response cache" : tier.model(), Money.percentCell(tier.share()),
                        new Table.Cell(count(tier.monthlyCalls()), tier.monthlyCalls()), cache ? "a hit costs nothing" : tier.price(),
                        Money.usdCell(tier.monthly()), Money.percentCell(Money.ratio(tier.monthly(), total)));
            }
            t.note("Tier shares are of the calls the response cache leaves (" + Money.percent(mix.served()) + " of all calls).");
            for (ScenarioCalculator.TierCost tier : tiers) {
                if (tier.model() == null) continue;
                s.selfHosted(tier.model()).ifPresent(h -> {
                    BigDecimal gpuHours = Money.ratio(tier.monthly().subtract(h.fixedMonthly()), h.gpuHourly());
                    BigDecimal hours = s.daysPerMonth().multiply(BigDecimal.valueOf(24));
                    BigDecimal gpus = gpuHours.divide(hours, 1, RoundingMode.HALF_EVEN);
                    // a small tier runs a fraction of a GPU: two significant digits, not "0.0 GPUs"
                    if (gpus.compareTo(new BigDecimal("0.1")) < 0) gpus = gpuHours.divide(hours, new java.math.MathContext(2, RoundingMode.HALF_EVEN));
                    t.note(tier.model() + ": " + count(gpuHours) + " paid GPU-hours a month (the hours of "
                            + gpus.toPlainString() + " " + h.gpu().name()
                            + " GPUs running all month) plus " + Money.usd(h.fixedMonthly()) + " a month of people and operations (fixed_monthly).");
                });
            }
            tables.add(t.build());
        }
        return tables;
    }

    private static String ratio(BigDecimal human, BigDecimal machine) {
        if (machine.signum() == 0) return "-";
        return human.divide(machine, 1, RoundingMode.HALF_EVEN).toPlainString() + "x";
    }

    private static void tcoRow(Table.Builder t, String label, List<TcoCost> tco, Function<TcoCost, BigDecimal> f) {
        List<Object> cells = new ArrayList<>(List.of(label));
        tco.forEach(x -> cells.add(Money.usdCell(f.apply(x))));
        t.row(cells.toArray());
    }

    static String count(BigDecimal v) {
        return String.format("%,d", v.setScale(0, RoundingMode.HALF_EVEN).longValueExact());
    }
}
