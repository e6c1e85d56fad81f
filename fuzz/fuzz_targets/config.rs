//! The YAML configuration loader on arbitrary bytes: an error or a
//! configuration, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = dhcpstats::config::parse(std::path::Path::new("/etc/dhcp/fuzz.yml"), data) {
        assert!(c.threads >= 1);
        assert!(c.subnet_file.is_absolute() && c.leases_file.is_absolute());
    }
});
