package dev.tollgate.gateway.budget;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.duckdb.LedgerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Admin writes (a budget, an outcome) while the ledger's disk is under {@code ledger.min_free_mb}: each is refused
 * with a 507 JSON error that says why, nothing of it is written, the gateway keeps answering, and the same write
 * succeeds once there is room. The full disk is simulated by a threshold above the disk's free space, which is what
 * the writer and these writes test before touching DuckDB (TinyDiskTest fills a real tmpfs).
 */
class FullDiskAdminTest {

    static final String CONTROLS = "runaway: {enabled: false}";
    static final String BUDGET = "{\"name\":\"late\",\"scope\":\"org\",\"period\":\"monthly\",\"limit_usd\":\"5\"}";

    @TempDir
    Path data;

    @Test
    void budgetAndOutcomeWritesOnAFullDiskGet507AndLeaveNothingHalfWritten() throws Exception {
        String requestId;
        try (BudgetBed bed = new BudgetBed(data, CONTROLS)) {
            HttpResponse<String> call = bed.post("/v1/chat/completions", BudgetAdminTest.CHAT, BudgetAdminTest.TEAM);
            assertThat(call.statusCode()).isEqualTo(200);
            requestId = call.headers().firstValue("x-tollgate-request-id").orElseThrow();
        }
        String outcome = "{\"request_id\":\"" + requestId + "\",\"success\":true,\"value_usd\":\"3.25\"}";

        long free = Files.getFileStore(data).getUsableSpace();
        LedgerOptions d = LedgerOptions.DEFAULTS;
        LedgerOptions full = new LedgerOptions(null, d.memoryRows(), d.spoolMaxBytes(), d.walMaxBytes(),
                free + (1L << 30), false); // a gigabyte more than the disk has: to the gateway, the disk is full
        try (BudgetBed bed = new BudgetBed(data, CONTROLS, full)) {
            HttpResponse<String> budget = bed.admin("POST", "/admin/budgets", BUDGET);
            assertThat(budget.statusCode()).as(budget.body()).isEqualTo(507);
            JsonNode error = Json.parse(budget.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("storage_full");
            assertThat(error.path("message").asText()).contains("budget 'late' was not saved").contains("ledger.min_free_mb");

            HttpResponse<String> recorded = bed.admin("POST", "/admin/outcomes", outcome);
            assertThat(recorded.statusCode()).as(recorded.body()).isEqualTo(507);
            assertThat(Json.parse(recorded.body()).path("error").path("code").asText()).isEqualTo("storage_full");

            // the process still answers, and the refused budget is not half-installed in memory
            assertThat(bed.admin("GET", "/admin/budgets/late", null).statusCode()).isEqualTo(404);
            assertThat(bed.adminJson("/admin/budgets").path("budgets")).isEmpty();
        }

        try (BudgetBed bed = new BudgetBed(data, CONTROLS)) {
            assertThat(bed.adminJson("/admin/budgets").path("budgets")).isEmpty();
            assertThat(bed.adminJson("/admin/outcomes").path("total").path("outcomes").asLong()).isZero();

            HttpResponse<String> recorded = bed.admin("POST", "/admin/outcomes", outcome);
            assertThat(recorded.statusCode()).as(recorded.body()).isEqualTo(200);
            JsonNode total = bed.adminJson("/admin/outcomes").path("total");
            assertThat(total.path("outcomes").asLong()).isEqualTo(1);
            assertThat(total.path("value_usd").decimalValue()).isEqualByComparingTo("3.25");
            assertThat(bed.admin("POST", "/admin/budgets", BUDGET).statusCode()).isEqualTo(201);
        }
    }
}
