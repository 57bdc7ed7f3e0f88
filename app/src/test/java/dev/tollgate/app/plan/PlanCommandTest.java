package dev.tollgate.app.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import dev.tollgate.store.duckdb.DuckDbLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The plan commands run in-process through picocli, as a user runs them. */
class PlanCommandTest {

    record Run(int exit, String out, String err) {
        /** The JSON printed; every JSON test also checks that no number in it has a floating-point tail (0.30000000000000004). */
        JsonNode json() throws Exception {
            JsonNode json = new ObjectMapper().readTree(out);
            assertThat(out).doesNotContainPattern("[0-9]\\.[0-9]{13,}");
            return json;
        }

        JsonNode table(String titleStart) throws Exception {
            for (JsonNode t : json().path("tables")) if (t.path("title").asText().startsWith(titleStart)) return t;
            throw new AssertionError("no table '" + titleStart + "' in " + out);
        }
    }

    static Run run(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            int exit = new CommandLine(new PlanCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    /** The row of an item/value table whose item is {@code name}. */
    static JsonNode item(JsonNode rows, String name) {
        for (JsonNode row : rows) if (row.path("item").asText().equals(name)) return row;
        throw new AssertionError("no row '" + name + "' in " + rows);
    }

    @Test
    void aScenarioFileThroughTheShortcut(@TempDir Path dir) throws Exception {
        Run r = run("../examples/support-chatbot.yaml", "--format", "json", "--priced-on", "2026-11-01", "--data", dir.toString());
        assertThat(r.exit()).isZero();
        JsonNode summary = r.table("Support chatbot: model usage per month");
        assertThat(summary.path("rows")).hasSize(4);
        assertThat(summary.path("rows").get(0).path("model").asText()).isEqualTo("gpt-4o-mini");
        // 50,000 conversations of 6 calls, 365/12 days: 9,125,000 calls a month, as a number
        assertThat(summary.path("rows").get(0).path("calls/month").decimalValue()).isEqualByComparingTo("9125000");
        assertThat(r.table("Total cost of ownership").path("rows").toString()).contains("cost per resolved conversation");
        assertThat(r.table("Sensitivity").path("rows")).hasSize(8);
    }

    @Test
    void aTieredScenarioPrintsBeforeAndAfter(@TempDir Path dir) throws Exception {
        Run r = run("../examples/tiered-support-plan.yaml", "--format", "json", "--priced-on", "2026-12-01", "--data", dir.toString());
        assertThat(r.exit()).isZero();
        JsonNode rows = r.table("Before and after").path("rows");
        assertThat(rows).hasSize(2);
        BigDecimal before = rows.get(0).path("per month").decimalValue();
        BigDecimal after = rows.get(1).path("per month").decimalValue();
        assertThat(rows.get(1).path("model").asText()).isEqualTo("tiered");
        // amounts come to twelve decimal places
        BigDecimal ulp = new BigDecimal("0.00000000001");
        assertThat(rows.get(1).path("saving per month").decimalValue()).isCloseTo(before.subtract(after), org.assertj.core.api.Assertions.within(ulp));
        assertThat(rows.get(1).path("saving").decimalValue()).isCloseTo(
                before.subtract(after).divide(before, 12, java.math.RoundingMode.HALF_EVEN), org.assertj.core.api.Assertions.within(ulp));
        JsonNode tiers = r.table("Tiers of tiered").path("rows");
        assertThat(tiers).hasSize(4);
        assertThat(tiers.get(3).path("tier").asText()).isEqualTo("response cache");
        // the tiers add up to the mix
        BigDecimal sum = BigDecimal.ZERO;
        for (JsonNode t : tiers) sum = sum.add(t.path("per month").decimalValue());
        assertThat(sum).isCloseTo(after, org.assertj.core.api.Assertions.within(ulp));
    }

    @Test
    void aSmallSelfHostedTierIsPricedByItsGpuTimeAndSaysWhatShareOfAGpuItRuns(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("mix.yaml");
        Files.writeString(scenario, """
                name: small mix
                models: [gpt-4o, mix]
                workloads:
                  - {name: w, requests_per_day: 10000, turns: 1, input_tokens: 1000, output_tokens: 500}
                gpus:
                  - {name: my-l4, memory_gb: 24, bandwidth_tb_per_s: 0.3, bf16_tflops: 121, hourly: 0.70}
                self_hosted:
                  - {name: sh, gpu: my-l4, gpus: 1, decode_tokens_per_second: 1000, prefill_tokens_per_second: 10000,
                     utilization: 0.5, fixed_monthly: 0}
                mixes:
                  - name: mix
                    response_cache_hit_rate: 0.25
                    tiers: [{model: gpt-4o-mini, share: 0.5}, {model: gpt-4o, share: 0.2}, {model: sh, share: 0.3}]
                """);
        Run r = run(scenario.toString(), "--format", "json", "--priced-on", "2026-12-01", "--data", dir.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        // 10,000 calls a day over 365/12 days = 304,166.67 a month; gpt-4o $2.50/$10 per M: $0.0075 a call, $2,281.25.
        // After: 75% reach a tier (228,125). gpt-4o-mini ($0.15/$0.60 per M, $0.00045 a call) 114,062.5 calls: $51.328125;
        // gpt-4o 45,625: $342.1875; sh 68,437.5 calls of 0.1 s prefill + 0.5 s decode, / 0.5 busy = 1.2 s at $0.70/h:
        // $15.96875 and 22.8 GPU-hours (0.031 of a 730-hour month). In all $409.484375.
        JsonNode rows = r.table("Before and after").path("rows");
        java.util.function.Function<String, org.assertj.core.data.Offset<BigDecimal>> near = s -> org.assertj.core.api.Assertions.within(new BigDecimal(s));
        assertThat(rows.get(0).path("per month").decimalValue()).isEqualByComparingTo("2281.25");
        assertThat(rows.get(1).path("per month").decimalValue()).isCloseTo(new BigDecimal("409.484375"), near.apply("0.000000001"));
        assertThat(rows.get(1).path("saving per month").decimalValue()).isCloseTo(new BigDecimal("1871.765625"), near.apply("0.000000001"));
        JsonNode tiers = r.table("Tiers of mix");
        assertThat(tiers.path("rows").get(2).path("per month").decimalValue()).isCloseTo(new BigDecimal("15.96875"), near.apply("0.000000001"));
        assertThat(tiers.path("notes").toString()).contains("sh: 23 paid GPU-hours a month (the hours of 0.031 my-l4 GPUs running all month)");
    }

    @Test
    void buildVsBuyWithChartsAndCsv(@TempDir Path dir) throws Exception {
        Run r = run("gpu", "--requests-per-day", "100000", "--format", "csv", "--chart", dir.toString(), "--data", dir.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("# Build vs buy").contains("gpt-4o-mini").contains("# Deployment for 100,000 requests a day");
        assertThat(dir.resolve("build-vs-buy.png")).isNotEmptyFile();
        assertThat(Files.readString(dir.resolve("build-vs-buy.svg"))).contains("<svg");
    }

    @Test
    void gpuMonthsHaveTheDaysYouSayAndJsonGivesNumbers(@TempDir Path dir) throws Exception {
        // an A100 at $4.10 an hour: 4.10 * 720 = 2,952 in a 30-day month, 4.10 * 730 = 2,993 in an average one
        Run thirty = run("gpu", "--gpu", "a100", "--hourly", "4.10", "--days-per-month", "30", "--requests-per-day", "200000",
                "--format", "json", "--data", dir.toString());
        assertThat(thirty.exit()).isZero();
        JsonNode deployment = thirty.table("Deployment for 200,000 requests a day");
        assertThat(deployment.path("rows").get(2).path("value").decimalValue()).isEqualByComparingTo("2952");
        assertThat(deployment.path("notes").get(0).asText()).isEqualTo("A month is 30 days, 720 hours.");
        JsonNode throughput = thirty.table("Throughput per replica").path("rows").get(0);
        assertThat(throughput.path("decode tokens/s").isIntegralNumber()).isTrue();
        assertThat(throughput.path("requests/s").isNumber()).isTrue();
        assertThat(throughput.path("decode step").isNumber()).isTrue();

        Run average = run("gpu", "--gpu", "a100", "--hourly", "4.10", "--requests-per-day", "200000", "--format", "json", "--data", dir.toString());
        assertThat(average.table("Deployment for 200,000 requests a day").path("rows").get(2).path("value").decimalValue()).isEqualByComparingTo("2993");
        assertThat(average.table("Replica").toString()).contains("per replica-month (365/12 days, 730 hours)");
    }

    @Test
    void gpuStepTimesAreRoundedNumbersAsComputedByHand(@TempDir Path dir) throws Exception {
        // 1.001e9 parameters, 1e6 of them the input embedding (1000 x 1000): 1e9 streamed, 2e9 bytes in bf16, 2e9
        // FLOPs per token; KV 2 x 10 layers x 1 head x 100 x 2 bytes = 4000 bytes per token; context 1000 + 300/2 = 1150;
        // a card of 1 TB/s and 100 TFLOP/s, with the H100 efficiencies (0.671, 0.938, 0.584, 0.598). Batch 1:
        // 2e9/(1e12*0.671) + 1150*4000/(1e12*0.938) + 0.584*2e9/1e14 = 2.99721 ms -> 3.00, 333.64 tokens/s -> 334,
        // prefill 1000*2e9/(1e14*0.598) = 33.44 ms, a request 33.44 + 300*2.99721 = 932.61 ms -> 1.07 requests/s.
        // Batch 8: 2.98063 + 8*0.00490405 + 8*0.01168 = 3.11330 ms, 8/3.11330 ms = 2,569.6 tokens/s -> 2570,
        // a request 33.44 + 300*3.11330/8 = 150.20 ms -> 6.66 requests/s.
        Run r = run("gpu", "--gpu", "card", "--gpu-memory-gb", "80", "--gpu-bandwidth", "1", "--gpu-tflops", "100", "--hourly", "2",
                "--params", "1.001e9", "--layers", "10", "--hidden", "1000", "--kv-heads", "1", "--head-dim", "100", "--vocab", "1000",
                "--input", "1000", "--output", "300", "--format", "json", "--data", dir.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode rows = r.table("Throughput per replica").path("rows");
        JsonNode one = rows.get(0);
        assertThat(one.path("batch").asInt()).isEqualTo(1);
        assertThat(one.path("decode step").decimalValue()).isEqualByComparingTo("3.00");
        assertThat(one.path("decode tokens/s").asLong()).isEqualTo(334);
        assertThat(one.path("requests/s").decimalValue()).isEqualByComparingTo("1.07");
        JsonNode eight = rows.get(1);
        assertThat(eight.path("batch").asInt()).isEqualTo(8);
        assertThat(eight.path("decode step").decimalValue()).isEqualByComparingTo("3.11");
        assertThat(eight.path("decode tokens/s").asLong()).isEqualTo(2570);
        assertThat(eight.path("requests/s").decimalValue()).isEqualByComparingTo("6.66");

        Run table = run("gpu", "--gpu", "card", "--gpu-memory-gb", "80", "--gpu-bandwidth", "1", "--gpu-tflops", "100", "--hourly", "2",
                "--params", "1.001e9", "--layers", "10", "--hidden", "1000", "--kv-heads", "1", "--head-dim", "100", "--vocab", "1000",
                "--data", dir.toString());
        assertThat(table.out()).contains("3.00 ms").contains("3.11 ms"); // the table shows what JSON gives
    }

    @Test
    void gpusBeyondTheBuiltInOnes(@TempDir Path dir) throws Exception {
        Run l4 = run("gpu", "--gpu", "l4", "--precision", "fp8", "--format", "json", "--data", dir.toString());
        assertThat(l4.exit()).isZero();
        assertThat(l4.table("Replica").toString()).contains("x l4 (24 GB").contains("$0.70 per GPU-hour");

        Run own = run("gpu", "--gpu", "my-card", "--gpu-memory-gb", "48", "--gpu-bandwidth", "1", "--gpu-tflops", "200", "--hourly", "1.25",
                "--format", "json", "--data", dir.toString());
        assertThat(own.exit()).isZero();
        assertThat(own.table("Replica").toString()).contains("x my-card (48 GB, 1 TB/s, 200 bf16 TFLOP/s)").contains("$1.25 per GPU-hour (given)");

        Run fromScenario = run("gpu", "--scenario", "../examples/tiered-support-plan.yaml", "--gpu", "l4-cloud", "--precision", "fp8",
                "--format", "json", "--data", dir.toString());
        assertThat(fromScenario.exit()).isZero();
        assertThat(fromScenario.table("Replica").toString()).contains("x l4-cloud");
        // the scenario's mix is not an API to compare with
        assertThat(fromScenario.table("Build vs buy").path("rows")).hasSize(1);

        Run unknown = run("gpu", "--gpu", "tpu", "--data", dir.toString());
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown GPU 'tpu'").contains("l4").contains("--gpu-memory-gb");
        Run half = run("gpu", "--gpu", "x", "--gpu-memory-gb", "48", "--data", dir.toString());
        assertThat(half.exit()).isEqualTo(2);
        assertThat(half.err()).contains("needs --gpu-memory-gb, --gpu-bandwidth, --gpu-tflops and --hourly");
    }

    @Test
    void theBacktestGivesNumbersInJson() throws Exception {
        Run r = run("forecast", "--backtest", "--format", "json");
        assertThat(r.exit()).isZero();
        JsonNode first = r.table("Back-test").path("rows").get(0);
        assertThat(first.path("daily noise").decimalValue()).isEqualByComparingTo("0.05");
        assertThat(first.path("history").asInt()).isEqualTo(28);
        assertThat(first.path("95% interval covered").isNumber()).isTrue();
    }

    @Test
    void capacityFromAUsageFile(@TempDir Path dir) throws Exception {
        Path usage = dir.resolve("usage.csv");
        // the hand-computed case of CapacityPlannerTest: 1, 2, 3, 4 GPUs; reserving 2 saves $8 of $40
        Files.writeString(usage, "hour,gpus,workload\n2026-11-01T00:00:00Z,1,realtime\n2026-11-01T01:00:00Z,2,realtime\n"
                + "2026-11-01T02:00:00Z,3,realtime\n2026-11-01T03:00:00Z,4,realtime\n");
        Run r = run("capacity", "--usage", usage.toString(), "--on-demand", "4", "--reserved", "2.5", "--spot", "2.2", "--format", "json");
        assertThat(r.exit()).isZero();
        JsonNode purchase = r.table("Recommended purchase").path("rows");
        java.util.function.Function<String, JsonNode> item = name -> item(purchase, name);
        assertThat(item.apply("reserved commitment").path("cheapest").asInt()).isEqualTo(2);
        // the lowest (only, partial) day used 2.5 GPUs on average: 70% is 1.75, so 1 GPU
        assertThat(item.apply("reserved commitment").path("conservative").asInt()).isEqualTo(1);
        // GPU 2 is busy in 3 of 4 hours (break-even 2.5 / 4 = 62.5%); GPU 1 in all
        assertThat(item.apply("last reserved GPU busy").path("cheapest").decimalValue()).isEqualByComparingTo("0.75");
        assertThat(item.apply("last reserved GPU busy").path("conservative").decimalValue()).isEqualByComparingTo("1");
        assertThat(item.apply("left on demand").path("cheapest").decimalValue()).isEqualByComparingTo("0.3"); // 3 of 10 GPU-hours
        // per month of 730 hours, from 4: saving 40 - 32 = 8 and 40 - 34 = 6, times 182.5
        assertThat(item.apply("saving").path("cheapest").decimalValue()).isEqualByComparingTo("1460");
        assertThat(item.apply("saving").path("conservative").decimalValue()).isEqualByComparingTo("1095");
        assertThat(item.apply("of the cheapest's saving").path("conservative").decimalValue()).isEqualByComparingTo("0.75");
        // 2 GPUs * $2.5 * 8760 hours
        assertThat(item.apply("commitment over 12 months").path("cheapest").decimalValue()).isEqualByComparingTo("43800");
        assertThat(r.table("Recommended purchase").path("notes").toString()).contains("busy more than 62.5% of hours");
        JsonNode spot = r.table("Workload types").path("rows").get(0);
        assertThat(spot.path("spot overhead").decimalValue()).isEqualByComparingTo("0.5");   // real-time headroom, a number
        assertThat(spot.path("GPU-hours").decimalValue()).isEqualByComparingTo("10");
    }

    @Test
    void forecastAndWhatIfReadTheLedger(@TempDir Path dir) throws Exception {
        Instant start = Instant.parse("2026-10-01T12:00:00Z");
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (int day = 0; day < 40; day++) {
                // one gpt-4o call a day for team search: 1000 in, 500 out = $0.0075
                ledger.append(new LedgerEntry(start.plusSeconds(86_400L * day), "r" + day, "app", Map.of("team", "search"),
                        "openai.chat", "openai", "gpt-4o", "gpt-4o", "gpt-4o", new Usage(1000, 0, 0, 0, 500, 0),
                        new BigDecimal("0.0075"), "gpt-4o@2024-10-01", 200, null, 1000, 500, false, false));
            }
        }
        // as of Nov 10, 00:00: $0.0075 a day, 9 days spent in November; 21 more days to come
        Run f = run("forecast", "--data", dir.toString(), "--by", "team", "--as-of", "2026-11-10T00:00:00Z",
                "--budget", "search=0.15", "--format", "json");
        assertThat(f.exit()).isZero();
        JsonNode row = f.table("Month-end forecast").path("rows").get(0);
        assertThat(row.path("team").asText()).isEqualTo("search");
        assertThat(row.path("spent so far").decimalValue()).isEqualByComparingTo("0.0675");     // 9 * 0.0075
        assertThat(row.path("month-end forecast").decimalValue()).isEqualByComparingTo("0.225"); // 30 * 0.0075
        assertThat(row.path("runs out").asText()).isEqualTo("2026-11-20");     // the 20th day reaches 0.15
        // no noise: the interval is the forecast itself, as two numbers; the trend is a number too
        assertThat(row.path("95% interval low").decimalValue()).isEqualByComparingTo("0.225");
        assertThat(row.path("95% interval high").decimalValue()).isEqualByComparingTo("0.225");
        assertThat(row.path("trend $/day/day").isNumber()).isTrue();
        assertThat(row.path("trend $/day/day").decimalValue().abs()).isLessThan(new BigDecimal("0.000001"));

        // the table shows small amounts to four significant digits, not "$0.07"
        Run text = run("forecast", "--data", dir.toString(), "--by", "team", "--as-of", "2026-11-10T00:00:00Z");
        assertThat(text.out()).contains("$0.0675").contains("$0.225");

        // $0.05 was spent by the end of Nov 7 (7 * 0.0075 = 0.0525): crossed then, not "today"
        Run crossed = run("forecast", "--data", dir.toString(), "--by", "team", "--as-of", "2026-11-10T00:00:00Z",
                "--budget", "search=0.05", "--format", "json");
        assertThat(crossed.table("Month-end forecast").path("rows").get(0).path("runs out").asText()).isEqualTo("crossed 2026-11-07");

        // 'all' with --by is the total of every team, not a team named "all"
        Run all = run("forecast", "--data", dir.toString(), "--by", "team", "--as-of", "2026-11-10T00:00:00Z",
                "--budget", "all=0.15", "--format", "csv");
        assertThat(all.out()).contains("team,spent so far,month-end forecast,95% interval low,95% interval high,trend $/day/day,budget,runs out")
                .contains("all (every team),0.0675,0.225,0.225,0.225,").contains(",0.15,2026-11-20");

        Run w = run("whatif", "--data", dir.toString(), "--route", "gpt-4o->gpt-4o-mini", "--format", "json");
        assertThat(w.exit()).isZero();
        JsonNode summary = w.table("What-if replay of 40 ledger rows").path("rows");
        assertThat(summary.get(0).path("cost").decimalValue()).isEqualByComparingTo("0.3");   // 40 * 0.0075
        // gpt-4o-mini: 1000 * 0.15 + 500 * 0.6 = 450 per million, 40 calls = $0.018
        assertThat(summary.get(summary.size() - 1).path("cost").decimalValue()).isEqualByComparingTo("0.018");
        // by model: before under gpt-4o, after under gpt-4o-mini, which serves them now
        JsonNode byModel = w.table("By model").path("rows");
        assertThat(byModel).hasSize(2);
        assertThat(byModel.get(0).path("model").asText()).isEqualTo("gpt-4o");
        assertThat(byModel.get(0).path("requests after").asLong()).isZero();
        assertThat(byModel.get(1).path("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(byModel.get(1).path("requests after").asLong()).isEqualTo(40);
        assertThat(byModel.get(1).path("after").decimalValue()).isEqualByComparingTo("0.018");
        // small amounts keep their significant digits in the table: $0.3 before, $0.018 after, saving $0.282 (94.0%)
        Run whatIfText = run("whatif", "--data", dir.toString(), "--route", "gpt-4o->gpt-4o-mini");
        assertThat(whatIfText.out()).contains("$0.018 ").contains("$0.282 (94.0%)");
    }

    @Test
    void aBudgetTheFirstDayAlreadySpentIsCrossedThoughTooLittleHistoryToForecast(@TempDir Path dir) throws Exception {
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            ledger.append(new LedgerEntry(Instant.parse("2026-11-10T12:00:00Z"), "r1", "app", Map.of("team", "search"),
                    "openai.chat", "openai", "gpt-4o", "gpt-4o", "gpt-4o", new Usage(1000, 0, 0, 0, 500, 0),
                    new BigDecimal("0.0075"), "gpt-4o@2024-10-01", 200, null, 1000, 500, false, false));
        }
        Run f = run("forecast", "--data", dir.toString(), "--by", "team", "--as-of", "2026-11-10T18:00:00Z",
                "--budget", "search=0.005", "--format", "json");
        assertThat(f.exit()).isZero();
        JsonNode row = f.table("Month-end forecast").path("rows").get(0);
        // $0.0075 spent today against $0.005: crossed, whatever the forecast cannot say yet
        assertThat(row.path("runs out").asText()).isEqualTo("crossed 2026-11-10 (too little history to forecast)");
        Run under = run("forecast", "--data", dir.toString(), "--by", "team", "--as-of", "2026-11-10T18:00:00Z",
                "--budget", "search=0.01", "--format", "json");
        assertThat(under.table("Month-end forecast").path("rows").get(0).path("runs out").asText()).isEqualTo("too little history");
    }

    @Test
    void capacityFromASelfHostedProvidersLedger(@TempDir Path dir) throws Exception {
        Instant start = Instant.parse("2026-11-01T00:00:00Z");
        try (DuckDbLedger ledger = DuckDbLedger.open(dir)) {
            for (int hour = 0; hour < 8; hour++) {
                // every other hour busy: 1580 requests of 1000 in / 300 out on provider 'local'; else 10
                int requests = hour % 2 == 0 ? 1580 : 10;
                for (int i = 0; i < requests; i++) {
                    ledger.append(new LedgerEntry(start.plusSeconds(3600L * hour + i), "r", "app", Map.of(), "openai.chat", "local",
                            "llama", "llama", "llama", new Usage(1000, 0, 0, 0, 300, 0), BigDecimal.ZERO, null, 200, null, 1000, 500, false, false));
                }
            }
        }
        Run r = run("capacity", "--ledger-provider", "local", "--data", dir.toString(), "--gpu", "h100", "--batch", "1", "--format", "json");
        assertThat(r.exit()).isZero();
        // one request on one H100 (llama-3-8b, batch 1): prefill 1000 tokens 25.4 ms + 300 decode steps of 6.73 ms = 2.05 s;
        // 1580 of them keep it busy 0.90 h, at 60% utilization 1.50 -> 2 GPUs; quiet hours need 1.
        // On demand $2.99, reserved $2.10 over 8 hours: reserve 0: 12 GPU-h * 2.99 = 35.88; 1: 16.80 + 4 * 2.99 = 28.76;
        // 2: 33.60 -> reserve 1 and buy 4 of the 12 GPU-hours on demand
        JsonNode purchase = r.table("Recommended purchase").path("rows");
        assertThat(item(purchase, "reserved commitment").path("cheapest").asInt()).isEqualTo(1);
        assertThat(item(purchase, "left on demand").path("cheapest").doubleValue()).isCloseTo(1 / 3.0, org.assertj.core.api.Assertions.within(1e-9));
        // per month: 28.76 over 8 hours, times 730 / 8
        assertThat(item(purchase, "with this plan").path("cheapest").decimalValue()).isEqualByComparingTo("2624.35");
    }

    @Test
    void whileAGatewayHoldsTheLedgerForecastAsksItsAdminApi(@TempDir Path dir) throws Exception {
        AtomicReference<String> asked = new AtomicReference<>();
        HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        gateway.createContext("/admin/spend", exchange -> {
            asked.set(exchange.getRequestURI().getQuery() + " " + exchange.getRequestHeaders().getFirst("authorization"));
            StringBuilder rows = new StringBuilder();
            for (int day = 1; day <= 9; day++) {
                // the gateway's own shape: one row per day and team, $2 a day
                rows.append(day > 1 ? "," : "").append("{\"day\":\"2026-11-0").append(day)
                        .append("\",\"team\":\"search\",\"requests\":4,\"cost_usd\":2.0}");
            }
            byte[] body = ("{\"rows\":[" + rows + "]}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        gateway.start();
        try (DuckDbLedger held = DuckDbLedger.open(dir)) {
            String url = "http://127.0.0.1:" + gateway.getAddress().getPort();
            Run r = run("forecast", "--data", dir.toString(), "--by", "team", "--as-of", "2026-11-10T00:00:00Z",
                    "--gateway", url, "--admin-token", "secret", "--format", "json");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(asked.get()).contains("group_by=day,team").contains("Bearer secret");
            JsonNode row = r.table("Month-end forecast").path("rows").get(0);
            assertThat(row.path("spent so far").decimalValue()).isEqualByComparingTo("18");        // 9 days * $2
            assertThat(row.path("month-end forecast").decimalValue()).isEqualByComparingTo("60");  // 30 days * $2
            assertThat(r.table("Month-end forecast").path("notes").get(0).asText()).contains("admin API");

            Run noToken = run("forecast", "--data", dir.toString(), "--gateway", url, "--admin-token", "");
            assertThat(noToken.exit()).isEqualTo(1);
            assertThat(noToken.err()).contains("open in a running Tollgate gateway").doesNotContain("Exception").doesNotContain("lock");
            Run whatIf = run("whatif", "--data", dir.toString(), "--max-output-tokens", "10");
            assertThat(whatIf.exit()).isEqualTo(1);
            assertThat(whatIf.err()).startsWith("plan whatif: the ledger").doesNotContain("\tat ");
        } finally {
            gateway.stop(0);
        }
    }

    @Test
    void aMissingFileIsOneLineNotAStackTrace(@TempDir Path dir) {
        Run r = run("scenario", dir.resolve("nope.yaml").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("plan scenario: no such file").doesNotContain("\tat ");
    }

    @Test
    void backTestReportsItsError() throws Exception {
        Run r = run("forecast", "--backtest", "--format", "json");
        assertThat(r.exit()).isZero();
        assertThat(r.table("Back-test").path("rows")).hasSize(6);
    }
}
