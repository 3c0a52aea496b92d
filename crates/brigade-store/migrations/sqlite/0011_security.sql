-- Adding a person by email is an invitation they accept, signed in as themselves (or by
-- creating their account): nobody joins an existing account to a restaurant without its
-- owner's consent. The token is shown once to whoever invited them; only its hash is kept.
-- The phone and PIN are those of the membership the invitation becomes.
CREATE TABLE invitations (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff', 'kitchen')),
    phone         TEXT,
    pin_hash      TEXT,
    token_hash    TEXT NOT NULL UNIQUE,
    invited_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    accepted_at   TEXT,
    accepted_by   BLOB,
    revoked_at    TEXT
);
-- One open invitation per email and restaurant: inviting again replaces it.
CREATE UNIQUE INDEX invitations_open ON invitations (restaurant_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- API keys may lapse by themselves.
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;

-- Devices that signed in to an account with its password: the right password from one
-- of them passes the slow-down that failed guesses put on the account, so nobody can keep
-- an owner out by guessing wrong on purpose. Only the device token's hash is kept.
CREATE TABLE known_devices (
    token_hash    TEXT PRIMARY KEY,
    user_id       BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id);

-- Webhooks refused (unsigned, forged, unreadable): counted here; only the last few are
-- kept in inbound_webhooks, so a stream of junk cannot fill the database.
ALTER TABLE integrations ADD COLUMN webhooks_refused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE integrations ADD COLUMN last_refused_at TEXT;
