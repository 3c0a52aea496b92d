-- The order loop: menu, kitchen stations, tables, orders and kitchen tickets.

-- When a restaurant's business day turns over (local time), for order numbers and
-- "86 until the end of the day".
ALTER TABLE restaurants ADD COLUMN day_starts_at TIME NOT NULL DEFAULT '04:00:00';

CREATE TABLE kds_stations (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    sort_order    BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX kds_stations_restaurant ON kds_stations (restaurant_id);

CREATE TABLE menu_categories (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    parent_id     UUID REFERENCES menu_categories(id),
    name          TEXT NOT NULL,
    description   TEXT,
    sort_order    BIGINT NOT NULL DEFAULT 0,
    station_id    UUID REFERENCES kds_stations(id),
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX menu_categories_restaurant ON menu_categories (restaurant_id);

-- Modifier groups, the weekly schedule, per-channel settings and the current 86 are
-- JSON documents of the item: they are read and written with it, always whole.
CREATE TABLE menu_items (
    id              UUID PRIMARY KEY,
    restaurant_id   UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    category_id     UUID NOT NULL REFERENCES menu_categories(id),
    name            TEXT NOT NULL,
    description     TEXT,
    price           BIGINT NOT NULL,
    cost            BIGINT,
    sku             TEXT,
    allergens       JSONB NOT NULL,
    images          JSONB NOT NULL,
    prep_minutes    BIGINT NOT NULL DEFAULT 0,
    is_active       BOOLEAN NOT NULL DEFAULT TRUE,
    station_id      UUID REFERENCES kds_stations(id),
    sort_order      BIGINT NOT NULL DEFAULT 0,
    channels        JSONB NOT NULL,
    schedule        JSONB NOT NULL,
    modifier_groups JSONB NOT NULL,
    eighty_six      JSONB,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    deleted_at      TIMESTAMPTZ
);
CREATE INDEX menu_items_restaurant ON menu_items (restaurant_id);
CREATE INDEX menu_items_category ON menu_items (category_id);

CREATE TABLE dining_tables (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    capacity      BIGINT NOT NULL DEFAULT 2,
    status        TEXT NOT NULL DEFAULT 'available',
    qr_version    BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX dining_tables_restaurant ON dining_tables (restaurant_id);

CREATE TABLE order_counters (
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day  DATE NOT NULL,
    last_number   BIGINT NOT NULL,
    PRIMARY KEY (restaurant_id, business_day)
);

CREATE TABLE orders (
    id                   UUID PRIMARY KEY,
    restaurant_id        UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    number               BIGINT NOT NULL,
    business_day         DATE NOT NULL,
    channel              TEXT NOT NULL,
    type                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    table_id             UUID REFERENCES dining_tables(id),
    customer             JSONB,
    special_instructions TEXT,
    subtotal             BIGINT NOT NULL,
    tax                  BIGINT NOT NULL,
    total                BIGINT NOT NULL,
    estimated_ready_at   TIMESTAMPTZ NOT NULL,
    ready_at             TIMESTAMPTZ,
    completed_at         TIMESTAMPTZ,
    cancel_reason        TEXT,
    assigned_to          UUID REFERENCES users(id),
    tracking_key         TEXT NOT NULL,
    idempotency_key      TEXT,
    external_id          TEXT,
    created_by           TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    UNIQUE (restaurant_id, business_day, number),
    UNIQUE (restaurant_id, idempotency_key)
);
CREATE INDEX orders_restaurant_created ON orders (restaurant_id, created_at);
CREATE INDEX orders_restaurant_status ON orders (restaurant_id, status);

CREATE TABLE order_items (
    id            UUID PRIMARY KEY,
    order_id      UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    restaurant_id UUID NOT NULL,
    position      BIGINT NOT NULL,
    item_id       UUID NOT NULL REFERENCES menu_items(id),
    name          TEXT NOT NULL,
    quantity      BIGINT NOT NULL,
    unit_price    BIGINT NOT NULL,
    line_total    BIGINT NOT NULL,
    modifiers     JSONB NOT NULL,
    notes         TEXT,
    station_id    UUID
);
CREATE INDEX order_items_order ON order_items (order_id);

CREATE TABLE order_status_history (
    id            UUID PRIMARY KEY,
    order_id      UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    restaurant_id UUID NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    reason        TEXT,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_status_history_order ON order_status_history (order_id);

-- One ticket per order and station; its lines are the order's items routed there.
CREATE TABLE kds_tickets (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL,
    order_id      UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    station_id    UUID REFERENCES kds_stations(id),
    status        TEXT NOT NULL CHECK (status IN ('open', 'bumped')),
    created_at    TIMESTAMPTZ NOT NULL,
    bumped_at     TIMESTAMPTZ,
    bumped_by     TEXT
);
CREATE INDEX kds_tickets_restaurant_status ON kds_tickets (restaurant_id, status);
CREATE INDEX kds_tickets_order ON kds_tickets (order_id);

ALTER TABLE kds_stations ENABLE ROW LEVEL SECURITY;
ALTER TABLE kds_stations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON kds_stations USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE menu_categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE menu_categories FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON menu_categories USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE menu_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE menu_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON menu_items USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE dining_tables ENABLE ROW LEVEL SECURITY;
ALTER TABLE dining_tables FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON dining_tables USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON orders USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE order_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON order_items USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE order_status_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_status_history FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON order_status_history USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE kds_tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE kds_tickets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON kds_tickets USING (brigade_tenant_visible(restaurant_id));
