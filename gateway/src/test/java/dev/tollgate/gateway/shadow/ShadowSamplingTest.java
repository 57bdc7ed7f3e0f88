package dev.tollgate.gateway.shadow;

import dev.tollgate.gateway.route.RouteConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The sample is an exact share of the route's requests in their order, the same on every run. */
class ShadowSamplingTest {

    private static List<Integer> sampledOfFirst(double share, int requests) {
        Shadow shadow = new Shadow("r", new RouteConfig.ShadowConfig("cand", share, null, 16), null, null);
        List<Integer> out = new ArrayList<>();
        for (int n = 1; n <= requests; n++) if (shadow.sampled()) out.add(n);
        return out;
    }

    @Test
    void halfTakesEveryOtherRequest() {
        assertThat(sampledOfFirst(0.5, 10)).containsExactly(2, 4, 6, 8, 10);
    }

    @Test
    void aShareTakesTheRequestsWhereItsRunningCountPassesAWholeNumber() {
        // 0.3 × n passes 1, 2, 3 at n = 4 (1.2), 7 (2.1), 10 (3.0)
        assertThat(sampledOfFirst(0.3, 10)).containsExactly(4, 7, 10);
        assertThat(sampledOfFirst(0.1, 35)).containsExactly(10, 20, 30);
    }

    @Test
    void everyPrefixHoldsTheShareRoundedDown() {
        List<Integer> sampled = sampledOfFirst(0.37, 25_000);
        assertThat(sampled.stream().filter(n -> n <= 100)).hasSize(37);
        assertThat(sampled.stream().filter(n -> n <= 999)).hasSize(369); // 369.63
        assertThat(sampled).hasSize(9_250);
    }

    @Test
    void noneAndAll() {
        assertThat(sampledOfFirst(0, 50)).isEmpty();
        assertThat(sampledOfFirst(1, 5)).containsExactly(1, 2, 3, 4, 5);
    }
}
