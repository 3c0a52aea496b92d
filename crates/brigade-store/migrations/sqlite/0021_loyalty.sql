-- Loyalty, per restaurant group: points for what guests spend on completed orders,
-- rewards at a threshold. A guest's balance is the sum of their ledger: every change is
-- a row (earned on completion, taken back on a refund or a reopen, redeemed on an order,
-- returned when that order is cancelled).
CREATE TABLE loyalty_programs (
    group_id        BLOB PRIMARY KEY,
    enabled         BOOLEAN NOT NULL DEFAULT FALSE,
    -- Points per whole unit of currency spent (1: a point a dollar).
    points_per_unit BIGINT NOT NULL DEFAULT 1 CHECK (points_per_unit BETWEEN 0 AND 1000),
    -- A reward: this many points take reward_value (minor units) off an order.
    reward_points   BIGINT NOT NULL DEFAULT 100 CHECK (reward_points > 0),
    reward_value    BIGINT NOT NULL DEFAULT 500 CHECK (reward_value >= 0),
    updated_at      TEXT NOT NULL
);
CREATE TABLE loyalty_ledger (
    id            BLOB PRIMARY KEY,
    group_id      BLOB NOT NULL,
    customer_id   BLOB NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    restaurant_id BLOB NOT NULL,
    order_id      BLOB,
    delta         BIGINT NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('earned', 'taken_back', 'redeemed', 'returned', 'adjusted')),
    note          TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX loyalty_ledger_customer ON loyalty_ledger (customer_id, created_at);
CREATE INDEX loyalty_ledger_order ON loyalty_ledger (order_id) WHERE order_id IS NOT NULL;
-- What an order spent of the guest's points, and what they took off (before tax).
ALTER TABLE orders ADD COLUMN points_redeemed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN points_discount BIGINT NOT NULL DEFAULT 0;
