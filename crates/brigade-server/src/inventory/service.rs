//! Stock's actions and reads, for every caller (the stock screens through REST, the
//! assistant's "what's low?" and "we got 10 kg of salmon", tests). A movement settles in
//! the same transaction: low-stock alerts, and menu items that can no longer be made are
//! 86'd (or come back), so its commit drops the cached menu and wakes the workers.

use super::*;
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::StockItemId;
use brigade_store::events::ActedBy;
use brigade_store::inventory as store;
use uuid::Uuid;

/// What a change of stock owes after its commit: the menu may have lost (or regained)
/// items, and the platforms and timed jobs may have work.
pub fn stock_changed(rid: Uuid) -> After {
    After::menu(rid).and(After::jobs())
}

/// Which stock items to read.
#[derive(Debug, Default, Clone, Copy)]
pub struct ItemFilter {
    pub category: Option<Uuid>,
    /// Only items at or below their reorder point (or only those above).
    pub low: Option<bool>,
}

/// Stock items, of one category or low ones if asked.
pub async fn items(actor: &Actor, state: &AppState, filter: ItemFilter) -> ApiResult<Vec<StockItemView>> {
    actor.require(Permission::InventoryRead)?;
    Ok(store::items(&state.db, actor.rid())
        .await?
        .into_iter()
        .filter(|i| filter.category.is_none_or(|c| i.category_id == Some(c)))
        .map(item_view)
        .filter(|i| filter.low.is_none_or(|l| i.low == l))
        .collect())
}

/// What is low: items at or below their reorder point.
pub async fn low_stock(actor: &Actor, state: &AppState) -> ApiResult<Vec<StockItemView>> {
    items(actor, state, ItemFilter { category: None, low: Some(true) }).await
}

