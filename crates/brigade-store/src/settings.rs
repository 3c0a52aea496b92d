//! Server-wide settings kept in the database, so that every node of a deployment shares
//! them: today the key access tokens are signed with, made on first start.

use crate::{on_db, on_tx, Db, Result, System};

pub async fn get(db: &Db, key: &str) -> Result<Option<String>> {
    on_db!(db, System::Admin, |c| sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(c)
        .await)
}

/// Returns the stored value for `key`, storing `make()` first if there is none. Two
/// nodes racing here agree on whichever value committed first.
pub async fn get_or_init(db: &Db, key: &str, make: impl FnOnce() -> String) -> Result<String> {
    if let Some(v) = get(db, key).await? {
        return Ok(v);
    }
    let mut tx = db.begin(System::Admin).await?;
    let value = make();
    on_tx!(&mut tx, |c| sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(&value)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    let stored: String = on_tx!(&mut tx, |c| sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_one(c)
        .await)?;
    tx.commit().await?;
    Ok(stored)
}
