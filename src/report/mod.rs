//! The report: configuration + lease database + *now* → per-subnet numbers
//! (SPEC §3). Pure and cheap enough to redo whenever time passes.
//!
//! [`build`] attributes every lease to the longest-prefix subnet holding
//! its address, counts it when it lies in one of that subnet's ranges,
//! places every host's fixed addresses the same way, and notes the moment
//! the answer will change by itself ([`Report::valid_until`]: the earliest
//! future `ends` of a counted active lease). Rendering to JSON is in
//! [`json`]; this module knows nothing about bytes or HTTP.

pub mod json;
pub mod v6;

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::dhcp::Detail;
use crate::dhcp::conf::{Conf, Host, Subnet};
use crate::dhcp::lease_fields::BindingState;
use crate::dhcp::leases::{AddrMap, HostEntry, Lease, LeaseChange, LeaseDb};
use crate::dhcp::time::LeaseTime;
use crate::dhcp::values::AddressOrName;
use crate::diag::{Diagnostic, Diagnostics, Severity};

/// The ten numbers of `ips` (SPEC §3.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
///
/// 128-bit: one type for both families (a DHCPv6 /64 range alone holds
/// 2^64 addresses, one more than a u64 can count).
pub struct Counts {
    pub total: u128,
    pub active: u128,
    pub free: u128,
    pub backup: u128,
    pub expired: u128,
    pub released: u128,
    pub abandoned: u128,
    pub reset: u128,
    pub unused: u128,
    pub statics: u128,
}

impl Counts {
    /// Every counted lease (everything but `total`, `unused`, `static`).
    pub fn leased(&self) -> u128 {
        self.active
            + self.free
            + self.backup
            + self.expired
            + self.released
            + self.abandoned
            + self.reset
    }

    /// The number a lease counted this way adds to.
    fn counter(&mut self, how: Counted) -> &mut u128 {
        match how {
            Counted::Active => &mut self.active,
            Counted::Free => &mut self.free,
            Counted::Backup => &mut self.backup,
            Counted::Expired => &mut self.expired,
            Counted::Released => &mut self.released,
            Counted::Abandoned => &mut self.abandoned,
            Counted::Reset => &mut self.reset,
        }
    }

    /// Adds the lease counts of `other` (not `total`, `unused`, `static`).
    pub(super) fn add_leases(&mut self, other: &Counts) {
        self.active += other.active;
        self.free += other.free;
        self.backup += other.backup;
        self.expired += other.expired;
        self.released += other.released;
        self.abandoned += other.abandoned;
        self.reset += other.reset;
    }

    /// The (name, value) pairs in output order.
    pub fn pairs(&self) -> [(&'static str, u128); 10] {
        [
            ("total", self.total),
            ("active", self.active),
            ("free", self.free),
            ("backup", self.backup),
            ("expired", self.expired),
            ("released", self.released),
            ("abandoned", self.abandoned),
            ("reset", self.reset),
            ("unused", self.unused),
            ("static", self.statics),
        ]
    }
}

/// How a lease counts at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Active,
    Free,
    Backup,
    Expired,
    Released,
    Abandoned,
    Reset,
}

/// The state a lease counts as at `now` (SPEC §3.2): an active lease whose
/// `ends` has passed is expired; a block without `binding state` is active
/// while `ends` is in the future and free after, as dhcpd reads it.
pub fn classify(lease: &Lease, now: i64) -> Counted {
    let ended = lease.ends().is_some_and(|e| e.has_passed(now));
    match lease.state() {
        Some(BindingState::Active | BindingState::Bootp | BindingState::Reserved) => {
            if ended {
                Counted::Expired
            } else {
                Counted::Active
            }
        }
        Some(BindingState::Free) => Counted::Free,
        Some(BindingState::Backup) => Counted::Backup,
        Some(BindingState::Expired) => Counted::Expired,
        Some(BindingState::Released) => Counted::Released,
        Some(BindingState::Abandoned) => Counted::Abandoned,
        Some(BindingState::Reset) => Counted::Reset,
        None => match lease.ends() {
            Some(e) if !e.has_passed(now) => Counted::Active,
            _ => Counted::Free,
        },
    }
}

