//! When recurring tasks fall due.

use crate::Invalid;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;
use std::str::FromStr;

/// Where a task is: not started, started (a step checked), or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    InProgress,
    Completed,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Pending, TaskStatus::InProgress, TaskStatus::Completed];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Completed => "completed",
        }
    }
}

impl FromStr for TaskStatus {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        TaskStatus::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            Invalid::new("status", format!("'{s}' is not a task status; use pending, in_progress or completed"))
        })
    }
}

/// How often a task template makes a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    /// On these weekdays.
    Weekly(Vec<Weekday>),
    /// On these days of the month; a day the month lacks (31 in April) means its last day.
    Monthly(Vec<u32>),
}

impl Frequency {
    /// From the API's `frequency` and `days` (weekday names or month days).
    pub fn parse(frequency: &str, days: &[serde_json::Value]) -> Result<Frequency, Invalid> {
        match frequency {
            "daily" => Ok(Frequency::Daily),
            "weekly" => {
                let list: Vec<Weekday> = days
                    .iter()
                    .map(|d| d.as_str().and_then(|s| s.parse::<Weekday>().ok()))
                    .collect::<Option<_>>()
                    .ok_or_else(|| Invalid::new("days", "weekly tasks name their days: Mon … Sun"))?;
                if list.is_empty() {
                    return Err(Invalid::new("days", "name at least one day"));
                }
                Ok(Frequency::Weekly(list))
            }
            "monthly" => {
                let list: Vec<u32> = days
                    .iter()
                    .map(|d| d.as_u64().filter(|n| (1..=31).contains(n)).map(|n| n as u32))
                    .collect::<Option<_>>()
                    .ok_or_else(|| Invalid::new("days", "monthly tasks name days of the month, 1 to 31"))?;
                if list.is_empty() {
                    return Err(Invalid::new("days", "name at least one day"));
                }
                Ok(Frequency::Monthly(list))
            }
            other => {
                Err(Invalid::new("frequency", format!("'{other}' is not a frequency; use daily, weekly or monthly")))
            }
        }
    }

    pub fn is_due(&self, date: NaiveDate) -> bool {
        match self {
            Frequency::Daily => true,
            Frequency::Weekly(days) => days.contains(&date.weekday()),
            Frequency::Monthly(days) => {
                let last = last_day_of_month(date);
                days.iter().any(|d| (*d).min(last) == date.day())
            }
        }
    }
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    let (y, m) = (date.year(), date.month());
    let next = if m == 12 { NaiveDate::from_ymd_opt(y + 1, 1, 1) } else { NaiveDate::from_ymd_opt(y, m + 1, 1) };
    next.and_then(|n| n.pred_opt()).map(|d| d.day()).unwrap_or(28)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn frequencies_fall_due_on_their_days() {
        assert!(Frequency::parse("daily", &[]).unwrap().is_due(d("2026-06-03")));
        let weekly = Frequency::parse("weekly", &[json!("Mon"), json!("Fri")]).unwrap();
        assert!(weekly.is_due(d("2026-06-01")) && weekly.is_due(d("2026-06-05")));
        assert!(!weekly.is_due(d("2026-06-03")));
        let monthly = Frequency::parse("monthly", &[json!(1), json!(31)]).unwrap();
        assert!(monthly.is_due(d("2026-04-01")) && monthly.is_due(d("2026-04-30")), "31 means the last day");
        assert!(!monthly.is_due(d("2026-04-29")));
        assert!(Frequency::parse("weekly", &[]).is_err());
        assert!(Frequency::parse("weekly", &[json!("Someday")]).is_err());
        assert!(Frequency::parse("monthly", &[json!(0)]).is_err());
        assert!(Frequency::parse("hourly", &[]).is_err());
    }
}
