//! One WebSocket connection: `GET /v1/ws`.
//!
//! Client → server: `{"op":"auth","token"}`, `{"op":"subscribe","channel","since"?,"key"?}`,
//! `{"op":"unsubscribe","channel"}`, `{"op":"ping"}`. Server → client:
//! `{"op":"event","channel","offset","event":{…}}`, `{"op":"subscribed","channel","offset"}`,
//! `{"op":"error","code","message"}`, `{"op":"pong"}`.
//!
//! Each connection has a bounded queue to its socket; a client too slow to drain it is
//! disconnected (it reconnects with its last offset and loses nothing), so it never slows
//! anyone else. The server pings every 20 s and drops a connection silent for 60 s. An
//! access token is good until it expires; send a fresh one with `auth` to stay connected.
//!
//! A connection lasts only as long as what let it in: when the log says its API key was
//! revoked, its session ended (sign-out, a reused refresh token, a new password), or its
//! person was removed, deactivated or given another role, the connection checks again
//! and, if it no longer holds, says why and closes. Every node reads the same log, so
//! this holds on every node.

use super::channels::{self, Channel, Shown, Viewer};
use super::{HubEvent, PresenceEntry};
use crate::auth::{authenticate_access_token, authenticate_api_key, Caller, Principal};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use brigade_store::events;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

const OUT_QUEUE: usize = 1024;
const PING_EVERY: Duration = Duration::from_secs(20);
const SILENCE_LIMIT: Duration = Duration::from_secs(60);
/// Catch-up larger than this asks the client to reload instead.
const CATCH_UP_LIMIT: i64 = 10_000;

#[derive(Deserialize)]
pub struct WsParams {
    token: Option<String>,
}

pub async fn upgrade(State(state): State<AppState>, Query(q): Query<WsParams>, ws: WebSocketUpgrade) -> Response {
    // Small buffers: tungstenite zero-fills its read buffer on every read attempt, and a
    // connection is polled on every event it might get; 128 KiB defaults cost more in
    // memset than everything else put together with a thousand subscribers.
    ws.max_message_size(64 * 1024).read_buffer_size(4 * 1024).on_upgrade(move |socket| run(state, socket, q.token))
}

#[derive(Deserialize)]
struct ClientMessage {
    op: String,
    token: Option<String>,
    channel: Option<String>,
    since: Option<i64>,
    key: Option<String>,
}

struct Sub {
    channel: Channel,
    /// Who reads it, which decides how much of each event they get.
    viewer: Viewer,
    /// The guest key it was joined with, to check it again.
    key: Option<String>,
    /// The last offset sent on this channel.
    cursor: i64,
}

struct Conn {
    state: AppState,
    id: u64,
    principal: Option<Principal>,
    /// When the access token (or API key) this connection signed in with runs out.
    expires_at: Option<i64>,
    /// The user's token version the access token carried.
    token_version: i64,
    /// Set when an event may have taken this connection's access away.
    recheck: bool,
    /// Set when the connection must close (access taken away).
    closing: bool,
    subs: HashMap<String, Sub>,
    out: mpsc::Sender<Message>,
    /// Set when the client could not keep up and must be dropped.
    overflowed: bool,
}

