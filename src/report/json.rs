//! The wire format of `/subnets` (SPEC §3), and nothing else.
//!
//! Serialization-only wrapper types borrow the report, the configuration
//! and the lease database, and write the JSON in one pass, keys in the
//! documented order; no intermediate `serde_json::Value` is built, so a
//! report with a million leases costs no more memory than its output
//! buffer (and none at all when streamed to stdout by `dump`).

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

pub mod v6;

pub use v6::Sources6;

use super::{Counts, Report, StaticEntry, SubnetReport};
use crate::dhcp::Detail;
use crate::dhcp::conf::{Conf, Subnet};
use crate::dhcp::lease_fields::{Field, Fields};
use crate::dhcp::leases::LeaseDb;
use crate::dhcp::time::LeaseTimeText;

/// How to render.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// 4-space indentation (`debug: true`, `?pretty`, `--pretty`).
    pub pretty: bool,
    /// [`Detail::Summary`]: without `statics` and `leases` (`?summary`,
    /// `--summary`).
    pub detail: Detail,
}

/// The data a rendering needs.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    pub report: &'a Report,
    pub conf: &'a Conf,
    pub db: &'a LeaseDb,
    /// dhcpd -6's configuration and leases, when configured.
    pub v6: Option<Sources6<'a>>,
}

/// Writes the whole `/subnets` object, with a final newline.
pub fn write_all<W: Write>(out: W, src: Sources<'_>, style: Style) -> io::Result<()> {
    write_value(out, &All { src, style }, style)
}

/// Writes one subnet's object (`/subnets/<network>/<len>`).
pub fn write_subnet<W: Write>(
    out: W,
    src: Sources<'_>,
    subnet: &SubnetReport,
    style: Style,
) -> io::Result<()> {
    write_value(
        out,
        &SubnetJson {
            src,
            sr: subnet,
            style,
        },
        style,
    )
}

/// Renders any serializable value in the chosen style, plus a newline.
pub fn write_value<W: Write, T: Serialize + ?Sized>(
    mut out: W,
    value: &T,
    style: Style,
) -> io::Result<()> {
    if style.pretty {
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        value.serialize(&mut ser).map_err(io::Error::other)?;
    } else {
        serde_json::to_writer(&mut out, value).map_err(io::Error::other)?;
    }
    out.write_all(b"\n")
}

pub fn to_vec<T: Serialize + ?Sized>(value: &T, style: Style) -> Vec<u8> {
    to_vec_sized(value, style, 0)
}

/// [`to_vec`] into a buffer of `capacity` bytes to start with.
fn to_vec_sized<T: Serialize + ?Sized>(value: &T, style: Style, capacity: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(capacity);
    // Writing to a Vec cannot fail, and our types always serialize.
    let _ = write_value(&mut v, value, style);
    v
}

/// The whole `/subnets` body. The buffer is sized from the data up front
/// (a full body of a large lease file is hundreds of megabytes: growing
/// it by doubling would copy it several times and, at the last doubling,
/// hold it twice), then trimmed, which for a buffer that large moves no
/// bytes.
pub fn render_all(src: Sources<'_>, style: Style) -> Vec<u8> {
    let per_subnet = if style.pretty { 1024 } else { 512 };
    let mut estimate = src.report.subnets.len() * per_subnet;
    if style.detail == Detail::Full {
        let per_lease = if style.pretty { 768 } else { 512 };
        let listed: usize = src.report.subnets.iter().map(|s| s.leases.len()).sum();
        let placed: usize = src.report.subnets.iter().map(|s| s.statics.len()).sum();
        estimate += listed * per_lease + placed * 160;
    }
    let mut body = to_vec_sized(&All { src, style }, style, estimate);
    body.shrink_to_fit();
    body
}

/// One subnet6's object, or `None` without v6 sources.
pub fn render_subnet6(
    src: Sources<'_>,
    subnet: &super::v6::Subnet6Report,
    style: Style,
) -> Option<Vec<u8>> {
    let src = src.v6?;
    Some(to_vec(
        &v6::Subnet6Json {
            src,
            sr: subnet,
            style,
        },
        style,
    ))
}

/// Writes one subnet6's object (`dump --subnet` of a v6 prefix).
pub fn write_subnet6<W: Write>(
    out: W,
    src: Sources<'_>,
    subnet: &super::v6::Subnet6Report,
    style: Style,
) -> io::Result<()> {
    match src.v6 {
        Some(src) => write_value(
            out,
            &v6::Subnet6Json {
                src,
                sr: subnet,
                style,
            },
            style,
        ),
        None => write_value(out, &serde_json::json!({}), style),
    }
}

pub fn render_subnet(src: Sources<'_>, subnet: &SubnetReport, style: Style) -> Vec<u8> {
    to_vec(
        &SubnetJson {
            src,
            sr: subnet,
            style,
        },
        style,
    )
}

