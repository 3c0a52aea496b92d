//! Guests of a restaurant group (see migration 0020). Phone numbers and email addresses
//! arrive here already sealed and hashed by the server; nothing in this module sees them
//! in the clear.
//!
//! Every function takes the group and filters by it, so a customer of another group is
//! never read, on SQLite as on PostgreSQL (where row-level security also walls it).

use crate::orders::{OrderRow, ORDER_SELECT};
use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerRow {
    pub id: Uuid,
    pub group_id: Uuid,
    pub name: Option<String>,
    pub phone_sealed: Option<Vec<u8>>,
    pub phone_hash: Option<String>,
    pub phone_last4: Option<String>,
    pub email_sealed: Option<Vec<u8>>,
    pub email_hash: Option<String>,
    pub notes: Option<String>,
    pub tags: Json<Vec<String>>,
    pub marketing_consent: bool,
    pub consent_at: Option<DateTime<Utc>>,
    pub consent_channel: Option<String>,
    pub consent_restaurant_id: Option<Uuid>,
    pub first_order_at: Option<DateTime<Utc>>,
    pub last_order_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, group_id, name, phone_sealed, phone_hash, phone_last4, email_sealed, email_hash, notes, tags,
    marketing_consent, consent_at, consent_channel, consent_restaurant_id, first_order_at, last_order_at, created_at,
    updated_at";

/// A sealed contact detail with the keyed hash it is found by.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub hash: String,
    pub sealed: Vec<u8>,
}

/// What an order says of its guest, ready to link: found by the phone's hash, else the
/// email's; made when neither is known.
#[derive(Debug, Clone)]
pub struct Contact {
    pub group_id: Uuid,
    pub name: Option<String>,
    pub phone: Option<Sealed>,
    pub phone_last4: Option<String>,
    pub email: Option<Sealed>,
    /// Some(true): the guest ticked the box; Some(false): they unticked it; None: not asked.
    pub marketing_consent: Option<bool>,
    pub channel: String,
    pub restaurant_id: Uuid,
}

impl Contact {
    pub fn identifies(&self) -> bool {
        self.phone.is_some() || self.email.is_some()
    }
}

fn lower(name: Option<&str>) -> Option<String> {
    name.map(str::to_lowercase)
}

/// The customer an order's guest is, if they are one already.
pub async fn find_tx(tx: &mut Tx, c: &Contact) -> Result<Option<Uuid>> {
    find(tx, c).await
}

async fn find(tx: &mut Tx, c: &Contact) -> Result<Option<Uuid>> {
    // The number first, then the address: one indexed lookup each. (One query with
    // `phone_hash = $2 OR email_hash = $3` read every customer of the group on SQLite,
    // and halved the order path's throughput at 6,000 guests.)
    if let Some(phone) = &c.phone {
        const SQL: &str = "SELECT id FROM customers WHERE group_id = $1 AND phone_hash = $2";
        let found = on_tx!(tx, |x| sqlx::query_scalar(SQL).bind(c.group_id).bind(&phone.hash).fetch_optional(x).await)?;
        if found.is_some() {
            return Ok(found);
        }
    }
    match &c.email {
        Some(email) => {
            const SQL: &str =
                "SELECT id FROM customers WHERE group_id = $1 AND email_hash = $2 ORDER BY created_at, id LIMIT 1";
            on_tx!(tx, |x| sqlx::query_scalar(SQL).bind(c.group_id).bind(&email.hash).fetch_optional(x).await)
        }
        None => Ok(None),
    }
}

