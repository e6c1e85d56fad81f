//! The fast path of the lease reader: a block written exactly as dhcpd 4.x
//! writes it, read line by line with fixed patterns instead of tokens.
//!
//! Advice for hackers: this is an optimisation, never a second grammar.
//! [`canonical_lease`] either returns precisely what the general parser in
//! `leases.rs` would return for the block, or `None` — and then the general
//! parser reads the block (and reports whatever is wrong with it). So the
//! fast path never produces a diagnostic and may refuse anything unusual:
//! `on` blocks, comments, CRLF, timezone offsets, billing, odd spacing,
//! upper case, a value over 64 KiB. The test `fast_path_equals_general`
//! (in `tests/integration/incremental.rs`) checks the equivalence on every
//! test file, and the fuzz target does on arbitrary bytes.
//!
//! What it accepts, with two-space indentation and one field per line:
//! `lease A.B.C.D {`, `starts|ends|tstp|tsfp|atsfp|cltt W YYYY/MM/DD
//! HH:MM:SS;` (or `never;`, or `epoch N;` with an optional `# comment`),
//! `[next |rewind ]binding state S;`, `hardware TYPE xx:…;`, `uid "…";` or
//! `uid xx:…;`, `set NAME = "…";` or `= simple;`, `client-hostname "…";`,
//! `option agent.NAME "…";` or `simple;`, `reserved;`, `dynamic-bootp;`,
//! `abandoned;`, and `}`.

use super::lease_fields::{BindingState, FieldWriter};
use super::leases::BlockState;
use super::lexer::{MAX_TOKEN_LEN, unescape};
use super::time::{CalendarDay, LeaseTime, MAX_SECONDS, at_time_of_day, calendar_day};
use super::values::{MAX_HEX_OCTETS, hex_colon};

/// What the fast path keeps between blocks: buffers and the last date.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    octets: Vec<u8>,
    date: Option<([u8; 10], CalendarDay)>,
}

/// A cursor over the bytes of one block (shared with the v6 fast path).
pub(super) struct Bytes<'a> {
    pub(super) b: &'a [u8],
    pub(super) p: usize,
}

