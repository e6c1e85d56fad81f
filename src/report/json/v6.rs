//! The wire format of a subnet6 (SPEC §3.7): the v4 shape plus
//! `temporary_ranges`/`temporary`, `prefix_ranges`/`prefixes`,
//! `domain_search`, and leases keyed by address or prefix. Counts are
//! exact JSON integers (a /64 is 18446744073709551616, never a float).

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use super::{CountsJson, Style, lossy};
use crate::dhcp::Detail;
use crate::dhcp::conf::{Conf, Range6, Subnet6};
use crate::dhcp::lease_fields::{Field, Fields};
use crate::dhcp::leases6::{Key6, LeaseDb6};
use crate::dhcp::time::LeaseTimeText;
use crate::report::Counts;
use crate::report::v6::{Static6Entry, Subnet6Report};

/// The v6 data a rendering needs.
#[derive(Clone, Copy)]
pub struct Sources6<'a> {
    pub conf: &'a Conf,
    pub db: &'a LeaseDb6,
}

pub(super) struct Subnet6Json<'a> {
    pub src: Sources6<'a>,
    pub sr: &'a Subnet6Report,
    pub style: Style,
}

struct Ranges6Json<'a>(&'a [Range6]);

impl Serialize for Ranges6Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            seq.serialize_element(&[r.low.to_string(), r.high.to_string()])?;
        }
        seq.end()
    }
}

struct PrefixRangesJson<'a>(&'a Subnet6);

impl Serialize for PrefixRangesJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.prefixes.len()))?;
        for p in &self.0.prefixes {
            seq.serialize_element(&(p.low.to_string(), p.high.to_string(), p.bits))?;
        }
        seq.end()
    }
}

/// `temporary` (the `ips` keys but `static`) or `prefixes` (without
/// `backup` and `reset` either).
struct PartialCountsJson<'a>(&'a Counts, &'static [&'static str]);

impl Serialize for PartialCountsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.1.len()))?;
        for (k, v) in self.0.pairs() {
            if self.1.contains(&k) {
                map.serialize_entry(k, &v)?;
            }
        }
        map.end()
    }
}

const TEMPORARY_KEYS: &[&str] = &[
    "total",
    "active",
    "free",
    "backup",
    "expired",
    "released",
    "abandoned",
    "reset",
    "unused",
];
const PREFIX_KEYS: &[&str] = &[
    "total",
    "active",
    "free",
    "expired",
    "released",
    "abandoned",
    "unused",
];

impl Serialize for Subnet6Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        let Some(subnet) = self.src.conf.subnets6.get(self.sr.subnet) else {
            return map.end();
        };
        map.serialize_entry("ranges", &Ranges6Json(&subnet.ranges))?;
        map.serialize_entry("ips", &CountsJson(&self.sr.ips))?;
        if let Some(t) = &self.sr.temporary {
            map.serialize_entry("temporary_ranges", &Ranges6Json(&subnet.temporary))?;
            map.serialize_entry("temporary", &PartialCountsJson(t, TEMPORARY_KEYS))?;
        }
        if let Some(p) = &self.sr.prefixes {
            map.serialize_entry("prefix_ranges", &PrefixRangesJson(subnet))?;
            map.serialize_entry("prefixes", &PartialCountsJson(p, PREFIX_KEYS))?;
        }
        if let Some(v) = &subnet.shared_network {
            map.serialize_entry("shared_network", v)?;
        }
        let o = &subnet.options;
        if let Some(v) = &o.dns_servers {
            map.serialize_entry("dns_servers", v)?;
        }
        if let Some(v) = &o.domain_search {
            map.serialize_entry("domain_search", v)?;
        }
        if self.style.detail == Detail::Full {
            map.serialize_entry("statics", &Statics6Json(&self.sr.statics))?;
            map.serialize_entry(
                "leases",
                &Leases6Json {
                    db: self.src.db,
                    keys: &self.sr.leases,
                },
            )?;
        }
        map.end()
    }
}

struct Statics6Json<'a>(&'a [Static6Entry]);

impl Serialize for Statics6Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for e in self.0 {
            map.serialize_entry(&e.name, &Static6Json(e))?;
        }
        map.end()
    }
}

/// One reservation of a subnet6.
pub struct Static6Json<'a>(pub &'a Static6Entry);

impl Serialize for Static6Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = s.serialize_map(None)?;
        if let Some(a) = e.ip_address {
            map.serialize_entry("ip_address", &a.to_string())?;
        }
        if let Some((p, len)) = e.prefix {
            map.serialize_entry("prefix", &format!("{p}/{len}"))?;
        }
        if let Some(m) = &e.mac_address {
            map.serialize_entry("mac_address", m)?;
        }
        if let Some(c) = &e.client_id {
            map.serialize_entry("client_id", c)?;
        }
        if let Some(h) = &e.host_name {
            map.serialize_entry("host_name", h)?;
        }
        map.end()
    }
}

struct Leases6Json<'a> {
    db: &'a LeaseDb6,
    keys: &'a [Key6],
}

impl Serialize for Leases6Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.keys.len()))?;
        for key in self.keys {
            if self.db.contains_key(key) {
                map.serialize_entry(&key.text(), &Lease6Json { db: self.db, key })?;
            }
        }
        map.end()
    }
}

/// One v6 lease's object: `ia-type`, `ia-id`, `cltt`, `binding-state`,
/// `preferred-life`, `max-life`, `ends`, then every `set` variable (a
/// variable never replaces one of these).
pub struct Lease6Json<'a> {
    pub db: &'a LeaseDb6,
    pub key: &'a Key6,
}

const OWN_KEYS: [&str; 7] = [
    "ia-type",
    "ia-id",
    "cltt",
    "binding-state",
    "preferred-life",
    "max-life",
    "ends",
];

impl Serialize for Lease6Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        let Some(l) = self.db.get(self.key) else {
            return map.end();
        };
        map.serialize_entry("ia-type", l.kind.as_str())?;
        map.serialize_entry("ia-id", self.db.ia_id(self.key, l))?;
        if let Some(t) = l.cltt() {
            map.serialize_entry("cltt", LeaseTimeText::new(t).as_str())?;
        }
        map.serialize_entry("binding-state", l.state.as_str())?;
        if let Some(v) = l.preferred_life() {
            map.serialize_entry("preferred-life", &v)?;
        }
        if let Some(v) = l.max_life() {
            map.serialize_entry("max-life", &v)?;
        }
        map.serialize_entry("ends", LeaseTimeText::new(l.ends()).as_str())?;
        // A variable set twice keeps its first place and its last value.
        let mut vars: Vec<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)> = Vec::new();
        for f in Fields::new(&l.vars) {
            if let Field::Set(name, value) = f {
                let name = lossy(name);
                if OWN_KEYS.contains(&name.as_ref()) {
                    continue;
                }
                match vars.iter_mut().find(|(k, _)| *k == name) {
                    Some(slot) => slot.1 = lossy(value),
                    None => vars.push((name, lossy(value))),
                }
            }
        }
        for (k, v) in &vars {
            map.serialize_entry(k.as_ref(), v.as_ref())?;
        }
        map.end()
    }
}
