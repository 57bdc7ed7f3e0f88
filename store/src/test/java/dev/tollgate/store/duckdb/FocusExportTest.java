package dev.tollgate.store.duckdb;

import dev.tollgate.store.LedgerEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The FOCUS export checked against the specification's column definitions (FOCUS 1.3, Cost and Usage dataset):
 * every Mandatory column present with its data type and nullability, date/times in UTC, Tags a JSON object, and
 * BilledCost summing to the ledger's cost.
 */
class FocusExportTest {

    /** FOCUS data type per mandatory column, and whether the specification allows nulls in it. */
    record Spec(String type, boolean nullable) {
    }

    static final Map<String, Spec> MANDATORY = new TreeMap<>(Map.ofEntries(
            Map.entry("BilledCost", new Spec("Decimal", false)),
            Map.entry("BillingAccountId", new Spec("String", false)),
            Map.entry("BillingAccountName", new Spec("String", true)),
            Map.entry("BillingCurrency", new Spec("String", false)),
            Map.entry("BillingPeriodEnd", new Spec("DateTime", false)),
            Map.entry("BillingPeriodStart", new Spec("DateTime", false)),
            Map.entry("ChargeCategory", new Spec("String", false)),
            Map.entry("ChargeClass", new Spec("String", true)),
            Map.entry("ChargeDescription", new Spec("String", true)),
            Map.entry("ChargePeriodEnd", new Spec("DateTime", false)),
            Map.entry("ChargePeriodStart", new Spec("DateTime", false)),
            Map.entry("ContractedCost", new Spec("Decimal", false)),
            Map.entry("EffectiveCost", new Spec("Decimal", false)),
            Map.entry("HostProviderName", new Spec("String", true)),
            Map.entry("InvoiceIssuerName", new Spec("String", false)),
            Map.entry("ListCost", new Spec("Decimal", false)),
            Map.entry("PricingQuantity", new Spec("Decimal", true)),
            Map.entry("PricingUnit", new Spec("String", true)),
            Map.entry("ProviderName", new Spec("String", false)),
            Map.entry("PublisherName", new Spec("String", false)),
            Map.entry("ServiceCategory", new Spec("String", false)),
            Map.entry("ServiceName", new Spec("String", false)),
            Map.entry("ServiceProviderName", new Spec("String", false))));

    static final Set<String> CHARGE_CATEGORIES = Set.of("Usage", "Purchase", "Tax", "Credit", "Adjustment");

    @TempDir
    Path dir;

