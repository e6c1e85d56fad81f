//! The DHCPv6 half of the report (SPEC §2.4, §3.7): a `dhcpd -6`
//! configuration plus its lease database, at *now*, into per-subnet6
//! numbers in the same [`Counts`] as v4 (128-bit: a /64 is 2^64).
//!
//! An NA or TA lease belongs to the longest-prefix subnet6 holding its
//! address and counts in `ips` or `temporary` when it lies in one of
//! that subnet's ranges of its kind; a delegated prefix belongs to the
//! subnet6 whose `prefix6` pool holds it (pools often lie outside the
//! subnet6) and counts in `prefixes`. Sizes come from the ranges'
//! arithmetic, merged where ranges overlap.

use std::collections::HashMap;
use std::net::Ipv6Addr;

use super::{Counted, Counts};
use crate::dhcp::Detail;
use crate::dhcp::conf::{Conf, Host, Range6, Subnet6, mask6};
use crate::dhcp::lease_fields::BindingState;
use crate::dhcp::leases6::{IaKind, Key6, Lease6, LeaseDb6, Map6};
use crate::dhcp::time::LeaseTime;
use crate::diag::{Diagnostic, Diagnostics, Severity};

/// One host reservation as placed in a subnet6 (SPEC §3.7 `statics`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Static6Entry {
    pub name: String,
    pub ip_address: Option<Ipv6Addr>,
    pub prefix: Option<(Ipv6Addr, u8)>,
    pub mac_address: Option<String>,
    pub client_id: Option<String>,
    pub host_name: Option<String>,
}

/// One subnet6's numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet6Report {
    /// Index into `Conf::subnets6`.
    pub subnet: usize,
    pub cidr: String,
    /// IA_NA addresses.
    pub ips: Counts,
    /// IA_TA addresses, when the subnet has temporary ranges.
    pub temporary: Option<Counts>,
    /// Delegated prefixes, when the subnet has prefix6 pools.
    pub prefixes: Option<Counts>,
    pub statics: Vec<Static6Entry>,
    /// Every lease attributed to the subnet, sorted numerically.
    pub leases: Vec<Key6>,
}

impl Subnet6Report {
    /// Derives `unused` of every pool from its total and its leased
    /// counts (after a build, or after an update changed them).
    fn recount_unused(&mut self) {
        let pools = [
            Some(&mut self.ips),
            self.temporary.as_mut(),
            self.prefixes.as_mut(),
        ];
        for c in pools.into_iter().flatten() {
            c.unused = c.total.saturating_sub(c.leased());
        }
    }
}

/// The v6 report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report6 {
    pub subnets: Vec<Subnet6Report>,
    /// The earliest future `ends` of a counted active lease.
    pub valid_until: Option<i64>,
    /// Leases in no subnet6 (and prefixes in no prefix6 pool).
    pub unplaced: u64,
}

/// How a v6 record counts at `now`: `active` past its `ends` is
/// `expired`; `abandoned` stays abandoned whatever its `ends`.
pub fn classify6(lease: &Lease6, now: i64) -> Counted {
    match lease.state {
        BindingState::Active => {
            if lease.ends().has_passed(now) {
                Counted::Expired
            } else {
                Counted::Active
            }
        }
        BindingState::Abandoned => Counted::Abandoned,
        BindingState::Released => Counted::Released,
        BindingState::Free => Counted::Free,
        _ => Counted::Expired,
    }
}

