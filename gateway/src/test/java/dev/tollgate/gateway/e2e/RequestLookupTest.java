package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestBed;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /admin/requests/{id}}: the dashboard's drill-down into one request. */
class RequestLookupTest extends EndToEnd {

    @Test
    void oneRequestsRowByTheIdItsClientGot() throws Exception {
        var raw = openai.chat().completions().withRawResponse().create(ChatCompletionCreateParams.builder()
                .model("gpt-4o-mini").addUserMessage("what is this row?").maxCompletionTokens(7).build());
        String id = raw.headers().values("x-tollgate-request-id").get(0);
        BigDecimal cost = new BigDecimal(raw.headers().values("x-tollgate-cost-usd").get(0));
        openai.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-4o-mini").addUserMessage("a later request").maxCompletionTokens(3).build());

        JsonNode row = bed.admin("/admin/requests/" + id).path("request");
        assertThat(row.path("request_id").asText()).isEqualTo(id);
        assertThat(row.path("cost_usd").decimalValue()).isEqualByComparingTo(cost);
        assertThat(row.path("output_tokens").asLong()).isEqualTo(7);
        assertThat(row.path("key").asText()).isEqualTo("search-prod");
        assertThat(row.path("tags").path("team").asText()).isEqualTo("search");
        assertThat(row.path("requested_model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(row.path("status").asInt()).isEqualTo(200);
    }

    @Test
    void anUnknownIdIsNotFoundAndTheRouteNeedsTheAdminToken() throws Exception {
        HttpResponse<String> missing = get("/admin/requests/req_0000000000000000000000000", TestBed.ADMIN);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Json.parse(missing.body()).path("error").path("code").asText()).isEqualTo("not_found");

        HttpResponse<String> injected = get("/admin/requests/x%27%20OR%20%271%27%3D%271", TestBed.ADMIN);
        assertThat(injected.statusCode()).isEqualTo(404);
        assertThat(Json.parse(injected.body()).path("error").path("message").asText()).contains("x' OR '1'='1");

        assertThat(get("/admin/requests/" + "r".repeat(129), TestBed.ADMIN).statusCode()).isEqualTo(400);
        assertThat(get("/admin/requests/anything", "wrong").statusCode()).isEqualTo(401);
    }

    static HttpResponse<String> get(String path, String token) throws Exception {
        return bed.http.send(HttpRequest.newBuilder(URI.create(bed.url() + path)).header("authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
