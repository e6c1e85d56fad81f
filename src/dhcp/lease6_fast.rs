//! The fast path of the DHCPv6 lease reader: an IA written exactly as
//! dhcpd 4.4 writes it, read with line patterns instead of tokens.
//!
//! Like `lease_fast.rs` for v4 it is an optimisation, never a second
//! grammar: [`canonical_ia`] returns precisely what `leases6.rs` would
//! read from the IA, or `None`, and then the general reader reads it (and
//! reports what is wrong). So it refuses anything unusual: `on` blocks,
//! comments, upper case, CRLF, a missing `binding state` or `ends`, a
//! v4-only state, lifetimes without `;`. The test
//! `fast_path_reads_what_the_general_parser_reads` holds the two equal on
//! every v6 test file.
//!
//! What it accepts (two-space indentation, one field per line):
//! `ia-na|ia-ta|ia-pd "ID"|xx:xx:… {`, `cltt TIME;`, `iaaddr ADDR {` or
//! `iaprefix ADDR/LEN {`, then `binding state S;`, `preferred-life N;`,
//! `max-life N;`, `ends TIME;`, `set NAME = VALUE;` and `}`; `}`.

use std::net::Ipv6Addr;

use super::lease_fast::{Bytes, LOWER, Scratch, lease_time, set_field};
use super::lease_fields::{BindingState, FieldWriter};
use super::leases6::{IaKind, Key6};
use super::time::LeaseTime;

/// One entry of a canonical IA.
pub struct FastEntry {
    pub key: Key6,
    pub state: BindingState,
    pub ends: LeaseTime,
    pub preferred_life: Option<u32>,
    pub max_life: Option<u32>,
    /// `set` variables, encoded (full detail only).
    pub vars: Box<[u8]>,
}

/// A canonical IA: its kind, its id as written, its `cltt`, its
/// entries, and the offset just past its closing `}` and newline.
pub struct FastIa<'a> {
    pub kind: IaKind,
    pub id: &'a str,
    pub cltt: Option<LeaseTime>,
    pub end: usize,
}

/// Reads the canonical IA at `buf[start..]`, its entries into `entries`
/// (cleared first); `None` if anything is not in the canonical form.
pub fn canonical_ia<'a>(
    buf: &'a [u8],
    start: usize,
    full: bool,
    scratch: &mut Scratch,
    writer: &mut FieldWriter,
    entries: &mut Vec<FastEntry>,
) -> Option<FastIa<'a>> {
    entries.clear();
    let mut b = Bytes { b: buf, p: start };
    let kind = if b.eat(b"ia-na ") {
        IaKind::Na
    } else if b.eat(b"ia-ta ") {
        IaKind::Ta
    } else if b.eat(b"ia-pd ") {
        IaKind::Pd
    } else {
        return None;
    };
    let id_bytes = if b.peek() == Some(b'"') {
        b.string()?
    } else {
        let mut octets = Vec::new();
        let (text, normalised) = b.hex_list(&mut octets)?;
        if !normalised {
            return None;
        }
        text
    };
    let id = std::str::from_utf8(id_bytes).ok()?;
    if !b.eat(b" {\n") {
        return None;
    }
    let mut cltt = None;
    loop {
        if b.eat(b"}\n") {
            break;
        }
        if b.eat(b"  cltt ") {
            cltt = Some(lease_time(&mut b, scratch)?);
        } else if b.eat(b"  iaaddr ") {
            if kind == IaKind::Pd {
                return None;
            }
            let addr = address(&mut b, b' ')?;
            entries.push(entry(&mut b, Key6::new(addr, 128), full, scratch, writer)?);
        } else if b.eat(b"  iaprefix ") {
            if kind != IaKind::Pd {
                return None;
            }
            let addr = address(&mut b, b'/')?;
            b.eat_byte(b'/');
            let len = u8::try_from(b.number(3)?).ok().filter(|l| *l <= 128)?;
            entries.push(entry(&mut b, Key6::new(addr, len), full, scratch, writer)?);
        } else {
            return None;
        }
    }
    Some(FastIa {
        kind,
        id,
        cltt,
        end: b.p,
    })
}

/// An IPv6 address up to `stop` (not consumed), as the general reader
/// gathers it: hex digits, `:` and `.` touching each other.
fn address(b: &mut Bytes<'_>, stop: u8) -> Option<u128> {
    let rest = b.b.get(b.p..)?;
    // Hex groups (any case, as the general reader takes them) in one
    // pass up to `stop`; an IPv4 tail or anything odd goes to the
    // standard parser, still only over the characters the general reader
    // would gather.
    let (a, n) = match groups(rest, stop) {
        Some(done) => done,
        None => {
            let window = rest.get(..rest.len().min(46))?;
            let n = memchr::memchr(stop, window)?;
            let text = window.get(..n)?;
            if n == 0
                || !text
                    .iter()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.'))
            {
                return None;
            }
            let a = u128::from(std::str::from_utf8(text).ok()?.parse::<Ipv6Addr>().ok()?);
            (a, n)
        }
    };
    b.p += n;
    Some(a)
}

/// The value of each byte as a hex digit; [`NOT_HEX`] if it is none.
const HEX: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut c = 0;
    while c < 10 {
        t[b'0' as usize + c] = c as u8;
        c += 1;
    }
    let mut c = 0;
    while c < 6 {
        t[b'a' as usize + c] = 10 + c as u8;
        t[b'A' as usize + c] = 10 + c as u8;
        c += 1;
    }
    t
};
const NOT_HEX: u8 = 0xFF;

