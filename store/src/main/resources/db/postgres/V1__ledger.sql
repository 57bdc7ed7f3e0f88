-- The shared ledger (issue 16): the same columns as the embedded DuckDB ledger's `requests` (LedgerSchema),
-- partitioned by calendar month of `time`. Partitions are created by the writers (PgLedgerWriter), the current and
-- next month ahead and any month a row arrives for. `time` is a timestamp holding UTC (no time zone), so hour and day
-- buckets never depend on the session's zone; money is NUMERIC(38,12), exact to a millionth of a millionth of a dollar.
CREATE TABLE requests (
    time                  timestamp      NOT NULL,
    request_id            text,
    key_name              text,
    tags                  jsonb          NOT NULL,
    api                   text,
    provider              text,
    deployment            text,
    requested_model       text,
    served_model          text,
    input_tokens          bigint         NOT NULL,
    cached_input_tokens   bigint         NOT NULL,
    cache_write_5m_tokens bigint         NOT NULL,
    cache_write_1h_tokens bigint         NOT NULL,
    output_tokens         bigint         NOT NULL,
    reasoning_tokens      bigint         NOT NULL,
    cost_usd              numeric(38,12) NOT NULL,
    price_version         text,
    status                integer        NOT NULL,
    error                 text,
    latency_us            bigint         NOT NULL,
    ttft_us               bigint,
    stream                boolean        NOT NULL,
    estimated             boolean        NOT NULL,
    cache                 text,
    saved_usd             numeric(38,12) NOT NULL,
    unpriced              boolean        NOT NULL,
    attempt               integer        NOT NULL,
    attempt_reason        text,
    upstream_model        text,
    -- insertion order, the tie-break of "newest first" among rows of the same microsecond
    seq                   bigserial      NOT NULL,
    -- one row per attempt of a request: a journal replayed after a crash or an outage inserts nothing twice
    -- (a unique key of a partitioned table must include the partition key; replayed rows keep their time)
    CONSTRAINT requests_once UNIQUE (request_id, attempt, time)
) PARTITION BY RANGE (time);

CREATE INDEX requests_time ON requests (time);

-- Rollups of sealed hours (see PgRollup): rows with time < rollup_state.sealed_until are summed here, per hour and
-- per whole day, by every key column and the row's tags without the raw-only ones (decision).
CREATE TABLE rollup_hourly (
    hour                  timestamp      NOT NULL,
    key_name              text,
    api                   text,
    provider              text,
    deployment            text,
    requested_model       text,
    served_model          text,
    price_version         text,
    status                integer        NOT NULL,
    tags                  jsonb          NOT NULL,
    requests              bigint         NOT NULL,
    input_tokens          bigint         NOT NULL,
    cached_input_tokens   bigint         NOT NULL,
    cache_write_5m_tokens bigint         NOT NULL,
    cache_write_1h_tokens bigint         NOT NULL,
    output_tokens         bigint         NOT NULL,
    reasoning_tokens      bigint         NOT NULL,
    cost_usd              numeric(38,12) NOT NULL,
    saved_usd             numeric(38,12) NOT NULL
);
CREATE INDEX rollup_hourly_hour ON rollup_hourly (hour);

CREATE TABLE rollup_daily (LIKE rollup_hourly);
ALTER TABLE rollup_daily RENAME COLUMN hour TO day;
CREATE INDEX rollup_daily_day ON rollup_daily (day);

-- one row: the rollups cover exactly the raw rows before sealed_until (NULL: none yet)
CREATE TABLE rollup_state (
    only_row     boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    sealed_until timestamp
);
INSERT INTO rollup_state VALUES (true, NULL);

-- whether a request or a decision succeeded; the latest outcome of a subject counts
CREATE TABLE outcomes (
    time       timestamp      NOT NULL,
    request_id text,
    decision   text,
    success    boolean        NOT NULL,
    value_usd  numeric(38,12)
);
CREATE INDEX outcomes_request ON outcomes (request_id);
CREATE INDEX outcomes_decision ON outcomes (decision);
