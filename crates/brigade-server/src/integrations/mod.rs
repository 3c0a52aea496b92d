//! `…/integrations`: delivery platforms and POS systems connected to a restaurant.
//!
//! An integration names a platform and the restaurant's store on it, with credentials
//! sealed at rest (`secrets`) and never returned: the API shows only hints ("…a1b2").
//! Adapters (`ubereats`, `doordash`, `grubhub`, `square`, `stripe`) speak each platform's
//! published API behind one trait (`platform::Adapter`); the sync engine (`sync`) keeps
//! each delivery platform's menu and availability equal to Brigade's; `inbound` takes
//! their webhooks (orders, payments).

pub mod doordash;
pub mod grubhub;
pub mod inbound;
pub mod platform;
pub mod square;
pub mod stripe;
pub mod sync;
pub mod twilio;
pub mod ubereats;

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::Permission;
use brigade_domain::credentials::parse_name;
use brigade_domain::integration::{Platform, Status};
use brigade_store::integrations::{self as store, IntegrationRow};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use platform::{Adapter, Throttle};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::types::Json as DbJson;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// The integrations' jobs: refunds owed through Stripe. (The sync engine runs its own
/// worker over its own queue, `sync_jobs`.)
pub fn register_jobs(r: &mut crate::jobs::Registry) {
    r.register::<crate::payments::RefundPayment>();
    r.register::<crate::payments::ChargeOnReader>();
    r.register::<crate::payments::CancelOnReader>();
}

pub mod service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_integrations, create_integration))
        .routes(routes!(get_integration, update_integration, delete_integration))
        .routes(routes!(test_integration))
        .routes(routes!(set_store))
        .routes(routes!(import_menu))
        .merge(sync::router())
        .merge(inbound::router())
        .merge(stripe::router())
}

/// What integrations share in a process: one HTTP client, and per integration its rate
/// limiter and its platform token. (Their credentials are sealed with `state.secrets`.)
pub struct Runtime {
    pub http: reqwest::Client,
    /// For outgoing webhooks: follows no redirects (the address was checked, not where
    /// it might send us) and, unless private addresses are allowed, resolves names only
    /// to public addresses ([`crate::webhooks::PublicOnly`]).
    pub webhook_http: reqwest::Client,
    throttles: Mutex<HashMap<Uuid, Arc<Throttle>>>,
    tokens: Mutex<HashMap<Uuid, platform::TokenCache>>,
}

impl Runtime {
    pub fn new(timeout: Duration, webhooks_allow_private: bool) -> anyhow::Result<Runtime> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Brigade/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut webhook_http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Brigade-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !webhooks_allow_private {
            webhook_http = webhook_http.dns_resolver(Arc::new(crate::webhooks::PublicOnly));
        }
        let webhook_http = webhook_http.build()?;
        Ok(Runtime { http, webhook_http, throttles: Mutex::default(), tokens: Mutex::default() })
    }

    pub(crate) fn throttle(&self, id: Uuid, rate: f64) -> Arc<Throttle> {
        self.throttles.lock().entry(id).or_insert_with(|| Arc::new(Throttle::new(rate, rate.max(1.0) * 2.0))).clone()
    }

    fn token(&self, id: Uuid) -> platform::TokenCache {
        self.tokens.lock().entry(id).or_default().clone()
    }

    /// Forgets what was cached for an integration (its credentials changed).
    fn forget(&self, id: Uuid) {
        self.throttles.lock().remove(&id);
        self.tokens.lock().remove(&id);
    }
}

/// Requests per second we allow ourselves towards a platform unless the integration
/// says otherwise.
pub(crate) const DEFAULT_RATE: f64 = 10.0;