/// One host reservation as placed in a subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticEntry {
    pub name: String,
    pub mac_address: Option<String>,
    pub ip_address: Ipv4Addr,
    pub host_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetReport {
    /// Index into `Conf::subnets`.
    pub subnet: usize,
    pub cidr: String,
    pub ips: Counts,
    pub statics: Vec<StaticEntry>,
    /// Addresses of every lease in the subnet, sorted numerically.
    pub leases: Vec<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub subnets: Vec<SubnetReport>,
    /// The report is exact until this time (Unix seconds): the earliest
    /// future `ends` of a counted active lease. `None`: until files change.
    pub valid_until: Option<i64>,
    /// The time the report was computed for.
    pub now: i64,
    /// Whether the `leases` lists were built ([`Detail::Full`]).
    pub detail: Detail,
    /// Leases whose address is in no declared subnet (not counted).
    pub unplaced: Unplaced,
    /// The subnet6s of dhcpd -6's files (empty without them). Boxed:
    /// the report travels by value through `update`.
    pub v6: Box<v6::Report6>,
}

/// Leases in no declared subnet: how many, and the lowest addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unplaced {
    pub count: u64,
    /// The [`Unplaced::SAMPLE`] lowest addresses, ascending.
    pub sample: Vec<u32>,
}

impl Unplaced {
    /// Addresses a note names (the count says how many more there are).
    pub const SAMPLE: usize = 10;

    fn add(&mut self, addr: u32) {
        self.count += 1;
        self.keep_if_low(addr);
    }

    fn merge(&mut self, other: Unplaced) {
        self.count += other.count;
        for a in other.sample {
            self.keep_if_low(a);
        }
    }

    /// Keeps `addr` in the sample if it is among the lowest seen.
    fn keep_if_low(&mut self, addr: u32) {
        if let Err(at) = self.sample.binary_search(&addr) {
            if at < Self::SAMPLE {
                self.sample.insert(at, addr);
                self.sample.truncate(Self::SAMPLE);
            }
        }
    }

    /// The note `check` and `/status` show, if any lease is unplaced.
    pub fn note(&self, leases_file: &Arc<str>) -> Option<Diagnostic> {
        if self.count == 0 {
            return None;
        }
        let mut list: Vec<String> = self
            .sample
            .iter()
            .map(|a| Ipv4Addr::from(*a).to_string())
            .collect();
        let more = self.count.saturating_sub(self.sample.len() as u64);
        if more > 0 {
            list.push(format!("and {more} more"));
        }
        let what = if self.count == 1 {
            "lease is"
        } else {
            "leases are"
        };
        Some(Diagnostic {
            file: leases_file.clone(),
            line: 0,
            col: 0,
            severity: Severity::Note,
            message: format!(
                "{} {what} in no declared subnet, so not counted: {}",
                self.count,
                list.join(", ")
            ),
        })
    }
}

impl Report {
    pub fn find(&self, cidr: &str) -> Option<&SubnetReport> {
        self.subnets.iter().find(|s| s.cidr == cidr)
    }

    /// Adds the v6 report: its subnets follow the v4 ones, and it may
    /// end the validity earlier.
    pub fn with_v6(mut self, r6: v6::Report6) -> Report {
        self.valid_until = match (self.valid_until, r6.valid_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.v6 = Box::new(r6);
        self
    }

    /// Which subnet a CIDR names: v4 first, then v6.
    pub fn locate(&self, cidr: &str) -> Option<SubnetRef> {
        if let Some(i) = self.subnets.iter().position(|s| s.cidr == cidr) {
            return Some(SubnetRef::V4(i));
        }
        self.v6
            .subnets
            .iter()
            .position(|s| s.cidr == cidr)
            .map(SubnetRef::V6)
    }
}

/// A subnet of the report: an index into `subnets` or `v6.subnets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubnetRef {
    V4(usize),
    V6(usize),
}

/// Finds the longest-prefix subnet holding an address. Subnets are grouped
/// by mask, most specific mask first (non-contiguous masks work too); in
/// front of that search, a table of /24 blocks answers most addresses
/// with one probe.
pub struct SubnetIndex {
    by_mask: Vec<(u32, AddrMap<usize>)>,
    /// See [`block_table`]; `None` when it does not apply.
    blocks: Option<AddrMap<u32>>,
}

/// In the block table: subnets smaller than a /24 lie in this block.
const MIXED: u32 = u32::MAX;

/// Largest block table built (entries): a configuration with a /4 subnet
/// is searched by mask instead of listing a million blocks.
const MAX_BLOCKS: u64 = 1 << 20;

