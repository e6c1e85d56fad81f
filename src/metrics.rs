//! `/metrics`: the counts of the current data generation in the Prometheus
//! text exposition format 0.0.4 (SPEC §4.2).
//!
//! The per-subnet part is rendered once per generation and kept with it
//! (a scrape never re-reads or re-counts); the process part (request
//! counters, whether the last read worked) is appended at each scrape.
//! Labels are `subnet` and, where it applies, `shared_network`; there are
//! no per-lease or per-MAC labels.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::cache::Generation;
use crate::diag::Severity;
use crate::report::Counts;

/// Escapes a label value: backslash, double quote and newline.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

const LEASE_STATES: [&str; 7] = [
    "active",
    "free",
    "backup",
    "expired",
    "released",
    "abandoned",
    "reset",
];

fn state_value(c: &Counts, state: &str) -> u128 {
    c.pairs()
        .iter()
        .find(|(k, _)| *k == state)
        .map_or(0, |(_, v)| *v)
}

/// The part of the exposition that depends only on the generation.
pub fn render_generation(g: &Generation) -> String {
    let mut out = String::with_capacity(256 + g.report.subnets.len() * 1024);
    let label = |cidr: &str, shared: Option<&String>| {
        let mut labels = format!("subnet=\"{}\"", escape_label(cidr));
        if let Some(n) = shared {
            let _ = write!(labels, ",shared_network=\"{}\"", escape_label(n));
        }
        labels
    };
    let subnets6 = g.conf6.as_ref().map_or(&[][..], |c| &c.conf.subnets6[..]);
    // The NA addresses of subnet6s go in the same families as v4 subnets.
    let mut subnets: Vec<(String, &Counts)> = g
        .report
        .subnets
        .iter()
        .map(|sr| {
            let shared = g
                .conf
                .conf
                .subnets
                .get(sr.subnet)
                .and_then(|s| s.shared_network.as_ref());
            (label(&sr.cidr, shared), &sr.ips)
        })
        .collect();
    for sr in &g.report.v6.subnets {
        let shared = subnets6
            .get(sr.subnet)
            .and_then(|s| s.shared_network.as_ref());
        subnets.push((label(&sr.cidr, shared), &sr.ips));
    }

    family(
        &mut out,
        "dhcpstats_subnet_addresses",
        "gauge",
        "Addresses in the subnet's ranges (ips.total).",
    );
    for (l, c) in &subnets {
        let _ = writeln!(out, "dhcpstats_subnet_addresses{{{l}}} {}", c.total);
    }
    family(
        &mut out,
        "dhcpstats_subnet_leases",
        "gauge",
        "Leases in the subnet's ranges by the state they count as now (SPEC 3.2).",
    );
    for (l, c) in &subnets {
        for st in LEASE_STATES {
            let _ = writeln!(
                out,
                "dhcpstats_subnet_leases{{{l},state=\"{st}\"}} {}",
                state_value(c, st)
            );
        }
    }
    family(
        &mut out,
        "dhcpstats_subnet_unused_addresses",
        "gauge",
        "Addresses in the subnet's ranges never written to the lease file (ips.unused).",
    );
    for (l, c) in &subnets {
        let _ = writeln!(out, "dhcpstats_subnet_unused_addresses{{{l}}} {}", c.unused);
    }
    family(
        &mut out,
        "dhcpstats_subnet_static_reservations",
        "gauge",
        "Host reservations placed in the subnet (ips.static).",
    );
    for (l, c) in &subnets {
        let _ = writeln!(
            out,
            "dhcpstats_subnet_static_reservations{{{l}}} {}",
            c.statics
        );
    }

    // DHCPv6 temporary (IA_TA) and delegated-prefix (IA_PD) pools.
    for (what, pick, total_help, leases_help) in [
        (
            "temporary",
            (|sr: &crate::report::v6::Subnet6Report| sr.temporary.as_ref())
                as fn(&crate::report::v6::Subnet6Report) -> Option<&Counts>,
            "Temporary addresses (IA_TA) in the subnet6's temporary ranges.",
            "Temporary-address leases by the state they count as now.",
        ),
        (
            "prefix",
            |sr| sr.prefixes.as_ref(),
            "Prefixes the subnet6's prefix6 pools can delegate (IA_PD).",
            "Delegated prefixes by the state they count as now.",
        ),
    ] {
        let pools: Vec<(String, &Counts)> = g
            .report
            .v6
            .subnets
            .iter()
            .filter_map(|sr| {
                let shared = subnets6
                    .get(sr.subnet)
                    .and_then(|s| s.shared_network.as_ref());
                pick(sr).map(|c| (label(&sr.cidr, shared), c))
            })
            .collect();
        if pools.is_empty() {
            continue;
        }
        let total_name = if what == "prefix" {
            "dhcpstats_subnet_prefixes".to_string()
        } else {
            format!("dhcpstats_subnet_{what}_addresses")
        };
        family(&mut out, &total_name, "gauge", total_help);
        for (l, c) in &pools {
            let _ = writeln!(out, "{total_name}{{{l}}} {}", c.total);
        }
        let leases_name = format!("dhcpstats_subnet_{what}_leases");
        family(&mut out, &leases_name, "gauge", leases_help);
        for (l, c) in &pools {
            for st in LEASE_STATES {
                if what == "prefix" && matches!(st, "backup" | "reset") {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "{leases_name}{{{l},state=\"{st}\"}} {}",
                    state_value(c, st)
                );
            }
        }
    }

    // Per shared network, in order of first appearance; dhcpd -6's are
    // other networks than dhcpd -4's of the same name (family="v6").
    let mut shared: Vec<(String, &'static str, Counts)> = Vec::new();
    let v4_members = g.report.subnets.iter().filter_map(|sr| {
        let name = g
            .conf
            .conf
            .subnets
            .get(sr.subnet)?
            .shared_network
            .as_ref()?;
        Some((name, "", &sr.ips))
    });
    let v6_members = g.report.v6.subnets.iter().filter_map(|sr| {
        let name = subnets6.get(sr.subnet)?.shared_network.as_ref()?;
        Some((name, ",family=\"v6\"", &sr.ips))
    });
    for (name, fam, ips) in v4_members.chain(v6_members) {
        let i = match shared.iter().position(|(n, f, _)| n == name && *f == fam) {
            Some(i) => i,
            None => {
                shared.push((name.clone(), fam, Counts::default()));
                shared.len() - 1
            }
        };
        if let Some((_, _, c)) = shared.get_mut(i) {
            c.total += ips.total;
            c.active += ips.active;
            c.free += ips.free;
            c.backup += ips.backup;
            c.expired += ips.expired;
            c.released += ips.released;
            c.abandoned += ips.abandoned;
            c.reset += ips.reset;
            c.unused += ips.unused;
            c.statics += ips.statics;
        }
    }
    family(
        &mut out,
        "dhcpstats_shared_network_addresses",
        "gauge",
        "Addresses in the ranges of the shared network's subnets.",
    );
    for (name, fam, c) in &shared {
        let _ = writeln!(
            out,
            "dhcpstats_shared_network_addresses{{shared_network=\"{}\"{fam}}} {}",
            escape_label(name),
            c.total
        );
    }
    family(
        &mut out,
        "dhcpstats_shared_network_leases",
        "gauge",
        "Leases in the shared network's ranges by the state they count as now.",
    );
    for (name, fam, c) in &shared {
        for st in LEASE_STATES {
            let _ = writeln!(
                out,
                "dhcpstats_shared_network_leases{{shared_network=\"{}\"{fam},state=\"{st}\"}} {}",
                escape_label(name),
                state_value(c, st)
            );
        }
    }

    // dhcpd -4's lease file unlabelled (as before there was a v6 one),
    // dhcpd -6's with family="v6".
    let files: Vec<(&crate::cache::LeaseFileInfo, &str)> = [
        (g.info.leases.as_ref(), ""),
        (g.info.leases6.as_ref(), "{family=\"v6\"}"),
    ]
    .into_iter()
    .filter_map(|(l, label)| l.map(|l| (l, label)))
    .collect();
    family(
        &mut out,
        "dhcpstats_leases_file_size_bytes",
        "gauge",
        "Size of the lease file when last read.",
    );
    for (l, label) in &files {
        let _ = writeln!(
            out,
            "dhcpstats_leases_file_size_bytes{label} {}",
            l.stamp.identity.size
        );
    }
    family(
        &mut out,
        "dhcpstats_leases_file_mtime_seconds",
        "gauge",
        "Modification time of the lease file when last read, in Unix seconds.",
    );
    for (l, label) in &files {
        let _ = writeln!(
            out,
            "dhcpstats_leases_file_mtime_seconds{label} {}",
            l.stamp.identity.mtime_seconds()
        );
    }
    family(
        &mut out,
        "dhcpstats_last_parse_duration_seconds",
        "gauge",
        "Duration of the last read of the lease file (full or appended bytes).",
    );
    for (l, label) in &files {
        let _ = writeln!(
            out,
            "dhcpstats_last_parse_duration_seconds{label} {}",
            l.read_duration.as_secs_f64()
        );
    }
    family(
        &mut out,
        "dhcpstats_parse_diagnostics",
        "gauge",
        "Problems found in the configuration and lease files, by severity.",
    );
    for sev in [Severity::Error, Severity::Warning, Severity::Note] {
        let _ = writeln!(
            out,
            "dhcpstats_parse_diagnostics{{severity=\"{}\"}} {}",
            sev.as_str(),
            g.info.diagnostics.count(sev)
        );
    }
    out
}

/// What the server process adds to each scrape: facts that change
/// between scrapes of the same generation.
#[derive(Clone, Debug, Default)]
pub struct Process {
    /// The last read of the files worked (and there is data).
    pub last_read_ok: bool,
    /// (HTTP status, answers) for every status answered so far.
    pub requests: Vec<(u16, u64)>,
    /// Responses abandoned because the client did not take them in time.
    pub responses_cut: u64,
}

/// The whole exposition for a scrape.
pub fn render(g: Option<&Generation>, process: &Process) -> Arc<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    if let Some(g) = g {
        let part = g
            .metrics
            .get_or_init(|| render_generation(g).into_bytes().into());
        out.extend_from_slice(part);
    }
    let mut tail = String::new();
    let ok = process.last_read_ok && g.is_some();
    family(
        &mut tail,
        "dhcpstats_last_parse_success",
        "gauge",
        "1 if the last read of the files succeeded, 0 if it failed (older data may still be served).",
    );
    let _ = writeln!(tail, "dhcpstats_last_parse_success {}", u8::from(ok));
    family(
        &mut tail,
        "dhcpstats_build_info",
        "gauge",
        "Version of dhcpstats; the value is always 1.",
    );
    let _ = writeln!(
        tail,
        "dhcpstats_build_info{{version=\"{}\"}} 1",
        escape_label(crate::VERSION)
    );
    family(
        &mut tail,
        "dhcpstats_requests_total",
        "counter",
        "HTTP requests answered, by status code.",
    );
    for (code, n) in &process.requests {
        let _ = writeln!(tail, "dhcpstats_requests_total{{code=\"{code}\"}} {n}");
    }
    family(
        &mut tail,
        "dhcpstats_responses_cut_total",
        "counter",
        "Responses abandoned because the client did not take them within the deadline.",
    );
    let _ = writeln!(
        tail,
        "dhcpstats_responses_cut_total {}",
        process.responses_cut
    );
    out.extend_from_slice(tail.as_bytes());
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_escaping() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(escape_label("Building 7 / Floor 2"), "Building 7 / Floor 2");
    }
}
