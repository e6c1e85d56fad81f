//! Pool alarms (SPEC §4.3, §4.4): one evaluation, from the report to a
//! state per pool, used by `dhcpstats alarm` and meant for every later
//! output (dashboard colours, JSON), so they can never disagree.
//!
//! `used` = active + abandoned, `available` = total − used. A pool is at
//! `warning`/`critical` when its used percent reaches the percent
//! threshold **or** its available addresses fall to the absolute one. The
//! pool is the shared network where a subnet has one (or each subnet, with
//! `level: subnet`); pools smaller than `min_size` and ignored ones never
//! alarm.

pub mod output;
pub mod remote;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::dhcp::conf::Conf;
use crate::report::Report;

/// What a pool is: a shared network's subnets together, or one subnet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    SharedNetwork,
    Subnet,
}

/// Thresholds of one pool (all optional in the file; see [`Settings`]).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub warning_available: Option<u64>,
    pub critical_available: Option<u64>,
    pub min_size: Option<u64>,
    #[serde(default)]
    pub ignore: bool,
}

/// `dhcpstats: alarms:` of the configuration file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    pub defaults: Overrides,
    pub level: Level,
    /// By subnet CIDR or shared-network name.
    pub overrides: BTreeMap<String, Overrides>,
}

/// The YAML shape of [`Settings`] (serde cannot both flatten and refuse
/// unknown keys).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    warning: Option<f64>,
    critical: Option<f64>,
    warning_available: Option<u64>,
    critical_available: Option<u64>,
    min_size: Option<u64>,
    #[serde(default)]
    level: Level,
    #[serde(default)]
    overrides: BTreeMap<String, Overrides>,
}

impl From<RawSettings> for Settings {
    fn from(r: RawSettings) -> Settings {
        Settings {
            defaults: Overrides {
                warning: r.warning,
                critical: r.critical,
                warning_available: r.warning_available,
                critical_available: r.critical_available,
                min_size: r.min_size,
                ignore: false,
            },
            level: r.level,
            overrides: r.overrides,
        }
    }
}

/// The thresholds that apply to one pool.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    pub warning: f64,
    pub critical: f64,
    pub warning_available: Option<u64>,
    pub critical_available: Option<u64>,
    pub min_size: u64,
}

impl Settings {
    /// Checks ranges and order; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let all = std::iter::once(("alarms".to_string(), &self.defaults)).chain(
            self.overrides
                .iter()
                .map(|(k, v)| (format!("alarms.overrides.{k}"), v)),
        );
        for (key, o) in all {
            for (name, v) in [("warning", o.warning), ("critical", o.critical)] {
                if let Some(p) = v {
                    if !(0.0..=100.0).contains(&p) {
                        return Err(format!("{key}.{name}: {p} is not a percentage (0-100)"));
                    }
                }
            }
        }
        let t = self.thresholds(None, None);
        if t.warning > t.critical {
            return Err(format!(
                "alarms.warning ({}) is above alarms.critical ({})",
                t.warning, t.critical
            ));
        }
        Ok(())
    }

    /// The thresholds of the pool named `name` (a shared network) or of
    /// the subnet `cidr`: its override over the defaults over 80/90 %.
    pub fn thresholds(&self, name: Option<&str>, cidr: Option<&str>) -> Thresholds {
        let mut t = Thresholds {
            warning: 80.0,
            critical: 90.0,
            warning_available: None,
            critical_available: None,
            min_size: 0,
        };
        let layers = std::iter::once(Some(&self.defaults)).chain(
            [cidr, name]
                .into_iter()
                .map(|k| k.and_then(|k| self.overrides.get(k))),
        );
        for o in layers.flatten() {
            t.warning = o.warning.unwrap_or(t.warning);
            t.critical = o.critical.unwrap_or(t.critical);
            t.warning_available = o.warning_available.or(t.warning_available);
            t.critical_available = o.critical_available.or(t.critical_available);
            t.min_size = o.min_size.unwrap_or(t.min_size);
        }
        t
    }

    fn ignored(&self, keys: &[&str]) -> bool {
        keys.iter()
            .any(|k| self.overrides.get(*k).is_some_and(|o| o.ignore))
    }
}

/// How a pool stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Ok,
    Warning,
    Critical,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Warning => "warning",
            State::Critical => "critical",
        }
    }
}

/// What a pool counts: addresses (v4, or DHCPv6 IA_NA), DHCPv6
/// temporary addresses (IA_TA) or delegated prefixes (IA_PD). The three
/// kinds of a subnet6 alarm separately (SPEC §4.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PoolKind {
    #[default]
    Addresses,
    Temporary,
    Prefixes,
}

