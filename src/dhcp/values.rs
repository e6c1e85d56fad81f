//! Multi-token values: IPv4 and IPv6 addresses, dotted names and hex
//! lists (GRAMMAR §1.6).
//!
//! dhcpd builds these from several tokens, so whitespace and even comments
//! may sit between the parts (`10.18.5 . 30` is an address). Octets are
//! always decimal: `010` is 10. `Ipv4Addr::from_str` gets both wrong, so it
//! is never used on input text.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::cursor::Cursor;
use super::lexer::{Kind, Token};

/// A value that could not be read: where, and why (a full sentence
/// fragment, lowercase, no trailing period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    pub at: usize,
    pub message: String,
}

pub type ValueResult<T> = Result<T, ValueError>;

fn err<T>(at: usize, message: String) -> ValueResult<T> {
    Err(ValueError { at, message })
}

/// The value of an all-decimal word, saturating far above any octet.
pub fn decimal(text: &[u8]) -> Option<u64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in text {
        v = v.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    Some(v)
}

/// Reads `N . N . N . N` with decimal octets 0-255.
pub fn read_ipv4(cur: &mut Cursor<'_>) -> ValueResult<Ipv4Addr> {
    let mut octets = [0u8; 4];
    for (i, slot) in octets.iter_mut().enumerate() {
        if i > 0 {
            let dot = cur.peek();
            if !dot.is_punct(b'.') {
                return err(
                    dot.pos(),
                    format!(
                        "too few numbers in IPv4 address: expected '.', found {}",
                        cur.describe(dot)
                    ),
                );
            }
            cur.bump();
        }
        let t = cur.bump();
        *slot = octet(cur, t)?;
    }
    Ok(Ipv4Addr::from(octets))
}

fn octet(cur: &Cursor<'_>, t: Token) -> ValueResult<u8> {
    if t.kind != Kind::Word {
        return err(
            t.pos(),
            format!("expected an IPv4 address, found {}", cur.describe(t)),
        );
    }
    match decimal(cur.text(t)) {
        Some(v) if v <= 255 => Ok(v as u8),
        Some(_) => err(
            t.pos(),
            format!(
                "octet {} is out of range (0-255)",
                String::from_utf8_lossy(cur.text(t))
            ),
        ),
        None if cur.text(t).first().is_some_and(u8::is_ascii_digit) => err(
            t.pos(),
            format!(
                "octet {} is a number run into a word (a missing space or ';'?)",
                cur.describe(t)
            ),
        ),
        None => err(
            t.pos(),
            format!("expected a decimal IPv4 octet, found {}", cur.describe(t)),
        ),
    }
}

/// Reads an IPv6 address as dhcpd does: the tokens that touch each other
/// (words, `:` and `.`, no whitespace or comment between them) make one
/// text, parsed like `inet_pton` (an embedded IPv4 tail included).
/// Whitespace ends the address: `2001:db8:: 5` is `2001:db8::` and then
/// `5`. Hex-looking words that are keywords elsewhere (`add`) are plain
/// groups here.
pub fn read_ipv6(cur: &mut Cursor<'_>) -> ValueResult<Ipv6Addr> {
    let first = cur.peek();
    if !matches!(first.kind, Kind::Word | Kind::Punct(b':')) {
        return err(
            first.pos(),
            format!("expected an IPv6 address, found {}", cur.describe(first)),
        );
    }
    let start = first.start;
    let mut end = first.start;
    loop {
        let t = cur.peek();
        let part = matches!(t.kind, Kind::Word | Kind::Punct(b':' | b'.'));
        if !part || (end != start && (t.space_before || t.start != end)) {
            break;
        }
        cur.bump();
        end = t.end;
        if end - start > 64 {
            break;
        }
    }
    let text = cur.src().get(start..end).unwrap_or_default();
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse::<Ipv6Addr>().ok())
        .map_or_else(
            || {
                err(
                    start,
                    format!(
                        "'{}' is not a valid IPv6 address",
                        String::from_utf8_lossy(text)
                    ),
                )
            },
            Ok,
        )
}

