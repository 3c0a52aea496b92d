//! Tasks and checklists: templates that recur (daily, weekly on given days, monthly)
//! with a due time in the restaurant's zone, a role and checklist steps; each business
//! day's tasks are generated once (a unique index makes a second worker's attempt a
//! no-op), hourly by a job and whenever today's list is read. Tasks are assigned,
//! started, ticked step by step and completed with notes; late ones show as overdue.

pub mod service;

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, Path, Query};
use crate::jobs::Job;
use crate::restaurants::restaurant_tz;
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::Role;
use brigade_domain::credentials::parse_name;
use brigade_domain::menu::local_to_utc;
use brigade_domain::tasks::{Frequency, TaskStatus};
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::tasks::{self as store, Step, TaskRow, TemplateRow};
use brigade_store::{restaurants, Tx};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::types::Json as DbJson;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(update_template, delete_template))
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(assign_task))
        .routes(routes!(start_task))
        .routes(routes!(tick_step))
        .routes(routes!(complete_task))
        .routes(routes!(task_report))
}

// ---------------------------------------------------------------- templates

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// `opening`, `closing` or null.
    pub checklist: Option<String>,
    /// daily, weekly or monthly
    pub frequency: String,
    /// Weekly: ["Mon", …]; monthly: [1, 15].
    #[schema(value_type = Vec<Object>)]
    pub days: Vec<Value>,
    /// Local time, e.g. "10:30:00".
    pub due_time: String,
    /// The role it is for (owner, manager, staff, kitchen), or anyone.
    pub role: Option<String>,
    pub steps: Vec<String>,
    pub is_active: bool,
}

pub(crate) fn template_view(t: TemplateRow) -> TemplateView {
    TemplateView {
        id: t.id,
        name: t.name,
        description: t.description,
        checklist: t.checklist,
        frequency: t.frequency,
        days: t.days.0,
        due_time: t.due_time,
        role: t.role,
        steps: t.steps.0,
        is_active: t.is_active,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateInput {
    #[schema(value_type = schema::Name)]
    pub name: String,
    pub description: Option<String>,
    #[schema(value_type = Option<schema::Checklist>)]
    pub checklist: Option<String>,
    #[schema(value_type = schema::Frequency)]
    pub frequency: String,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub days: Vec<Value>,
    #[schema(value_type = schema::WallTime, example = "10:30:00")]
    #[serde(deserialize_with = "brigade_domain::when::wall_time")]
    pub due_time: NaiveTime,
    #[schema(value_type = Option<schema::MemberRole>)]
    pub role: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50, value_type = Vec<schema::Name>)]
    pub steps: Vec<String>,
    pub is_active: Option<bool>,
}

