-- A loyalty program's rewards beside its standing one, each redeemed by its id: an
-- amount off, or one of given items free (brigade_domain::customer::Reward, as JSON).
ALTER TABLE loyalty_programs ADD COLUMN rewards TEXT NOT NULL DEFAULT '[]';
-- The reward an order redeemed, by its name then, for the receipt and the history.
ALTER TABLE orders ADD COLUMN points_reward TEXT;
