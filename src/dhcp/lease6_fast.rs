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

use super::lease_fast::{Bytes, LOWER, Scratch, WORD, lease_time};
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
    let window = rest.get(..rest.len().min(46))?;
    let n = memchr::memchr(stop, window)?;
    let text = window.get(..n)?;
    // Hex groups (any case, as the general reader takes them) in one
    // pass; an IPv4 tail or anything odd goes to the standard parser,
    // still only over the characters the general reader would gather.
    let a = match groups(text) {
        Some(a) => a,
        None if n > 0
            && text
                .iter()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.')) =>
        {
            u128::from(std::str::from_utf8(text).ok()?.parse::<Ipv6Addr>().ok()?)
        }
        None => return None,
    };
    b.p += n;
    Some(a)
}

/// `h:h:…` with at most one `::`, 1-4 hex digits a group, no IPv4 tail:
/// the address, or `None` for the standard parser to decide.
fn groups(text: &[u8]) -> Option<u128> {
    // One pass: groups into `g`, and where the `::` gap is.
    let mut g = [0u16; 8];
    let mut n = 0usize;
    let mut gap: Option<usize> = None;
    let (mut cur, mut digits) = (0u16, 0u32);
    let mut i = 0;
    if text.starts_with(b"::") {
        gap = Some(0);
        i = 2;
    } else if text.first() == Some(&b':') {
        return None;
    }
    while let Some(&c) = text.get(i) {
        if c == b':' {
            if digits == 0 {
                return None;
            }
            *g.get_mut(n)? = cur;
            n += 1;
            (cur, digits) = (0, 0);
            i += 1;
            if text.get(i) == Some(&b':') {
                if gap.is_some() {
                    return None;
                }
                gap = Some(n);
                i += 1;
            } else if i == text.len() {
                return None;
            }
            continue;
        }
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        if digits == 4 {
            return None;
        }
        cur = cur << 4 | u16::from(d);
        digits += 1;
        i += 1;
    }
    if digits > 0 {
        *g.get_mut(n)? = cur;
        n += 1;
    }
    let (head, tail) = match gap {
        None if n == 8 => (n, 0),
        None => return None,
        Some(_) if n > 7 => return None,
        Some(at) => (at, n - at),
    };
    let mut v: u128 = 0;
    for (k, &x) in g.iter().take(n).enumerate() {
        // Head groups from the left, tail groups flush right.
        let slot = if k < head { k } else { 8 - tail + (k - head) };
        v |= u128::from(x) << (16 * (7 - slot));
    }
    Some(v)
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
            let name = b.run(WORD)?;
            if !b.eat(b" = ") {
                return None;
            }
            let value = b.value()?;
            b.end_of_field()?;
            if full {
                writer.set(name, value);
            }
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
            assert_eq!(groups(text.as_bytes()), Some(u128::from(std)), "{text}");
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
                assert_eq!(groups(short.as_bytes()), Some(v), "{short}");
            }
            let full: Vec<String> = Ipv6Addr::from(v)
                .segments()
                .iter()
                .map(|g| format!("{g:X}"))
                .collect();
            assert_eq!(groups(full.join(":").as_bytes()), Some(v));
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
            assert!(
                groups(bad.as_bytes()).is_none() || groups(bad.as_bytes()) == std,
                "{bad}"
            );
        }
    }
}