async fn run(state: AppState, socket: WebSocket, token: Option<String>) {
    let hub = state.hub.clone();
    hub.connections.fetch_add(1, Ordering::Relaxed);
    let mut live = hub.subscribe();
    let (mut sink, mut stream) = socket.split();
    let (out, mut queue) = mpsc::channel::<Message>(OUT_QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(m) = queue.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut conn = Conn {
        id: hub.connection_id(),
        state,
        principal: None,
        expires_at: None,
        token_version: 0,
        recheck: false,
        closing: false,
        subs: HashMap::new(),
        out,
        overflowed: false,
    };
    if let Some(t) = token {
        if let Err(e) = conn.authenticate(&t).await {
            conn.error_from(&e);
            conn.finish(writer).await;
            return;
        }
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut last_heard = Instant::now();
    let mut closing = hub.closing();
    loop {
        tokio::select! {
            _ = closing.changed() => {
                conn.push(Message::Close(Some(axum::extract::ws::CloseFrame { code: 1012, reason: Utf8Bytes::from_static("server restarting") })));
                break;
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    last_heard = Instant::now();
                    conn.handle(&text).await;
                }
                Some(Ok(Message::Binary(_))) => conn.error("unsupported", "send JSON text frames"),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => last_heard = Instant::now(),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
            event = live.recv() => match event {
                Ok(e) => {
                    conn.deliver(&e);
                    if conn.recheck {
                        conn.revalidate().await;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(connection = conn.id, missed, "realtime: connection lagged; catching up from the log");
                    conn.resync().await;
                }
                Err(RecvError::Closed) => break,
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    break;
                }
                if conn.expires_at.is_some_and(|exp| conn.state.clock.now().timestamp() >= exp) {
                    conn.error("token_expired", "the access token expired; reconnect with a fresh one and your last offset");
                    break;
                }
                conn.push(Message::Ping(Default::default()));
            }
        }
        if conn.overflowed {
            tracing::info!(connection = conn.id, "realtime: dropping a client too slow to keep up");
            writer.abort();
            break;
        }
        if conn.closing {
            break;
        }
    }
    conn.finish(writer).await;
}

impl Conn {
    async fn finish(mut self, writer: tokio::task::JoinHandle<()>) {
        for name in self.subs.keys() {
            self.state.hub.leave(name, self.id);
        }
        self.subs.clear();
        self.state.hub.connections.fetch_sub(1, Ordering::Relaxed);
        drop(self.out);
        let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    }

    fn push(&mut self, m: Message) {
        if self.out.try_send(m).is_err() {
            self.overflowed = true;
        }
    }

    fn send_json(&mut self, v: serde_json::Value) {
        self.push(Message::Text(Utf8Bytes::from(v.to_string())));
    }

    fn error(&mut self, code: &str, message: &str) {
        self.send_json(json!({ "op": "error", "code": code, "message": message }));
    }

    fn error_from(&mut self, e: &ApiError) {
        let (code, message) = match e {
            ApiError::Unauthorized { code, message } | ApiError::Forbidden { code, message } => {
                (code.as_str(), message.clone())
            }
            ApiError::NotFound { message } => ("not_found", message.clone()),
            ApiError::RateLimited { .. } => ("rate_limited", "slow down".into()),
            ApiError::Internal { .. } => ("internal", "something went wrong on our side".into()),
            other => ("invalid", format!("{other:?}")),
        };
        self.send_json(json!({ "op": "error", "code": code, "message": message }));
    }

    async fn authenticate(&mut self, token: &str) -> Result<(), ApiError> {
        let (Caller(principal), exp, version) = if token.starts_with("bk_") {
            let caller = authenticate_api_key(&self.state, token).await?;
            let exp = match &caller.0 {
                Principal::ApiKey { expires_at, .. } => expires_at.map(|t| t.timestamp()),
                Principal::User { .. } => None,
            };
            (caller, exp, 0)
        } else {
            let (caller, claims) = authenticate_access_token(&self.state, token).await?;
            (caller, Some(claims.exp), claims.ver)
        };
        self.principal = Some(principal);
        self.expires_at = exp;
        self.token_version = version;
        Ok(())
    }

    /// Whether an event may have taken this connection's access away.
    fn concerns_access(&self, e: &HubEvent) -> bool {
        match &self.principal {
            Some(Principal::ApiKey { key_id, .. }) => e.kind == "api_key.revoked" && e.entity_id == Some(*key_id),
            Some(Principal::User { user_id, .. }) => {
                e.entity_id == Some(user_id.0)
                    && (e.kind.starts_with("user.") || e.kind.starts_with("auth."))
                    && !e.kind.starts_with("auth.login")
            }
            None => false,
        }
    }

    /// Checks again that the connection's principal is live and still may read each of
    /// its channels (updating what it may see of them); closes it if not.
    async fn revalidate(&mut self) {
        self.recheck = false;
        let still = match self.principal.clone() {
            Some(p) => self.principal_live(&p).await,
            None => Ok(true),
        };
        let reason = match still {
            // As below: a stopping server's closed database says nothing of access.
            Ok(true) => self.reauthorize().await.filter(|r| !(*r == "internal" && self.state.hub.is_closing())),
            Ok(false) => Some("access_revoked"),
            // A server that is stopping closes its database under the sockets it is
            // closing: that is no news of anyone's access, and the close says it all.
            Err(_) if self.state.hub.is_closing() => None,
            Err(err) => {
                tracing::warn!(error = %err, "realtime: rechecking access failed");
                Some("internal")
            }
        };
        if let Some(code) = reason {
            let message = match code {
                "internal" => "the server could not check your access just now; reconnect",
                _ => "your access changed (revoked, signed out, removed or a new role); sign in and reconnect",
            };
            self.error(code, message);
            self.push(Message::Close(Some(axum::extract::ws::CloseFrame {
                code: 1008,
                reason: Utf8Bytes::from_static("access revoked"),
            })));
            self.closing = true;
        }
    }

    async fn principal_live(&self, p: &Principal) -> Result<bool, ApiError> {
        let now = self.state.clock.now();
        match p {
            Principal::User { user_id, session_id, .. } => {
                let live = brigade_store::sessions::liveness(&self.state.db, user_id.0, session_id.0).await?;
                Ok(live.is_some_and(|l| l.is_active && l.revoked_at.is_none() && l.token_version == self.token_version))
            }
            Principal::ApiKey { key_id, restaurant_id, .. } => {
                let key = brigade_store::api_keys::get(&self.state.db, restaurant_id.0, *key_id).await?;
                Ok(key.is_some_and(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|t| t > now)))
            }
        }
    }

    /// Re-runs each member channel's check; `Some(code)` when one no longer holds.
    async fn reauthorize(&mut self) -> Option<&'static str> {
        let names: Vec<String> = self.subs.keys().cloned().collect();
        for name in names {
            let Some(sub) = self.subs.get(&name) else { continue };
            if !matches!(sub.viewer, Viewer::Member(_)) {
                continue;
            }
            let key = sub.key.clone();
            let Some(parsed) = channels::parse(&name) else { continue };
            match channels::authorize(&self.state, self.principal.as_ref(), parsed, key.as_deref()).await {
                Ok((_, viewer)) => {
                    if let Some(sub) = self.subs.get_mut(&name) {
                        sub.viewer = viewer;
                    }
                }
                Err(ApiError::Internal { .. }) => return Some("internal"),
                Err(_) => return Some("access_revoked"),
            }
        }
        None
    }

    async fn handle(&mut self, text: &str) {
        let msg: ClientMessage = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(_) => return self.error("malformed", "send a JSON object with an \"op\""),
        };
        match msg.op.as_str() {
            "ping" => self.send_json(json!({ "op": "pong" })),
            "auth" => match msg.token.as_deref() {
                Some(t) => match self.authenticate(t).await {
                    Ok(()) => self.send_json(json!({ "op": "authenticated" })),
                    Err(e) => self.error_from(&e),
                },
                None => self.error("invalid", "auth needs a token"),
            },
            "subscribe" => match msg.channel {
                Some(name) => self.subscribe(name, msg.since, msg.key.as_deref()).await,
                None => self.error("invalid", "subscribe needs a channel"),
            },
            "unsubscribe" => match msg.channel {
                Some(name) => {
                    if self.subs.remove(&name).is_some() {
                        self.state.hub.leave(&name, self.id);
                    }
                    self.send_json(json!({ "op": "unsubscribed", "channel": name }));
                }
                None => self.error("invalid", "unsubscribe needs a channel"),
            },
            other => {
                self.error("unknown_op", &format!("'{other}' is not an op; use auth, subscribe, unsubscribe or ping"))
            }
        }
    }

    async fn subscribe(&mut self, name: String, since: Option<i64>, key: Option<&str>) {
        let Some(parsed) = channels::parse(&name) else {
            return self.error(
                "invalid_channel",
                "channels are restaurant:{id}, kds:{id}:{station|all}, order:{id}, job:{id}, menu:{id}",
            );
        };
        let (channel, viewer) = match channels::authorize(&self.state, self.principal.as_ref(), parsed, key).await {
            Ok(c) => c,
            Err(e) => {
                self.send_json(
                    json!({ "op": "error", "channel": name, "code": error_code(&e), "message": error_message(&e) }),
                );
                return;
            }
        };
        let high = self.state.hub.high_water().await;
        self.send_json(json!({ "op": "subscribed", "channel": name, "offset": high }));
        let user_id = match &self.principal {
            Some(Principal::User { user_id, .. }) => Some(user_id.0),
            _ => None,
        };
        self.state.hub.join(&name, PresenceEntry { connection: self.id, user_id, since: self.state.clock.now() });
        let mut sub = Sub { channel, viewer, key: key.map(str::to_owned), cursor: high };
        if let Some(from) = since.filter(|s| *s < high) {
            sub.cursor = from;
            self.catch_up(&name, &mut sub, high).await;
        }
        self.subs.insert(name, sub);
    }

    /// Sends a channel's events with `cursor < id <= upto` from the log.
    async fn catch_up(&mut self, name: &str, sub: &mut Sub, upto: i64) {
        let Some(rid) = sub.channel.restaurant() else {
            sub.cursor = upto;
            return;
        };
        match events::between(&self.state.db, rid, sub.cursor, upto, CATCH_UP_LIMIT).await {
            Ok(rows) if rows.len() as i64 >= CATCH_UP_LIMIT => {
                self.send_json(json!({ "op": "error", "channel": name, "code": "resync_required",
                    "message": "too far behind to catch up; reload the current state, then subscribe without since" }));
                sub.cursor = upto;
            }
            Ok(rows) => {
                for row in rows {
                    let e = HubEvent::from(row);
                    if let Some(m) = sub.message(name, &e) {
                        self.push(m);
                    }
                }
                sub.cursor = upto;
            }
            Err(err) => {
                tracing::warn!(error = %err, "realtime: catch-up read failed");
                self.error("internal", "catching up failed; reconnect with your last offset");
                self.overflowed = true;
            }
        }
    }

    fn deliver(&mut self, e: &Arc<HubEvent>) {
        if self.concerns_access(e) {
            self.recheck = true;
        }
        let mut out = Vec::new();
        for (name, sub) in self.subs.iter_mut() {
            if e.id > sub.cursor {
                out.extend(sub.message(name, e));
                sub.cursor = e.id;
            }
        }
        for m in out {
            self.push(m);
        }
    }

    async fn resync(&mut self) {
        let high = self.state.hub.high_water().await;
        let names: Vec<String> = self.subs.keys().cloned().collect();
        for name in names {
            if let Some(mut sub) = self.subs.remove(&name) {
                self.catch_up(&name, &mut sub, high).await;
                self.subs.insert(name, sub);
            }
        }
    }
}

