//! Realtime: every committed event, to every client that may see it, in order, once.
//!
//! The events table is the source. One tailer per node reads it in id order and
//! broadcasts each event to this node's WebSocket connections; it wakes on every local
//! commit and, on PostgreSQL, on `NOTIFY brigade_events` from other nodes (payloads never
//! ride in the notification, so its size limit and notifications lost in a reconnect
//! cannot lose an event: the table is read again). Nothing is published that did not
//! commit, and a client that reconnects with its last offset is sent what it missed from
//! the table before live events.
//!
//! On PostgreSQL ids are handed out before commit, so a lower id can commit after a
//! higher one. The tailer only moves past a missing id after it has waited `GAP_WAIT` for
//! it (a rolled-back transaction leaves a permanent hole), so it never skips an event
//! that commits late; the highest id it has delivered is the high-water mark that
//! catch-up reads stop at.

pub mod channels;
pub mod ws;

pub use ws::router;

use crate::AppState;
use brigade_store::events::{self, EventRow};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch, Notify};
use uuid::Uuid;

const BROADCAST_CAPACITY: usize = 16_384;
const GAP_WAIT: Duration = Duration::from_millis(1500);
const BATCH: i64 = 1000;

/// One event as clients receive it.
#[derive(Debug)]
pub struct HubEvent {
    pub id: i64,
    pub restaurant_id: Option<Uuid>,
    pub kind: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub data: Value,
    /// The `event` object, serialized once for every subscriber.
    pub json: String,
}

#[derive(Serialize)]
struct EventBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    entity: &'a str,
    entity_id: Option<Uuid>,
    actor: &'a str,
    data: &'a Value,
    at: DateTime<Utc>,
}

impl From<EventRow> for HubEvent {
    fn from(e: EventRow) -> Self {
        let body = EventBody {
            kind: &e.kind,
            entity: &e.entity,
            entity_id: e.entity_id,
            actor: &e.actor,
            data: &e.payload.0,
            at: e.at,
        };
        let json = serde_json::to_string(&body).unwrap_or_else(|_| "{}".into());
        HubEvent {
            id: e.id,
            restaurant_id: e.restaurant_id,
            kind: e.kind,
            entity: e.entity,
            entity_id: e.entity_id,
            data: e.payload.0,
            json,
        }
    }
}

/// Who is connected to what, for "which KDS screens are online".
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PresenceEntry {
    pub connection: u64,
    pub user_id: Option<Uuid>,
    pub since: DateTime<Utc>,
}

pub struct Hub {
    sender: broadcast::Sender<Arc<HubEvent>>,
    /// The highest event id delivered to this node's subscribers.
    high_water: AtomicI64,
    started: Notify,
    remote_commits: Notify,
    next_connection: AtomicU64,
    pub connections: AtomicI64,
    presence: Mutex<HashMap<String, HashMap<u64, PresenceEntry>>>,
    /// Turns true when the server shuts down: connections say goodbye and close.
    closing: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
        Hub {
            sender,
            high_water: AtomicI64::new(-1),
            started: Notify::new(),
            remote_commits: Notify::new(),
            next_connection: AtomicU64::new(1),
            connections: AtomicI64::new(0),
            presence: Mutex::default(),
            closing: watch::channel(false).0,
        }
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<HubEvent>> {
        self.sender.subscribe()
    }

    /// The high-water mark, once the tailer has read where the log stands.
    pub async fn high_water(&self) -> i64 {
        loop {
            let notified = self.started.notified();
            let h = self.high_water.load(Ordering::Acquire);
            if h >= 0 {
                return h;
            }
            notified.await;
        }
    }

    /// Tells every connection to close (the server is stopping).
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    /// Whether the server is stopping (its sockets are being closed).
    pub fn is_closing(&self) -> bool {
        *self.closing.borrow()
    }

    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    pub fn delivered(&self) -> i64 {
        self.high_water.load(Ordering::Relaxed)
    }