/// The customer an order's guest is, made or brought up to date at `at`: a name given
/// replaces the one kept, a phone or email the profile lacks is added, consent follows
/// the guest's latest answer. Two orders of one new guest at the same moment make one
/// customer (the unique phone hash; the second finds the first's row).
pub async fn link(tx: &mut Tx, c: &Contact, at: DateTime<Utc>) -> Result<Uuid> {
    if let Some(id) = touch_found(tx, c, at).await? {
        return Ok(id);
    }
    let id = Uuid::now_v7();
    let consent = c.marketing_consent == Some(true);
    let sql = format!(
        "INSERT INTO customers ({COLUMNS}, search_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, '[]', $9, $10, $11, $12,
         $13, $13, $13, $13, $14) ON CONFLICT DO NOTHING"
    );
    let n = on_tx!(tx, |x| sqlx::query(&sql)
        .bind(id)
        .bind(c.group_id)
        .bind(&c.name)
        .bind(c.phone.as_ref().map(|s| &s.sealed))
        .bind(c.phone.as_ref().map(|s| &s.hash))
        .bind(&c.phone_last4)
        .bind(c.email.as_ref().map(|s| &s.sealed))
        .bind(c.email.as_ref().map(|s| &s.hash))
        .bind(consent)
        .bind(consent.then(|| stored_time(at)))
        .bind(consent.then_some(c.channel.as_str()))
        .bind(consent.then_some(c.restaurant_id))
        .bind(stored_time(at))
        .bind(lower(c.name.as_deref()))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 1 {
        return Ok(id);
    }
    // Another order made this guest's profile first.
    match touch_found(tx, c, at).await? {
        Some(id) => Ok(id),
        // The row that refused ours is always visible once its transaction is over.
        None => Err(sqlx::Error::RowNotFound),
    }
}

/// Brings the guest's profile up to date (see [`touch`]) when there is one, found by the
/// number, then by the address, in the statement that updates it: one round trip for a
/// returning guest, where a lookup and an update took two.
async fn touch_found(tx: &mut Tx, c: &Contact, at: DateTime<Utc>) -> Result<Option<Uuid>> {
    if let Some(phone) = &c.phone {
        let by = "(SELECT id FROM customers WHERE group_id = $2 AND phone_hash = $1)";
        if let Some(id) = touch(tx, by, &phone.hash, c, at).await? {
            return Ok(Some(id));
        }
    }
    match &c.email {
        Some(email) => {
            let by =
                "(SELECT id FROM customers WHERE group_id = $2 AND email_hash = $1 ORDER BY created_at, id LIMIT 1)";
            touch(tx, by, &email.hash, c, at).await
        }
        None => Ok(None),
    }
}

/// Updates the customer `by` finds (a subquery of the hash `$1` and the group `$2`): a
/// name given replaces the one kept, a phone or email the profile lacks is added unless
/// another profile of the group has it (then the two are for a person to merge), consent
/// follows the guest's latest answer. Returns its id.
async fn touch(tx: &mut Tx, by: &str, hash: &str, c: &Contact, at: DateTime<Utc>) -> Result<Option<Uuid>> {
    let sql = format!(
        "UPDATE customers SET
        name = COALESCE($3, name), search_name = COALESCE($4, search_name),
        phone_sealed = CASE WHEN phone_hash IS NULL AND $6 IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.group_id = $2 AND o.phone_hash = $6) THEN $5 ELSE phone_sealed END,
        phone_last4 = CASE WHEN phone_hash IS NULL AND $6 IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.group_id = $2 AND o.phone_hash = $6) THEN $7 ELSE phone_last4 END,
        phone_hash = CASE WHEN phone_hash IS NULL AND $6 IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.group_id = $2 AND o.phone_hash = $6) THEN $6 ELSE phone_hash END,
        email_sealed = CASE WHEN email_hash IS NULL AND $9 IS NOT NULL THEN $8 ELSE email_sealed END,
        email_hash = CASE WHEN email_hash IS NULL AND $9 IS NOT NULL THEN $9 ELSE email_hash END,
        marketing_consent = CASE WHEN $10 IS NULL THEN marketing_consent ELSE $10 END,
        consent_at = CASE WHEN $10 IS NULL OR $10 = marketing_consent THEN consent_at ELSE $11 END,
        consent_channel = CASE WHEN $10 IS NULL OR $10 = marketing_consent THEN consent_channel ELSE $12 END,
        consent_restaurant_id = CASE WHEN $10 IS NULL OR $10 = marketing_consent THEN consent_restaurant_id ELSE $13 END,
        first_order_at = COALESCE(first_order_at, $11),
        last_order_at = CASE WHEN last_order_at IS NULL OR last_order_at < $11 THEN $11 ELSE last_order_at END,
        updated_at = $11
        WHERE group_id = $2 AND id = {by} RETURNING id"
    );
    on_tx!(tx, |x| sqlx::query_scalar(&sql)
        .bind(hash)
        .bind(c.group_id)
        .bind(&c.name)
        .bind(lower(c.name.as_deref()))
        .bind(c.phone.as_ref().map(|s| &s.sealed))
        .bind(c.phone.as_ref().map(|s| &s.hash))
        .bind(&c.phone_last4)
        .bind(c.email.as_ref().map(|s| &s.sealed))
        .bind(c.email.as_ref().map(|s| &s.hash))
        .bind(c.marketing_consent)
        .bind(stored_time(at))
        .bind(&c.channel)
        .bind(c.restaurant_id)
        .fetch_optional(x)
        .await)
}

