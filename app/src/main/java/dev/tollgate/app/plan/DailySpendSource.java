package dev.tollgate.app.plan;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.store.duckdb.LedgerScan;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * Daily spend per scope, from the ledger file when no gateway holds it, or else from the running gateway's admin API
 * ({@code GET /admin/spend?group_by=day,TAG}), as the design asks: the user never sees a lock error.
 */
final class DailySpendSource {

    private DailySpendSource() {
    }

    /** Where the numbers came from, for the output's notes. */
    record Result(List<LedgerScan.DaySpend> days, String source) {
    }

    static Result load(Path dataDir, Instant from, Instant to, String scopeTag, String gateway, String adminToken) throws Exception {
        try (LedgerScan scan = LedgerScan.open(dataDir)) {
            return new Result(scan.dailySpend(from, to, scopeTag), "ledger file " + dataDir.resolve("ledger.duckdb"));
        } catch (LedgerScan.LedgerBusyException busy) {
            if (adminToken == null || adminToken.isBlank()) {
                throw new IllegalStateException(busy.getMessage() + ", or give its admin token (--admin-token or TOLLGATE_ADMIN_TOKEN) to ask it");
            }
            return new Result(fromGateway(gateway, adminToken, from, to, scopeTag), "gateway " + gateway + " (admin API)");
        }
    }

    static List<LedgerScan.DaySpend> fromGateway(String gateway, String token, Instant from, Instant to, String scopeTag) throws Exception {
        String groupBy = scopeTag == null ? "day" : "day," + scopeTag;
        String url = gateway.replaceAll("/+$", "") + "/admin/spend?group_by=" + URLEncoder.encode(groupBy, StandardCharsets.UTF_8)
                + "&from=" + from + "&to=" + to;
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("authorization", "Bearer " + token).GET().build();
        HttpResponse<String> response;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the ledger is held by a gateway, and the gateway at " + gateway + " did not answer: " + e.getMessage());
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the gateway at " + gateway + " answered " + response.statusCode()
                    + (response.statusCode() == 401 ? " (wrong --admin-token)" : "") + " to " + url);
        }
        JsonNode body = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).readTree(response.body());
        List<LedgerScan.DaySpend> out = new ArrayList<>();
        for (JsonNode row : body.path("rows")) {
            String scope = scopeTag == null ? "all" : row.path(scopeTag).isNull() ? "(none)" : row.path(scopeTag).asText();
            out.add(new LedgerScan.DaySpend(LocalDate.parse(row.path("day").asText()), scope,
                    new BigDecimal(row.path("cost_usd").asText()), row.path("requests").asLong()));
        }
        out.sort((a, b) -> a.day().compareTo(b.day()) != 0 ? a.day().compareTo(b.day()) : a.scope().compareTo(b.scope()));
        return out;
    }
}
