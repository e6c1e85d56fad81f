//! The real dhcpd corpus (lease files written by ISC dhcpd 4.4.3 for real
//! clients), checked against numbers derived independently: the corpus's
//! `summary.txt` (last block per address, by line) and the output of
//! dhcpd-pools 2.29 per range. dhcpd-pools ignores `ends`, so its "used"
//! is our active + expired-because-ended; comparing at a time before the
//! first lease starts makes them equal.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde_json::Value;

use crate::common::{TempDir, dump_json, gunzip, ordered_keys, testdata, write_config};

/// Before every lease of the corpus started (the run began at 01:31 UTC).
const BEFORE: &str = "2026-11-26T00:00:00Z";
/// After the run: many short leases have ended without being rewritten.
const AFTER: &str = "2026-11-26T03:00:00Z";

struct Corpus {
    _dir: TempDir,
    config: std::path::PathBuf,
    root: std::path::PathBuf,
}

fn corpus(name: &str) -> Corpus {
    let dir = TempDir::new("corpus");
    let root = testdata(&format!("corpus/{name}"));
    let leases = {
        let plain = root.join("dhcpd.leases");
        if plain.exists() {
            plain
        } else {
            let out = dir.path("dhcpd.leases");
            gunzip(&root.join("dhcpd.leases.gz"), &out);
            out
        }
    };
    let config = write_config(&dir, &root.join("dhcpd.conf"), &leases, "");
    Corpus {
        _dir: dir,
        config,
        root,
    }
}

/// `binding_states_last_block_per_ip` of summary.txt: state → count.
fn summary_states(c: &Corpus) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(c.root.join("summary.txt")).unwrap();
    let mut out = BTreeMap::new();
    let mut in_section = false;
    for line in text.lines() {
        if line.starts_with("binding_states_last_block_per_ip") {
            in_section = true;
            continue;
        }
        if in_section {
            let mut it = line.split_whitespace();
            if let (Some(n), Some(state)) = (it.next(), it.next()) {
                out.insert(state.trim_end_matches(';').to_string(), n.parse().unwrap());
            }
        }
    }
    out
}

/// The binding state of every lease object in the dump, counted.
fn dumped_states(v: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for subnet in v.as_object().unwrap().values() {
        for lease in subnet["leases"].as_object().unwrap().values() {
            let st = lease["binding-state"].as_str().unwrap().to_string();
            *out.entry(st).or_insert(0) += 1;
        }
    }
    out
}

