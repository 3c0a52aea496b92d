//! MCP: the assistant's tools for outside AI agents, over the Model Context Protocol's
//! streamable HTTP transport (`POST /v1/mcp`, JSON-RPC 2.0).
//!
//! An API key is the credential: its restaurant is where the tools act, its permissions
//! decide which tools are listed and what they may do, and the audit log records the key.
//! The same confirmation rule as the assistant's holds: a destructive call without
//! `"confirm": true` in its arguments changes nothing and answers what it would do.
//!
//! The server is stateless: every request carries the key, so there is no session to
//! open, lose or share between nodes (no `Mcp-Session-Id`), and no server-to-client
//! stream (GET answers 405). It speaks the initialize handshake of protocol revisions
//! 2024-11-05 to 2025-11-25; `server/discover` (2026-07-28) is not offered, so clients
//! fall back to the handshake. Notifications are taken with 202 and no body.

use crate::actor::Actor;
use crate::assistant::service::call_tool;
use crate::assistant::tools::{self, Outcome};
use crate::auth::{Caller, Principal};
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The revisions this server speaks, oldest first.
pub const VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;

/// Tools only a person can use (their own time clock): not for an API key.
const PEOPLE_ONLY: &[&str] = &["clock_in", "clock_out", "start_break", "end_break"];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(mcp)).route("/v1/mcp", get(no_stream).delete(no_stream))
}

async fn no_stream() -> Response {
    let mut r = (StatusCode::METHOD_NOT_ALLOWED, "this MCP server offers no event stream; POST JSON-RPC messages")
        .into_response();
    r.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    r
}

fn rpc_error(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message.into() } })
}

fn rpc_result(id: Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// The Model Context Protocol (streamable HTTP): one JSON-RPC 2.0 message (or a batch)
/// per request; `initialize`, `ping`, `tools/list`, `tools/call`. Authenticated with an
/// API key: the tools act in its restaurant with its permissions. Notifications answer
/// 202 with no body; protocol errors are JSON-RPC errors in a 200.
#[utoipa::path(post, path = "/v1/mcp", tag = "assistant",
    request_body(content = Object, description = "a JSON-RPC 2.0 request, notification or batch"),
    responses((status = 200, description = "the JSON-RPC response (an array for a batch)", body = serde_json::Value), (status = 202, description = "a notification, taken"),
        (status = 400, description = "an MCP-Protocol-Version this server does not speak"), (status = 401), (status = 403)),
    security(("bearer" = [])))]
async fn mcp(State(state): State<AppState>, request: Request<axum::body::Body>) -> Response {
    let (mut parts, body) = request.into_parts();
    if let Some(r) = check_headers(&parts.headers) {
        return r;
    }
    // The credential: an API key, whose restaurant the tools act in.
    let actor = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(Caller(principal @ Principal::ApiKey { .. })) => {
            let Principal::ApiKey { restaurant_id, .. } = &principal else { unreachable!() };
            let rid = *restaurant_id;
            match Actor::resolve(&state, principal, rid).await {
                Ok(a) => a,
                Err(e) => return e.into_response(),
            }
        }
        Ok(_) => {
            return ApiError::Forbidden {
                code: crate::error::ErrorCode::Forbidden,
                message: "MCP takes an API key (Authorization: Bearer brk_…): its restaurant and permissions decide"
                    .into(),
            }
            .into_response()
        }
        Err(e) => return e.into_response(),
    };
    let bytes: Bytes = match axum::body::to_bytes(body, 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return ApiError::PayloadTooLarge { limit: 1024 * 1024 }.into_response(),
    };
    let message: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return json_response(rpc_error(Value::Null, PARSE_ERROR, format!("not JSON: {e}"))),
    };
    match message {
        Value::Array(batch) if batch.is_empty() => {
            json_response(rpc_error(Value::Null, INVALID_REQUEST, "an empty batch"))
        }
        Value::Array(batch) => {
            // Batches (revision 2025-03-26) are answered as one array, notifications left out.
            let mut out = Vec::new();
            for m in batch.into_iter().take(50) {
                if let Some(r) = handle(&actor, &state, m).await {
                    out.push(r);
                }
            }
            if out.is_empty() {
                StatusCode::ACCEPTED.into_response()
            } else {
                json_response(Value::Array(out))
            }
        }
        m => match handle(&actor, &state, m).await {
            Some(r) => json_response(r),
            None => StatusCode::ACCEPTED.into_response(),
        },
    }
}

/// The transport's own rules: a browser page of another site may not call (DNS
/// rebinding), and a protocol version named must be one this server speaks.
fn check_headers(headers: &HeaderMap) -> Option<Response> {
    if let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        let origin = origin.to_str().unwrap_or_default();
        let host = host.to_str().unwrap_or_default();
        let origin_host = origin.split("://").nth(1).unwrap_or(origin);
        if origin_host != host {
            return Some((StatusCode::FORBIDDEN, "MCP requests from another site's pages are refused").into_response());
        }
    }
    if let Some(v) = headers.get("mcp-protocol-version").and_then(|v| v.to_str().ok()) {
        if !VERSIONS.contains(&v) {
            let body = rpc_error(
                Value::Null,
                INVALID_REQUEST,
                format!("unsupported MCP-Protocol-Version {v}; use one of {}", VERSIONS.join(", ")),
            );
            return Some((StatusCode::BAD_REQUEST, axum::Json(body)).into_response());
        }
    }
    None
}

