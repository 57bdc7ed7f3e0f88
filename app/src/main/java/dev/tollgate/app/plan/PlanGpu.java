package dev.tollgate.app.plan;

import dev.tollgate.app.PricesCommand;
import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.planner.gpu.BuildVsBuy;
import dev.tollgate.planner.gpu.Calibration;
import dev.tollgate.planner.gpu.Efficiency;
import dev.tollgate.planner.gpu.Gpu;
import dev.tollgate.planner.gpu.ModelShape;
import dev.tollgate.planner.gpu.Precision;
import dev.tollgate.planner.gpu.ThroughputModel;
import dev.tollgate.planner.report.Money;
import dev.tollgate.planner.report.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.tollgate.planner.scenario.ModelCost;
import dev.tollgate.planner.scenario.Scenario;
import dev.tollgate.planner.scenario.ScenarioCalculator;
import dev.tollgate.planner.scenario.ScenarioReader;
import dev.tollgate.planner.scenario.WorkloadCost;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/** {@code tollgate plan gpu}: self-hosting a model on GPUs against paying an API. */
@Command(name = "gpu", mixinStandardHelpOptions = true,
        description = "Build vs buy: throughput and cost per million tokens of a self-hosted model, GPUs needed, and the volume from which self-hosting beats each API model.")
public final class PlanGpu extends PlanStep {

