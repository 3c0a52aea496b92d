-- Row-level security fails closed. Until now a connection that had not set
-- `brigade.restaurant_id` saw every restaurant's rows, and most reads did not set it, so
-- the policies walled almost nothing. From here a tenant row is visible only to the
-- transaction of its own restaurant, or to one that declares a named system scope
-- (`brigade.system`, set by the store's `System` paths: sign-in, the job queue, the
-- realtime feed...). A query with neither sees no tenant rows and cannot write one.
--
-- Later migrations that change tenant rows must first declare a scope of their own:
--     SET LOCAL brigade.system = 'migration';
CREATE OR REPLACE FUNCTION brigade_tenant_visible(rid UUID) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT COALESCE(current_setting('brigade.system', true), '') <> ''
        OR COALESCE(rid = NULLIF(current_setting('brigade.restaurant_id', true), '')::uuid, false)
$$;
