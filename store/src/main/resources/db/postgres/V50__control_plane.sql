-- The control plane a group of replicas shares (issue 16): budgets and virtual keys changed through the admin API,
-- and the alerts that fired. A deleted budget and a revoked key keep their row, so one that came from a replica's
-- config stays deleted or revoked.

CREATE TABLE control_budgets (
    name         text PRIMARY KEY,
    scope        text NOT NULL,
    period       text NOT NULL,
    limit_usd    numeric(38, 12) NOT NULL,
    action       text NOT NULL,
    downgrade_to text,
    thresholds   text NOT NULL,
    time_zone    text NOT NULL,
    deleted      boolean NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE control_keys (
    name       text PRIMARY KEY,
    key_sha256 text NOT NULL,
    tags       jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

CREATE TABLE control_alerts (
    id           bigserial PRIMARY KEY,
    time         timestamptz NOT NULL,
    kind         text NOT NULL,
    subject      text NOT NULL,
    message      text NOT NULL,
    details      jsonb NOT NULL,
    -- kind and threshold, and the period, for alerts that fire once per period (null for the others)
    claim        text,
    period_start text
);

-- one replica wins each threshold of each period: the others' INSERT … ON CONFLICT DO NOTHING inserts nothing
CREATE UNIQUE INDEX control_alerts_once ON control_alerts (subject, claim, period_start) WHERE claim IS NOT NULL;
CREATE INDEX control_alerts_time ON control_alerts (time);