struct All<'a> {
    src: Sources<'a>,
    style: Style,
}

impl Serialize for All<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let subnets = &self.src.report.subnets;
        let subnets6 = &self.src.report.v6.subnets;
        let mut map = s.serialize_map(Some(subnets.len() + subnets6.len()))?;
        for sr in subnets {
            map.serialize_entry(
                &sr.cidr,
                &SubnetJson {
                    src: self.src,
                    sr,
                    style: self.style,
                },
            )?;
        }
        if let Some(src) = self.src.v6 {
            for sr in subnets6 {
                map.serialize_entry(
                    &sr.cidr,
                    &v6::Subnet6Json {
                        src,
                        sr,
                        style: self.style,
                    },
                )?;
            }
        }
        map.end()
    }
}

struct SubnetJson<'a> {
    src: Sources<'a>,
    sr: &'a SubnetReport,
    style: Style,
}

impl Serialize for SubnetJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        let Some(subnet) = self.src.conf.subnets.get(self.sr.subnet) else {
            return map.end();
        };
        map.serialize_entry("ranges", &RangesJson(subnet))?;
        map.serialize_entry("ips", &CountsJson(&self.sr.ips))?;
        let o = &subnet.options;
        if let Some(v) = &subnet.shared_network {
            map.serialize_entry("shared_network", v)?;
        }
        if let Some(v) = &o.routers {
            map.serialize_entry("routers", v)?;
        }
        if let Some(v) = &o.dns_servers {
            map.serialize_entry("dns_servers", v)?;
        }
        if let Some(v) = &o.ntp_servers {
            map.serialize_entry("ntp_servers", v)?;
        }
        if let Some(v) = &o.domain_name {
            map.serialize_entry("domain_name", v)?;
        }
        if let Some(v) = &o.ddns_domain_name {
            map.serialize_entry("ddns_domain_name", v)?;
        }
        if self.style.detail == Detail::Full {
            map.serialize_entry("statics", &StaticsJson(&self.sr.statics))?;
            map.serialize_entry(
                "leases",
                &LeasesJson {
                    db: self.src.db,
                    addrs: &self.sr.leases,
                },
            )?;
        }
        map.end()
    }
}

struct RangesJson<'a>(&'a Subnet);

impl Serialize for RangesJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.ranges.len()))?;
        for r in &self.0.ranges {
            seq.serialize_element(&[r.low.to_string(), r.high.to_string()])?;
        }
        seq.end()
    }
}

pub(crate) struct CountsJson<'a>(pub &'a Counts);

impl Serialize for CountsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let pairs = self.0.pairs();
        let mut map = s.serialize_map(Some(pairs.len()))?;
        for (k, v) in pairs {
            map.serialize_entry(k, &v)?;
        }
        map.end()
    }
}

struct StaticsJson<'a>(&'a [StaticEntry]);

impl Serialize for StaticsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for e in self.0 {
            map.serialize_entry(&e.name, &StaticJson(e))?;
        }
        map.end()
    }
}

/// One reservation's object (SPEC §3.4).
pub struct StaticJson<'a>(pub &'a StaticEntry);

impl Serialize for StaticJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = s.serialize_map(None)?;
        if let Some(m) = &e.mac_address {
            map.serialize_entry("mac_address", m)?;
        }
        map.serialize_entry("ip_address", &e.ip_address.to_string())?;
        if let Some(h) = &e.host_name {
            map.serialize_entry("host_name", h)?;
        }
        map.end()
    }
}

struct LeasesJson<'a> {
    db: &'a LeaseDb,
    addrs: &'a [u32],
}

impl Serialize for LeasesJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.addrs.len()))?;
        let mut entries = Vec::with_capacity(16);
        let mut own = Vec::with_capacity(16);
        for &addr in self.addrs {
            if !self.db.leases.contains_key(&addr) {
                continue;
            }
            let fields = self.db.fields.get(addr).unwrap_or_default();
            lease_entries(fields, &mut own, &mut entries);
            map.serialize_entry(Ipv4Text::new(addr).as_str(), &EntriesJson(&entries))?;
        }
        map.end()
    }
}

/// One lease's object (SPEC §3.5) from its stored fields.
pub struct LeaseObject<'a>(pub &'a [u8]);

impl Serialize for LeaseObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut entries = Vec::new();
        lease_entries(self.0, &mut Vec::new(), &mut entries);
        EntriesJson(&entries).serialize(s)
    }
}

/// One lease's object as text pairs, keys and order as in the JSON
/// (`true` flags as `"true"`): what the dashboard shows.
pub fn lease_text_pairs(fields: &[u8]) -> Vec<(String, String)> {
    let mut entries = Vec::new();
    lease_entries(fields, &mut Vec::new(), &mut entries);
    entries
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Text(t) => t.into_owned(),
                Value::Time(t) => t.as_str().to_string(),
                Value::True => "true".to_string(),
            };
            (k.into_owned(), v)
        })
        .collect()
}

