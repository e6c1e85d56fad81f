//! The DHCPv6 lease reader on arbitrary bytes: no panic, no hang, the
//! result does not depend on how the input is cut into appended pieces
//! nor on the canonical fast path, and the v6 configuration parser takes
//! the same bytes without panicking.
#![no_main]
use std::sync::Arc;

use dhcpstats::dhcp::Detail;
use dhcpstats::dhcp::conf::{Family, Loaded, NoIncludes, parse_family};
use dhcpstats::dhcp::leases6::{LeaseDb6, LeaseParser6};
use dhcpstats::diag::Diagnostics;
use libfuzzer_sys::fuzz_target;

fn parse(data: &[u8], cuts: &[usize], fast: bool, detail: Detail) -> (LeaseDb6, Vec<String>) {
    let mut p = LeaseParser6::new(Arc::from("f"), detail);
    p.set_fast_path(fast);
    let mut d = Diagnostics::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut last = 0;
    for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
        pending.extend_from_slice(&data[last..cut]);
        last = cut;
        let used = p.feed(&pending, cut == data.len(), &mut d);
        assert!(used <= pending.len());
        pending.drain(..used);
    }
    (p.into_db(), d.items().iter().map(|x| x.to_string()).collect())
}

fuzz_target!(|input: &[u8]| {
    let Some((&seed, data)) = input.split_first() else { return };
    let detail = if seed & 0x80 == 0 { Detail::Full } else { Detail::Summary };
    let whole = parse(data, &[], true, detail);
    let general = parse(data, &[], false, detail);
    assert!(whole.0 == general.0, "the fast path changed the result");
    assert_eq!(whole.1, general.1);
    let step = usize::from(seed & 0x7f).max(1).max(data.len() / 64);
    let cuts: Vec<usize> = (step..data.len()).step_by(step).collect();
    let pieces = parse(data, &cuts, true, detail);
    assert!(whole.0 == pieces.0, "database depends on the cuts");
    assert_eq!(whole.1, pieces.1);

    let main = Loaded {
        display: Arc::from("f.conf"),
        identity: "f.conf".into(),
        bytes: data.to_vec(),
    };
    let mut d = Diagnostics::new();
    let conf = parse_family(&main, &mut NoIncludes, &mut d, Family::V6);
    for s in &conf.subnets6 {
        for r in s.ranges.iter().chain(&s.temporary) {
            assert!(u128::from(r.low) <= u128::from(r.high));
            assert!(s.contains(u128::from(r.low)) && s.contains(u128::from(r.high)));
        }
        for p in &s.prefixes {
            let _ = p.count();
        }
    }
});
