//! Lease times: reading the three forms dhcpd writes, and printing the one
//! form dhcpstats answers with (GRAMMAR §3.3, SPEC §3.5).
//!
//! * `W YYYY/MM/DD HH:MM:SS [OFFSET];` — UTC; the weekday is ignored on
//!   input; an optional offset in seconds is *added* (as dhcpd does).
//! * `epoch N; # local time comment` — Unix time (db-time-format local).
//! * `never;`
//!
//! Output is always `W YYYY/MM/DD HH:MM:SS` in UTC with the weekday
//! recomputed, or `never`. Calendar arithmetic is done here with the
//! days-from-civil algorithm, so no time crate is needed.

use super::cursor::Cursor;
use super::lexer::Kind;
use super::values::{ValueError, ValueResult, decimal};

/// A point in time as found in a lease file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LeaseTime {
    /// Seconds since the Unix epoch, UTC.
    At(i64),
    Never,
}

impl LeaseTime {
    /// True if this time is at or before `now` (`never` never passes).
    pub fn has_passed(self, now: i64) -> bool {
        match self {
            LeaseTime::At(t) => t <= now,
            LeaseTime::Never => false,
        }
    }
}

/// Largest time we print: 9999-12-31 23:59:59 UTC.
pub const MAX_SECONDS: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Seconds since the epoch of a validated UTC calendar time.
pub fn from_civil(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || h > 23
        || m > 59
        || s > 59
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + i64::from(h * 3600 + m * 60 + s))
}

/// A lease time as dhcpd writes it, `W YYYY/MM/DD HH:MM:SS` (W = 0 for
/// Sunday, UTC) or `never`, formatted into a fixed buffer: rendering a
/// million leases formats several million times, which through `format!`
/// cost more than the rest of the rendering.
#[derive(Clone, Copy, Debug)]
pub struct LeaseTimeText {
    bytes: [u8; 21],
    len: usize,
}

