package dev.tollgate.gateway.config;

import dev.tollgate.gateway.auth.KeyStore;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    @Test
    void readsEveryPartAndSubstitutesEnvironmentVariables() throws Exception {
        ConfigLoader loader = new ConfigLoader(Map.of("OPENAI_API_KEY", "sk-live", "TEAM_KEY", "tg-abc")::get);
        GatewayConfig config = loader.parse("""
                admin: {token: "${ADMIN_TOKEN:-fallback}"}
                providers:
                  openai: {type: openai, api_key: "${OPENAI_API_KEY}"}
                  azure: {type: azure, base_url: "https://x.openai.azure.com/", api_key: k, api_version: "2024-10-21"}
                models:
                  - {name: gpt-4o, provider: openai}
                  - {name: my-llama, provider: openai, model: llama-3.1-8b, price_as: my-llama}
                keys:
                  - {key: "${TEAM_KEY}", name: search, tags: {team: search}}
                prices:
                  - {model: my-llama, provider: self-hosted, input: "0.05", output: "0.08"}
                """);
        assertThat(config.admin().token()).isEqualTo("fallback");
        assertThat(config.providers().get("openai").apiKey()).isEqualTo("sk-live");
        assertThat(config.providers().get("openai").baseUrl()).isEqualTo("https://api.openai.com/v1");
        assertThat(config.providers().get("azure").baseUrl()).isEqualTo("https://x.openai.azure.com");
        assertThat(config.models().get(0).model()).isEqualTo("gpt-4o");
        assertThat(config.models().get(1).pricedAs()).isEqualTo("my-llama");
        assertThat(config.keys().get(0).keyHash()).isEqualTo(KeyStore.hash("tg-abc")).doesNotContain("tg-abc");
        assertThat(config.prices().get(0).rates().input()).isEqualByComparingTo(new BigDecimal("0.05"));
        assertThat(config.prices().get(0).source()).isEqualTo("config");
    }

    @Test
    void aMissingVariableIsNamed() {
        ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);
        assertThatThrownBy(() -> loader.parse("providers:\n  openai: {type: openai, api_key: \"${OPENAI_API_KEY}\"}\n"))
                .hasMessageContaining("OPENAI_API_KEY").hasMessageContaining("providers.openai.api_key");
    }

    @Test
    void anUnknownProviderTypeIsRefused() {
        ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);
        assertThatThrownBy(() -> loader.parse("providers:\n  x: {type: bedrock, base_url: http://x}\n")).hasMessageContaining("bedrock");
    }

    @Test
    void aChatOnlyProviderIsMarkedAndAnUnknownModeIsRefused() throws Exception {
        ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);
        GatewayConfig config = loader.parse("providers:\n  vllm: {type: openai, base_url: http://h/v1, responses: chat}\n"
                + "  openai: {type: openai}\n");
        assertThat(config.providers().get("vllm").responsesOverChat()).isTrue();
        assertThat(config.providers().get("openai").responsesOverChat()).isFalse();
        assertThatThrownBy(() -> loader.parse("providers:\n  x: {type: openai, base_url: http://x, responses: maybe}\n"))
                .hasMessageContaining("providers.x.responses");
    }

    @Test
    void readsTheLedgerSection() throws Exception {
        ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);
        GatewayConfig defaults = loader.parse("");
        assertThat(defaults.ledger()).isEqualTo(GatewayConfig.LedgerSettings.DEFAULTS);
        assertThat(defaults.ledger().store().serveOnFailure()).isFalse();

        GatewayConfig config = loader.parse("""
                ledger:
                  journal_dir: /spool/tollgate
                  memory_rows: 1000
                  spool_max_mb: 10
                  wal_max_mb: 8
                  min_free_mb: 100
                  on_failure: serve
                """);
        var ledger = config.ledger();
        assertThat(ledger.store().journalDir()).isEqualTo(java.nio.file.Path.of("/spool/tollgate"));
        assertThat(ledger.store().memoryRows()).isEqualTo(1000);
        assertThat(ledger.store().spoolMaxBytes()).isEqualTo(10L << 20);
        assertThat(ledger.store().walMaxBytes()).isEqualTo(8L << 20);
        assertThat(ledger.store().minFreeBytes()).isEqualTo(100L << 20);
        assertThat(ledger.store().serveOnFailure()).isTrue();

        assertThatThrownBy(() -> loader.parse("ledger: {on_failure: drop}")).hasMessageContaining("ledger.on_failure");
        assertThatThrownBy(() -> loader.parse("ledger: {memory_rows: 0}")).hasMessageContaining("ledger.memory_rows");
    }
}