/// One stock item with its on-hand quantity.
pub async fn item(actor: &Actor, state: &AppState, id: StockItemId) -> ApiResult<StockItemView> {
    actor.require(Permission::InventoryRead)?;
    let row = store::item(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    Ok(item_view(row))
}

/// Records one stock movement (a delivery received, waste, a correction, a count of one
/// item) and what follows from it: low-stock alerts, menu items that can no longer be
/// made 86'd (and back when they can).
pub async fn record_movement(actor: &Actor, state: &AppState, input: MovementInput) -> ApiResult<StockItemView> {
    actor.require(Permission::InventoryWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let id = input.item_id;
    move_stock(&mut tx, actor.rid(), input, actor.acted_by(), now).await?;
    settle(&mut tx, actor.rid(), &[id], ActedBy::System, now).await?;
    let row =
        store::item_for_update(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    state.commit(tx, stock_changed(actor.rid())).await?;
    Ok(item_view(row))
}

/// The stock categories.
pub async fn categories(actor: &Actor, state: &AppState) -> ApiResult<Vec<StockCategoryView>> {
    actor.require(Permission::InventoryRead)?;
    let rows = store::categories(&state.db, actor.rid()).await?;
    Ok(rows.into_iter().map(category_view).collect())
}

/// Adds a stock category (audited).
pub async fn create_category(
    actor: &Actor,
    state: &AppState,
    input: StockCategoryInput,
) -> ApiResult<StockCategoryView> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let c = CategoryRow {
        id: Uuid::now_v7(),
        restaurant_id: actor.rid(),
        name: parse_name("name", &input.name)?,
        description: clean(input.description),
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert_category(&mut tx, &c).await?;
    actor
        .record(&mut tx, "inventory.category_created", "inventory_category", c.id, json!({ "name": c.name }), now)
        .await?;
    tx.commit().await?;
    Ok(category_view(c))
}

/// Renames or redescribes a stock category (audited).
pub async fn update_category(
    actor: &Actor,
    state: &AppState,
    id: Uuid,
    input: StockCategoryInput,
) -> ApiResult<StockCategoryView> {
    actor.require(Permission::InventoryManage)?;
    let mut c = store::category(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("category"))?;
    c.name = parse_name("name", &input.name)?;
    c.description = clean(input.description);
    c.updated_at = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::update_category(&mut tx, &c).await? {
        return Err(ApiError::not_found("category"));
    }
    actor
        .record(
            &mut tx,
            "inventory.category_updated",
            "inventory_category",
            c.id,
            json!({ "name": c.name }),
            c.updated_at,
        )
        .await?;
    tx.commit().await?;
    Ok(category_view(c))
}

/// Removes a stock category; its items stay, uncategorised (audited).
pub async fn delete_category(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<()> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::delete_category(&mut tx, actor.rid(), id, now).await? {
        return Err(ApiError::not_found("category"));
    }
    actor.record(&mut tx, "inventory.category_deleted", "inventory_category", id, json!({}), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a stock item (audited).
pub async fn create_item(actor: &Actor, state: &AppState, input: StockItemInput) -> ApiResult<StockItemView> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let mut row = ItemRow {
        id: Uuid::now_v7(),
        restaurant_id: actor.rid(),
        category_id: None,
        name: String::new(),
        sku: None,
        unit: String::new(),
        on_hand: 0,
        par_level: None,
        reorder_point: None,
        max_level: None,
        unit_cost: 0,
        purchase_units: DbJson(Vec::new()),
        supplier: None,
        is_low: false,
        created_at: now,
        updated_at: now,
    };
    input.apply(&mut row, false)?;
    let mut tx = state.db.begin(actor.rid()).await?;
    check_item_refs(state, &mut tx, &row).await?;
    store::insert_item(&mut tx, &row).await?;
    actor
        .record(
            &mut tx,
            "inventory.item_created",
            "inventory_item",
            row.id,
            json!({ "name": row.name, "unit": row.unit }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(item_view(row))
}

/// Changes a stock item; its unit is fixed once it has stock moved (audited).
pub async fn update_item(actor: &Actor, state: &AppState, id: Uuid, input: StockItemInput) -> ApiResult<StockItemView> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut row =
        store::item_for_update(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    // An item keeps its unit: its ledger is in it.
    input.apply(&mut row, true)?;
    row.updated_at = now;
    check_item_refs(state, &mut tx, &row).await?;
    store::update_item(&mut tx, &row).await?;
    actor.record(&mut tx, "inventory.item_updated", "inventory_item", row.id, json!({ "name": row.name }), now).await?;
    settle(&mut tx, actor.rid(), &[row.id], ActedBy::System, now).await?;
    let row =
        store::item_for_update(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    state.commit(tx, service::stock_changed(actor.rid())).await?;
    Ok(item_view(row))
}

/// Removes a stock item that no recipe uses (audited).
pub async fn delete_item(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<()> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::menu_items_using(&mut tx, actor.rid(), &[id]).await?.is_empty() {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::InRecipes,
            "recipes use this item; take it out of them first",
        ));
    }
    if !store::delete_item(&mut tx, actor.rid(), id, now).await? {
        return Err(ApiError::not_found("stock item"));
    }
    actor.record(&mut tx, "inventory.item_deleted", "inventory_item", id, json!({}), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The stock ledger, newest first, by item and kind.
pub async fn movements(actor: &Actor, state: &AppState, f: MovementFilter) -> ApiResult<Page<MovementView>> {
    actor.require(Permission::InventoryRead)?;
    let limit = crate::extract::PageParams { limit: f.limit, cursor: None }.limit()?;
    let before = match f.cursor.as_deref() {
        Some(c) => Some(c.parse::<Uuid>().map_err(|_| ApiError::validation("cursor", "not a cursor from this list"))?),
        None => None,
    };
    let mut rows = store::ledger(&state.db, actor.rid(), f.item_id, f.kind.as_deref(), before, limit + 1).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| rows[limit as usize - 1].id.to_string());
    rows.truncate(limit as usize);
    Ok(Page { items: rows.into_iter().map(movement_view).collect(), next_cursor })
}

/// A stock count: each counted item set to what is on the shelf, the difference recorded.
pub async fn record_count(actor: &Actor, state: &AppState, input: CountSheet) -> ApiResult<CountResult> {
    actor.require(Permission::InventoryWrite)?;
    if input.counts.is_empty() || input.counts.len() > 2000 {
        return Err(ApiError::validation("counts", "count 1 to 2000 items"));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut ids = Vec::with_capacity(input.counts.len());
    for (i, c) in input.counts.into_iter().enumerate() {
        if ids.contains(&c.item_id) {
            return Err(ApiError::validation(format!("counts[{i}].item_id"), "this item is counted twice"));
        }
        ids.push(c.item_id);
        let m = MovementInput {
            item_id: c.item_id,
            kind: "count".into(),
            quantity: c.quantity,
            unit: c.unit,
            cost: None,
            reason: None,
            notes: input.notes.clone(),
        };
        move_stock(&mut tx, actor.rid(), m, actor.acted_by(), now).await.map_err(|e| match e {
            ApiError::Validation { field, message } => ApiError::validation(format!("counts[{i}].{field}"), message),
            ApiError::NotFound { .. } => {
                ApiError::validation(format!("counts[{i}].item_id"), "no such stock item here")
            }
            e => e,
        })?;
    }
    settle(&mut tx, actor.rid(), &ids, ActedBy::System, now).await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(row) = store::item_for_update(&mut tx, actor.rid(), *id).await? {
            items.push(item_view(row));
        }
    }
    state.commit(tx, service::stock_changed(actor.rid())).await?;
    Ok(CountResult { items })
}

/// Moves stock to another location of the same owner, out of one and into the other at once.
pub async fn transfer(actor: &Actor, state: &AppState, input: TransferInput) -> ApiResult<TransferResult> {
    actor.require(Permission::InventoryWrite)?;
    let to_rid = input.to_restaurant_id;
    if to_rid == actor.rid() {
        return Err(ApiError::validation("to_restaurant_id", "a transfer goes to another location"));
    }
    // The caller must be allowed to move stock there too; otherwise it is not found.
    // (Through the one membership rule: a PIN session made here reaches no other location.)
    let Some(principal) = actor.principal() else {
        return Err(ApiError::validation("to_restaurant_id", "no such location of yours"));
    };
    let allowed = match crate::auth::membership(state, principal, brigade_domain::RestaurantId(to_rid)).await {
        Ok(Some(role)) => role.allows(Permission::InventoryWrite),
        Ok(None) | Err(ApiError::NotFound { .. }) => false,
        Err(e) => return Err(e),
    };
    if !allowed {
        return Err(ApiError::validation("to_restaurant_id", "no such location of yours"));
    }
    let now = state.clock.now();
    let by = actor.acted_by().encode();
    // One transaction over both locations (not tenant-scoped: it spans two).
    let mut tx = state.db.begin(System::Transfer).await?;
    let from = store::item_for_update(&mut tx, actor.rid(), input.item_id)
        .await?
        .ok_or_else(|| ApiError::not_found("stock item"))?;
    let to = store::item_for_update(&mut tx, to_rid, input.to_item_id)
        .await?
        .ok_or_else(|| ApiError::validation("to_item_id", "no such stock item at that location"))?;
    if from.unit != to.unit {
        return Err(ApiError::validation(
            "to_item_id",
            format!("that item is counted in {}, this one in {}", to.unit, from.unit),
        ));
    }
    let qty = to_milli(input.quantity, input.unit.as_deref(), from.unit.parse()?, &from.purchase_units.0)?;
    if qty <= 0 {
        return Err(ApiError::validation("quantity", "move more than nothing"));
    }
    let notes = clean(input.notes);
    let reference = Uuid::now_v7();
    let leg = |rid, item_id, kind, quantity, unit_cost, new_average_cost| Movement {
        restaurant_id: rid,
        item_id,
        kind,
        quantity,
        unit_cost,
        new_average_cost,
        reference_type: Some("transfer"),
        reference_id: Some(reference),
        reason: None,
        notes: notes.as_deref(),
        actor: &by,
        at: now,
    };
    store::post(&mut tx, &leg(actor.rid(), from.id, "transfer_out", -qty, None, None)).await?;
    let avg = average_cost(to.on_hand, to.unit_cost, qty, from.unit_cost);
    store::post(&mut tx, &leg(to_rid, to.id, "transfer_in", qty, Some(from.unit_cost), Some(avg))).await?;
    settle(&mut tx, actor.rid(), &[from.id], ActedBy::System, now).await?;
    settle(&mut tx, to_rid, &[to.id], ActedBy::System, now).await?;
    let from = store::item_for_update(&mut tx, actor.rid(), from.id)
        .await?
        .ok_or_else(|| ApiError::not_found("stock item"))?;
    let to = store::item_for_update(&mut tx, to_rid, to.id).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    state.commit(tx, service::stock_changed(actor.rid())).await?;
    // The other location's menu may have changed too (an After names one restaurant).
    state.menu_cache.invalidate(to_rid);
    Ok(TransferResult { from: item_view(from), to: item_view(to) })
}

/// What a menu item (and each of its options) takes out of stock, and what that costs.
pub async fn recipe(actor: &Actor, state: &AppState, menu_item: Uuid) -> ApiResult<RecipeView> {
    actor.require(Permission::InventoryRead)?;
    let mut tx = state.db.begin_read(actor.rid()).await?;
    let view = recipe_view(state, &mut tx, actor.rid(), menu_item).await?;
    Ok(view)
}

/// Replaces a menu item's recipe (audited); the menu's availability follows the stock it needs.
pub async fn set_recipe(actor: &Actor, state: &AppState, menu_item: Uuid, input: RecipeInput) -> ApiResult<RecipeView> {
    actor.require(Permission::InventoryManage)?;
    let (rid, menu_item_id) = (actor.rid(), menu_item);
    if input.lines.len() > 200 {
        return Err(ApiError::validation("lines", "at most 200 lines"));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let item =
        menu_store::item_tx(&mut tx, rid, menu_item_id).await?.ok_or_else(|| ApiError::not_found("menu item"))?;
    let options: BTreeSet<Uuid> = item.modifier_groups.0.iter().flat_map(|g| g.options.iter().map(|o| o.id)).collect();
    let before: Vec<Uuid> = store::recipes_tx(&mut tx, rid, &[menu_item_id])
        .await?
        .remove(&menu_item_id)
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.inventory_item_id)
        .collect();
    let mut rows = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let stock = store::item_for_update(&mut tx, rid, l.inventory_item_id)
            .await?
            .ok_or_else(|| ApiError::validation(at("inventory_item_id"), "no such stock item here"))?;
        if let Some(o) = l.option_id {
            if !options.contains(&o) {
                return Err(ApiError::validation(at("option_id"), "not an option of this menu item"));
            }
        }
        let q = to_milli(l.quantity, l.unit.as_deref(), stock.unit.parse()?, &stock.purchase_units.0)
            .map_err(|e| ApiError::validation(at(e.field), e.message))?;
        if q == 0 || (q < 0 && l.option_id.is_none()) {
            return Err(ApiError::validation(at("quantity"), "more than nothing (only an option may take away)"));
        }
        if rows.iter().any(|r: &RecipeRow| r.inventory_item_id == stock.id && r.option_id == l.option_id) {
            return Err(ApiError::validation(at("inventory_item_id"), "this ingredient is listed twice"));
        }
        rows.push(RecipeRow { menu_item_id, option_id: l.option_id, inventory_item_id: stock.id, quantity: q });
    }
    store::set_recipe(&mut tx, rid, menu_item_id, &rows).await?;
    let payload = json!({ "menu_item_id": menu_item_id, "name": item.name, "lines": rows.len() });
    actor.record(&mut tx, "menu.recipe_updated", "menu_item", menu_item_id, payload, now).await?;
    // Ingredients that left the recipe may have been what kept the item 86'd.
    let mut touched: BTreeSet<Uuid> = rows.iter().map(|r| r.inventory_item_id).collect();
    touched.extend(before);
    let touched: Vec<Uuid> = touched.into_iter().collect();
    reconcile_menu(&mut tx, rid, &touched, now).await?;
    if rows.is_empty() {
        // No recipe, nothing to run out of: lift a stock 86.
        if item.eighty_six.as_ref().is_some_and(|e| e.0.auto) {
            apply_eighty_six(&mut tx, rid, &[menu_item_id], None, ActedBy::System, now).await?;
        }
    }
    let view = recipe_view(state, &mut tx, rid, menu_item_id).await?;
    state.commit(tx, service::stock_changed(rid)).await?;
    Ok(view)
}

/// What to order: items below their reorder point, with how much brings them to par.
pub async fn reorder(actor: &Actor, state: &AppState) -> ApiResult<Vec<ReorderLine>> {
    actor.require(Permission::InventoryRead)?;
    let mut out = Vec::new();
    for i in store::items(&state.db, actor.rid()).await? {
        let Some(par) = i.par_level else { continue };
        let purchase = i.purchase_units.0.first();
        let (q, units) = suggested_order(i.on_hand, par, purchase);
        if q == 0 {
            continue;
        }
        out.push(ReorderLine {
            item_id: i.id,
            name: i.name.clone(),
            unit: i.unit.clone(),
            on_hand: from_milli(i.on_hand),
            par_level: from_milli(par),
            order_quantity: from_milli(q),
            purchase_unit: purchase.map(|p| p.name.clone()),
            purchase_units: units,
            estimated_cost: cost_of(q, i.unit_cost),
            supplier_name: i
                .supplier
                .as_ref()
                .and_then(|s| s.0.get("name"))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            supplier: i.supplier.map(|s| s.0),
        });
    }
    out.sort_by(|a, b| {
        (a.supplier_name.is_none(), &a.supplier_name, &a.name).cmp(&(
            b.supplier_name.is_none(),
            &b.supplier_name,
            &b.name,
        ))
    });
    Ok(out)
}

/// Expected against counted use over a period, and what the difference cost.
pub async fn variance(actor: &Actor, state: &AppState, p: PeriodParams) -> ApiResult<VarianceReport> {
    actor.require(Permission::InventoryRead)?;
    // By default up to and including now.
    let to = p.to.unwrap_or_else(|| state.clock.now() + Duration::microseconds(1));
    let from = p.from.unwrap_or(to - Duration::days(7));
    if from >= to {
        return Err(ApiError::validation("from", "must be before to"));
    }
    let totals = store::movement_totals(&state.db, actor.rid(), from, to).await?;
    let mut by_item: HashMap<Uuid, HashMap<String, i64>> = HashMap::new();
    for (item, kind, q) in totals {
        by_item.entry(item).or_default().insert(kind, q);
    }
    let mut items = Vec::new();
    let mut total_cost = 0;
    for i in store::items(&state.db, actor.rid()).await? {
        let Some(k) = by_item.get(&i.id) else { continue };
        let get = |kind: &str| k.get(kind).copied().unwrap_or(0);
        let theoretical = -(get("sale") + get("sale_return"));
        let waste = -get("waste");
        let unexplained = -(get("count") + get("adjustment"));
        let actual = theoretical + waste + unexplained;
        let var = actual - theoretical;
        let var_cost = cost_of(var, i.unit_cost);
        total_cost += var_cost;
        items.push(VarianceLine {
            item_id: i.id,
            name: i.name,
            unit: i.unit,
            theoretical_usage: from_milli(theoretical),
            waste: from_milli(waste),
            unexplained: from_milli(unexplained),
            actual_usage: from_milli(actual),
            variance: from_milli(var),
            variance_cost: var_cost,
        });
    }
    Ok(VarianceReport { from, to, items, variance_cost: total_cost })
}

/// Each menu item's ingredient cost against its price.
pub async fn food_cost(actor: &Actor, state: &AppState) -> ApiResult<Vec<FoodCostLine>> {
    actor.require(Permission::InventoryRead)?;
    let rid = actor.rid();
    let costs: HashMap<Uuid, i64> =
        store::items(&state.db, rid).await?.into_iter().map(|i| (i.id, i.unit_cost)).collect();
    let mut portion: BTreeMap<Uuid, i64> = BTreeMap::new();
    for r in store::all_recipes(&state.db, rid).await?.iter().filter(|r| r.option_id.is_none()) {
        *portion.entry(r.menu_item_id).or_default() +=
            cost_of(r.quantity, costs.get(&r.inventory_item_id).copied().unwrap_or(0));
    }
    let items = menu_store::all_items(&state.db, rid).await?;
    let mut out: Vec<FoodCostLine> = items
        .into_iter()
        .filter_map(|i| {
            let cost = *portion.get(&i.id)?;
            Some(FoodCostLine {
                menu_item_id: i.id,
                name: i.name,
                price: i.price,
                portion_cost: cost,
                food_cost_percent: brigade_domain::money::percent(cost, i.price),
            })
        })
        .collect();
    out.sort_by(|a, b| b.food_cost_percent.partial_cmp(&a.food_cost_percent).unwrap_or(std::cmp::Ordering::Equal));
    Ok(out)
}