pub async fn get(db: &Db, rid: Uuid, group_id: Uuid, id: Uuid) -> Result<Option<CustomerRow>> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE id = $1 AND group_id = $2");
    on_db!(db, rid, |x| sqlx::query_as::<_, CustomerRow>(&sql).bind(id).bind(group_id).fetch_optional(x).await)
}

pub async fn get_tx(tx: &mut Tx, group_id: Uuid, id: Uuid) -> Result<Option<CustomerRow>> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE id = $1 AND group_id = $2");
    on_tx!(tx, sqlite: sql.clone(), postgres: format!("{sql} FOR UPDATE"), |x, text| sqlx::query_as::<_, CustomerRow>(&text)
        .bind(id)
        .bind(group_id)
        .fetch_optional(x)
        .await)
}

/// A customer read in `tx` without locking it (what a message to them needs).
pub async fn read_tx(tx: &mut Tx, group_id: Uuid, id: Uuid) -> Result<Option<CustomerRow>> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE id = $1 AND group_id = $2");
    on_tx!(tx, |x| sqlx::query_as::<_, CustomerRow>(&sql).bind(id).bind(group_id).fetch_optional(x).await)
}

/// A customer by id alone, whichever group (a message's job, in system scope).
pub async fn by_id_tx(tx: &mut Tx, id: Uuid) -> Result<Option<CustomerRow>> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE id = $1");
    on_tx!(tx, |x| sqlx::query_as::<_, CustomerRow>(&sql).bind(id).fetch_optional(x).await)
}

/// The customer with this phone (or email) hash.
pub async fn by_hash(db: &Db, rid: Uuid, group_id: Uuid, kind: Kind, hash: &str) -> Result<Option<CustomerRow>> {
    let column = kind.column();
    let sql = format!(
        "SELECT {COLUMNS} FROM customers WHERE group_id = $1 AND {column} = $2 ORDER BY created_at, id LIMIT 1"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, CustomerRow>(&sql).bind(group_id).bind(hash).fetch_optional(x).await)
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Phone,
    Email,
}

impl Kind {
    fn column(self) -> &'static str {
        match self {
            Kind::Phone => "phone_hash",
            Kind::Email => "email_hash",
        }
    }
}

