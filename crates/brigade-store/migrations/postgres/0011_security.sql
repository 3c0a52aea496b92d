-- Adding a person by email is an invitation they accept, signed in as themselves (or by
-- creating their account): nobody joins an existing account to a restaurant without its
-- owner's consent. The token is shown once to whoever invited them; only its hash is kept.
-- The phone and PIN are those of the membership the invitation becomes.
CREATE TABLE invitations (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff', 'kitchen')),
    phone         TEXT,
    pin_hash      TEXT,
    token_hash    TEXT NOT NULL UNIQUE,
    invited_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    accepted_at   TIMESTAMPTZ,
    accepted_by   UUID,
    revoked_at    TIMESTAMPTZ
);
-- One open invitation per email and restaurant: inviting again replaces it.
CREATE UNIQUE INDEX invitations_open ON invitations (restaurant_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON invitations USING (brigade_tenant_visible(restaurant_id));

-- API keys may lapse by themselves.
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMPTZ;

-- Devices that signed in to an account with its password: the right password from one
-- of them passes the slow-down that failed guesses put on the account, so nobody can keep
-- an owner out by guessing wrong on purpose. Only the device token's hash is kept.
CREATE TABLE known_devices (
    token_hash    TEXT PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id);

-- Webhooks refused (unsigned, forged, unreadable): counted here; only the last few are
-- kept in inbound_webhooks, so a stream of junk cannot fill the database.
ALTER TABLE integrations ADD COLUMN webhooks_refused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE integrations ADD COLUMN last_refused_at TIMESTAMPTZ;
