package dev.tollgate.gateway.config;

import dev.tollgate.core.budget.Budget;
import dev.tollgate.core.budget.Period;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The spend_controls: section as a person writes it, and the mistakes they are told about. */
class SpendControlsTest {

    static GatewayConfig parse(String controls) throws Exception {
        return new ConfigLoader(Map.of("HOOK_SECRET", "s3cret")::get).parse("spend_controls:\n" + controls.indent(2));
    }

    @Test
    void redisIsOptionalAndFailsClosedByDefault() throws Exception {
        assertThat(parse("budgets: []").controls().redis()).isNull();
        SpendControls.Redis plain = parse("redis: \"redis://127.0.0.1:6379\"").controls().redis();
        assertThat(plain).isEqualTo(new SpendControls.Redis("redis://127.0.0.1:6379", "tollgate:", false, Duration.ofSeconds(1), Duration.ofMinutes(30)));
        SpendControls.Redis full = parse("redis: {url: \"redis://r:6380/2\", key_prefix: \"eu:\", on_failure: open, timeout_ms: 50, lease_minutes: 5}")
                .controls().redis();
        assertThat(full).isEqualTo(new SpendControls.Redis("redis://r:6380/2", "eu:", true, Duration.ofMillis(50), Duration.ofMinutes(5)));
        assertThatThrownBy(() -> parse("redis: {url: \"redis://r\", on_failure: maybe}"))
                .hasMessageContaining("on_failure must be one of closed, open").hasMessageContaining("maybe");
        assertThatThrownBy(() -> parse("redis: {url: \"127.0.0.1:6379\"}")).hasMessageContaining("redis://127.0.0.1:6379");
    }

    @Test
    void readsEveryPart() throws Exception {
        SpendControls c = parse("""
                time_zone: Europe/Berlin
                default_max_output_tokens: 1000
                budgets:
                  - {name: a, scope: "team:search", period: weekly, limit_usd: "12.50", action: downgrade, downgrade_to: gpt-4o-mini, thresholds: [90, 50]}
                  - {name: b, scope: org, limit_usd: 100, time_zone: UTC}
                rate_limits:
                  - {scope: "key:*", requests_per_minute: 60}
                sandbox_keys:
                  - {key: intern, cap_usd: "5", allow: [sandbox, gpt-4o-mini]}
                alerts:
                  max_attempts: 3
                  first_backoff_ms: 250
                  channels:
                    - {type: webhook, url: "http://h/hook", secret: "${HOOK_SECRET}"}
                    - {type: log}
                anomaly: {factor: 3, min_spend_usd: "10"}
                runaway: {same_prompt: 7, throttle_minutes: 5}
                """).controls();
        assertThat(c.timeZone()).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(c.defaultMaxOutputTokens()).isEqualTo(1000);
        Budget a = c.budgets().getFirst();
        assertThat(a.period()).isEqualTo(Period.WEEKLY);
        assertThat(a.limitUsd()).isEqualByComparingTo("12.50");
        assertThat(a.action()).isEqualTo(Budget.Action.DOWNGRADE);
        assertThat(a.thresholds()).containsExactly(50, 90);
        assertThat(a.zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
        Budget b = c.budgets().get(1);
        assertThat(b.period()).isEqualTo(Period.MONTHLY);
        assertThat(b.action()).isEqualTo(Budget.Action.BLOCK);
        assertThat(b.thresholds()).containsExactly(60, 80, 95, 100);
        assertThat(b.zone()).isEqualTo(ZoneId.of("UTC"));
        assertThat(c.rateLimits().getFirst().requestsPerMinute()).isEqualTo(60);
        assertThat(c.rateLimits().getFirst().tokensPerMinute()).isZero();
        assertThat(c.sandboxKeys().getFirst().allow()).containsExactly("sandbox", "gpt-4o-mini");
        assertThat(c.alerts().channels()).containsExactly(new SpendControls.Channel("webhook", "http://h/hook", "s3cret"));
        assertThat(c.alerts().firstBackoff()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.anomaly().factor()).isEqualTo(3.0);
        assertThat(c.anomaly().minSpendUsd()).isEqualByComparingTo(new BigDecimal("10"));
        assertThat(c.runaway().samePrompt()).isEqualTo(7);
        assertThat(c.runaway().window()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.runaway().throttleFor()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void noSectionMeansNoControls() throws Exception {
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("admin: {token: x}");
        assertThat(config.controls().budgets()).isEmpty();
        assertThat(config.controls().rateLimits()).isEmpty();
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> parse("budgets: [{name: a, scope: org, limit_usd: \"5\", action: downgrade}]"))
                .hasMessageContaining("downgrade_to");
        assertThatThrownBy(() -> parse("budgets: [{name: a, scope: org, limit_usd: \"five\"}]"))
                .hasMessageContaining("must be an amount of US dollars");
        assertThatThrownBy(() -> parse("budgets: [{name: a, scope: org, limit_usd: \"-1\"}]")).hasMessageContaining("limit_usd must be an amount").hasMessageContaining("not \"-1\"");
        assertThatThrownBy(() -> parse("budgets: [{name: a, scope: org, limit_usd: \"1\"}, {name: a, scope: org, limit_usd: \"2\"}]"))
                .hasMessageContaining("defined twice");
        assertThatThrownBy(() -> parse("budgets: [{name: a, scope: org, limit_usd: \"1\", period: hourly}]")).hasMessageContaining("hourly");
        assertThatThrownBy(() -> parse("budgets: [{name: a, scope: org, limit_usd: \"1\", thresholds: [150]}]")).hasMessageContaining("150");
        assertThatThrownBy(() -> parse("time_zone: Mars/Olympus")).hasMessageContaining("Mars/Olympus");
        assertThatThrownBy(() -> parse("alerts: {channels: [{type: pager, url: x}]}")).hasMessageContaining("type must be one of slack, webhook, log");
        assertThatThrownBy(() -> parse("alerts: {channels: [{type: slack}]}")).hasMessageContaining("needs a url");
        assertThatThrownBy(() -> parse("rate_limits: [{scope: team, requests_per_minute: 5}]")).hasMessageContaining("TAG:VALUE");
        assertThatThrownBy(() -> parse("sandbox_keys: [{key: intern}]")).hasMessageContaining("cap_usd");
    }
}
