//! The one error type of the HTTP layer.
//!
//! Every failure a handler can meet becomes an `ApiError`, which maps to a status and a
//! stable snake_case `code` in the body shape API.md fixes:
//! `{"error": {"code", "message", "details"}}`. Client mistakes say what to do; internal
//! failures are logged with where they happened and shown to the client only as a
//! request id to quote.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use brigade_domain::Invalid;
use serde_json::{json, Value};
use std::panic::Location;

/// Every code an error response may carry, stable across releases: clients branch on it.
/// The OpenAPI document lists them (`ErrorDetail.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    AccountExists,
    AlreadyClockedIn,
    AlreadyMember,
    AlreadyPaid,
    AlreadyRated,
    ApiKeyExpired,
    ApiKeyRevoked,
    ApprovalRequired,
    BadRequest,
    CannotDeactivateSelf,
    CategoryNotEmpty,
    CheckHasPayments,
    CheckSplit,
    Conflict,
    CrossSite,
    Csrf,
    Duplicate,
    Forbidden,
    IdempotencyInProgress,
    InRecipes,
    IntegrationPaused,
    IntegrationUnusable,
    Internal,
    InvalidApiKey,
    InvalidCredentials,
    InvalidIdempotencyKey,
    InvalidRefreshToken,
    InvalidToken,
    InvalidTransition,
    ItemUnavailable,
    OptionUnavailable,
    OrderNotComplete,
    ChannelPaused,
    Closed,
    LastOwner,
    MalformedJson,
    MalformedQuery,
    MethodNotAllowed,
    NameTaken,
    NotClockedIn,
    NoSpeech,
    SpeechUnavailable,
    NotWav,
    NothingToConfirm,
    SessionBusy,
    NotFound,
    NotImportable,
    NotOnBreak,
    NotYourPassword,
    OnBreak,
    OrderClosed,
    PayloadTooLarge,
    PaymentInProgress,
    PaymentProvider,
    PaymentsUnavailable,
    MailUnavailable,
    PinAmbiguous,
    PhoneTaken,
    PinSession,
    PlatformRefused,
    PromoInvalid,
    RateLimited,
    RefreshTokenReused,
    SignatureInvalid,
    SignupClosed,
    SkuTaken,
    SlugTaken,
    StepsOpen,
    StillOpen,
    StoreConnected,
    TaskCompleted,
    TicketUnchanged,
    Timeout,
    TokenExpired,
    TokenRevoked,
    TryAgain,
    Unauthenticated,
    UnreadableBody,
    UnsupportedMediaType,
    UserOnly,
    ValidationFailed,
    WeekNotEmpty,
    WrongAccount,
}