/// `h:h:…` up to the byte `stop`, with at most one `::`, 1-4 hex digits a
/// group, no IPv4 tail: the address and its length, or `None` for the
/// standard parser to decide. Groups before the `::` are shifted in from
/// the right as they come, those after it likewise in a second word; the
/// two are joined at the end.
fn groups(text: &[u8], stop: u8) -> Option<(u128, usize)> {
    let (mut head, mut tail): (u128, u128) = (0, 0);
    let (mut head_n, mut tail_n) = (0u32, 0u32);
    let mut gap = false;
    let (mut cur, mut digits) = (0u128, 0u32);
    let mut i = 0;
    if text.starts_with(b"::") {
        gap = true;
        i = 2;
    }
    loop {
        let c = *text.get(i)?;
        let d = HEX[usize::from(c)];
        if d != NOT_HEX {
            if digits == 4 {
                return None;
            }
            cur = cur << 4 | u128::from(d);
            digits += 1;
            i += 1;
            continue;
        }
        let at_stop = c == stop;
        if c != b':' && !at_stop {
            return None;
        }
        if digits > 0 {
            if gap {
                tail = tail << 16 | cur;
                tail_n += 1;
            } else {
                head = head << 16 | cur;
                head_n += 1;
            }
        } else if !(at_stop && gap && text.get(i.wrapping_sub(1)) == Some(&b':')) {
            // An empty group: only `::` at the end may stop there.
            return None;
        }
        if head_n + tail_n > 8 {
            return None;
        }
        if at_stop {
            break;
        }
        (cur, digits) = (0, 0);
        i += 1;
        if text.get(i) == Some(&b':') {
            if gap {
                return None;
            }
            gap = true;
            i += 1;
        } else if text.get(i) == Some(&stop) {
            return None;
        }
    }
    let v = match (gap, head_n + tail_n) {
        (false, 8) => head,
        (true, n) if n <= 7 => {
            // Head groups at the top, tail groups flush right.
            let shift = 16 * (8 - head_n);
            head.checked_shl(shift).unwrap_or(0) | tail
        }
        _ => return None,
    };
    Some((v, i))
}

/// The body of an `iaaddr`/`iaprefix` after its address: ` {`, fields,
/// `  }`.
fn entry(
    b: &mut Bytes<'_>,
    key: Key6,
    full: bool,
    scratch: &mut Scratch,
    writer: &mut FieldWriter,
) -> Option<FastEntry> {
    if !b.eat(b" {\n") {
        return None;
    }
    writer.clear();
    let mut state = None;
    let mut ends = None;
    let mut preferred_life = None;
    let mut max_life = None;
    loop {
        if b.eat(b"  }\n") {
            break;
        }
        if b.eat(b"    binding state ") {
            let word = b.run(LOWER)?;
            state = Some(BindingState::from_lowercase(word)?);
            b.end_of_field()?;
        } else if b.eat(b"    preferred-life ") {
            preferred_life = Some(lifetime(b)?);
        } else if b.eat(b"    max-life ") {
            max_life = Some(lifetime(b)?);
        } else if b.eat(b"    ends ") {
            ends = Some(lease_time(b, scratch)?);
        } else if b.eat(b"    set ") {
            set_field(b, full, writer)?;
        } else {
            return None;
        }
    }
    let state = state.filter(|s| {
        matches!(
            s,
            BindingState::Active
                | BindingState::Expired
                | BindingState::Released
                | BindingState::Abandoned
                | BindingState::Free
        )
    })?;
    Some(FastEntry {
        key,
        state,
        ends: ends?,
        preferred_life,
        max_life,
        vars: if full {
            writer.as_bytes().into()
        } else {
            Box::default()
        },
    })
}

/// `N;` and the newline, N a 32-bit number.
fn lifetime(b: &mut Bytes<'_>) -> Option<u32> {
    let v = u32::try_from(b.number(10)?).ok()?;
    b.end_of_field()?;
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `groups` of a whole text, as if followed by a space.
    fn parse(text: &str) -> Option<u128> {
        let with_stop = format!("{text} ");
        groups(with_stop.as_bytes(), b' ')
            .filter(|&(_, n)| n == text.len())
            .map(|(v, _)| v)
    }

    #[test]
    fn hex_groups_parse_like_the_standard_parser() {
        for text in [
            "2001:db8::1",
            "::",
            "::1",
            "1::",
            "2001:db8:0:1:2:3:4:5",
            "2001:db8::1:0:0:1",
            "fe80::a:b:c:d:e",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "2001:db8:1fe:5d00::",
        ] {
            let std: Ipv6Addr = text.parse().unwrap();
            assert_eq!(parse(text), Some(u128::from(std)), "{text}");
        }
        // Random addresses with runs of zero groups, compressed as the
        // standard library writes them and written out in full.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            let mut v: u128 = 0;
            for k in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let group = if x % 3 == 0 {
                    0
                } else {
                    u128::from((x >> 20) as u16)
                };
                v |= group << (16 * k);
            }
            let short = Ipv6Addr::from(v).to_string();
            if !short.contains('.') {
                assert_eq!(parse(&short), Some(v), "{short}");
            }
            let full: Vec<String> = Ipv6Addr::from(v)
                .segments()
                .iter()
                .map(|g| format!("{g:X}"))
                .collect();
            assert_eq!(parse(&full.join(":")), Some(v));
        }
        for bad in [
            ":::",
            "1:::2",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "12345::",
            ":1",
            "1:",
            "1:2:3:4:5:6:7::8",
            "",
        ] {
            let std = bad.parse::<Ipv6Addr>().ok().map(u128::from);
            assert!(parse(bad).is_none() || parse(bad) == std, "{bad}");
        }
    }
}
