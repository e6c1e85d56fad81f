//! Configuration and leases together (split at the first NUL byte): the
//! report renders valid JSON whose top-level keys are subnet CIDRs only,
//! and a report updated with the second half of the leases as an append
//! counts what a report built from all of them counts.
#![no_main]
use dhcpstats::dhcp::conf::parse_bytes;
use dhcpstats::dhcp::leases::{Detail, parse_all};
use dhcpstats::diag::Diagnostics;
use dhcpstats::report::json::{Sources, Style, render_all};
use dhcpstats::report::{build, update};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (conf_bytes, lease_bytes) = data.split_at(split);
    let mut d = Diagnostics::new();
    let conf = parse_bytes("f.conf", conf_bytes, &mut d);
    let lease_bytes = lease_bytes.get(1..).unwrap_or_default();
    let (db, _) = parse_all("f.leases", lease_bytes, Detail::Full, &mut d);
    let report = build(&conf, &db, 1_800_000_000, Detail::Full);

    for detail in [Detail::Full, Detail::Summary] {
        let out = render_all(Sources { report: &report, conf: &conf, db: &db, v6: None }, Style { pretty: false, detail });
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        for (k, s) in v.as_object().expect("an object") {
            let (net, len) = k.split_once('/').expect("a CIDR key");
            assert!(net.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 32));
            let ips = &s["ips"];
            let n = |k: &str| ips[k].as_u64().expect("all ten keys");
            assert!(n("unused") <= n("total"));
        }
    }

    // The leases as a file and an append after its middle line.
    let middle = lease_bytes
        .iter()
        .skip(lease_bytes.len() / 2)
        .position(|&b| b == b'\n')
        .map_or(lease_bytes.len(), |i| lease_bytes.len() / 2 + i + 1);
    let (first, rest) = lease_bytes.split_at(middle);
    let (mut before, _) = parse_all("a", first, Detail::Full, &mut d);
    let (appended, _) = parse_all("b", rest, Detail::Full, &mut d);
    let old = build(&conf, &before, 1_700_000_000, Detail::Full);
    let changes = before.merge_appended(appended);
    let later = 1_700_000_000 + i64::from(data.last().copied().unwrap_or(0)) * 1000;
    let rebuilt = build(&conf, &before, later, Detail::Full);
    // Changed hosts change statics: the cache rebuilds then.
    if changes.hosts_changed {
        return;
    }
    if let Ok(updated) = update(old, &conf, &changes.changes, later) {
        assert_eq!(updated.subnets, rebuilt.subnets);
        assert!(updated.valid_until.unwrap_or(i64::MAX) <= rebuilt.valid_until.unwrap_or(i64::MAX));
    }
});
