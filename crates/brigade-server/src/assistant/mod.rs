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
pub mod speech;
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
    OpenApiRouter::new()
        .routes(routes!(audio))
        .layer(axum::extract::DefaultBodyLimit::max(speech::MAX_AUDIO_BYTES))
        .routes(routes!(text))
        .routes(routes!(confirm))
        .routes(routes!(commands))
        .routes(routes!(tts))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct AudioParams {
    /// The conversation to continue.
    pub session_id: Option<uuid::Uuid>,
}

/// One turn spoken: a WAV (16-bit PCM, mono or stereo, 8 to 48 kHz, up to 10 MB and 30
/// s), heard offline against the restaurant's own words (or by the configured speech
/// API), then done as a text turn; `transcript` says what was heard. 503 names what to
/// install when no speech engine is here.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/assistant/audio", tag = "assistant",
    params(("rid" = uuid::Uuid, Path), AudioParams),
    request_body(content = Vec<u8>, content_type = "audio/wav"),
    responses((status = 200, body = Turn), (status = 400, description = "not a WAV of that kind"), (status = 404),
        (status = 413), (status = 422, description = "no speech in it"),
        (status = 503, description = "no speech engine installed")),
    security(("bearer" = [])))]
async fn audio(
    State(state): State<AppState>,
    actor: Actor,
    axum::extract::Query(q): axum::extract::Query<AudioParams>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<Turn>> {
    let kind = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let kind = kind.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if !matches!(kind.as_str(), "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave") {
        return Err(crate::error::ApiError::BadRequest {
            code: crate::error::ErrorCode::UnsupportedMediaType,
            message: "send the recording as Content-Type: audio/wav".into(),
        });
    }
    Ok(axum::Json(service::audio(&actor, &state, q.session_id, &body).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct TtsInput {
    #[schema(min_length = 1, max_length = 1000)]
    pub text: String,
}

/// Words spoken, as a WAV (espeak-ng here, or the configured speech API).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/assistant/tts", tag = "assistant", params(("rid" = uuid::Uuid, Path)),
    request_body = TtsInput,
    responses((status = 200, content_type = "audio/wav", body = Vec<u8>), (status = 404), (status = 422),
        (status = 503, description = "no speech engine installed")),
    security(("bearer" = [])))]
async fn tts(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<TtsInput>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    actor.require(brigade_domain::auth::Permission::RestaurantRead)?;
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > service::MAX_TEXT {
        return Err(crate::error::ApiError::validation("text", "1 to 1000 characters"));
    }
    let wav = speech::speak(&state, text).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "audio/wav")], wav).into_response())
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
