-- Guests' ratings of their orders: one per order, given on its tracking page once the
-- order is complete. The channel is copied from the order so that the dashboard groups
-- ratings without a join.
CREATE TABLE feedback (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    order_id      UUID NOT NULL UNIQUE REFERENCES orders(id) ON DELETE CASCADE,
    rating        BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment       TEXT,
    channel       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_by_time ON feedback (restaurant_id, created_at);
ALTER TABLE feedback ENABLE ROW LEVEL SECURITY;
ALTER TABLE feedback FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON feedback USING (brigade_tenant_visible(restaurant_id));
