-- Busy mode: a kitchen in the weeds quotes longer (extra_minutes on every ready time)
-- and stops taking orders on some channels, until a time when it ends by itself.
-- One row per restaurant while it is on.
CREATE TABLE busy_modes (
    restaurant_id   BLOB PRIMARY KEY REFERENCES restaurants(id) ON DELETE CASCADE,
    extra_minutes   BIGINT NOT NULL,
    until           TEXT NOT NULL,
    paused_channels TEXT NOT NULL,
    reason          TEXT,
    set_by          TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
