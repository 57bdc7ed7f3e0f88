package dev.tollgate.gateway.config;

import dev.tollgate.gateway.auth.KeyStore;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
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
    void upstreamModelsAreWhatProvidersAreAskedForOnceEach() {
        // serve warms the tokenizer's encodings of these only: the models' upstream names (a model without "model:"
        // is asked for by its own name) and every route deployment's, each once, in the order written
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                providers:
                  openai: {type: openai, api_key: k}
                models:
                  - {name: gpt-4o-mini, provider: openai}
                  - {name: embed, provider: openai, model: text-embedding-3-small}
                routes:
                  - name: chat
                    deployments:
                      - {provider: openai, model: gpt-4.1}
                      - {provider: openai, model: gpt-4o-mini}
                """);
        assertThat(config.upstreamModels()).containsExactly("gpt-4o-mini", "text-embedding-3-small", "gpt-4.1");
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
    void aKeyMayNotCarryTollgatesOwnTagName() {
        // the eval marks its calls tollgate=eval; a key's tags win over a request's, so a key could take the mark off
        ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);
        assertThatThrownBy(() -> loader.parse("keys:\n  - {key: tg-a, name: notebook, tags: {team: ml, tollgate: none}}\n"))
                .isInstanceOf(ConfigLoader.ConfigException.class).hasMessageContaining("the key 'notebook'").hasMessageContaining("'tollgate'");
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

    private static final ConfigLoader NO_ENV = new ConfigLoader(Map.<String, String>of()::get);

    private static String mistake(String yaml) {
        try {
            NO_ENV.parse(yaml);
        } catch (ConfigLoader.ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + yaml);
    }

    @Test
    void aWrongPriceIsTheOneProblemNamedNotItsSiblingKeys() {
        // a wrong value under a $ref'd schema made every other key of the object "unknown" too (did you mean 'input'?)
        assertThat(mistake("prices:\n  - model: m\n    prices:\n      - {effective: 2026-01-01, input: \"-1\", output: \"5\", web_search_per_1k: \"10\"}\n"))
                .isEqualTo("config:4:33: prices[0].prices[0].input must be an amount of US dollars such as \"12.50\", not \"-1\"");
    }

    @Test
    void aMisspeltKeyStopsStartUpWithWhereAndTheKeyMeant() {
        assertThat(mistake("provders:\n  openai: {type: openai}\n"))
                .startsWith("config:1:1: unknown key 'provders' at the top level; did you mean 'providers'? (known: server, admin,");
        assertThat(mistake("admin: {token: t}\nspend_controls:\n  budget:\n    - {name: b, scope: org, limit_usd: \"1\"}\n"))
                .startsWith("config:3:3: unknown key 'budget' in spend_controls; did you mean 'budgets'? (known: time_zone,");
        assertThat(mistake("providers:\n  local: {type: openai, base_ur: \"http://h/v1\"}\n"))
                .startsWith("config:2:25: unknown key 'base_ur' in providers.local; did you mean 'base_url'?");
        assertThat(mistake("models:\n  - {name: a, provider: p, modle: gpt-4o}\n"))
                .startsWith("config:2:28: unknown key 'modle' in models[0]; did you mean 'model'?");
        // nothing near: no guess, only the list
        assertThat(mistake("cache: {colour: blue}\n")).startsWith("config:1:9: unknown key 'colour' in cache (known: enabled,");
    }

    @Test
    void valuesOfTheWrongTypeOrOutOfRangeAreRefusedWithWhere() {
        assertThat(mistake("server:\n  max_body_bytes: lots\n"))
                .isEqualTo("config:2:3: server.max_body_bytes must be a whole number above 0, not \"lots\"");
        assertThat(mistake("server: {upstream_timeout_ms: -5}\n")).contains("server.upstream_timeout_ms must be a whole number above 0, not -5");
        assertThat(mistake("cache: {ttl: soon}\n")).contains("cache.ttl must be a duration such as");
        assertThat(mistake("cache: {enabled: maybe}\n")).contains("cache.enabled must be true or false, not \"maybe\"");
        assertThat(mistake("providers:\n  x: {type: bedrock}\n")).contains("providers.x.type must be one of openai, anthropic, azure");
        assertThat(mistake("models:\n  - {name: a}\n")).isEqualTo("config:2:5: models[0] needs 'provider'");
        assertThat(mistake("spend_controls: {budgets: [{name: b, scope: org, limit_usd: \"1\", period: yearly}]}\n"))
                .contains("spend_controls.budgets[0].period must be one of daily, weekly, monthly, lifetime");
    }

    @Test
    void everyProblemIsListedInFileOrder() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(ConfigLoader.ConfigException.class,
                () -> NO_ENV.parse("server: {max_body_bytes: lots}\nprovders: {}\ncache: {ttl: soon}\n"));
        assertThat(e.problems()).hasSize(3);
        assertThat(e.problems().get(0)).startsWith("config:1:");
        assertThat(e.problems().get(1)).startsWith("config:2:1: unknown key 'provders'");
        assertThat(e.problems().get(2)).startsWith("config:3:");
        assertThat(e.getMessage()).endsWith("(and 2 more problems: `tollgate config check` lists them all)");
    }

    @Test
    void brokenYamlAndRepeatedKeysSayWhere() {
        assertThat(mistake("server:\n  max_body_bytes: [1\n")).startsWith("config:").contains("not valid YAML");
        assertThat(mistake("cache: {enabled: true}\ncache: {enabled: false}\n")).startsWith("config:2:").contains("cache");
        assertThat(mistake("- a\n- b\n")).contains("must be a YAML mapping");
    }

    @Test
    void aMissingFileIsNamed(@org.junit.jupiter.api.io.TempDir Path dir) {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml")))
                .hasMessage(dir.resolve("nope.yaml") + ": no such configuration file (check the path)");
    }

    /** The README's configuration reference is the documentation of every key: all of it must load. */
    @Test
    void serviceTierPricesAreReadAndTheirMistakesNamed() throws Exception {
        GatewayConfig config = NO_ENV.parse("""
                prices:
                  - model: my-gpt
                    prices: [{effective: 2026-01-01, input: "1", output: "8", service_tiers: {priority: {input: "2", output: "16"}}}]
                """);
        dev.tollgate.core.pricing.ModelPrice price = config.prices().get(0);
        assertThat(price.source()).isEqualTo("config");
        assertThat(price.atServiceTier("priority").orElseThrow().rates().output()).isEqualByComparingTo("16");
        assertThat(price.atServiceTier("flex")).isEmpty();
        assertThatThrownBy(() -> NO_ENV.parse("prices: [{model: m, input: 1, output: 2, service_tiers: {default: {input: 1, output: 2}}}]"))
                .hasMessageContaining("'default' is not a tier name to price");
        assertThatThrownBy(() -> NO_ENV.parse("prices: [{model: m, input: 1, output: 2, service_tiers: {flex: {input: 1}}}]"))
                .hasMessageContaining("at service tier 'flex' needs both 'input' and 'output'");
        assertThatThrownBy(() -> NO_ENV.parse("prices: [{model: m, input: 1, output: 2, service_tiers: {flex: {input: 1, output: 2, cached: 1}}}]"))
                .hasMessageContaining("cached");
    }

    @Test
    void theReadmeReferenceLoads() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        int section = readme.indexOf("## Configuration reference");
        int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        String yaml = readme.substring(start, readme.indexOf("```", start));
        GatewayConfig config = new ConfigLoader(name -> name.equals("REDIS_URL") ? null : "value-of-" + name).parse(yaml);
        assertThat(config.controls().budgets()).hasSize(3);
        assertThat(config.cache().policies()).hasSize(3);
    }

    @Test
    void theSchemaDefaultsAreTheGatewayDefaults() {
        // what `config check` prints for an empty file must be what the gateway runs with when given nothing
        JsonNode filled = ConfigSchema.get().withDefaults(NO_ENV.read("", "config"));
        assertThat(NO_ENV.build(filled, "config")).isEqualTo(NO_ENV.parse(""));
        JsonNode budget = ConfigSchema.get().withDefaults(NO_ENV.read("spend_controls: {budgets: [{name: b, scope: org, limit_usd: 1}]}", "config"));
        assertThat(NO_ENV.build(budget, "config")).isEqualTo(NO_ENV.parse("spend_controls: {budgets: [{name: b, scope: org, limit_usd: 1}]}"));
        assertThat(filled.path("cache").path("ttl").asText()).isEqualTo("1h");
    }

    @Test
    void secretsAreMasked() {
        JsonNode tree = new ConfigLoader(Map.of("K", "sk-live")::get).read("""
                admin: {token: adm-secret}
                providers:
                  openai: {type: openai, api_key: "${K}", headers: {x-api-key: h}}
                keys:
                  - {key: tg-1, name: a}
                telemetry: {headers: {authorization: t}}
                spend_controls:
                  alerts: {channels: [{type: webhook, url: "https://hooks/x", secret: s}]}
                  redis: "redis://user:pw@r:6379"
                """, "config");
        String masked = ConfigSchema.get().masked(tree).toString();
        assertThat(masked).doesNotContain("adm-secret", "sk-live", "\"h\"", "tg-1", "\"t\"", "hooks", "\"s\"", "pw")
                .contains("redis://****@r:6379", "\"name\":\"a\"", "\"type\":\"openai\"");
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
                  memory_limit_mb: 512
                  threads: 4
                """);
        var ledger = config.ledger();
        assertThat(ledger.store().journalDir()).isEqualTo(java.nio.file.Path.of("/spool/tollgate"));
        assertThat(ledger.store().memoryRows()).isEqualTo(1000);
        assertThat(ledger.store().spoolMaxBytes()).isEqualTo(10L << 20);
        assertThat(ledger.store().walMaxBytes()).isEqualTo(8L << 20);
        assertThat(ledger.store().minFreeBytes()).isEqualTo(100L << 20);
        assertThat(ledger.store().serveOnFailure()).isTrue();
        assertThat(ledger.store().memoryLimitBytes()).isEqualTo(512L << 20);
        assertThat(ledger.store().threads()).isEqualTo(4);

        assertThatThrownBy(() -> loader.parse("ledger: {on_failure: drop}")).hasMessageContaining("ledger.on_failure");
        assertThatThrownBy(() -> loader.parse("ledger: {memory_rows: 0}")).hasMessageContaining("ledger.memory_rows");
        assertThatThrownBy(() -> loader.parse("ledger: {memory_limit_mb: 8}")).hasMessageContaining("ledger.memory_limit_mb");
        assertThatThrownBy(() -> loader.parse("ledger: {threads: 0}")).hasMessageContaining("threads");
    }

    @Test
    void readsThePostgresConnectTimeout() {
        ConfigLoader loader = new ConfigLoader(Map.<String, String>of()::get);
        String url = "ledger: {type: postgres, url: \"postgres://tg@db:5432/ledger\"";
        assertThat(loader.parse(url + "}").ledger().postgres().connectTimeout()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(loader.parse(url + ", connect_timeout_ms: 1500}").ledger().postgres().connectTimeout())
                .isEqualTo(java.time.Duration.ofMillis(1500));
        // HikariCP would wait its default 30 s for anything shorter than 250 ms
        assertThatThrownBy(() -> loader.parse(url + ", connect_timeout_ms: 100}"))
                .isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageContaining("ledger.connect_timeout_ms must be at least 250, not 100");
    }
}
