package dev.tollgate.gateway.budget;

import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A sandbox key is named by its key's name; a secret or an unknown name there stops start-up with one line. */
class SandboxKeysConfigTest {

    static GatewayConfig config(String sandboxKey) throws Exception {
        return new ConfigLoader(Map.<String, String>of()::get).parse("""
                keys:
                  - {key: tg-intern-secret, name: intern}
                  - {key_sha256: "%s", name: ci}
                spend_controls:
                  sandbox_keys:
                    - {key: "%s", cap_usd: "5"}
                """.formatted(dev.tollgate.gateway.auth.KeyStore.hash("tg-ci-secret"), sandboxKey));
    }

    @Test
    void aKeysNameIsAccepted() {
        assertThatCode(() -> BudgetService.checkSandboxKeys(config("intern"))).doesNotThrowAnyException();
        assertThatCode(() -> BudgetService.checkSandboxKeys(config("ci"))).doesNotThrowAnyException();
    }

    @Test
    void aKeysSecretIsRefusedWithTheNameToUseInstead() {
        assertThatThrownBy(() -> BudgetService.checkSandboxKeys(config("tg-intern-secret")))
                .isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageContaining("key: intern").hasMessageContaining("secret").hasMessageNotContaining("tg-intern-secret");
        // a key given only by its hash is recognised too
        assertThatThrownBy(() -> BudgetService.checkSandboxKeys(config("tg-ci-secret")))
                .isInstanceOf(ConfigLoader.ConfigException.class).hasMessageContaining("key: ci");
    }

    @Test
    void anUnknownNameIsRefused() {
        assertThatThrownBy(() -> BudgetService.checkSandboxKeys(config("interns")))
                .isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageContaining("'interns' is not the name of a configured key").hasMessageContaining("intern, ci");
    }
}