impl LeaseTimeText {
    pub fn new(t: LeaseTime) -> LeaseTimeText {
        let secs = match t {
            LeaseTime::Never => {
                let mut bytes = [0u8; 21];
                bytes[..5].copy_from_slice(b"never");
                return LeaseTimeText { bytes, len: 5 };
            }
            // Years 1970 to 9999: always four digits.
            LeaseTime::At(secs) => secs.clamp(0, MAX_SECONDS),
        };
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, mo, d) = civil_from_days(days);
        // 1970-01-01 was a Thursday (4).
        let weekday = (days + 4).rem_euclid(7);
        let mut bytes = *b"0 0000/00/00 00:00:00";
        put_digits(&mut bytes[0..1], weekday);
        put_digits(&mut bytes[2..6], y);
        put_digits(&mut bytes[7..9], i64::from(mo));
        put_digits(&mut bytes[10..12], i64::from(d));
        put_digits(&mut bytes[13..15], rem / 3600);
        put_digits(&mut bytes[16..18], (rem % 3600) / 60);
        put_digits(&mut bytes[19..21], rem % 60);
        LeaseTimeText { bytes, len: 21 }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

/// Writes the last `out.len()` decimal digits of `v` (not negative).
fn put_digits(out: &mut [u8], mut v: i64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

fn number(cur: &mut Cursor<'_>, what: &str) -> ValueResult<u64> {
    let t = cur.bump();
    match (t.kind, decimal(cur.text(t))) {
        (Kind::Word, Some(v)) => Ok(v),
        _ => Err(ValueError {
            at: t.pos(),
            message: format!("expected {what}, found {}", cur.describe(t)),
        }),
    }
}

fn punct(cur: &mut Cursor<'_>, c: u8, what: &str) -> ValueResult<()> {
    let t = cur.bump();
    if t.is_punct(c) {
        Ok(())
    } else {
        Err(ValueError {
            at: t.pos(),
            message: format!(
                "expected '{}' in {what}, found {}",
                c as char,
                cur.describe(t)
            ),
        })
    }
}

/// Reads a lease time up to (not including) its `;`.
pub fn read_lease_time(cur: &mut Cursor<'_>) -> ValueResult<LeaseTime> {
    let first = cur.peek();
    if cur.eat_word("never") {
        return Ok(LeaseTime::Never);
    }
    if cur.eat_word("epoch") {
        let at = cur.peek().pos();
        let v = number(cur, "seconds since the epoch")?;
        return match i64::try_from(v) {
            Ok(v) if v <= MAX_SECONDS => Ok(LeaseTime::At(v)),
            _ => Err(ValueError {
                at,
                message: format!("epoch time {v} is out of range"),
            }),
        };
    }
    let date_at = first.pos();
    number(cur, "a weekday (0-6) or 'never' or 'epoch'")?;
    let year = number(cur, "a year")?;
    punct(cur, b'/', "date")?;
    let month = number(cur, "a month")?;
    punct(cur, b'/', "date")?;
    let day = number(cur, "a day")?;
    let hour = number(cur, "an hour")?;
    punct(cur, b':', "time")?;
    let minute = number(cur, "a minute")?;
    punct(cur, b':', "time")?;
    let second = number(cur, "a second")?;
    // Optional timezone offset in seconds, e.g. `-3600`.
    let mut offset: i64 = 0;
    let t = cur.peek();
    if t.kind == Kind::Word {
        let text = cur.text(t);
        let (neg, digits) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        match decimal(digits) {
            Some(v) if v <= 86_400 * 2 => {
                cur.bump();
                offset = if neg { -(v as i64) } else { v as i64 };
            }
            _ => {
                return Err(ValueError {
                    at: t.pos(),
                    message: format!("expected ';' after the time, found {}", cur.describe(t)),
                });
            }
        }
    }
    calendar_time(year, month, day, hour, minute, second, offset).ok_or_else(|| ValueError {
        at: date_at,
        message: format!(
            "invalid date {year:04}/{month:02}/{day:02} {hour:02}:{minute:02}:{second:02}"
        ),
    })
}

/// The lease time of a written date, with dhcpd's reading rules: years
/// below 1900 are relative to 1900 (ancient writers), any year from 2038
/// on is `never` (a 32-bit time_t legacy dhcpd applies on 64-bit hosts
/// too), and `offset` seconds are added. `None` if the date is invalid.
pub fn calendar_time(
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
    offset: i64,
) -> Option<LeaseTime> {
    Some(match calendar_day(year, month, day)? {
        CalendarDay::Never => LeaseTime::Never,
        CalendarDay::Days(days) => {
            LeaseTime::At(at_time_of_day(days, hour, minute, second)? + offset)
        }
    })
}

/// A written date (`YYYY/MM/DD`) under the rules of [`calendar_time`]
/// (split out so that a reader can remember a date it has seen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalendarDay {
    /// From 2038 on: whatever the rest says, the time is `never`.
    Never,
    /// Days since 1970-01-01 of a valid date.
    Days(i64),
}

/// The day of a written date; `None` if it is invalid. Years from 2038
/// on are `never` without further checks, as in dhcpd.
pub fn calendar_day(year: u64, month: u64, day: u64) -> Option<CalendarDay> {
    let year = if year < 1900 { year + 1900 } else { year };
    if year >= 2038 {
        return Some(CalendarDay::Never);
    }
    let year = year as i64;
    let (month, day) = (u32::try_from(month).ok()?, u32::try_from(day).ok()?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(CalendarDay::Days(days_from_civil(year, month, day)))
}

/// Seconds since the epoch of a time of day on day `days`; `None` if the
/// hour, minute or second is out of range.
pub fn at_time_of_day(days: i64, hour: u64, minute: u64, second: u64) -> Option<i64> {
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(days * 86_400 + (hour * 3600 + minute * 60 + second) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::lexer::Mode;
    use std::sync::Arc;

    fn read(src: &str) -> ValueResult<LeaseTime> {
        let mut c = Cursor::new(src.as_bytes(), Mode::Leases, Arc::from("t"));
        read_lease_time(&mut c)
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1_000_000i64, -1, 0, 1, 59, 10_000, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(20_418), (2025, 11, 26));
    }

    #[test]
    fn formats_like_dhcpd() {
        assert_eq!(
            LeaseTimeText::new(LeaseTime::At(1_795_659_545)).as_str(),
            "4 2026/11/26 02:19:05"
        );
        assert_eq!(
            LeaseTimeText::new(LeaseTime::At(0)).as_str(),
            "4 1970/01/01 00:00:00"
        );
        assert_eq!(LeaseTimeText::new(LeaseTime::Never).as_str(), "never");
    }

    #[test]
    fn reads_all_forms() {
        assert_eq!(
            read("4 2026/11/26 02:19:05;"),
            Ok(LeaseTime::At(1_795_659_545))
        );
        assert_eq!(read("never;"), Ok(LeaseTime::Never));
        assert_eq!(read("NEVER;"), Ok(LeaseTime::Never));
        assert_eq!(
            read("epoch 1795659545; # Thu Nov 26"),
            Ok(LeaseTime::At(1_795_659_545))
        );
        // The weekday is ignored; the offset is added (10:00 -3600 = 09:00).
        let t = read("3 2026/11/25 10:00:00 -3600;").unwrap();
        assert_eq!(LeaseTimeText::new(t).as_str(), "3 2026/11/25 09:00:00");
        let t = read("0 2027/01/01 00:00:00 3600;").unwrap();
        assert_eq!(LeaseTimeText::new(t).as_str(), "5 2027/01/01 01:00:00");
        assert_eq!(read("0 2040/01/01 00:00:00;"), Ok(LeaseTime::Never));
        assert_eq!(
            read("4 126/11/26 02:19:05;"),
            Ok(LeaseTime::At(1_795_659_545))
        );
    }

    #[test]
    fn rejects_bad_dates() {
        assert!(
            read("4 2026/13/45 25:61:61;")
                .unwrap_err()
                .message
                .contains("invalid date")
        );
        assert!(read("2026/11/26 01:28:06;").is_err());
        assert!(read("4 2026-11-26 01:18:06;").is_err());
        assert!(read("epoch;").is_err());
        assert!(read("4 2026/02/29 00:00:00;").is_err());
        assert!(read("4 2024/02/29 00:00:00;").is_ok());
    }

    #[test]
    fn lease_time_text_is_what_format_would_write() {
        let oracle = |secs: i64| {
            let secs = secs.clamp(0, MAX_SECONDS);
            let days = secs.div_euclid(86_400);
            let rem = secs.rem_euclid(86_400);
            let (y, mo, d) = civil_from_days(days);
            format!(
                "{} {y:04}/{mo:02}/{d:02} {:02}:{:02}:{:02}",
                (days + 4).rem_euclid(7),
                rem / 3600,
                (rem % 3600) / 60,
                rem % 60
            )
        };
        let mut secs: i64 = -5;
        while secs < MAX_SECONDS + 10 {
            assert_eq!(
                LeaseTimeText::new(LeaseTime::At(secs)).as_str(),
                oracle(secs),
                "{secs}"
            );
            secs += 9_999_991;
        }
        for secs in [0, 59, 86_399, 951_782_400, 1_715_774_400, MAX_SECONDS] {
            assert_eq!(
                LeaseTimeText::new(LeaseTime::At(secs)).as_str(),
                oracle(secs)
            );
        }
        assert_eq!(LeaseTimeText::new(LeaseTime::Never).as_str(), "never");
    }
}