impl TemplateInput {
    fn apply(self, t: &mut TemplateRow) -> ApiResult<()> {
        Frequency::parse(&self.frequency, &self.days)?;
        if let Some(c) = &self.checklist {
            if !matches!(c.as_str(), "opening" | "closing") {
                return Err(ApiError::validation("checklist", "opening, closing or null"));
            }
        }
        if let Some(r) = &self.role {
            r.parse::<Role>()?;
        }
        if self.steps.len() > 50 {
            return Err(ApiError::validation("steps", "at most 50 steps"));
        }
        let mut steps = Vec::with_capacity(self.steps.len());
        for (i, s) in self.steps.iter().enumerate() {
            let s = s.trim();
            if s.is_empty() || s.chars().count() > 200 {
                return Err(ApiError::validation(format!("steps[{i}]"), "a step is 1 to 200 characters"));
            }
            steps.push(s.to_owned());
        }
        t.name = parse_name("name", &self.name)?;
        t.description = self.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        t.checklist = self.checklist;
        t.frequency = self.frequency;
        t.days = DbJson(self.days);
        t.due_time = self.due_time.format("%H:%M:%S").to_string();
        t.role = self.role;
        t.steps = DbJson(steps);
        t.is_active = self.is_active.unwrap_or(true);
        Ok(())
    }
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/task-templates", tag = "tasks", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<TemplateView>), (status = 404)), security(("bearer" = [])))]
async fn list_templates(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Page<TemplateView>>> {
    Ok(axum::Json(Page { items: service::templates(&actor, &state).await?, next_cursor: None }))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/task-templates", tag = "tasks", params(("rid" = Uuid, Path)),
    request_body = TemplateInput,
    responses((status = 201, body = TemplateView), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn create_template(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<TemplateInput>,
) -> ApiResult<(StatusCode, axum::Json<TemplateView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create_template(&actor, &state, body).await?)))
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/task-templates/{id}", tag = "tasks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = TemplateInput,
    responses((status = 200, body = TemplateView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_template(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<TemplateInput>,
) -> ApiResult<axum::Json<TemplateView>> {
    Ok(axum::Json(service::update_template(&actor, &state, ids.1, body).await?))
}

#[utoipa::path(delete, path = "/v1/restaurants/{rid}/task-templates/{id}", tag = "tasks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_template(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::delete_template(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- generation

/// Makes the tasks of `day` for a restaurant's active templates that fall due that day.
/// Safe to run any number of times, on any number of nodes: a template's task for a day
/// is inserted at most once. Returns how many this call made.
pub async fn generate(state: &AppState, rid: Uuid, day: NaiveDate) -> ApiResult<usize> {
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let tz = restaurant_tz(&r)?;
    let templates = store::templates(&state.db, rid).await?;
    let now = state.clock.now();
    let mut made = 0;
    let mut tx = state.db.begin(rid).await?;
    for t in templates.into_iter().filter(|t| t.is_active) {
        let Ok(freq) = Frequency::parse(&t.frequency, &t.days.0) else { continue };
        if !freq.is_due(day) {
            continue;
        }
        let due_time: NaiveTime = t.due_time.parse().unwrap_or(NaiveTime::MIN);
        // A due time before the day's turnover (say 02:00 with a 04:00 start) is that night.
        let date = if due_time < r.day_starts_at { day.succ_opt().unwrap_or(day) } else { day };
        let task = TaskRow {
            id: Uuid::now_v7(),
            restaurant_id: rid,
            template_id: Some(t.id),
            business_day: day,
            name: t.name.clone(),
            description: t.description.clone(),
            checklist: t.checklist.clone(),
            role: t.role.clone(),
            steps: DbJson(
                t.steps.0.iter().map(|s| Step { text: s.clone(), done: false, done_by: None, done_at: None }).collect(),
            ),
            due_at: local_to_utc(tz, date.and_time(due_time)),
            status: TaskStatus::Pending,
            assigned_to: None,
            started_at: None,
            completed_at: None,
            completed_by: None,
            notes: None,
            created_at: now,
            updated_at: now,
        };
        if store::insert_task(&mut tx, &task).await? {
            made += 1;
        }
    }
    tx.commit().await?;
    Ok(made)
}

/// The tasks' jobs: today's tasks made from the templates, every hour.
pub fn register_jobs(r: &mut crate::jobs::Registry) {
    r.hourly(GenerateTasks {});
}

/// The hourly job: today's tasks for every restaurant with templates.
#[derive(Debug, Serialize, Deserialize)]
pub struct GenerateTasks {}

impl Job for GenerateTasks {
    const KIND: &'static str = "tasks.generate";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let now = state.clock.now();
        for rid in store::restaurants_with_templates(&state.db).await? {
            let Some(r) = restaurants::get(&state.db, rid).await? else { continue };
            // A restaurant with a bad zone is skipped; a failed read retries the job.
            if restaurant_tz(&r).is_err() {
                continue;
            }
            let days = crate::restaurants::business_days(&state.db, &r).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let day = days.day_of(now);
            let made = generate(&state, rid, day).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            if made > 0 {
                tracing::info!(restaurant = %rid, %day, made, "tasks generated");
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- by hand

/// A task Brigade gives the managers when it could not do something itself (update a
/// delivery app, refund a card): the steps to do it by hand, due in fifteen minutes.
pub struct ByHand {
    pub name: String,
    pub description: String,
    pub steps: Vec<String>,
}

/// Inserts a [`ByHand`] task in `tx` with its `task.created` event, so the task exists
/// exactly when the failure it is about is committed. Returns the task's id.
pub async fn hand_to_managers(tx: &mut Tx, rid: Uuid, t: ByHand, now: DateTime<Utc>) -> ApiResult<Uuid> {
    let r = restaurants::get_tx(tx, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let days = crate::restaurants::business_days_tx(tx, &r).await?;
    let task = TaskRow {
        id: Uuid::now_v7(),
        restaurant_id: rid,
        template_id: None,
        business_day: days.day_of(now),
        name: t.name,
        description: Some(t.description),
        checklist: None,
        role: Some("manager".into()),
        steps: DbJson(
            t.steps.into_iter().map(|text| Step { text, done: false, done_by: None, done_at: None }).collect(),
        ),
        due_at: now + Duration::minutes(15),
        status: TaskStatus::Pending,
        assigned_to: None,
        started_at: None,
        completed_at: None,
        completed_by: None,
        notes: None,
        created_at: now,
        updated_at: now,
    };
    store::insert_task(tx, &task).await?;
    events::record(
        tx,
        NewEvent {
            restaurant_id: Some(rid),
            kind: "task.created",
            entity: "task",
            entity_id: Some(task.id),
            actor: ActedBy::System,
            payload: json!({ "name": task.name, "role": "manager", "due_at": task.due_at }),
            at: now,
        },
    )
    .await?;
    Ok(task.id)
}

// ---------------------------------------------------------------- tasks

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub text: String,
    pub done: bool,
    pub done_by: Option<Uuid>,
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: Uuid,
    pub template_id: Option<Uuid>,
    pub business_day: NaiveDate,
    pub name: String,
    pub description: Option<String>,
    pub checklist: Option<String>,
    pub role: Option<String>,
    pub steps: Vec<StepView>,
    pub due_at: DateTime<Utc>,
    #[schema(value_type = schema::TaskStatus)]
    pub status: TaskStatus,
    /// Not completed and past its due time.
    pub overdue: bool,
    pub assigned_to: Option<Uuid>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<Uuid>,
    pub notes: Option<String>,
}

pub(crate) fn task_view(t: TaskRow, now: DateTime<Utc>) -> TaskView {
    TaskView {
        overdue: t.status != TaskStatus::Completed && t.due_at < now,
        id: t.id,
        template_id: t.template_id,
        business_day: t.business_day,
        name: t.name,
        description: t.description,
        checklist: t.checklist,
        role: t.role,
        steps: t
            .steps
            .0
            .into_iter()
            .map(|s| StepView { text: s.text, done: s.done, done_by: s.done_by, done_at: s.done_at })
            .collect(),
        due_at: t.due_at,
        status: t.status,
        assigned_to: t.assigned_to,
        started_at: t.started_at,
        completed_at: t.completed_at,
        completed_by: t.completed_by,
        notes: t.notes,
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct TaskParams {
    /// A business day; default today.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_date")]
    pub day: Option<NaiveDate>,
    /// Only tasks for this role (and for anyone).
    #[param(value_type = Option<schema::MemberRole>)]
    pub role: Option<String>,
    /// `mine`: assigned to me or unassigned for my role.
    pub for_me: Option<bool>,
}

/// A day's tasks, generated first if the day is today.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/tasks", tag = "tasks", params(("rid" = Uuid, Path), TaskParams),
    responses((status = 200, body = Page<TaskView>), (status = 404)), security(("bearer" = [])))]
async fn list_tasks(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<TaskParams>,
) -> ApiResult<axum::Json<Page<TaskView>>> {
    Ok(axum::Json(Page { items: service::day(&actor, &state, q).await?, next_cursor: None }))
}

/// A task made by hand ("restock the walk-in by 5"), for today unless due later.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTask {
    #[schema(value_type = schema::Name)]
    pub title: String,
    #[schema(max_length = 1000)]
    pub notes: Option<String>,
    /// Default: the end of today's business day.
    pub due_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<schema::MemberRole>)]
    pub role: Option<String>,
    pub assignee_id: Option<Uuid>,
}

/// Adds a one-off task to a day's list.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/tasks", tag = "tasks", params(("rid" = Uuid, Path)),
    request_body = NewTask, responses((status = 201, body = TaskView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn create_task(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<NewTask>,
) -> ApiResult<(StatusCode, axum::Json<TaskView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create(&actor, &state, body).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignTask {
    /// A member, or null to unassign.
    pub user_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/tasks/{id}/assign", tag = "tasks", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    request_body = AssignTask, responses((status = 200, body = TaskView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn assign_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<AssignTask>,
) -> ApiResult<axum::Json<TaskView>> {
    Ok(axum::Json(service::assign(&actor, &state, ids.1, body.user_id).await?))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/tasks/{id}/start", tag = "tasks", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = TaskView), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn start_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<TaskView>> {
    Ok(axum::Json(service::start(&actor, &state, ids.1).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StepInput {
    pub done: bool,
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/tasks/{id}/steps/{index}", tag = "tasks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path), ("index" = usize, Path)), request_body = StepInput,
    responses((status = 200, body = TaskView), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn tick_step(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid, usize)>,
    Json(body): Json<StepInput>,
) -> ApiResult<axum::Json<TaskView>> {
    Ok(axum::Json(service::tick_step(&actor, &state, ids.1, ids.2, body.done).await?))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct CompleteInput {
    pub notes: Option<String>,
}

/// Completes a task; every step must be ticked first.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/tasks/{id}/complete", tag = "tasks", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    request_body(content = Option<CompleteInput>, description = "optional"),
    responses((status = 200, body = TaskView), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn complete_task(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<TaskView>> {
    let body: CompleteInput = crate::extract::parse_optional_json(&body)?;
    Ok(axum::Json(service::complete(&actor, &state, ids.1, body.notes).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rate {
    pub id: Option<Uuid>,
    pub name: String,
    pub tasks: i64,
    pub completed: i64,
    pub completed_on_time: i64,
    /// Completed over all, in percent.
    pub completion_rate: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by_person: Vec<Rate>,
    pub by_template: Vec<Rate>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ReportParams {
    /// First business day (default 7 days before `to`).
    #[serde(default, deserialize_with = "brigade_domain::when::opt_date")]
    pub from: Option<NaiveDate>,
    /// Last business day, inclusive (default today).
    #[serde(default, deserialize_with = "brigade_domain::when::opt_date")]
    pub to: Option<NaiveDate>,
}

/// Completion rates per person (assigned or completed by them) and per template.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/tasks/report", tag = "tasks", params(("rid" = Uuid, Path), ReportParams),
    responses((status = 200, body = TaskReport), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn task_report(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ReportParams>,
) -> ApiResult<axum::Json<TaskReport>> {
    Ok(axum::Json(service::report(&actor, &state, q.from, q.to).await?))
}