/// dhcpd-pools' per-range numbers summed per subnet of our dump:
/// subnet → (defined, used, touched).
fn pools_by_subnet(c: &Corpus, v: &Value) -> BTreeMap<String, (u64, u64, u64)> {
    let pools: Value =
        serde_json::from_slice(&std::fs::read(c.root.join("dhcpd-pools.json")).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for r in pools["subnets"].as_array().unwrap() {
        let first: Ipv4Addr = r["range"]
            .as_str()
            .unwrap()
            .split(" - ")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let subnet = subnet_of(v, first).expect("every dhcpd-pools range is in one of our subnets");
        let e = out.entry(subnet).or_insert((0, 0, 0));
        e.0 += r["defined"].as_u64().unwrap();
        e.1 += r["used"].as_u64().unwrap();
        e.2 += r["touched"].as_u64().unwrap();
    }
    out
}

fn subnet_of(v: &Value, addr: Ipv4Addr) -> Option<String> {
    v.as_object()?
        .keys()
        .filter_map(|k| {
            let (net, len) = k.split_once('/')?;
            let net: Ipv4Addr = net.parse().ok()?;
            let len: u32 = len.parse().ok()?;
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            (u32::from(addr) & mask == u32::from(net)).then_some((len, k.clone()))
        })
        .max()
        .map(|(_, k)| k)
}

fn check_against_dhcpd_pools(name: &str) {
    let c = corpus(name);
    let before = dump_json(&c.config, &["--now", BEFORE]);
    let after = dump_json(&c.config, &["--now", AFTER, "--summary"]);
    assert_eq!(
        dumped_states(&before),
        summary_states(&c),
        "{name}: last block per address"
    );
    let pools = pools_by_subnet(&c, &before);
    assert!(!pools.is_empty());
    for (subnet, (defined, used, touched)) in pools {
        let ips = &before[&subnet]["ips"];
        let n = |k: &str| ips[k].as_u64().unwrap();
        assert_eq!(n("total"), defined, "{name} {subnet} total");
        assert_eq!(n("active"), used, "{name} {subnet} active");
        assert_eq!(
            n("free") + n("expired") + n("released") + n("abandoned") + n("reset"),
            touched,
            "{name} {subnet} touched"
        );
        assert_eq!(
            n("unused"),
            defined - used - touched - n("backup"),
            "{name} {subnet} unused"
        );
        // Later, ended leases move from active to expired, nothing else.
        let later = &after[&subnet]["ips"];
        let m = |k: &str| later[k].as_u64().unwrap();
        assert_eq!(
            m("active") + m("expired"),
            n("active") + n("expired"),
            "{name} {subnet}"
        );
        assert_eq!(m("free"), n("free"), "{name} {subnet}");
        assert_eq!(m("total"), n("total"));
    }
}

#[test]
fn small_matches_summary_and_dhcpd_pools() {
    check_against_dhcpd_pools("small");
}

#[test]
fn main_matches_summary_and_dhcpd_pools() {
    check_against_dhcpd_pools("main");
}

#[test]
fn main_statics_include_omapi_hosts_minus_deleted() {
    let c = corpus("main");
    let v = dump_json(&c.config, &["--now", BEFORE]);
    let raw = crate::common::dump_raw(&c.config, &["--now", BEFORE]);
    let names = |s: &str| -> Vec<String> { ordered_keys(&raw, &[s, "statics"]) };
    assert_eq!(names("10.99.0.0/24"), ["printer-global", "cam1", "cam2"]);
    assert_eq!(names("10.50.0.0/22"), ["nas-global", "kiosk1"]);
    assert_eq!(names("10.70.0.0/24"), ["omapi-printer"]);
    assert_eq!(names("10.80.0.0/24"), ["srv-a", "srv-b"]);
    assert_eq!(v["10.80.0.0/24"]["ips"]["static"], 2);
    assert_eq!(
        v["10.80.0.0/24"]["statics"]["srv-a"],
        serde_json::json!({
            "mac_address": "02:00:00:00:80:01", "ip_address": "10.80.0.10"
        })
    );
    // Options: subnet over shared-network over global.
    assert_eq!(v["10.40.0.0/24"]["domain_name"], "lab.corp.example");
    assert_eq!(v["10.40.0.0/24"]["ddns_domain_name"], "lab.corp.example.");
    assert_eq!(v["10.40.0.0/24"]["shared_network"], "lab");
    assert_eq!(v["10.60.0.0/20"]["domain_name"], "bulk.corp.example");
    assert_eq!(
        v["10.60.0.0/20"]["ntp_servers"],
        serde_json::json!(["10.99.0.1"])
    );
    // Subnet keys are the only top-level keys, in declaration order.
    assert_eq!(
        ordered_keys(&raw, &[]),
        [
            "10.99.0.0/24",
            "10.40.0.0/24",
            "10.41.0.0/24",
            "10.50.0.0/22",
            "10.60.0.0/20",
            "10.70.0.0/24",
            "10.80.0.0/24"
        ]
    );
}

/// dhcpd-pools' text output has the backup column its JSON lacks:
/// first address of the range → backup count.
fn backups_from_text(c: &Corpus) -> BTreeMap<Ipv4Addr, u64> {
    let text = std::fs::read_to_string(c.root.join("dhcpd-pools.txt")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        // NAME… first - last max cur percent touch t+c t+c% bu bu%
        let Some(dash) = f.iter().position(|w| *w == "-") else {
            continue;
        };
        let first = dash
            .checked_sub(1)
            .and_then(|i| f.get(i))
            .and_then(|w| w.parse().ok());
        let bu = f.get(dash + 8).and_then(|w| w.parse().ok());
        if let (Some(first), Some(bu)) = (first, bu) {
            out.insert(first, bu);
        }
    }
    out
}

#[test]
fn failover_peers_count_backup_leases() {
    for peer in ["primary", "secondary"] {
        let c = corpus(&format!("failover/{peer}"));
        let v = dump_json(&c.config, &["--now", BEFORE]);
        assert_eq!(dumped_states(&v), summary_states(&c), "{peer}");
        let mut backups: BTreeMap<String, u64> = BTreeMap::new();
        for (first, bu) in backups_from_text(&c) {
            *backups.entry(subnet_of(&v, first).unwrap()).or_insert(0) += bu;
        }
        assert!(!backups.is_empty());
        let mut total = 0;
        for (subnet, bu) in backups {
            assert_eq!(v[&subnet]["ips"]["backup"], bu, "{peer} {subnet}");
            total += bu;
        }
        assert_eq!(total, 1122, "{peer}: README says 1,122 backup leases");
    }
}
