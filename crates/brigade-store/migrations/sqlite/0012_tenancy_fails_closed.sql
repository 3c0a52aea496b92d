-- SQLite has no row-level security: the tenancy wall of PostgreSQL's 0012 is the
-- application's membership check alone here. Kept so both backends number alike.
SELECT 1;