fn json_response(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

/// One JSON-RPC message: a response, or `None` for a notification (or a response the
/// client sent us, which we never asked for).
async fn handle(actor: &Actor, state: &AppState, m: Value) -> Option<Value> {
    let Some(obj) = m.as_object() else {
        return Some(rpc_error(Value::Null, INVALID_REQUEST, "a JSON-RPC message is an object"));
    };
    let id = obj.get("id").cloned();
    let method = obj.get("method").and_then(Value::as_str);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some(rpc_error(id.unwrap_or(Value::Null), INVALID_REQUEST, "jsonrpc must be \"2.0\""));
    }
    let (Some(id), Some(method)) = (id, method) else {
        // A notification (no id), or a response: nothing to answer.
        return None;
    };
    if !(id.is_string() || id.is_i64() || id.is_u64()) {
        return Some(rpc_error(Value::Null, INVALID_REQUEST, "an id is a string or an integer"));
    }
    let params = obj.get("params").cloned().unwrap_or(json!({}));
    Some(match method {
        "initialize" => {
            let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or_default();
            let version = if VERSIONS.contains(&asked) { asked } else { VERSIONS[VERSIONS.len() - 1] };
            rpc_result(
                id,
                json!({
                    "protocolVersion": version,
                    "capabilities": { "tools": { "listChanged": false } },
                    "serverInfo": { "name": "brigade", "title": "Brigade", "version": env!("CARGO_PKG_VERSION") },
                    "instructions": "Brigade runs one restaurant (this API key's): 86 items and options, report sales, \
                        labour, stock and the kitchen queue, move orders on, add tasks, busy mode. Names may be given \
                        as people say them; a destructive call answers what it would do until called again with \
                        \"confirm\": true.",
                }),
            )
        }
        "ping" => rpc_result(id, json!({})),
        "tools/list" => rpc_result(id, json!({ "tools": listed(actor) })),
        "tools/call" => call(actor, state, id, &params).await,
        other => rpc_error(id, METHOD_NOT_FOUND, format!("no method {other} here")),
    })
}

/// The tools this key may use, as MCP describes them.
fn listed(actor: &Actor) -> Vec<Value> {
    tools::specs()
        .into_iter()
        .filter(|t| !PEOPLE_ONLY.contains(&t.tool))
        .filter(|t| t.permission.parse().is_ok_and(|p| actor.allows(p)))
        .map(|t| {
            let mut schema = t.parameters.clone();
            if t.confirm.is_some() {
                schema["properties"]["confirm"] = json!({
                    "type": "boolean",
                    "description": format!("true to do it; without, the call answers what it would do ({})", t.confirm.unwrap_or_default()),
                });
                if let Some(o) = schema.as_object_mut() {
                    o.remove("additionalProperties");
                }
            }
            let read_only = t.permission.ends_with(":read") || matches!(t.tool, "help" | "list_tasks");
            json!({
                "name": t.tool,
                "title": t.tool.replace('_', " "),
                "description": format!("{} Examples: {}", t.description, t.examples.join("; ")),
                "inputSchema": schema,
                "annotations": { "readOnlyHint": read_only, "destructiveHint": t.confirm.is_some(), "openWorldHint": false },
            })
        })
        .collect()
}

async fn call(actor: &Actor, state: &AppState, id: Value, params: &Value) -> Value {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return rpc_error(id, INVALID_PARAMS, "name the tool to call");
    };
    if PEOPLE_ONLY.contains(&name) || !tools::specs().iter().any(|t| t.tool == name) {
        return rpc_error(id, INVALID_PARAMS, format!("unknown tool: {name}"));
    }
    let mut args = params.get("arguments").cloned().unwrap_or(json!({}));
    if !args.is_object() {
        return rpc_error(id, INVALID_PARAMS, "arguments is an object");
    }
    let confirmed = args.get("confirm").and_then(Value::as_bool).unwrap_or(false);
    if let Some(o) = args.as_object_mut() {
        o.remove("confirm");
    }
    let outcome = match call_tool(actor, state, name, &args, confirmed).await {
        Ok((o, _)) => o,
        Err(e) => {
            tracing::error!(error = ?e, tool = name, "an MCP tool call failed");
            return rpc_error(id, INTERNAL_ERROR, "the call failed; see the server's log");
        }
    };
    let (text, structured, is_error) = match outcome {
        Outcome::Done { reply, result } => (reply, json!({ "status": "done", "result": result }), false),
        Outcome::NeedsConfirmation { reply } => {
            let text = format!(
                "{} (Nothing changed: call again with \"confirm\": true to do it.)",
                reply.trim_end_matches(" Say yes to confirm.")
            );
            (text, json!({ "status": "needs_confirmation" }), false)
        }
        Outcome::Failed { reply } => (reply, json!({ "status": "failed" }), true),
        Outcome::Clarify { question, candidates, .. } => {
            (question, json!({ "status": "clarify", "candidates": candidates }), true)
        }
    };
    rpc_result(
        id,
        json!({ "content": [{ "type": "text", "text": text }], "structuredContent": structured, "isError": is_error }),
    )
}
