//! Data from `tools/gen_dhcp_data.py` (committed: `default` is seed 1 with
//! 40 subnets and 8000 blocks; `exotic` is seed 3 with includes, parser
//! traps, orphan leases, OMAPI hosts and 5 % stale actives). The counts
//! must equal its `truth.json`, which the generator computed itself.
//!
//! truth.json counts the final binding state; an `active` whose `ends` is
//! before `now` is listed in `active_but_ends_in_past`, which SPEC §3.2
//! counts as expired.

use serde_json::Value;

use crate::common::{TempDir, dump_json, gunzip, testdata, write_config};

fn check(name: &str) {
    let dir = TempDir::new("gen");
    let root = testdata(&format!("generated/{name}"));
    let leases = dir.path("dhcpd.leases");
    gunzip(&root.join("dhcpd.leases.gz"), &leases);
    let config = write_config(&dir, &root.join("dhcpd.conf"), &leases, "");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(root.join("truth.json")).unwrap()).unwrap();
    let now = truth["now_epoch"].as_i64().unwrap().to_string();
    let v = dump_json(&config, &["--now", &now, "--summary"]);

    let subnets = truth["subnets"].as_array().unwrap();
    // truth.json lists subnets with address space; the servers' own
    // network (no range) is a subnet too, with nothing to count.
    for (k, extra) in v.as_object().unwrap() {
        if !subnets.iter().any(|t| t["subnet"] == k.as_str()) {
            assert_eq!(extra["ips"]["total"], 0, "{name}: {k} is not in truth.json");
        }
    }
    let omapi: Vec<&Value> = truth["omapi_hosts_in_lease_file"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["deleted"] == false)
        .collect();
    let (mut total_active, mut total_all) = (0, 0);
    for t in subnets {
        let key = t["subnet"].as_str().unwrap();
        let ips = &v[key]["ips"];
        let n = |k: &str| {
            ips[k]
                .as_u64()
                .unwrap_or_else(|| panic!("{name} {key} {k}"))
        };
        let s = |k: &str| t["states"][k].as_u64().unwrap();
        let stale = t["active_but_ends_in_past"].as_u64().unwrap();
        assert_eq!(
            n("total"),
            t["total"].as_u64().unwrap(),
            "{name} {key} total"
        );
        assert_eq!(n("active"), s("active") - stale, "{name} {key} active");
        assert_eq!(n("expired"), s("expired") + stale, "{name} {key} expired");
        for k in ["free", "released", "abandoned", "backup"] {
            assert_eq!(n(k), s(k), "{name} {key} {k}");
        }
        assert_eq!(n("reset"), 0);
        let leased: u64 = [
            "active",
            "free",
            "expired",
            "released",
            "abandoned",
            "backup",
        ]
        .iter()
        .map(|k| s(k))
        .sum();
        assert_eq!(n("unused"), n("total") - leased, "{name} {key} unused");
        let in_subnet_omapi = omapi.iter().filter(|h| {
            let ip: std::net::Ipv4Addr = h["ip"].as_str().unwrap().parse().unwrap();
            let (net, len) = key.split_once('/').unwrap();
            let net: std::net::Ipv4Addr = net.parse().unwrap();
            let mask = u32::MAX << (32 - len.parse::<u32>().unwrap());
            u32::from(ip) & mask == u32::from(net)
        });
        assert_eq!(
            n("static"),
            t["static_hosts"].as_u64().unwrap() + in_subnet_omapi.count() as u64,
            "{name} {key} static"
        );
        assert_eq!(
            v[key].get("shared_network"),
            t.get("shared_network").filter(|x| !x.is_null()),
            "{name} {key}"
        );
        total_active += n("active");
        total_all += n("total");
    }
    let summary = &truth["summary"];
    assert_eq!(
        total_active,
        summary["active"].as_u64().unwrap() - summary["active_but_ends_in_past"].as_u64().unwrap()
    );
    assert_eq!(total_all, summary["total"].as_u64().unwrap());
}

#[test]
fn default_dataset_matches_truth() {
    check("default");
}

#[test]
fn exotic_dataset_with_includes_and_traps_matches_truth() {
    check("exotic");
}

#[test]
fn full_and_summary_dumps_agree_on_counts() {
    let dir = TempDir::new("gen-full");
    let root = testdata("generated/exotic");
    let leases = dir.path("dhcpd.leases");
    gunzip(&root.join("dhcpd.leases.gz"), &leases);
    let config = write_config(&dir, &root.join("dhcpd.conf"), &leases, "");
    let full = dump_json(&config, &["--now", "1715774400"]);
    let summary = dump_json(&config, &["--now", "1715774400", "--summary"]);
    for (k, s) in summary.as_object().unwrap() {
        assert_eq!(full[k]["ips"], s["ips"], "{k}");
        assert!(s.get("leases").is_none() && s.get("statics").is_none());
        assert!(full[k].get("leases").is_some() && full[k].get("statics").is_some());
    }
}
