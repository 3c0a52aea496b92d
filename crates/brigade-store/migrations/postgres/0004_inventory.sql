-- Inventory: stock items, the ledger of every movement, and recipes that tie menu items
-- (and their modifier options) to the stock they consume.

-- When an order takes its ingredients out of stock: when it is placed ('created') or
-- when the kitchen accepts it ('accepted').
ALTER TABLE restaurants ADD COLUMN inventory_depletes_on TEXT NOT NULL DEFAULT 'created';
-- Whether an order's ingredients are out of stock now (so a cancel puts them back once).
ALTER TABLE orders ADD COLUMN stock_depleted BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE inventory_categories (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX inventory_categories_restaurant ON inventory_categories (restaurant_id);

-- Quantities are thousandths of the item's base unit (g, ml or each); costs are
-- millionths of the currency's minor unit per base unit. on_hand is the sum of the
-- item's ledger, kept in the same statement as each ledger row (never written alone).
CREATE TABLE inventory_items (
    id             UUID PRIMARY KEY,
    restaurant_id  UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    category_id    UUID REFERENCES inventory_categories(id),
    name           TEXT NOT NULL,
    sku            TEXT,
    unit           TEXT NOT NULL,
    on_hand        BIGINT NOT NULL DEFAULT 0,
    par_level      BIGINT,
    reorder_point  BIGINT,
    max_level      BIGINT,
    unit_cost      BIGINT NOT NULL DEFAULT 0,
    purchase_units JSONB NOT NULL,
    supplier       JSONB,
    is_low         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    deleted_at     TIMESTAMPTZ
);
CREATE INDEX inventory_items_restaurant ON inventory_items (restaurant_id);

CREATE TABLE inventory_transactions (
    id             UUID PRIMARY KEY,
    restaurant_id  UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    item_id        UUID NOT NULL REFERENCES inventory_items(id),
    kind           TEXT NOT NULL,
    quantity       BIGINT NOT NULL,
    unit_cost      BIGINT,
    on_hand_after  BIGINT NOT NULL,
    reference_type TEXT,
    reference_id   UUID,
    reason         TEXT,
    notes          TEXT,
    actor          TEXT NOT NULL,
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX inventory_transactions_item ON inventory_transactions (item_id, id);
CREATE INDEX inventory_transactions_restaurant ON inventory_transactions (restaurant_id, id);
CREATE INDEX inventory_transactions_reference ON inventory_transactions (reference_id);

-- A menu item's recipe: option_id NULL for every portion, else only when that modifier
-- option is chosen (its quantity may be negative: "no cheese").
CREATE TABLE recipe_lines (
    id                UUID PRIMARY KEY,
    restaurant_id     UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    menu_item_id      UUID NOT NULL REFERENCES menu_items(id) ON DELETE CASCADE,
    option_id         UUID,
    inventory_item_id UUID NOT NULL REFERENCES inventory_items(id),
    quantity          BIGINT NOT NULL,
    position          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX recipe_lines_menu_item ON recipe_lines (menu_item_id);
CREATE INDEX recipe_lines_inventory_item ON recipe_lines (inventory_item_id);

ALTER TABLE inventory_categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_categories FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON inventory_categories USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE inventory_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON inventory_items USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE inventory_transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_transactions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON inventory_transactions USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE recipe_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE recipe_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON recipe_lines USING (brigade_tenant_visible(restaurant_id));