/// A value of a lease object.
enum Value<'a> {
    Text(Cow<'a, str>),
    Time(LeaseTimeText),
    True,
}

/// A dotted-quad address formatted into a fixed buffer (one per lease
/// key; `to_string` would allocate and go through `fmt`).
struct Ipv4Text {
    bytes: [u8; 15],
    len: usize,
}

impl Ipv4Text {
    fn new(addr: u32) -> Ipv4Text {
        let mut t = Ipv4Text {
            bytes: [0; 15],
            len: 0,
        };
        for (i, octet) in addr.to_be_bytes().into_iter().enumerate() {
            if i > 0 {
                t.push(b'.');
            }
            if octet >= 100 {
                t.push(b'0' + octet / 100);
            }
            if octet >= 10 {
                t.push(b'0' + octet / 10 % 10);
            }
            t.push(b'0' + octet % 10);
        }
        t
    }

    fn push(&mut self, c: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = c;
            self.len += 1;
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

struct EntriesJson<'a, 'b>(&'b [(Cow<'a, str>, Value<'a>)]);

impl Serialize for EntriesJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            match v {
                Value::Text(t) => map.serialize_entry(k.as_ref(), t.as_ref())?,
                Value::Time(t) => map.serialize_entry(k.as_ref(), t.as_str())?,
                Value::True => map.serialize_entry(k.as_ref(), &true)?,
            }
        }
        map.end()
    }
}

pub(crate) fn lossy(b: &[u8]) -> Cow<'_, str> {
    // `from_utf8` checks ASCII a word at a time; the lossy decoder goes
    // character by character even when there is nothing to replace.
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// The key/value pairs of one lease object in the order of the block.
/// A key written twice keeps its first position and its last value; a
/// `set` variable never replaces one of the block's own fields (SPEC §3.5).
/// `own` is scratch space (kept by the caller to spare an allocation per
/// lease).
fn lease_entries<'a>(
    fields: &'a [u8],
    own: &mut Vec<Cow<'a, str>>,
    out: &mut Vec<(Cow<'a, str>, Value<'a>)>,
) {
    out.clear();
    own.clear();
    own.extend(Fields::new(fields).filter_map(|f| own_key(&f)));
    if Fields::new(fields).nth(SMALL_LEASE).is_some() {
        return lease_entries_indexed(fields, own, out);
    }
    // A real block has a dozen fields: comparing with each is cheapest.
    for f in Fields::new(fields) {
        let is_own = own_key(&f).is_some();
        let (key, value) = entry(f);
        if !is_own && own.contains(&key) {
            continue;
        }
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => out.push((key, value)),
        }
    }
}

/// Fields beyond which [`lease_entries`] looks keys up in hash tables
/// (a block with thousands of `set` lines must not cost their square).
const SMALL_LEASE: usize = 32;

/// [`lease_entries`] for blocks with many fields: the same result.
fn lease_entries_indexed<'a>(
    fields: &'a [u8],
    own: &[Cow<'a, str>],
    out: &mut Vec<(Cow<'a, str>, Value<'a>)>,
) {
    let own: std::collections::HashSet<&str> = own.iter().map(Cow::as_ref).collect();
    let mut position: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in Fields::new(fields) {
        let is_own = own_key(&f).is_some();
        let (key, value) = entry(f);
        if !is_own && own.contains(key.as_ref()) {
            continue;
        }
        match position.get(key.as_ref()) {
            Some(&i) => {
                if let Some(slot) = out.get_mut(i) {
                    slot.1 = value;
                }
            }
            None => {
                position.insert(key.to_string(), out.len());
                out.push((key, value));
            }
        }
    }
}

/// The key of one of the block's own fields; `None` for variables (`set`,
/// and old-style `ddns-fwd-name "x";`, which is a variable like `set`).
fn own_key<'a>(f: &Field<'a>) -> Option<Cow<'a, str>> {
    match *f {
        Field::Time(k, _) | Field::State(k, _) | Field::Flag(k) => Some(Cow::Borrowed(k)),
        Field::Hardware(kind, _) => Some(hardware_key(kind)),
        Field::Text(k, _) => (!k.starts_with("ddns-")).then_some(Cow::Borrowed(k)),
        Field::Agent(name, _) => Some(Cow::Owned(format!("agent.{}", lossy(name)))),
        Field::Set(..) => None,
    }
}

fn hardware_key(kind: &[u8]) -> Cow<'static, str> {
    match kind {
        b"ethernet" => Cow::Borrowed("hardware-ethernet"),
        _ => Cow::Owned(format!("hardware-{}", lossy(kind))),
    }
}