impl PoolKind {
    /// Appended to the pool's name: `2001:db8::/64 prefixes`.
    pub fn suffix(self) -> &'static str {
        match self {
            PoolKind::Addresses => "",
            PoolKind::Temporary => " temporary",
            PoolKind::Prefixes => " prefixes",
        }
    }
}

/// One evaluated pool.
#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    /// The shared network's name, or the subnet's CIDR; a DHCPv6 shared
    /// network's is followed by ` (v6)` (it is another network than a
    /// DHCPv4 one of the same name), a temporary or prefix pool's by its
    /// kind ([`PoolKind::suffix`]).
    pub name: String,
    pub level: Level,
    pub kind: PoolKind,
    /// The shared network's name as declared (overrides are keyed by it).
    pub shared_network: Option<String>,
    /// The CIDRs of its subnets, in declaration order.
    pub subnets: Vec<String>,
    pub total: u128,
    pub used: u128,
    pub thresholds: Thresholds,
    /// Ignored by an override: shown, never alarms.
    pub ignored: bool,
    pub state: State,
}

impl Pool {
    pub fn available(&self) -> u128 {
        self.total.saturating_sub(self.used)
    }

    /// Used share in percent (0 for an empty pool).
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.used as f64 * 100.0 / self.total as f64
        }
    }

    /// The fewest used addresses at which the pool reaches `percent` or
    /// leaves at most `available` free: where the alarm starts.
    fn alarm_at(&self, percent: f64, available: Option<u64>) -> u128 {
        let by_percent = (self.total as f64 * percent / 100.0).ceil() as u128;
        let by_available =
            available.map_or(u128::MAX, |a| self.total.saturating_sub(u128::from(a)));
        by_percent.min(by_available)
    }

    /// Used addresses from which the pool is at warning.
    pub fn warning_at(&self) -> u128 {
        self.alarm_at(self.thresholds.warning, self.thresholds.warning_available)
    }

    /// Used addresses from which the pool is critical.
    pub fn critical_at(&self) -> u128 {
        self.alarm_at(self.thresholds.critical, self.thresholds.critical_available)
    }

    /// Too small to alarm (`min_size`), or with no addresses at all.
    pub fn below_min_size(&self) -> bool {
        self.total == 0 || self.total < u128::from(self.thresholds.min_size)
    }
}

/// The numbers of one subnet that alarms are made of, from a report or
/// from a server's `/subnets?summary`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetNumbers {
    pub cidr: String,
    pub shared_network: Option<String>,
    pub total: u128,
    pub active: u128,
    pub abandoned: u128,
    pub kind: PoolKind,
}

impl SubnetNumbers {
    /// A DHCPv6 subnet (its CIDR is an IPv6 prefix).
    pub fn is_v6(&self) -> bool {
        self.cidr.contains(':')
    }
}

/// Evaluates every pool of `report` (built from `conf`, and from `conf6`
/// for its DHCPv6 subnets).
pub fn evaluate(
    conf: &Conf,
    conf6: Option<&Conf>,
    report: &Report,
    settings: &Settings,
) -> Vec<Pool> {
    let mut subnets: Vec<SubnetNumbers> = report
        .subnets
        .iter()
        .map(|sr| SubnetNumbers {
            cidr: sr.cidr.clone(),
            shared_network: conf
                .subnets
                .get(sr.subnet)
                .and_then(|s| s.shared_network.clone()),
            total: sr.ips.total,
            active: sr.ips.active,
            abandoned: sr.ips.abandoned,
            kind: PoolKind::Addresses,
        })
        .collect();
    for sr in &report.v6.subnets {
        let shared_network = conf6
            .and_then(|c| c.subnets6.get(sr.subnet))
            .and_then(|s| s.shared_network.clone());
        for (kind, counts) in [
            (PoolKind::Addresses, Some(&sr.ips)),
            (PoolKind::Temporary, sr.temporary.as_ref()),
            (PoolKind::Prefixes, sr.prefixes.as_ref()),
        ] {
            if let Some(c) = counts {
                subnets.push(SubnetNumbers {
                    cidr: sr.cidr.clone(),
                    shared_network: shared_network.clone(),
                    total: c.total,
                    active: c.active,
                    abandoned: c.abandoned,
                    kind,
                });
            }
        }
    }
    evaluate_subnets(&subnets, settings)
}

