//! The audit log for every caller: what happened in a restaurant, newest first.

use super::{AuditParams, EventView};
use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::{Page, PageParams};
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_store::events::{self, AuditQuery};

/// Events of a type (or a prefix ending in a dot) in a time window, a page at a time.
pub async fn events(actor: &Actor, state: &AppState, params: AuditParams) -> ApiResult<Page<EventView>> {
    actor.require(Permission::AuditRead)?;
    let page = PageParams { limit: params.limit, cursor: params.cursor };
    let limit = page.limit()?;
    let q = AuditQuery {
        restaurant_id: actor.rid(),
        kind: params.kind.as_deref(),
        since: params.since,
        until: params.until,
        before_id: page.cursor_i64()?,
        limit: limit + 1,
    };
    let rows = events::audit(&state.db, &q).await?;
    let who: Vec<String> = rows.iter().map(|e| e.actor.clone()).collect();
    let names = crate::actor::names(&state.db, actor.rid(), who).await?;
    let mut page = Page::from_rows(rows, limit, |e| e.id.to_string(), EventView::from);
    for e in &mut page.items {
        e.actor_name = names.get(&e.actor).cloned();
    }
    Ok(page)
}
