-- Promotions: money off an order, by a code a guest types (code) or on their own (no
-- code), percent, amount or free units of an item, with their rules (see
-- brigade_domain::promotion). A removed promotion is archived, not deleted: the orders
-- that used it still name it.
CREATE TABLE promotions (
    id                    BLOB PRIMARY KEY,
    restaurant_id         BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    -- Upper case; NULL for an automatic promotion.
    code                  TEXT,
    kind                  TEXT NOT NULL CHECK (kind IN ('percent', 'amount', 'free_item')),
    value                 BIGINT NOT NULL,
    item_ids              TEXT NOT NULL DEFAULT '[]',
    category_ids          TEXT NOT NULL DEFAULT '[]',
    min_subtotal          BIGINT,
    channels              TEXT,
    schedule              TEXT NOT NULL DEFAULT '{"windows":[]}',
    starts_at             TEXT,
    ends_at               TEXT,
    max_uses              BIGINT,
    max_uses_per_customer BIGINT,
    stackable             BOOLEAN NOT NULL DEFAULT FALSE,
    active                BOOLEAN NOT NULL DEFAULT TRUE,
    -- Orders that used it and were not cancelled (kept with promotion_uses).
    uses                  BIGINT NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    archived_at           TEXT
);
CREATE UNIQUE INDEX promotions_code ON promotions (restaurant_id, code) WHERE code IS NOT NULL AND archived_at IS NULL;
CREATE INDEX promotions_restaurant ON promotions (restaurant_id) WHERE archived_at IS NULL;
-- One row per order that used a promotion: what counts uses, overall and per guest.
CREATE TABLE promotion_uses (
    promotion_id  BLOB NOT NULL REFERENCES promotions(id) ON DELETE CASCADE,
    order_id      BLOB NOT NULL,
    restaurant_id BLOB NOT NULL,
    customer_id   BLOB,
    amount        BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (promotion_id, order_id)
);
CREATE INDEX promotion_uses_customer ON promotion_uses (promotion_id, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX promotion_uses_order ON promotion_uses (order_id);
-- What an order's promotions took off (part of `discount`), and which, from which lines.
ALTER TABLE orders ADD COLUMN promo_discount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN promotions TEXT;
