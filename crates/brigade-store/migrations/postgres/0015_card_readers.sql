-- A card payment taken on a Stripe Terminal reader names the reader it waits on; while
-- it is open, the amount it asks for is held from the check's balance.
ALTER TABLE payments ADD COLUMN reader_id TEXT;