    @Test
    void parquetHasEveryMandatoryColumnWithItsTypeAndReconciles() throws Exception {
        List<LedgerEntry> rows = RollupReconciliationTest.randomRows(11, 4000);
        Instant from = Instant.parse("2026-10-31T05:20:00Z");
        Instant to = Instant.parse("2026-11-02T08:00:00Z");
        Path out = dir.resolve("focus.parquet");
        try (DuckDbLedger ledger = DuckDbLedger.open(dir.resolve("data"))) {
            rows.forEach(ledger::append);
            ledger.flush();
            long written = ledger.exportFocus(from, to, "parquet", out);
            assertThat(written).isEqualTo(expectedCharges(rows, from, to));
        }
        assertThat(MANDATORY.keySet()).containsExactlyInAnyOrderElementsOf(FocusExport.MANDATORY_COLUMNS);
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            String source = "read_parquet('" + out + "')";
            Map<String, String> types = new LinkedHashMap<>();
            try (ResultSet rs = s.executeQuery("DESCRIBE SELECT * FROM " + source)) {
                while (rs.next()) types.put(rs.getString("column_name"), rs.getString("column_type"));
            }
            for (Map.Entry<String, Spec> column : MANDATORY.entrySet()) {
                String name = column.getKey();
                assertThat(types).as("mandatory column %s", name).containsKey(name);
                String type = types.get(name);
                switch (column.getValue().type()) {
                    case "Decimal" -> assertThat(type).as(name).startsWith("DECIMAL(38,");
                    case "DateTime" -> assertThat(type).as(name).isEqualTo("TIMESTAMP WITH TIME ZONE");
                    default -> assertThat(type).as(name).isEqualTo("VARCHAR");
                }
                if (!column.getValue().nullable()) {
                    assertThat(scalar(s, "SELECT count(*) FROM " + source + " WHERE \"" + name + "\" IS NULL")).as("nulls in %s", name).isEqualTo("0");
                }
            }
            assertThat(types.get("Tags")).isEqualTo("VARCHAR");
            assertThat(scalar(s, "SELECT count(*) FROM " + source + " WHERE NOT json_valid(Tags) OR json_type(Tags) <> 'OBJECT'")).isEqualTo("0");
            assertThat(scalar(s, "SELECT count(*) FROM " + source + " WHERE Tags LIKE '%decision%'")).as("run ids stay out").isEqualTo("0");
            // units and periods: each charge is one hour inside its calendar month; currency ISO 4217
            s.execute("SET TimeZone = 'UTC'");
            assertThat(scalar(s, "SELECT count(*) FROM " + source + " WHERE ChargePeriodEnd - ChargePeriodStart <> INTERVAL 1 HOUR"
                    + " OR ChargePeriodStart < BillingPeriodStart OR ChargePeriodEnd > BillingPeriodEnd"
                    + " OR BillingCurrency <> 'USD' OR ServiceCategory <> 'AI and Machine Learning'"
                    + " OR BilledCost <> EffectiveCost OR BilledCost <> ListCost OR BilledCost <> ContractedCost")).isEqualTo("0");
            assertThat(scalar(s, "SELECT CAST(min(ChargePeriodStart) AS VARCHAR) FROM " + source)).isEqualTo("2026-10-31 05:00:00+00");
            try (ResultSet rs = s.executeQuery("SELECT DISTINCT ChargeCategory FROM " + source)) {
                while (rs.next()) assertThat(CHARGE_CATEGORIES).contains(rs.getString(1));
            }
            BigDecimal billed = new BigDecimal(scalar(s, "SELECT sum(BilledCost) FROM " + source));
            assertThat(billed).isEqualByComparingTo(expectedCost(rows, from, to));
            assertThat(Long.parseLong(scalar(s, "SELECT sum(x_Requests) FROM " + source))).isEqualTo(inRange(rows, from, to).size());
        }
    }

    @Test
    void csvWritesUtcIsoDatesAndExactDecimals() throws Exception {
        List<LedgerEntry> rows = RollupReconciliationTest.randomRows(12, 2000);
        Path out = dir.resolve("focus.csv");
        try (DuckDbLedger ledger = DuckDbLedger.open(dir.resolve("data"))) {
            rows.forEach(ledger::append);
            ledger.flush();
            ledger.exportFocus(null, null, "csv", out);
        }
        List<String> lines = Files.readAllLines(out);
        List<String> header = List.of(lines.getFirst().split(","));
        assertThat(header).containsAll(MANDATORY.keySet()).contains("Tags", "SkuId", "ResourceId", "ConsumedQuantity");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM read_csv('" + out + "', all_varchar = true, header = true)")) {
            BigDecimal billed = BigDecimal.ZERO;
            int n = 0;
            while (rs.next()) {
                n++;
                for (String column : List.of("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd")) {
                    assertThat(rs.getString(column)).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:00:00Z");
                }
                assertThat(Instant.parse(rs.getString("ChargePeriodEnd")))
                        .isEqualTo(Instant.parse(rs.getString("ChargePeriodStart")).plus(1, ChronoUnit.HOURS));
                assertThat(rs.getString("BilledCost")).matches("\\d+\\.\\d{12}");
                assertThat(rs.getString("Tags")).startsWith("{").endsWith("}");
                billed = billed.add(new BigDecimal(rs.getString("BilledCost")));
            }
            assertThat(n).isEqualTo(lines.size() - 1).isEqualTo(expectedCharges(rows, null, null));
            assertThat(billed).isEqualByComparingTo(expectedCost(rows, null, null));
        }
    }

    private static String scalar(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Rows inside the export's whole hours: from rounded down, to rounded up. */
    private static List<LedgerEntry> inRange(List<LedgerEntry> rows, Instant from, Instant to) {
        Instant lo = from == null ? Instant.MIN : from.truncatedTo(ChronoUnit.HOURS);
        Instant hi = to == null ? Instant.MAX : (to.truncatedTo(ChronoUnit.HOURS).equals(to) ? to : to.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS));
        return rows.stream().filter(e -> !e.time().isBefore(lo) && e.time().isBefore(hi)).toList();
    }

    private static BigDecimal expectedCost(List<LedgerEntry> rows, Instant from, Instant to) {
        return inRange(rows, from, to).stream().map(LedgerEntry::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /** One charge per hour × key × provider × model × price version × tag set (without run ids). */
    private static long expectedCharges(List<LedgerEntry> rows, Instant from, Instant to) {
        Set<List<Object>> keys = new HashSet<>();
        for (LedgerEntry e : inRange(rows, from, to)) {
            Map<String, String> tags = new TreeMap<>(e.tags());
            tags.remove("decision");
            keys.add(new ArrayList<>(java.util.Arrays.asList(e.time().truncatedTo(ChronoUnit.HOURS), e.keyName(), e.provider(),
                    e.servedModel(), e.priceVersion(), tags)));
        }
        return keys.size();
    }
}
