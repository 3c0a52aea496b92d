//! The order writer: group commit for orders.
//!
//! SQLite has one writer, and every statement of a transaction is a round trip to its
//! connection thread; committing each order on its own spends most of the time on those
//! hops and on BEGIN/COMMIT. The writer takes every order waiting in its queue (up to
//! `MAX_BATCH`), writes them all in one transaction and commits once, then answers each
//! request. An order refused by the rules (86'd item, bad modifier) is answered with its
//! error and the others go on; a database failure part-way rolls the batch back and
//! writes each order on its own, so one bad apple never fails its neighbours.
//!
//! Orders of one restaurant always go to the same shard, so they are numbered in the
//! order they are written. SQLite gets one shard (one writer anyway); PostgreSQL several,
//! so restaurants write in parallel.

use super::{check, existing_view, persist, Check, Held, OrderView, Prepared, WriteFailure};
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::menu::MenuCache;
use brigade_store::System;
use brigade_store::{orders as store, Backend, Db};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

const MAX_BATCH: usize = 64;
const QUEUE: usize = 4096;

struct Job {
    prepared: Prepared,
    reply: oneshot::Sender<ApiResult<OrderView>>,
}

pub struct OrderWriter {
    shards: Vec<mpsc::Sender<Job>>,
}

impl OrderWriter {
    /// Starts the writer tasks; they end when the writer is dropped. `menu_cache` is the
    /// node's: an order that 86es an item drops its restaurant's cached public menu as
    /// soon as it commits.
    pub fn start(db: Db, clock: Clock, menu_cache: Arc<MenuCache>) -> OrderWriter {
        let n = match db.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        };
        let shards = (0..n)
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE);
                tokio::spawn(run(db.clone(), clock.clone(), menu_cache.clone(), rx));
                tx
            })
            .collect();
        OrderWriter { shards }
    }

    pub async fn submit(&self, prepared: Prepared) -> ApiResult<OrderView> {
        let shard = (prepared.rid.as_u128() % self.shards.len() as u128) as usize;
        let (reply, answer) = oneshot::channel();
        self.shards[shard]
            .send(Job { prepared, reply })
            .await
            .map_err(|_| ApiError::internal("the order writer has stopped"))?;
        answer.await.map_err(|_| ApiError::internal("the order writer dropped an order"))?
    }
}

async fn run(db: Db, clock: Clock, menu_cache: Arc<MenuCache>, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if batch.len() == 1 {
            for job in batch {
                let result = alone(&db, &clock, &menu_cache, &job.prepared).await;
                let _ = job.reply.send(result);
            }
            continue;
        }
        match together(&db, &clock, &menu_cache, &batch).await {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                tracing::warn!(error = ?e, orders = batch.len(), "a batch of orders failed; writing them one by one");
                for job in batch {
                    let result = alone(&db, &clock, &menu_cache, &job.prepared).await;
                    let _ = job.reply.send(result);
                }
            }
        }
    }
}

/// Writes one order in its own transaction.
async fn alone(db: &Db, clock: &Clock, menu_cache: &MenuCache, p: &Prepared) -> ApiResult<OrderView> {
    let mut tx = db.begin(p.rid).await?;
    let now = clock.now();
    let checked = match check(&mut tx, p, now, &mut Held::default()).await {
        Ok(Check::Ready(c)) => c,
        Ok(Check::Existing(order)) => {
            drop(tx);
            return existing_view(db, *order).await;
        }
        Err(WriteFailure::Refused(e) | WriteFailure::Failed(e)) => return Err(e),
    };
    let written = async {
        let (mut views, menus) = persist(&mut tx, vec![(p, checked)], now).await?;
        tx.commit().await?;
        forget_menus(menu_cache, menus);
        views.pop().ok_or_else(|| ApiError::internal("an order vanished while being written"))
    }
    .await;
    match written {
        // Another node took the same Idempotency-Key first: answer with its order.
        Err(ApiError::Conflict { code: crate::error::ErrorCode::Duplicate, .. })
            if p.placer.idempotency_key.is_some() =>
        {
            let key = p.placer.idempotency_key.as_deref().unwrap_or_default();
            let mut tx = db.begin(p.rid).await?;
            let order = store::by_idempotency_key(&mut tx, p.rid, key).await?;
            drop(tx);
            match order {
                Some(order) => existing_view(db, order).await,
                None => Err(ApiError::conflict(crate::error::ErrorCode::Duplicate, "that order already exists")),
            }
        }
        other => other,
    }
}

/// Writes a batch in one transaction: every order is checked under the lock, then all
/// that passed are inserted together and committed once. `Err` means the transaction
/// failed and nothing of it was committed.
async fn together(
    db: &Db,
    clock: &Clock,
    menu_cache: &MenuCache,
    batch: &[Job],
) -> Result<Vec<ApiResult<OrderView>>, ApiError> {
    let mut tx = db.begin(System::OrderWriter).await?;
    let now = clock.now();
    enum Outcome {
        New,
        Existing(Box<brigade_store::orders::OrderRow>),
        Refused(ApiError),
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut ready = Vec::new();
    let mut held = Held::default();
    for job in batch {
        match check(&mut tx, &job.prepared, now, &mut held).await {
            Ok(Check::Ready(c)) => {
                ready.push((&job.prepared, c));
                outcomes.push(Outcome::New);
            }
            Ok(Check::Existing(order)) => outcomes.push(Outcome::Existing(order)),
            Err(WriteFailure::Refused(e)) => outcomes.push(Outcome::Refused(e)),
            Err(WriteFailure::Failed(e)) => return Err(e),
        }
    }
    let (views, menus) = persist(&mut tx, ready, now).await?;
    let mut views = views.into_iter();
    tx.commit().await?;
    forget_menus(menu_cache, menus);
    let mut results = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        results.push(match outcome {
            Outcome::New => views.next().ok_or_else(|| ApiError::internal("an order vanished while being written")),
            Outcome::Existing(order) => existing_view(db, *order).await,
            Outcome::Refused(e) => Err(e),
        });
    }
    Ok(results)
}

/// Drops the cached public menus of restaurants whose menu a committed batch changed. The
/// realtime tailer does it too, for every node, but only once it has read the events: a
/// guest asking right after the order must not see the item it 86'd.
fn forget_menus(menu_cache: &MenuCache, restaurants: BTreeSet<Uuid>) {
    for rid in restaurants {
        menu_cache.invalidate(rid);
    }
}
