package dev.tollgate.gateway.tier;

import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.gateway.route.Route;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The tags a tier gives a request: the request's own, with {@code tier} set, whatever the requests before it had. */
class TiersTest {

    private static final GatewayConfig.Provider OPENAI = new GatewayConfig.Provider("openai", "openai", "https://x/v1", "sk", null, null);

    @Test
    void eachRequestGetsItsOwnTagsWithItsTier() throws Exception {
        Tiers tiers = Tiers.of(TierRulesTest.parse("""
                - name: support
                  ladder: [{name: small, model: nano}, {name: mid, model: mini}]
                """), name -> new Route(name, OPENAI, name, name), name -> null);
        Tiers.Choice small = tiers.get("support").choice(0), mid = tiers.get("support").choice(1);
        Map<String, String> keyTags = Map.of("team", "a");
        Map<String, String> withHeader = new LinkedHashMap<>(Map.of("team", "a", "feature", "faq"));

        assertThat(small.tagged(keyTags)).isEqualTo(Map.of("team", "a", "tier", "small"));
        assertThat(small.tagged(withHeader)).isEqualTo(Map.of("team", "a", "feature", "faq", "tier", "small"));
        // the key's tags again, after another request's: still the key's own
        assertThat(small.tagged(keyTags)).isEqualTo(Map.of("team", "a", "tier", "small"));
        // a cascade's escalation replaces the tier it had
        assertThat(mid.tagged(small.tagged(keyTags))).isEqualTo(Map.of("team", "a", "tier", "mid"));
        // and a tier the request's tags already name is overwritten, as the ladder decided
        assertThat(small.tagged(Map.of("team", "a", "tier", "forged"))).isEqualTo(Map.of("team", "a", "tier", "small"));
    }
}