/// Reads `ADDRESS/LEN` (whitespace allowed around the `/`, not inside the
/// address), the length 0-128.
pub fn read_ipv6_prefix(cur: &mut Cursor<'_>) -> ValueResult<(Ipv6Addr, u8)> {
    let addr = read_ipv6(cur)?;
    let slash = cur.peek();
    if !slash.is_punct(b'/') {
        return err(
            slash.pos(),
            format!(
                "expected '/' and a prefix length after the address, found {}",
                cur.describe(slash)
            ),
        );
    }
    cur.bump();
    Ok((addr, read_prefix_len(cur)?))
}

/// A prefix length after its `/`: 0-128.
pub fn read_prefix_len(cur: &mut Cursor<'_>) -> ValueResult<u8> {
    let t = cur.bump();
    match decimal(cur.text(t)) {
        Some(n) if t.kind == Kind::Word && n <= 128 => Ok(n as u8),
        _ => err(
            t.pos(),
            format!("expected a prefix length 0-128, found {}", cur.describe(t)),
        ),
    }
}

/// An item of `fixed-address` or of an address-list option: dhcpd accepts
/// an IPv4 literal or a DNS name in the same place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressOrName {
    V4(Ipv4Addr),
    Name(String),
}

/// Reads `word (. word)* [.]`: a host, shared-network or DNS name. Four
/// all-decimal parts make an IPv4 address instead (with octet checks).
pub fn read_address_or_name(cur: &mut Cursor<'_>) -> ValueResult<AddressOrName> {
    let first = cur.peek();
    if first.kind != Kind::Word {
        return err(
            first.pos(),
            format!(
                "expected an address or a name, found {}",
                cur.describe(first)
            ),
        );
    }
    let mut parts: Vec<Token> = Vec::with_capacity(4);
    let mut trailing_dot = false;
    loop {
        let t = cur.bump();
        parts.push(t);
        if !cur.peek().is_punct(b'.') {
            break;
        }
        cur.bump();
        if cur.peek().kind != Kind::Word {
            trailing_dot = true;
            break;
        }
        if parts.len() > 255 {
            let at = cur.peek().pos();
            return err(at, "name has too many labels".to_string());
        }
    }
    // dhcpd decides by the first two labels: `N.N…` is an address (four
    // decimal octets, nothing else: `10.0.0.` and `10.0.0.1x` are errors);
    // anything else, even `10` or `10.x`, is a host name.
    let is_number = |t: &Token| cur.text(*t).iter().all(u8::is_ascii_digit);
    let numeric = parts.len() >= 2 && parts.iter().take(2).all(is_number);
    if numeric {
        if trailing_dot {
            let next = cur.peek();
            return err(
                next.pos(),
                format!(
                    "expected a number after the '.', found {}",
                    cur.describe(next)
                ),
            );
        }
        if parts.len() != 4 {
            let at = parts.first().map_or(first.pos(), |t| t.pos());
            return err(
                at,
                format!("an IPv4 address needs four numbers, found {}", parts.len()),
            );
        }
        let mut octets = [0u8; 4];
        for (slot, t) in octets.iter_mut().zip(&parts) {
            *slot = octet(cur, *t)?;
        }
        return Ok(AddressOrName::V4(Ipv4Addr::from(octets)));
    }
    let mut name = String::new();
    for (i, t) in parts.iter().enumerate() {
        if i > 0 {
            name.push('.');
        }
        name.push_str(&String::from_utf8_lossy(cur.text(*t)));
    }
    if trailing_dot {
        name.push('.');
    }
    Ok(AddressOrName::Name(name))
}

/// Reads a name that must not be an IPv4-looking value only when the
/// caller says so; used for `host` and `shared-network` names, where
/// `host 10.44.0.77` is a *name*. Returns the text as written.
pub fn read_dotted_name(cur: &mut Cursor<'_>) -> ValueResult<String> {
    let first = cur.peek();
    if first.kind != Kind::Word {
        return err(
            first.pos(),
            format!("expected a name, found {}", cur.describe(first)),
        );
    }
    let mut name = String::new();
    loop {
        let t = cur.bump();
        name.push_str(&String::from_utf8_lossy(cur.text(t)));
        if !cur.peek().is_punct(b'.') {
            break;
        }
        cur.bump();
        name.push('.');
        if cur.peek().kind != Kind::Word {
            break;
        }
        if name.len() > 4096 {
            return err(t.pos(), "name is too long".to_string());
        }
    }
    Ok(name)
}

