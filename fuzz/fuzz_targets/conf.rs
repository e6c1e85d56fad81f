//! The dhcpd.conf parser on arbitrary bytes: no panic, no hang, every
//! diagnostic has a position inside the input.
#![no_main]
use dhcpstats::dhcp::conf::parse_bytes;
use dhcpstats::diag::Diagnostics;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut d = Diagnostics::new();
    let conf = parse_bytes("fuzz.conf", data, &mut d);
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    for x in d.items() {
        assert!(x.line <= lines, "diagnostic on line {} of {lines}", x.line);
    }
    for s in &conf.subnets {
        for r in &s.ranges {
            assert!(u32::from(r.low) <= u32::from(r.high));
            assert!(s.contains(r.low) && s.contains(r.high));
        }
    }
});