impl SubnetIndex {
    pub fn new(subnets: &[Subnet]) -> SubnetIndex {
        let mut groups: HashMap<u32, AddrMap<usize>> = HashMap::new();
        for (i, s) in subnets.iter().enumerate() {
            groups
                .entry(u32::from(s.mask))
                .or_default()
                .entry(u32::from(s.network))
                .or_insert(i);
        }
        let mut by_mask: Vec<(u32, AddrMap<usize>)> = groups.into_iter().collect();
        by_mask.sort_by_key(|(mask, _)| std::cmp::Reverse((mask.count_ones(), *mask)));
        SubnetIndex {
            by_mask,
            blocks: block_table(subnets),
        }
    }

    pub fn lookup(&self, addr: u32) -> Option<usize> {
        match &self.blocks {
            Some(blocks) => match blocks.get(&(addr >> 8)) {
                None => None,
                Some(&MIXED) => self.search(addr),
                Some(&i) => Some(i as usize),
            },
            None => self.search(addr),
        }
    }

    fn search(&self, addr: u32) -> Option<usize> {
        self.by_mask
            .iter()
            .find_map(|(mask, nets)| nets.get(&(addr & mask)).copied())
    }
}

/// For every /24 block (address >> 8) that a subnet covers or lies in:
/// the index of the most specific subnet covering all of it (the first
/// declared among equals), or [`MIXED`] when a subnet smaller than a /24
/// lies in it. A block not in the table is in no subnet. `None` when a
/// mask is not a prefix, or the table would exceed [`MAX_BLOCKS`].
fn block_table(subnets: &[Subnet]) -> Option<AddrMap<u32>> {
    let mut blocks_needed: u64 = 0;
    for s in subnets {
        let mask = u32::from(s.mask);
        if mask.leading_ones() + mask.trailing_zeros() != 32 {
            return None;
        }
        blocks_needed += 1u64 << 24u32.saturating_sub(mask.leading_ones());
    }
    if blocks_needed > MAX_BLOCKS {
        return None;
    }
    let mut order: Vec<(u32, usize)> = subnets
        .iter()
        .enumerate()
        .map(|(i, s)| (u32::from(s.mask).leading_ones(), i))
        .collect();
    // Shorter prefixes first, so that more specific subnets overwrite them.
    order.sort_unstable();
    let mut table: AddrMap<(u32, u32)> = AddrMap::default();
    for (len, i) in order {
        let (Some(s), Ok(index)) = (subnets.get(i), u32::try_from(i)) else {
            return None;
        };
        let (network, mask) = (u32::from(s.network), u32::from(s.mask));
        if network & !mask != 0 || index == MIXED {
            // Matches no address (host bits set), or too many subnets.
            continue;
        }
        if len > 24 {
            table.insert(network >> 8, (MIXED, len));
            continue;
        }
        let first = network >> 8;
        for block in first..=first | ((1u32 << (24 - len)) - 1) {
            let slot = table.entry(block).or_insert((index, len));
            if slot.1 < len {
                *slot = (index, len);
            }
        }
    }
    Some(table.into_iter().map(|(b, (i, _))| (b, i)).collect())
}

/// The union of a subnet's ranges as sorted, disjoint, non-adjacent
/// intervals (overlapping ranges are counted once).
pub fn merged_ranges(subnet: &Subnet) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = subnet
        .ranges
        .iter()
        .map(|r| (u32::from(r.low), u32::from(r.high)))
        .collect();
    v.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
    for (lo, hi) in v {
        match out.last_mut() {
            Some(last) if u64::from(lo) <= u64::from(last.1) + 1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

fn in_intervals(intervals: &[(u32, u32)], addr: u32) -> bool {
    let i = intervals.partition_point(|(lo, _)| *lo <= addr);
    i > 0 && intervals.get(i - 1).is_some_and(|(_, hi)| addr <= *hi)
}

/// The hosts in effect: dhcpd.conf's, then the lease file's OMAPI entries
/// (a later declaration of a name replaces it in place; `deleted` removes).
pub fn effective_hosts<'a>(conf: &'a Conf, db: &'a LeaseDb) -> Vec<&'a Host> {
    let mut order: Vec<Option<&Host>> = conf.hosts.iter().map(Some).collect();
    let mut index: HashMap<&str, usize> = conf
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_str(), i))
        .collect();
    for (name, entry) in db.hosts() {
        let value = match entry {
            HostEntry::Declared(h) => Some(&**h),
            HostEntry::Deleted => None,
        };
        match index.get(name) {
            Some(&i) => {
                if let Some(slot) = order.get_mut(i) {
                    *slot = value;
                }
            }
            None => {
                index.insert(name, order.len());
                order.push(value);
            }
        }
    }
    order.into_iter().flatten().collect()
}

