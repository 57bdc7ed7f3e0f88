package dev.tollgate.app.plan;

import dev.tollgate.app.GatewayLink;
import dev.tollgate.app.LedgerSource;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.store.duckdb.LedgerScan;

import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * Daily spend per scope, from the shared ledger in PostgreSQL with {@code --ledger}, else from the ledger file when no
 * gateway holds it, or else from the running gateway's admin API
 * ({@code GET /admin/spend?group_by=day,TAG}), as the design asks: the user never sees a lock error.
 */
final class DailySpendSource {

    private DailySpendSource() {
    }

    /** Where the numbers came from, for the output's notes. */
    record Result(List<LedgerScan.DaySpend> days, String source) {
    }

    static Result load(LedgerSource ledger, Path dataDir, Instant from, Instant to, String scopeTag, String gateway, String adminToken) {
        if (ledger.shared()) {
            // the replicas' own query (the rollups of sealed hours, raw rows after): what /admin/plan/forecast reads
            try (LedgerSource.Shared shared = ledger.open()) {
                return new Result(PlanAdminRoutes.daily(shared.ledger(), from, to, scopeTag, java.util.Map.of()), shared.where());
            }
        }
        try (LedgerScan scan = LedgerScan.open(dataDir)) {
            return new Result(scan.dailySpend(from, to, scopeTag), "ledger file " + dataDir.resolve("ledger.duckdb"));
        } catch (LedgerScan.LedgerBusyException busy) {
            GatewayLink link = GatewayLink.find(dataDir, gateway, adminToken);
            if (link.token() == null) {
                throw new IllegalStateException(busy.getMessage() + ", or give its admin token (--admin-token or TOLLGATE_ADMIN_TOKEN) to ask it");
            }
            return new Result(fromGateway(link, from, to, scopeTag), "gateway " + link.url() + " (admin API)");
        }
    }

    static List<LedgerScan.DaySpend> fromGateway(GatewayLink link, Instant from, Instant to, String scopeTag) {
        String groupBy = scopeTag == null ? "day" : "day," + scopeTag;
        JsonNode body = link.get("/admin/spend?group_by=" + URLEncoder.encode(groupBy, StandardCharsets.UTF_8) + "&from=" + from + "&to=" + to);
        List<LedgerScan.DaySpend> out = new ArrayList<>();
        for (JsonNode row : body.path("rows")) {
            String scope = scopeTag == null ? "all" : row.path(scopeTag).isNull() || row.path(scopeTag).isMissingNode() ? "(none)" : row.path(scopeTag).asText();
            out.add(new LedgerScan.DaySpend(LocalDate.parse(row.path("day").asText()), scope,
                    new BigDecimal(row.path("cost_usd").asText()), row.path("requests").asLong()));
        }
        out.sort((a, b) -> a.day().compareTo(b.day()) != 0 ? a.day().compareTo(b.day()) : a.scope().compareTo(b.scope()));
        return out;
    }
}
