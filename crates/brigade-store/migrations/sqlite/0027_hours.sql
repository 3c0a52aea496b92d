-- A restaurant's opening hours (brigade_domain::hours::Hours, JSON): weekly openings and
-- dated exceptions in its zone. No row: always open.
CREATE TABLE restaurant_hours (
    restaurant_id BLOB PRIMARY KEY REFERENCES restaurants(id) ON DELETE CASCADE,
    hours         TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
