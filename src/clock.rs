//! The wall clock and the time formats of dhcpstats' own interfaces:
//! RFC 3339 for `--now`, logs and `/status`, and the HTTP date of the
//! `Date` header. Lease-file times are a different format and live in
//! [`crate::dhcp::time`]; this module only borrows its calendar arithmetic.

use crate::dhcp::time::{MAX_SECONDS, civil_from_days, from_civil};
use crate::dhcp::values::decimal;

/// Seconds since the Unix epoch now (0 if the clock is before 1970).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `now` if given (`--now`, tests), else the clock.
pub fn now_or_clock(now: Option<i64>) -> i64 {
    now.unwrap_or_else(unix_now)
}

/// Formats as RFC 3339 UTC (`2026-11-26T02:19:05Z`), for logs and `/status`.
pub fn format_rfc3339(secs: i64) -> String {
    let secs = secs.clamp(0, MAX_SECONDS);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Formats as an HTTP date (RFC 9110 IMF-fixdate): `Thu, 26 Nov 2026 02:19:05 GMT`.
pub fn format_http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = secs.clamp(0, MAX_SECONDS);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let weekday = DAYS
        .get(days.rem_euclid(7) as usize)
        .copied()
        .unwrap_or("Thu");
    let month = MONTHS
        .get(mo.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("Jan");
    format!(
        "{weekday}, {d:02} {month} {y:04} {:02}:{:02}:{:02} GMT",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Parses `--now`: a Unix timestamp, or RFC 3339
/// (`2026-11-26T02:00:00Z`, `2026-11-26 03:00:00+01:00`, fractions ignored).
pub fn parse_now(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(v) = s
        .strip_prefix('@')
        .or(Some(s))
        .and_then(|d| decimal(d.as_bytes()))
    {
        return i64::try_from(v).ok().filter(|v| *v <= MAX_SECONDS);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let v = decimal(b.get(r)?)?;
        u32::try_from(v).ok()
    };
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let base = from_civil(
        i64::from(num(0..4)?),
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    )?;
    let mut rest = b.get(19..)?;
    if rest.first() == Some(&b'.') {
        let digits = rest
            .iter()
            .skip(1)
            .take_while(|c| c.is_ascii_digit())
            .count();
        rest = rest.get(1 + digits..)?;
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = decimal(&[*h1, *h2])? as i64;
            let m = decimal(&[*m1, *m2])? as i64;
            if h > 23 || m > 59 {
                return None;
            }
            let v = h * 3600 + m * 60;
            if *sign == b'+' { v } else { -v }
        }
        _ => return None,
    };
    Some(base - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(format_rfc3339(1_795_659_545), "2026-11-26T02:19:05Z");
        assert_eq!(
            format_http_date(1_795_659_545),
            "Thu, 26 Nov 2026 02:19:05 GMT"
        );
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn now_forms() {
        assert_eq!(parse_now("1795659545"), Some(1_795_659_545));
        assert_eq!(parse_now("2026-11-26T02:19:05Z"), Some(1_795_659_545));
        assert_eq!(
            parse_now("2026-11-26 03:19:05.25+01:00"),
            Some(1_795_659_545)
        );
        assert_eq!(parse_now("2026-11-26T01:19:05-01:00"), Some(1_795_659_545));
        assert_eq!(parse_now("2026-11-26"), None);
        assert_eq!(parse_now("yesterday"), None);
    }
}
