package dev.tollgate.store.duckdb;

import dev.tollgate.store.SpendQuery;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Cost per outcome over raw rows (outcomes are joined per request or per decision, and {@code decision} is not in
 * the rollup). A request counts with its own outcome when one was recorded, else with its decision's; the latest
 * outcome recorded for a subject wins. Each group's numbers are summed per outcome first, so a decision of five
 * requests is one outcome with the cost of five requests.
 *
 * <p>Selected columns: the groups {@code g0..}, then requests, cost, outcomes, successes, value.
 */
record OutcomeSql(String sql, List<Object> parameters, List<String> groupBy) {

    static OutcomeSql of(SpendQuery query) {
        List<String> groupBy = List.copyOf(new LinkedHashSet<>(query.groupBy()));
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("""
                WITH latest AS (
                    SELECT request_id, decision, arg_max(success, time) AS success, arg_max(value_usd, time) AS value_usd
                    FROM outcomes GROUP BY request_id, decision),
                r AS (
                    SELECT time AS t, key_name, tags, api, provider, deployment, requested_model, served_model,
                           price_version, status, request_id, cost_usd
                    FROM requests WHERE\s""");
        sql.append(SpendSql.range("time", query.from(), query.to(), params)).append("),\nrf AS (SELECT ");
        StringBuilder groups = new StringBuilder();
        for (int i = 0; i < groupBy.size(); i++) {
            sql.append(SpendSql.expression(groupBy.get(i), params)).append(" AS g").append(i).append(", ");
            groups.append("g").append(i).append(", ");
        }
        sql.append("request_id, json_extract_string(tags, '$.decision') AS decision, cost_usd FROM r WHERE true");
        for (Map.Entry<String, String> f : query.filters().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            sql.append(" AND ").append(SpendSql.expression(f.getKey(), params)).append(" = ?");
            params.add(f.getValue());
        }
        sql.append("""
                ),
                linked AS (
                    SELECT rf.*,
                           CASE WHEN own.request_id IS NOT NULL THEN 'r:' || rf.request_id ELSE 'd:' || rf.decision END AS unit,
                           CASE WHEN own.request_id IS NOT NULL THEN own.success ELSE dec.success END AS success,
                           CASE WHEN own.request_id IS NOT NULL THEN own.value_usd ELSE dec.value_usd END AS value_usd
                    FROM rf
                    LEFT JOIN latest own ON own.request_id IS NOT NULL AND own.request_id = rf.request_id
                    LEFT JOIN latest dec ON dec.decision IS NOT NULL AND dec.decision = rf.decision
                    WHERE own.request_id IS NOT NULL OR dec.decision IS NOT NULL),
                units AS (
                    SELECT\s""").append(groups).append("""
                unit, count(*) AS requests, sum(cost_usd) AS cost, any_value(success) AS success,
                           any_value(value_usd) AS value_usd
                    FROM linked GROUP BY\s""").append(groups).append("unit)\nSELECT ").append(groups).append("""
                CAST(coalesce(sum(requests), 0) AS BIGINT), coalesce(sum(cost), 0) AS cost, count(*),
                count(*) FILTER (WHERE success), coalesce(sum(value_usd) FILTER (WHERE success), 0)
                FROM units""");
        if (!groupBy.isEmpty()) sql.append(" GROUP BY ").append(groups, 0, groups.length() - 2);
        sql.append(" ORDER BY cost DESC");
        for (int i = 0; i < groupBy.size(); i++) sql.append(", g").append(i).append(" ASC NULLS LAST");
        return new OutcomeSql(sql.toString(), List.copyOf(params), groupBy);
    }
}