impl Sub {
    /// The message this subscriber gets for an event, if any: only events of its channel,
    /// and of those only as much as its viewer may read.
    fn message(&self, name: &str, e: &HubEvent) -> Option<Message> {
        if !self.channel.matches(e) {
            return None;
        }
        match self.viewer.sees(e) {
            Shown::Full => Some(envelope(name, e, false)),
            Shown::Redacted => Some(envelope(name, e, true)),
            Shown::Withheld => None,
        }
    }
}

fn envelope(channel: &str, e: &HubEvent, redacted: bool) -> Message {
    let channel = serde_json::to_string(channel).unwrap_or_else(|_| "\"\"".into());
    let body: std::borrow::Cow<str> = if redacted {
        json!({ "type": e.kind, "entity": e.entity, "entity_id": e.entity_id, "redacted": true }).to_string().into()
    } else {
        e.json.as_str().into()
    };
    Message::Text(Utf8Bytes::from(format!(r#"{{"op":"event","channel":{channel},"offset":{},"event":{body}}}"#, e.id)))
}

fn error_code(e: &ApiError) -> &'static str {
    match e {
        ApiError::Unauthorized { code, .. } | ApiError::Forbidden { code, .. } => code.as_str(),
        ApiError::NotFound { .. } => "not_found",
        _ => "internal",
    }
}

fn error_message(e: &ApiError) -> String {
    match e {
        ApiError::Unauthorized { message, .. }
        | ApiError::Forbidden { message, .. }
        | ApiError::NotFound { message } => message.clone(),
        _ => "something went wrong on our side".into(),
    }
}

pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(presence))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ChannelPresence {
    pub channel: String,
    pub connections: Vec<PresenceEntry>,
}

/// Which screens are connected to this restaurant's channels on this node (a KDS shows
/// up as `kds:{rid}:{station}`).
#[utoipa::path(get, path = "/v1/restaurants/{rid}/realtime/presence", tag = "realtime", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Vec<ChannelPresence>), (status = 404)), security(("bearer" = [])))]
async fn presence(
    State(state): State<AppState>,
    actor: crate::actor::Actor,
) -> Result<axum::Json<Vec<ChannelPresence>>, ApiError> {
    Ok(axum::Json(connected(&actor, &state)?))
}

/// Which screens are connected to the restaurant's channels on this node. Guests' order
/// channels are theirs, and not listed.
pub fn connected(actor: &crate::actor::Actor, state: &AppState) -> Result<Vec<ChannelPresence>, ApiError> {
    actor.require(brigade_domain::auth::Permission::RestaurantRead)?;
    let rid = actor.rid();
    let list = state.hub.presence(&[format!("restaurant:{rid}"), format!("kds:{rid}:")]);
    Ok(list.into_iter().map(|(channel, connections)| ChannelPresence { channel, connections }).collect())
}
