//! The YAML configuration loader on arbitrary bytes: an error or a
//! configuration, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = dhcpstats::config::parse(std::path::Path::new("/etc/dhcp/fuzz.yml"), data) {
        assert!(c.threads >= 1);
        assert!(c.v4.is_some() || c.v6.is_some(), "a configuration names a family");
        for f in [&c.v4, &c.v6].into_iter().flatten() {
            assert!(f.subnet_file.is_absolute() && f.static_file.is_absolute() && f.leases_file.is_absolute());
        }
    }
});
