-- The phone agent's calls: one row per Twilio call (its CallSid), the order being taken
-- as it stands (the dialog's state, JSON), and every turn said. The caller's number is
-- personal data: sealed with the secrets key, its keyed hash for finding the guest, its
-- last four digits for staff.
CREATE TABLE phone_calls (
    id               UUID PRIMARY KEY,
    restaurant_id    UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    integration_id   UUID NOT NULL,
    call_sid         TEXT NOT NULL UNIQUE,
    to_number        TEXT NOT NULL,
    caller_sealed    BYTEA,
    caller_hash      TEXT,
    caller_last4     TEXT,
    customer_id      UUID,
    -- in_progress, ended
    status           TEXT NOT NULL CHECK (status IN ('in_progress', 'ended')),
    -- ordered, handed_off, abandoned, question; NULL while the call goes on
    outcome          TEXT CHECK (outcome IN ('ordered', 'handed_off', 'abandoned', 'question')),
    order_id         UUID,
    state            TEXT NOT NULL,
    -- The turn the agent last answered, and its answer (a replayed webhook gets it again).
    turn             BIGINT NOT NULL DEFAULT 0,
    last_twiml       TEXT NOT NULL DEFAULT '',
    started_at       TIMESTAMPTZ NOT NULL,
    ended_at         TIMESTAMPTZ,
    duration_seconds BIGINT,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX phone_calls_restaurant ON phone_calls (restaurant_id, started_at);
CREATE TABLE phone_turns (
    id            UUID PRIMARY KEY,
    call_id       UUID NOT NULL REFERENCES phone_calls(id) ON DELETE CASCADE,
    restaurant_id UUID NOT NULL,
    seq           BIGINT NOT NULL,
    -- caller, agent
    speaker       TEXT NOT NULL CHECK (speaker IN ('caller', 'agent')),
    text          TEXT NOT NULL,
    confidence    DOUBLE PRECISION,
    at            TIMESTAMPTZ NOT NULL,
    UNIQUE (call_id, seq)
);
ALTER TABLE phone_calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE phone_calls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON phone_calls USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE phone_turns ENABLE ROW LEVEL SECURITY;
ALTER TABLE phone_turns FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON phone_turns USING (brigade_tenant_visible(restaurant_id));
