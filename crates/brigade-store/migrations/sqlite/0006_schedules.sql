-- Schedules: planned shifts per person and position.

-- The least rest between two shifts of one person before the schedule flags it.
ALTER TABLE labour_settings ADD COLUMN min_rest_minutes BIGINT NOT NULL DEFAULT 480;

CREATE TABLE shifts (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    user_id       BLOB NOT NULL REFERENCES users(id),
    position      TEXT,
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    notes         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX shifts_restaurant_start ON shifts (restaurant_id, starts_at);
