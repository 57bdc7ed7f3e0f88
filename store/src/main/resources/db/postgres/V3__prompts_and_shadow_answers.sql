-- The prompt log (issue 5) and shadowed answers (issue 13) beside the shared ledger, as the embedded ledger keeps them
-- (LedgerSchema versions 5, 14 and 17): every replica writes its sampled rows here, so `tollgate audit`,
-- `eval --prompt-log` and `eval --shadow` see the whole group's. Times are UTC timestamps as in `requests`. A request's
-- prompt, and its answer per shadowed route, are kept once: `tollgate ledger copy` run twice inserts nothing twice.
CREATE TABLE prompts (
    time           timestamp        NOT NULL,
    request_id     text             NOT NULL,
    key_name       text,
    tags           jsonb            NOT NULL,
    api            text,
    model          text,
    system_prompt  text,
    messages       jsonb            NOT NULL,
    max_tokens     bigint,
    system_tokens  bigint           NOT NULL,
    history_tokens bigint           NOT NULL,
    user_tokens    bigint           NOT NULL,
    sample_rate    double precision NOT NULL,
    answer         text,
    CONSTRAINT prompts_once UNIQUE (request_id, time)
);
CREATE INDEX prompts_time ON prompts (time);

CREATE TABLE shadow_answers (
    time                timestamp      NOT NULL,
    request_id          text           NOT NULL,
    route               text           NOT NULL,
    candidate           text           NOT NULL,
    api                 text,
    prompt              text,
    production_model    text,
    production_answer   text,
    production_cost_usd numeric(38,12) NOT NULL,
    production_ms       bigint         NOT NULL,
    candidate_answer    text,
    candidate_cost_usd  numeric(38,12) NOT NULL,
    candidate_ms        bigint         NOT NULL,
    candidate_error     text,
    CONSTRAINT shadow_answers_once UNIQUE (request_id, route, time)
);
CREATE INDEX shadow_answers_route_time ON shadow_answers (route, time);