/// Diagnostics that depend on the configuration and leases together but
/// not on time (hosts that cannot be placed). Computed once per data
/// generation, not per report.
pub fn placement_diagnostics(conf: &Conf, db: &LeaseDb) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let index = SubnetIndex::new(&conf.subnets);
    for h in effective_hosts(conf, db) {
        for a in &h.fixed_addresses {
            let (severity, message) = match a {
                AddressOrName::Name(n) => (
                    Severity::Warning,
                    format!(
                        "host {}: fixed-address {n} is a DNS name; it is not resolved, so the host is not placed in a subnet",
                        h.name
                    ),
                ),
                AddressOrName::V4(ip) if index.lookup(u32::from(*ip)).is_none() => (
                    Severity::Note,
                    format!(
                        "host {}: fixed-address {ip} is in no declared subnet",
                        h.name
                    ),
                ),
                AddressOrName::V4(_) => continue,
            };
            diags.push(Diagnostic {
                file: h.origin.file.clone(),
                line: h.origin.line,
                col: h.origin.col,
                severity,
                message,
            });
        }
    }
    diags
}

/// Builds the report for time `now`.
pub fn build(conf: &Conf, db: &LeaseDb, now: i64, detail: Detail) -> Report {
    build_in_shares(conf, db, now, detail, attribution_threads(db.leases.len()))
}

