-- A restaurant's opening hours (brigade_domain::hours::Hours, JSON): weekly openings and
-- dated exceptions in its zone. No row: always open.
CREATE TABLE restaurant_hours (
    restaurant_id UUID PRIMARY KEY REFERENCES restaurants(id) ON DELETE CASCADE,
    hours         JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
ALTER TABLE restaurant_hours ENABLE ROW LEVEL SECURITY;
ALTER TABLE restaurant_hours FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON restaurant_hours USING (brigade_tenant_visible(restaurant_id));
