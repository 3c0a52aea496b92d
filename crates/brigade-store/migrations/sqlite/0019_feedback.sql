-- Guests' ratings of their orders: one per order, given on its tracking page once the
-- order is complete. The channel is copied from the order so that the dashboard groups
-- ratings without a join.
CREATE TABLE feedback (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    order_id      BLOB NOT NULL UNIQUE REFERENCES orders(id) ON DELETE CASCADE,
    rating        BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment       TEXT,
    channel       TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX feedback_by_time ON feedback (restaurant_id, created_at);
