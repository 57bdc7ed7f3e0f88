package dev.tollgate.gateway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.gateway.Gateway;
import dev.tollgate.gateway.GatewayServices;
import dev.tollgate.gateway.Json;
import dev.tollgate.gateway.TestTransport;
import dev.tollgate.gateway.config.ConfigLoader;
import dev.tollgate.gateway.config.GatewayConfig;
import dev.tollgate.sandbox.SandboxConfig;
import dev.tollgate.sandbox.SandboxServer;
import dev.tollgate.store.postgres.PgDatabase;
import dev.tollgate.store.postgres.PgFixture;
import dev.tollgate.store.postgres.PgLedger;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway with {@code ledger.type: postgres} on the sandbox provider: every answered request is a row in
 * PostgreSQL with the cost its client was told, and {@code /admin/spend} reads the totals from there; the prompt log
 * is kept there too, and the prompt audit reads it.
 */
class SharedLedgerTest {

    private static final String ADMIN = "admin-secret";
    private static final String KEY = "tg-shared-key";

    @TempDir
    Path data;

    @Test
    void requestsLandInPostgresAndTheAdminApiReportsThem() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Vertx vertx = TestTransport.choice().vertx(new VertxOptions().setEventLoopPoolSize(2));
        try (PgFixture pg = new PgFixture()) {
            SandboxServer sandbox = SandboxServer.start(vertx, SandboxConfig.defaults(), 0).await();
            String yaml = """
                    admin: {token: %s}
                    ledger: {type: postgres, url: "%s", schema: %s, pool_size: 3}
                    prompt_log: {enabled: true, group_tag: feature}
                    providers:
                      sandbox: {type: openai, base_url: "http://127.0.0.1:%d/v1", api_key: "sk-upstream"}
                    models:
                      - {name: gpt-4o-mini, provider: sandbox, model: gpt-4o-mini}
                      - {name: gpt-4o, provider: sandbox, model: gpt-4o}
                    keys:
                      - {key: %s, name: search-prod, tags: {team: search}}
                    """.formatted(ADMIN, PgFixture.URL, pg.schema, sandbox.port(), KEY);
            GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse(yaml);
            assertThat(config.ledger().shared()).isTrue();
            GatewayConfig.Postgres settings = config.ledger().postgres();
            try (PgDatabase db = PgDatabase.open(settings.url(), settings.schema(), settings.poolSize());
                 PgLedger ledger = PgLedger.open(db, data.resolve("journal"), config.ledger().store())) {
                GatewayServices services = GatewayServices.of(config, PriceCatalog.bundled(), ledger);
                Gateway gateway = Gateway.start(vertx, services, 0, 2).await();
                try {
                    Map<String, BigDecimal> costById = new HashMap<>();
                    Map<String, BigDecimal> costByModel = new HashMap<>();
                    for (int i = 0; i < 8; i++) {
                        String model = i % 4 == 0 ? "gpt-4o" : "gpt-4o-mini";
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/v1/chat/completions"))
                                .header("authorization", "Bearer " + KEY).header("content-type", "application/json")
                                .header("x-tollgate-tags", "feature=shared-e2e")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":9,"
                                        + "\"messages\":[{\"role\":\"user\",\"content\":\"question number " + i + "\"}]}"))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        BigDecimal cost = new BigDecimal(r.headers().firstValue("x-tollgate-cost-usd").orElseThrow());
                        costById.put(r.headers().firstValue("x-tollgate-request-id").orElseThrow(), cost);
                        costByModel.merge(model, cost, BigDecimal::add);
                    }

                    JsonNode spend = admin(http, gateway, "/admin/spend?group_by=model&since=1h&feature=shared-e2e");
                    assertThat(spend.path("total").path("requests").asLong()).isEqualTo(8);
                    assertThat(spend.path("total").path("cost_usd").decimalValue())
                            .isEqualByComparingTo(costById.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add));
                    assertThat(spend.path("rows")).hasSize(2).allSatisfy(row -> assertThat(row.path("cost_usd").decimalValue())
                            .isEqualByComparingTo(costByModel.get(row.path("model").asText())));

                    // each request is one row in PostgreSQL, with the key's tags and the cost its client got
                    try (Connection c = db.connection(); PreparedStatement p = c.prepareStatement(
                            "SELECT request_id, cost_usd, key_name, tags ->> 'team', tags ->> 'feature' FROM requests")) {
                        Map<String, BigDecimal> stored = new HashMap<>();
                        try (ResultSet rs = p.executeQuery()) {
                            while (rs.next()) {
                                assertThat(rs.getString(3)).isEqualTo("search-prod");
                                assertThat(rs.getString(4)).isEqualTo("search");
                                assertThat(rs.getString(5)).isEqualTo("shared-e2e");
                                assertThat(stored.put(rs.getString(1), rs.getBigDecimal(2).stripTrailingZeros())).isNull();
                            }
                        }
                        Map<String, BigDecimal> told = new HashMap<>();
                        costById.forEach((id, cost) -> told.put(id, cost.stripTrailingZeros()));
                        assertThat(stored).isEqualTo(told);
                    }
                    String someId = costById.keySet().iterator().next();
                    assertThat(admin(http, gateway, "/admin/requests/" + someId).path("request").path("cost_usd").decimalValue())
                            .isEqualByComparingTo(costById.get(someId));

                    // the prompt log is in PostgreSQL beside the ledger: the audit and eval's sample read every prompt
                    JsonNode audit = admin(http, gateway, "/admin/audit?since=1h");
                    assertThat(audit.path("prompt_log_enabled").asBoolean()).isTrue();
                    assertThat(audit.path("window").path("requests").asLong()).isEqualTo(8);
                    JsonNode sample = admin(http, gateway, "/admin/prompts/sample?n=50&since=1h");
                    assertThat(sample.path("prompts")).hasSize(8).allSatisfy(p -> {
                        assertThat(costById).containsKey(p.path("request_id").asText());
                        assertThat(p.path("answer").asText()).isNotBlank();
                        assertThat(p.path("messages").get(0).path("content").asText()).startsWith("question number ");
                    });
                    try (Connection c = db.connection(); PreparedStatement p = c.prepareStatement("SELECT count(*) FROM prompts");
                         ResultSet rs = p.executeQuery()) {
                        rs.next();
                        assertThat(rs.getLong(1)).isEqualTo(8);
                    }
                    // planning reads (a what-if replay) scan a copy of the range from PostgreSQL
                    long scanned = new dev.tollgate.gateway.admin.AdminCall(Map.of(), null, services)
                            .scanLedger(null, null, scan -> scan.count(null, null));
                    assertThat(scanned).isEqualTo(8);

                    // the FOCUS download works from PostgreSQL too: one charge per hour, key, provider, model and tag set
                    HttpResponse<String> focus = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl()
                            + "/admin/export/focus?format=csv&since=1h")).header("authorization", "Bearer " + ADMIN).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(focus.statusCode()).as(focus.body()).isEqualTo(200);
                    assertThat(focus.body().lines().skip(1).filter(l -> l.contains("gpt-4o-mini"))).isNotEmpty();
                    assertThat(focus.body().lines().skip(1).filter(l -> l.contains("gpt-4o,") || l.contains("gpt-4o\""))).isNotEmpty();
                } finally {
                    gateway.close();
                    services.observability().close();
                }
            }
        } finally {
            vertx.close().await();
        }
    }

    private static JsonNode admin(HttpClient http, Gateway gateway, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                .header("authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.parse(r.body());
    }
}
