-- Comps and discounts at the counter, each with why, who and the manager who approved.
-- A comped line stays on the check, served and taken from stock, at no charge. A check's
-- discount is a share of what its lines come to (discount_bps) or an amount
-- (discount_fixed, never more than the lines); discount is what it takes off now, kept by
-- every repricing. Tax is worked out after it.
ALTER TABLE order_items ADD COLUMN comped_at TIMESTAMPTZ;
ALTER TABLE order_items ADD COLUMN comp_reason TEXT;
ALTER TABLE order_items ADD COLUMN comped_by TEXT;
ALTER TABLE order_items ADD COLUMN comp_approved_by UUID;
ALTER TABLE orders ADD COLUMN discount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN discount_bps BIGINT;
ALTER TABLE orders ADD COLUMN discount_fixed BIGINT;
ALTER TABLE orders ADD COLUMN discount_reason TEXT;
ALTER TABLE orders ADD COLUMN discount_by TEXT;
ALTER TABLE orders ADD COLUMN discount_approved_by UUID;
