//! The alarm formats of `dhcpstats alarm`: Nagios/Icinga plugin output
//! (Monitoring Plugins guidelines), Checkmk local checks, and JSON.

use std::fmt::Write as _;

use super::{Pool, State};

/// A plugin's result: OK, WARNING, CRITICAL or UNKNOWN, with its exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    pub fn code(self) -> i32 {
        self as i32
    }

    fn of(state: State) -> Status {
        match state {
            State::Ok => Status::Ok,
            State::Warning => Status::Warning,
            State::Critical => Status::Critical,
        }
    }
}

/// The pools' verdict plus the reasons that make it at least WARNING
/// whatever the pools say (input errors, stale data).
pub struct Outcome<'p> {
    pub pools: &'p [Pool],
    pub problems: &'p [String],
}

impl Outcome<'_> {
    pub fn status(&self) -> Status {
        let worst = self
            .pools
            .iter()
            .map(|p| Status::of(p.state))
            .max()
            .unwrap_or(Status::Ok);
        if self.problems.is_empty() {
            worst
        } else {
            worst.max(Status::Warning)
        }
    }

    fn alarming(&self) -> Vec<&Pool> {
        let mut v: Vec<&Pool> = self.pools.iter().filter(|p| p.state != State::Ok).collect();
        // Worst first, then fullest.
        v.sort_by(|a, b| {
            b.state
                .cmp(&a.state)
                .then(b.percent().total_cmp(&a.percent()))
        });
        v
    }
}

/// `name 95% (190/200)`
fn summary(p: &Pool) -> String {
    format!("{} {}% ({}/{})", p.name, percent_text(p), p.used, p.total)
}

/// A percentage with one decimal, never in scientific notation.
fn percent_text(p: &Pool) -> String {
    let tenths = p
        .used
        .saturating_mul(1000)
        .saturating_add(p.total / 2)
        .checked_div(p.total)
        .unwrap_or(0);
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// A perfdata label: quoted, with `'` doubled and `=` replaced (the
/// guidelines forbid it).
fn label(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''").replace('=', "_"))
}

/// Nagios threshold value for "alarm when used reaches `at`": the plugin
/// range `N` alarms above N.
fn threshold(at: u128) -> u128 {
    at.saturating_sub(1)
}

/// Monitoring Plugins output: status line with perfdata, then one line
/// per alarming pool and per problem.
pub fn nagios(o: &Outcome<'_>) -> String {
    let status = o.status();
    let alarming = o.alarming();
    let critical = alarming
        .iter()
        .filter(|p| p.state == State::Critical)
        .count();
    let warning = alarming.len() - critical;
    let n = o.pools.len();
    let mut head = match (critical, warning) {
        (0, 0) => format!("{n} pools, none at warning"),
        (c, 0) => format!("{c} of {n} pools critical"),
        (0, w) => format!("{w} of {n} pools at warning"),
        (c, w) => format!("{c} of {n} pools critical, {w} at warning"),
    };
    if !alarming.is_empty() {
        let worst: Vec<String> = alarming.iter().take(3).map(|p| summary(p)).collect();
        let _ = write!(head, ": {}", worst.join(", "));
        if alarming.len() > 3 {
            let _ = write!(head, ", …");
        }
    }
    if let Some(first) = o.problems.first() {
        let _ = write!(head, "; {first}");
    }
    let perf: Vec<String> = o
        .pools
        .iter()
        .map(|p| {
            format!(
                "{}={};{};{};0;{}",
                label(&p.name),
                p.used,
                threshold(p.warning_at()),
                threshold(p.critical_at()),
                p.total
            )
        })
        .collect();
    let mut out = format!("DHCP {} - {head}", status.word());
    if !perf.is_empty() {
        let _ = write!(out, " | {}", perf.join(" "));
    }
    out.push('\n');
    for p in &alarming {
        let _ = writeln!(
            out,
            "{}: {} — {} used, {} available ({}% used; warning at {}, critical at {})",
            p.state.as_str().to_uppercase(),
            p.name,
            p.used,
            p.available(),
            percent_text(p),
            p.warning_at(),
            p.critical_at()
        );
    }
    for problem in o.problems.iter().skip(1) {
        let _ = writeln!(out, "WARNING: {problem}");
    }
    out
}

/// Checkmk local-check lines, one per pool, with Checkmk's metric names
/// for DHCP pools.
pub fn checkmk(o: &Outcome<'_>) -> String {
    let mut out = String::new();
    for p in o.pools {
        let mut status = Status::of(p.state);
        if !o.problems.is_empty() {
            status = status.max(Status::Warning);
        }
        let noun = if p.kind == super::PoolKind::Prefixes {
            "prefixes"
        } else {
            "addresses"
        };
        let mut text = format!(
            "{} of {} {noun} used ({}%), {} available",
            p.used,
            p.total,
            percent_text(p),
            p.available()
        );
        if p.ignored {
            text.push_str(", ignored");
        } else if p.below_min_size() {
            text.push_str(", below min_size");
        }
        if let Some(first) = o.problems.first() {
            let _ = write!(text, "; {first}");
        }
        let free_warn = p.total.saturating_sub(p.warning_at());
        let free_crit = p.total.saturating_sub(p.critical_at());
        let _ = writeln!(
            out,
            "{} \"DHCP pool {}\" used_dhcp_leases={};{};{};0;{}|free_dhcp_leases={};{};{};0;{} {}",
            status.code(),
            p.name.replace('"', "'"),
            p.used,
            p.warning_at(),
            p.critical_at(),
            p.total,
            p.available(),
            free_warn,
            free_crit,
            p.total,
            text
        );
    }
    out
}

/// One pool in the JSON output. A struct, not `json!`: `serde_json`'s
/// `Value` holds no integer above u64, and a DHCPv6 pool's total can be
/// 2^80 (the writer prints u128 exactly).
#[derive(serde::Serialize)]
struct PoolJson<'a> {
    name: &'a str,
    level: &'static str,
    kind: &'static str,
    subnets: &'a [String],
    total: u128,
    used: u128,
    available: u128,
    percent: f64,
    warning_at: u128,
    critical_at: u128,
    ignored: bool,
    below_min_size: bool,
    state: &'static str,
}

