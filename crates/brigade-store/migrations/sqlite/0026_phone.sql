-- The phone agent's calls: one row per Twilio call (its CallSid), the order being taken
-- as it stands (the dialog's state, JSON), and every turn said. The caller's number is
-- personal data: sealed with the secrets key, its keyed hash for finding the guest, its
-- last four digits for staff.
CREATE TABLE phone_calls (
    id               BLOB PRIMARY KEY,
    restaurant_id    BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    integration_id   BLOB NOT NULL,
    call_sid         TEXT NOT NULL UNIQUE,
    to_number        TEXT NOT NULL,
    caller_sealed    BLOB,
    caller_hash      TEXT,
    caller_last4     TEXT,
    customer_id      BLOB,
    -- in_progress, ended
    status           TEXT NOT NULL CHECK (status IN ('in_progress', 'ended')),
    -- ordered, handed_off, abandoned, question; NULL while the call goes on
    outcome          TEXT CHECK (outcome IN ('ordered', 'handed_off', 'abandoned', 'question')),
    order_id         BLOB,
    state            TEXT NOT NULL,
    -- The turn the agent last answered, and its answer (a replayed webhook gets it again).
    turn             BIGINT NOT NULL DEFAULT 0,
    last_twiml       TEXT NOT NULL DEFAULT '',
    started_at       TEXT NOT NULL,
    ended_at         TEXT,
    duration_seconds BIGINT,
    updated_at       TEXT NOT NULL
);
CREATE INDEX phone_calls_restaurant ON phone_calls (restaurant_id, started_at);
CREATE TABLE phone_turns (
    id            BLOB PRIMARY KEY,
    call_id       BLOB NOT NULL REFERENCES phone_calls(id) ON DELETE CASCADE,
    restaurant_id BLOB NOT NULL,
    seq           BIGINT NOT NULL,
    -- caller, agent
    speaker       TEXT NOT NULL CHECK (speaker IN ('caller', 'agent')),
    text          TEXT NOT NULL,
    confidence    REAL,
    at            TEXT NOT NULL,
    UNIQUE (call_id, seq)
);