/// Why an integration cannot be used as it is stored.
#[derive(Debug, thiserror::Error)]
pub enum Unusable {
    #[error("this integration has no credentials; add them first")]
    NoCredentials,
    #[error("the stored credentials could not be opened with this server's secrets key (was BRIGADE_SECRETS_KEY changed?); enter them again")]
    Unreadable,
    #[error("the stored credentials are not what {0} needs; enter them again")]
    Malformed(&'static str),
    #[error("unknown platform '{0}'")]
    Unknown(String),
}

impl From<Unusable> for ApiError {
    fn from(e: Unusable) -> Self {
        ApiError::conflict(crate::error::ErrorCode::IntegrationUnusable, e.to_string())
    }
}

/// The adapter for an integration, with its credentials opened.
pub fn adapter(state: &AppState, row: &IntegrationRow) -> Result<Box<dyn Adapter>, Unusable> {
    let platform = Platform::parse("platform", &row.platform).map_err(|_| Unusable::Unknown(row.platform.clone()))?;
    let sealed = row.credentials.as_deref().ok_or(Unusable::NoCredentials)?;
    let plain = state.secrets.open(row.id, sealed).map_err(|_| Unusable::Unreadable)?;
    let rate = row.config.0.get("rate_per_sec").and_then(Value::as_f64).unwrap_or(DEFAULT_RATE);
    let rt = &state.integrations;
    match platform {
        Platform::Ubereats => {
            let credentials: ubereats::Credentials =
                serde_json::from_slice(&plain).map_err(|_| Unusable::Malformed(platform.title()))?;
            Ok(Box::new(ubereats::UberEats {
                http: rt.http.clone(),
                base_url: state.config.ubereats_base_url.clone(),
                auth_url: state.config.ubereats_auth_url.clone(),
                store_id: row.store_id.clone(),
                credentials,
                throttle: rt.throttle(row.id, rate),
                token: rt.token(row.id),
            }))
        }
        Platform::Doordash => {
            let credentials: doordash::Credentials =
                serde_json::from_slice(&plain).map_err(|_| Unusable::Malformed(platform.title()))?;
            Ok(Box::new(doordash::DoorDash {
                http: rt.http.clone(),
                base_url: state.config.doordash_base_url.clone(),
                store_id: row.store_id.clone(),
                credentials,
                throttle: rt.throttle(row.id, rate),
            }))
        }
        Platform::Grubhub => {
            let credentials: grubhub::Credentials =
                serde_json::from_slice(&plain).map_err(|_| Unusable::Malformed(platform.title()))?;
            Ok(Box::new(grubhub::Grubhub {
                http: rt.http.clone(),
                base_url: state.config.grubhub_base_url.clone(),
                store_id: row.store_id.clone(),
                credentials,
                throttle: rt.throttle(row.id, rate),
            }))
        }
        Platform::Square => {
            let credentials: square::Credentials =
                serde_json::from_slice(&plain).map_err(|_| Unusable::Malformed(platform.title()))?;
            Ok(Box::new(square::Square {
                http: rt.http.clone(),
                base_url: state.config.square_base_url.clone(),
                store_id: row.store_id.clone(),
                credentials,
                throttle: rt.throttle(row.id, rate),
                notification_url: webhook_url(state, row),
                catalog: square::catalog_map(&row.config.0),
            }))
        }
        Platform::Stripe => stripe::adapter(state, row),
        Platform::Twilio => twilio::adapter(state, row),
    }
}

/// The credential fields each platform needs; each must be a non-empty string.
fn credential_fields(p: Platform) -> &'static [&'static str] {
    match p {
        Platform::Ubereats => &["client_id", "client_secret"],
        Platform::Doordash => &["developer_id", "key_id", "signing_secret", "webhook_token"],
        Platform::Grubhub => &["client_id", "secret_key", "partner_key", "webhook_token"],
        Platform::Square => &["access_token", "signature_key"],
        Platform::Stripe => &["secret_key", "webhook_secret"],
        Platform::Twilio => &["account_sid", "auth_token"],
    }
}

/// Checks credentials against the platform's fields; returns them as JSON to seal and the
/// hints that may be shown: the last four characters of ids, "set" for secrets.
fn parse_credentials(p: Platform, given: &Map<String, Value>) -> Result<(Vec<u8>, Value), ApiError> {
    let fields = credential_fields(p);
    if let Some(unknown) = given.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(ApiError::validation(
            format!("credentials.{unknown}"),
            format!("{} takes {}", p.title(), fields.join(" and ")),
        ));
    }
    let mut clean = Map::new();
    let mut hints = Map::new();
    for f in fields {
        let v = given.get(*f).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty());
        let v = v.ok_or_else(|| ApiError::validation(format!("credentials.{f}"), "required"))?;
        if v.len() > 4096 {
            return Err(ApiError::validation(format!("credentials.{f}"), "at most 4096 characters"));
        }
        clean.insert((*f).to_owned(), json!(v));
        let hint = if f.contains("secret") || f.contains("token") || f.ends_with("_key") {
            "set".to_owned()
        } else {
            let tail: String = v.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            format!("…{tail}")
        };
        hints.insert((*f).to_owned(), json!(hint));
    }
    let plain = serde_json::to_vec(&clean).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((plain, Value::Object(hints)))
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntegrationConfig {
    /// Calls per second Brigade makes to the platform for this store (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0.1, maximum = 100.0)]
    pub rate_per_sec: Option<f64>,
    /// When the periodic check finds the platform showing something else, push Brigade's
    /// state back (default true). Off: drift is only reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_drift: Option<bool>,
    /// A Twilio line: the restaurant's own number (E.164) calls are put through to when
    /// a caller asks for a person or the agent cannot help.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::schema::Phone>)]
    pub forward_to: Option<String>,
    /// A Twilio line: said before the agent's greeting (up to 300 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 300)]
    pub greeting: Option<String>,
    /// A Twilio line: the most units of one item taken by phone (default 20); more goes
    /// to a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1000)]
    pub max_quantity: Option<u32>,
    /// A Twilio line: ask the caller's name for the order (default false: their number
    /// identifies it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_name: Option<bool>,
    /// A Twilio line: callers may ask for delivery (default false: phone orders are for
    /// pickup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<bool>,
    /// A Twilio line that delivers: where (postal codes, neighbourhoods, towns, up to 50);
    /// a caller's address must name one. Empty: anywhere the caller says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 50, value_type = Option<Vec<crate::schema::Name>>)]
    pub delivery_areas: Option<Vec<String>>,
}

