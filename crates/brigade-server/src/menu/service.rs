//! The menu's actions and reads, for every caller: REST handlers, the assistant's tools,
//! jobs and tests call these with an `Actor`. Each owns its permission check, its
//! transaction (for the actor's restaurant), its events, the sync jobs it owes the
//! platforms, and what follows the commit (the cached public menu dropped, workers woken).

use super::{item_view, AvailabilityInput, BulkResult, CategoryInput, CategoryView, ItemInput, ItemView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Page, PageParams};
use crate::jobs::{enqueue, EnqueueOptions, Job};
use crate::outbox;
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::caps;
use brigade_domain::credentials::parse_name;
use brigade_domain::menu::{EightySix, ModifierGroup};
use brigade_domain::{CategoryId, ItemId};
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::menu::{self as store, CategoryRow, ItemRow};
use brigade_store::{kds, restaurants, Tx};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

// ---------------------------------------------------------------- categories

/// The menu's categories, in their order.
pub async fn categories(actor: &Actor, state: &AppState) -> ApiResult<Vec<CategoryView>> {
    actor.require(Permission::MenuRead)?;
    let rows = store::categories(&state.db, actor.rid()).await?;
    Ok(rows.into_iter().map(CategoryView::from).collect())
}

/// Adds a menu category; the platforms get the new menu.
pub async fn create_category(actor: &Actor, state: &AppState, input: CategoryInput) -> ApiResult<CategoryView> {
    actor.require(Permission::MenuWrite)?;
    let now = state.clock.now();
    let row = CategoryRow {
        id: Uuid::now_v7(),
        restaurant_id: actor.rid(),
        parent_id: input.parent_id,
        name: parse_name("name", &input.name)?,
        description: super::clean(input.description),
        sort_order: input.sort_order,
        station_id: input.station_id,
        is_active: input.is_active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    check_category_refs(state, &row).await?;
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert_category(&mut tx, &row).await?;
    actor.record(&mut tx, "menu.category_created", "menu_category", row.id, json!({ "name": row.name }), now).await?;
    outbox::menu_changed(&mut tx, actor.rid(), "category added", now).await?;
    state.commit(tx, After::menu(actor.rid())).await?;
    Ok(row.into())
}

/// Changes a category; the platforms get the new menu.
pub async fn update_category(
    actor: &Actor,
    state: &AppState,
    id: CategoryId,
    input: CategoryInput,
) -> ApiResult<CategoryView> {
    actor.require(Permission::MenuWrite)?;
    let mut row =
        store::category(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("category"))?;
    let now = state.clock.now();
    row.name = parse_name("name", &input.name)?;
    row.description = super::clean(input.description);
    row.sort_order = input.sort_order;
    row.station_id = input.station_id;
    row.parent_id = input.parent_id;
    row.is_active = input.is_active.unwrap_or(row.is_active);
    row.updated_at = now;
    if row.parent_id == Some(row.id) {
        return Err(ApiError::validation("parent_id", "a category cannot be its own parent"));
    }
    check_category_refs(state, &row).await?;
    let mut tx = state.db.begin(actor.rid()).await?;
    store::update_category(&mut tx, &row).await?;
    actor.record(&mut tx, "menu.category_updated", "menu_category", row.id, json!({ "name": row.name }), now).await?;
    outbox::menu_changed(&mut tx, actor.rid(), "category changed", now).await?;
    state.commit(tx, After::menu(actor.rid())).await?;
    Ok(row.into())
}

/// Deletes an empty category; one that still holds items or subcategories is a 409.
pub async fn delete_category(actor: &Actor, state: &AppState, id: CategoryId) -> ApiResult<()> {
    actor.require(Permission::MenuWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if store::category_in_use(&mut tx, actor.rid(), id.0).await? {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::CategoryNotEmpty,
            "move or delete its items and subcategories first",
        ));
    }
    if !store::delete_category(&mut tx, actor.rid(), id.0, now).await? {
        return Err(ApiError::not_found("category"));
    }
    actor.record(&mut tx, "menu.category_deleted", "menu_category", id.0, json!({}), now).await?;
    outbox::menu_changed(&mut tx, actor.rid(), "category removed", now).await?;
    state.commit(tx, After::menu(actor.rid())).await
}

