-- Foundation: restaurants, people, sessions, API keys, the event log and the job queue.
-- Ids are UUIDs (BLOB here, UUID on PostgreSQL), times are UTC, money is integer cents.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE restaurants (
    id            BLOB PRIMARY KEY,
    name          TEXT NOT NULL,
    slug          TEXT NOT NULL UNIQUE,
    timezone      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    tax_rate_bps  BIGINT NOT NULL DEFAULT 0,
    tax_inclusive BOOLEAN NOT NULL DEFAULT FALSE,
    address       TEXT,
    phone         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    email         TEXT UNIQUE,
    password_hash TEXT,
    name          TEXT NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    token_version BIGINT NOT NULL DEFAULT 0,
    last_login_at TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE memberships (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    user_id       BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff', 'kitchen')),
    phone         TEXT,
    pin_hash      TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (restaurant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE UNIQUE INDEX memberships_phone ON memberships (restaurant_id, phone);

-- A session is one sign-in on one device: the family of its rotating refresh tokens.
CREATE TABLE sessions (
    id            BLOB PRIMARY KEY,
    user_id       BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    restaurant_id BLOB REFERENCES restaurants(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_reason TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    id          BLOB PRIMARY KEY,
    session_id  BLOB NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  TEXT NOT NULL,
    spent_at    TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE api_keys (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    permissions   TEXT NOT NULL,
    created_by    BLOB,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_keys_restaurant ON api_keys (restaurant_id);

-- The spine: every state change writes one row here in its own transaction.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    restaurant_id BLOB,
    type          TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_id     BLOB,
    actor         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX events_restaurant ON events (restaurant_id, id);
CREATE INDEX events_entity ON events (entity_id);

CREATE TABLE jobs (
    id              BLOB PRIMARY KEY,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    run_at          TEXT NOT NULL,
    locked_until    TEXT,
    locked_by       TEXT,
    last_error      TEXT,
    idempotency_key TEXT UNIQUE,
    restaurant_id   BLOB,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    finished_at     TEXT
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
    created_at   TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
