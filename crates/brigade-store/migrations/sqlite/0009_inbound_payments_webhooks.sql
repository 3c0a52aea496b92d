-- Orders coming in from platforms, card payments, and signed webhooks going out.

-- A line Brigade could not sell when the order arrived (86'd, off this channel) but took
-- anyway because the guest had already paid the platform: the kitchen sees why.
ALTER TABLE order_items ADD COLUMN flag TEXT;

-- How an order is paid when Brigade takes the payment: NULL (pay at the counter, or paid
-- on the platform it came from), pending (a checkout is open), paid, refund_pending,
-- refunded, refund_failed.
ALTER TABLE orders ADD COLUMN payment_status TEXT;

-- Every webhook a platform sent us, kept as evidence. outcome: processing, processed,
-- duplicate (that order was already taken), denied (refused back to the platform),
-- ignored (an event we do not act on), replayed (an event id seen before), refused (bad
-- or missing signature, or too old), failed (we could not finish; the platform retries).
CREATE TABLE inbound_webhooks (
    id                BLOB PRIMARY KEY,
    restaurant_id     BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    integration_id    BLOB NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    platform          TEXT NOT NULL,
    event_id          TEXT,
    event_type        TEXT,
    external_order_id TEXT,
    order_id          BLOB,
    outcome           TEXT NOT NULL,
    reason            TEXT,
    payload           TEXT,
    received_at       TEXT NOT NULL,
    completed_at      TEXT
);
CREATE INDEX inbound_webhooks_restaurant ON inbound_webhooks (restaurant_id, id);
-- One event is acted on once; later copies are logged as replayed.
CREATE UNIQUE INDEX inbound_webhooks_once ON inbound_webhooks (integration_id, event_id)
    WHERE outcome IN ('processing', 'processed', 'duplicate', 'denied', 'ignored');

-- Card payments through a provider's hosted checkout (Stripe Checkout): no card data
-- touches Brigade. status: open, paid, expired, refund_pending, refunded, refund_failed.
CREATE TABLE payments (
    id             BLOB PRIMARY KEY,
    restaurant_id  BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    order_id       BLOB NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    integration_id BLOB NOT NULL REFERENCES integrations(id),
    provider       TEXT NOT NULL,
    session_id     TEXT NOT NULL,
    payment_intent TEXT,
    checkout_url   TEXT,
    amount         BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL,
    refund_id      TEXT,
    last_error     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX payments_order ON payments (order_id);
CREATE UNIQUE INDEX payments_session ON payments (provider, session_id);

-- Outgoing webhooks: a restaurant's subscriptions to event types, signed with their own
-- secret (sealed like integration credentials; shown once, when made).
-- status: active, paused.
CREATE TABLE webhook_subscriptions (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    url           TEXT NOT NULL,
    description   TEXT,
    event_types   TEXT NOT NULL,
    secret        BLOB NOT NULL,
    secret_hint   TEXT NOT NULL,
    status        TEXT NOT NULL,
    -- Events up to this id happened before the subscription and are not sent.
    after_event   BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX webhook_subscriptions_restaurant ON webhook_subscriptions (restaurant_id);

-- One event to one subscription. status: pending, sending (claimed by a sender until
-- next_attempt_at; past it, another takes it), succeeded, dead. Retried with backoff
-- until 24 hours after the event; a replay sends it again.
CREATE TABLE webhook_deliveries (
    id              BLOB PRIMARY KEY,
    restaurant_id   BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    subscription_id BLOB NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    event_id        BIGINT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    give_up_at      TEXT NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    last_response   TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (subscription_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_restaurant ON webhook_deliveries (restaurant_id, subscription_id, id);

-- How far the dispatcher has read the event log (one row).
CREATE TABLE webhook_cursor (
    id            INTEGER PRIMARY KEY,
    last_event_id BIGINT NOT NULL
);
INSERT INTO webhook_cursor (id, last_event_id) SELECT 1, COALESCE(MAX(id), 0) FROM events;

