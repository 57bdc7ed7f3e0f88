package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static dev.tollgate.gateway.budget.BudgetsTest.CHAT;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code /admin/keys} on one gateway with its embedded DuckDB ledger: keys made and revoked there outlive a restart. */
class KeysAdminTest {

    @TempDir
    Path data;

    static final String CONTROLS = "runaway: {enabled: false}\nanomaly: {enabled: false}\n";

    static int chat(BudgetBed bed, String secret) throws Exception {
        return bed.post("/v1/chat/completions", CHAT.formatted("gpt-4o-mini"), "authorization", "Bearer " + secret).statusCode();
    }

    @Test
    void keysCreatedAndRevokedThroughTheAdminApiOutliveARestart() throws Exception {
        String secret;
        try (BudgetBed bed = new BudgetBed(data, CONTROLS)) {
            HttpResponse<String> created = bed.admin("POST", "/admin/keys", "{\"name\":\"notebook\",\"tags\":{\"team\":\"research\"}}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            JsonNode key = Json.parse(created.body());
            secret = key.path("key").asText();
            assertThat(key.path("source").asText()).isEqualTo("admin");
            assertThat(chat(bed, secret)).as("usable at once").isEqualTo(200);
            assertThat(bed.admin("DELETE", "/admin/keys/loop", null).statusCode()).isEqualTo(200);
            assertThat(chat(bed, BudgetBed.LOOP_KEY)).isEqualTo(401);
        }
        try (BudgetBed bed = new BudgetBed(data, CONTROLS)) {
            assertThat(chat(bed, secret)).as("the admin API's key after a restart").isEqualTo(200);
            assertThat(chat(bed, BudgetBed.LOOP_KEY)).as("the config key stays revoked").isEqualTo(401);
            assertThat(chat(bed, BudgetBed.TEAM_KEY)).isEqualTo(200);
            JsonNode list = bed.adminJson("/admin/keys");
            assertThat(list.toString()).doesNotContain(secret);
            assertThat(list.path("keys").findValuesAsText("name")).containsExactly("learner", "notebook", "team-key");
            assertThat(bed.admin("DELETE", "/admin/keys/notebook", null).statusCode()).isEqualTo(200);
            assertThat(chat(bed, secret)).isEqualTo(401);
        }
    }

    @Test
    void aKeyWithTollgatesOwnTagNameIsRefused() throws Exception {
        try (BudgetBed bed = new BudgetBed(data, CONTROLS)) {
            HttpResponse<String> refused = bed.admin("POST", "/admin/keys", "{\"name\":\"sneaky\",\"tags\":{\"tollgate\":\"eval\"}}");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
            assertThat(Json.parse(refused.body()).path("error").path("message").asText()).contains("'tollgate'");
            assertThat(bed.adminJson("/admin/keys").path("keys").findValuesAsText("name")).doesNotContain("sneaky");
        }
    }
}
