package dev.tollgate.store.duckdb;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * The ledger as a FOCUS 1.3 cost and usage dataset (FinOps Open Cost and Usage Specification), written by DuckDB's
 * COPY as CSV or Parquet: one Usage charge per hour × virtual key × provider × served model × price version × tag
 * set, read from the hourly rollup for sealed hours and from raw rows after them (see {@link Rollup}).
 *
 * <p>Every column FOCUS 1.3 marks Mandatory is present ({@link #MANDATORY_COLUMNS}), plus the conditional ones that
 * apply to metered API calls and {@code x_}-prefixed columns with the token counts. Costs are {@code DECIMAL(38,12)};
 * Tollgate prices at list price with no negotiated or commitment discounts, so BilledCost, EffectiveCost, ListCost
 * and ContractedCost are equal. Date/times are UTC: ISO 8601 text ending in {@code Z} in CSV, timestamps adjusted to
 * UTC in Parquet. The charge is invoiced by the model provider, so InvoiceIssuerName and the provider columns name
 * the configured provider; the dataset is a showback of provider bills, not a second bill.
 *
 * <p>Charge periods are whole hours: {@code from} is rounded down and {@code to} up to the hour, so the export's
 * BilledCost sums to the raw rows' cost over {@code [floor(from), ceil(to))}.
 */
final class FocusExport {

    enum Format { CSV, PARQUET }

    /** FOCUS 1.3's Mandatory columns of the Cost and Usage dataset (ProviderName and PublisherName are deprecated
     *  in 1.3 but still mandatory). */
    static final List<String> MANDATORY_COLUMNS = List.of("BilledCost", "BillingAccountId", "BillingAccountName",
            "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
            "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost",
            "HostProviderName", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit", "ProviderName",
            "PublisherName", "ServiceCategory", "ServiceName", "ServiceProviderName");

    private FocusExport() {
    }

    /** The SELECT producing the dataset (date/times as TIMESTAMPTZ; the session's time zone must be UTC). */
    static String select(Instant from, Instant to, Instant sealedUntil, Format format) {
        String where = "true";
        if (from != null) where += " AND hour >= " + literal(from.truncatedTo(ChronoUnit.HOURS));
        if (to != null) where += " AND hour < " + literal(ceilHour(to));
        String sealed = sealedUntil == null ? "false" : "hour < " + literal(sealedUntil);
        String open = sealedUntil == null ? "true" : "time >= " + literal(sealedUntil);
        String ts = format == Format.CSV ? "strftime(%s, '%%Y-%%m-%%dT%%H:%%M:%%SZ')" : "timezone('UTC', %s)";
        return """
                WITH charges AS (
                    SELECT hour, key_name, provider, served_model, price_version, tags,
                           sum(requests) AS requests, sum(input_tokens) AS input_tokens,
                           sum(cached_input_tokens) AS cached_input_tokens,
                           sum(cache_write_5m_tokens + cache_write_1h_tokens) AS cache_write_tokens,
                           sum(output_tokens) AS output_tokens, sum(reasoning_tokens) AS reasoning_tokens,
                           CAST(sum(cost_usd) AS DECIMAL(38,12)) AS cost
                    FROM (SELECT hour, key_name, provider, served_model, price_version, tags, attempts AS requests, input_tokens,
                                 cached_input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
                                 reasoning_tokens, cost_usd
                          FROM rollup_hourly JOIN (SELECT id AS tag_set, tags FROM tag_sets) USING (tag_set) WHERE %s
                          UNION ALL
                          SELECT date_trunc('hour', time) AS hour, coalesce(key_name, ''), coalesce(provider, ''),
                                 coalesce(served_model, ''), coalesce(price_version, ''), %s, 1, input_tokens,
                                 cached_input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens,
                                 reasoning_tokens, cost_usd
                          FROM requests WHERE %s)
                    WHERE %s
                    GROUP BY ALL)
                SELECT
                    cost AS BilledCost,
                    coalesce(nullif(provider, ''), 'unknown') AS BillingAccountId,
                    coalesce(nullif(provider, ''), 'unknown') AS BillingAccountName,
                    'USD' AS BillingCurrency,
                    %s AS BillingPeriodEnd,
                    %s AS BillingPeriodStart,
                    'Usage' AS ChargeCategory,
                    CAST(NULL AS VARCHAR) AS ChargeClass,
                    coalesce(nullif(served_model, ''), 'unknown model') || ': ' || requests || ' requests, '
                        || input_tokens || ' input and ' || output_tokens || ' output tokens' AS ChargeDescription,
                    'Usage-Based' AS ChargeFrequency,
                    %s AS ChargePeriodEnd,
                    %s AS ChargePeriodStart,
                    cost AS ContractedCost,
                    cost AS EffectiveCost,
                    coalesce(nullif(provider, ''), 'unknown') AS HostProviderName,
                    coalesce(nullif(provider, ''), 'unknown') AS InvoiceIssuerName,
                    cost AS ListCost,
                    CAST(input_tokens + output_tokens AS DECIMAL(38,0)) AS ConsumedQuantity,
                    'Tokens' AS ConsumedUnit,
                    'Standard' AS PricingCategory,
                    CAST(input_tokens + output_tokens AS DECIMAL(38,0)) AS PricingQuantity,
                    'Tokens' AS PricingUnit,
                    coalesce(nullif(provider, ''), 'unknown') AS ProviderName,
                    coalesce(nullif(provider, ''), 'unknown') AS PublisherName,
                    nullif(key_name, '') AS ResourceId,
                    nullif(key_name, '') AS ResourceName,
                    'Virtual Key' AS ResourceType,
                    'AI and Machine Learning' AS ServiceCategory,
                    coalesce(nullif(served_model, ''), 'unknown model') AS ServiceName,
                    coalesce(nullif(provider, ''), 'unknown') AS ServiceProviderName,
                    'Generative AI' AS ServiceSubcategory,
                    nullif(served_model, '') AS SkuId,
                    nullif(price_version, '') AS SkuPriceId,
                    tags AS Tags,
                    CAST(requests AS BIGINT) AS x_Requests,
                    CAST(input_tokens AS BIGINT) AS x_InputTokens,
                    CAST(cached_input_tokens AS BIGINT) AS x_CachedInputTokens,
                    CAST(cache_write_tokens AS BIGINT) AS x_CacheWriteTokens,
                    CAST(output_tokens AS BIGINT) AS x_OutputTokens,
                    CAST(reasoning_tokens AS BIGINT) AS x_ReasoningTokens
                FROM charges
                ORDER BY hour, key_name, provider, served_model, price_version, tags""".formatted(sealed,
                Rollup.canonicalTagsSql("tags"), open, where,
                ts.formatted("date_trunc('month', hour) + INTERVAL 1 MONTH"), ts.formatted("date_trunc('month', hour)"),
                ts.formatted("hour + INTERVAL 1 HOUR"), ts.formatted("hour"));
    }

    /** The COPY statement writing {@link #select} to {@code out}. */
    static String copy(Instant from, Instant to, Instant sealedUntil, Format format, Path out) {
        String options = format == Format.CSV ? "FORMAT csv, HEADER true" : "FORMAT parquet, COMPRESSION zstd";
        return "COPY (" + select(from, to, sealedUntil, format) + ") TO '" + out.toAbsolutePath().toString().replace("'", "''")
                + "' (" + options + ")";
    }

    private static String literal(Instant t) {
        return "TIMESTAMP '" + t.toString().replace("T", " ").replace("Z", "") + "'";
    }

    private static Instant ceilHour(Instant t) {
        Instant floor = t.truncatedTo(ChronoUnit.HOURS);
        return floor.equals(t) ? t : floor.plus(1, ChronoUnit.HOURS);
    }

    static Format format(String name) {
        try {
            return Format.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("format must be csv or parquet, not '" + name + "'");
        }
    }
}
