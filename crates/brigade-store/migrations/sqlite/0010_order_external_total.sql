-- What the guest paid the platform an order came from (Uber Eats, DoorDash, Square…), in
-- minor units, as the platform said: Brigade prices the order from its own menu, and the
-- two are kept side by side for reconciliation. NULL when the order came from no platform
-- or the platform did not say.
ALTER TABLE orders ADD COLUMN external_total INTEGER;
