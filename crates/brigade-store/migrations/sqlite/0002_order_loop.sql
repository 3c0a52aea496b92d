-- The order loop: menu, kitchen stations, tables, orders and kitchen tickets.

-- When a restaurant's business day turns over (local time), for order numbers and
-- "86 until the end of the day".
ALTER TABLE restaurants ADD COLUMN day_starts_at TEXT NOT NULL DEFAULT '04:00:00';

CREATE TABLE kds_stations (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    sort_order    BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX kds_stations_restaurant ON kds_stations (restaurant_id);

CREATE TABLE menu_categories (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    parent_id     BLOB REFERENCES menu_categories(id),
    name          TEXT NOT NULL,
    description   TEXT,
    sort_order    BIGINT NOT NULL DEFAULT 0,
    station_id    BLOB REFERENCES kds_stations(id),
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX menu_categories_restaurant ON menu_categories (restaurant_id);

-- Modifier groups, the weekly schedule, per-channel settings and the current 86 are
-- JSON documents of the item: they are read and written with it, always whole.
CREATE TABLE menu_items (
    id              BLOB PRIMARY KEY,
    restaurant_id   BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    category_id     BLOB NOT NULL REFERENCES menu_categories(id),
    name            TEXT NOT NULL,
    description     TEXT,
    price           BIGINT NOT NULL,
    cost            BIGINT,
    sku             TEXT,
    allergens       TEXT NOT NULL,
    images          TEXT NOT NULL,
    prep_minutes    BIGINT NOT NULL DEFAULT 0,
    is_active       BOOLEAN NOT NULL DEFAULT TRUE,
    station_id      BLOB REFERENCES kds_stations(id),
    sort_order      BIGINT NOT NULL DEFAULT 0,
    channels        TEXT NOT NULL,
    schedule        TEXT NOT NULL,
    modifier_groups TEXT NOT NULL,
    eighty_six      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX menu_items_restaurant ON menu_items (restaurant_id);
CREATE INDEX menu_items_category ON menu_items (category_id);

CREATE TABLE dining_tables (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    capacity      BIGINT NOT NULL DEFAULT 2,
    status        TEXT NOT NULL DEFAULT 'available',
    qr_version    BIGINT NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX dining_tables_restaurant ON dining_tables (restaurant_id);

CREATE TABLE order_counters (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    business_day  TEXT NOT NULL,
    last_number   BIGINT NOT NULL,
    PRIMARY KEY (restaurant_id, business_day)
);

CREATE TABLE orders (
    id                   BLOB PRIMARY KEY,
    restaurant_id        BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    number               BIGINT NOT NULL,
    business_day         TEXT NOT NULL,
    channel              TEXT NOT NULL,
    type                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    table_id             BLOB REFERENCES dining_tables(id),
    customer             TEXT,
    special_instructions TEXT,
    subtotal             BIGINT NOT NULL,
    tax                  BIGINT NOT NULL,
    total                BIGINT NOT NULL,
    estimated_ready_at   TEXT NOT NULL,
    ready_at             TEXT,
    completed_at         TEXT,
    cancel_reason        TEXT,
    assigned_to          BLOB REFERENCES users(id),
    tracking_key         TEXT NOT NULL,
    idempotency_key      TEXT,
    external_id          TEXT,
    created_by           TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (restaurant_id, business_day, number),
    UNIQUE (restaurant_id, idempotency_key)
);
CREATE INDEX orders_restaurant_created ON orders (restaurant_id, created_at);
CREATE INDEX orders_restaurant_status ON orders (restaurant_id, status);

CREATE TABLE order_items (
    id            BLOB PRIMARY KEY,
    order_id      BLOB NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    restaurant_id BLOB NOT NULL,
    position      BIGINT NOT NULL,
    item_id       BLOB NOT NULL REFERENCES menu_items(id),
    name          TEXT NOT NULL,
    quantity      BIGINT NOT NULL,
    unit_price    BIGINT NOT NULL,
    line_total    BIGINT NOT NULL,
    modifiers     TEXT NOT NULL,
    notes         TEXT,
    station_id    BLOB
);
CREATE INDEX order_items_order ON order_items (order_id);

CREATE TABLE order_status_history (
    id            BLOB PRIMARY KEY,
    order_id      BLOB NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    restaurant_id BLOB NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    reason        TEXT,
    at            TEXT NOT NULL
);
CREATE INDEX order_status_history_order ON order_status_history (order_id);

-- One ticket per order and station; its lines are the order's items routed there.
CREATE TABLE kds_tickets (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL,
    order_id      BLOB NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    station_id    BLOB REFERENCES kds_stations(id),
    status        TEXT NOT NULL CHECK (status IN ('open', 'bumped')),
    created_at    TEXT NOT NULL,
    bumped_at     TEXT,
    bumped_by     TEXT
);
CREATE INDEX kds_tickets_restaurant_status ON kds_tickets (restaurant_id, status);
CREATE INDEX kds_tickets_order ON kds_tickets (order_id);
