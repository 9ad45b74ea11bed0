//! JQL date values: `"yyyy-MM-dd HH:mm"`, `"yyyy/MM/dd HH:mm"`, `"yyyy-MM-dd"`, `"yyyy/MM/dd"`,
//! periods relative to now (`-5m`, `-1d`, `"-4w 2d"`), epoch milliseconds, and the date
//! functions `now()`, `startOfDay()`, `endOfDay()`, `startOfWeek()`, `startOfMonth()`,
//! `startOfYear()` (each with an optional period argument).
//!
//! Poll windows are written with these, so they must read exactly as Jira reads them; the
//! emulator reads them in UTC (every emulated user's time zone).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Jira's message for a value it cannot read as a date.
pub fn invalid(value: &str, field: &str) -> String {
    format!(
        "Date value '{value}' for field '{field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )
}

/// Reads a period such as `-5m`, `1d`, `-4w 2d` (units w, d, h, m; a leading sign applies to
/// the whole period).
pub fn period(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total = Duration::zero();
    for part in rest.split_whitespace() {
        let unit = part.chars().last()?;
        let number: i64 = part[..part.len() - unit.len_utf8()].parse().ok()?;
        total += match unit.to_ascii_lowercase() {
            'w' => Duration::weeks(number),
            'd' => Duration::days(number),
            'h' => Duration::hours(number),
            'm' => Duration::minutes(number),
            _ => return None,
        };
    }
    Some(total * sign)
}

/// Reads a date literal relative to `now`.
pub fn literal(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) && text.len() > 8 {
        let millis: i64 = text.parse().ok()?;
        return Utc.timestamp_millis_opt(millis).single();
    }
    for format in ["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    for format in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
        }
    }
    period(text).map(|d| now + d)
}

/// Evaluates a date function; `None` when `name` is not one.
pub fn function(
    name: &str,
    args: &[String],
    now: DateTime<Utc>,
) -> Option<Result<DateTime<Utc>, String>> {
    let midnight = |d: NaiveDate| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN));
    let today = now.date_naive();
    let base = match name.to_ascii_lowercase().as_str() {
        "now" => now,
        "startofday" => midnight(today),
        "endofday" => midnight(today) + Duration::days(1) - Duration::milliseconds(1),
        "startofweek" => {
            midnight(today) - Duration::days(i64::from(today.weekday().num_days_from_sunday()))
        }
        "startofmonth" => midnight(today.with_day(1)?),
        "startofyear" => midnight(NaiveDate::from_ymd_opt(today.year(), 1, 1)?),
        _ => return None,
    };
    Some(match args.first() {
        None => Ok(base),
        Some(arg) => match period(arg) {
            Some(offset) => Ok(base + offset),
            None => Err(format!(
                "Invalid date offset '{arg}' passed as an argument to function '{name}'."
            )),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .expect("valid literal")
    }

    #[test]
    fn absolute_relative_and_epoch_literals_are_read() {
        let now = at("2024-05-01T12:00:00Z");
        assert_eq!(
            literal("2024-01-02 10:30", now),
            Some(at("2024-01-02T10:30:00Z"))
        );
        assert_eq!(literal("2024/01/02", now), Some(at("2024-01-02T00:00:00Z")));
        assert_eq!(literal("-5m", now), Some(at("2024-05-01T11:55:00Z")));
        assert_eq!(literal("-1w 2d", now), Some(at("2024-04-22T12:00:00Z")));
        assert_eq!(
            literal("1714564800000", now),
            Some(at("2024-05-01T12:00:00Z"))
        );
        assert_eq!(literal("yesterday", now), None);
        assert_eq!(literal("2024-13-01", now), None);
    }

    #[test]
    fn date_functions_take_an_offset() {
        let now = at("2024-05-01T12:00:00Z");
        assert_eq!(
            function("startOfDay", &[], now),
            Some(Ok(at("2024-05-01T00:00:00Z")))
        );
        assert_eq!(
            function("startOfDay", &["-1d".into()], now),
            Some(Ok(at("2024-04-30T00:00:00Z")))
        );
        assert!(function("nope", &[], now).is_none());
    }
}
