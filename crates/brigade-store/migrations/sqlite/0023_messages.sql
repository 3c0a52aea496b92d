-- Messages to guests: texts through the restaurant's Twilio number, email through the
-- server's SMTP relay. Each is a row (the delivery log) and a job that sends it with
-- retries. The address is not here: it is opened from the guest's profile when sent.
CREATE TABLE messages (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    customer_id   BLOB,
    order_id      BLOB,
    channel       TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    -- order_ready, receipt, order_refused, marketing, direct
    kind          TEXT NOT NULL,
    -- The address as it may be shown: '•••• 4242', 'g•••@example.com'.
    to_masked     TEXT NOT NULL,
    subject       TEXT,
    body          TEXT NOT NULL,
    -- queued (waiting or retrying), sent, failed, suppressed (not sent: opted out,
    -- no consent, erased)
    status        TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'suppressed')),
    attempts      BIGINT NOT NULL DEFAULT 0,
    provider_id   TEXT,
    error         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    sent_at       TEXT
);
CREATE INDEX messages_restaurant ON messages (restaurant_id, id);
CREATE INDEX messages_customer ON messages (customer_id) WHERE customer_id IS NOT NULL;
-- Numbers that replied STOP to a restaurant group's texts: never texted again until
-- they reply START. By the keyed hash of the number, as customers are found.
CREATE TABLE message_opt_outs (
    group_id     BLOB NOT NULL,
    phone_hash   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (group_id, phone_hash)
);
-- A restaurant's own words for a kind of message; absent: Brigade's.
CREATE TABLE message_templates (
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    sms           TEXT NOT NULL,
    email_subject TEXT NOT NULL,
    email_body    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (restaurant_id, kind)
);
-- How long a group keeps a guest who stopped ordering (months); NULL: until erased.
ALTER TABLE loyalty_programs ADD COLUMN retention_months BIGINT;
-- A promotion's uses are counted from promotion_uses: a counter on the row made every
-- order update one hot row per promotion it used.
ALTER TABLE promotions DROP COLUMN uses;
