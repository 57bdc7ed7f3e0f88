package dev.tollgate.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The report table shows attempts and savings only when they say something, and a negative saving is explained. */
class ReportFormatTest {

    static JsonNode body(String rows, String total) throws Exception {
        return Json.parse("{\"group_by\":[\"tier\"],\"rows\":[" + rows + "],\"total\":" + total + "}");
    }

    @Test
    void aCascadeShowsAttemptsApartAndItsNegativeSaving() throws Exception {
        JsonNode body = body("""
                {"tier":"small","requests":0,"attempts":2,"input_tokens":27,"output_tokens":14,"cost_usd":0.0000083,"saved_usd":-0.0000083},
                {"tier":"top","requests":2,"attempts":2,"input_tokens":27,"output_tokens":20,"cost_usd":0.0002675,"saved_usd":0}""",
                "{\"requests\":2,\"attempts\":4,\"input_tokens\":54,\"output_tokens\":34,\"cost_usd\":0.0002758,\"saved_usd\":-0.0000083}");
        String table = ReportFormat.render(body, false, ReportCommand.Format.TABLE);
        String[] lines = table.split("\n");
        assertThat(lines[0].split("\\s+")).containsExactly("tier", "requests", "attempts", "input_tokens", "output_tokens", "cost_usd", "saved_usd");
        assertThat(lines[2].split("\\s+")).containsExactly("small", "0", "2", "27", "14", "0.0000083", "-0.0000083");
        assertThat(lines[5].split("\\s+")).containsExactly("TOTAL", "2", "4", "54", "34", "0.0002758", "-0.0000083");
        assertThat(lines[6]).startsWith("saved_usd < 0: ");
    }

    @Test
    void plainTrafficKeepsTheUsualColumns() throws Exception {
        JsonNode body = body("{\"tier\":\"small\",\"requests\":3,\"attempts\":3,\"input_tokens\":5,\"output_tokens\":6,\"cost_usd\":0.1,\"saved_usd\":0}",
                "{\"requests\":3,\"attempts\":3,\"input_tokens\":5,\"output_tokens\":6,\"cost_usd\":0.1,\"saved_usd\":0}");
        String table = ReportFormat.render(body, false, ReportCommand.Format.TABLE);
        assertThat(table.split("\n")[0].split("\\s+")).containsExactly("tier", "requests", "input_tokens", "output_tokens", "cost_usd");
        assertThat(table).doesNotContain("saved_usd");
    }
}
