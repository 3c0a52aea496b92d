-- Tasks and checklists: templates that recur, and the tasks made from them each day.

-- frequency: daily, weekly (on days: ["Mon", "Fri"]) or monthly (on days: [1, 15]).
-- due_time is local; steps: ["Turn on the fryers", …].
CREATE TABLE task_templates (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT,
    checklist     TEXT,
    frequency     TEXT NOT NULL,
    days          JSONB NOT NULL,
    due_time      TEXT NOT NULL,
    role          TEXT,
    steps         JSONB NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ
);
CREATE INDEX task_templates_restaurant ON task_templates (restaurant_id);

-- steps: [{"text", "done", "done_by", "done_at"}].
CREATE TABLE tasks (
    id            UUID PRIMARY KEY,
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,
    template_id   UUID REFERENCES task_templates(id),
    business_day  DATE NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT,
    checklist     TEXT,
    role          TEXT,
    steps         JSONB NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    status        TEXT NOT NULL,
    assigned_to   UUID REFERENCES users(id),
    started_at    TIMESTAMPTZ,
    completed_at  TIMESTAMPTZ,
    completed_by  UUID,
    notes         TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_restaurant_day ON tasks (restaurant_id, business_day);
-- Each template makes its task once a day, however many workers generate at once.
CREATE UNIQUE INDEX tasks_once_a_day ON tasks (template_id, business_day);

ALTER TABLE task_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE task_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON task_templates USING (brigade_tenant_visible(restaurant_id));
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON tasks USING (brigade_tenant_visible(restaurant_id));
