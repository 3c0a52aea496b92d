-- Guests who come back. A restaurant belongs to a group (an owner's locations), and
-- the group shares its guests: one customer per person per group, found by a keyed hash
-- of a normalised phone number or email address. The number and the address are kept
-- only sealed (AES-GCM under the server's secrets key); the last four digits stay
-- readable to mask the number by. An order links its customer; what it says of the
-- guest in plain words is a name, a masked number and a delivery address.
ALTER TABLE restaurants ADD COLUMN group_id BLOB;
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
CREATE INDEX restaurants_group ON restaurants (group_id);

CREATE TABLE customers (
    id                BLOB PRIMARY KEY,
    group_id          BLOB NOT NULL,
    name              TEXT,
    -- The name in lower case, for search by any part of it.
    search_name       TEXT,
    phone_sealed      BLOB,
    phone_hash        TEXT,
    phone_last4       TEXT,
    email_sealed      BLOB,
    email_hash        TEXT,
    notes             TEXT,
    tags              TEXT NOT NULL DEFAULT '[]',
    marketing_consent BOOLEAN NOT NULL DEFAULT FALSE,
    consent_at        TEXT,
    consent_channel   TEXT,
    consent_restaurant_id BLOB,
    first_order_at    TEXT,
    last_order_at     TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX customers_phone ON customers (group_id, phone_hash);
CREATE INDEX customers_email ON customers (group_id, email_hash);
CREATE INDEX customers_recent ON customers (group_id, last_order_at DESC, id DESC);

ALTER TABLE orders ADD COLUMN customer_id BLOB;
CREATE INDEX orders_customer ON orders (customer_id, created_at) WHERE customer_id IS NOT NULL;
