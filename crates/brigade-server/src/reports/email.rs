//! The daily report by email: a member who reads reports asks for it at a local time,
//! and each morning (or whenever they chose) the last whole business day's report comes
//! from the server's SMTP relay, its headline figures in the text and the PDF attached.
//!
//! Each sending is a job queued for its instant, keyed by the member, the day and the
//! time, so it is queued once however often it is asked for. Running, it first queues
//! the next day's, then sends; an hourly check queues the next sending of every member
//! who has none (a server that was down, a chain broken by a dead job). A job whose time
//! the member has since changed, or a member who may no longer read reports, sends
//! nothing, and a business day is sent a member once whatever times they chose. Sending is at least once: a worker that dies after the relay took the email
//! and before the job is marked done sends it again.

use super::service;
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::jobs::{enqueue, EnqueueOptions, Job};
use crate::messages::mail::Mailer;
use crate::messages::twilio::SendError;
use crate::AppState;
use brigade_domain::auth::{Permission, Role};
use brigade_domain::hours::BusinessDays;
use brigade_domain::menu::local_to_utc;
use brigade_domain::money::Money;
use brigade_store::analytics as store;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A member's daily report email.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyEmailView {
    /// The local time it is sent ("HH:MM"); none when the member gets no email.
    #[schema(example = "07:30")]
    pub send_at: Option<String>,
    /// Where it goes: the member's sign-in address.
    pub to: Option<String>,
    /// When the next one goes, and the business day it reports.
    pub next_at: Option<DateTime<Utc>>,
    pub next_day: Option<NaiveDate>,
    /// Whether this server has an SMTP relay to send it through.
    pub mail_relay: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DailyEmailInput {
    /// The local time to send it, "HH:MM" (24-hour), in the restaurant's zone.
    #[schema(example = "07:30")]
    pub send_at: String,
}

fn parse_time(s: &str) -> ApiResult<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| ApiError::validation("send_at", format!("'{s}' is not a time as HH:MM, 00:00 to 23:59")))
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// The next instant after `now` at local `send_at`, and the business day it reports: the
/// last one to have ended by then.
pub fn next_sending(days: &BusinessDays, send_at: NaiveTime, now: DateTime<Utc>) -> (DateTime<Utc>, NaiveDate) {
    let tz = days.tz;
    let today = now.with_timezone(&tz).date_naive();
    let mut at = local_to_utc(tz, today.and_time(send_at));
    if at <= now {
        at = local_to_utc(tz, today.succ_opt().unwrap_or(today).and_time(send_at));
    }
    let day = days.day_of(at);
    (at, day.pred_opt().unwrap_or(day))
}

async fn view(state: &AppState, rid: Uuid, user: Uuid) -> ApiResult<DailyEmailView> {
    let send_at = store::report_email(&state.db, rid, user).await?;
    let to = brigade_store::users::get(&state.db, user).await?.and_then(|u| u.email);
    let next = match send_at {
        Some(t) => {
            let r = brigade_store::restaurants::get(&state.db, rid)
                .await?
                .ok_or_else(|| ApiError::not_found("restaurant"))?;
            let days = crate::restaurants::business_days(&state.db, &r).await?;
            Some(next_sending(&days, t, state.clock.now()))
        }
        None => None,
    };
    Ok(DailyEmailView {
        send_at: send_at.map(hhmm),
        to,
        next_at: next.map(|n| n.0),
        next_day: next.map(|n| n.1),
        mail_relay: state.config.smtp_url.is_some(),
    })
}

/// The signed-in member's daily report email.
pub async fn get(actor: &Actor, state: &AppState) -> ApiResult<DailyEmailView> {
    actor.require(Permission::ReportsRead)?;
    let user = actor.person()?;
    view(state, actor.rid(), user.0).await
}

