-- Two more rollups kept with the day's sales (the same consumer, the same transaction):
-- how long the kitchen took, and each channel's orders with what the platforms said
-- they charged and what was cancelled.

-- A day's bumped tickets of counted orders: whole (dim 'day', key ''), by station (its
-- id, '' for none) and by the local hour the ticket opened: how many, their seconds in
-- all, the longest, and counts per 15-second bucket ([[bucket, tickets], ...]) so a
-- period's percentiles add up.
CREATE TABLE kitchen_rollup (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day  TEXT NOT NULL,
    dim           TEXT NOT NULL,
    key           TEXT NOT NULL,
    tickets       BIGINT NOT NULL,
    seconds       BIGINT NOT NULL,
    longest       BIGINT NOT NULL,
    buckets       TEXT NOT NULL,
    PRIMARY KEY (restaurant_id, dim, business_day, key)
);

-- The day's food cost (its items' recipes), on the day's whole row, so labour's prime
-- cost reads one row a day.
ALTER TABLE sales_rollup ADD COLUMN food_cost BIGINT NOT NULL DEFAULT 0;

-- A day's orders per channel: counted ones and their total; those that carry the
-- platform's own total (`external_total`) with ours and theirs; cancelled ones, their
-- total and how many per reason ({"reason": n}).
CREATE TABLE channel_rollup (
    restaurant_id   BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day    TEXT NOT NULL,
    channel         TEXT NOT NULL,
    orders          BIGINT NOT NULL,
    total           BIGINT NOT NULL,
    matched         BIGINT NOT NULL,
    matched_total   BIGINT NOT NULL,
    external_total  BIGINT NOT NULL,
    cancelled       BIGINT NOT NULL,
    cancelled_total BIGINT NOT NULL,
    reasons         TEXT NOT NULL,
    PRIMARY KEY (restaurant_id, business_day, channel)
);

-- Every day with orders is recomputed once, so the new rollups cover the history.
INSERT INTO rollup_dirty (restaurant_id, business_day)
    SELECT DISTINCT restaurant_id, business_day FROM orders WHERE true
    ON CONFLICT (restaurant_id, business_day) DO UPDATE SET mark = rollup_dirty.mark + 1;

-- Members who get the daily report by email, the local time they want it, and the last
-- business day they were sent (one email a day, whatever the time was changed to).
CREATE TABLE report_emails (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    user_id       BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    send_at       TEXT NOT NULL,
    last_day      TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (restaurant_id, user_id)
);
