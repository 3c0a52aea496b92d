//! The operator assistant: staff say (or type) "86 the salmon", "what's low?", "order 12
//! is ready", and Brigade does it, with their own permissions.
//!
//! - `tools`: the tool registry, one typed wrapper per command over a service function;
//!   the assistant, MCP (`mcp`) and the phone agent all call it.
//! - `service`: a turn of conversation: understanding (the offline engine in
//!   `brigade_domain::language`), confirmation of destructive actions, questions when a
//!   name fits several things, and the record of what was said and done.

pub mod llm;
pub mod service;
pub mod tools;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::AppState;
use axum::extract::State;
use service::{ConfirmInput, Source, TextInput, Turn};
use tools::ToolSpec;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(text)).routes(routes!(confirm)).routes(routes!(commands))
}

/// One turn in words: what was understood, what was done (or waits for a yes), and the
/// reply to say back.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/assistant/text", tag = "assistant", params(("rid" = uuid::Uuid, Path)),
    request_body = TextInput,
    responses((status = 200, body = Turn), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn text(State(state): State<AppState>, actor: Actor, Json(body): Json<TextInput>) -> ApiResult<axum::Json<Turn>> {
    Ok(axum::Json(service::text(&actor, &state, body, Source::Text).await?))
}

/// Confirms (or cancels) the action a session waits on.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/assistant/confirm", tag = "assistant", params(("rid" = uuid::Uuid, Path)),
    request_body = ConfirmInput,
    responses((status = 200, body = Turn), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn confirm(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<ConfirmInput>,
) -> ApiResult<axum::Json<Turn>> {
    Ok(axum::Json(service::confirm(&actor, &state, body).await?))
}

/// Every command the assistant takes: its tool, what it needs and examples.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/assistant/commands", tag = "assistant", params(("rid" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<ToolSpec>), (status = 404)), security(("bearer" = [])))]
async fn commands(State(_state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Vec<ToolSpec>>> {
    actor.require(brigade_domain::auth::Permission::RestaurantRead)?;
    Ok(axum::Json(tools::specs()))
}
