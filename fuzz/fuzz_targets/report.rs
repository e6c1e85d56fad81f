//! Configuration and leases together (split at the first NUL byte): the
//! report renders valid JSON whose top-level keys are subnet CIDRs only.
#![no_main]
use dhcpstats::dhcp::conf::parse_bytes;
use dhcpstats::dhcp::leases::{Detail, parse_all};
use dhcpstats::diag::Diagnostics;
use dhcpstats::report::json::{Sources, Style, render_all};
use dhcpstats::report::{Shape, build};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (conf_bytes, lease_bytes) = data.split_at(split);
    let mut d = Diagnostics::new();
    let conf = parse_bytes("f.conf", conf_bytes, &mut d);
    let (db, _) = parse_all("f.leases", lease_bytes.get(1..).unwrap_or_default(), Detail::Full, &mut d);
    let report = build(&conf, &db, 1_800_000_000, Shape::Full);
    for summary in [false, true] {
        let out = render_all(Sources { report: &report, conf: &conf, db: &db }, Style { pretty: false, summary });
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        for (k, s) in v.as_object().expect("an object") {
            let (net, len) = k.split_once('/').expect("a CIDR key");
            assert!(net.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 32));
            let ips = &s["ips"];
            let n = |k: &str| ips[k].as_u64().expect("all ten keys");
            assert!(n("unused") <= n("total"));
        }
    }
});
