//! Optional: the regression cases of dhcpd-pools (another project's data,
//! read from ../shared/peer-data/dhcpd-pools and never copied here). Our
//! per-subnet counts must equal its per-range numbers where it is right;
//! `leading0` (it reads `010` as octal), `one-ip` and `one-line` (a range
//! or a pool outside any subnet, which dhcpd rejects) are its quirks, not
//! ours. Skipped with a message when the data is not beside the checkout.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::common::{TempDir, dump_json, write_config};

fn peer_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/peer-data/dhcpd-pools");
    d.is_dir().then_some(d)
}

/// `Ranges:` of dhcpd-pools' text output: first address → (max, cur, touch).
fn ranges(text: &str) -> Vec<(std::net::Ipv4Addr, u64, u64, u64)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("Ranges:") {
            inside = true;
            continue;
        }
        if line.trim().is_empty() {
            inside = false;
        }
        if !inside {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some(dash) = f.iter().position(|w| *w == "-") else {
            continue;
        };
        let num = |i: usize| f.get(i).and_then(|w| w.parse::<u64>().ok());
        if let (Some(first), Some(max), Some(cur), Some(touch)) = (
            f.get(dash - 1).and_then(|w| w.parse().ok()),
            num(dash + 2),
            num(dash + 3),
            num(dash + 5),
        ) {
            out.push((first, max, cur, touch));
        }
    }
    out
}

#[test]
fn dhcpd_pools_regression_cases() {
    let Some(dir) = peer_dir() else {
        eprintln!("skipped: ../shared/peer-data/dhcpd-pools not found");
        return;
    };
    for case in ["simple", "complete", "big-small", "bootp", "same-twice"] {
        let tmp = TempDir::new("peer");
        let cfg = write_config(
            &tmp,
            &dir.join("confs").join(case),
            &dir.join("leases").join(case),
            "",
        );
        let v = dump_json(&cfg, &["--now", "2000-01-01T00:00:00Z", "--summary"]);
        let expected = std::fs::read_to_string(dir.join("expected").join(case)).unwrap();
        let mut per_subnet: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
        for (first, max, cur, touch) in ranges(&expected) {
            let subnet = v
                .as_object()
                .unwrap()
                .keys()
                .find(|k| {
                    let (net, len) = k.split_once('/').unwrap();
                    let net: std::net::Ipv4Addr = net.parse().unwrap();
                    let mask = u32::MAX << (32 - len.parse::<u32>().unwrap());
                    u32::from(first) & mask == u32::from(net)
                })
                .unwrap_or_else(|| panic!("{case}: no subnet for {first}"))
                .clone();
            let e = per_subnet.entry(subnet).or_default();
            e.0 += max;
            e.1 += cur;
            e.2 += touch;
        }
        assert!(!per_subnet.is_empty(), "{case}");
        for (subnet, (max, cur, touch)) in per_subnet {
            let ips = &v[&subnet]["ips"];
            let n = |k: &str| ips[k].as_u64().unwrap();
            assert_eq!(n("total"), max, "{case} {subnet} total");
            assert_eq!(n("active"), cur, "{case} {subnet} active");
            assert_eq!(
                n("free") + n("expired") + n("released") + n("abandoned") + n("reset"),
                touch,
                "{case} {subnet}"
            );
        }
    }
}
