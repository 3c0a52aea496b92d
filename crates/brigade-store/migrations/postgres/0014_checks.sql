-- Checks at the counter: rounds, seats, voids, moves, merges and splits.
--
-- A line keeps the kitchen ticket it was fired on (ticket_id) and its round (1 for the
-- lines an order was placed with, then one more for each round added), so a line moved
-- to another check by a split still shows on the ticket the kitchen has. seat: the
-- guest's seat at the table. A voided line stays on the check for the record (voided_at,
-- why, who, the manager who approved) and no longer counts in its total.
SET LOCAL brigade.system = 'migration';

ALTER TABLE order_items ADD COLUMN seat BIGINT;
ALTER TABLE order_items ADD COLUMN round BIGINT NOT NULL DEFAULT 1;
ALTER TABLE order_items ADD COLUMN ticket_id UUID;
ALTER TABLE order_items ADD COLUMN voided_at TIMESTAMPTZ;
ALTER TABLE order_items ADD COLUMN void_reason TEXT;
ALTER TABLE order_items ADD COLUMN voided_by TEXT;
ALTER TABLE order_items ADD COLUMN void_approved_by UUID;
UPDATE order_items i SET ticket_id = (
    SELECT t.id FROM kds_tickets t WHERE t.order_id = i.order_id AND t.station_id IS NOT DISTINCT FROM i.station_id
    ORDER BY t.id LIMIT 1);
CREATE INDEX order_items_ticket ON order_items (ticket_id);

-- A check split evenly keeps its lines on the first part; every part's share of the
-- subtotal and tax is what its lines price to plus these (negative on the first part,
-- positive on the others, summing to zero). merged_into: the check this one was merged
-- into (it is then cancelled, its lines and tickets moved). split_from: the check this
-- one was split from.
ALTER TABLE orders ADD COLUMN adjust_subtotal BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN adjust_tax BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN merged_into UUID;
ALTER TABLE orders ADD COLUMN split_from UUID;
CREATE INDEX orders_table ON orders (restaurant_id, table_id) WHERE table_id IS NOT NULL;
