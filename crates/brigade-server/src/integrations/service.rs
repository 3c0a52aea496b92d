//! The integrations' actions and reads, for every caller (the integrations screen through
//! REST, the assistant's "pause Uber Eats", tests): connections made, changed, tested and
//! removed, a platform store paused or opened, a POS menu imported. A partner that refuses
//! is 502 `platform_refused`, and nothing changes here.

use super::*;

/// Connects a platform to this restaurant; its credentials are sealed and never shown again.
pub async fn connect(actor: &Actor, state: &AppState, mut input: NewIntegration) -> ApiResult<IntegrationView> {
    actor.require(Permission::IntegrationsManage)?;
    let platform = Platform::parse("platform", &input.platform)?;
    let store_id = parse_store_id(&input.store_id)?;
    let name = match input.name.as_deref() {
        Some(n) => parse_name("name", n)?,
        None => platform.title().to_owned(),
    };
    input.config.check()?;
    let (plain, hints) = parse_credentials(platform, &input.credentials)?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let row = IntegrationRow {
        id,
        restaurant_id: actor.rid(),
        platform: platform.as_str().to_owned(),
        name,
        store_id,
        config: DbJson(serde_json::to_value(&input.config).unwrap_or_default()),
        credentials: Some(state.secrets.seal(id, &plain)),
        credential_hints: DbJson(hints),
        status: Status::Active.as_str().to_owned(),
        last_sync_at: None,
        last_success_at: None,
        last_error: None,
        error_count: 0,
        drift: None,
        drift_checked_at: None,
        paused_until: None,
        created_at: now,
        updated_at: now,
        webhooks_refused: 0,
        last_refused_at: None,
    };
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::insert(&mut tx, &row).await? {
        return Err(store_taken());
    }
    let payload = json!({ "platform": row.platform, "store_id": row.store_id, "name": row.name });
    actor.record(&mut tx, "integration.connected", "integration", id, payload, now).await?;
    if platform.takes_menu() {
        crate::outbox::enqueue_menu(&mut tx, actor.rid(), id, "connected", now).await?;
    }
    tx.commit().await?;
    state.wake_sync();
    Ok(view(state, row))
}

/// The restaurant's integrations and how each is doing.
pub async fn integrations(actor: &Actor, state: &AppState) -> ApiResult<Vec<IntegrationView>> {
    actor.require(Permission::IntegrationsRead)?;
    let rows = store::list(&state.db, actor.rid()).await?;
    Ok(rows.into_iter().map(|r| view(state, r)).collect())
}

