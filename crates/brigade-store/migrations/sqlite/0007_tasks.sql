-- Tasks and checklists: templates that recur, and the tasks made from them each day.

-- frequency: daily, weekly (on days: ["Mon", "Fri"]) or monthly (on days: [1, 15]).
-- due_time is local; steps: ["Turn on the fryers", …].
CREATE TABLE task_templates (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT,
    checklist     TEXT,
    frequency     TEXT NOT NULL,
    days          TEXT NOT NULL,
    due_time      TEXT NOT NULL,
    role          TEXT,
    steps         TEXT NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX task_templates_restaurant ON task_templates (restaurant_id);

-- steps: [{"text", "done", "done_by", "done_at"}].
CREATE TABLE tasks (
    id            BLOB PRIMARY KEY,
    restaurant_id BLOB NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    template_id   BLOB REFERENCES task_templates(id),
    business_day  TEXT NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT,
    checklist     TEXT,
    role          TEXT,
    steps         TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    status        TEXT NOT NULL,
    assigned_to   BLOB REFERENCES users(id),
    started_at    TEXT,
    completed_at  TEXT,
    completed_by  BLOB,
    notes         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX tasks_restaurant_day ON tasks (restaurant_id, business_day);
-- Each template makes its task once a day, however many workers generate at once.
CREATE UNIQUE INDEX tasks_once_a_day ON tasks (template_id, business_day);
