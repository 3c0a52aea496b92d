-- The assistant's conversations: who talks (a person or an API key, as events record
-- actors), and what waits on their next word: an action to confirm, or a question
-- which of several things they meant. Kept in the database so any node can take the
-- next turn.
CREATE TABLE assistant_sessions (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    actor         TEXT NOT NULL,
    pending       TEXT,
    turns         BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX assistant_sessions_updated ON assistant_sessions (updated_at);
