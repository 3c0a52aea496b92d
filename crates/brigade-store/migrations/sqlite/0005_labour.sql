-- Staff and the time clock: positions with their hourly rates, overtime rules per
-- restaurant, and time entries (clock-in to clock-out, with breaks).

CREATE TABLE labour_settings (
    restaurant_id  BLOB PRIMARY KEY REFERENCES restaurants(id) ON DELETE CASCADE,
    weekly_minutes BIGINT NOT NULL DEFAULT 2400,
    daily_minutes  BIGINT,
    double_minutes BIGINT,
    week_starts    TEXT NOT NULL DEFAULT 'Mon'
);

-- What a member can work as here, and at what hourly rate (minor units).
CREATE TABLE staff_positions (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    user_id       BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position      TEXT NOT NULL,
    hourly_rate   BIGINT NOT NULL,
    PRIMARY KEY (restaurant_id, user_id, position)
);

-- breaks: [{"start", "end"?, "paid"}]. original: the entry as clocked, kept by the
-- first manager edit.
CREATE TABLE time_entries (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    user_id       BLOB NOT NULL REFERENCES users(id),
    position      TEXT,
    hourly_rate   BIGINT NOT NULL DEFAULT 0,
    clock_in      TEXT NOT NULL,
    clock_out     TEXT,
    breaks        TEXT NOT NULL,
    original      TEXT,
    edited_by     BLOB,
    edit_reason   TEXT,
    approved_by   BLOB,
    approved_at   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX time_entries_restaurant ON time_entries (restaurant_id, clock_in);
-- No one is clocked in twice at one restaurant.
CREATE UNIQUE INDEX time_entries_one_open ON time_entries (restaurant_id, user_id) WHERE clock_out IS NULL;