/// How a list of customers is narrowed.
pub enum Find<'a> {
    All,
    /// A LIKE pattern (lower case, `\` escapes) over the name.
    Name(&'a str),
    Hash(Kind, &'a str),
}

/// A group's customers, most recent guests first (by their last order), after the cursor
/// `(last_order_at, id)`.
pub async fn list(
    db: &Db,
    rid: Uuid,
    group_id: Uuid,
    find: Find<'_>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<CustomerRow>> {
    // On SQLite a name of three characters or more with nothing to escape is found
    // through the trigram index, driving the query from its matches.
    if let (Find::Name(p), crate::Backend::Sqlite) = (&find, db.backend()) {
        let inner = p.trim_matches('%');
        if inner.chars().count() >= 3 && !inner.contains('\\') {
            let columns = COLUMNS.split(',').map(|c| format!("c.{}", c.trim())).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT {columns} FROM customer_names f JOIN customers c ON c.id = f.id
                 WHERE f.search_name LIKE $2 AND c.group_id = $1
                 AND ($3 IS NULL OR c.last_order_at < $3 OR (c.last_order_at = $3 AND c.id < $4))
                 ORDER BY c.last_order_at DESC, c.id DESC LIMIT $5"
            );
            return on_db!(db, rid, |x| sqlx::query_as::<_, CustomerRow>(&sql)
                .bind(group_id)
                .bind(p.to_owned())
                .bind(after.map(|(t, _)| stored_time(t)))
                .bind(after.map(|(_, id)| id))
                .bind(limit)
                .fetch_all(x)
                .await);
        }
    }
    let (filter, value) = match find {
        Find::All => ("$2 IS NULL", None),
        Find::Name(p) => ("search_name LIKE $2 ESCAPE '\\'", Some(p)),
        Find::Hash(Kind::Phone, h) => ("phone_hash = $2", Some(h)),
        Find::Hash(Kind::Email, h) => ("email_hash = $2", Some(h)),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM customers WHERE group_id = $1 AND {filter}
         AND ($3 IS NULL OR last_order_at < $3 OR (last_order_at = $3 AND id < $4))
         ORDER BY last_order_at DESC, id DESC LIMIT $5"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, CustomerRow>(&sql)
        .bind(group_id)
        .bind(value)
        .bind(after.map(|(t, _)| stored_time(t)))
        .bind(after.map(|(_, id)| id))
        .bind(limit)
        .fetch_all(x)
        .await)
}

/// What a customer's orders come to, across the group's restaurants.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Totals {
    pub customer_id: Uuid,
    /// Orders not cancelled.
    pub visits: i64,
    /// What completed orders came to, less what was refunded on them.
    pub total_spent: i64,
    pub completed: i64,
}

pub async fn totals(db: &Db, ids: &[Uuid]) -> Result<Vec<Totals>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT customer_id,
            CAST(COALESCE(SUM(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END), 0) AS BIGINT) AS visits,
            CAST(COALESCE(SUM(CASE WHEN status = 'completed' AND COALESCE(payment_status, '') <> 'refunded' THEN total
                ELSE 0 END), 0) AS BIGINT) AS total_spent,
            CAST(COALESCE(SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS completed
         FROM orders WHERE customer_id IN ({}) GROUP BY customer_id",
        crate::placeholders(ids.len(), 1)
    );
    on_db!(db, System::Guests, |x| {
        let mut q = sqlx::query_as::<_, Totals>(&sql);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(x).await
    })
}

/// A customer's orders across the group, newest first, before the cursor.
pub async fn orders(db: &Db, customer_id: Uuid, before: Option<Uuid>, limit: i64) -> Result<Vec<OrderRow>> {
    let sql = format!(
        "SELECT {ORDER_SELECT} FROM orders WHERE customer_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
    );
    on_db!(db, System::Guests, |x| sqlx::query_as::<_, OrderRow>(&sql)
        .bind(customer_id)
        .bind(before)
        .bind(limit)
        .fetch_all(x)
        .await)
}

/// An item a customer orders most, by quantity over their orders not cancelled.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Favourite {
    pub item_id: Uuid,
    pub name: String,
    pub quantity: i64,
}

pub async fn favourites(db: &Db, customer_id: Uuid, limit: i64) -> Result<Vec<Favourite>> {
    const SQL: &str = "SELECT l.item_id, MAX(l.name) AS name, CAST(SUM(l.quantity) AS BIGINT) AS quantity
        FROM order_items l JOIN orders o ON o.id = l.order_id
        WHERE o.customer_id = $1 AND o.status <> 'cancelled' AND l.voided_at IS NULL
        GROUP BY l.item_id ORDER BY SUM(l.quantity) DESC, MAX(l.name) LIMIT $2";
    on_db!(db, System::Guests, |x| sqlx::query_as::<_, Favourite>(SQL).bind(customer_id).bind(limit).fetch_all(x).await)
}

