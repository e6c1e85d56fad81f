//! Finding a client (SPEC §4, `/search` and `/dashboard?q=`): every lease
//! and every placed reservation whose address, MAC, client id or host
//! name contains the text, case-insensitively. A MAC matches with or
//! without separators (`52:54:00:16`, `5254.0016`, `52-54-00-16` and
//! `52540016` all find `52:54:00:16:7d:92`).
//!
//! Pure: a generation's report, configuration and lease database in,
//! hits out. The JSON of `/search` is written here too; the dashboard
//! renders the same hits as HTML.

use std::net::Ipv4Addr;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::dhcp::lease_fields::{Field, Fields};
use crate::dhcp::leases6::Key6;
use crate::report::json::v6::{Lease6Json, Static6Json};
use crate::report::json::{LeaseObject, Sources};
use crate::report::v6::{Static6Entry, Subnet6Index, classify6};
use crate::report::{Counted, StaticEntry, SubnetIndex, classify};

/// Hits returned at most; more set [`Hits::truncated`].
pub const MAX_HITS: usize = 1000;
/// Longest search text accepted (bytes).
pub const MAX_QUERY: usize = 200;

/// A search text, prepared once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// As given (trimmed), for showing back.
    pub text: String,
    lower: Vec<u8>,
    /// The hex digits of a text that can be part of a MAC, lowercase.
    hex: Option<Vec<u8>>,
}

/// Why a search text is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    Empty,
    TooLong,
}

impl QueryError {
    pub fn message(&self) -> String {
        match self {
            QueryError::Empty => "give the text to search for: ?q=TEXT".to_string(),
            QueryError::TooLong => format!("the search text is longer than {MAX_QUERY} bytes"),
        }
    }
}

impl Query {
    pub fn new(text: &str) -> Result<Query, QueryError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(QueryError::Empty);
        }
        if text.len() > MAX_QUERY {
            return Err(QueryError::TooLong);
        }
        let lower = text.as_bytes().to_ascii_lowercase();
        Ok(Query {
            text: text.to_string(),
            hex: mac_digits(&lower),
            lower,
        })
    }

    fn in_text(&self, hay: &[u8]) -> bool {
        contains_ignore_case(hay, &self.lower)
    }

    /// A MAC (or a client id written as colon-hex) matches as text or by
    /// its hex digits alone.
    fn in_mac(&self, mac: &[u8]) -> bool {
        if self.in_text(mac) {
            return true;
        }
        let Some(hex) = &self.hex else {
            return false;
        };
        let digits: Vec<u8> = mac
            .iter()
            .filter(|c| c.is_ascii_hexdigit())
            .map(u8::to_ascii_lowercase)
            .collect();
        contains_ignore_case(&digits, hex)
    }
}

/// The hex digits of a text that could be (part of) a MAC: hex digits
/// and the separators `:`, `-`, `.`. A dotted text of decimal digits is
/// an IPv4 address, not a MAC, unless it has Cisco's four-digit groups
/// (`5254.0016.7d92`): `10.0.0.5` must not find MACs holding `10005`.
fn mac_digits(lower: &[u8]) -> Option<Vec<u8>> {
    if !lower
        .iter()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, b':' | b'-' | b'.'))
    {
        return None;
    }
    let has_letter = lower.iter().any(|c| c.is_ascii_alphabetic());
    let cisco = lower.split(|&c| c == b'.').any(|g| g.len() == 4);
    if lower.contains(&b'.') && !has_letter && !cisco {
        return None;
    }
    let digits: Vec<u8> = lower
        .iter()
        .copied()
        .filter(u8::is_ascii_hexdigit)
        .collect();
    (digits.len() >= 2).then_some(digits)
}

/// `needle` (lowercase) occurs in `hay`, ignoring ASCII case.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// One thing found.
#[derive(Clone, Debug)]
pub enum Hit<'a> {
    Lease {
        addr: u32,
        /// Index into `Report::subnets`; `None`: in no declared subnet.
        subnet: Option<usize>,
        counted: Counted,
    },
    Static {
        subnet: usize,
        entry: &'a StaticEntry,
    },
    /// A DHCPv6 lease (address or delegated prefix).
    Lease6 {
        key: Key6,
        /// Index into `Report::v6.subnets`.
        subnet: Option<usize>,
        counted: Counted,
    },
    Static6 {
        subnet: usize,
        entry: &'a Static6Entry,
    },
}

impl Hit<'_> {
    /// IPv4 before IPv6, by address; a reservation before its lease.
    fn sort_key(&self) -> (u8, u128, u8) {
        match self {
            Hit::Static { entry, .. } => (4, u128::from(u32::from(entry.ip_address)), 0),
            Hit::Lease { addr, .. } => (4, u128::from(*addr), 1),
            Hit::Static6 { entry, .. } => {
                let a = entry
                    .ip_address
                    .or(entry.prefix.map(|(p, _)| p))
                    .map_or(0, u128::from);
                (6, a, 0)
            }
            Hit::Lease6 { key, .. } => (6, key.addr(), 1),
        }
    }
}