    pub fn connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    pub fn join(&self, channel: &str, entry: PresenceEntry) {
        self.presence.lock().entry(channel.to_owned()).or_default().insert(entry.connection, entry);
    }

    pub fn leave(&self, channel: &str, connection: u64) {
        let mut p = self.presence.lock();
        if let Some(conns) = p.get_mut(channel) {
            conns.remove(&connection);
            if conns.is_empty() {
                p.remove(channel);
            }
        }
    }

    /// Channels whose name starts with `prefix`, with who is on them.
    pub fn presence(&self, prefixes: &[String]) -> Vec<(String, Vec<PresenceEntry>)> {
        let p = self.presence.lock();
        let mut out: Vec<(String, Vec<PresenceEntry>)> = p
            .iter()
            .filter(|(c, _)| prefixes.iter().any(|pre| c.starts_with(pre.as_str())))
            .map(|(c, conns)| (c.clone(), conns.values().cloned().collect()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// Reads the events table in order and broadcasts what committed, until `shutdown`.
pub async fn run_tailer(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let hub = &state.hub;
    let mut last = loop {
        match events::max_id(&state.db).await {
            Ok(id) => break id,
            Err(e) => {
                tracing::warn!(error = %e, "realtime: reading the event log failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    };
    hub.high_water.store(last, Ordering::Release);
    hub.started.notify_waiters();
    if state.db.backend() == brigade_store::Backend::Postgres {
        tokio::spawn(listen_postgres(state.clone(), shutdown.clone()));
    }
    let mut gap: Option<(i64, Instant)> = None;
    loop {
        let waiting_on_gap = gap.is_some();
        tokio::select! {
            _ = state.db.committed() => {}
            _ = hub.remote_commits.notified() => {}
            _ = tokio::time::sleep(if waiting_on_gap { Duration::from_millis(5) } else { Duration::from_millis(500) }) => {}
            _ = shutdown.changed() => return,
        }
        loop {
            let rows = match events::after(&state.db, last, BATCH).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "realtime: reading new events failed");
                    break;
                }
            };
            let fetched = rows.len() as i64;
            let mut blocked = false;
            for row in rows {
                if row.id != last + 1 {
                    match gap {
                        Some((missing, since)) if missing == last + 1 && since.elapsed() >= GAP_WAIT => {
                            tracing::debug!(
                                from = last + 1,
                                to = row.id - 1,
                                "realtime: skipping ids that never committed"
                            );
                        }
                        Some((missing, _)) if missing == last + 1 => {
                            blocked = true;
                            break;
                        }
                        _ => {
                            gap = Some((last + 1, Instant::now()));
                            blocked = true;
                            break;
                        }
                    }
                }
                gap = None;
                last = row.id;
                hub.high_water.store(last, Ordering::Release);
                // A menu change made on any node drops this node's cached public menu (the
                // handler that made it already dropped its own node's, for read-your-writes).
                if let (Some(rid), true) = (row.restaurant_id, row.kind.starts_with("menu.")) {
                    state.menu_cache.invalidate(rid);
                }
                // No receivers is fine: nobody is listening.
                let _ = hub.sender.send(Arc::new(HubEvent::from(row)));
            }
            if blocked || fetched < BATCH {
                break;
            }
        }
    }
}

/// Wakes the tailer when another node commits events.
async fn listen_postgres(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        let mut listener = match state.db.listen(events::NOTIFY_CHANNEL).await {
            Ok(Some(l)) => l,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "realtime: LISTEN failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = shutdown.changed() => return,
                }
            }
        };
        loop {
            tokio::select! {
                n = listener.recv() => match n {
                    Ok(_) => state.hub.remote_commits.notify_waiters(),
                    Err(e) => {
                        // Whatever was notified during the reconnect is read from the table.
                        tracing::warn!(error = %e, "realtime: LISTEN connection lost; reconnecting");
                        state.hub.remote_commits.notify_waiters();
                        break;
                    }
                },
                _ = shutdown.changed() => return,
            }
        }
    }
}