/// Sends the signed-in member the daily report at a local time, from the next one on.
/// 409 `mail_unavailable` when the server has no SMTP relay, or when the member has no
/// email address to send to.
pub async fn set(actor: &Actor, state: &AppState, input: DailyEmailInput) -> ApiResult<DailyEmailView> {
    actor.require(Permission::ReportsRead)?;
    let user = actor.person()?;
    let send_at = parse_time(input.send_at.trim())?;
    if state.config.smtp_url.is_none() {
        return Err(ApiError::conflict(
            ErrorCode::MailUnavailable,
            "this server has no SMTP relay to send email through (--smtp-url); ask whoever runs it",
        ));
    }
    if brigade_store::users::get(&state.db, user.0).await?.and_then(|u| u.email).is_none() {
        return Err(ApiError::conflict(ErrorCode::MailUnavailable, "your account has no email address to send to"));
    }
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    store::set_report_email(&mut tx, rid, user.0, send_at, now).await?;
    queue_next(state, &mut tx, rid, user.0, send_at, None).await?;
    actor
        .record(
            &mut tx,
            "reports.daily_email_set",
            "user",
            user.0,
            serde_json::json!({ "send_at": hhmm(send_at) }),
            now,
        )
        .await?;
    tx.commit().await?;
    state.wake_workers();
    view(state, rid, user.0).await
}

/// Stops the signed-in member's daily report email (a sending already queued sends
/// nothing).
pub async fn stop(actor: &Actor, state: &AppState) -> ApiResult<()> {
    actor.require(Permission::ReportsRead)?;
    let user = actor.person()?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if store::delete_report_email(&mut tx, actor.rid(), user.0).await? {
        actor.record(&mut tx, "reports.daily_email_stopped", "user", user.0, serde_json::json!({}), now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Queues the next sending of a member's email, once: the first from now, or the one
/// after business day `after`'s (even if its time has passed, within a day).
async fn queue_next(
    state: &AppState,
    tx: &mut brigade_store::Tx,
    rid: Uuid,
    user: Uuid,
    send_at: NaiveTime,
    after: Option<NaiveDate>,
) -> ApiResult<()> {
    let r = brigade_store::restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let days = crate::restaurants::business_days(&state.db, &r).await?;
    let now = state.clock.now();
    let from_now = next_sending(&days, send_at, now);
    let (at, day) = match after.and_then(|d| d.succ_opt()) {
        Some(next_day) => {
            let (mine, _) = next_sending(&days, send_at, days.start(next_day));
            match next_sending(&days, send_at, mine) {
                (at, day) if day > from_now.1 || at < now - Duration::days(1) => from_now,
                (at, day) => (at.max(now), day),
            }
        }
        None => from_now,
    };
    let job = SendDailyReport { restaurant_id: rid, user_id: user, send_at: hhmm(send_at), day };
    let key = format!("reports.daily_email:{rid}:{user}:{day}:{}", job.send_at);
    let opts = EnqueueOptions { run_at: at, idempotency_key: Some(&key), restaurant_id: Some(rid) };
    enqueue(tx, &job, opts, state.clock.now()).await?;
    Ok(())
}

/// The report jobs: each sending, and the hourly check that every member's next one is
/// queued.
pub fn register_jobs(r: &mut crate::jobs::Registry) {
    r.register::<SendDailyReport>();
    r.hourly(QueueDailyReports {});
}

/// One member's daily report email, for one business day.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendDailyReport {
    pub restaurant_id: Uuid,
    pub user_id: Uuid,
    /// The local time it was queued for; a member who has since chosen another gets
    /// nothing from this one.
    pub send_at: String,
    pub day: NaiveDate,
}

impl Job for SendDailyReport {
    const KIND: &'static str = "reports.daily_email";
    const MAX_ATTEMPTS: i32 = 6;
    const BASE_BACKOFF: Duration = Duration::minutes(1);

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let (rid, user) = (self.restaurant_id, self.user_id);
        let Some(send_at) = store::report_email(&state.db, rid, user).await? else { return Ok(()) };
        if hhmm(send_at) != self.send_at {
            return Ok(());
        }
        // The next day's first, so a failure today does not end the chain. It follows
        // this day, not the clock: a job run late (the server down at its time) still
        // queues the day after, late rather than never.
        let mut tx = state.db.begin(rid).await?;
        queue_next(&state, &mut tx, rid, user, send_at, Some(self.day)).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        let role = brigade_store::users::role_in(&state.db, rid, user).await?;
        let allowed = role.and_then(|r| r.parse::<Role>().ok()).is_some_and(|r| r.allows(Permission::ReportsRead));
        let to = brigade_store::users::get(&state.db, user).await?.and_then(|u| u.email);
        let (Some(to), true) = (to, allowed) else { return Ok(()) };
        let Some(url) = &state.config.smtp_url else {
            tracing::warn!(%rid, "a daily report email is due but the server has no SMTP relay");
            return Ok(());
        };
        let actor = Actor::system(rid, Self::KIND);
        let report = service::daily(&actor, &state, self.day).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let tz: Tz = report.timezone.parse().unwrap_or(chrono_tz::UTC);
        let made = state.clock.now().with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
        let pdf = service::pdf(&report, &made);
        let subject = format!("{}: daily report, {}", report.restaurant, report.when());
        let body = summary(&report, &state.config.public_base_url);
        let mailer = Mailer::new(url, &state.config.mail_from).map_err(|e| anyhow::anyhow!(e))?;
        let file = report.file_name("pdf");
        // One email per business day: a day already sent (at an earlier time the member
        // has since changed) is not sent again.
        let mut tx = state.db.begin(rid).await?;
        let Some(before) = store::take_report_day(&mut tx, rid, user, self.day).await? else { return Ok(()) };
        tx.commit().await?;
        match mailer.send_with(&report.restaurant, &to, &subject, &body, Some((&file, "application/pdf", pdf))).await {
            Ok(_) => Ok(()),
            Err(SendError::Transient(e)) => {
                let mut tx = state.db.begin(rid).await?;
                store::give_back_report_day(&mut tx, rid, user, self.day, before).await?;
                tx.commit().await?;
                Err(anyhow::anyhow!(e))
            }
            Err(e) => {
                tracing::warn!(%rid, error = %e, "the daily report email was refused");
                Ok(())
            }
        }
    }
}

/// The hourly check: every member's next sending queued.
#[derive(Debug, Serialize, Deserialize)]
pub struct QueueDailyReports {}

impl Job for QueueDailyReports {
    const KIND: &'static str = "reports.queue_daily_emails";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        for (rid, user, send_at) in store::all_report_emails(&state.db).await? {
            let mut tx = state.db.begin(rid).await?;
            queue_next(&state, &mut tx, rid, user, send_at, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            tx.commit().await?;
        }
        Ok(())
    }
}