/// Ranges as sorted, disjoint intervals.
fn merged(ranges: impl Iterator<Item = (u128, u128)>) -> Vec<(u128, u128)> {
    let mut v: Vec<(u128, u128)> = ranges.collect();
    v.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

fn span(r: &Range6) -> (u128, u128) {
    (u128::from(r.low), u128::from(r.high))
}

fn size(intervals: &[(u128, u128)]) -> u128 {
    intervals
        .iter()
        .map(|(lo, hi)| (hi - lo).saturating_add(1))
        .fold(0u128, u128::saturating_add)
}

fn within(intervals: &[(u128, u128)], addr: u128) -> bool {
    let i = intervals.partition_point(|(lo, _)| *lo <= addr);
    i > 0 && intervals.get(i - 1).is_some_and(|(_, hi)| addr <= *hi)
}

/// Longest-prefix lookup of subnet6s: one hash probe per distinct prefix
/// length, longest first.
pub struct Subnet6Index {
    by_len: Vec<(u8, Map6<u128, usize>)>,
}

impl Subnet6Index {
    pub fn new(subnets: &[Subnet6]) -> Subnet6Index {
        let mut groups: HashMap<u8, Map6<u128, usize>> = HashMap::new();
        for (i, s) in subnets.iter().enumerate() {
            groups
                .entry(s.prefix_len)
                .or_default()
                .entry(u128::from(s.network))
                .or_insert(i);
        }
        let mut by_len: Vec<(u8, Map6<u128, usize>)> = groups.into_iter().collect();
        by_len.sort_by_key(|(len, _)| std::cmp::Reverse(*len));
        Subnet6Index { by_len }
    }

    pub fn lookup(&self, addr: u128) -> Option<usize> {
        self.by_len
            .iter()
            .find_map(|(len, nets)| nets.get(&mask6(addr, *len)).copied())
    }
}

/// Finds the subnet6 whose prefix6 pool holds a prefix: pools by prefix
/// size, sorted by their first prefix.
struct PrefixIndex {
    by_bits: HashMap<u8, Vec<(u128, u128, usize)>>,
}

impl PrefixIndex {
    fn new(subnets: &[Subnet6]) -> PrefixIndex {
        let mut by_bits: HashMap<u8, Vec<(u128, u128, usize)>> = HashMap::new();
        for (i, s) in subnets.iter().enumerate() {
            for p in &s.prefixes {
                by_bits
                    .entry(p.bits)
                    .or_default()
                    .push((u128::from(p.low), u128::from(p.high), i));
            }
        }
        for v in by_bits.values_mut() {
            // Declaration order among pools with the same start.
            v.sort_by_key(|(lo, _, i)| (*lo, *i));
        }
        PrefixIndex { by_bits }
    }

    /// The first-declared subnet6 holding `prefix/len` in a pool.
    fn lookup(&self, prefix: u128, len: u8) -> Option<usize> {
        let pools = self.by_bits.get(&len)?;
        let end = pools.partition_point(|(lo, _, _)| *lo <= prefix);
        pools
            .get(..end)?
            .iter()
            .filter(|(_, hi, _)| prefix <= *hi)
            .map(|(_, _, i)| *i)
            .min()
    }
}

/// What places a lease: the subnet6s by prefix, the prefix6 pools, and
/// each subnet6's merged NA and TA ranges.
struct Places {
    subnets: Subnet6Index,
    prefixes: PrefixIndex,
    na: Vec<Vec<(u128, u128)>>,
    ta: Vec<Vec<(u128, u128)>>,
}

impl Places {
    fn new(subnets: &[Subnet6]) -> Places {
        let merged_of = |pick: fn(&Subnet6) -> &[Range6]| -> Vec<Vec<(u128, u128)>> {
            subnets
                .iter()
                .map(|s| merged(pick(s).iter().map(span)))
                .collect()
        };
        Places {
            subnets: Subnet6Index::new(subnets),
            prefixes: PrefixIndex::new(subnets),
            na: merged_of(|s| &s.ranges),
            ta: merged_of(|s| &s.temporary),
        }
    }
}

/// Where a lease goes: its subnet6 and whether it counts there.
fn attribute(key: &Key6, lease: &Lease6, places: &Places) -> Option<(usize, bool)> {
    match lease.kind {
        IaKind::Pd => places
            .prefixes
            .lookup(key.addr(), key.len)
            .map(|i| (i, true)),
        IaKind::Na | IaKind::Ta => {
            let i = places.subnets.lookup(key.addr())?;
            let ranges = if lease.kind == IaKind::Na {
                &places.na
            } else {
                &places.ta
            };
            let counted = ranges.get(i).is_some_and(|r| within(r, key.addr()));
            Some((i, counted))
        }
    }
}

/// What one share of the lease shards adds to the subnet6s.
struct Tally6 {
    /// Per subnet6, in declaration order: NA, TA and PD counts.
    counts: Vec<[Counts; 3]>,
    /// Per subnet6, its leases in this share (full detail only).
    leases: Vec<Vec<Key6>>,
    valid_until: Option<i64>,
    unplaced: u64,
}

/// Attributes the leases of the shards `share` modulo `shares`.
fn tally6(
    db: &LeaseDb6,
    places: &Places,
    now: i64,
    detail: Detail,
    share: u32,
    shares: u32,
) -> Tally6 {
    let n = places.na.len();
    let mut t = Tally6 {
        counts: vec![Default::default(); n],
        leases: vec![Vec::new(); n],
        valid_until: None,
        unplaced: 0,
    };
    let mine = db
        .shard_tables()
        .enumerate()
        .filter(|(i, _)| *i as u32 % shares == share)
        .flat_map(|(_, table)| table.iter());
    for (key, lease) in mine {
        let Some((i, counted)) = attribute(key, lease, places) else {
            t.unplaced += 1;
            continue;
        };
        if detail == Detail::Full {
            if let Some(list) = t.leases.get_mut(i) {
                list.push(*key);
            }
        }
        if !counted {
            continue;
        }
        let how = classify6(lease, now);
        let pool = match lease.kind {
            IaKind::Na => 0,
            IaKind::Ta => 1,
            IaKind::Pd => 2,
        };
        if let Some(c) = t.counts.get_mut(i).and_then(|c| c.get_mut(pool)) {
            *c.counter(how) += 1;
        }
        if how == Counted::Active {
            if let LeaseTime::At(end) = lease.ends() {
                t.valid_until = Some(t.valid_until.map_or(end, |v| v.min(end)));
            }
        }
    }
    t
}

/// Builds the v6 report for time `now`.
pub fn build(conf: &Conf, db: &LeaseDb6, now: i64, detail: Detail) -> Report6 {
    build_in_shares(conf, db, now, detail, super::attribution_threads(db.len()))
}

/// [`build`], attributing the lease shards on `shares` threads.
fn build_in_shares(conf: &Conf, db: &LeaseDb6, now: i64, detail: Detail, shares: u32) -> Report6 {
    let subnets = &conf.subnets6;
    let places = Places::new(subnets);
    let (na, ta) = (&places.na, &places.ta);
    let mut out: Vec<Subnet6Report> = subnets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let total = |v: &[Vec<(u128, u128)>]| v.get(i).map_or(0, |r| size(r));
            let prefix_total = {
                // Pools of one size may overlap: count their union.
                let mut by_bits: HashMap<u8, Vec<(u128, u128)>> = HashMap::new();
                for p in &s.prefixes {
                    let step = 128 - u32::from(p.bits);
                    let (lo, hi) = (u128::from(p.low), u128::from(p.high));
                    by_bits.entry(p.bits).or_default().push((
                        lo.checked_shr(step).unwrap_or(0),
                        hi.checked_shr(step).unwrap_or(0),
                    ));
                }
                by_bits
                    .into_values()
                    .map(|v| size(&merged(v.into_iter())))
                    .fold(0u128, u128::saturating_add)
            };
            Subnet6Report {
                subnet: i,
                cidr: s.cidr(),
                ips: Counts {
                    total: total(na),
                    ..Counts::default()
                },
                temporary: (!s.temporary.is_empty()).then(|| Counts {
                    total: total(ta),
                    ..Counts::default()
                }),
                prefixes: (!s.prefixes.is_empty()).then(|| Counts {
                    total: prefix_total,
                    ..Counts::default()
                }),
                statics: Vec::new(),
                leases: Vec::new(),
            }
        })
        .collect();
    let tallies = super::in_shares(shares, |share| {
        tally6(db, &places, now, detail, share, shares)
    });
    let mut valid_until: Option<i64> = None;
    let mut unplaced = 0;
    for t in tallies {
        unplaced += t.unplaced;
        for (sr, (counts, leases)) in out.iter_mut().zip(t.counts.into_iter().zip(t.leases)) {
            let [na, ta, pd] = counts;
            sr.ips.add_leases(&na);
            if let Some(c) = sr.temporary.as_mut() {
                c.add_leases(&ta);
            }
            if let Some(c) = sr.prefixes.as_mut() {
                c.add_leases(&pd);
            }
            sr.leases.extend(leases);
        }
        valid_until = match (valid_until, t.valid_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    for sr in &mut out {
        sr.leases.sort_unstable();
        sr.recount_unused();
    }
    place_statics(conf, &places.subnets, &places.prefixes, &mut out);
    Report6 {
        subnets: out,
        valid_until,
        unplaced,
    }
}

/// Brings a v6 report up to date at `now` with the changes an appended
/// read made (each key with its record before), without walking the
/// whole table. Exact when the report was built at `then <= now` from the
/// database the changes were applied to, and `now` is before its
/// `valid_until` (no counted lease changed state by time alone: a changed
/// key's old record counts at `now` as it did at `then`); otherwise the
/// report comes back as `Err` to be built anew.
pub fn update(
    mut report: Report6,
    then: i64,
    conf: &Conf,
    db: &LeaseDb6,
    changes: &[crate::dhcp::leases6::Change6],
    now: i64,
) -> Result<Report6, Report6> {
    if now < then || report.valid_until.is_some_and(|t| now >= t) {
        return Err(report);
    }
    let subnets = &conf.subnets6;
    if report.subnets.len() != subnets.len() {
        return Err(report);
    }
    let places = Places::new(subnets);
    // The first change of a key holds its record before the append; the
    // database holds the one after.
    let mut seen: std::collections::HashSet<Key6> = std::collections::HashSet::new();
    let mut touched: Vec<usize> = Vec::new();
    for (key, before) in changes {
        if !seen.insert(*key) {
            continue;
        }
        let Some(after) = db.get(key) else {
            continue;
        };
        let old_at = before.as_ref().and_then(|l| attribute(key, l, &places));
        let new_at = attribute(key, after, &places);
        for (lease, at, add) in [
            (before.as_ref(), old_at, false),
            (Some(after), new_at, true),
        ] {
            let (Some(lease), Some((i, counted))) = (lease, at) else {
                continue;
            };
            touched.push(i);
            let Some(sr) = report.subnets.get_mut(i) else {
                continue;
            };
            let counts = match lease.kind {
                IaKind::Na => Some(&mut sr.ips),
                IaKind::Ta => sr.temporary.as_mut(),
                IaKind::Pd => sr.prefixes.as_mut(),
            };
            if let (true, Some(c)) = (counted, counts) {
                let how = classify6(lease, now);
                let n = c.counter(how);
                *n = if add { *n + 1 } else { n.saturating_sub(1) };
                if add && how == Counted::Active {
                    if let LeaseTime::At(t) = lease.ends() {
                        report.valid_until = Some(report.valid_until.map_or(t, |v| v.min(t)));
                    }
                }
            }
        }
        // Which subnet lists the key, and whether it is in none.
        let (old_i, new_i) = (old_at.map(|a| a.0), new_at.map(|a| a.0));
        if before.is_some() && old_i == new_i {
            continue;
        }
        if before.is_some() {
            match old_i.and_then(|i| report.subnets.get_mut(i)) {
                Some(sr) => {
                    if let Ok(at) = sr.leases.binary_search(key) {
                        sr.leases.remove(at);
                    }
                }
                None => report.unplaced = report.unplaced.saturating_sub(1),
            }
        }
        match new_i.and_then(|i| report.subnets.get_mut(i)) {
            Some(sr) => {
                if let Err(at) = sr.leases.binary_search(key) {
                    sr.leases.insert(at, *key);
                }
            }
            None => report.unplaced += 1,
        }
    }
    touched.sort_unstable();
    touched.dedup();
    for i in touched {
        if let Some(sr) = report.subnets.get_mut(i) {
            sr.recount_unused();
        }
    }
    Ok(report)
}

/// Places each host: in the longest-prefix subnet6 of each of its
/// fixed-address6s; a host with only fixed-prefix6 in the subnet6 whose
/// prefix6 pool holds the prefix.
fn place_statics(
    conf: &Conf,
    index: &Subnet6Index,
    prefixes: &PrefixIndex,
    out: &mut [Subnet6Report],
) {
    for h in &conf.hosts {
        let mut placed: Vec<usize> = Vec::new();
        for a in &h.fixed_addresses6 {
            if let Some(i) = index.lookup(u128::from(*a)) {
                if !placed.contains(&i) {
                    placed.push(i);
                    if let Some(sr) = out.get_mut(i) {
                        sr.statics
                            .push(entry(h, Some(*a), h.fixed_prefixes6.first().copied()));
                    }
                }
            }
        }
        if h.fixed_addresses6.is_empty() {
            for (p, len) in &h.fixed_prefixes6 {
                if let Some(i) = prefixes.lookup(u128::from(*p), *len) {
                    if !placed.contains(&i) {
                        placed.push(i);
                        if let Some(sr) = out.get_mut(i) {
                            sr.statics.push(entry(h, None, Some((*p, *len))));
                        }
                    }
                }
            }
        }
    }
    for sr in out {
        sr.ips.statics = sr.statics.len() as u128;
    }
}

fn entry(h: &Host, ip: Option<Ipv6Addr>, prefix: Option<(Ipv6Addr, u8)>) -> Static6Entry {
    Static6Entry {
        name: h.name.clone(),
        ip_address: ip,
        prefix,
        mac_address: h.hardware.as_ref().map(|hw| hw.address.clone()),
        client_id: h.client_id.clone(),
        host_name: h.host_name.clone().or_else(|| h.ddns_hostname.clone()),
    }
}

/// Notes for hosts of a v6 configuration that are in no subnet6, and the
/// count of leases in none.
pub fn placement_diagnostics(conf: &Conf, report: &Report6, leases_file: &str) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let index = Subnet6Index::new(&conf.subnets6);
    let prefixes = PrefixIndex::new(&conf.subnets6);
    for h in &conf.hosts {
        let mut lost: Vec<String> = h
            .fixed_addresses6
            .iter()
            .filter(|a| index.lookup(u128::from(**a)).is_none())
            .map(|a| format!("fixed-address6 {a}"))
            .collect();
        if h.fixed_addresses6.is_empty() {
            lost.extend(
                h.fixed_prefixes6
                    .iter()
                    .filter(|(p, len)| prefixes.lookup(u128::from(*p), *len).is_none())
                    .map(|(p, len)| format!("fixed-prefix6 {p}/{len}")),
            );
        }
        for what in lost {
            diags.push(Diagnostic {
                file: h.origin.file.clone(),
                line: h.origin.line,
                col: h.origin.col,
                severity: Severity::Note,
                message: format!(
                    "host {}: {what} is in no declared subnet6 or prefix6 pool",
                    h.name
                ),
            });
        }
    }
    if report.unplaced > 0 {
        diags.push(Diagnostic {
            file: leases_file.into(),
            line: 0,
            col: 0,
            severity: Severity::Note,
            message: format!(
                "{} DHCPv6 lease(s) in no declared subnet6 (or prefix6 pool), so not counted",
                report.unplaced
            ),
        });
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::conf::{Family, Loaded, NoIncludes, parse_family};
    use crate::dhcp::leases6::parse_all;
    use std::sync::Arc;

    fn conf6(text: &str) -> Conf {
        let main = Loaded {
            display: Arc::from("c"),
            identity: "c".into(),
            bytes: text.as_bytes().to_vec(),
        };
        let mut d = Diagnostics::new();
        let c = parse_family(&main, &mut NoIncludes, &mut d, Family::V6);
        assert!(d.items().is_empty(), "{:?}", d.items());
        c
    }

    fn leases6(text: &str) -> LeaseDb6 {
        let mut d = Diagnostics::new();
        let db = parse_all(Arc::from("l"), text.as_bytes(), Detail::Full, &mut d);
        assert!(d.items().is_empty(), "{:?}", d.items());
        db
    }

    /// 2026-11-26 00:00:00 UTC.
    const NOW: i64 = 1_795_651_200;

    #[test]
    fn counts_by_kind_pool_and_state() {
        let c = conf6(
            "subnet6 2001:db8:1::/64 {\n\
               range6 2001:db8:1::100 2001:db8:1::1ff;\n\
               range6 2001:db8:1::180 2001:db8:1::27f;\n\
               range6 2001:db8:1:0:8000::/65 temporary;\n\
               prefix6 2001:db8:100:: 2001:db8:1ff:: /56;\n\
               prefix6 2001:db8:180:: 2001:db8:2ff:: /56;\n\
             }\n\
             subnet6 2001:db8:2::/48 { range6 2001:db8:2::/64; }\n\
             host h { fixed-address6 2001:db8:1::5; hardware ethernet 0:1:2:3:4:5; }\n\
             host p { fixed-prefix6 2001:db8:1ff::/56; host-identifier option dhcp6.client-id 0:1:0:1; }\n",
        );
        let l = |kind: &str, id: &str, what: &str, state: &str, ends: &str| {
            format!(
                "ia-{kind} \"{id}\" {{\n  cltt 4 2026/11/26 01:20:11;\n  {what} {{\n    binding state {state};\n    ends {ends};\n  }}\n}}\n"
            )
        };
        let later = "5 2027/01/01 00:00:00";
        let earlier = "3 2026/11/25 00:00:00";
        let db = leases6(
            &[
                l("na", "a", "iaaddr 2001:db8:1::100", "active", later),
                l("na", "b", "iaaddr 2001:db8:1::101", "active", earlier),
                l("na", "c", "iaaddr 2001:db8:1::27f", "abandoned", earlier),
                l("na", "d", "iaaddr 2001:db8:1::5", "active", "never"),
                l("ta", "e", "iaaddr 2001:db8:1:0:8000::1", "active", later),
                l(
                    "pd",
                    "f",
                    "iaprefix 2001:db8:1fe:5d00::/56",
                    "released",
                    later,
                ),
                l("pd", "g", "iaprefix 2001:db8:2ff::/56", "active", "never"),
                l("pd", "h", "iaprefix 2001:db8:900::/56", "active", "never"),
                l("na", "i", "iaaddr 2001:db8:2::1:2", "free", later),
                l("na", "j", "iaaddr 2001:db8:9::1", "active", later),
            ]
            .concat(),
        );
        let r = build(&c, &db, NOW, Detail::Full);
        let s = &r.subnets[0];
        assert_eq!(s.cidr, "2001:db8:1::/64");
        // Overlapping ranges: ::100-::27f is 384 addresses.
        assert_eq!(
            (
                s.ips.total,
                s.ips.active,
                s.ips.expired,
                s.ips.abandoned,
                s.ips.unused,
                s.ips.statics
            ),
            (384, 1, 1, 1, 381, 2)
        );
        let t = s.temporary.unwrap();
        assert_eq!((t.total, t.active, t.unused), (1 << 63, 1, (1 << 63) - 1));
        // /56s from 2001:db8:100:: to 2001:db8:1ff:: (65281) and from
        // 2001:db8:180:: to 2001:db8:2ff::: the union, 100:: to 2ff::, is
        // 0x1ff00 + 1 prefixes.
        let p = s.prefixes.unwrap();
        assert_eq!(
            (p.total, p.active, p.released, p.unused),
            (130_817, 1, 1, 130_815)
        );
        // The static address ::5 outside the ranges is listed, not counted.
        let keys: Vec<String> = s.leases.iter().map(Key6::text).collect();
        assert_eq!(
            keys,
            [
                "2001:db8:1::5",
                "2001:db8:1::100",
                "2001:db8:1::101",
                "2001:db8:1::27f",
                "2001:db8:1:0:8000::1",
                "2001:db8:1fe:5d00::/56",
                "2001:db8:2ff::/56",
            ]
        );
        let names: Vec<(&str, Option<String>, Option<String>)> = s
            .statics
            .iter()
            .map(|e| {
                (
                    e.name.as_str(),
                    e.ip_address.map(|a| a.to_string()),
                    e.prefix.map(|(p, l)| format!("{p}/{l}")),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("h", Some("2001:db8:1::5".into()), None),
                ("p", None, Some("2001:db8:1ff::/56".into()))
            ]
        );
        assert_eq!(s.statics[1].client_id.as_deref(), Some("00:01:00:01"));
        // A /64 range: exactly 2^64, one more than a u64 holds.
        // Attributed on several threads, the same report.
        for shares in 2..=5 {
            assert_eq!(build_in_shares(&c, &db, NOW, Detail::Full, shares), r);
        }
        let big = &r.subnets[1];
        assert_eq!(big.ips.total, 18_446_744_073_709_551_616);
        assert_eq!((big.ips.free, big.temporary, big.prefixes), (1, None, None));
        // The /56 outside every pool and ::9::1 outside every subnet6.
        assert_eq!(r.unplaced, 2);
        assert_eq!(r.valid_until, Some(1_798_761_600));
    }

    /// An appended batch updates the report to exactly what a full build
    /// of the grown database gives: random IAs of every kind and state,
    /// inside and outside ranges and subnets, other IAs' records, over
    /// many batches.
    #[test]
    fn an_update_equals_a_build() {
        use crate::dhcp::leases6::LeaseParser6;
        let c = conf6(
            "subnet6 2001:db8:1::/64 {\n\
               range6 2001:db8:1::100 2001:db8:1::1ff;\n\
               range6 2001:db8:1:0:8000::/65 temporary;\n\
               prefix6 2001:db8:100:: 2001:db8:1ff:: /56;\n\
             }\n\
             subnet6 2001:db8:2::/48 { range6 2001:db8:2::/64; }\n",
        );
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut batch = |n: usize| -> String {
            let mut text = String::new();
            for _ in 0..n {
                let ia = format!("ia{}", next(12));
                let state = [
                    "active",
                    "active",
                    "expired",
                    "released",
                    "abandoned",
                    "free",
                ][next(6) as usize];
                // Ends: passed, or far enough not to pass during the test.
                let ends =
                    ["3 2026/11/25 00:00:00", "5 2027/01/01 00:00:00", "never"][next(3) as usize];
                let (kind, what) = match next(4) {
                    0 => ("ta", format!("iaaddr 2001:db8:1:0:8000::{:x}", next(40))),
                    1 => ("pd", format!("iaprefix 2001:db8:1{:02x}::/56", next(40))),
                    2 => (
                        "na",
                        format!("iaaddr 2001:db8:{}::{:x}", 1 + next(3), 0xf0 + next(40)),
                    ),
                    _ => ("na", format!("iaaddr 2001:db8:1::{:x}", 0x100 + next(40))),
                };
                text.push_str(&format!(
                    "ia-{kind} \"{ia}\" {{\n  {what} {{\n    binding state {state};\n    ends {ends};\n  }}\n}}\n"
                ));
            }
            text
        };
        let mut p = LeaseParser6::new(Arc::from("l"), Detail::Full);
        let mut d = Diagnostics::new();
        p.feed(batch(60).as_bytes(), true, &mut d);
        let mut report = build(&c, p.db(), NOW, Detail::Full);
        for round in 0..40 {
            p.start_journal();
            p.feed(batch(1 + round % 7).as_bytes(), true, &mut d);
            let changes = p.take_journal();
            let now = NOW + round as i64;
            report = update(report, NOW, &c, p.db(), &changes, now).expect("exact");
            let built = build(&c, p.db(), now, Detail::Full);
            assert_eq!(report.subnets, built.subnets, "round {round}");
            assert_eq!(report.unplaced, built.unplaced, "round {round}");
            // Kept from before, an end can only be too early (a rebuild
            // then, never a stale answer).
            assert!(report.valid_until <= built.valid_until || built.valid_until.is_none());
        }
        assert!(d.items().is_empty(), "{:?}", d.items());
    }
}