impl<'a> Bytes<'a> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.p).copied()
    }

    pub(super) fn eat(&mut self, lit: &[u8]) -> bool {
        if self.b.get(self.p..self.p + lit.len()) == Some(lit) {
            self.p += lit.len();
            true
        } else {
            false
        }
    }

    pub(super) fn eat_byte(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.p += 1;
            true
        } else {
            false
        }
    }

    /// 1 to `max` decimal digits.
    pub(super) fn number(&mut self, max: usize) -> Option<u64> {
        let start = self.p;
        let mut v: u64 = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            if self.p - start == max {
                return None;
            }
            v = v * 10 + u64::from(c - b'0');
            self.p += 1;
        }
        (self.p > start).then_some(v)
    }

    /// A run of bytes of the character class `class` (at least one).
    pub(super) fn run(&mut self, class: u8) -> Option<&'a [u8]> {
        let rest = self.b.get(self.p..).unwrap_or_default();
        let n = rest
            .iter()
            .position(|&c| !is(class, c))
            .unwrap_or(rest.len());
        let run = rest.get(..n).filter(|r| !r.is_empty())?;
        self.p += n;
        Some(run)
    }

    /// `;` and the end of the line.
    pub(super) fn end_of_field(&mut self) -> Option<()> {
        (self.eat_byte(b';') && self.eat_byte(b'\n')).then_some(())
    }

    /// A quoted string on this line: returns the raw text between the
    /// quotes (escapes kept), as the lexer would.
    pub(super) fn string(&mut self) -> Option<&'a [u8]> {
        if !self.eat_byte(b'"') {
            return None;
        }
        let start = self.p;
        // The usual case, found with one scan: the first quote or newline
        // is the closing quote, and the backslashes right before it (if
        // any) pair up among themselves, so it is not escaped. Anything
        // else (an escaped quote, a newline) takes the loop below, which
        // reads escapes one by one.
        let rest = self.b.get(start..).unwrap_or_default();
        if let Some(q) = memchr::memchr2(b'"', b'\n', rest) {
            if rest.get(q) == Some(&b'"') {
                let text = rest.get(..q).unwrap_or_default();
                let backslashes = text.iter().rev().take_while(|&&c| c == b'\\').count();
                if backslashes % 2 == 0 {
                    self.p = start + q + 1;
                    return (text.len() <= MAX_TOKEN_LEN).then_some(text);
                }
            }
        }
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' => {
                    // An escaped newline is corruption: let the general
                    // parser say so.
                    if self.b.get(self.p + 1).is_none_or(|&c| c == b'\n') {
                        return None;
                    }
                    self.p += 2;
                }
                b'\n' => return None,
                _ => self.p += 1,
            }
        }
        let text = self.b.get(start..self.p)?;
        self.p += 1;
        (text.len() <= MAX_TOKEN_LEN).then_some(text)
    }

    /// `xx:xx:…` with 1-2 hex digits per octet. Returns the raw text and
    /// whether it is already in the normalised form (two lowercase digits
    /// per octet, as dhcpd writes it); only when it is not are the octets
    /// left in `octets` for the caller to normalise.
    pub(super) fn hex_list(&mut self, octets: &mut Vec<u8>) -> Option<(&'a [u8], bool)> {
        let start = self.p;
        let mut p = self.p;
        let mut n = 0;
        while self.b.get(p).is_some_and(is_lower_hex) && self.b.get(p + 1).is_some_and(is_lower_hex)
        {
            n += 1;
            if n > MAX_HEX_OCTETS {
                return None;
            }
            match self.b.get(p + 2) {
                Some(b':') => p += 3,
                Some(b';') => {
                    self.p = p + 2;
                    return Some((self.b.get(start..self.p)?, true));
                }
                _ => break,
            }
        }
        octets.clear();
        loop {
            let run = self.run(HEX)?;
            if run.len() > 2 {
                return None;
            }
            let mut v = 0u8;
            for &c in run {
                v = v * 16 + (c as char).to_digit(16)? as u8;
            }
            octets.push(v);
            if octets.len() > MAX_HEX_OCTETS {
                return None;
            }
            if !self.eat_byte(b':') {
                break;
            }
        }
        // The general lexer would glue letters or '-' to the last octet.
        if self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return None;
        }
        Some((self.b.get(start..self.p)?, false))
    }

    /// A value of `set` or an agent option: a string's raw text, or a run
    /// of simple characters (which the general parser reads as adjacent
    /// tokens with the same text).
    pub(super) fn value(&mut self) -> Option<&'a [u8]> {
        if self.peek() == Some(b'"') {
            return self.string();
        }
        let v = self.run(VALUE)?;
        (v.len() <= MAX_TOKEN_LEN).then_some(v)
    }
}

fn is_lower_hex(c: &u8) -> bool {
    is(LOWER_HEX, *c)
}

// Character classes of the patterns, one bit each, looked up in a table
// (one load per byte instead of a chain of comparisons).
/// `a-z A-Z 0-9 - _`: a `set` variable's or an agent option's name.
pub(super) const WORD: u8 = 1;
/// `a-z 0-9 - _`: a hardware type.
const NAME: u8 = 2;
/// `a-z A-Z 0-9 % . : - _ +`: an unquoted value the lexer reads as one
/// run of adjacent tokens.
pub(super) const VALUE: u8 = 4;
/// `a-z`: a binding state.
pub(super) const LOWER: u8 = 8;
/// `0-9 a-f A-F`.
const HEX: u8 = 16;
/// `0-9 a-f`: hex as dhcpd writes it.
const LOWER_HEX: u8 = 32;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let lower = b.is_ascii_lowercase();
        let digit = b.is_ascii_digit();
        let alnum = b.is_ascii_alphanumeric();
        let mut class = 0;
        if alnum || b == b'-' || b == b'_' {
            class |= WORD;
        }
        if lower || digit || b == b'-' || b == b'_' {
            class |= NAME;
        }
        if alnum || matches!(b, b'%' | b'.' | b':' | b'-' | b'_' | b'+') {
            class |= VALUE;
        }
        if lower {
            class |= LOWER;
        }
        if b.is_ascii_hexdigit() {
            class |= HEX;
        }
        if digit || matches!(b, b'a'..=b'f') {
            class |= LOWER_HEX;
        }
        t[c] = class;
        c += 1;
    }
    t
};

/// Whether byte `c` is in `class` (a `u8` always indexes the table).
pub(super) fn is(class: u8, c: u8) -> bool {
    CLASSES[usize::from(c)] & class != 0
}