#[derive(serde::Serialize)]
struct OutcomeJson<'a> {
    status: &'static str,
    exit_code: i32,
    problems: &'a [String],
    pools: Vec<PoolJson<'a>>,
}

/// The evaluated pools for scripts.
pub fn json(o: &Outcome<'_>) -> String {
    let pools = o
        .pools
        .iter()
        .map(|p| PoolJson {
            name: &p.name,
            level: match p.level {
                super::Level::SharedNetwork => "shared_network",
                super::Level::Subnet => "subnet",
            },
            kind: match p.kind {
                super::PoolKind::Addresses => "addresses",
                super::PoolKind::Temporary => "temporary",
                super::PoolKind::Prefixes => "prefixes",
            },
            subnets: &p.subnets,
            total: p.total,
            used: p.used,
            available: p.available(),
            percent: (p.percent() * 10.0).round() / 10.0,
            warning_at: p.warning_at(),
            critical_at: p.critical_at(),
            ignored: p.ignored,
            below_min_size: p.below_min_size(),
            state: p.state.as_str(),
        })
        .collect();
    let status = o.status();
    let v = OutcomeJson {
        status: status.word(),
        exit_code: status.code(),
        problems: o.problems,
        pools,
    };
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// The UNKNOWN result in each format, for input that cannot be read.
pub fn unknown(format: Format, reason: &str) -> String {
    match format {
        Format::Nagios => format!("DHCP UNKNOWN - {reason}\n"),
        Format::Checkmk => format!("3 \"DHCP pools\" - {reason}\n"),
        Format::Json => {
            let v = serde_json::json!({
                "status": "UNKNOWN",
                "exit_code": 3,
                "problems": [reason],
                "pools": [],
            });
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

/// `--format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Nagios,
    Checkmk,
    Json,
}

impl Format {
    pub fn render(self, o: &Outcome<'_>) -> String {
        match self {
            Format::Nagios => nagios(o),
            Format::Checkmk => checkmk(o),
            Format::Json => json(o),
        }
    }
}
