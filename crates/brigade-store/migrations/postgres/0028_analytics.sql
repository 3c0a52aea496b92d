-- Analytics rollups: per restaurant and business day, kept by a consumer of the event log
-- (brigade-server's analytics module), so a report over a year reads a year of days, not
-- a year of orders. A day's rows are always recomputed whole from its orders.
SET LOCAL brigade.system = 'migration';

-- A day's sales, whole (dim 'day', key '') and split by one dimension at a time: hour
-- (local, 0-23), channel, type, staff (who took the order) and table.
CREATE TABLE sales_rollup (
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day  DATE NOT NULL,
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
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day  DATE NOT NULL,
    kind          TEXT NOT NULL,
    id            UUID NOT NULL,
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
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    month         DATE NOT NULL,
    kind          TEXT NOT NULL,
    id            UUID NOT NULL,
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
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day  DATE NOT NULL,
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

ALTER TABLE sales_rollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_rollup FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON sales_rollup USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE item_rollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE item_rollup FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON item_rollup USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE item_rollup_month ENABLE ROW LEVEL SECURITY;
ALTER TABLE item_rollup_month FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON item_rollup_month USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE rollup_dirty ENABLE ROW LEVEL SECURITY;
ALTER TABLE rollup_dirty FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON rollup_dirty USING (brigade_tenant_visible(restaurant_id));

-- A restaurant's analytics settings: its dayparts ([{"name", "starts"}], a local hour each).
CREATE TABLE analytics_settings (
    restaurant_id UUID PRIMARY KEY REFERENCES restaurants(id) ON DELETE CASCADE,
    dayparts      JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
ALTER TABLE analytics_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON analytics_settings USING (brigade_tenant_visible(restaurant_id));
