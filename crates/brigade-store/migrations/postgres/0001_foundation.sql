-- Foundation: restaurants, people, sessions, API keys, the event log and the job queue.
-- Ids are UUIDs, times are UTC (TIMESTAMPTZ), money is integer cents.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE restaurants (
    id            UUID PRIMARY KEY,
    name          TEXT NOT NULL,
    slug          TEXT NOT NULL UNIQUE,
    timezone      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    tax_rate_bps  BIGINT NOT NULL DEFAULT 0,
    tax_inclusive BOOLEAN NOT NULL DEFAULT FALSE,
    address       TEXT,
    phone         TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT UNIQUE,
    password_hash TEXT,
    name          TEXT NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    token_version BIGINT NOT NULL DEFAULT 0,
    last_login_at TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    user_id       UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff', 'kitchen')),
    phone         TEXT,
    pin_hash      TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (restaurant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE UNIQUE INDEX memberships_phone ON memberships (restaurant_id, phone);

-- A session is one sign-in on one device: the family of its rotating refresh tokens.
CREATE TABLE sessions (
    id            UUID PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    restaurant_id UUID REFERENCES restaurants(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    revoked_reason TEXT,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    id          UUID PRIMARY KEY,
    session_id  UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    spent_at    TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE api_keys (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    permissions   JSONB NOT NULL,
    created_by    UUID,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_restaurant ON api_keys (restaurant_id);

-- The spine: every state change writes one row here in its own transaction.
CREATE TABLE events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    restaurant_id UUID,
    type          TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_id     UUID,
    actor         TEXT NOT NULL,
    payload       JSONB NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_restaurant ON events (restaurant_id, id);
CREATE INDEX events_entity ON events (entity_id);

CREATE TABLE jobs (
    id              UUID PRIMARY KEY,
    kind            TEXT NOT NULL,
    payload         JSONB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    run_at          TIMESTAMPTZ NOT NULL,
    locked_until    TIMESTAMPTZ,
    locked_by       TEXT,
    last_error      TEXT,
    idempotency_key TEXT UNIQUE,
    restaurant_id   UUID,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
CREATE INDEX jobs_due ON jobs (status, run_at);

-- Responses to POSTs that carried an Idempotency-Key, replayed when the same request
-- comes again. `status` is NULL while the first request is still running.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER,
    body         TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Row-level security: the second wall behind the application's membership check. A
-- transaction that works for one restaurant sets `brigade.restaurant_id`; rows of any
-- other restaurant are then invisible to it. Work that spans restaurants (sign-in,
-- the job queue) runs without the setting. Superusers bypass RLS by PostgreSQL's
-- design, so run Brigade as an ordinary role that owns its tables to have this wall.
CREATE FUNCTION brigade_tenant_visible(rid UUID) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT COALESCE(NULLIF(current_setting('brigade.restaurant_id', true), ''), '') = ''
        OR rid = NULLIF(current_setting('brigade.restaurant_id', true), '')::uuid
$$;

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON memberships USING (brigade_tenant_visible(restaurant_id));

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON api_keys USING (brigade_tenant_visible(restaurant_id));

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON events USING (restaurant_id IS NULL OR brigade_tenant_visible(restaurant_id));

ALTER TABLE restaurants ENABLE ROW LEVEL SECURITY;
ALTER TABLE restaurants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON restaurants USING (brigade_tenant_visible(id));
