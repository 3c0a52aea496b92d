-- The counter takes payments: cash, a card machine not connected to Brigade (external),
-- and cards through Stripe. A payment no longer needs a provider's checkout session.
--
-- method: card, cash, external. amount: what it pays of the check (minor units); tip on
-- top; tendered and change_given for cash; refunded: how much of amount has gone back.
-- business_day: the restaurant's business day when it was taken (close-out reads it).
SET LOCAL brigade.system = 'migration';

ALTER TABLE payments ALTER COLUMN integration_id DROP NOT NULL;
ALTER TABLE payments ALTER COLUMN provider DROP NOT NULL;
ALTER TABLE payments ALTER COLUMN session_id DROP NOT NULL;
ALTER TABLE payments ADD COLUMN method TEXT NOT NULL DEFAULT 'card';
ALTER TABLE payments ADD COLUMN tip BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN tendered BIGINT;
ALTER TABLE payments ADD COLUMN change_given BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN taken_by TEXT;
ALTER TABLE payments ADD COLUMN drawer_id UUID;
ALTER TABLE payments ADD COLUMN business_day DATE;
UPDATE payments p SET business_day = o.business_day,
    refunded = CASE WHEN p.status = 'refunded' THEN p.amount ELSE 0 END
FROM orders o WHERE o.id = p.order_id;
CREATE INDEX payments_day ON payments (restaurant_id, business_day);

-- What the check's payments cover, kept with the order in the same transaction as each
-- payment and refund: balance = total - amount_paid, read without summing.
ALTER TABLE orders ADD COLUMN amount_paid BIGINT NOT NULL DEFAULT 0;
UPDATE orders SET amount_paid = total WHERE payment_status IN ('paid', 'refund_pending', 'refund_failed');

-- Money given back from a payment, to the tender it came in on. status: done (cash and
-- external at once), pending (a card refund asked of the processor), failed.
CREATE TABLE refunds (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    payment_id    UUID NOT NULL REFERENCES payments(id) ON DELETE CASCADE,
    order_id      UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    amount        BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL,
    refunded_by   TEXT NOT NULL,
    approved_by   UUID,
    business_day  DATE NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id);
CREATE INDEX refunds_day ON refunds (restaurant_id, business_day);
ALTER TABLE refunds ENABLE ROW LEVEL SECURITY;
ALTER TABLE refunds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON refunds USING (brigade_tenant_visible(restaurant_id));


-- Cash drawers: one per device or person, opened with a float, closed with a count.
-- expected and counted are kept at close; the difference is counted - expected.
CREATE TABLE cash_drawers (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    float_amount  BIGINT NOT NULL,
    business_day  DATE NOT NULL,
    opened_by     TEXT NOT NULL,
    opened_at     TIMESTAMPTZ NOT NULL,
    closed_by     TEXT,
    closed_at     TIMESTAMPTZ,
    expected      BIGINT,
    counted       BIGINT
);
CREATE UNIQUE INDEX cash_drawers_open_name ON cash_drawers (restaurant_id, name) WHERE closed_at IS NULL;
CREATE INDEX cash_drawers_day ON cash_drawers (restaurant_id, business_day);
ALTER TABLE cash_drawers ENABLE ROW LEVEL SECURITY;
ALTER TABLE cash_drawers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON cash_drawers USING (brigade_tenant_visible(restaurant_id));

-- Cash put in or taken out of a drawer other than by a payment (change brought from the
-- bank, a delivery paid from the till), with why and who.
CREATE TABLE drawer_movements (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    drawer_id     UUID NOT NULL REFERENCES cash_drawers(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX drawer_movements_drawer ON drawer_movements (drawer_id);
ALTER TABLE drawer_movements ENABLE ROW LEVEL SECURITY;
ALTER TABLE drawer_movements FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON drawer_movements USING (brigade_tenant_visible(restaurant_id));
