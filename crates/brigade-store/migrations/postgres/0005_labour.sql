-- Staff and the time clock: positions with their hourly rates, overtime rules per
-- restaurant, and time entries (clock-in to clock-out, with breaks).

CREATE TABLE labour_settings (
    restaurant_id  UUID PRIMARY KEY REFERENCES restaurants(id) ON DELETE CASCADE,
    weekly_minutes BIGINT NOT NULL DEFAULT 2400,
    daily_minutes  BIGINT,
    double_minutes BIGINT,
    week_starts    TEXT NOT NULL DEFAULT 'Mon'
);

-- What a member can work as here, and at what hourly rate (minor units).
CREATE TABLE staff_positions (
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    user_id       UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position      TEXT NOT NULL,
    hourly_rate   BIGINT NOT NULL,
    PRIMARY KEY (restaurant_id, user_id, position)
);

-- breaks: [{"start", "end"?, "paid"}]. original: the entry as clocked, kept by the
-- first manager edit.
CREATE TABLE time_entries (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    user_id       UUID NOT NULL REFERENCES users(id),
    position      TEXT,
    hourly_rate   BIGINT NOT NULL DEFAULT 0,
    clock_in      TIMESTAMPTZ NOT NULL,
    clock_out     TIMESTAMPTZ,
    breaks        JSONB NOT NULL,
    original      JSONB,
    edited_by     UUID,
    edit_reason   TEXT,
    approved_by   UUID,
    approved_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX time_entries_restaurant ON time_entries (restaurant_id, clock_in);
-- No one is clocked in twice at one restaurant.
CREATE UNIQUE INDEX time_entries_one_open ON time_entries (restaurant_id, user_id) WHERE clock_out IS NULL;

ALTER TABLE labour_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE labour_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON labour_settings USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE staff_positions ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_positions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON staff_positions USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE time_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE time_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON time_entries USING (brigade_tenant_visible(restaurant_id));
