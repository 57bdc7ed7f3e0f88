package dev.tollgate.gateway.observe;

import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ObserveConfigTest {

    static GatewayConfig parse(String yaml) throws Exception {
        return new ConfigLoader(Map.of("OTLP_KEY", "k-123")::get).parse(yaml);
    }

    @Test
    void defaultsServeMetricsOpenlyExportNoTracesAndLogNoPrompts() throws Exception {
        ObserveConfig c = parse("").observe();
        assertThat(c.metrics()).isEqualTo(new ObserveConfig.Metrics(true, false, "team", 50));
        assertThat(c.telemetry().otlpEndpoint()).isNull();
        assertThat(c.promptLog().enabled()).isFalse();
        assertThat(c.promptLog().covers(Map.of())).isFalse();
    }

    @Test
    void everySettingIsRead() throws Exception {
        ObserveConfig c = parse("""
                metrics: {enabled: true, require_admin_token: true, team_tag: squad, max_label_values: 7}
                telemetry: {otlp_endpoint: "http://collector:4318", service_name: gw, headers: {x-api-key: "${OTLP_KEY}"}}
                prompt_log: {enabled: true, sample_rate: 0.1, tags: {env: prod}, group_tag: workflow}
                """).observe();
        assertThat(c.metrics()).isEqualTo(new ObserveConfig.Metrics(true, true, "squad", 7));
        assertThat(c.telemetry()).isEqualTo(new ObserveConfig.Telemetry("http://collector:4318", "gw", Map.of("x-api-key", "k-123")));
        assertThat(c.promptLog().sampleRate()).isEqualTo(0.1);
        assertThat(c.promptLog().groupTag()).isEqualTo("workflow");
        assertThat(c.promptLog().covers(Map.of("env", "prod", "team", "a"))).isTrue();
        assertThat(c.promptLog().covers(Map.of("env", "dev"))).isFalse();
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> parse("telemetry: {otlp_endpoint: collector:4318}"))
                .hasMessageContaining("telemetry.otlp_endpoint must be an http:// or https:// URL");
        assertThatThrownBy(() -> parse("prompt_log: {enabled: true, sample_rate: 2}"))
                .hasMessageContaining("prompt_log.sample_rate must be a share above 0 and at most 1");
        assertThatThrownBy(() -> parse("metrics: {max_label_values: 0}")).hasMessageContaining("metrics.max_label_values");
    }
}