/// Most octets in a hex list (MACs, uids, client ids are far shorter;
/// dhcpd's own buffers hold a few hundred). Both lease readers use it.
pub const MAX_HEX_OCTETS: usize = 1024;

/// Reads a colon-separated list of hex octets (`0:c:29:a:b:c`). Like
/// dhcpd, an octet may have leading zeros (`0044`) as long as its value
/// fits in a byte.
pub fn read_hex_list(cur: &mut Cursor<'_>) -> ValueResult<Vec<u8>> {
    let mut out = Vec::with_capacity(6);
    loop {
        let t = cur.bump();
        let text = cur.text(t);
        let value = (t.kind == Kind::Word && !text.is_empty())
            .then(|| hex_value(text))
            .flatten();
        let Some(v) = value else {
            let hint = if t.kind == Kind::Word && text.contains(&b'-') {
                " (use colons, not dashes)"
            } else if t.kind == Kind::Word && text.iter().all(u8::is_ascii_hexdigit) {
                " (octets are at most ff, separated by ':')"
            } else {
                ""
            };
            return err(
                t.pos(),
                format!("expected a hex octet, found {}{hint}", cur.describe(t)),
            );
        };
        out.push(v);
        if out.len() > MAX_HEX_OCTETS {
            return err(
                t.pos(),
                format!("hex list is longer than {MAX_HEX_OCTETS} octets"),
            );
        }
        if !cur.eat_punct(b':') {
            return Ok(out);
        }
    }
}

/// The value of a hex word if it fits in a byte (leading zeros allowed).
fn hex_value(text: &[u8]) -> Option<u8> {
    let mut v: u32 = 0;
    for &c in text {
        v = v * 16 + (c as char).to_digit(16)?;
        if v > 0xff {
            return None;
        }
    }
    u8::try_from(v).ok()
}

