//! Relative date literals (`TODAY`, `LAST_N_DAYS:n`, `THIS_MONTH`…) as half-open ranges of
//! emulated time. The org's time zone is GMT and weeks start on Sunday (the en_US locale).
//!
//! Source: SOQL and SOSL Reference, "Date Formats and Date Literals".

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, Utc};

/// `[start, end)` as dates.
pub type DateRange = (NaiveDate, NaiveDate);

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn add_months(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_months(Months::new(n as u32)).unwrap_or(d)
    } else {
        d.checked_sub_months(Months::new(n.unsigned_abs() as u32))
            .unwrap_or(d)
    }
}

fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n as u64)).unwrap_or(d)
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs())).unwrap_or(d)
    }
}

/// The range a relative literal denotes at `now`, or `None` for an unknown name.
pub fn range(name: &str, n: Option<i64>, now: DateTime<Utc>) -> Option<DateRange> {
    let today = now.date_naive();
    let n = n.unwrap_or(0);
    let week_start = add_days(today, -(today.weekday().num_days_from_sunday() as i64));
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1)?;
    let this_month = month_start(today);
    Some(match name {
        "TODAY" => (today, add_days(today, 1)),
        "YESTERDAY" => (add_days(today, -1), today),
        "TOMORROW" => (add_days(today, 1), add_days(today, 2)),
        "THIS_WEEK" => (week_start, add_days(week_start, 7)),
        "LAST_WEEK" => (add_days(week_start, -7), week_start),
        "NEXT_WEEK" => (add_days(week_start, 7), add_days(week_start, 14)),
        "THIS_MONTH" => (this_month, add_months(this_month, 1)),
        "LAST_MONTH" => (add_months(this_month, -1), this_month),
        "NEXT_MONTH" => (add_months(this_month, 1), add_months(this_month, 2)),
        "THIS_YEAR" => (year_start, add_months(year_start, 12)),
        "LAST_YEAR" => (add_months(year_start, -12), year_start),
        "NEXT_YEAR" => (add_months(year_start, 12), add_months(year_start, 24)),
        "LAST_90_DAYS" => (add_days(today, -90), add_days(today, 1)),
        "NEXT_90_DAYS" => (add_days(today, 1), add_days(today, 91)),
        "LAST_N_DAYS" => (add_days(today, -n), add_days(today, 1)),
        "NEXT_N_DAYS" => (add_days(today, 1), add_days(today, n + 1)),
        "N_DAYS_AGO" => (add_days(today, -n), add_days(today, -n + 1)),
        "LAST_N_WEEKS" => (add_days(week_start, -7 * n), week_start),
        "NEXT_N_WEEKS" => (add_days(week_start, 7), add_days(week_start, 7 * (n + 1))),
        "LAST_N_MONTHS" => (add_months(this_month, -n), this_month),
        "NEXT_N_MONTHS" => (add_months(this_month, 1), add_months(this_month, n + 1)),
        _ => return None,
    })
}

/// A date range as instants (midnight GMT to midnight GMT).
pub fn instants(r: DateRange) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = r.0.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let end = r.1.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let fallback = DateTime::<Utc>::UNIX_EPOCH;
    (
        start.unwrap_or(fallback),
        end.unwrap_or(fallback + Duration::days(1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn ranges_are_half_open_days_weeks_and_months() {
        let now = at("2024-03-13T15:00:00Z"); // a Wednesday
        assert_eq!(
            range("TODAY", None, now),
            Some((d("2024-03-13"), d("2024-03-14")))
        );
        assert_eq!(
            range("THIS_WEEK", None, now),
            Some((d("2024-03-10"), d("2024-03-17")))
        );
        assert_eq!(
            range("LAST_MONTH", None, now),
            Some((d("2024-02-01"), d("2024-03-01")))
        );
        assert_eq!(
            range("LAST_N_DAYS", Some(7), now),
            Some((d("2024-03-06"), d("2024-03-14")))
        );
        assert_eq!(
            range("N_DAYS_AGO", Some(2), now),
            Some((d("2024-03-11"), d("2024-03-12")))
        );
        assert_eq!(range("BOGUS", None, now), None);
    }
}
