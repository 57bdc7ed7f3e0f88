package dev.tollgate.gateway.observe;

import dev.tollgate.core.usage.Usage;
import dev.tollgate.store.LedgerEntry;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GatewayMetricsTest {

    static LedgerEntry entry(String team, Usage usage, String cost, int status) {
        return new LedgerEntry(Instant.now(), "req_1", "k", team == null ? Map.of() : Map.of("team", team), "openai.chat",
                "openai", "gpt-4o", "gpt-4o", "gpt-4o-2024-08-06", usage, new BigDecimal(cost), "gpt-4o@2024-08-06",
                status, null, 120_000, -1, false, false);
    }

    @Test
    void labelValuesBeyondTheCapBecomeOther() {
        GatewayMetrics metrics = new GatewayMetrics(new ObserveConfig.Metrics(true, false, "team", 3));
        for (String team : new String[] {"a", "b", "c", "d", "e", "a"}) metrics.record(entry(team, Usage.ZERO, "0", 200));
        PrometheusText m = new PrometheusText(metrics.scrape());
        assertThat(m.sum("tollgate_requests_total", "team", "a")).isEqualTo(2);
        assertThat(m.sum("tollgate_requests_total", "team", "c")).isEqualTo(1);
        assertThat(m.sum("tollgate_requests_total", "team", "other")).isEqualTo(2);
        assertThat(m.samples()).filteredOn(s -> s.name().equals("tollgate_requests_total"))
                .extracting(s -> s.labels().get("team")).containsOnly("a", "b", "c", "other");
    }

    @Test
    void tokenKindsAddUpToTheTotalAndCostIsSummedExactly() {
        GatewayMetrics metrics = new GatewayMetrics(ObserveConfig.Metrics.DEFAULTS);
        // 1000 input of which 600 cached and 100 written to the cache; 50 output of which 20 reasoning
        metrics.record(entry("search", new Usage(1000, 600, 100, 0, 50, 20), "0.000000075", 200));
        metrics.record(entry("search", new Usage(10, 0, 0, 0, 5, 0), "0.000000025", 429));
        metrics.record(entry(null, Usage.ZERO, "0", 502));
        PrometheusText m = new PrometheusText(metrics.scrape());
        assertThat(m.sum("tollgate_tokens_total", "team", "search", "kind", "input")).isEqualTo(300 + 10);
        assertThat(m.sum("tollgate_tokens_total", "team", "search", "kind", "cached_input")).isEqualTo(600);
        assertThat(m.sum("tollgate_tokens_total", "team", "search", "kind", "cache_write")).isEqualTo(100);
        assertThat(m.sum("tollgate_tokens_total", "team", "search", "kind", "output")).isEqualTo(55);
        assertThat(m.sum("tollgate_reasoning_tokens_total", "team", "search")).isEqualTo(20);
        assertThat(m.sum("tollgate_prompt_cache_hits_total", "team", "search")).isEqualTo(1);
        assertThat(m.sum("tollgate_cost_usd_total", "team", "search")).isEqualTo(0.0000001);
        assertThat(m.sum("tollgate_requests_total", "team", "search", "status", "4xx")).isEqualTo(1);
        assertThat(m.sum("tollgate_requests_total", "team", "none", "status", "5xx")).isEqualTo(1);
        // 120 ms: inside the 0.25 s bucket, outside the 0.1 s one
        assertThat(m.sum("tollgate_request_duration_seconds_bucket", "team", "search", "le", "0.1")).isEqualTo(0);
        assertThat(m.sum("tollgate_request_duration_seconds_bucket", "team", "search", "le", "0.25")).isEqualTo(2);
        // no stream yet: no empty time-to-first-token histogram
        assertThat(m.samples()).noneMatch(s -> s.name().startsWith("tollgate_time_to_first_token"));
    }

    @Test
    void answersServedAgainByTheGatewayAreCountedWithWhatTheySaved() {
        GatewayMetrics metrics = new GatewayMetrics(ObserveConfig.Metrics.DEFAULTS);
        LedgerEntry call = entry("search", new Usage(100, 0, 0, 0, 10, 0), "0.00004", 200);
        metrics.record(call);
        for (String how : new String[] {"hit", "hit", "coalesced"}) {
            metrics.record(new LedgerEntry(call.time(), "req_2", "k", call.tags(), call.api(), call.provider(), call.deployment(),
                    call.requestedModel(), call.servedModel(), Usage.ZERO, BigDecimal.ZERO, null, 200, null, 50, -1, false, false,
                    how, new BigDecimal("0.00004")));
        }
        PrometheusText m = new PrometheusText(metrics.scrape());
        assertThat(m.sum("tollgate_cache_served_total", "team", "search", "cache", "hit")).isEqualTo(2);
        assertThat(m.sum("tollgate_cache_served_total", "team", "search", "cache", "coalesced")).isEqualTo(1);
        assertThat(m.sum("tollgate_saved_usd_total", "team", "search")).isEqualTo(0.00012);
        assertThat(m.sum("tollgate_cost_usd_total", "team", "search")).isEqualTo(0.00004);
        assertThat(m.sum("tollgate_requests_total", "team", "search")).isEqualTo(4);
    }

    @Test
    void aDowngradeCountsWhatTheCheaperModelSaved() {
        GatewayMetrics metrics = new GatewayMetrics(ObserveConfig.Metrics.DEFAULTS);
        LedgerEntry call = entry("search", new Usage(100, 0, 0, 0, 10, 0), "0.00001", 200);
        // a provider call (cache null) that a budget sent to a cheaper model: $0.00004 asked for, $0.00001 paid
        metrics.record(new LedgerEntry(call.time(), "req_3", "k", call.tags(), call.api(), call.provider(), call.deployment(),
                call.requestedModel(), call.servedModel(), call.usage(), call.costUsd(), call.priceVersion(), 200, null, 50, -1,
                false, false, null, new BigDecimal("0.00003")));
        PrometheusText m = new PrometheusText(metrics.scrape());
        assertThat(m.sum("tollgate_saved_usd_total", "team", "search")).isEqualTo(0.00003);
        assertThat(m.sum("tollgate_cost_usd_total", "team", "search")).isEqualTo(0.00001);
    }
}
