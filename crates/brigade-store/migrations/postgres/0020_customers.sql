-- Guests who come back. A restaurant belongs to a group (an owner's locations), and
-- the group shares its guests: one customer per person per group, found by a keyed hash
-- of a normalised phone number or email address. The number and the address are kept
-- only sealed (AES-GCM under the server's secrets key); the last four digits stay
-- readable to mask the number by. An order links its customer; what it says of the
-- guest in plain words is a name, a masked number and a delivery address.
SET LOCAL brigade.system = 'migration';

ALTER TABLE restaurants ADD COLUMN group_id UUID;
-- Where phone numbers written without a country code are read (ISO 3166-1 alpha-2);
-- null: the currency's country, when it has one.
ALTER TABLE restaurants ADD COLUMN country TEXT;
-- An owner's locations form one group: the group of the oldest restaurant they own.
UPDATE restaurants SET group_id = COALESCE((
    SELECT r2.id FROM memberships m
    JOIN memberships m2 ON m2.user_id = m.user_id AND m2.role = 'owner'
    JOIN restaurants r2 ON r2.id = m2.restaurant_id
    WHERE m.restaurant_id = restaurants.id AND m.role = 'owner'
    ORDER BY r2.created_at, r2.id LIMIT 1), id);
ALTER TABLE restaurants ALTER COLUMN group_id SET NOT NULL;
CREATE INDEX restaurants_group ON restaurants (group_id);

CREATE TABLE customers (
    id                UUID PRIMARY KEY,
    group_id          UUID NOT NULL,
    name              TEXT,
    -- The name in lower case, for search by any part of it.
    search_name       TEXT,
    phone_sealed      BYTEA,
    phone_hash        TEXT,
    phone_last4       TEXT,
    email_sealed      BYTEA,
    email_hash        TEXT,
    notes             TEXT,
    tags              JSONB NOT NULL DEFAULT '[]',
    marketing_consent BOOLEAN NOT NULL DEFAULT FALSE,
    consent_at        TIMESTAMPTZ,
    consent_channel   TEXT,
    consent_restaurant_id UUID,
    first_order_at    TIMESTAMPTZ,
    last_order_at     TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX customers_phone ON customers (group_id, phone_hash);
CREATE INDEX customers_email ON customers (group_id, email_hash);
CREATE INDEX customers_recent ON customers (group_id, last_order_at DESC, id DESC);
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
-- A customer is visible to the transactions of its group's restaurants (the sub-select
-- does not depend on the row, so it runs once per statement).
CREATE POLICY tenant ON customers USING (
    COALESCE(current_setting('brigade.system', true), '') <> ''
    OR group_id = (SELECT r.group_id FROM restaurants r
                   WHERE r.id = NULLIF(current_setting('brigade.restaurant_id', true), '')::uuid));

ALTER TABLE orders ADD COLUMN customer_id UUID;
CREATE INDEX orders_customer ON orders (customer_id, created_at) WHERE customer_id IS NOT NULL;
