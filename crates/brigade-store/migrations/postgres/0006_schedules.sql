-- Schedules: planned shifts per person and position.

-- The least rest between two shifts of one person before the schedule flags it.
ALTER TABLE labour_settings ADD COLUMN min_rest_minutes BIGINT NOT NULL DEFAULT 480;

CREATE TABLE shifts (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    user_id       UUID NOT NULL REFERENCES users(id),
    position      TEXT,
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ NOT NULL,
    notes         TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX shifts_restaurant_start ON shifts (restaurant_id, starts_at);

ALTER TABLE shifts ENABLE ROW LEVEL SECURITY;
ALTER TABLE shifts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON shifts USING (brigade_tenant_visible(restaurant_id));
