//! The sync's reads and its one action, for every caller (the integrations screen, the
//! assistant's "is Uber Eats up to date?", tests): jobs and their outcome, health per
//! integration, and a full menu push now.

use super::*;

/// A restaurant's sync jobs, newest first, by integration and status.
pub async fn jobs(actor: &Actor, state: &AppState, q: JobQuery, page: PageParams) -> ApiResult<Page<SyncJobView>> {
    actor.require(Permission::IntegrationsRead)?;
    if let Some(s) = q.status.as_deref() {
        if !["pending", "running", "succeeded", "dead", "cancelled"].contains(&s) {
            return Err(ApiError::validation("status", "one of pending, running, succeeded, dead, cancelled"));
        }
    }
    let limit = page.limit()?;
    let f =
        JobFilter { integration_id: q.integration_id, status: q.status, before: page.cursor_uuid()?, limit: limit + 1 };
    let rows = store::jobs(&state.db, actor.rid(), &f).await?;
    Ok(Page::from_rows(rows, limit, |j| j.id.to_string(), SyncJobView::from))
}

/// One sync job.
pub async fn job(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<SyncJobView> {
    actor.require(Permission::IntegrationsRead)?;
    let row = store::job(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("sync job"))?;
    Ok(row.into())
}

/// Pushes the whole menu to one or every integration now; the jobs to follow.
pub async fn push_menu(actor: &Actor, state: &AppState, input: ManualSync) -> ApiResult<ManualSyncStarted> {
    actor.require(Permission::IntegrationsManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let targets: Vec<Uuid> = match input.integration_id {
        Some(id) => {
            let row =
                store::get_tx(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("integration"))?;
            if row.status == Status::Paused.as_str() {
                return Err(ApiError::conflict(
                    crate::error::ErrorCode::IntegrationPaused,
                    "this integration is paused; resume it first",
                ));
            }
            vec![id]
        }
        None => store::syncing_tx(&mut tx, actor.rid()).await?.into_iter().map(|(id, _)| id).collect(),
    };
    let mut jobs = Vec::new();
    for id in targets {
        jobs.push(enqueue_menu(&mut tx, actor.rid(), id, "manual resync", now).await?);
    }
    actor.record(&mut tx, "sync.manual", "restaurant", actor.rid(), json!({ "jobs": jobs }), now).await?;
    tx.commit().await?;
    state.wake_sync();
    Ok(ManualSyncStarted { jobs })
}

/// Sync health per integration: last success, lag, waiting and dead jobs, drift.
pub async fn status(actor: &Actor, state: &AppState) -> ApiResult<SyncStatus> {
    actor.require(Permission::IntegrationsRead)?;
    let now = state.clock.now();
    let rows = store::list(&state.db, actor.rid()).await?;
    let health: HashMap<Uuid, store::Health> =
        store::health(&state.db, actor.rid()).await?.into_iter().map(|h| (h.integration_id, h)).collect();
    let integrations = rows
        .into_iter()
        .map(|r| {
            let h = health.get(&r.id);
            let drift = r.drift.as_ref().and_then(|d| d.0.get("items")).and_then(Value::as_array).map_or(0, Vec::len);
            IntegrationHealth {
                integration_id: r.id,
                platform: r.platform,
                name: r.name,
                status: r.status,
                last_success_at: r.last_success_at,
                lag_seconds: h.and_then(|h| h.oldest_pending).map_or(0, |t| (now - t).num_seconds().max(0)),
                pending: h.map_or(0, |h| h.pending),
                dead: h.map_or(0, |h| h.dead),
                drift: drift as i64,
                drift_checked_at: r.drift_checked_at,
                last_error: r.last_error,
            }
        })
        .collect();
    Ok(SyncStatus { integrations })
}