/// What a search found, by address (a reservation before its lease).
#[derive(Clone, Debug)]
pub struct Hits<'a> {
    pub query: Query,
    pub hits: Vec<Hit<'a>>,
    pub truncated: bool,
}

/// Searches one generation's data.
pub fn search<'a>(src: Sources<'a>, query: Query) -> Hits<'a> {
    let report = src.report;
    let mut hits = Vec::new();
    for (i, sr) in report.subnets.iter().enumerate() {
        for entry in &sr.statics {
            if static_matches(&query, entry) {
                hits.push(Hit::Static { subnet: i, entry });
            }
        }
    }
    let index = SubnetIndex::new(&src.conf.subnets);
    let mut by_conf_index = vec![None; src.conf.subnets.len()];
    for (i, sr) in report.subnets.iter().enumerate() {
        if let Some(slot) = by_conf_index.get_mut(sr.subnet) {
            *slot = Some(i);
        }
    }
    for (&addr, lease) in &src.db.leases {
        let fields = src.db.fields.get(addr).unwrap_or_default();
        if lease_matches(&query, addr, fields) {
            hits.push(Hit::Lease {
                addr,
                subnet: index
                    .lookup(addr)
                    .and_then(|c| by_conf_index.get(c).copied().flatten()),
                counted: classify(lease, report.now),
            });
        }
    }
    search6(src, &query, &mut hits);
    hits.sort_unstable_by_key(Hit::sort_key);
    let truncated = hits.len() > MAX_HITS;
    hits.truncate(MAX_HITS);
    Hits {
        query,
        hits,
        truncated,
    }
}

/// The DHCPv6 leases and reservations: address or prefix, client id
/// (the IA's DUID as written, or a host's host-identifier), MAC, names.
fn search6<'a>(src: Sources<'a>, q: &Query, hits: &mut Vec<Hit<'a>>) {
    let Some(v6) = src.v6 else { return };
    for (i, sr) in src.report.v6.subnets.iter().enumerate() {
        for entry in &sr.statics {
            let texts = [
                Some(entry.name.clone()),
                entry.host_name.clone(),
                entry.ip_address.map(|a| a.to_string()),
                entry.prefix.map(|(p, l)| format!("{p}/{l}")),
            ];
            let found = texts.iter().flatten().any(|t| q.in_text(t.as_bytes()))
                || entry
                    .mac_address
                    .as_deref()
                    .is_some_and(|m| q.in_mac(m.as_bytes()))
                || entry
                    .client_id
                    .as_deref()
                    .is_some_and(|c| q.in_mac(c.as_bytes()));
            if found {
                hits.push(Hit::Static6 { subnet: i, entry });
            }
        }
    }
    let mut where_is: std::collections::HashMap<Key6, usize> = std::collections::HashMap::new();
    for (i, sr) in src.report.v6.subnets.iter().enumerate() {
        for k in &sr.leases {
            where_is.insert(*k, i);
        }
    }
    let index = Subnet6Index::new(&v6.conf.subnets6);
    for (key, lease) in v6.db.iter() {
        let found =
            q.in_text(key.text().as_bytes()) || q.in_mac(v6.db.ia_id(key, lease).as_bytes());
        if found {
            let subnet = where_is.get(key).copied().or_else(|| {
                // Summary reports list no leases: find the subnet6 again.
                let c = index.lookup(key.addr())?;
                src.report.v6.subnets.iter().position(|sr| sr.subnet == c)
            });
            hits.push(Hit::Lease6 {
                key: *key,
                subnet,
                counted: classify6(lease, src.report.now),
            });
        }
    }
}

fn static_matches(q: &Query, e: &StaticEntry) -> bool {
    q.in_text(e.ip_address.to_string().as_bytes())
        || q.in_text(e.name.as_bytes())
        || e.host_name
            .as_deref()
            .is_some_and(|h| q.in_text(h.as_bytes()))
        || e.mac_address
            .as_deref()
            .is_some_and(|m| q.in_mac(m.as_bytes()))
}

fn lease_matches(q: &Query, addr: u32, fields: &[u8]) -> bool {
    if q.in_text(Ipv4Addr::from(addr).to_string().as_bytes()) {
        return true;
    }
    Fields::new(fields).any(|f| match f {
        Field::Hardware(_, mac) => q.in_mac(mac),
        Field::Text("uid", uid) => q.in_mac(uid),
        Field::Text("client-hostname", name) => q.in_text(name),
        _ => false,
    })
}

