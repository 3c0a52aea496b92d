-- Finding a guest by any part of their name: a trigram index over customers'
-- lower-cased names, when the pg_trgm extension can be had (it is a trusted extension:
-- the database's owner may create it). Without it, the search reads the group's
-- customers as before.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%); customer name search will not be indexed', SQLERRM;
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX customers_name_trgm ON customers USING gin (search_name gin_trgm_ops)';
    END IF;
END
$$;