/// The key and value of a field in the JSON.
fn entry(f: Field<'_>) -> (Cow<'_, str>, Value<'_>) {
    match f {
        Field::Time(k, t) => (Cow::Borrowed(k), Value::Time(LeaseTimeText::new(t))),
        Field::State(k, st) => (Cow::Borrowed(k), Value::Text(Cow::Borrowed(st.as_str()))),
        Field::Hardware(kind, addr) => (hardware_key(kind), Value::Text(lossy(addr))),
        Field::Text(k, v) => (Cow::Borrowed(k), Value::Text(lossy(v))),
        Field::Set(name, v) => (lossy(name), Value::Text(lossy(v))),
        Field::Agent(name, v) => (
            Cow::Owned(format!("agent.{}", lossy(name))),
            Value::Text(lossy(v)),
        ),
        Field::Flag(k) => (Cow::Borrowed(k), Value::True),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::lease_fields::FieldWriter;
    use crate::dhcp::time::LeaseTime;

    fn entries(w: &FieldWriter) -> Vec<(String, String)> {
        lease_text_pairs(w.as_bytes())
    }

    #[test]
    fn set_never_overrides_own_fields() {
        let mut w = FieldWriter::new();
        w.set(b"uid", b"from-set");
        w.time("starts", LeaseTime::At(0));
        w.text("uid", b"real");
        w.set(b"starts", b"x");
        w.set(b"note", b"a");
        w.set(b"note", b"b");
        assert_eq!(
            entries(&w),
            vec![
                ("starts".to_string(), "4 1970/01/01 00:00:00".to_string()),
                ("uid".to_string(), "real".to_string()),
                ("note".to_string(), "b".to_string()),
            ]
        );
    }

    #[test]
    fn many_fields_give_what_few_would() {
        // Issue 12: thousands of `set` lines in one block (the indexed
        // path) keep the rules of the small path.
        let mut w = FieldWriter::new();
        w.set(b"uid", b"from-set");
        w.time("starts", LeaseTime::At(0));
        w.text("uid", b"real");
        for i in 0..5000 {
            w.set(
                format!("v{}", i % 2500).as_bytes(),
                format!("{i}").as_bytes(),
            );
        }
        w.set(b"starts", b"x");
        let got = entries(&w);
        assert_eq!(got.len(), 2 + 2500);
        assert_eq!(
            got[0],
            ("starts".to_string(), "4 1970/01/01 00:00:00".to_string())
        );
        assert_eq!(got[1], ("uid".to_string(), "real".to_string()));
        assert_eq!(got[2], ("v0".to_string(), "2500".to_string()));
        assert_eq!(got[2501], ("v2499".to_string(), "4999".to_string()));
        // Both paths agree on a block right at the threshold and above.
        for n in [SMALL_LEASE - 2, SMALL_LEASE + 2] {
            let mut w = FieldWriter::new();
            for i in 0..n {
                w.set(format!("k{}", i % 7).as_bytes(), b"v");
            }
            w.text("uid", b"u");
            w.set(b"uid", b"ignored");
            let buf = w.as_bytes().to_vec();
            let mut own = Vec::new();
            let mut small = Vec::new();
            let mut indexed = Vec::new();
            own.extend(Fields::new(&buf).filter_map(|f| own_key(&f)));
            lease_entries_indexed(&buf, &own, &mut indexed);
            lease_entries(&buf, &mut Vec::new(), &mut small);
            let text = |v: &[(Cow<'_, str>, Value<'_>)]| -> Vec<String> {
                v.iter().map(|(k, _)| k.to_string()).collect()
            };
            assert_eq!(text(&small), text(&indexed), "{n} fields");
        }
    }

    #[test]
    fn flags_and_hardware_keys() {
        let mut w = FieldWriter::new();
        w.hardware(b"token-ring", b"00:11:22:33:44:5a");
        w.flag("dynamic-bootp");
        w.agent(b"remote-id", b"0:1:2");
        assert_eq!(
            entries(&w),
            vec![
                (
                    "hardware-token-ring".to_string(),
                    "00:11:22:33:44:5a".to_string()
                ),
                ("dynamic-bootp".to_string(), "true".to_string()),
                ("agent.remote-id".to_string(), "0:1:2".to_string()),
            ]
        );
    }

    #[test]
    fn address_text_is_the_dotted_quad() {
        for addr in [
            0u32,
            1,
            9,
            10,
            99,
            100,
            255,
            256,
            0x0a00_6409,
            0x010a_6400,
            u32::MAX,
        ]
        .into_iter()
        .chain((0..2000u32).map(|i| i.wrapping_mul(2_654_435_761)))
        {
            assert_eq!(
                Ipv4Text::new(addr).as_str(),
                std::net::Ipv4Addr::from(addr).to_string()
            );
        }
    }
}