impl ErrorCode {
    /// The code as it appears in the body.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AccountExists => "account_exists",
            ErrorCode::PromoInvalid => "promo_invalid",
            ErrorCode::AlreadyClockedIn => "already_clocked_in",
            ErrorCode::AlreadyMember => "already_member",
            ErrorCode::AlreadyPaid => "already_paid",
            ErrorCode::AlreadyRated => "already_rated",
            ErrorCode::ApiKeyExpired => "api_key_expired",
            ErrorCode::ApiKeyRevoked => "api_key_revoked",
            ErrorCode::ApprovalRequired => "approval_required",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::CheckHasPayments => "check_has_payments",
            ErrorCode::CheckSplit => "check_split",
            ErrorCode::CannotDeactivateSelf => "cannot_deactivate_self",
            ErrorCode::CategoryNotEmpty => "category_not_empty",
            ErrorCode::Conflict => "conflict",
            ErrorCode::CrossSite => "cross_site",
            ErrorCode::Csrf => "csrf",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::IdempotencyInProgress => "idempotency_in_progress",
            ErrorCode::InRecipes => "in_recipes",
            ErrorCode::IntegrationPaused => "integration_paused",
            ErrorCode::IntegrationUnusable => "integration_unusable",
            ErrorCode::Internal => "internal",
            ErrorCode::InvalidApiKey => "invalid_api_key",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidIdempotencyKey => "invalid_idempotency_key",
            ErrorCode::InvalidRefreshToken => "invalid_refresh_token",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::ItemUnavailable => "item_unavailable",
            ErrorCode::OptionUnavailable => "option_unavailable",
            ErrorCode::OrderNotComplete => "order_not_complete",
            ErrorCode::ChannelPaused => "channel_paused",
            ErrorCode::Closed => "closed",
            ErrorCode::LastOwner => "last_owner",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::MalformedQuery => "malformed_query",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::NameTaken => "name_taken",
            ErrorCode::NotClockedIn => "not_clocked_in",
            ErrorCode::NoSpeech => "no_speech",
            ErrorCode::SpeechUnavailable => "speech_unavailable",
            ErrorCode::NotWav => "not_wav",
            ErrorCode::NothingToConfirm => "nothing_to_confirm",
            ErrorCode::SessionBusy => "session_busy",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NotImportable => "not_importable",
            ErrorCode::NotOnBreak => "not_on_break",
            ErrorCode::NotYourPassword => "not_your_password",
            ErrorCode::OnBreak => "on_break",
            ErrorCode::OrderClosed => "order_closed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::PaymentProvider => "payment_provider",
            ErrorCode::PaymentInProgress => "payment_in_progress",
            ErrorCode::PaymentsUnavailable => "payments_unavailable",
            ErrorCode::MailUnavailable => "mail_unavailable",
            ErrorCode::PinAmbiguous => "pin_ambiguous",
            ErrorCode::PhoneTaken => "phone_taken",
            ErrorCode::PinSession => "pin_session",
            ErrorCode::PlatformRefused => "platform_refused",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::RefreshTokenReused => "refresh_token_reused",
            ErrorCode::SignatureInvalid => "signature_invalid",
            ErrorCode::SignupClosed => "signup_closed",
            ErrorCode::SkuTaken => "sku_taken",
            ErrorCode::SlugTaken => "slug_taken",
            ErrorCode::StepsOpen => "steps_open",
            ErrorCode::StillOpen => "still_open",
            ErrorCode::StoreConnected => "store_connected",
            ErrorCode::TaskCompleted => "task_completed",
            ErrorCode::TicketUnchanged => "ticket_unchanged",
            ErrorCode::Timeout => "timeout",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::TokenRevoked => "token_revoked",
            ErrorCode::TryAgain => "try_again",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::UnreadableBody => "unreadable_body",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::UserOnly => "user_only",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::WeekNotEmpty => "week_not_empty",
            ErrorCode::WrongAccount => "wrong_account",
        }
    }
}

#[derive(Debug)]
pub enum ApiError {
    BadRequest {
        code: ErrorCode,
        message: String,
    },
    Unauthorized {
        code: ErrorCode,
        message: String,
    },
    Forbidden {
        code: ErrorCode,
        message: String,
    },
    NotFound {
        message: String,
    },
    Conflict {
        code: ErrorCode,
        message: String,
        details: Value,
    },
    Validation {
        field: String,
        message: String,
    },
    /// Well formed, but the rules refuse it for a reason of their own (a promotion code
    /// that does not apply): 422 with its own code and the reason in `details`.
    Refused {
        code: ErrorCode,
        message: String,
        details: Value,
    },
    PayloadTooLarge {
        limit: usize,
    },
    /// The body is not declared `application/json` where only JSON is taken.
    UnsupportedMediaType,
    RateLimited {
        retry_after_secs: u64,
    },
    /// A partner (a delivery platform, a POS) refused or could not be reached: 502, and
    /// nothing changed here.
    Upstream {
        code: ErrorCode,
        message: String,
    },
    /// A part this server needs for the request is not installed or not configured (a
    /// speech engine): 503, naming what to install.
    Unavailable {
        code: ErrorCode,
        message: String,
    },
    Internal {
        message: String,
        location: &'static Location<'static>,
    },
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn not_found(what: &str) -> ApiError {
        ApiError::NotFound { message: format!("{what} not found") }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::Conflict { code, message: message.into(), details: json!({}) }
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::Forbidden { code: ErrorCode::Forbidden, message: message.into() }
    }

    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::Unauthorized { code, message: message.into() }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Validation { field: field.into(), message: message.into() }
    }

    #[track_caller]
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::Internal { message: message.into(), location: Location::caller() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Validation { .. } | ApiError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The error in words, as its response's message says it (internal details included,
/// for logs: never send this to a client for an internal error).
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::BadRequest { message, .. }
            | ApiError::Unauthorized { message, .. }
            | ApiError::Forbidden { message, .. }
            | ApiError::NotFound { message }
            | ApiError::Conflict { message, .. }
            | ApiError::Refused { message, .. }
            | ApiError::Upstream { message, .. }
            | ApiError::Unavailable { message, .. }
            | ApiError::Internal { message, .. } => f.write_str(message),
            ApiError::Validation { field, message } => write!(f, "{field}: {message}"),
            ApiError::PayloadTooLarge { limit } => write!(f, "the body is larger than {limit} bytes"),
            ApiError::UnsupportedMediaType => f.write_str(JSON_ONLY),
            ApiError::RateLimited { retry_after_secs } => write!(f, "rate limited for {retry_after_secs} s"),
        }
    }
}

