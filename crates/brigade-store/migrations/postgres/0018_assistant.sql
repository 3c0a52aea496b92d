-- The assistant's conversations: who talks (a person or an API key, as events record
-- actors), and what waits on their next word: an action to confirm, or a question
-- which of several things they meant. Kept in the database so any node can take the
-- next turn.
CREATE TABLE assistant_sessions (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    actor         TEXT NOT NULL,
    pending       JSONB,
    turns         BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX assistant_sessions_updated ON assistant_sessions (updated_at);
ALTER TABLE assistant_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE assistant_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON assistant_sessions USING (brigade_tenant_visible(restaurant_id));
