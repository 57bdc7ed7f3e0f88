package dev.tollgate.bench;

import dev.tollgate.core.pricing.ModelPrice;
import dev.tollgate.core.pricing.PriceCatalog;
import dev.tollgate.store.duckdb.DuckDbLedger;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Writes a synthetic ledger for the planner's benchmarks and examples: {@code rows} requests spread evenly over
 * {@code days} days up to {@code end}, five models, four teams, spend growing over the period and lower at weekends,
 * one request in five a repeated FAQ prompt. DuckDB generates the rows itself ({@code INSERT … SELECT … FROM range}),
 * so ten million rows take seconds; costs are priced with the bundled catalog's rates, as the gateway would have.
 *
 * <pre>java -cp … dev.tollgate.bench.LedgerGenerator DATA_DIR ROWS DAYS [END_INSTANT]</pre>
 */
public final class LedgerGenerator {

    static final List<String> MODELS = List.of("gpt-4o-mini", "gpt-4o", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4.1");

    private LedgerGenerator() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: LedgerGenerator DATA_DIR ROWS DAYS [END_INSTANT]");
            System.exit(2);
        }
        Instant end = args.length > 3 ? Instant.parse(args[3]) : Instant.now().truncatedTo(ChronoUnit.SECONDS);
        long t0 = System.nanoTime();
        generate(Path.of(args[0]), Long.parseLong(args[1]), Integer.parseInt(args[2]), end);
        System.err.printf("wrote %s rows in %.1f s%n", args[1], (System.nanoTime() - t0) / 1e9);
    }

    public static void generate(Path dataDir, long rows, int days, Instant end) throws Exception {
        DuckDbLedger.open(dataDir).close(); // creates the file with the current schema
        PriceCatalog catalog = PriceCatalog.bundled();
        StringBuilder model = new StringBuilder("CASE");
        StringBuilder rateIn = new StringBuilder("CASE");
        StringBuilder rateOut = new StringBuilder("CASE");
        StringBuilder version = new StringBuilder("CASE");
        int[] cut = {50, 70, 80, 95, 100};
        for (int k = 0; k < MODELS.size(); k++) {
            ModelPrice p = catalog.priceAt(MODELS.get(k), end).orElseThrow();
            model.append(" WHEN h % 100 < ").append(cut[k]).append(" THEN '").append(MODELS.get(k)).append("'");
            rateIn.append(" WHEN model = '").append(MODELS.get(k)).append("' THEN ").append(p.ratesFor(0).input().toPlainString());
            rateOut.append(" WHEN model = '").append(MODELS.get(k)).append("' THEN ").append(p.ratesFor(0).output().toPlainString());
            version.append(" WHEN model = '").append(MODELS.get(k)).append("' THEN '").append(p.version()).append("'");
        }
        model.append(" END");
        rateIn.append(" END");
        rateOut.append(" END");
        version.append(" END");
        long endUs = end.getEpochSecond() * 1_000_000L;
        long spanUs = days * 86_400_000_000L;
        String sql = """
                INSERT INTO requests (time, request_id, key_name, tags, api, provider, deployment, requested_model,
                       served_model, input_tokens, cached_input_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
                       output_tokens, reasoning_tokens, cost_usd, price_version, status, error, latency_us, ttft_us,
                       stream, estimated)
                SELECT t, 'req_' || i, 'app-' || (h2 %% 8), tags, 'openai.chat',
                       CASE WHEN model LIKE 'claude%%' THEN 'anthropic' ELSE 'openai' END, model, model, model,
                       input, 0, 0, 0, output, 0,
                       CAST((input * (%s) + output * (%s)) / 1000000 AS DECIMAL(38,12)),
                       %s, 200, NULL, 800000 + h2 %% 400000, 200000 + h2 %% 100000, false, false
                FROM (
                  SELECT *, %s AS model,
                         CAST((50 + (h2 >> 20) %% 700) * (CASE WHEN dayofweek(t) IN (0, 6) THEN 0.4 ELSE 1 END) * (0.7 + 0.6 * i / %d) AS BIGINT) AS output
                  FROM (
                    SELECT range AS i, hash(range) AS h, hash(range * 31 + 7) AS h2,
                           make_timestamp(CAST(%d + range * (%d / %d) AS BIGINT)) AS t,
                           CASE (hash(range) >> 8) %% 4 WHEN 0 THEN '{"team":"search"}' WHEN 1 THEN '{"team":"support"}'
                                WHEN 2 THEN '{"team":"ads"}' ELSE '{"team":"research"}' END AS tags,
                           CASE WHEN (hash(range) >> 16) %% 5 = 0 THEN 300 + (hash(range) >> 24) %% 20
                                ELSE 200 + (hash(range) >> 24) %% 3800 END AS input
                    FROM range(%d)))
                """.formatted(rateIn, rateOut, version, model, rows, endUs - spanUs, spanUs, rows, rows);
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + dataDir.resolve(DuckDbLedger.FILE_NAME).toAbsolutePath());
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
