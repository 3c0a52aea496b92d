-- Integrations with delivery platforms, POS systems and payment providers, and the
-- sync jobs that keep each platform's menu and availability equal to Brigade's.

-- platform: ubereats, doordash, grubhub, square, stripe, webhook.
-- credentials: AES-256-GCM (12-byte nonce, then ciphertext and tag) of a JSON object;
-- never returned by the API. credential_hints: what may be shown ("…a1b2").
-- status: active, degraded (a sync job died), paused (by a person), error (its test failed).
CREATE TABLE integrations (
    id               UUID PRIMARY KEY,
    restaurant_id    UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    platform         TEXT NOT NULL,
    name             TEXT NOT NULL,
    store_id         TEXT NOT NULL,
    config           JSONB NOT NULL,
    credentials      BYTEA,
    credential_hints JSONB NOT NULL,
    status           TEXT NOT NULL,
    last_sync_at     TIMESTAMPTZ,
    last_success_at  TIMESTAMPTZ,
    last_error       TEXT,
    error_count      INTEGER NOT NULL DEFAULT 0,
    drift            JSONB,
    drift_checked_at TIMESTAMPTZ,
    -- One worker at a time pushes an integration's jobs, in order.
    lease_until      TIMESTAMPTZ,
    leased_by        TEXT,
    -- Nothing is sent before this (the platform said Retry-After, or is down).
    paused_until     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ
);
CREATE INDEX integrations_restaurant ON integrations (restaurant_id);
CREATE UNIQUE INDEX integrations_one_store ON integrations (platform, store_id) WHERE deleted_at IS NULL;

-- kind: item (one item's availability and price), menu (the whole menu), store (open or
-- paused). coalesce_key: changes to the same thing while a job waits join that job.
-- status: pending, running, succeeded, dead, cancelled.
CREATE TABLE sync_jobs (
    id              UUID PRIMARY KEY,
    restaurant_id   UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    integration_id  UUID NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    entity_id       UUID,
    coalesce_key    TEXT NOT NULL,
    status          TEXT NOT NULL,
    changes         INTEGER NOT NULL DEFAULT 1,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    run_at          TIMESTAMPTZ NOT NULL,
    first_change_at TIMESTAMPTZ NOT NULL,
    started_at      TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    last_error      TEXT,
    sent            JSONB,
    result          JSONB,
    reason          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX sync_jobs_restaurant ON sync_jobs (restaurant_id, id);
CREATE INDEX sync_jobs_integration ON sync_jobs (integration_id, status, run_at);
CREATE INDEX sync_jobs_due ON sync_jobs (status, run_at);
CREATE UNIQUE INDEX sync_jobs_coalesce ON sync_jobs (integration_id, coalesce_key) WHERE status = 'pending';

ALTER TABLE integrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE integrations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON integrations USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE sync_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON sync_jobs USING (brigade_tenant_visible(restaurant_id));