impl IntegrationConfig {
    /// Checks the config, and writes a number to hand calls to in E.164.
    fn check(&mut self) -> Result<(), ApiError> {
        if let Some(r) = self.rate_per_sec {
            if !(0.1..=100.0).contains(&r) {
                return Err(ApiError::validation("config.rate_per_sec", "from 0.1 to 100 calls per second"));
            }
        }
        if let Some(n) = &mut self.forward_to {
            match brigade_domain::customer::normalise_phone(n, None) {
                Ok(e164) if n.trim().starts_with('+') => *n = e164,
                _ => {
                    return Err(ApiError::validation("config.forward_to", "give the number in international form, +1…"))
                }
            }
        }
        brigade_domain::caps::bounded_text("config.greeting", self.greeting.as_deref(), 300)?;
        if self.max_quantity.is_some_and(|n| !(1..=1000).contains(&n)) {
            return Err(ApiError::validation("config.max_quantity", "from 1 to 1000"));
        }
        if let Some(areas) = &self.delivery_areas {
            if areas.len() > 50 {
                return Err(ApiError::validation("config.delivery_areas", "at most 50 areas"));
            }
            for (i, a) in areas.iter().enumerate() {
                brigade_domain::credentials::parse_name("area", a)
                    .map_err(|e| ApiError::validation(format!("config.delivery_areas[{i}]"), e.message))?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    pub id: Uuid,
    pub platform: String,
    pub name: String,
    pub store_id: String,
    pub config: Value,
    /// What may be shown of the credentials: the end of ids, "set" for secrets.
    pub credentials: Value,
    /// `active`, `degraded` (a change could not be delivered; see the tasks), `error`
    /// (the platform refused us), `paused`.
    pub status: String,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub error_count: i32,
    /// The last drift check's findings: items the platform shows differently.
    pub drift: Option<Value>,
    pub drift_checked_at: Option<DateTime<Utc>>,
    /// Give this address to the platform for its webhooks (orders, payments).
    pub webhook_url: String,
    /// Webhooks refused at that address (unsigned, forged, unreadable); the log keeps the
    /// last few of them.
    pub webhooks_refused: i64,
    pub last_refused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The address a platform sends this integration's webhooks to.
pub(crate) fn webhook_url(state: &AppState, r: &IntegrationRow) -> String {
    format!("{}/v1/hooks/{}/{}", state.config.public_base_url.trim_end_matches('/'), r.platform, r.id)
}

fn view(state: &AppState, r: IntegrationRow) -> IntegrationView {
    let webhook_url = webhook_url(state, &r);
    IntegrationView {
        webhook_url,
        id: r.id,
        platform: r.platform,
        name: r.name,
        store_id: r.store_id,
        config: r.config.0,
        credentials: r.credential_hints.0,
        status: r.status,
        last_sync_at: r.last_sync_at,
        last_success_at: r.last_success_at,
        last_error: r.last_error,
        error_count: r.error_count,
        drift: r.drift.map(|d| d.0),
        drift_checked_at: r.drift_checked_at,
        webhooks_refused: r.webhooks_refused,
        last_refused_at: r.last_refused_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewIntegration {
    /// `ubereats`, `doordash`, `grubhub`, `square` or `stripe`.
    #[schema(value_type = schema::PlatformName)]
    pub platform: String,
    /// The restaurant's store id on the platform.
    #[schema(value_type = schema::StoreId)]
    pub store_id: String,
    /// Defaults to the platform's name.
    #[schema(value_type = Option<schema::Name>)]
    pub name: Option<String>,
    /// Uber Eats: `{"client_id", "client_secret"}`; DoorDash: `{"developer_id", "key_id",
    /// "signing_secret", "webhook_token"}`; Grubhub: `{"client_id", "secret_key",
    /// "partner_key", "webhook_token"}` (the store id is the merchant id); Square: `{"access_token", "signature_key"}` (the
    /// store id is the location id); Stripe: `{"secret_key", "webhook_secret"}`.
    /// Stored encrypted; never shown again.
    #[schema(value_type = Object)]
    pub credentials: Map<String, Value>,
    #[serde(default)]
    pub config: IntegrationConfig,
}

fn parse_store_id(s: &str) -> Result<String, ApiError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 200 || s.chars().any(char::is_control) {
        return Err(ApiError::validation("store_id", "the store's id on the platform: 1 to 200 characters"));
    }
    Ok(s.to_owned())
}

fn store_taken() -> ApiError {
    ApiError::conflict(
        crate::error::ErrorCode::StoreConnected,
        "that store of that platform is already connected to a restaurant",
    )
}

/// Connects a platform. Its menu is uploaded to the platform at once (a sync job), and
/// from then on every 86 and menu change follows.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/integrations", tag = "integrations", params(("rid" = Uuid, Path)),
    request_body = NewIntegration,
    responses((status = 201, body = IntegrationView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn create_integration(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<NewIntegration>,
) -> ApiResult<(StatusCode, axum::Json<IntegrationView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::connect(&actor, &state, body).await?)))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/integrations", tag = "integrations", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Vec<IntegrationView>), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_integrations(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Vec<IntegrationView>>> {
    Ok(axum::Json(service::integrations(&actor, &state).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/integrations/{id}", tag = "integrations",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = IntegrationView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_integration(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<IntegrationView>> {
    Ok(axum::Json(service::get(&actor, &state, ids.1).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct IntegrationChange {
    #[schema(value_type = Option<schema::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<schema::StoreId>)]
    pub store_id: Option<String>,
    /// New credentials replace the old ones whole.
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<Map<String, Value>>,
    pub config: Option<IntegrationConfig>,
    /// `paused` stops pushes; `active` resumes them (and resyncs the menu).
    #[schema(value_type = Option<schema::PauseOrResume>)]
    pub status: Option<String>,
}

/// Changes an integration. New credentials or a new store resync the whole menu, as does
/// resuming a paused integration.
#[utoipa::path(patch, path = "/v1/restaurants/{rid}/integrations/{id}", tag = "integrations",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = IntegrationChange,
    responses((status = 200, body = IntegrationView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_integration(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<IntegrationChange>,
) -> ApiResult<axum::Json<IntegrationView>> {
    Ok(axum::Json(service::update(&actor, &state, ids.1, body).await?))
}

/// Disconnects a platform: its credentials are gone and its waiting jobs cancelled. The
/// platform keeps showing the menu as it last was.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/integrations/{id}", tag = "integrations",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_integration(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::disconnect(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TestResult {
    pub ok: bool,
    /// What the platform answered, in words.
    pub message: String,
    pub integration: IntegrationView,
}

/// Checks the connection for real: signs in to the platform with the stored credentials
/// and reads the store. A refusal is reported (`ok: false`) and marks the integration
/// `error`; success clears that.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/integrations/{id}/test", tag = "integrations",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = TestResult), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn test_integration(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<TestResult>> {
    Ok(axum::Json(service::test(&actor, &state, ids.1).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct StoreInput {
    /// false pauses the store on the platform (it takes no orders); true opens it again.
    pub open: bool,
    /// Why, for the platform's records.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StoreResult {
    pub open: bool,
    pub message: String,
}

/// Pauses the restaurant's store on a delivery platform, or opens it again: a kitchen
/// in the weeds stops taking delivery orders at once. 502 when the platform refuses or
/// cannot be reached (nothing changed there).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/integrations/{id}/store", tag = "integrations",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = StoreInput,
    responses((status = 200, body = StoreResult), (status = 403), (status = 404), (status = 409), (status = 502)),
    security(("bearer" = [])))]
async fn set_store(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<StoreInput>,
) -> ApiResult<axum::Json<StoreResult>> {
    Ok(axum::Json(service::set_store(&actor, &state, ids.1, body).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    /// Items sold there (Square item variations) read.
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub categories_created: usize,
}

/// Brings a POS's menu into Brigade's (Square's catalog): one Brigade item per Square item
/// variation, in categories matched by name. Importing again updates what was imported
/// (names, texts, prices) and adds what is new; 86s, modifiers and channel prices set in
/// Brigade stay. Orders from the POS then map onto these items.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/integrations/{id}/import", tag = "integrations",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ImportResult), (status = 403), (status = 404), (status = 409), (status = 422),
              (status = 502, description = "the platform refused or could not be reached")),
    security(("bearer" = [])))]
async fn import_menu(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ImportResult>> {
    Ok(axum::Json(service::import_menu(&actor, &state, ids.1).await?))
}
