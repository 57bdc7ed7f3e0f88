package dev.tollgate.app;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How the README test reads console blocks and when it says a command printed something else than README shows. */
class ReadmeConsoleTest {

    private static final List<String> README = """
            Some prose.

            ```console
            $ ./tollgate report --since 1d \\
                --by team
            team    requests  cost_usd
            ------  --------  --------
            search         2  0.000056
            $ curl -s localhost:4000/x -d '{"a":
                1}'
            {"rows":[
              {"team":"search","cost_usd":0.000047}],
             "total":{"requests":2}}
            ```

            Made with a tool you may not have (not run by the README test: it needs the DuckDB CLI):

            ```console
            $ duckdb data/ledger.duckdb "select 1"
            ```

            - a list item:

              ```console
              $ curl -sLO https://example.com/x.json  # not run by the README test: it downloads
              $ # the same request again:
              ok
              ```
            """.lines().toList();

    @Test
    void commandsAreReadWithTheirContinuationLinesOutputAndMarkers() {
        List<ReadmeConsole.Command> commands = ReadmeConsole.parse(README);
        assertThat(commands).extracting(ReadmeConsole.Command::line).containsExactly(4, 9, 19, 25, 26);
        assertThat(commands.get(0).text()).isEqualTo("./tollgate report --since 1d \\\n    --by team");
        assertThat(commands.get(0).shown()).hasSize(3).first().isEqualTo("team    requests  cost_usd");
        assertThat(commands.get(1).text()).endsWith("1}'");
        assertThat(commands.get(1).shown()).hasSize(3);
        assertThat(commands.get(2).skipReason()).isEqualTo("it needs the DuckDB CLI");
        assertThat(commands.get(3).skipReason()).isEqualTo("it downloads");
        assertThat(commands.get(4).repeatsPrevious()).isTrue();
        assertThat(commands.get(4).shown()).containsExactly("ok");
        assertThat(commands.get(0).skipReason()).isNull();
    }

    @Test
    void otherNumbersIdsAndWidthsAgreeButOtherWordsOrMissingLinesDoNot() {
        List<String> shown = ReadmeConsole.parse(README).getFirst().shown();
        assertThat(ReadmeConsole.unmatched(shown, List.of(
                "team      requests    cost_usd", "--------  --------  ----------", "search          12  0.00123456"))).isEmpty();
        assertThat(ReadmeConsole.unmatched(shown, List.of(
                "team    requests  cost_usd", "------  --------  --------", "support        2  0.000056")))
                .containsExactly("search         2  0.000056");
        assertThat(ReadmeConsole.unmatched(shown, List.of("team    requests  cost_usd"))).hasSize(2);

        assertThat(ReadmeConsole.shape("x-request-id: req_zQzI5KgG5XmZfWAbfGzjcOBn"))
                .isEqualTo(ReadmeConsole.shape("x-request-id: req_qYzRDh4nRIWoWMbLZ8yMru8v"));
        // one random id in about seventy has no digit at all
        assertThat(ReadmeConsole.shape("x-request-id: req_gNAlC6bJWPIhptnoCenoWwC7"))
                .isEqualTo(ReadmeConsole.shape("x-request-id: req_wBwpAYipLzcmbXoMKfuQEnXD"));
        assertThat(ReadmeConsole.shape("x-tollgate-tier: small")).isNotEqualTo(ReadmeConsole.shape("x-tollgate-tier: flagship"));
        assertThat(ReadmeConsole.shape("ledger: /tmp/tour/data/ledger.duckdb"))
                .isEqualTo(ReadmeConsole.shape("ledger: /home/me/tollgate/data/ledger.duckdb"));
        assertThat(ReadmeConsole.shape("$4,547.67 (+20.5%) 1.71E-5")).isEqualTo(ReadmeConsole.shape("$0.0004984 (-4.0%) 0.0"));
        assertThat(ReadmeConsole.shape("\"index\":0,\"message\"")).isEqualTo("\"index\":0,\"message\"");
    }

    @Test
    void jsonShownOverSeveralLinesIsComparedAsTheOneLineTheGatewayPrints() {
        List<String> shown = ReadmeConsole.parse(README).get(1).shown();
        assertThat(ReadmeConsole.unmatched(shown,
                List.of("{\"rows\":[{\"team\":\"search\",\"cost_usd\":0.0001}],\"total\":{\"requests\":5}}"))).isEmpty();
        assertThat(ReadmeConsole.unmatched(shown,
                List.of("{\"rows\":[{\"team\":\"ads\",\"cost_usd\":0.0001}],\"total\":{\"requests\":5}}"))).hasSize(1);
    }

    @Test
    void anElidedLineMatchesALineHoldingItsPartsInOrder() {
        List<String> shown = List.of("{\"id\":\"chatcmpl-812C934TQGv8AGPZj51dMNp6\",\"object\":\"chat.completion\",…,\"model\":\"gpt-4o-mini\"…}", "…");
        assertThat(ReadmeConsole.unmatched(shown,
                List.of("{\"id\":\"chatcmpl-CpEB281OEFQRgLzZ9tosreyt\",\"object\":\"chat.completion\",\"created\":1796594803,\"model\":\"gpt-4o-mini\",\"x\":1}")))
                .isEmpty();
        assertThat(ReadmeConsole.unmatched(shown,
                List.of("{\"model\":\"gpt-4o-mini\",\"id\":\"chatcmpl-CpEB281OEFQRgLzZ9tosreyt\",\"object\":\"chat.completion\"}")))
                .hasSize(1);
    }

    @Test
    void aCommandIsWholeOnceItsQuotesAreClosedAndItEndsWithoutABackslash() {
        assertThat(ReadmeConsole.complete("curl -d '{\"a\":")).isFalse();
        assertThat(ReadmeConsole.complete("curl -d '{\"a\":\n 1}'")).isTrue();
        assertThat(ReadmeConsole.complete("duckdb x \"select '$.tier'")).isFalse();
        assertThat(ReadmeConsole.complete("./tollgate plan \\")).isFalse();
        assertThat(ReadmeConsole.complete("bench/ledger.sh history /tmp/x 40     # 40 days, it's now")).isTrue();
    }
}
