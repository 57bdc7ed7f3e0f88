package dev.tollgate.gateway.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.gateway.Json;
import dev.tollgate.store.Ledger;
import dev.tollgate.store.OutcomeRow;
import dev.tollgate.store.SpendQuery;
import dev.tollgate.store.SpendRow;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The spend and cost-per-outcome reports as the admin API answers them, from query parameters. Shared by
 * {@code GET /admin/spend}, {@code GET /admin/outcomes} and the {@code tollgate report} command when it reads the
 * ledger file itself, so both ways give the same JSON.
 *
 * <p>Parameters: {@code group_by} (comma-separated dimensions), {@code bucket} (hour, day, week, month), {@code from}
 * and {@code to} (dates or instants; from inclusive, to exclusive) or {@code since} (a duration back from now:
 * {@code 30d}, {@code 12h}, {@code 2w}, {@code 45m}, or a date/instant). Every other parameter filters on the
 * dimension it names (a tag, model, provider, status, status_class, key, …).
 */
public final class SpendReport {

    /** Parameters that are not filters. */
    public static final Set<String> RESERVED = Set.of("group_by", "from", "to", "since", "bucket", "format");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,6})([mhdw])");

    private SpendReport() {
    }

    /** The query the parameters describe; {@code now} anchors {@code since}. Bad values throw IllegalArgumentException. */
    public static SpendQuery query(Map<String, String> params, Instant now) {
        String groupParam = params.get("group_by");
        List<String> groupBy = groupParam == null ? List.of()
                : Arrays.stream(groupParam.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        Instant from = instant(params.get("from"), "from");
        Instant to = instant(params.get("to"), "to");
        String since = params.get("since");
        if (since != null && !since.isBlank()) {
            if (from != null) throw new IllegalArgumentException("give either since or from, not both");
            from = since(since, now);
        }
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException("from (" + from + ") must be before to (" + to + ")");
        }
        String bucket = params.get("bucket");
        Map<String, String> filters = new LinkedHashMap<>();
        params.forEach((name, value) -> {
            if (!RESERVED.contains(name)) filters.put(name, value);
        });
        return new SpendQuery(groupBy, from, to, filters, bucket == null || bucket.isBlank() ? null : bucket);
    }

    /** {@code GET /admin/spend}: rows of totals, highest cost first (oldest bucket first when bucketed), and a total. */
    public static ObjectNode spend(Ledger ledger, SpendQuery query) {
        List<SpendRow> rows = ledger.spend(query);
        ObjectNode body = header(query);
        body.put("bucket", query.bucket());
        ArrayNode out = body.putArray("rows");
        SpendRow total = new SpendRow(Map.of(), 0, 0, 0, 0, 0, 0, BigDecimal.ZERO, BigDecimal.ZERO, 0);
        for (SpendRow row : rows) {
            ObjectNode r = out.addObject();
            row.group().forEach(r::put);
            totals(r, row);
            total = add(total, row);
        }
        totals(body.putObject("total"), new SpendRow(Map.of(), total.requests(), total.inputTokens(), total.cachedInputTokens(),
                total.cacheWriteTokens(), total.outputTokens(), total.reasoningTokens(), plain(total.costUsd()),
                plain(total.savedUsd()), total.attempts()));
        return body;
    }

    /** Without padding zeros, never in exponent form. */
    private static BigDecimal plain(BigDecimal v) {
        BigDecimal s = v.stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0) : s;
    }

    /** {@code GET /admin/outcomes}: cost per successful outcome per group (default: per feature and model). */
    public static ObjectNode outcomes(Ledger ledger, SpendQuery query) {
        SpendQuery grouped = query.groupBy().isEmpty()
                ? new SpendQuery(List.of("feature", "model"), query.from(), query.to(), query.filters()) : query;
        ObjectNode body = header(grouped);
        ArrayNode out = body.putArray("rows");
        for (OutcomeRow row : ledger.outcomes(grouped)) {
            ObjectNode r = out.addObject();
            row.group().forEach(r::put);
            outcome(r, row);
        }
        List<OutcomeRow> total = ledger.outcomes(new SpendQuery(List.of(), grouped.from(), grouped.to(), grouped.filters()));
        outcome(body.putObject("total"), total.isEmpty()
                ? new OutcomeRow(Map.of(), 0, BigDecimal.ZERO, 0, 0, BigDecimal.ZERO) : total.getFirst());
        return body;
    }

    private static ObjectNode header(SpendQuery query) {
        ObjectNode body = Json.object();
        body.put("from", query.from() == null ? null : query.from().toString());
        body.put("to", query.to() == null ? null : query.to().toString());
        ArrayNode groups = body.putArray("group_by");
        query.groupBy().forEach(groups::add);
        return body;
    }

    private static void outcome(ObjectNode node, OutcomeRow row) {
        node.put("requests", row.requests());
        node.put("cost_usd", row.costUsd());
        node.put("outcomes", row.outcomes());
        node.put("successes", row.successes());
        node.put("success_rate", row.outcomes() == 0 ? null : Math.round(row.successRate() * 10000) / 10000.0);
        node.put("cost_per_success_usd", row.costPerSuccessUsd());
        node.put("value_usd", row.valueUsd());
    }

    private static void totals(ObjectNode node, SpendRow row) {
        node.put("requests", row.requests());
        node.put("input_tokens", row.inputTokens());
        node.put("cached_input_tokens", row.cachedInputTokens());
        node.put("cache_write_tokens", row.cacheWriteTokens());
        node.put("output_tokens", row.outputTokens());
        node.put("reasoning_tokens", row.reasoningTokens());
        node.put("cost_usd", row.costUsd());
        node.put("saved_usd", row.savedUsd());
        node.put("attempts", row.attempts());
    }

    private static SpendRow add(SpendRow a, SpendRow b) {
        return new SpendRow(Map.of(), a.requests() + b.requests(), a.inputTokens() + b.inputTokens(),
                a.cachedInputTokens() + b.cachedInputTokens(), a.cacheWriteTokens() + b.cacheWriteTokens(),
                a.outputTokens() + b.outputTokens(), a.reasoningTokens() + b.reasoningTokens(), a.costUsd().add(b.costUsd()),
                a.savedUsd().add(b.savedUsd()), a.attempts() + b.attempts());
    }

    /** {@code 30d}, {@code 12h}, {@code 2w}, {@code 45m} back from {@code now}, or a date/instant. */
    static Instant since(String value, Instant now) {
        Matcher m = DURATION.matcher(value.trim());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
            };
            return now.minus(d);
        }
        try {
            return instant(value, "since");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("since must be a duration (30d, 12h, 2w, 45m), a date (2026-11-01) or an"
                    + " instant (2026-11-01T00:00:00Z), not '" + value + "'");
        }
    }

    /** An ISO instant ("2026-11-01T00:00:00Z") or a UTC day ("2026-11-01"). */
    public static Instant instant(String value, String name) {
        if (value == null || value.isBlank()) return null;
        try {
            return value.length() == 10 ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be a date (2026-11-01) or an instant (2026-11-01T00:00:00Z), not '" + value + "'");
        }
    }
}