/// One integration.
pub async fn get(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<IntegrationView> {
    actor.require(Permission::IntegrationsRead)?;
    let row = store::get(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("integration"))?;
    Ok(view(state, row))
}

/// Renames, repoints, pauses or resumes an integration, or replaces its credentials or settings.
pub async fn update(
    actor: &Actor,
    state: &AppState,
    id: Uuid,
    mut input: IntegrationChange,
) -> ApiResult<IntegrationView> {
    actor.require(Permission::IntegrationsManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut row = store::get_tx(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("integration"))?;
    let platform = Platform::parse("platform", &row.platform)?;
    let mut resync = false;
    let mut changed = Vec::new();
    if let Some(n) = &input.name {
        row.name = parse_name("name", n)?;
        changed.push("name");
    }
    if let Some(s) = &input.store_id {
        let s = parse_store_id(s)?;
        resync |= s != row.store_id;
        row.store_id = s;
        changed.push("store_id");
    }
    if let Some(c) = &mut input.config {
        c.check()?;
        row.config = DbJson(serde_json::to_value(c).unwrap_or_default());
        changed.push("config");
    }
    if let Some(c) = &input.credentials {
        let (plain, hints) = parse_credentials(platform, c)?;
        row.credentials = Some(state.secrets.seal(row.id, &plain));
        row.credential_hints = DbJson(hints);
        resync = true;
        changed.push("credentials");
    }
    if let Some(s) = input.status.as_deref() {
        let to = match s {
            "paused" => Status::Paused,
            "active" => Status::Active,
            _ => return Err(ApiError::validation("status", "set 'paused' or 'active'")),
        };
        if to == Status::Active && row.status != Status::Active.as_str() {
            resync = true;
            row.error_count = 0;
            row.last_error = None;
        }
        row.status = to.as_str().to_owned();
        changed.push("status");
    }
    row.updated_at = now;
    if !store::update(&mut tx, &row).await? {
        return Err(store_taken());
    }
    actor.record(&mut tx, "integration.updated", "integration", row.id, json!({ "changed": changed }), now).await?;
    if resync && platform.takes_menu() && row.status != Status::Paused.as_str() {
        crate::outbox::enqueue_menu(&mut tx, actor.rid(), row.id, "settings changed", now).await?;
    }
    tx.commit().await?;
    state.integrations.forget(row.id);
    state.wake_sync();
    Ok(view(state, row))
}

/// Disconnects an integration; its pending pushes are dropped.
pub async fn disconnect(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<()> {
    actor.require(Permission::IntegrationsManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::delete(&mut tx, actor.rid(), id, now).await? {
        return Err(ApiError::not_found("integration"));
    }
    actor.record(&mut tx, "integration.disconnected", "integration", id, json!({}), now).await?;
    tx.commit().await?;
    state.integrations.forget(id);
    Ok(())
}

/// Tries the connection with the platform and records what it said.
pub async fn test(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<TestResult> {
    actor.require(Permission::IntegrationsManage)?;
    let row = store::get(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("integration"))?;
    let adapter = adapter(state, &row)?;
    let result = adapter.test().await;
    let now = state.clock.now();
    let (ok, message) = match &result {
        Ok(m) => (true, m.clone()),
        Err(e) => (false, e.to_string()),
    };
    match &result {
        Ok(_) => store::record_success(&state.db, row.id, now).await?,
        Err(e) => {
            let status = matches!(e, platform::PlatformError::Unauthorized(_) | platform::PlatformError::Rejected(_))
                .then_some(Status::Error.as_str());
            store::record_failure(&state.db, row.id, &message, status, None, now).await?
        }
    }
    let mut tx = state.db.begin(actor.rid()).await?;
    actor
        .record(&mut tx, "integration.tested", "integration", row.id, json!({ "ok": ok, "message": message }), now)
        .await?;
    tx.commit().await?;
    let row = store::get(&state.db, actor.rid(), row.id).await?.ok_or_else(|| ApiError::not_found("integration"))?;
    Ok(TestResult { ok, message, integration: view(state, row) })
}

/// Pauses or opens the restaurant's store on the platform.
pub async fn set_store(actor: &Actor, state: &AppState, id: Uuid, input: StoreInput) -> ApiResult<StoreResult> {
    actor.require(Permission::IntegrationsManage)?;
    let row = store::get(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("integration"))?;
    let adapter = adapter(state, &row)?;
    let why = brigade_domain::caps::parse_reason("reason", input.reason.as_deref())?
        .unwrap_or_else(|| "paused from Brigade".to_owned());
    let now = state.clock.now();
    if let Err(e) = adapter.set_store_open(input.open, &why).await {
        return Err(ApiError::Upstream { code: crate::error::ErrorCode::PlatformRefused, message: e.to_string() });
    }
    let mut tx = state.db.begin(actor.rid()).await?;
    let kind = if input.open { "integration.store_opened" } else { "integration.store_paused" };
    actor.record(&mut tx, kind, "integration", row.id, json!({ "platform": row.platform, "reason": why }), now).await?;
    tx.commit().await?;
    let word = if input.open { "open" } else { "paused" };
    let message = format!("{} store {} is {word}", adapter.kind().title(), row.store_id);
    Ok(StoreResult { open: input.open, message })
}

/// Brings a Square catalog into Brigade's menu (again: updates what was imported).
pub async fn import_menu(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<ImportResult> {
    actor.require(Permission::IntegrationsManage)?;
    actor.require(Permission::MenuWrite)?;
    let row = store::get(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("integration"))?;
    if row.platform != Platform::Square.as_str() {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::NotImportable,
            "only a Square catalog can be imported",
        ));
    }
    let sealed = row.credentials.as_deref().ok_or(Unusable::NoCredentials)?;
    let plain = state.secrets.open(row.id, sealed).map_err(|_| Unusable::Unreadable)?;
    let credentials: square::Credentials =
        serde_json::from_slice(&plain).map_err(|_| Unusable::Malformed(Platform::Square.title()))?;
    let client = square::Square {
        http: state.integrations.http.clone(),
        base_url: state.config.square_base_url.clone(),
        store_id: row.store_id.clone(),
        credentials,
        throttle: state.integrations.throttle(row.id, DEFAULT_RATE),
        notification_url: webhook_url(state, &row),
        catalog: square::catalog_map(&row.config.0),
    };
    let objects = match client.catalog().await {
        Ok(o) => o,
        Err(e) => {
            return Err(ApiError::Upstream { code: crate::error::ErrorCode::PlatformRefused, message: e.to_string() })
        }
    };
    let entries = square::entries(&objects);
    let items = entries
        .iter()
        .map(|e| crate::menu::ImportedItem {
            existing: client.catalog.get(&e.variation_id).copied(),
            category: e.category.clone(),
            name: e.name.clone(),
            description: e.description.clone(),
            price: e.price,
        })
        .collect();
    let done = crate::menu::import_items(state, actor, "square", items).await?;
    let mut map = client.catalog.clone();
    for (e, id) in entries.iter().zip(&done.items) {
        map.insert(e.variation_id.clone(), *id);
    }
    let mut config = row.config.0.clone();
    config["catalog_map"] = square::catalog_map_json(&map);
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut updated = row.clone();
    updated.config = DbJson(config);
    updated.updated_at = now;
    store::update(&mut tx, &updated).await?;
    tx.commit().await?;
    Ok(ImportResult {
        read: entries.len(),
        created: done.created,
        updated: done.updated,
        categories_created: done.categories_created,
    })
}
