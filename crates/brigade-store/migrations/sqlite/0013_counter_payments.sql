-- The counter takes payments: cash, a card machine not connected to Brigade (external),
-- and cards through Stripe. A payment no longer needs a provider's checkout session, so
-- the table is rebuilt with those columns optional (SQLite cannot drop NOT NULL).
--
-- method: card, cash, external. amount: what it pays of the check (minor units); tip on
-- top; tendered and change_given for cash; refunded: how much of amount has gone back.
-- business_day: the restaurant's business day when it was taken (close-out reads it).
CREATE TABLE payments_new (
    id             BLOB PRIMARY KEY,
    restaurant_id  BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    order_id       BLOB NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    integration_id BLOB REFERENCES integrations(id),
    provider       TEXT,
    session_id     TEXT,
    payment_intent TEXT,
    checkout_url   TEXT,
    amount         BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL,
    refund_id      TEXT,
    last_error     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    method         TEXT NOT NULL DEFAULT 'card',
    tip            BIGINT NOT NULL DEFAULT 0,
    tendered       BIGINT,
    change_given   BIGINT NOT NULL DEFAULT 0,
    refunded       BIGINT NOT NULL DEFAULT 0,
    taken_by       TEXT,
    drawer_id      BLOB,
    business_day   TEXT
);
INSERT INTO payments_new (id, restaurant_id, order_id, integration_id, provider, session_id, payment_intent,
    checkout_url, amount, currency, status, refund_id, last_error, created_at, updated_at, refunded, business_day)
SELECT p.id, p.restaurant_id, p.order_id, p.integration_id, p.provider, p.session_id, p.payment_intent,
    p.checkout_url, p.amount, p.currency, p.status, p.refund_id, p.last_error, p.created_at, p.updated_at,
    CASE WHEN p.status = 'refunded' THEN p.amount ELSE 0 END, o.business_day
FROM payments p JOIN orders o ON o.id = p.order_id;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_order ON payments (order_id);
CREATE UNIQUE INDEX payments_session ON payments (provider, session_id);
CREATE INDEX payments_day ON payments (restaurant_id, business_day);

-- What the check's payments cover, kept with the order in the same transaction as each
-- payment and refund: balance = total - amount_paid, read without summing.
ALTER TABLE orders ADD COLUMN amount_paid BIGINT NOT NULL DEFAULT 0;
UPDATE orders SET amount_paid = total WHERE payment_status IN ('paid', 'refund_pending', 'refund_failed');

-- Money given back from a payment, to the tender it came in on. status: done (cash and
-- external at once), pending (a card refund asked of the processor), failed.
CREATE TABLE refunds (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    payment_id    BLOB NOT NULL REFERENCES payments(id) ON DELETE CASCADE,
    order_id      BLOB NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    amount        BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL,
    refunded_by   TEXT NOT NULL,
    approved_by   BLOB,
    business_day  TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id);
CREATE INDEX refunds_day ON refunds (restaurant_id, business_day);


-- Cash drawers: one per device or person, opened with a float, closed with a count.
-- expected and counted are kept at close; the difference is counted - expected.
CREATE TABLE cash_drawers (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    float_amount  BIGINT NOT NULL,
    business_day  TEXT NOT NULL,
    opened_by     TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    closed_by     TEXT,
    closed_at     TEXT,
    expected      BIGINT,
    counted       BIGINT
);
CREATE UNIQUE INDEX cash_drawers_open_name ON cash_drawers (restaurant_id, name) WHERE closed_at IS NULL;
CREATE INDEX cash_drawers_day ON cash_drawers (restaurant_id, business_day);

-- Cash put in or taken out of a drawer other than by a payment (change brought from the
-- bank, a delivery paid from the till), with why and who.
CREATE TABLE drawer_movements (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    drawer_id     BLOB NOT NULL REFERENCES cash_drawers(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX drawer_movements_drawer ON drawer_movements (drawer_id);
