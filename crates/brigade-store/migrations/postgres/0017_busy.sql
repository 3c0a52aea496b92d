-- Busy mode: a kitchen in the weeds quotes longer (extra_minutes on every ready time)
-- and stops taking orders on some channels, until a time when it ends by itself.
-- One row per restaurant while it is on.
CREATE TABLE busy_modes (
    restaurant_id   UUID PRIMARY KEY REFERENCES restaurants(id) ON DELETE CASCADE,
    extra_minutes   BIGINT NOT NULL,
    until           TIMESTAMPTZ NOT NULL,
    paused_channels JSONB NOT NULL,
    reason          TEXT,
    set_by          TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
ALTER TABLE busy_modes ENABLE ROW LEVEL SECURITY;
ALTER TABLE busy_modes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON busy_modes USING (brigade_tenant_visible(restaurant_id));