/// What staff may change on a profile.
pub async fn update_profile(tx: &mut Tx, c: &CustomerRow, at: DateTime<Utc>) -> Result<()> {
    const SQL: &str = "UPDATE customers SET name = $3, search_name = $4, notes = $5, tags = $6, marketing_consent = $7,
        consent_at = $8, consent_channel = $9, consent_restaurant_id = $10, updated_at = $11
        WHERE id = $1 AND group_id = $2";
    on_tx!(tx, |x| sqlx::query(SQL)
        .bind(c.id)
        .bind(c.group_id)
        .bind(&c.name)
        .bind(lower(c.name.as_deref()))
        .bind(&c.notes)
        .bind(&c.tags)
        .bind(c.marketing_consent)
        .bind(c.consent_at.map(stored_time))
        .bind(&c.consent_channel)
        .bind(c.consent_restaurant_id)
        .bind(stored_time(at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Folds `gone` into `keep` (both of one group, read in this transaction): `gone`'s
/// orders become `keep`'s, `keep` takes what it lacks of `gone`'s (a phone, an email,
/// notes, tags, consent), and `gone` is deleted. `merged` is `keep` as it is to be saved.
pub async fn merge(tx: &mut Tx, merged: &CustomerRow, gone: Uuid, at: DateTime<Utc>) -> Result<u64> {
    let moved = on_tx!(tx, |x| sqlx::query("UPDATE orders SET customer_id = $1 WHERE customer_id = $2")
        .bind(merged.id)
        .bind(gone)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    on_tx!(tx, |x| sqlx::query("UPDATE loyalty_ledger SET customer_id = $1 WHERE customer_id = $2")
        .bind(merged.id)
        .bind(gone)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    crate::promotions::move_customer(tx, gone, merged.id).await?;
    // The unique phone hash: `gone` leaves before `keep` takes its number.
    on_tx!(tx, |x| sqlx::query("DELETE FROM customers WHERE id = $1 AND group_id = $2")
        .bind(gone)
        .bind(merged.group_id)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    const SQL: &str = "UPDATE customers SET phone_sealed = $3, phone_hash = $4, phone_last4 = $5, email_sealed = $6,
        email_hash = $7, first_order_at = $8, last_order_at = $9, updated_at = $10 WHERE id = $1 AND group_id = $2";
    on_tx!(tx, |x| sqlx::query(SQL)
        .bind(merged.id)
        .bind(merged.group_id)
        .bind(&merged.phone_sealed)
        .bind(&merged.phone_hash)
        .bind(&merged.phone_last4)
        .bind(&merged.email_sealed)
        .bind(&merged.email_hash)
        .bind(merged.first_order_at.map(stored_time))
        .bind(merged.last_order_at.map(stored_time))
        .bind(stored_time(at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    update_profile(tx, merged, at).await?;
    Ok(moved)
}

/// Erases a customer: the profile goes; their orders keep their money and items but
/// lose who the guest was (the name, the masked number, the address, the link), their
/// feedback loses its words, and the log's copies of those orders lose the guest too.
/// Returns how many orders were kept for the books. In a transaction of scope
/// [`System::Guests`], since the orders span the group.
pub async fn erase(tx: &mut Tx, group_id: Uuid, id: Uuid) -> Result<u64> {
    crate::messages::erase_customer(tx, id).await?;
    // A use of a promotion still counts towards its total; it no longer names anyone.
    on_tx!(tx, |x| sqlx::query("UPDATE promotion_uses SET customer_id = NULL WHERE customer_id = $1")
        .bind(id)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    on_tx!(tx, |x| sqlx::query(
        "UPDATE feedback SET comment = NULL WHERE order_id IN (SELECT o.id FROM orders o WHERE o.customer_id = $1)"
    )
    .bind(id)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    on_tx!(tx, sqlite: "UPDATE events SET payload = json_remove(payload, '$.customer')
            WHERE entity = 'order' AND entity_id IN (SELECT o.id FROM orders o WHERE o.customer_id = $1)
            AND json_type(payload, '$.customer') IS NOT NULL",
        postgres: "UPDATE events SET payload = payload - 'customer'
            WHERE entity = 'order' AND entity_id IN (SELECT o.id FROM orders o WHERE o.customer_id = $1)
            AND payload ? 'customer'",
        |x, sql| sqlx::query(sql).bind(id).execute(x).await.map(|r| r.rows_affected()))?;
    let orders =
        on_tx!(tx, |x| sqlx::query("UPDATE orders SET customer = NULL, customer_id = NULL WHERE customer_id = $1")
            .bind(id)
            .execute(x)
            .await
            .map(|r| r.rows_affected()))?;
    on_tx!(tx, |x| sqlx::query("DELETE FROM customers WHERE id = $1 AND group_id = $2")
        .bind(id)
        .bind(group_id)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(orders)
}

/// Customers whose last order is before `cutoff` (a retention period's end), any group.
pub async fn idle_since(db: &Db, group_id: Uuid, cutoff: DateTime<Utc>, limit: i64) -> Result<Vec<Uuid>> {
    const SQL: &str =
        "SELECT id FROM customers WHERE group_id = $1 AND last_order_at < $2 ORDER BY last_order_at LIMIT $3";
    on_db!(db, System::Guests, |x| sqlx::query_scalar(SQL)
        .bind(group_id)
        .bind(stored_time(cutoff))
        .bind(limit)
        .fetch_all(x)
        .await)
}

/// Orders still holding a guest's phone number in the clear (written before customers
/// existed), oldest first: what the upgrade seals.
pub async fn orders_with_plain_phone(db: &Db, limit: i64) -> Result<Vec<OrderRow>> {
    let sql = format!(
        "SELECT {ORDER_SELECT} FROM orders WHERE customer_id IS NULL AND customer IS NOT NULL
         AND {} ORDER BY id LIMIT $1",
        match db.backend() {
            crate::Backend::Sqlite => "json_extract(customer, '$.phone') NOT LIKE '••••%'",
            crate::Backend::Postgres => "customer->>'phone' NOT LIKE '••••%'",
        }
    );
    on_db!(db, System::Guests, |x| sqlx::query_as::<_, OrderRow>(&sql).bind(limit).fetch_all(x).await)
}

/// Sets what an order says of its guest and its customer.
pub async fn set_order_guest(
    tx: &mut Tx,
    order_id: Uuid,
    customer: Option<&serde_json::Value>,
    customer_id: Option<Uuid>,
) -> Result<()> {
    on_tx!(tx, |x| sqlx::query("UPDATE orders SET customer = $2, customer_id = $3 WHERE id = $1")
        .bind(order_id)
        .bind(customer.map(Json))
        .bind(customer_id)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Rewrites what the event log's copies of an order say of its guest (`None`: nothing).
pub async fn rewrite_logged_guest(tx: &mut Tx, order_id: Uuid, guest: Option<&serde_json::Value>) -> Result<()> {
    match guest {
        Some(g) => on_tx!(tx, sqlite: "UPDATE events SET payload = json_set(payload, '$.customer', json($2))
                WHERE entity = 'order' AND entity_id = $1 AND json_type(payload, '$.customer') IS NOT NULL",
            postgres: "UPDATE events SET payload = jsonb_set(payload, '{customer}', $2::jsonb)
                WHERE entity = 'order' AND entity_id = $1 AND payload ? 'customer'",
            |x, sql| sqlx::query(sql).bind(order_id).bind(g.to_string()).execute(x).await.map(|r| r.rows_affected()))?,
        None => on_tx!(tx, sqlite: "UPDATE events SET payload = json_remove(payload, '$.customer')
                WHERE entity = 'order' AND entity_id = $1",
            postgres: "UPDATE events SET payload = payload - 'customer' WHERE entity = 'order' AND entity_id = $1",
            |x, sql| sqlx::query(sql).bind(order_id).execute(x).await.map(|r| r.rows_affected()))?,
    };
    Ok(())
}
