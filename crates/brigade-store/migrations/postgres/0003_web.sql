-- The kitchen display's ticket timers: a ticket turns amber after kds_warn_secs and red
-- after kds_late_secs. Managers set them per restaurant.
ALTER TABLE restaurants ADD COLUMN kds_warn_secs BIGINT NOT NULL DEFAULT 300;
ALTER TABLE restaurants ADD COLUMN kds_late_secs BIGINT NOT NULL DEFAULT 600;