/// The rest of a `set NAME = VALUE;` line (after `set `), kept in
/// `writer` in full detail (shared with the v6 fast path).
#[inline]
pub(super) fn set_field(b: &mut Bytes<'_>, full: bool, writer: &mut FieldWriter) -> Option<()> {
    let name = b.run(WORD)?;
    if !b.eat(b" = ") {
        return None;
    }
    let value = b.value()?;
    b.end_of_field()?;
    if full {
        writer.set(name, value);
    }
    Some(())
}

/// Reads the canonical block starting at `buf[start..]` (which begins with
/// `lease `). Returns the address, the lease and the offset just past its
/// `}`; `None` if anything is not in the canonical form.
pub fn canonical_lease(
    buf: &[u8],
    start: usize,
    full: bool,
    writer: &mut FieldWriter,
    scratch: &mut Scratch,
) -> Option<(u32, BlockState, usize)> {
    let mut b = Bytes { b: buf, p: start };
    if !b.eat(b"lease ") {
        return None;
    }
    let mut addr: u32 = 0;
    for i in 0..4 {
        if i > 0 && !b.eat_byte(b'.') {
            return None;
        }
        let o = b.number(3)?;
        if o > 255 {
            return None;
        }
        addr = (addr << 8) | o as u32;
    }
    if !b.eat(b" {\n") {
        return None;
    }
    writer.clear();
    let mut lease = BlockState::default();
    loop {
        if b.eat_byte(b'}') {
            break;
        }
        if !b.eat(b"  ") {
            return None;
        }
        let first = b.peek()?;
        match first {
            b's' if b.eat(b"starts ") => time(&mut b, "starts", full, writer, scratch, &mut lease)?,
            b'e' if b.eat(b"ends ") => time(&mut b, "ends", full, writer, scratch, &mut lease)?,
            b't' if b.eat(b"tstp ") => time(&mut b, "tstp", full, writer, scratch, &mut lease)?,
            b't' if b.eat(b"tsfp ") => time(&mut b, "tsfp", full, writer, scratch, &mut lease)?,
            b'a' if b.eat(b"atsfp ") => time(&mut b, "atsfp", full, writer, scratch, &mut lease)?,
            b'c' if b.eat(b"cltt ") => time(&mut b, "cltt", full, writer, scratch, &mut lease)?,
            b'b' if b.eat(b"binding state ") => {
                state(&mut b, "binding-state", full, writer, &mut lease)?
            }
            b'n' if b.eat(b"next binding state ") => {
                state(&mut b, "next-binding-state", full, writer, &mut lease)?
            }
            b'r' if b.eat(b"rewind binding state ") => {
                state(&mut b, "rewind-binding-state", full, writer, &mut lease)?
            }
            b'h' if b.eat(b"hardware ") => {
                let kind = b.run(NAME)?;
                if !b.eat_byte(b' ') {
                    return None;
                }
                let (raw, normalised) = b.hex_list(&mut scratch.octets)?;
                b.end_of_field()?;
                if full {
                    if normalised {
                        writer.hardware(kind, raw);
                    } else {
                        writer.hardware(kind, hex_colon(&scratch.octets).as_bytes());
                    }
                }
            }
            b'u' if b.eat(b"uid ") => {
                let raw = if b.peek() == Some(b'"') {
                    b.string()?
                } else {
                    b.hex_list(&mut scratch.octets)?.0
                };
                b.end_of_field()?;
                if full {
                    writer.text("uid", raw);
                }
            }
            b's' if b.eat(b"set ") => set_field(&mut b, full, writer)?,
            b'c' if b.eat(b"client-hostname ") => {
                let raw = b.string()?;
                b.end_of_field()?;
                if full {
                    if raw.contains(&b'\\') {
                        writer.text("client-hostname", &unescape(raw));
                    } else {
                        writer.text("client-hostname", raw);
                    }
                }
            }
            b'o' if b.eat(b"option agent.") => {
                // Kept as written (`DOCSIS-device-class`).
                let name = b.run(WORD)?;
                if !b.eat_byte(b' ') {
                    return None;
                }
                let value = b.value()?;
                b.end_of_field()?;
                if full {
                    writer.agent(name, value);
                }
            }
            b'r' if b.eat(b"reserved;\n") => {
                if full {
                    writer.flag("reserved");
                }
            }
            b'd' if b.eat(b"dynamic-bootp;\n") => {
                if full {
                    writer.flag("dynamic-bootp");
                }
            }
            b'a' if b.eat(b"abandoned;\n") => {
                lease.state = Some(BindingState::Abandoned);
                if full {
                    writer.state("binding-state", BindingState::Abandoned);
                }
            }
            _ => return None,
        }
    }
    Some((addr, lease, b.p))
}