    @Option(names = "--gpu", defaultValue = "h100", description = "h100, h200, a100, l40s or l4, one defined under gpus: in the --scenario file, "
            + "or any name with --gpu-memory-gb, --gpu-bandwidth, --gpu-tflops and --hourly (default: ${DEFAULT-VALUE}).")
    String gpuName;
    @Option(names = "--gpu-memory-gb", description = "A GPU of your own: its memory in GB.")
    Double gpuMemoryGb;
    @Option(names = "--gpu-bandwidth", description = "A GPU of your own: its memory bandwidth in TB/s.")
    Double gpuBandwidth;
    @Option(names = "--gpu-tflops", description = "A GPU of your own: its dense bf16 TFLOP/s.")
    Double gpuTflops;
    @Option(names = "--days-per-month", description = "Days in a month for monthly figures (default: 365/12, a 730-hour month; the scenario's with --scenario).")
    BigDecimal daysPerMonth;
    @Option(names = "--pricing", defaultValue = "on-demand", description = "on-demand, spot or reserved (default: ${DEFAULT-VALUE}).")
    String pricing;
    @Option(names = "--hourly", description = "Your price of one GPU hour (overrides the built-in price).")
    BigDecimal hourly;
    @Option(names = "--model", defaultValue = "llama-3-8b", description = "Model shape: llama-3-8b, llama-3-70b, llama-3.1-405b, mistral-7b, qwen2.5-32b, or custom with --params (default: ${DEFAULT-VALUE}).")
    String modelName;
    @Option(names = "--params", description = "Custom model: parameters (e.g. 8.03e9).")
    Double params;
    @Option(names = "--layers", description = "Custom model: layers.")
    Integer layers;
    @Option(names = "--hidden", description = "Custom model: hidden size.")
    Integer hidden;
    @Option(names = "--kv-heads", description = "Custom model: key/value heads.")
    Integer kvHeads;
    @Option(names = "--head-dim", defaultValue = "128", description = "Custom model: head dimension (default: ${DEFAULT-VALUE}).")
    int headDim;
    @Option(names = "--vocab", defaultValue = "128256", description = "Custom model: vocabulary (default: ${DEFAULT-VALUE}).")
    int vocab;
    @Option(names = "--precision", defaultValue = "bf16", description = "bf16, fp8 or int4 weights (default: ${DEFAULT-VALUE}).")
    String precisionName;
    @Option(names = "--gpus", description = "GPUs per replica (default: the fewest of 1, 2, 4, 8 with room for a batch of 64).")
    Integer gpus;
    @Option(names = "--input", defaultValue = "1000", description = "Prompt tokens per request (default: ${DEFAULT-VALUE}).")
    long input;
    @Option(names = "--output", defaultValue = "300", description = "Generated tokens per request (default: ${DEFAULT-VALUE}).")
    long output;
    @Option(names = "--batch", description = "Sequences decoded together (default: what memory allows, at most 256).")
    Integer batch;
    @Option(names = "--utilization", defaultValue = "0.6", description = "Share of paid GPU hours serving traffic (default: ${DEFAULT-VALUE}).")
    double utilization;
    @Option(names = "--fixed-monthly", defaultValue = "4000", description = "People and operations cost of running it, USD per month (default: ${DEFAULT-VALUE}, a quarter of an engineer).")
    BigDecimal fixedMonthly;
    @Option(names = "--requests-per-day", description = "Size a deployment for this volume.")
    Long requestsPerDay;
    @Option(names = "--scenario", description = "Take volume, tokens per call and the API models to compare from a scenario file.")
    Path scenarioFile;
    @Option(names = "--compare", split = ",", defaultValue = "gpt-4.1-nano,gpt-4o-mini,claude-haiku-4-5,gpt-4.1-mini,gpt-4o",
            description = "API models to compare with (default: ${DEFAULT-VALUE}).")
    List<String> compare;
    @Option(names = "--calibration", description = "Refit the efficiency factors to this CSV of measurements (phase,batch,context,ms_per_step).")
    Path calibration;
    @Option(names = "--data", defaultValue = "data", description = "Data directory with imported prices (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Mixin
    OutputOptions out;

    /** With --scenario: each API model's real cost per call (prompt caching included). */
    private final java.util.Map<String, BigDecimal> scenarioPerCall = new java.util.HashMap<>();

    @Override
    String name() {
        return "gpu";
    }

    @Override
    int run() throws Exception {
        Gpu gpu = gpu();
        Gpu.Pricing option = Gpu.Pricing.valueOf(pricing.toUpperCase(Locale.ROOT).replace('-', '_'));
        ModelShape shape = params != null
                ? new ModelShape("custom", params, need(layers, "--layers"), need(hidden, "--hidden"), need(kvHeads, "--kv-heads"), headDim, vocab)
                : ModelShape.named(modelName).orElseThrow(() -> new IllegalArgumentException("unknown model shape '" + modelName + "'; give a custom one with --params, --layers, --hidden, --kv-heads"));
        Precision precision = Precision.valueOf(precisionName.toUpperCase(Locale.ROOT));
        String sizedFor = null;
        if (scenarioFile != null) sizedFor = fromScenario();
        if (daysPerMonth == null) daysPerMonth = Scenario.DEFAULT_DAYS_PER_MONTH;
        if (daysPerMonth.signum() <= 0) throw new IllegalArgumentException("--days-per-month must be above 0");
        boolean averageMonth = daysPerMonth.compareTo(Scenario.DEFAULT_DAYS_PER_MONTH) == 0;
        BigDecimal hoursPerMonth = averageMonth ? BuildVsBuy.HOURS_PER_MONTH : BuildVsBuy.hoursIn(daysPerMonth);
        String month = (averageMonth ? "365/12" : daysPerMonth.stripTrailingZeros().toPlainString()) + " days, "
                + hoursPerMonth.stripTrailingZeros().toPlainString() + " hours";
        Efficiency efficiency = Efficiency.H100_CALIBRATED;
        if (calibration != null) {
            try (Reader r = Files.newBufferedReader(calibration)) {
                efficiency = Calibration.fit(gpu, shape, precision, Calibration.read(r));
            }
        }
        int replicaGpus = gpus != null ? gpus : ThroughputModel.replicaGpus(gpu, shape, precision, efficiency, input + output, 64);
        ThroughputModel replica = new ThroughputModel(gpu, replicaGpus, shape, precision, efficiency);
        double context = input + output / 2.0;
        int maxBatch = replica.maxBatch(input + output);
        if (maxBatch < 1) throw new IllegalArgumentException("the model does not fit on " + replicaGpus + " " + gpu.name() + " with this context; use more --gpus");
        int atBatch = batch != null ? batch : Math.min(maxBatch, 256);
        BigDecimal price = hourly != null ? hourly : gpu.hourly(option);
        BuildVsBuy setup = new BuildVsBuy(replica, price, atBatch, utilization, input, output, fixedMonthly, hoursPerMonth);

        List<Table> tables = new ArrayList<>();
        tables.add(Table.builder("Replica", "item", "value")
                .row("GPU", replicaGpus + " x " + gpu.name() + " (" + fmt(gpu.memoryGb()) + " GB, " + fmt(gpu.bandwidthTbPerS()) + " TB/s, " + fmt(gpu.bf16Tflops()) + " bf16 TFLOP/s)")
                .row("price", (price.stripTrailingZeros().scale() <= 2 ? Money.usd(price) : Money.usdFine(price)) + " per GPU-hour (" + (hourly != null ? "given" : pricing) + "), " + Money.usd(setup.replicaMonthly())
                        + " per replica-month (" + month + ")")
                .row("model", shape.name() + ", " + fmt(shape.parameters() / 1e9) + "B parameters, " + precisionName + ": " + fmt(replica.weightBytes() / 1e9) + " GB of weights")
                .row("KV cache", fmt(shape.kvBytesPerToken() / 1024) + " KiB per token")
                .row("largest batch", maxBatch + " sequences of " + (input + output) + " tokens (90% of memory)")
                .row("efficiency", String.format("weights %.3f, KV %.3f of peak bandwidth; exposed compute %.3f; prefill %.3f of peak FLOP/s%s",
                        efficiency.weightBandwidth(), efficiency.kvBandwidth(), efficiency.exposedCompute(), efficiency.prefillFlops(),
                        calibration != null ? " (fitted to " + calibration + ")" : " (fitted to H100 measurements)"))
                .build());

        TreeSet<Integer> batches = new TreeSet<>(List.of(1, 8, 32, 64, 128, 256));
        batches.removeIf(b -> b > maxBatch);
        batches.add(maxBatch);
        batches.add(atBatch);
        double[] utils = {0.1, 0.25, 0.5, 0.75, 1.0};
        Table.Builder perf = Table.builder("Throughput per replica (" + input + " tokens in, " + output + " out)",
                "batch", "decode step", "decode tokens/s", "requests/s", "$/M tokens @10%", "@25%", "@50%", "@75%", "@100% busy");
        for (int b : batches) {
            double stepMs = replica.decodeStepSeconds(b, context) * 1000;
            long tokensPerSecond = Math.round(replica.decodeTokensPerSecond(b, context));
            double requestsPerSecond = 1 / setup.secondsPerRequest(b);
            List<Object> row = new ArrayList<>(List.of(b, Table.Cell.measure(stepMs, " ms"),
                    new Table.Cell(String.format("%,d", tokensPerSecond), tokensPerSecond), Table.Cell.measure(requestsPerSecond, "")));
            for (double u : utils) row.add(Money.usdFineCell(setup.costPerMillionTokens(b, u)));
            perf.row(row.toArray());
        }
        perf.note("Cost per million tokens counts input and output together; 'busy' is the share of paid hours serving traffic.");
        if (sizedFor != null) perf.note("Volume and mean tokens per call from the scenario '" + sizedFor + "'; API prices per call include its prompt caching.");
        tables.add(perf.build());

        if (requestsPerDay != null) {
            BigDecimal perMonth = BigDecimal.valueOf(requestsPerDay).multiply(daysPerMonth);
            long replicas = setup.replicasFor(perMonth);
            BigDecimal monthly = setup.selfHostedMonthly(perMonth);
            tables.add(Table.builder("Deployment for " + String.format("%,d", requestsPerDay) + " requests a day (batch " + atBatch + ", " + Money.percent(utilization) + " busy)", "item", "value")
                    .row("replicas", replicas)
                    .row("GPUs", replicas * replicaGpus + " x " + gpu.name())
                    .row("GPU cost per month", Money.usdCell(setup.replicaMonthly().multiply(BigDecimal.valueOf(replicas))))
                    .row("people and operations", Money.usdCell(fixedMonthly))
                    .row("total per month", Money.usdCell(monthly))
                    .row("per request", Money.usdFineCell(Money.ratio(monthly, perMonth)))
                    .note("A month is " + month + ".")
                    .build());
        }

        PriceCatalog catalog = PricesCommand.catalog(dataDir);
        Table.Builder vs = Table.builder("Build vs buy (self-hosted at batch " + atBatch + ", " + Money.percent(utilization) + " busy, "
                        + Money.usd(fixedMonthly) + "/month people and operations)",
                "API model", "API per request", "self-hosted GPU per request", "self-hosting wins from", "tokens per month", "API bill there");
        PlanCharts.Lines lines = new PlanCharts.Lines();
        BigDecimal selfPerRequest = setup.costPerRequest(atBatch, utilization);
        double maxCross = 0;
        List<BigDecimal[]> apis = new ArrayList<>();
        for (String m : compare) {
            BigDecimal api = scenarioPerCall.containsKey(m) ? scenarioPerCall.get(m)
                    : catalog.priceAt(m, Instant.now()).orElseThrow(() -> new IllegalArgumentException("no price for '" + m + "'"))
                    .cost(new Usage(input, 0, 0, 0, output, 0)).total();
            BigDecimal cross = setup.crossoverRequestsPerMonth(api);
            apis.add(new BigDecimal[] {api});
            if (cross == null) {
                vs.row(m, Money.usdFineCell(api), Money.usdFineCell(selfPerRequest), "never", "", "");
            } else {
                BigDecimal perDay = cross.divide(daysPerMonth, 0, RoundingMode.CEILING);
                maxCross = Math.max(maxCross, perDay.doubleValue());
                vs.row(m, Money.usdFineCell(api), Money.usdFineCell(selfPerRequest),
                        new Table.Cell(String.format("%,d requests/day", perDay.longValueExact()), perDay.longValueExact()),
                        new Table.Cell(String.format("%,.0fM", cross.multiply(BigDecimal.valueOf(input + output)).doubleValue() / 1e6),
                                cross.multiply(BigDecimal.valueOf(input + output)).setScale(0, RoundingMode.HALF_EVEN)),
                        Money.usdCell(cross.multiply(api)));
            }
        }
        vs.note("'never': the API costs less per request than a fully busy replica. Compare models of similar quality.");
        tables.add(vs.build());
        out.print(tables);

        // the x axis runs a little past the last crossover, so every break-even is in view; API lines are straight
        // (two points), the self-hosted one steps up a replica at a time (sampled finely)
        double top = PlanCharts.round(maxCross > 0 ? maxCross * 1.25 : 1_000_000);
        String selfHosted = "self-hosted " + shape.name() + " on " + gpu.name();
        List<PlanCharts.Mark> marks = new ArrayList<>();
        double last = Double.NaN;
        for (int i = 0; i <= 1000; i++) {   // one point at each end of each step: a small SVG
            double perDay = top * i / 1000;
            double monthly = setup.selfHostedMonthly(BigDecimal.valueOf(perDay).multiply(daysPerMonth)).doubleValue();
            if (monthly != last || i == 1000) {
                if (i > 0 && monthly != last) lines.add(selfHosted, top * (i - 1) / 1000, last);
                lines.add(selfHosted, perDay, monthly);
                last = monthly;
            }
        }
        for (int k = 0; k < compare.size(); k++) {
            BigDecimal api = apis.get(k)[0];
            BigDecimal cross = setup.crossoverRequestsPerMonth(api);
            String label = compare.get(k);
            if (cross != null) {
                BigDecimal perDay = cross.divide(daysPerMonth, 0, RoundingMode.CEILING);
                label += String.format(" (break-even %,d/day)", perDay.longValueExact());
                marks.add(new PlanCharts.Mark(label, perDay.doubleValue(), cross.multiply(api).doubleValue()));
            }
            lines.add(label, 0, 0).add(label, top, BigDecimal.valueOf(top).multiply(daysPerMonth).multiply(api).doubleValue());
        }
        // the top leaves room above the self-hosted line; steeper API lines leave the chart there
        double selfAtTop = setup.selfHostedMonthly(BigDecimal.valueOf(top).multiply(daysPerMonth)).doubleValue();
        out.chart("build-vs-buy", new PlanCharts.Spec("Monthly cost: self-hosted " + shape.name() + " vs APIs (dots: break-even)",
                "requests per day", "USD per month", lines.series(), marks, selfAtTop * 2));
        return 0;
    }

    /** Calls per day and mean tokens per call of every workload together; the scenario's models become the comparison. */
    private String fromScenario() throws Exception {
        Scenario scenario;
        try (InputStream in = Files.newInputStream(scenarioFile)) {
            scenario = ScenarioReader.read(in);
        }
        ScenarioCalculator calc = new ScenarioCalculator(PricesCommand.catalog(dataDir), Instant.now());
        ModelCost any = calc.cost(scenario, scenario.models().getFirst());
        BigDecimal callsPerDay = BigDecimal.ZERO;
        BigDecimal in = BigDecimal.ZERO;
        BigDecimal outTokens = BigDecimal.ZERO;
        for (int i = 0; i < scenario.workloads().size(); i++) {
            var w = scenario.workloads().get(i);
            WorkloadCost c = any.workloads().get(i);
            callsPerDay = callsPerDay.add(w.conversationsPerDay().multiply(BigDecimal.valueOf(w.turns())));
            in = in.add(w.conversationsPerDay().multiply(BigDecimal.valueOf(c.inputTokensPerConversation())));
            outTokens = outTokens.add(w.conversationsPerDay().multiply(BigDecimal.valueOf(c.outputTokensPerConversation())));
        }
        requestsPerDay = callsPerDay.setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        input = in.divide(callsPerDay, 0, RoundingMode.HALF_EVEN).longValueExact();
        output = outTokens.divide(callsPerDay, 0, RoundingMode.HALF_EVEN).longValueExact();
        // the scenario's catalog models: its mixes and self-hosted models are not APIs to compare with
        compare = scenario.models().stream().filter(m -> scenario.mix(m).isEmpty() && scenario.selfHosted(m).isEmpty()).toList();
        if (daysPerMonth == null) daysPerMonth = scenario.daysPerMonth();
        for (String m : compare) scenarioPerCall.put(m, calc.cost(scenario, m).perCall());
        return scenario.name();
    }

    /** --gpu: built in, defined in the --scenario file, or described by the --gpu-* options. */
    private Gpu gpu() throws Exception {
        if (gpuMemoryGb != null || gpuBandwidth != null || gpuTflops != null) {
            if (gpuMemoryGb == null || gpuBandwidth == null || gpuTflops == null || hourly == null) {
                throw new IllegalArgumentException("a GPU of your own needs --gpu-memory-gb, --gpu-bandwidth, --gpu-tflops and --hourly");
            }
            return Gpu.custom(gpuName, gpuMemoryGb, gpuBandwidth, gpuTflops, hourly);
        }
        if (scenarioFile != null) {
            try (InputStream in = Files.newInputStream(scenarioFile)) {
                for (Gpu g : ScenarioReader.definedGpus(in)) if (g.name().equalsIgnoreCase(gpuName)) return g;
            }
        }
        return Gpu.named(gpuName).orElseThrow(() -> new IllegalArgumentException("unknown GPU '" + gpuName + "' (built in: " + Gpu.builtInNames()
                + "; describe another with --gpu-memory-gb, --gpu-bandwidth, --gpu-tflops and --hourly)"));
    }

    private static int need(Integer v, String flag) {
        if (v == null) throw new IllegalArgumentException("a custom model needs " + flag);
        return v;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.format("%.0f", v) : String.format("%.2f", v);
    }
}