/// The `/search` answer: `{"query": …, "hits": […], "truncated": …}`.
/// A lease hit holds `type`, `address`, `subnet` (when in one), `state`
/// (how it counts now) and `lease` (its §3.5 object); a reservation hit
/// `type`, `name`, `subnet` and `static` (its §3.4 object).
pub struct HitsJson<'a, 'b> {
    pub src: Sources<'a>,
    pub hits: &'b Hits<'a>,
}

impl Serialize for HitsJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("query", &self.hits.query.text)?;
        map.serialize_entry(
            "hits",
            &HitList {
                src: self.src,
                hits: &self.hits.hits,
            },
        )?;
        map.serialize_entry("truncated", &self.hits.truncated)?;
        map.end()
    }
}

struct HitList<'a, 'b> {
    src: Sources<'a>,
    hits: &'b [Hit<'a>],
}

impl Serialize for HitList<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.hits.len()))?;
        for hit in self.hits {
            seq.serialize_element(&HitJson { src: self.src, hit })?;
        }
        seq.end()
    }
}

struct HitJson<'a, 'b> {
    src: Sources<'a>,
    hit: &'b Hit<'a>,
}

impl Serialize for HitJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        let subnet_cidr = |i: usize| self.src.report.subnets.get(i).map(|sr| sr.cidr.as_str());
        match self.hit {
            Hit::Lease {
                addr,
                subnet,
                counted,
            } => {
                map.serialize_entry("type", "lease")?;
                map.serialize_entry("address", &Ipv4Addr::from(*addr).to_string())?;
                if let Some(cidr) = subnet.and_then(subnet_cidr) {
                    map.serialize_entry("subnet", cidr)?;
                }
                map.serialize_entry("state", counted_name(*counted))?;
                let fields = self.src.db.fields.get(*addr).unwrap_or_default();
                map.serialize_entry("lease", &LeaseObject(fields))?;
            }
            Hit::Static { subnet, entry } => {
                map.serialize_entry("type", "static")?;
                map.serialize_entry("name", &entry.name)?;
                if let Some(cidr) = subnet_cidr(*subnet) {
                    map.serialize_entry("subnet", cidr)?;
                }
                map.serialize_entry("static", &crate::report::json::StaticJson(entry))?;
            }
            Hit::Lease6 {
                key,
                subnet,
                counted,
            } => {
                let cidr6 = |i: usize| self.src.report.v6.subnets.get(i).map(|sr| sr.cidr.as_str());
                map.serialize_entry("type", "lease")?;
                map.serialize_entry("address", &key.text())?;
                if let Some(cidr) = subnet.and_then(cidr6) {
                    map.serialize_entry("subnet", cidr)?;
                }
                map.serialize_entry("state", counted_name(*counted))?;
                if let Some(v6) = self.src.v6 {
                    map.serialize_entry("lease", &Lease6Json { db: v6.db, key })?;
                }
            }
            Hit::Static6 { subnet, entry } => {
                map.serialize_entry("type", "static")?;
                map.serialize_entry("name", &entry.name)?;
                if let Some(sr) = self.src.report.v6.subnets.get(*subnet) {
                    map.serialize_entry("subnet", &sr.cidr)?;
                }
                map.serialize_entry("static", &Static6Json(entry))?;
            }
        }
        map.end()
    }
}

/// The name of a counted state, as `ips` spells it.
pub fn counted_name(c: Counted) -> &'static str {
    match c {
        Counted::Active => "active",
        Counted::Free => "free",
        Counted::Backup => "backup",
        Counted::Expired => "expired",
        Counted::Released => "released",
        Counted::Abandoned => "abandoned",
        Counted::Reset => "reset",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Query {
        Query::new(text).unwrap()
    }

    #[test]
    fn macs_match_with_or_without_separators_in_any_case() {
        let mac = b"52:54:00:16:7d:92";
        for text in [
            "52:54:00:16",
            "52-54-00-16-7D",
            "5254.0016.7d92",
            "525400167D92",
            "7d:92",
            "16:7d",
        ] {
            assert!(q(text).in_mac(mac), "{text}");
        }
        for text in ["52:55", "7d:93", "zz"] {
            assert!(!q(text).in_mac(mac), "{text}");
        }
    }

    #[test]
    fn a_dotted_decimal_text_is_an_address_not_a_mac() {
        // 10.0.0.5 must not find a MAC that holds the digits 10005.
        assert!(!q("10.0.0.5").in_mac(b"aa:10:00:5b:00:00"));
        assert!(q("1000.5bcd").in_mac(b"aa:10:00:5b:cd:00"), "Cisco groups");
    }

    #[test]
    fn texts_are_refused_when_empty_or_too_long() {
        assert_eq!(Query::new("  "), Err(QueryError::Empty));
        assert_eq!(
            Query::new(&"a".repeat(MAX_QUERY + 1)),
            Err(QueryError::TooLong)
        );
        assert_eq!(q(" Host ").text, "Host");
        assert!(q("HOST").in_text(b"my-host-1"));
    }
}