/// The email's text: the day's headline figures beside the same weekday a week before.
fn summary(r: &service::Report, base: &str) -> String {
    let m = |v: i64| Money(v).to_string();
    let change = |now: i64, then: i64| {
        if then == 0 {
            String::new()
        } else {
            format!(" ({:+.1}% on {})", (now - then) as f64 * 100.0 / then as f64, r.compared_with)
        }
    };
    let (c, p) = (&r.current, &r.previous);
    let mut out = format!("{} · {} · amounts in {}\n\n", r.restaurant, r.when(), r.currency);
    out += &format!("Net sales       {}{}\n", m(c.net), change(c.net, p.net));
    out += &format!("Orders          {}{}\n", c.orders, change(c.orders, p.orders));
    if let Some(a) = c.average_ticket {
        out += &format!("Average ticket  {}\n", m(a));
    }
    out += &format!("Tips            {}\n", m(c.tips));
    let l = &r.labour.totals;
    if l.hours > 0.0 {
        let pct = |v: Option<f64>| v.map_or("—".to_owned(), |x| format!("{x}%"));
        out += &format!(
            "Labour          {} ({} of net sales, {:.1} h)\n",
            m(l.labour_cost),
            pct(l.labour_percent),
            l.hours
        );
        out += &format!("Prime cost      {}\n", pct(l.prime_cost_percent));
    }
    let k = &r.kitchen.totals;
    if let (Some(p90), true) = (k.p90_seconds, k.tickets > 0) {
        out += &format!("Kitchen         9 in 10 tickets within {}:{:02}, {} late\n", p90 / 60, p90 % 60, k.late);
    }
    if let Some(c) = &r.close_out {
        let voids: i64 = c.voids.iter().map(|v| v.amount).sum();
        let refunds: i64 = c.refunds.iter().map(|f| f.amount).sum();
        out += &format!("Voids, refunds  {} ({}), {} ({})\n", m(voids), c.voids.len(), m(refunds), c.refunds.len());
    }
    let top: Vec<String> = r.items.iter().take(5).map(|i| format!("{} ({})", i.name, i.quantity)).collect();
    if !top.is_empty() {
        out += &format!("\nBest sellers: {}\n", top.join(", "));
    }
    out += &format!(
        "\nThe whole report is attached as a PDF.\nAnalytics: {base}/app/analytics · stop these emails there too.\n"
    );
    out
}