/// A category's parent and station must be this restaurant's, and the parent chain must
/// not loop back.
async fn check_category_refs(state: &AppState, row: &CategoryRow) -> ApiResult<()> {
    if let Some(station) = row.station_id {
        if kds::station(&state.db, row.restaurant_id, station).await?.is_none() {
            return Err(ApiError::validation("station_id", "no such station in this restaurant"));
        }
    }
    let mut next = row.parent_id;
    let mut hops = 0;
    while let Some(pid) = next {
        if pid == row.id || hops > 32 {
            return Err(ApiError::validation("parent_id", "categories cannot nest in a loop"));
        }
        let parent = store::category(&state.db, row.restaurant_id, pid)
            .await?
            .ok_or_else(|| ApiError::validation("parent_id", "no such category in this restaurant"))?;
        next = parent.parent_id;
        hops += 1;
    }
    Ok(())
}

// ---------------------------------------------------------------- items

/// The menu's items, a page at a time (of one category if asked), each with its availability.
pub async fn items(
    actor: &Actor,
    state: &AppState,
    category: Option<CategoryId>,
    page: PageParams,
) -> ApiResult<Page<ItemView>> {
    actor.require(Permission::MenuRead)?;
    let limit = page.limit()?;
    let filter = store::ItemFilter { category_id: category.map(|c| c.0), after: page.cursor_uuid()?, limit: limit + 1 };
    let rows = store::items(&state.db, actor.rid(), &filter).await?;
    let now = state.clock.now();
    Ok(Page::from_rows(rows, limit, |i| i.id.to_string(), |i| item_view(i, now)))
}

/// One item; 404 when it is not this restaurant's.
pub async fn item(actor: &Actor, state: &AppState, id: ItemId) -> ApiResult<ItemView> {
    actor.require(Permission::MenuRead)?;
    let row = store::item(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("menu item"))?;
    Ok(item_view(row, state.clock.now()))
}

/// Adds a menu item; the platforms get it.
pub async fn create_item(actor: &Actor, state: &AppState, input: ItemInput) -> ApiResult<ItemView> {
    actor.require(Permission::MenuWrite)?;
    let now = state.clock.now();
    let row = input.into_row(actor.rid(), Uuid::now_v7(), None, now)?;
    check_item_refs(state, &row).await?;
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert_item(&mut tx, &row).await?;
    let payload = json!({ "name": row.name, "price": row.price, "category_id": row.category_id });
    actor.record(&mut tx, "menu.item_created", "menu_item", row.id, payload, now).await?;
    outbox::menu_changed(&mut tx, actor.rid(), "item added", now).await?;
    state.commit(tx, After::menu(actor.rid())).await?;
    Ok(item_view(row, now))
}

/// Replaces an item's fields (its 86 state is kept; `set_availability` changes that).
pub async fn update_item(actor: &Actor, state: &AppState, id: ItemId, input: ItemInput) -> ApiResult<ItemView> {
    actor.require(Permission::MenuWrite)?;
    let existing = store::item(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("menu item"))?;
    let now = state.clock.now();
    let mut row = input.into_row(actor.rid(), id.0, Some(&existing), now)?;
    ModifierGroup::keep_eighty_six(&mut row.modifier_groups.0, &existing.modifier_groups.0);
    check_item_refs(state, &row).await?;
    let mut tx = state.db.begin(actor.rid()).await?;
    store::update_item(&mut tx, &row).await?;
    let payload = json!({ "name": row.name, "price": row.price, "is_active": row.is_active });
    actor.record(&mut tx, "menu.item_updated", "menu_item", row.id, payload, now).await?;
    // A price or availability is one item's update on a platform; a new name, text,
    // category or choice of options needs the menu uploaded.
    let shown_elsewhere = existing.name != row.name
        || existing.description != row.description
        || existing.category_id != row.category_id
        || existing.is_active != row.is_active
        || existing.channels.0 != row.channels.0
        || existing.modifier_groups.0 != row.modifier_groups.0;
    if shown_elsewhere {
        outbox::menu_changed(&mut tx, actor.rid(), "item changed", now).await?;
    } else if existing.price != row.price {
        outbox::price_changed(&mut tx, actor.rid(), row.id, "price changed", now).await?;
    } else {
        outbox::item_changed(&mut tx, actor.rid(), row.id, "item changed", now).await?;
    }
    state.commit(tx, After::menu(actor.rid())).await?;
    Ok(item_view(row, now))
}