/// Formats octets as lowercase two-digit hex joined by `:`.
pub fn hex_colon(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

const HEX: [u8; 16] = *b"0123456789abcdef";

/// The prefix length of a netmask, and whether its ones are contiguous.
pub fn mask_prefix(mask: Ipv4Addr) -> (u8, bool) {
    let m = u32::from(mask);
    let ones = m.count_ones() as u8;
    let contiguous = m.leading_ones() == m.count_ones();
    (ones, contiguous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::lexer::Mode;
    use std::sync::Arc;

    fn cur(src: &str) -> Cursor<'_> {
        Cursor::new(src.as_bytes(), Mode::Conf, Arc::from("t"))
    }

    #[test]
    fn ipv6_forms() {
        let v6 = |s: &str| read_ipv6(&mut cur(s)).map(|a| a.to_string());
        assert_eq!(v6("2001:db8:0:add::/64").as_deref(), Ok("2001:db8:0:add::"));
        assert_eq!(v6("2001:DB8:0:4::a00;").as_deref(), Ok("2001:db8:0:4::a00"));
        assert_eq!(v6("::ffff:10.45.0.1 x").as_deref(), Ok("::ffff:10.45.0.1"));
        assert_eq!(v6("::").as_deref(), Ok("::"));
        assert_eq!(v6("fe80::1:2:3:4:5:6").as_deref(), Ok("fe80:0:1:2:3:4:5:6"));
        // RFC 5952: lowercase, the longest run of zeros compressed, one
        // zero group not compressed.
        assert_eq!(
            v6("2001:0db8:0:0:1:0:0:1").as_deref(),
            Ok("2001:db8::1:0:0:1")
        );
        assert_eq!(
            v6("2001:db8:0:1:1:1:1:1").as_deref(),
            Ok("2001:db8:0:1:1:1:1:1")
        );
        // Whitespace ends the address.
        let mut c = cur("2001:db8:: 5");
        assert_eq!(
            read_ipv6(&mut c).map(|a| a.to_string()).as_deref(),
            Ok("2001:db8::")
        );
        let next = c.peek();
        assert_eq!(c.text(next), b"5");
        assert!(v6("2001:db8 ::1").is_err());
        assert!(v6("2001:db8:0:1::100:zz").is_err());
        assert!(v6("10.0.0.1").is_err());
        assert!(v6(";").is_err());
        let p = |s: &str| read_ipv6_prefix(&mut cur(s)).map(|(a, l)| format!("{a}/{l}"));
        assert_eq!(p("2001:db8:45:: /64").as_deref(), Ok("2001:db8:45::/64"));
        assert_eq!(p("2001:db8:1ff::/56").as_deref(), Ok("2001:db8:1ff::/56"));
        assert!(p("2001:db8::/129").is_err());
        assert!(p("2001:db8:: 64").is_err());
    }

    #[test]
    fn ipv4_forms() {
        assert_eq!(
            read_ipv4(&mut cur("10.18.5.010")),
            Ok(Ipv4Addr::new(10, 18, 5, 10))
        );
        assert_eq!(
            read_ipv4(&mut cur("10.18.5 . 30")),
            Ok(Ipv4Addr::new(10, 18, 5, 30))
        );
        assert_eq!(
            read_ipv4(&mut cur("10.44.0. # c\n 9")),
            Ok(Ipv4Addr::new(10, 44, 0, 9))
        );
        let e = read_ipv4(&mut cur("10.0.0.256")).unwrap_err();
        assert_eq!(
            (e.at, e.message.as_str()),
            (7, "octet 256 is out of range (0-255)")
        );
        let e = read_ipv4(&mut cur("10.0.0 ;")).unwrap_err();
        assert!(e.message.starts_with("too few numbers"), "{}", e.message);
        assert!(read_ipv4(&mut cur("fe80::1")).is_err());
    }

    #[test]
    fn address_or_name() {
        assert_eq!(
            read_address_or_name(&mut cur("10.9.0.9,")),
            Ok(AddressOrName::V4(Ipv4Addr::new(10, 9, 0, 9)))
        );
        assert_eq!(
            read_address_or_name(&mut cur("gw.example.com;")),
            Ok(AddressOrName::Name("gw.example.com".into()))
        );
        assert_eq!(
            read_address_or_name(&mut cur("3com.example.")),
            Ok(AddressOrName::Name("3com.example.".into()))
        );
        assert!(read_address_or_name(&mut cur("10.0.0;")).is_err());
        // As dhcpd decides: two leading numbers make an address, so the
        // rest must be numbers too; otherwise it is a host name.
        assert!(read_address_or_name(&mut cur("10.0.0.;")).is_err());
        assert!(read_address_or_name(&mut cur("10.0.0.1x;")).is_err());
        assert_eq!(
            read_address_or_name(&mut cur("10.40x.0.1;")),
            Ok(AddressOrName::Name("10.40x.0.1".into()))
        );
        assert_eq!(
            read_address_or_name(&mut cur("10;")),
            Ok(AddressOrName::Name("10".into()))
        );
    }

    #[test]
    fn names() {
        assert_eq!(
            read_dotted_name(&mut cur("trailing.dot.example. {")),
            Ok("trailing.dot.example.".into())
        );
        assert_eq!(
            read_dotted_name(&mut cur("10.44.0.77 {")),
            Ok("10.44.0.77".into())
        );
        assert!(read_dotted_name(&mut cur("\"q\"")).is_err());
    }

    #[test]
    fn hex_lists() {
        assert_eq!(
            read_hex_list(&mut cur("0:c:29:a:b:C;")),
            Ok(vec![0, 12, 0x29, 10, 11, 12])
        );
        assert_eq!(hex_colon(&[0, 12, 0xAB]), "00:0c:ab");
        let e = read_hex_list(&mut cur("00-11-22")).unwrap_err();
        assert!(e.message.contains("dashes"), "{}", e.message);
        assert!(read_hex_list(&mut cur("001122334455")).is_err());
        // Leading zeros are fine while the value fits in a byte.
        assert_eq!(read_hex_list(&mut cur("0044:00ff;")), Ok(vec![0x44, 0xff]));
        assert!(read_hex_list(&mut cur("100:1;")).is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask_prefix(Ipv4Addr::new(255, 255, 252, 0)), (22, true));
        assert_eq!(mask_prefix(Ipv4Addr::new(255, 0, 255, 0)), (16, false));
        assert_eq!(mask_prefix(Ipv4Addr::new(0, 0, 0, 0)), (0, true));
    }
}
