-- Promotions: money off an order, by a code a guest types (code) or on their own (no
-- code), percent, amount or free units of an item, with their rules (see
-- brigade_domain::promotion). A removed promotion is archived, not deleted: the orders
-- that used it still name it.
CREATE TABLE promotions (
    id                    UUID PRIMARY KEY,
    restaurant_id         UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    -- Upper case; NULL for an automatic promotion.
    code                  TEXT,
    kind                  TEXT NOT NULL CHECK (kind IN ('percent', 'amount', 'free_item')),
    value                 BIGINT NOT NULL,
    item_ids              JSONB NOT NULL DEFAULT '[]',
    category_ids          JSONB NOT NULL DEFAULT '[]',
    min_subtotal          BIGINT,
    channels              JSONB,
    schedule              JSONB NOT NULL DEFAULT '{"windows":[]}',
    starts_at             TIMESTAMPTZ,
    ends_at               TIMESTAMPTZ,
    max_uses              BIGINT,
    max_uses_per_customer BIGINT,
    stackable             BOOLEAN NOT NULL DEFAULT FALSE,
    active                BOOLEAN NOT NULL DEFAULT TRUE,
    -- Orders that used it and were not cancelled (kept with promotion_uses).
    uses                  BIGINT NOT NULL DEFAULT 0,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    archived_at           TIMESTAMPTZ
);
CREATE UNIQUE INDEX promotions_code ON promotions (restaurant_id, code) WHERE code IS NOT NULL AND archived_at IS NULL;
CREATE INDEX promotions_restaurant ON promotions (restaurant_id) WHERE archived_at IS NULL;
-- One row per order that used a promotion: what counts uses, overall and per guest.
CREATE TABLE promotion_uses (
    promotion_id  UUID NOT NULL REFERENCES promotions(id) ON DELETE CASCADE,
    order_id      UUID NOT NULL,
    restaurant_id UUID NOT NULL,
    customer_id   UUID,
    amount        BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (promotion_id, order_id)
);
CREATE INDEX promotion_uses_customer ON promotion_uses (promotion_id, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX promotion_uses_order ON promotion_uses (order_id);
-- What an order's promotions took off (part of `discount`), and which, from which lines.
ALTER TABLE orders ADD COLUMN promo_discount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN promotions JSONB;
ALTER TABLE promotions ENABLE ROW LEVEL SECURITY;
ALTER TABLE promotions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON promotions USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE promotion_uses ENABLE ROW LEVEL SECURITY;
ALTER TABLE promotion_uses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON promotion_uses USING (brigade_tenant_visible(restaurant_id));
