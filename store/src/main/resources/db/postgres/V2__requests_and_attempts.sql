-- Client requests and attempts counted apart (as the embedded ledger's schema 18): `requests` counts a request's
-- standing row (no attempt_reason) and `attempts` every row, retries, fallbacks and a cascade's escalated answers
-- included. V1's rollups counted every row as a request, so the sealed hours and days are rolled up again from the
-- raw rows, which the shared ledger keeps all of (PgRollup's rules: hours before sealed_until, whole days before it).
ALTER TABLE rollup_hourly ADD COLUMN attempts bigint NOT NULL DEFAULT 0;
ALTER TABLE rollup_daily ADD COLUMN attempts bigint NOT NULL DEFAULT 0;

DELETE FROM rollup_hourly;
DELETE FROM rollup_daily;

INSERT INTO rollup_hourly (hour, key_name, api, provider, deployment, requested_model, served_model, price_version,
                           status, tags, requests, attempts, input_tokens, cached_input_tokens, cache_write_5m_tokens,
                           cache_write_1h_tokens, output_tokens, reasoning_tokens, cost_usd, saved_usd)
SELECT date_trunc('hour', time), key_name, api, provider, deployment, requested_model, served_model, price_version,
       status, tags - 'decision', count(*) FILTER (WHERE attempt_reason IS NULL), count(*), sum(input_tokens),
       sum(cached_input_tokens), sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(output_tokens),
       sum(reasoning_tokens), sum(cost_usd), sum(saved_usd)
FROM requests
WHERE time < (SELECT sealed_until FROM rollup_state)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;

INSERT INTO rollup_daily (day, key_name, api, provider, deployment, requested_model, served_model, price_version,
                          status, tags, requests, attempts, input_tokens, cached_input_tokens, cache_write_5m_tokens,
                          cache_write_1h_tokens, output_tokens, reasoning_tokens, cost_usd, saved_usd)
SELECT date_trunc('day', hour), key_name, api, provider, deployment, requested_model, served_model, price_version,
       status, tags, sum(requests), sum(attempts), sum(input_tokens), sum(cached_input_tokens),
       sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(output_tokens), sum(reasoning_tokens),
       sum(cost_usd), sum(saved_usd)
FROM rollup_hourly
WHERE hour < date_trunc('day', (SELECT sealed_until FROM rollup_state))
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;
