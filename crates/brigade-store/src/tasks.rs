//! Task templates and the tasks made from them.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use brigade_domain::tasks::TaskStatus;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as DbJson;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// `opening`, `closing` or none: which checklist the task belongs to.
    pub checklist: Option<String>,
    pub frequency: String,
    pub days: DbJson<Vec<serde_json::Value>>,
    pub due_time: String,
    pub role: Option<String>,
    pub steps: DbJson<Vec<String>>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const TEMPLATE_COLUMNS: &str =
    "id, restaurant_id, name, description, checklist, frequency, days, due_time, role, steps, is_active, created_at, updated_at";

pub async fn insert_template(tx: &mut Tx, t: &TemplateRow) -> Result<()> {
    let sql = format!("INSERT INTO task_templates ({TEMPLATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(t.id)
        .bind(t.restaurant_id)
        .bind(&t.name)
        .bind(&t.description)
        .bind(&t.checklist)
        .bind(&t.frequency)
        .bind(&t.days)
        .bind(&t.due_time)
        .bind(&t.role)
        .bind(&t.steps)
        .bind(t.is_active)
        .bind(stored_time(t.created_at))
        .bind(stored_time(t.updated_at))
        .execute(x)
        .await
        .map(drop))
}

pub async fn update_template(tx: &mut Tx, t: &TemplateRow) -> Result<bool> {
    let n = on_tx!(tx, |x| {
        sqlx::query(
        "UPDATE task_templates SET name = $3, description = $4, checklist = $5, frequency = $6, days = $7, due_time = $8,
         role = $9, steps = $10, is_active = $11, updated_at = $12 WHERE id = $1 AND restaurant_id = $2 AND deleted_at IS NULL"
    )
    .bind(t.id)
    .bind(t.restaurant_id)
    .bind(&t.name)
    .bind(&t.description)
    .bind(&t.checklist)
    .bind(&t.frequency)
    .bind(&t.days)
    .bind(&t.due_time)
    .bind(&t.role)
    .bind(&t.steps)
    .bind(t.is_active)
    .bind(stored_time(t.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn delete_template(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| {
        sqlx::query(
        "UPDATE task_templates SET deleted_at = $3, is_active = FALSE WHERE id = $2 AND restaurant_id = $1 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn templates(db: &Db, rid: Uuid) -> Result<Vec<TemplateRow>> {
    let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM task_templates WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY name, id");
    on_db!(db, rid, |x| sqlx::query_as::<_, TemplateRow>(&sql).bind(rid).fetch_all(x).await)
}

pub async fn template_tx(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<TemplateRow>> {
    let sql = format!(
        "SELECT {TEMPLATE_COLUMNS} FROM task_templates WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    );
    on_tx!(tx, |x| sqlx::query_as::<_, TemplateRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

/// Restaurants that have active templates (for the daily generation).
pub async fn restaurants_with_templates(db: &Db) -> Result<Vec<Uuid>> {
    on_db!(db, System::Housekeeping, |x| sqlx::query_scalar::<_, Uuid>(
        "SELECT DISTINCT restaurant_id FROM task_templates WHERE is_active AND deleted_at IS NULL"
    )
    .fetch_all(x)
    .await)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub text: String,
    pub done: bool,
    pub done_by: Option<Uuid>,
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub template_id: Option<Uuid>,
    pub business_day: NaiveDate,
    pub name: String,
    pub description: Option<String>,
    pub checklist: Option<String>,
    pub role: Option<String>,
    pub steps: DbJson<Vec<Step>>,
    pub due_at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub status: TaskStatus,
    pub assigned_to: Option<Uuid>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<Uuid>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const TASK_COLUMNS: &str =
    "id, restaurant_id, template_id, business_day, name, description, checklist, role, steps, due_at,
    status, assigned_to, started_at, completed_at, completed_by, notes, created_at, updated_at";

/// Inserts a task; a template's task for a day that exists already is left alone.
/// Returns whether this call made it.
pub async fn insert_task(tx: &mut Tx, t: &TaskRow) -> Result<bool> {
    let sql = format!(
        "INSERT INTO tasks ({TASK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT DO NOTHING"
    );
    let n = on_tx!(tx, |x| sqlx::query(&sql)
        .bind(t.id)
        .bind(t.restaurant_id)
        .bind(t.template_id)
        .bind(t.business_day)
        .bind(&t.name)
        .bind(&t.description)
        .bind(&t.checklist)
        .bind(&t.role)
        .bind(&t.steps)
        .bind(stored_time(t.due_at))
        .bind(t.status.as_str())
        .bind(t.assigned_to)
        .bind(t.started_at.map(stored_time))
        .bind(t.completed_at.map(stored_time))
        .bind(t.completed_by)
        .bind(&t.notes)
        .bind(stored_time(t.created_at))
        .bind(stored_time(t.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn update_task(tx: &mut Tx, t: &TaskRow) -> Result<bool> {
    let n = on_tx!(tx, |x| {
        sqlx::query(
        "UPDATE tasks SET steps = $3, status = $4, assigned_to = $5, started_at = $6, completed_at = $7, completed_by = $8,
         notes = $9, updated_at = $10 WHERE id = $1 AND restaurant_id = $2"
    )
    .bind(t.id)
    .bind(t.restaurant_id)
    .bind(&t.steps)
    .bind(t.status.as_str())
    .bind(t.assigned_to)
    .bind(t.started_at.map(stored_time))
    .bind(t.completed_at.map(stored_time))
    .bind(t.completed_by)
    .bind(&t.notes)
    .bind(stored_time(t.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn task_tx(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<TaskRow>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE restaurant_id = $1 AND id = $2");
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR UPDATE"), |x, text| sqlx::query_as::<_, TaskRow>(&text).bind(rid).bind(id).fetch_optional(x).await)
}

/// Tasks of business days from `from` to `to` (inclusive), by due time.
pub async fn tasks(db: &Db, rid: Uuid, from: NaiveDate, to: NaiveDate) -> Result<Vec<TaskRow>> {
    let sql = format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE restaurant_id = $1 AND business_day >= $2 AND business_day <= $3
         ORDER BY due_at, name, id"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, TaskRow>(&sql).bind(rid).bind(from).bind(to).fetch_all(x).await)
}