/// Evaluates the pools of these subnets (in declaration order).
pub fn evaluate_subnets(subnets: &[SubnetNumbers], settings: &Settings) -> Vec<Pool> {
    let mut pools: Vec<Pool> = Vec::new();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for sr in subnets {
        let (base, level) = match (&sr.shared_network, settings.level) {
            (Some(n), Level::SharedNetwork) if sr.is_v6() => {
                (format!("{n} (v6)"), Level::SharedNetwork)
            }
            (Some(n), Level::SharedNetwork) => (n.clone(), Level::SharedNetwork),
            _ => (sr.cidr.clone(), Level::Subnet),
        };
        let name = format!("{base}{}", sr.kind.suffix());
        let i = *by_name.entry(name.clone()).or_insert_with(|| {
            pools.push(Pool {
                name: name.clone(),
                level,
                kind: sr.kind,
                shared_network: (level == Level::SharedNetwork)
                    .then(|| sr.shared_network.clone())
                    .flatten(),
                subnets: Vec::new(),
                total: 0,
                used: 0,
                thresholds: settings.thresholds(None, None),
                ignored: false,
                state: State::Ok,
            });
            pools.len() - 1
        });
        if let Some(p) = pools.get_mut(i) {
            p.subnets.push(sr.cidr.clone());
            p.total += sr.total;
            p.used += sr.active + sr.abandoned;
        }
    }
    for p in &mut pools {
        // Overrides are keyed by the subnet's CIDR or the shared
        // network's name as declared (not the pool's display name).
        let single = (p.subnets.len() == 1).then(|| p.subnets.first()).flatten();
        let cidr = single.map(String::as_str);
        let name = p.shared_network.as_deref();
        p.thresholds = settings.thresholds(name, cidr);
        let mut keys: Vec<&str> = p.subnets.iter().map(String::as_str).collect();
        keys.extend(name);
        p.ignored = settings.ignored(&keys);
        p.state = if p.ignored || p.below_min_size() {
            State::Ok
        } else if p.used >= p.critical_at() {
            State::Critical
        } else if p.used >= p.warning_at() {
            State::Warning
        } else {
            State::Ok
        };
    }
    pools
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::Detail;
    use crate::dhcp::conf::parse_bytes;
    use crate::dhcp::leases::parse_all;
    use crate::diag::Diagnostics;

    fn pools(conf: &str, leases: &str, settings: &Settings) -> Vec<Pool> {
        let mut d = Diagnostics::new();
        let c = parse_bytes("t.conf", conf.as_bytes(), &mut d);
        let (db, _) = parse_all("t.leases", leases.as_bytes(), Detail::Summary, &mut d);
        let r = crate::report::build(&c, &db, 0, Detail::Summary);
        evaluate(&c, None, &r, settings)
    }

    fn active(from: u32, n: u32, prefix: &str) -> String {
        (from..from + n)
            .map(|i| format!("lease {prefix}.{i} {{ binding state active; ends never; }}\n"))
            .collect()
    }

    #[test]
    fn percent_or_absolute_whichever_comes_first() {
        let conf = "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.100; }";
        let at = |n: u32, s: &Settings| pools(conf, &active(1, n, "10.0.0"), s)[0].state;
        let d = Settings::default();
        assert_eq!(at(79, &d), State::Ok);
        assert_eq!(at(80, &d), State::Warning);
        assert_eq!(at(90, &d), State::Critical);
        let abs = Settings {
            defaults: Overrides {
                warning_available: Some(30),
                ..Overrides::default()
            },
            ..Settings::default()
        };
        assert_eq!(at(69, &abs), State::Ok);
        assert_eq!(at(70, &abs), State::Warning);
    }

    #[test]
    fn shared_networks_are_one_pool_unless_asked_otherwise() {
        let conf =
            "shared-network s { subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.10; }
                    subnet 10.0.1.0 netmask 255.255.255.0 { range 10.0.1.1 10.0.1.10; } }";
        let leases = active(1, 10, "10.0.0");
        let p = pools(conf, &leases, &Settings::default());
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].used, p[0].total, p[0].state), (10, 20, State::Ok));
        let by_subnet = Settings {
            level: Level::Subnet,
            ..Settings::default()
        };
        let p = pools(conf, &leases, &by_subnet);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].state, State::Critical);
    }

    #[test]
    fn small_and_ignored_pools_never_alarm() {
        let conf = "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.4; }";
        let mut s = Settings::default();
        s.defaults.min_size = Some(10);
        assert_eq!(pools(conf, &active(1, 4, "10.0.0"), &s)[0].state, State::Ok);
        let mut s = Settings::default();
        s.overrides.insert(
            "10.0.0.0/24".into(),
            Overrides {
                ignore: true,
                ..Overrides::default()
            },
        );
        let p = pools(conf, &active(1, 4, "10.0.0"), &s);
        assert!(p[0].ignored);
        assert_eq!(p[0].state, State::Ok);
    }
}