fn time(
    b: &mut Bytes<'_>,
    key: &str,
    full: bool,
    writer: &mut FieldWriter,
    scratch: &mut Scratch,
    lease: &mut BlockState,
) -> Option<()> {
    let t = lease_time(b, scratch)?;
    if key == "ends" {
        lease.ends = Some(t);
    }
    if full {
        writer.time(key, t);
    }
    Some(())
}

/// A time value and its `;` and newline, as dhcpd writes it: `never;`,
/// `epoch N;` (with an optional `# comment`) or `W YYYY/MM/DD HH:MM:SS;`.
pub(super) fn lease_time(b: &mut Bytes<'_>, scratch: &mut Scratch) -> Option<LeaseTime> {
    let t = if b.eat(b"never;\n") {
        LeaseTime::Never
    } else if b.eat(b"epoch ") {
        let v = b.number(12)?;
        let v = i64::try_from(v).ok().filter(|v| *v <= MAX_SECONDS)?;
        if !b.eat_byte(b';') {
            return None;
        }
        // db-time-format local writes `# <local time>` after it.
        if b.eat(b" #") {
            while b.peek().is_some_and(|c| c != b'\n') {
                b.p += 1;
            }
        }
        if !b.eat_byte(b'\n') {
            return None;
        }
        LeaseTime::At(v)
    } else {
        // `W YYYY/MM/DD HH:MM:SS;` at fixed positions.
        let d: &[u8; 23] = b.b.get(b.p..b.p + 23)?.try_into().ok()?;
        let separators = [
            (1, b' '),
            (6, b'/'),
            (9, b'/'),
            (12, b' '),
            (15, b':'),
            (18, b':'),
            (21, b';'),
            (22, b'\n'),
        ];
        if separators.iter().any(|&(i, c)| d[i] != c) {
            return None;
        }
        let digit = |i: usize| -> Option<u64> {
            let v = d[i].wrapping_sub(b'0');
            (v < 10).then_some(u64::from(v))
        };
        let two = |i: usize| -> Option<u64> { Some(digit(i)? * 10 + digit(i + 1)?) };
        digit(0)?;
        let (hour, minute, second) = (two(13)?, two(16)?, two(19)?);
        // Most time fields repeat the date of the one before (starts,
        // cltt, ends of a short lease): a date seen last time is not
        // decoded again.
        let date: [u8; 10] = [d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11]];
        let day = match scratch.date {
            Some((seen, day)) if seen == date => day,
            _ => {
                let year = two(2)? * 100 + two(4)?;
                // An invalid date is the general parser's to report.
                let day = calendar_day(year, two(7)?, two(10)?)?;
                scratch.date = Some((date, day));
                day
            }
        };
        b.p += 23;
        match day {
            CalendarDay::Never => LeaseTime::Never,
            CalendarDay::Days(days) => LeaseTime::At(at_time_of_day(days, hour, minute, second)?),
        }
    };
    Some(t)
}

fn state(
    b: &mut Bytes<'_>,
    key: &str,
    full: bool,
    writer: &mut FieldWriter,
    lease: &mut BlockState,
) -> Option<()> {
    let word = b.run(LOWER)?;
    let s = BindingState::from_lowercase(word)?;
    b.end_of_field()?;
    if key == "binding-state" {
        lease.state = Some(s);
    }
    if full {
        writer.state(key, s);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_classes_are_the_predicates_they_replace() {
        for b in 0..=255u8 {
            let lower = b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_';
            assert_eq!(
                is(WORD, b),
                b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
            );
            assert_eq!(is(NAME, b), lower, "{b}");
            assert_eq!(
                is(VALUE, b),
                b.is_ascii_alphanumeric() || b"%.:-_+".contains(&b),
                "{b}"
            );
            assert_eq!(is(LOWER, b), b.is_ascii_lowercase(), "{b}");
            assert_eq!(is(HEX, b), b.is_ascii_hexdigit(), "{b}");
            assert_eq!(
                is(LOWER_HEX, b),
                b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
            );
        }
    }
}
