-- Analytics rollups: per restaurant and business day, kept by a consumer of the event log
-- (brigade-server's analytics module), so a report over a year reads a year of days, not
-- a year of orders. A day's rows are always recomputed whole from its orders.

-- A day's sales, whole (dim 'day', key '') and split by one dimension at a time: hour
-- (local, 0-23), channel, type, staff (who took the order) and table.
CREATE TABLE sales_rollup (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day  TEXT NOT NULL,
    dim           TEXT NOT NULL,
    key           TEXT NOT NULL,
    orders        BIGINT NOT NULL,
    gross         BIGINT NOT NULL,
    discounts     BIGINT NOT NULL,
    refunds       BIGINT NOT NULL,
    net           BIGINT NOT NULL,
    tax           BIGINT NOT NULL,
    total         BIGINT NOT NULL,
    tips          BIGINT NOT NULL,
    PRIMARY KEY (restaurant_id, dim, business_day, key)
);

-- A day's items sold (kind 'item') and options chosen (kind 'option'): quantity, what
-- they charged (before the order's discount) and their ingredients' cost then.
CREATE TABLE item_rollup (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day  TEXT NOT NULL,
    kind          TEXT NOT NULL,
    id            BLOB NOT NULL,
    name          TEXT NOT NULL,
    quantity      BIGINT NOT NULL,
    revenue       BIGINT NOT NULL,
    food_cost     BIGINT NOT NULL,
    PRIMARY KEY (restaurant_id, business_day, kind, id)
);

-- The same summed per calendar month of business days (`month` its first day), kept with
-- each day in the day's transaction: a year of items reads twelve months and the days at
-- its edges, not 365 days of rows.
CREATE TABLE item_rollup_month (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    month         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    id            BLOB NOT NULL,
    name          TEXT NOT NULL,
    quantity      BIGINT NOT NULL,
    revenue       BIGINT NOT NULL,
    food_cost     BIGINT NOT NULL,
    PRIMARY KEY (restaurant_id, month, kind, id)
);

-- Days whose rollups are owed a recompute: an order of theirs changed, or a rebuild asked.
-- Each marking bumps `mark`, so a recompute that read the day before a later change does
-- not clear the mark that change left.
CREATE TABLE rollup_dirty (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day  TEXT NOT NULL,
    mark          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (restaurant_id, business_day)
);
INSERT INTO rollup_dirty (restaurant_id, business_day) SELECT DISTINCT restaurant_id, business_day FROM orders;

-- How far the consumer has read the event log (one row).
CREATE TABLE analytics_cursor (
    id            INTEGER PRIMARY KEY,
    last_event_id BIGINT NOT NULL
);
INSERT INTO analytics_cursor (id, last_event_id) SELECT 1, COALESCE(MAX(id), 0) FROM events;

-- A restaurant's analytics settings: its dayparts ([{"name", "starts"}], a local hour each).
CREATE TABLE analytics_settings (
    restaurant_id BLOB PRIMARY KEY REFERENCES restaurants(id) ON DELETE CASCADE,
    dayparts      TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
