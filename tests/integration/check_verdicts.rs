//! `check` judges a configuration as `dhcpd -t` does (issue 11), and what
//! dhcpd would read is never lost without a diagnostic: the cases the
//! issue names, each through the parser and, where the exit code matters,
//! through the real binary. Where dhcpd is installed, each snippet also
//! goes through `dhcpd -t`, which must agree on refused or accepted.

use std::path::Path;
use std::process::Command;

use dhcpstats::dhcp::conf::parse_bytes;
use dhcpstats::diag::{Diagnostics, Severity};

use crate::common::{TempDir, describe, diag_lines, run, stdout, text, write_config};

/// Reads a configuration; where dhcpd is installed, also asserts that it
/// refuses the file exactly when we report an error.
fn read(src: &str) -> (String, Vec<String>) {
    let mut d = Diagnostics::new();
    let c = parse_bytes("t.conf", src.as_bytes(), &mut d);
    let ours = d.count(Severity::Error) > 0;
    if let Some(dhcpd) = ["/usr/sbin/dhcpd", "/usr/local/sbin/dhcpd"]
        .iter()
        .find(|p| Path::new(p).is_file())
    {
        let dir = TempDir::new("verdicts");
        let file = dir.write("t.conf", src);
        let out = Command::new(dhcpd)
            .args(["-4", "-t", "-cf"])
            .arg(&file)
            .output()
            .expect("run dhcpd -t");
        assert_eq!(
            !out.status.success(),
            ours,
            "dhcpd and we disagree on:\n{src}\ndhcpd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (describe(&c), diag_lines(&d))
}

#[test]
fn a_forgotten_semicolon_is_an_error_where_it_belongs_and_the_subnet_is_kept() {
    let (conf, diags) = read(
        "authoritative\nsubnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n",
    );
    assert_eq!(
        conf,
        text("subnet 10.0.0.0/24 ranges=[10.0.0.10-10.0.0.20] total=11")
    );
    assert_eq!(
        diags,
        ["1:14 error: expected ';' after authoritative, found 'subnet'"]
    );
}

#[test]
fn a_statement_running_into_a_block_costs_only_itself() {
    let (conf, diags) = read(
        "subnet 10.0.0.0 netmask 255.255.255.0 {\n  option routers 10.0.0.1\n  pool { range 10.0.0.10 10.0.0.20; }\n}\n",
    );
    assert_eq!(
        conf,
        text("subnet 10.0.0.0/24 ranges=[10.0.0.10-10.0.0.20] total=11")
    );
    assert_eq!(
        diags,
        ["2:26 error: expected ';' after option routers, found 'pool'"]
    );
}

#[test]
fn a_stray_first_line_is_an_error_and_every_subnet_is_kept() {
    let (conf, diags) = read(
        "1\nsubnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n\
         subnet 10.0.1.0 netmask 255.255.255.0 { }\n",
    );
    assert_eq!(
        conf,
        text(
            "
            subnet 10.0.0.0/24 ranges=[10.0.0.10-10.0.0.20] total=11
            subnet 10.0.1.0/24 ranges=[] total=0
            "
        )
    );
    assert_eq!(diags.len(), 1);
    assert!(
        diags[0].starts_with("1:1 error: unknown statement '1'"),
        "{diags:?}"
    );
}

#[test]
fn a_bare_word_is_a_text_value_as_in_dhcpd() {
    let (conf, diags) = read(
        "option domain-name localdomain;\n\
         subnet 10.0.0.0 netmask 255.255.255.0 { }\n\
         host printer { hardware ethernet 00:11:22:33:44:55; option host-name printer-3; }\n",
    );
    assert_eq!(diags, Vec::<String>::new());
    assert!(conf.contains("domain=\"localdomain\""), "{conf}");
    assert!(conf.contains("name=\"printer-3\""), "{conf}");
    // A number is not text to dhcpd ("expecting string").
    let (_, diags) = read("option domain-name 123;\n");
    assert_eq!(diags, ["1:20 error: expected a quoted string, found '123'"]);
}

#[test]
fn unknown_statements_and_options_are_errors_and_the_rest_is_read() {
    let (conf, diags) = read(
        "default-lease-time 600;\nfrobnicate on;\noption frobs 1;\n\
         subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n",
    );
    assert_eq!(
        conf,
        text("subnet 10.0.0.0/24 ranges=[10.0.0.10-10.0.0.20] total=11")
    );
    assert_eq!(
        diags,
        [
            "2:1 error: unknown statement 'frobnicate': not a dhcpd parameter or declaration (dhcpd: \"expecting a parameter or declaration\")",
            "3:8 error: unknown option dhcp.frobs (define it with 'option frobs code N = TYPE;' first)",
        ]
    );
}

#[test]
fn options_defined_in_the_file_are_known_with_their_types() {
    let (_, diags) = read(
        "option space ubnt;\noption ubnt.unifi-address code 1 = ip-address;\n\
         option wpad code 252 = text;\noption wpad \"http://wpad/wpad.dat\";\n\
         class \"ubnt\" { match if substring(option vendor-class-identifier, 0, 4) = \"ubnt\";\n\
           vendor-option-space ubnt; option ubnt.unifi-address 10.0.0.2; }\n\
         option ubnt.unifi-address not-an-address.example;\n\
         option wpad 1.2.3.4;\n",
    );
    // dhcpd: "line 8: expecting string."
    assert_eq!(diags, ["8:13 error: expected a quoted string, found '1'"]);
}

#[test]
fn a_failover_peer_must_be_complete_and_used() {
    let (_, diags) = read(
        "failover peer \"fo\" { primary; address 10.0.0.1; port 647; peer address 10.0.0.2;\n\
           peer port 647; max-response-delay 60; max-unacked-updates 10; mclt 3600; split 128; }\n\
         subnet 10.0.0.0 netmask 255.255.255.0 { pool { range 10.0.0.10 10.0.0.20; } }\n",
    );
    assert_eq!(
        diags,
        [
            "1:15 error: failover peer 'fo' is not used by any pool; dhcpd refuses this (add `failover peer \"fo\";` to its pools)"
        ]
    );
    let (_, diags) =
        read("failover peer \"fo\" { primary; address 10.0.0.1; split 128; mclt 10; }\n");
    assert_eq!(
        diags,
        ["1:15 error: failover peer 'fo': 'peer address' may not be omitted"]
    );
}

#[test]
fn ranges_in_two_subnets_may_not_share_an_address() {
    let (_, diags) = read(
        "subnet 10.18.0.0 netmask 255.255.0.0 { range 10.18.1.10 10.18.10.20; }\n\
         subnet 10.18.5.0 netmask 255.255.255.0 { range 10.18.5.10 10.18.5.20; }\n",
    );
    assert_eq!(
        diags,
        [
            "2:42 error: range 10.18.5.10-10.18.5.20 overlaps range 10.18.1.10-10.18.10.20 of subnet 10.18.0.0/16 (dhcpd: \"lease 10.18.5.10 is declared twice!\"); each subnet counts its own range"
        ]
    );
}

#[test]
fn check_exits_2_on_what_dhcpd_refuses_and_still_shows_the_subnet() {
    let dir = TempDir::new("verdicts");
    let conf = dir.write(
        "dhcpd.conf",
        "authoritative\nsubnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n",
    );
    let leases = dir.write("dhcpd.leases", "");
    let config = write_config(&dir, &conf, &leases, "");
    let o = run(&[
        "check",
        "--config",
        config.to_str().unwrap_or_default(),
        "--now",
        "2026-11-26T00:00:00Z",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("dhcpd.conf:1:14: error: expected ';' after authoritative, found 'subnet'"),
        "{out}"
    );
    assert!(
        out.contains("10.0.0.0/24        ranges=1 total=11"),
        "{out}"
    );
}

#[test]
fn leases_in_no_declared_subnet_are_a_note_naming_them_with_a_count() {
    let dir = TempDir::new("verdicts");
    let conf = dir.write(
        "dhcpd.conf",
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n",
    );
    let mut leases = String::from("lease 10.0.0.10 {\n  binding state active;\n}\n");
    for i in 0..12 {
        leases.push_str(&format!(
            "lease 192.168.9.{} {{\n  binding state active;\n}}\n",
            40 - i
        ));
    }
    let leases = dir.write("dhcpd.leases", leases);
    let config = write_config(&dir, &conf, &leases, "");
    let o = run(&[
        "check",
        "--config",
        config.to_str().unwrap_or_default(),
        "--now",
        "2026-11-26T00:00:00Z",
    ]);
    assert_eq!(o.status.code(), Some(0), "notes only: {}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "dhcpd.leases: note: 12 leases are in no declared subnet, so not counted: \
             192.168.9.29, 192.168.9.30, 192.168.9.31, 192.168.9.32, 192.168.9.33, \
             192.168.9.34, 192.168.9.35, 192.168.9.36, 192.168.9.37, 192.168.9.38, and 2 more"
        ),
        "{out}"
    );
    assert!(out.contains("1 note(s)"), "{out}");
}

#[test]
fn a_dhcpv6_lease_file_under_leases_file_is_a_warning_naming_the_right_key() {
    let dir = TempDir::new("verdicts");
    let conf = dir.write(
        "dhcpd.conf",
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; }\n",
    );
    let leases = crate::common::testdata("grammar/leases/v6-lab-appended.leases");
    let config = write_config(&dir, &conf, &leases, "");
    let o = run(&["check", "--config", config.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("v6-lab-appended.leases: warning: this is a DHCPv6 lease file"),
        "{out}"
    );
    assert!(out.contains("belongs under leases6_file"), "{out}");
}