/// [`build`], attributing the leases on `shares` threads.
fn build_in_shares(conf: &Conf, db: &LeaseDb, now: i64, detail: Detail, shares: u32) -> Report {
    let index = SubnetIndex::new(&conf.subnets);
    let ranges: Vec<Vec<(u32, u32)>> = conf.subnets.iter().map(merged_ranges).collect();
    let mut subnets: Vec<SubnetReport> = conf
        .subnets
        .iter()
        .enumerate()
        .map(|(i, s)| SubnetReport {
            subnet: i,
            cidr: s.cidr(),
            ips: Counts {
                total: ranges.get(i).map_or(0, |r| {
                    r.iter().map(|(lo, hi)| u128::from(hi - lo) + 1).sum()
                }),
                ..Counts::default()
            },
            statics: Vec::new(),
            leases: Vec::new(),
        })
        .collect();

    let tallies: Vec<Tally> = in_shares(shares, |share| {
        tally(db, &index, &ranges, now, detail, share, shares)
    });
    let mut valid_until: Option<i64> = None;
    let mut unplaced = Unplaced::default();
    for t in tallies {
        unplaced.merge(t.unplaced);
        for (sr, (counts, leases)) in subnets.iter_mut().zip(t.counts.into_iter().zip(t.leases)) {
            sr.ips.add_leases(&counts);
            sr.leases.extend(leases);
        }
        valid_until = match (valid_until, t.valid_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    // Subnets this host was placed in already (hosts have few addresses).
    let mut placed: Vec<usize> = Vec::new();
    for h in effective_hosts(conf, db) {
        placed.clear();
        for a in &h.fixed_addresses {
            let AddressOrName::V4(ip) = a else { continue };
            let Some(si) = index.lookup(u32::from(*ip)) else {
                continue;
            };
            // One entry per host and subnet: the first of its addresses
            // there. (Host names are unique among effective hosts, so only
            // this host's own earlier addresses can have placed it.)
            if placed.contains(&si) {
                continue;
            }
            placed.push(si);
            let Some(sr) = subnets.get_mut(si) else {
                continue;
            };
            sr.statics.push(StaticEntry {
                name: h.name.clone(),
                mac_address: h.hardware.as_ref().map(|hw| hw.address.clone()),
                ip_address: *ip,
                host_name: h.host_name.clone().or_else(|| h.ddns_hostname.clone()),
            });
        }
    }

    for sr in &mut subnets {
        sr.ips.statics = sr.statics.len() as u128;
        sr.ips.unused = sr.ips.total.saturating_sub(sr.ips.leased());
        sr.leases.sort_unstable();
    }
    Report {
        subnets,
        valid_until,
        now,
        detail,
        unplaced,
        v6: Box::default(),
    }
}

/// Brings `report` up to date at `now` with the leases an appended read
/// changed, without walking the whole lease table: the one-address
/// difference of each change is applied to its subnet. `Err` hands the
/// report back when that would not be exact, because time went backwards
/// or reached `valid_until` (then leases that did not change may count
/// differently too) or the subnets are not the ones it was built from.
/// Changed hosts are the caller's to notice (they change `statics`).
pub fn update(
    mut report: Report,
    conf: &Conf,
    changes: &[LeaseChange],
    now: i64,
) -> Result<Report, Report> {
    let same_subnets = report.subnets.len() == conf.subnets.len()
        && report
            .subnets
            .iter()
            .zip(&conf.subnets)
            .all(|(sr, s)| sr.cidr == s.cidr());
    if now < report.now || report.valid_until.is_some_and(|t| now >= t) || !same_subnets {
        return Err(report);
    }
    let index = SubnetIndex::new(&conf.subnets);
    for c in changes {
        let Some(si) = index.lookup(c.addr) else {
            if c.before.is_none() {
                report.unplaced.add(c.addr);
            }
            continue;
        };
        let (Some(sr), Some(subnet)) = (report.subnets.get_mut(si), conf.subnets.get(si)) else {
            continue;
        };
        if report.detail == Detail::Full && c.before.is_none() {
            if let Err(at) = sr.leases.binary_search(&c.addr) {
                sr.leases.insert(at, c.addr);
            }
        }
        if !in_intervals(&merged_ranges(subnet), c.addr) {
            continue;
        }
        // Counted before at `report.now`, which counts the same at `now`
        // (no counted active lease has ended in between).
        if let Some(before) = &c.before {
            let n = sr.ips.counter(classify(before, now));
            *n = n.saturating_sub(1);
        }
        let after = classify(&c.after, now);
        *sr.ips.counter(after) += 1;
        if let (Counted::Active, Some(LeaseTime::At(end))) = (after, c.after.ends()) {
            report.valid_until = Some(report.valid_until.map_or(end, |v| v.min(end)));
        }
    }
    for sr in &mut report.subnets {
        sr.ips.unused = sr.ips.total.saturating_sub(sr.ips.leased());
    }
    report.now = now;
    Ok(report)
}

/// `share(i)` for every `i` below `shares`, in order: the first on this
/// thread, the others on their own. A share whose thread cannot be
/// started, or panicked (a bug, not input), is run here instead, so the
/// answer stays complete.
pub(super) fn in_shares<T: Send>(shares: u32, share: impl Fn(u32) -> T + Sync) -> Vec<T> {
    if shares <= 1 {
        return vec![share(0)];
    }
    std::thread::scope(|scope| {
        let share = &share;
        let workers: Vec<_> = (1..shares)
            .map(|i| {
                let thread = std::thread::Builder::new()
                    .name("dhcpstats-report".into())
                    .spawn_scoped(scope, move || share(i));
                (i, thread)
            })
            .collect();
        let mut all = vec![share(0)];
        for (i, w) in workers {
            all.push(match w {
                Ok(h) => h.join().unwrap_or_else(|_| share(i)),
                Err(_) => share(i),
            });
        }
        all
    })
}

/// Leases per attribution thread: below this, one thread is faster than
/// starting another.
const LEASES_PER_THREAD: usize = 100_000;

pub(super) fn attribution_threads(leases: usize) -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (leases / LEASES_PER_THREAD).clamp(1, cores.min(8)) as u32
}

/// What one share of the lease table adds to the subnets.
struct Tally {
    /// Per subnet, in declaration order.
    counts: Vec<Counts>,
    /// Per subnet, its addresses in this share (Full detail only).
    leases: Vec<Vec<u32>>,
    valid_until: Option<i64>,
    unplaced: Unplaced,
}

/// Attributes the leases whose address is `share` modulo `shares` (every
/// thread walks the whole table, which is cheap next to the lookups, and
/// takes its own addresses).
fn tally(
    db: &LeaseDb,
    index: &SubnetIndex,
    ranges: &[Vec<(u32, u32)>],
    now: i64,
    detail: Detail,
    share: u32,
    shares: u32,
) -> Tally {
    let mut t = Tally {
        counts: vec![Counts::default(); ranges.len()],
        leases: vec![Vec::new(); ranges.len()],
        valid_until: None,
        unplaced: Unplaced::default(),
    };
    for (&addr, lease) in &db.leases {
        if addr % shares != share {
            continue;
        }
        let Some(si) = index.lookup(addr) else {
            t.unplaced.add(addr);
            continue;
        };
        if detail == Detail::Full {
            if let Some(list) = t.leases.get_mut(si) {
                list.push(addr);
            }
        }
        if !ranges.get(si).is_some_and(|r| in_intervals(r, addr)) {
            continue;
        }
        let Some(c) = t.counts.get_mut(si) else {
            continue;
        };
        let counted = classify(lease, now);
        *c.counter(counted) += 1;
        if let (Counted::Active, Some(LeaseTime::At(end))) = (counted, lease.ends()) {
            t.valid_until = Some(t.valid_until.map_or(end, |v| v.min(end)));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_come_back_in_order() {
        assert_eq!(in_shares(1, |i| i), vec![0]);
        assert_eq!(in_shares(5, |i| i * 10), vec![0, 10, 20, 30, 40]);
    }
    use crate::dhcp::conf::parse_bytes;
    use crate::dhcp::leases::parse_all;

    fn lease(state: Option<BindingState>, ends: Option<LeaseTime>) -> Lease {
        Lease::new(state, ends)
    }

    #[test]
    fn classification_follows_the_spec() {
        let now = 1000;
        let at = |t| Some(LeaseTime::At(t));
        use BindingState as B;
        assert_eq!(
            classify(&lease(Some(B::Active), at(1001)), now),
            Counted::Active
        );
        assert_eq!(
            classify(&lease(Some(B::Active), at(1000)), now),
            Counted::Expired
        );
        assert_eq!(
            classify(&lease(Some(B::Active), Some(LeaseTime::Never)), now),
            Counted::Active
        );
        assert_eq!(
            classify(&lease(Some(B::Active), None), now),
            Counted::Active
        );
        assert_eq!(
            classify(&lease(Some(B::Bootp), at(5)), now),
            Counted::Expired
        );
        assert_eq!(
            classify(&lease(Some(B::Reserved), at(5000)), now),
            Counted::Active
        );
        assert_eq!(
            classify(&lease(Some(B::Backup), at(5)), now),
            Counted::Backup
        );
        assert_eq!(classify(&lease(None, at(5000)), now), Counted::Active);
        assert_eq!(classify(&lease(None, at(5)), now), Counted::Free);
        assert_eq!(classify(&lease(None, None), now), Counted::Free);
    }

    #[test]
    fn overlapping_ranges_count_once_and_longest_prefix_wins() {
        let mut d = Diagnostics::new();
        let conf = parse_bytes(
            "t.conf",
            b"subnet 10.0.0.0 netmask 255.255.0.0 { range 10.0.1.1 10.0.1.10; }
              subnet 10.0.5.0 netmask 255.255.255.0 { range 10.0.5.1 10.0.5.10; range 10.0.5.5 10.0.5.20; }",
            &mut d,
        );
        let (db, _) = parse_all(
            "t.leases",
            b"lease 10.0.5.3 { binding state active; ends never; }
lease 10.0.1.2 { binding state free; }
lease 10.0.7.7 { binding state active; }
",
            Detail::Full,
            &mut d,
        );
        let r = build(&conf, &db, 0, Detail::Full);
        assert_eq!(r.subnets[1].ips.total, 20);
        assert_eq!(r.subnets[1].ips.active, 1);
        assert_eq!(r.subnets[1].ips.unused, 19);
        assert_eq!(r.subnets[0].ips.free, 1);
        // Outside every range: listed, not counted.
        assert_eq!(
            r.subnets[0].leases,
            vec![
                u32::from(Ipv4Addr::new(10, 0, 1, 2)),
                u32::from(Ipv4Addr::new(10, 0, 7, 7))
            ]
        );
        assert_eq!(r.subnets[0].ips.active, 0);
    }

    #[test]
    fn valid_until_is_the_earliest_future_end() {
        let mut d = Diagnostics::new();
        let conf = parse_bytes(
            "t",
            b"subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.9; }",
            &mut d,
        );
        let (db, _) = parse_all(
            "l",
            b"lease 10.0.0.1 { ends epoch 500; binding state active; }
lease 10.0.0.2 { ends epoch 300; binding state active; }
lease 10.0.0.3 { ends epoch 100; binding state active; }
lease 10.0.0.4 { ends epoch 200; binding state free; }
",
            Detail::Summary,
            &mut d,
        );
        assert_eq!(
            build(&conf, &db, 150, Detail::Summary).valid_until,
            Some(300)
        );
        let late = build(&conf, &db, 600, Detail::Summary);
        assert_eq!(late.valid_until, None);
        assert_eq!(late.subnets[0].ips.expired, 3);
    }

    /// Three subnets, one nested in another, with ranges.
    fn three_subnets(d: &mut Diagnostics) -> Conf {
        parse_bytes(
            "t.conf",
            b"subnet 10.0.0.0 netmask 255.255.0.0 { range 10.0.0.1 10.0.3.200; }
              subnet 10.0.2.0 netmask 255.255.255.0 { range 10.0.2.10 10.0.2.90; }
              subnet 10.1.0.0 netmask 255.255.255.128 { range 10.1.0.5 10.1.0.100; }",
            d,
        )
    }

    #[test]
    fn attribution_in_shares_equals_one_pass() {
        let mut d = Diagnostics::new();
        let conf = three_subnets(&mut d);
        let text = some_leases(7, 3000);
        let (db, _) = parse_all("t.leases", text.as_bytes(), Detail::Full, &mut d);
        for detail in [Detail::Full, Detail::Summary] {
            let one = build_in_shares(&conf, &db, 1200, detail, 1);
            assert!(one.subnets.iter().all(|s| s.ips.leased() > 0));
            for shares in [2, 3, 5] {
                let many = build_in_shares(&conf, &db, 1200, detail, shares);
                assert_eq!(many.valid_until, one.valid_until);
                assert_eq!(many.unplaced, one.unplaced);
                assert!(one.unplaced.count >= 5, "10.9.9.0-4 are in no subnet");
                for (a, b) in many.subnets.iter().zip(&one.subnets) {
                    assert_eq!(a.ips, b.ips, "{shares} shares, {}", b.cidr);
                    assert_eq!(a.leases, b.leases, "{shares} shares, {}", b.cidr);
                }
            }
        }
    }

    /// Lease text: `count` blocks from `seed`, over three subnets, in and
    /// out of ranges, in every state, with ends around 1000-1600.
    fn some_leases(seed: u32, count: u32) -> String {
        let states: Vec<&str> = (0..=u8::MAX)
            .map_while(BindingState::from_code)
            .map(BindingState::as_str)
            .collect();
        let mut text = String::new();
        let mut x = seed;
        for _ in 0..count {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let r = x >> 8;
            let addr = match r % 4 {
                0 => format!("10.1.0.{}", r % 140),
                1 => format!("10.9.9.{}", r % 5),
                _ => format!("10.0.{}.{}", (r >> 3) % 4, (r >> 5) % 256),
            };
            let state = states
                .get(r as usize % states.len())
                .copied()
                .unwrap_or("free");
            let ends = if r % 11 == 0 {
                "never".to_string()
            } else {
                format!("epoch {}", 1000 + r % 600)
            };
            let state = if r % 13 == 0 {
                String::new()
            } else {
                format!("binding state {state}; ")
            };
            text.push_str(&format!("lease {addr} {{ {state}ends {ends}; }}\n"));
        }
        text
    }

    #[test]
    fn updating_with_appended_changes_equals_rebuilding() {
        let mut d = Diagnostics::new();
        let conf = three_subnets(&mut d);
        let mut updated = 0;
        for seed in 0..40u32 {
            let (mut db, _) = parse_all(
                "a",
                some_leases(seed, 300).as_bytes(),
                Detail::Summary,
                &mut d,
            );
            let (delta, _) = parse_all(
                "b",
                some_leases(seed + 1000, 40).as_bytes(),
                Detail::Summary,
                &mut d,
            );
            let before_now = 900 + i64::from(seed) * 5;
            for detail in [Detail::Full, Detail::Summary] {
                let before = build(&conf, &db, before_now, detail);
                let mut after_db = db.clone();
                let appended = after_db.merge_appended(delta.clone());
                for now in [
                    before_now,
                    before_now + 3,
                    before.valid_until.unwrap_or(2000) - 1,
                ] {
                    let rebuilt = build(&conf, &after_db, now, detail);
                    match update(before.clone(), &conf, &appended.changes, now) {
                        Ok(r) => {
                            updated += 1;
                            assert_eq!(r.now, rebuilt.now);
                            assert_eq!(r.detail, rebuilt.detail);
                            assert_eq!(r.unplaced, rebuilt.unplaced, "seed {seed}");
                            assert!(r.unplaced.count > 0, "the data has unplaced leases");
                            for (a, b) in r.subnets.iter().zip(&rebuilt.subnets) {
                                assert_eq!(a.ips, b.ips, "seed {seed} now {now} {}", b.cidr);
                                assert_eq!(a.leases, b.leases, "seed {seed} now {now} {}", b.cidr);
                            }
                            // Never later than the truth: a report that is
                            // rebuilt early is correct, one rebuilt late is not.
                            assert!(
                                r.valid_until.unwrap_or(i64::MAX)
                                    <= rebuilt.valid_until.unwrap_or(i64::MAX)
                            );
                        }
                        Err(_) => assert!(before.valid_until.is_some_and(|t| now >= t)),
                    }
                }
                // Time past `valid_until` or going backwards: not exact.
                if let Some(t) = before.valid_until {
                    assert!(update(before.clone(), &conf, &appended.changes, t).is_err());
                }
                assert!(update(before.clone(), &conf, &appended.changes, before_now - 1).is_err());
            }
            db.merge_later(delta);
        }
        assert!(
            updated > 100,
            "only {updated} updates were exact enough to compare"
        );
    }

    #[test]
    fn block_table_answers_like_the_search_by_mask() {
        let mut d = Diagnostics::new();
        let conf = parse_bytes(
            "t.conf",
            b"subnet 10.0.0.0 netmask 255.255.240.0 { }
              subnet 10.0.4.0 netmask 255.255.252.0 { }
              subnet 10.0.5.64 netmask 255.255.255.192 { }
              subnet 10.0.5.128 netmask 255.255.255.128 { }
              subnet 10.0.4.0 netmask 255.255.252.0 { }
              subnet 10.0.9.0 netmask 255.255.255.0 { }
              subnet 10.0.9.7 netmask 255.255.255.0 { }
              subnet 10.1.0.0 netmask 255.255.0.0 { }
              subnet 10.1.2.3 netmask 255.255.255.255 { }
              subnet 192.168.0.0 netmask 255.255.255.248 { }",
            &mut d,
        );
        let index = SubnetIndex::new(&conf.subnets);
        assert!(index.blocks.is_some());
        let mut probes = 0;
        for a in [10u32 << 24, (10 << 24) | (1 << 16), 192 << 24 | 168 << 16] {
            for offset in 0..70_000u32 {
                let addr = a.wrapping_add(offset);
                assert_eq!(
                    index.lookup(addr),
                    index.search(addr),
                    "{}",
                    Ipv4Addr::from(addr)
                );
                probes += 1;
            }
        }
        assert_eq!(probes, 210_000);
        // The most specific subnet (the parser drops the duplicate and
        // the one with host bits set, so the /32 is the seventh).
        let at = |s: &str| {
            index.lookup(u32::from(
                s.parse::<Ipv4Addr>().unwrap_or(Ipv4Addr::UNSPECIFIED),
            ))
        };
        assert_eq!(at("10.0.5.70"), Some(2));
        assert_eq!(at("10.0.5.10"), Some(1));
        assert_eq!(at("10.0.12.1"), Some(0));
        assert_eq!(at("10.1.2.3"), Some(6));
        assert_eq!(at("10.1.2.4"), Some(5));
        assert_eq!(at("10.2.0.1"), None);
    }

    #[test]
    fn without_a_block_table_the_search_still_answers() {
        let mut d = Diagnostics::new();
        for text in [
            &b"subnet 10.0.0.0 netmask 255.0.255.0 { } subnet 10.0.0.0 netmask 255.255.255.0 { }"[..],
            &b"subnet 0.0.0.0 netmask 0.0.0.0 { } subnet 10.0.0.0 netmask 255.255.255.0 { }"[..],
        ] {
            let conf = parse_bytes("t.conf", text, &mut d);
            let index = SubnetIndex::new(&conf.subnets);
            assert!(index.blocks.is_none());
            assert_eq!(index.lookup(u32::from(Ipv4Addr::new(10, 0, 0, 5))), Some(1));
            assert_eq!(index.lookup(u32::from(Ipv4Addr::new(10, 9, 0, 5))), Some(0));
        }
    }
}
