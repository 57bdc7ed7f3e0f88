package dev.tollgate.planner.whatif;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouteTest {

    @Test
    void exclusionsLeaveOutRequestsCarryingAllTheirTags() {
        Route r = Route.parse("gpt-4o,!feature=eval&team=ml,!shadow->gpt-4o-mini");
        assertThat(r.fromModel()).isEqualTo("gpt-4o");
        assertThat(r.toModel()).isEqualTo("gpt-4o-mini");
        assertThat(r.excludes(Map.of("feature", "eval", "team", "ml"))).isTrue();
        assertThat(r.excludes(Map.of("feature", "eval", "team", "ml", "customer", "acme"))).isTrue();
        assertThat(r.excludes(Map.of("shadow", "support"))).as("!shadow: any value").isTrue();
        assertThat(r.excludes(Map.of("feature", "eval"))).as("only one of the set's tags").isFalse();
        assertThat(r.excludes(Map.of("feature", "search", "team", "ml"))).isFalse();
        assertThat(r.excludes(Map.of())).isFalse();
        assertThat(r.describe()).isEqualTo("gpt-4o except feature=eval and team=ml or shadow=* -> gpt-4o-mini");
        assertThatThrownBy(() -> Route.parse("gpt-4o,!->gpt-4o-mini")).hasMessageContaining("'!' must be followed by TAG");
    }
}