/// The body of every error response, for the OpenAPI document.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code: `validation_failed`, `not_found`, `rate_limited`…
    pub code: ErrorCode,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// More, by code: `field` and `reason` for `validation_failed`, `retry_after`…
    #[schema(value_type = Object)]
    pub details: Value,
}

const JSON_ONLY: &str = "send the body as JSON, with Content-Type: application/json";

/// The body of every error response.
pub fn error_body(code: ErrorCode, message: &str, details: Value) -> Value {
    json!({ "error": { "code": code.as_str(), "message": message, "details": details } })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (code, message, details) = match self {
            ApiError::BadRequest { code, message } => (code, message, json!({})),
            ApiError::Unauthorized { code, message } => (code, message, json!({})),
            ApiError::Forbidden { code, message } => (code, message, json!({})),
            ApiError::NotFound { message } => (ErrorCode::NotFound, message, json!({})),
            ApiError::Conflict { code, message, details } | ApiError::Refused { code, message, details } => {
                (code, message, details)
            }
            ApiError::Upstream { code, message } => (code, message, json!({})),
            ApiError::Unavailable { code, message } => (code, message, json!({})),
            ApiError::Validation { field, message } => {
                let text = format!("{field}: {message}");
                (ErrorCode::ValidationFailed, text, json!({ "field": field, "reason": message }))
            }
            ApiError::PayloadTooLarge { limit } => (
                ErrorCode::PayloadTooLarge,
                format!("the body is larger than {limit} bytes"),
                json!({ "limit": limit }),
            ),
            ApiError::UnsupportedMediaType => (ErrorCode::UnsupportedMediaType, JSON_ONLY.to_owned(), json!({})),
            ApiError::RateLimited { retry_after_secs } => {
                let body = error_body(
                    ErrorCode::RateLimited,
                    &format!("too many requests; try again in {retry_after_secs} s"),
                    json!({ "retry_after": retry_after_secs }),
                );
                let mut res = (status, axum::Json(body)).into_response();
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return res;
            }
            ApiError::Internal { message, location } => {
                tracing::error!(error = %message, at = %location, "internal error");
                // The request-id middleware rewrites this body to name the request id.
                let mut res =
                    (status, axum::Json(error_body(ErrorCode::Internal, "internal error", json!({})))).into_response();
                res.extensions_mut().insert(InternalFailure);
                return res;
            }
        };
        (status, axum::Json(error_body(code, &message, details))).into_response()
    }
}

/// Marks a response as an internal failure, for the middleware that adds the request id.
#[derive(Clone, Copy, Debug)]
pub struct InternalFailure;

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::Validation { field: e.field.to_owned(), message: e.message }
    }
}

impl From<sqlx::Error> for ApiError {
    #[track_caller]
    fn from(e: sqlx::Error) -> Self {
        if brigade_store::is_unique_violation(&e) {
            return ApiError::conflict(ErrorCode::Duplicate, "that already exists");
        }
        ApiError::Internal { message: format!("database: {e}"), location: Location::caller() }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    #[track_caller]
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::Internal { message: format!("blocking task: {e}"), location: Location::caller() }
    }
}
