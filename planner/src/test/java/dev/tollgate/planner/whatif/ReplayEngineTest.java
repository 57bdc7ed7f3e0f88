package dev.tollgate.planner.whatif;

import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.store.duckdb.LedgerScan;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ReplayEngineTest {

    static final long T0 = Instant.parse("2026-11-01T10:00:00Z").getEpochSecond() * 1_000_000L;

    static LedgerScan.Row row(long seconds, String tags, String model, long in, long out, String cost) {
        return new LedgerScan.Row(T0 + seconds * 1_000_000L, "app", tags, model, model, in, 0, 0, 0, out, 0, new BigDecimal(cost), 200);
    }

    @Test
    void replayByHand() {
        // gpt-4o: $2.5 in, $10 out per million; gpt-4o-mini: $0.15 in, $0.60 out
        List<LedgerScan.Row> rows = List.of(
                row(0, "{\"team\":\"x\"}", "gpt-4o", 1000, 500, "0.0075"),     // 2500 + 5000 per million
                row(10, "{\"team\":\"x\"}", "gpt-4o", 1000, 500, "0.0075"),    // a repeat 10 s later: cache hit
                row(120, "{\"team\":\"x\"}", "gpt-4o", 1000, 500, "0.0075"),   // 2 minutes later: expired, a miss
                row(130, "{\"team\":\"y\"}", "gpt-4o", 4000, 2000, "0.03"));   // routed to gpt-4o-mini
        ReplayPolicy policy = new ReplayPolicy(List.of(Route.parse("gpt-4o,team=y->gpt-4o-mini")), Duration.ofSeconds(60), 0, 300, null);
        ReplayEngine engine = new ReplayEngine(PriceCatalog.bundled(), policy, "team");
        rows.forEach(engine);
        ReplayResult r = engine.result();

        assertThat(r.before()).isEqualByComparingTo("0.0525");
        // routed: 4000*0.15 + 2000*0.6 = 1800 per million; then capped at 300 out: 600 + 180 = 780
        // misses capped at 300 out: 2500 + 3000 = 5500 each; the hit costs nothing
        assertThat(r.after()).isEqualByComparingTo("0.01178");    // 5500 + 0 + 5500 + 780 per million
        assertThat(r.savingByPart().get("routing")).isEqualByComparingTo("0.0282");        // 0.03 - 0.0018
        assertThat(r.savingByPart().get("response cache")).isEqualByComparingTo("0.0075");
        assertThat(r.savingByPart().get("output cap")).isEqualByComparingTo("0.00502");     // 2000 + 2000 + 1020 per million
        assertThat(r.savingByPart().get("history trimming")).isEqualByComparingTo("0");
        assertThat(r.cacheHits()).isEqualTo(1);
        assertThat(r.routed()).isEqualTo(1);
        assertThat(r.byScope().get("y").after()).isEqualByComparingTo("0.00078");
        assertThat(r.byScope().get("x").before()).isEqualByComparingTo("0.0225");
        // by model: all four were served by gpt-4o; after, two still are, one by gpt-4o-mini, one by the cache
        ReplayResult.BeforeAfter gpt4o = r.byModel().get("gpt-4o");
        assertThat(gpt4o.requests()).isEqualTo(4);
        assertThat(gpt4o.requestsAfter()).isEqualTo(2);
        assertThat(gpt4o.before()).isEqualByComparingTo("0.0525");
        assertThat(gpt4o.after()).isEqualByComparingTo("0.011");      // the two misses, 5500 per million each
        ReplayResult.BeforeAfter mini = r.byModel().get("gpt-4o-mini");
        assertThat(mini.requests()).isZero();
        assertThat(mini.requestsAfter()).isEqualTo(1);
        assertThat(mini.before()).isZero();
        assertThat(mini.after()).isEqualByComparingTo("0.00078");
        assertThat(r.byModel().get(ReplayEngine.CACHE).requestsAfter()).isEqualTo(1);
        assertThat(r.byModel().get(ReplayEngine.CACHE).after()).isZero();
    }

    @Test
    void selfHostingPricesTheMovedModelAsGpuTime() {
        var replica = new dev.tollgate.planner.gpu.ThroughputModel(dev.tollgate.planner.gpu.Gpu.named("h100").orElseThrow(), 1,
                dev.tollgate.planner.gpu.ModelShape.named("llama-3-8b").orElseThrow(), dev.tollgate.planner.gpu.Precision.BF16,
                dev.tollgate.planner.gpu.Efficiency.H100_CALIBRATED);
        var setup = new dev.tollgate.planner.gpu.BuildVsBuy(replica, new BigDecimal("3.60"), 32, 0.5, 1, 1, BigDecimal.ZERO);
        ReplayPolicy policy = new ReplayPolicy(List.of(), null, 0, 0, new ReplayPolicy.SelfHost("gpt-4o-mini", setup));
        ReplayEngine engine = new ReplayEngine(PriceCatalog.bundled(), policy, null);
        engine.accept(row(0, "{}", "gpt-4o-mini", 2000, 400, "0.00054"));   // 2000*0.15 + 400*0.6 per million
        engine.accept(row(1, "{}", "gpt-4o", 2000, 400, "0.009"));          // not moved
        ReplayResult r = engine.result();
        // $3.60 an hour is $0.001 a second; the request holds the replica for its prefill and its share of 400 decode
        // steps at batch 32, and only half the paid time is busy
        double seconds = replica.prefillSeconds(2000) + 400 * replica.decodeStepSeconds(32, 2200) / 32;
        BigDecimal expected = BigDecimal.valueOf(seconds * 0.001 / 0.5);
        assertThat(r.selfHosted()).isEqualTo(1);
        assertThat(r.byModel().get("gpt-4o-mini (self-hosted)").requestsAfter()).isEqualTo(1);
        assertThat(r.byModel().get("gpt-4o-mini").requestsAfter()).isZero();
        assertThat(r.after().subtract(new BigDecimal("0.009")).subtract(expected).abs()).isLessThan(new BigDecimal("1e-12"));
        assertThat(r.savingByPart().get("self-hosting")).isEqualByComparingTo(new BigDecimal("0.00054").subtract(r.after().subtract(new BigDecimal("0.009"))));
    }

    @Test
    void aShareRoutesExactlyThatShareAndTrimmingCutsThePrompt() {
        ReplayPolicy policy = new ReplayPolicy(List.of(Route.parse("gpt-4o,share=0.25->gpt-4o-mini")), null, 1000, 0, null);
        ReplayEngine engine = new ReplayEngine(PriceCatalog.bundled(), policy, null);
        for (int i = 0; i < 8; i++) engine.accept(row(i, "{}", "gpt-4o", 3000, 0, "0.0075"));
        ReplayResult r = engine.result();
        assertThat(r.routed()).isEqualTo(2);
        // every prompt trimmed to 1000 tokens: 6 on gpt-4o at 2500 per million, 2 on gpt-4o-mini at 150
        assertThat(r.after()).isEqualByComparingTo(new BigDecimal("0.0025").multiply(BigDecimal.valueOf(6)).add(new BigDecimal("0.00015").multiply(BigDecimal.valueOf(2))));
        assertThat(r.trimmed()).isEqualTo(8);
    }
}
