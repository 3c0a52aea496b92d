-- The platforms' refused orders over a period (analytics/channels), read by restaurant
-- and time: only the refused rows are indexed, a small share of the webhook log.
CREATE INDEX inbound_webhooks_denied ON inbound_webhooks (restaurant_id, received_at) WHERE outcome = 'denied';