/// Removes an item from the menu. Past orders that sold it keep it.
pub async fn delete_item(actor: &Actor, state: &AppState, id: ItemId) -> ApiResult<()> {
    actor.require(Permission::MenuWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::delete_item(&mut tx, actor.rid(), id.0, now).await? {
        return Err(ApiError::not_found("menu item"));
    }
    actor.record(&mut tx, "menu.item_deleted", "menu_item", id.0, json!({}), now).await?;
    outbox::menu_changed(&mut tx, actor.rid(), "item removed", now).await?;
    state.commit(tx, After::menu(actor.rid())).await
}

pub(super) async fn check_item_refs(state: &AppState, row: &ItemRow) -> ApiResult<()> {
    if store::category(&state.db, row.restaurant_id, row.category_id).await?.is_none() {
        return Err(ApiError::validation("category_id", "no such category in this restaurant"));
    }
    if let Some(station) = row.station_id {
        if kds::station(&state.db, row.restaurant_id, station).await?.is_none() {
            return Err(ApiError::validation("station_id", "no such station in this restaurant"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- the 86 board

/// 86es an item (or brings it back) on every channel or some, at once: guests stop seeing
/// it now, the platforms get it within seconds, and a timed 86 brings it back by itself.
pub async fn set_availability(
    actor: &Actor,
    state: &AppState,
    id: ItemId,
    input: &AvailabilityInput,
) -> ApiResult<ItemView> {
    actor.require(Permission::EightySix)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let e = parse_eighty_six(&mut tx, actor.rid(), input, now).await?;
    let changed = apply_eighty_six(&mut tx, actor.rid(), &[id.0], e.as_ref(), actor.acted_by(), now).await?;
    if changed == 0 {
        return Err(ApiError::not_found("menu item"));
    }
    let row = store::item_tx(&mut tx, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("menu item"))?;
    state.commit(tx, After::menu(actor.rid()).and(After::jobs())).await?;
    Ok(item_view(row, now))
}

/// 86es (or brings back) 1 to 500 items in one change; an id that is not this
/// restaurant's item changes nothing (422).
pub async fn set_availability_of_many(
    actor: &Actor,
    state: &AppState,
    ids: &[ItemId],
    input: &AvailabilityInput,
) -> ApiResult<BulkResult> {
    actor.require(Permission::EightySix)?;
    if ids.is_empty() || ids.len() > 500 {
        return Err(ApiError::validation("item_ids", "give 1 to 500 item ids"));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let e = parse_eighty_six(&mut tx, actor.rid(), input, now).await?;
    let mut ids: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
    ids.sort();
    ids.dedup();
    let updated = apply_eighty_six(&mut tx, actor.rid(), &ids, e.as_ref(), actor.acted_by(), now).await?;
    if updated != ids.len() {
        return Err(ApiError::validation("item_ids", "some ids are not items of this restaurant; nothing was changed"));
    }
    state.commit(tx, After::menu(actor.rid()).and(After::jobs())).await?;
    Ok(BulkResult { updated })
}

/// What an availability request asks for, read in the restaurant's time zone and business
/// day (`"end_of_day"`: until the next opening, where it has hours): `None` brings the
/// item back.
async fn parse_eighty_six(
    tx: &mut Tx,
    rid: Uuid,
    input: &AvailabilityInput,
    now: DateTime<Utc>,
) -> ApiResult<Option<EightySix>> {
    if input.available {
        return Ok(None);
    }
    let restaurant = restaurants::get_tx(tx, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let hours = brigade_store::hours::get_tx(tx, rid).await?;
    let until = crate::restaurants::parse_until("until", input.until.as_deref(), &restaurant, hours.as_ref(), now)?;
    let reason = caps::parse_reason("reason", input.reason.as_deref())?.unwrap_or_else(|| "86'd".to_owned());
    let channels = input.channels.clone().map(|mut c| {
        c.sort();
        c.dedup();
        c
    });
    if channels.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::validation("channels", "name at least one channel, or null for all"));
    }
    Ok(Some(EightySix { reason, until, channels, auto: false }))
}

/// Sets (or clears) the 86 of items in `tx`, with an event per item, the sync job each
/// owes the platforms and, for a timed 86, a job that brings the item back when it runs
/// out. Returns how many of `ids` are items. For the services that 86 as a consequence
/// of their own change (stock running out), inside their transaction.
pub async fn apply_eighty_six(
    tx: &mut Tx,
    rid: Uuid,
    ids: &[Uuid],
    e: Option<&EightySix>,
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let mut n = 0;
    for id in ids {
        let Some(item) = store::item_tx(tx, rid, *id).await? else { continue };
        n += 1;
        store::set_eighty_six(tx, rid, *id, e, now).await?;
        let payload = json!({
            "item_id": id,
            "name": item.name,
            "available": e.is_none(),
            "reason": e.map(|e| e.reason.clone()),
            "until": e.and_then(|e| e.until),
            "channels": e.and_then(|e| e.channels.clone()),
        });
        events::record(
            tx,
            NewEvent {
                restaurant_id: Some(rid),
                kind: "menu.availability_changed",
                entity: "menu_item",
                entity_id: Some(*id),
                actor,
                payload,
                at: now,
            },
        )
        .await?;
        let reason = if e.is_some() { "86" } else { "back on" };
        outbox::item_changed(tx, rid, *id, reason, now).await?;
        if let Some(until) = e.and_then(|e| e.until) {
            let key = format!("menu.restore:{id}:{}", until.timestamp_micros());
            let job = RestoreItem { restaurant_id: rid, item_id: *id, until };
            let opts = EnqueueOptions { run_at: until, idempotency_key: Some(&key), restaurant_id: Some(rid) };
            enqueue(tx, &job, opts, now).await?;
        }
    }
    Ok(n)
}

/// Brings an item back when its timed 86 (`until`) has run out, unless the 86 was
/// changed since. Returns whether it did.
pub async fn restore_when_due(actor: &Actor, state: &AppState, id: ItemId, until: DateTime<Utc>) -> ApiResult<bool> {
    actor.require(Permission::EightySix)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let Some(item) = store::item_tx(&mut tx, actor.rid(), id.0).await? else { return Ok(false) };
    let same = item.eighty_six.as_ref().is_some_and(|e| e.0.until == Some(until));
    if !same || until > now {
        return Ok(false);
    }
    apply_eighty_six(&mut tx, actor.rid(), &[id.0], None, actor.acted_by(), now).await?;
    state.commit(tx, After::menu(actor.rid())).await?;
    Ok(true)
}

/// The job a timed 86 leaves behind: `restore_when_due` at `until`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RestoreItem {
    pub restaurant_id: Uuid,
    pub item_id: Uuid,
    pub until: DateTime<Utc>,
}

impl Job for RestoreItem {
    const KIND: &'static str = "menu.restore_item";

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let actor = Actor::system(self.restaurant_id, Self::KIND);
        restore_when_due(&actor, &state, ItemId(self.item_id), self.until)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(())
    }
}

// ---------------------------------------------------------------- options' 86

/// An option 86'd or back: the option as it now is, and the items it is a choice of.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OptionChange {
    pub option: super::OptionView,
    pub items: Vec<ItemView>,
}

/// 86es options ("out of avocado") or brings them back, wherever they are a choice: guests
/// cannot choose them, the platforms suspend them, and an item whose required group is
/// left with nothing to choose is unavailable by the one rule. A timed 86 brings the
/// options back by itself. An id that is no option of this menu changes nothing (404).
pub async fn set_option_availability(
    actor: &Actor,
    state: &AppState,
    ids: &[Uuid],
    input: &AvailabilityInput,
) -> ApiResult<Vec<OptionChange>> {
    actor.require(Permission::EightySix)?;
    if ids.is_empty() || ids.len() > 500 {
        return Err(ApiError::validation("option_ids", "give 1 to 500 option ids"));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let e = parse_eighty_six(&mut tx, actor.rid(), input, now).await?;
    let changed = apply_option_eighty_six(&mut tx, actor.rid(), ids, e.as_ref(), None, actor.acted_by(), now).await?;
    let mut out: Vec<OptionChange> = Vec::new();
    for id in ids {
        let items: Vec<&ItemRow> = changed
            .iter()
            .filter(|i| i.modifier_groups.0.iter().any(|g| g.options.iter().any(|o| o.id == *id)))
            .collect();
        let Some(first) = items.first() else { return Err(ApiError::not_found("menu option")) };
        let group = first.modifier_groups.0.iter().find(|g| g.options.iter().any(|o| o.id == *id)).cloned();
        let view = super::group_views(group.into_iter().collect(), now)
            .into_iter()
            .flat_map(|g| g.options)
            .find(|o| o.id == *id)
            .ok_or_else(|| ApiError::not_found("menu option"))?;
        out.push(OptionChange { option: view, items: items.into_iter().map(|i| item_view(i.clone(), now)).collect() });
    }
    state.commit(tx, After::menu(actor.rid()).and(After::jobs())).await?;
    Ok(out)
}

/// Sets (or clears) the 86 of options in `tx` wherever they are a choice, with an event
/// per option and item, the menu re-sent to the platforms and, for a timed 86, a job that
/// brings them back. `only_until`: clear only an 86 that still ends then (the timed
/// restore, which must not lift a newer 86). Returns the items changed, as they now are.
async fn apply_option_eighty_six(
    tx: &mut Tx,
    rid: Uuid,
    ids: &[Uuid],
    e: Option<&EightySix>,
    only_until: Option<DateTime<Utc>>,
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<Vec<ItemRow>> {
    let mut changed = Vec::new();
    for mut item in store::all_items_for_update(tx, rid).await? {
        let mut touched = Vec::new();
        for o in item.modifier_groups.0.iter_mut().flat_map(|g| g.options.iter_mut()) {
            if !ids.contains(&o.id) {
                continue;
            }
            if only_until.is_some() && o.eighty_six.as_ref().and_then(|e| e.until) != only_until {
                continue;
            }
            o.eighty_six = e.cloned();
            touched.push((o.id, o.name.clone()));
        }
        if touched.is_empty() {
            continue;
        }
        store::set_modifier_groups(tx, rid, item.id, &item.modifier_groups.0, now).await?;
        for (option_id, name) in touched {
            let payload = json!({
                "option_id": option_id,
                "item_id": item.id,
                "item": item.name,
                "name": name,
                "available": e.is_none(),
                "reason": e.map(|e| e.reason.clone()),
                "until": e.and_then(|e| e.until),
                "channels": e.and_then(|e| e.channels.clone()),
            });
            let event = NewEvent {
                restaurant_id: Some(rid),
                kind: "menu.availability_changed",
                entity: "menu_option",
                entity_id: Some(option_id),
                actor,
                payload,
                at: now,
            };
            events::record(tx, event).await?;
        }
        changed.push(item);
    }
    if changed.is_empty() {
        return Ok(changed);
    }
    let reason = if e.is_some() { "option 86" } else { "option back on" };
    outbox::menu_changed(tx, rid, reason, now).await?;
    if let Some(until) = e.and_then(|e| e.until) {
        for id in ids {
            let key = format!("menu.restore_option:{id}:{}", until.timestamp_micros());
            let job = RestoreOption { restaurant_id: rid, option_id: *id, until };
            let opts = EnqueueOptions { run_at: until, idempotency_key: Some(&key), restaurant_id: Some(rid) };
            enqueue(tx, &job, opts, now).await?;
        }
    }
    Ok(changed)
}

/// The job a timed option 86 leaves behind: brings the option back at `until`, unless its
/// 86 was changed since.
#[derive(Debug, Serialize, Deserialize)]
pub struct RestoreOption {
    pub restaurant_id: Uuid,
    pub option_id: Uuid,
    pub until: DateTime<Utc>,
}

impl Job for RestoreOption {
    const KIND: &'static str = "menu.restore_option";

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let actor = Actor::system(self.restaurant_id, Self::KIND);
        actor.require(Permission::EightySix).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let now = state.clock.now();
        if self.until > now {
            return Ok(());
        }
        let mut tx = state.db.begin(actor.rid()).await?;
        let ids = [self.option_id];
        let changed =
            apply_option_eighty_six(&mut tx, actor.rid(), &ids, None, Some(self.until), actor.acted_by(), now).await;
        let changed = changed.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if !changed.is_empty() {
            state.commit(tx, After::menu(actor.rid())).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
        Ok(())
    }
}
