//! Outgoing webhooks' actions and reads, for every caller (the integrations screen through
//! REST, the assistant, tests): subscriptions made, changed and removed, their delivery
//! log, a delivery sent again, a ping. The secret is shown once, when it is made.

use super::*;

/// Subscribes an address to event types; the answer holds the signing secret, shown once.
pub async fn subscribe(actor: &Actor, state: &AppState, input: NewSubscription) -> ApiResult<SubscriptionView> {
    actor.require(Permission::IntegrationsManage)?;
    let url = parse_url(&input.url)?;
    let types = parse_types(&input.event_types)?;
    let description = parse_description(input.description.as_deref())?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let (secret, sealed, hint) = make_secret(state, id);
    let mut tx = state.db.begin(actor.rid()).await?;
    // Events already written are not sent: the subscription starts now.
    let after_event = events::max_id_tx(&mut tx).await?;
    let row = SubscriptionRow {
        id,
        restaurant_id: actor.rid(),
        url,
        description,
        event_types: DbJson(types),
        secret: sealed,
        secret_hint: hint,
        status: "active".into(),
        after_event,
        created_at: now,
        updated_at: now,
    };
    store::insert(&mut tx, &row).await?;
    let payload = json!({ "url": row.url, "event_types": row.event_types.0 });
    actor.record(&mut tx, "webhook.subscribed", "webhook_subscription", id, payload, now).await?;
    tx.commit().await?;
    Ok(view(row, Some(secret)))
}

/// The restaurant's webhook subscriptions.
pub async fn subscriptions(actor: &Actor, state: &AppState) -> ApiResult<Vec<SubscriptionView>> {
    actor.require(Permission::IntegrationsRead)?;
    let rows = store::list(&state.db, actor.rid()).await?;
    Ok(rows.into_iter().map(|r| view(r, None)).collect())
}

/// One subscription.
pub async fn get(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<SubscriptionView> {
    actor.require(Permission::IntegrationsRead)?;
    Ok(view(subscription(state, actor, id).await?, None))
}

/// Changes a subscription: its address, types, description, pause or resume, a new secret.
pub async fn update(
    actor: &Actor,
    state: &AppState,
    id: Uuid,
    input: SubscriptionChange,
) -> ApiResult<SubscriptionView> {
    actor.require(Permission::IntegrationsManage)?;
    let mut row = subscription(state, actor, id).await?;
    let mut changed = Vec::new();
    if let Some(u) = &input.url {
        row.url = parse_url(u)?;
        changed.push("url");
    }
    if let Some(t) = &input.event_types {
        row.event_types = DbJson(parse_types(t)?);
        changed.push("event_types");
    }
    if input.description.is_some() {
        row.description = parse_description(input.description.as_deref())?;
        changed.push("description");
    }
    if let Some(s) = input.status.as_deref() {
        if !matches!(s, "active" | "paused") {
            return Err(ApiError::validation("status", "set 'active' or 'paused'"));
        }
        row.status = s.to_owned();
        changed.push("status");
    }
    let mut secret = None;
    if input.rotate_secret {
        let (plain, sealed, hint) = make_secret(state, row.id);
        row.secret = sealed;
        row.secret_hint = hint;
        secret = Some(plain);
        changed.push("secret");
    }
    let now = state.clock.now();
    row.updated_at = now;
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::update(&mut tx, &row).await? {
        return Err(ApiError::not_found("webhook subscription"));
    }
    actor
        .record(&mut tx, "webhook.updated", "webhook_subscription", row.id, json!({ "changed": changed }), now)
        .await?;
    tx.commit().await?;
    Ok(view(row, secret))
}

/// Removes a subscription; what it had not delivered is dropped.
pub async fn unsubscribe(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<()> {
    actor.require(Permission::IntegrationsManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::delete(&mut tx, actor.rid(), id, now).await? {
        return Err(ApiError::not_found("webhook subscription"));
    }
    actor.record(&mut tx, "webhook.unsubscribed", "webhook_subscription", id, json!({}), now).await?;
    tx.commit().await?;
    Ok(())
}

/// A subscription's delivery log, newest first.
pub async fn deliveries(actor: &Actor, state: &AppState, id: Uuid, p: DeliveryParams) -> ApiResult<Vec<DeliveryView>> {
    actor.require(Permission::IntegrationsRead)?;
    subscription(state, actor, id).await?;
    if let Some(s) = p.status.as_deref() {
        if !matches!(s, "pending" | "sending" | "succeeded" | "dead") {
            return Err(ApiError::validation("status", "pending, sending, succeeded or dead"));
        }
    }
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let rows = store::deliveries(&state.db, actor.rid(), id, p.status.as_deref(), limit).await?;
    Ok(rows.into_iter().map(delivery_view).collect())
}

/// Sends a delivery again now, and retries it for another day.
pub async fn replay(actor: &Actor, state: &AppState, sub: Uuid, id: Uuid) -> ApiResult<DeliveryView> {
    actor.require(Permission::IntegrationsManage)?;
    subscription(state, actor, sub).await?;
    let found = store::delivery(&state.db, actor.rid(), id).await?.filter(|d| d.subscription_id == sub);
    if found.is_none() {
        return Err(ApiError::not_found("delivery"));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    store::replay(&mut tx, actor.rid(), id, now + RETRY_FOR, now).await?;
    actor.record(&mut tx, "webhook.replayed", "webhook_delivery", id, json!({ "subscription_id": sub }), now).await?;
    tx.commit().await?;
    state.wake_workers();
    let d = store::delivery(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("delivery"))?;
    Ok(delivery_view(d))
}

/// Sends a `webhook.ping` to one subscription, to try the receiver.
pub async fn ping(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<DeliveryView> {
    actor.require(Permission::IntegrationsManage)?;
    let sub = subscription(state, actor, id).await?;
    let now = state.clock.now();
    // A ping is no event of the log: it takes a negative event id of its own.
    let event_id = -now.timestamp_micros();
    let id = Uuid::now_v7();
    let payload = body(id, event_id, "webhook.ping", now, sub.restaurant_id, json!({ "subscription_id": sub.id }));
    let d = new_delivery(id, &sub, event_id, "webhook.ping", payload, now);
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert_deliveries(&mut tx, std::slice::from_ref(&d)).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(delivery_view(d))
}
