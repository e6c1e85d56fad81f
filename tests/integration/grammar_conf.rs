//! Every tricky-but-valid IPv4 configuration of GRAMMAR §5 (T01-T18),
//! with the reading each example's comment asks for, and the rejected
//! configurations X01-X18 with the diagnostic dhcpd's message corresponds to.

use crate::common::{describe, diag_lines, grammar_conf, text};

/// Parses `conf/<name>` and compares what it declares and its diagnostics.
fn check(name: &str, expect: &str, expect_diags: &[&str]) {
    let (c, d) = grammar_conf(&format!("conf/{name}"));
    assert_eq!(describe(&c), text(expect), "reading of {name}");
    assert_eq!(diag_lines(&d), expect_diags, "diagnostics of {name}");
}

#[test]
fn t01_header_and_range_over_several_lines() {
    check(
        "v4-01-brace-next-line.conf",
        "subnet 10.1.0.0/24 ranges=[10.1.0.100-10.1.0.150] total=51",
        &[],
    );
}

#[test]
fn t02_two_subnets_on_one_line() {
    check(
        "v4-02-one-line.conf",
        "
        subnet 10.2.0.0/24 ranges=[10.2.0.10-10.2.0.19] total=10
          routers=10.2.0.1
        subnet 10.2.1.0/24 ranges=[10.2.1.10-10.2.1.19] total=10
        ",
        &[],
    );
}

#[test]
fn t03_comments_everywhere_but_in_strings() {
    check(
        "v4-03-comments.conf",
        r#"
        subnet 10.3.0.0/24 ranges=[10.3.0.10-10.3.0.20, 10.3.0.50-10.3.0.59] total=21
          domain="corp#1.example"
        "#,
        &[],
    );
}

#[test]
fn t04_strings_with_structure_characters_and_escapes() {
    check(
        "v4-04-strings.conf",
        r#"
        subnet 10.4.0.0/24 ranges=[10.4.0.10-10.4.0.20] total=11
          domain="ex\"ample.com"
        "#,
        &[],
    );
}

#[test]
fn t05_every_range_form() {
    check(
        "v4-05-range-forms.conf",
        "subnet 10.5.0.0/24 ranges=[10.5.0.7-10.5.0.7, 10.5.0.40-10.5.0.50, 10.5.0.100-10.5.0.109 bootp, 10.5.0.120-10.5.0.120 bootp] total=23",
        &[],
    );
}

#[test]
fn t06_shared_network_names_and_pool_ranges_by_address() {
    check(
        "v4-06-shared-network.conf",
        r#"
        subnet 10.6.0.0/24 shared="Building 7 / Floor 2" ranges=[10.6.0.100-10.6.0.199] total=100
          routers=10.6.0.1 dns=10.6.0.53
        subnet 10.6.1.0/24 shared="Building 7 / Floor 2" ranges=[10.6.1.100-10.6.1.149] total=50
          routers=10.6.1.1 dns=10.6.0.53
        subnet 10.7.0.0/24 shared="lab.example.com" ranges=[10.7.0.10-10.7.0.20] total=11
        subnet 10.8.0.0/24 shared="42-vlan" ranges=[10.8.0.10-10.8.0.20] total=11
        "#,
        &[],
    );
}

#[test]
fn t07_hosts_are_global_and_read_in_every_form() {
    check(
        "v4-07-hosts.conf",
        r#"
        subnet 10.9.0.0/24 ranges=[10.9.0.100-10.9.0.200] total=101
        subnet 10.9.1.0/24 ranges=[] total=0
        host written-inside-subnet ethernet=aa:bb:cc:dd:ee:03 fixed=10.9.1.7
        host printer.example.com ethernet=00:1a:2b:3c:4d:5e fixed=10.9.0.5
        host multi ethernet=00:0c:29:0a:0b:0c fixed=10.9.0.6,10.9.1.6
        host byname ethernet=aa:bb:cc:dd:ee:01 fixed=name:fileserver.example.com
        host mixed ethernet=aa:bb:cc:dd:ee:09 fixed=10.9.0.9,name:gw.example.com
        host dynamic-only ethernet=aa:bb:cc:dd:ee:02
        host server ethernet=aa:bb:cc:dd:ee:0a fixed=10.9.0.10
        host 3com-switch ethernet=aa:bb:cc:dd:ee:0b fixed=10.9.0.11
        host trailing.dot.example. ethernet=aa:bb:cc:dd:ee:0c fixed=10.9.0.12
        host in-range ethernet=aa:bb:cc:dd:ee:0d fixed=10.9.0.150
        host by-uid fixed=10.9.1.10
        host by-uid-string fixed=10.9.1.11
        host by-client-id fixed=10.9.1.12
        host unknown-subnet ethernet=aa:bb:cc:dd:ee:0e fixed=172.16.99.1
        host g1 ethernet=aa:bb:cc:dd:ee:04 fixed=10.9.1.8 host-name="g1-pc" ddns-hostname="g1"
        host g2 ethernet=aa:bb:cc:dd:ee:08 fixed=10.9.1.9
        "#,
        &[],
    );
}

#[test]
fn t08_option_lists_over_lines_and_expressions() {
    check(
        "v4-08-option-lists.conf",
        "
        subnet 10.10.0.0/24 ranges=[10.10.0.10-10.10.0.20] total=11
          routers=10.10.0.1,10.10.0.2 dns=10.10.0.54 ntp=ntp1.example.com,10.10.0.123
        ",
        &[],
    );
}

#[test]
fn t09_inheritance_global_group_shared_subnet_but_not_pool() {
    check(
        "v4-09-inheritance.conf",
        r#"
        subnet 10.20.0.0/24 shared="campus" ranges=[10.20.0.100-10.20.0.149, 10.20.0.200-10.20.0.209] total=60
          routers=10.20.0.1 dns=10.20.0.53 domain="campus.example" ddns="global.example."
        subnet 10.21.0.0/24 ranges=[10.21.0.10-10.21.0.20] total=11
          dns=10.20.0.53 ntp=10.20.9.123 domain="global.example" ddns="global.example."
        "#,
        &[],
    );
}

#[test]
fn t10_classes_and_permits_are_skipped() {
    check(
        "v4-10-classes.conf",
        "subnet 10.11.0.0/24 ranges=[10.11.0.10-10.11.0.50, 10.11.0.60-10.11.0.99] total=81",
        &[],
    );
}

#[test]
fn t11_failover_peer_and_pools() {
    check(
        "v4-11-failover.conf",
        r#"
        subnet 10.12.0.0/24 ranges=[10.12.0.10-10.12.0.250] total=241
          routers=10.12.0.1
        subnet 10.13.0.0/24 shared="fo-shared" ranges=[10.13.0.10-10.13.0.20] total=11
        "#,
        &[],
    );
}

#[test]
fn t12_include_in_the_current_scope() {
    check(
        "v4-12-include.conf",
        "
        subnet 10.14.0.0/24 ranges=[10.14.0.100-10.14.0.120] total=21
          routers=10.14.0.1
        host inc-host-1 ethernet=02:00:00:00:00:01 fixed=10.14.0.5
        ",
        &[],
    );
}

#[test]
fn t13_keywords_are_case_insensitive() {
    check(
        "v4-13-case-crlf.conf",
        r#"
        subnet 10.15.0.0/24 shared="UPPER" ranges=[10.15.0.10-10.15.0.20] total=11
          dns=10.15.0.53
        host X1 ethernet=0a:0b:0c:0d:0e:0f fixed=10.15.0.5
        "#,
        &[],
    );
}

#[test]
fn t13b_crlf_and_tabs() {
    let raw = std::fs::read(crate::common::testdata(
        "grammar/conf/v4-13b-crlf-tabs.conf",
    ))
    .unwrap();
    assert!(
        raw.windows(2).any(|w| w == b"\r\n"),
        "the example must keep its CRLF line ends"
    );
    check(
        "v4-13b-crlf-tabs.conf",
        "
        subnet 10.16.0.0/24 ranges=[10.16.0.10-10.16.0.20] total=11
          routers=10.16.0.1
        ",
        &[],
    );
}

#[test]
fn t14_executable_statements_are_skipped() {
    check(
        "v4-14-statements.conf",
        "subnet 10.17.0.0/24 ranges=[10.17.0.10-10.17.0.20] total=11",
        &[],
    );
}

#[test]
fn t15_overlap_decimal_octets_and_spaced_dots() {
    check(
        "v4-15-overlap-and-odd-numbers.conf",
        "
        subnet 10.18.0.0/16 ranges=[10.18.1.10-10.18.1.20] total=11
        subnet 10.18.5.0/24 ranges=[10.18.5.10-10.18.5.20, 10.18.5.30-10.18.5.40] total=22
        ",
        &[],
    );
}

#[test]
fn t16_parameters_and_option_definitions_are_skipped() {
    check(
        "v4-16-misc-params.conf",
        "
        subnet 10.19.0.0/24 ranges=[10.19.0.10-10.19.0.250] total=241
        subnet 10.19.1.0/24 ranges=[] total=0
        ",
        &[],
    );
}

#[test]
fn t18_comment_in_address_keyword_host_names_newline_in_string() {
    check(
        "v4-17-odd-but-valid.conf",
        r#"
        subnet 10.44.0.0/24 ranges=[10.44.0.5-10.44.0.9] total=5
          domain="first-line\nsecond-line"
        host 10.44.0.77 ethernet=02:00:00:00:44:77
        host group ethernet=02:00:00:00:44:01
        host host ethernet=02:00:00:00:44:02
        host subnet ethernet=02:00:00:00:44:03
        host range.free.active ethernet=02:00:00:00:44:04
        "#,
        &[],
    );
}

// ---- configurations dhcpd rejects (X01-X18): same meaning, rest kept ----

#[test]
fn x01_pool_before_its_subnet() {
    check(
        "invalid-01-pool-before-subnet.conf",
        r#"subnet 10.30.0.0/24 shared="s" ranges=[10.30.0.10-10.30.0.20] total=11"#,
        &[
            "4:10 error: range 10.30.0.10-10.30.0.20 comes before its subnet 10.30.0.0/24 in the shared-network; dhcpd requires the subnet first (\"address range not on network\")",
        ],
    );
}

#[test]
fn x02_semicolon_after_brace_is_an_error_and_the_rest_is_read() {
    check(
        "invalid-02-semicolon-after-brace.conf",
        "subnet 10.31.0.0/24 ranges=[10.31.0.10-10.31.0.20] total=11",
        &[
            "5:2 error: ';' after '}' is not allowed (dhcpd: \"expecting a declaration\"); remove it",
        ],
    );
}

#[test]
fn x03_quoted_host_name() {
    check(
        "invalid-03-quoted-host-name.conf",
        "",
        &[
            "2:6 error: host names cannot be quoted (dhcpd: \"expecting a name for host declaration\"); host skipped",
        ],
    );
}

#[test]
fn x04_duplicate_host_keeps_the_first() {
    let (c, d) = grammar_conf("conf/invalid-04-duplicate-host.conf");
    assert_eq!(
        describe(&c),
        "host a ethernet=00:11:22:33:44:55 fixed=10.32.0.5\n"
    );
    let lines = diag_lines(&d);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("4:1 error: host a is already declared at "),
        "{lines:?}"
    );
    assert!(lines[0].ends_with(
        "invalid-04-duplicate-host.conf:3 (dhcpd: \"already exists\"); this one is ignored"
    ));
}

#[test]
fn x05_fixed_addresses_need_commas() {
    check(
        "invalid-05-fixed-address-no-comma.conf",
        "host a ethernet=00:11:22:33:44:55",
        &[
            "2:71 error: expected ';' after fixed-address (separate several addresses with ','), found '10'",
        ],
    );
}

#[test]
fn x06_range_outside_its_subnet() {
    check(
        "invalid-06-range-outside-subnet.conf",
        "subnet 10.34.0.0/24 ranges=[] total=0",
        &[
            "2:42 error: range 10.34.1.10-10.34.1.20 is outside subnet 10.34.0.0/24 (dhcpd: \"bad range\"); ignored",
        ],
    );
}

#[test]
fn x07_overlapping_ranges_count_once() {
    check(
        "invalid-07-overlapping-ranges.conf",
        "subnet 10.35.0.0/24 ranges=[10.35.0.20-10.35.0.30, 10.35.0.25-10.35.0.40] total=21",
        &[
            "4:3 error: range 10.35.0.25-10.35.0.40 overlaps range 10.35.0.20-10.35.0.30 of subnet 10.35.0.0/24 (dhcpd: \"lease 10.35.0.25 is declared twice!\"); shared addresses are counted once",
        ],
    );
}

#[test]
fn x08_host_bits_in_subnet_number() {
    check(
        "invalid-08-host-bits-in-subnet.conf",
        "subnet 10.36.0.0/24 ranges=[] total=0",
        &[
            "2:1 error: subnet 10.36.0.1 netmask 255.255.255.0 has host bits set (dhcpd: \"bad subnet number/mask combination\"); read as 10.36.0.0",
        ],
    );
}

#[test]
fn x09_octet_above_255() {
    check(
        "invalid-09-octet-out-of-range.conf",
        "subnet 10.37.0.0/24 ranges=[] total=0",
        &["2:67 error: octet 256 is out of range (0-255)"],
    );
}

#[test]
fn x10_mac_with_dashes_or_no_separators() {
    check(
        "invalid-10-mac-forms.conf",
        "
        host a
        host b
        ",
        &[
            "2:28 error: expected a hex octet, found '00-11-22-33-44-55' (use colons, not dashes)",
            "3:28 error: expected a hex octet, found '001122334455' (octets are at most ff, separated by ':')",
        ],
    );
}

#[test]
fn x11_range_in_a_group() {
    check(
        "invalid-11-range-in-group.conf",
        "subnet 10.38.0.0/24 ranges=[] total=0",
        &[
            "5:11 error: range is only allowed directly in a subnet or a pool, not in a group (dhcpd rejects this); ignored",
        ],
    );
}

#[test]
fn x12_subnet_inside_subnet() {
    check(
        "invalid-12-nesting.conf",
        "
        subnet 10.39.0.0/16 ranges=[] total=0
        subnet 10.39.1.0/24 ranges=[] total=0
        ",
        &["4:3 error: subnet declarations are not allowed inside a subnet (dhcpd rejects this)"],
    );
}

#[test]
fn x13_lone_semicolon_is_an_error_and_the_rest_is_read() {
    check(
        "invalid-13-lone-semicolon.conf",
        "subnet 10.40.0.0/24 ranges=[10.40.0.10-10.40.0.20] total=11",
        &[
            "2:1 error: empty statement ';' is not allowed (dhcpd: \"expecting a parameter or declaration\"); remove it",
        ],
    );
}

#[test]
fn x14_subnet6_in_an_ipv4_configuration() {
    check(
        "invalid-14-subnet6-in-v4.conf",
        "",
        &[
            "3:1 error: subnet6 is only valid in a DHCPv6 configuration (dhcpd -6); dhcpd -4 refuses it: put it in subnet6_file",
        ],
    );
}

#[test]
fn x15_empty_pool_and_empty_shared_network() {
    check(
        "invalid-15-empty-pool-and-shared.conf",
        "subnet 10.41.0.0/24 ranges=[] total=0",
        &[
            "2:1 error: shared-network declares no subnet (dhcpd: \"empty shared-network decl\")",
            "3:42 error: pool has no range statement (dhcpd: \"Pool declaration with no address range\")",
        ],
    );
}

#[test]
fn x16_ipv6_is_skipped_as_a_whole() {
    check(
        "invalid-16-range6-single.conf",
        "",
        &[
            "3:1 error: subnet6 is only valid in a DHCPv6 configuration (dhcpd -6); dhcpd -4 refuses it: put it in subnet6_file",
        ],
    );
}

#[test]
fn x17_host_items_from_an_include_are_read_with_an_error() {
    let (c, d) = grammar_conf("conf/invalid-17-include-host-body.conf");
    assert_eq!(
        describe(&c),
        text(
            "
            subnet 10.42.0.0/24 ranges=[] total=0
            host h42 ethernet=02:00:00:00:00:42 fixed=10.42.0.5
            "
        )
    );
    assert_eq!(
        diag_lines(&d),
        [
            "2:1 error: dhcpd refuses hardware in a file included inside a host (\"not allowed here\"); move it into the host block (dhcpstats reads it anyway)",
            "3:1 error: dhcpd refuses fixed-address in a file included inside a host (\"not allowed here\"); move it into the host block (dhcpstats reads it anyway)",
        ]
    );
    assert!(
        d.items()
            .iter()
            .all(|x| x.file.ends_with("conf/inc/host-body.inc"))
    );
}

#[test]
fn x18_range_from_an_include_inside_a_pool() {
    check(
        "invalid-18-include-pool-range.conf",
        "subnet 10.43.0.0/24 ranges=[10.43.0.10-10.43.0.20] total=11",
        &[
            "2:1 error: dhcpd refuses a range in a file included inside a pool (\"range declaration not allowed here\"); move it into the pool block (dhcpstats reads it anyway)",
        ],
    );
}

/// T17 and T19 read as `dhcpd -6` reads them: every range6 and prefix6
/// form with the sizes the example's comments give.
#[test]
fn v6_subnet6_forms_and_sizes() {
    let (c, d) = crate::common::grammar_conf6("conf/v6-01-subnet6.conf");
    assert_eq!(diag_lines(&d), Vec::<String>::new());
    assert_eq!(
        describe(&c),
        text(
            "
            subnet6 2001:db8:0:1::/64 na=[2001:db8:0:1::100-2001:db8:0:1::1ff] 256
              dns=2001:db8::53,2001:db8::54 search=example.com,corp.example.com
            subnet6 2001:db8:0:2::/64 na=[2001:db8:0:2::-2001:db8:0:2::ffff] 65536 ta=[2001:db8:0:2:1::-2001:db8:0:2:1:ffff:ffff:ffff] 281474976710656
              dns=2001:db8::53,2001:db8::54 search=example.com,corp.example.com
            subnet6 2001:db8:0:3::/64 na=[] 0 ta=[2001:db8:0:3::-2001:db8:0:3:ffff:ffff:ffff:ffff] 18446744073709551616
              dns=2001:db8::53,2001:db8::54 search=example.com,corp.example.com
            subnet6 2001:db8:0:4::/64 na=[2001:db8:0:4::a00-2001:db8:0:4::aff] 256 pd=[2001:db8:100::-2001:db8:1ff::/56 65281, 2001:db8:200::-2001:db8:200:f00::/56 16]
              dns=2001:db8::53,2001:db8::54 search=example.com,corp.example.com
            subnet6 2001:db8:0:add::/64 na=[2001:db8:0:add::10-2001:db8:0:add::20] 17
              dns=2001:db8::53,2001:db8::54 search=example.com,corp.example.com
            subnet6 2001:db8:1:1::/64 shared=\"v6-link\" na=[2001:db8:1:1::10-2001:db8:1:1::1f] 16
              dns=2001:db8::53,2001:db8::54 search=example.com,corp.example.com
            subnet6 2001:db8:1:2::/64 shared=\"v6-link\" na=[2001:db8:1:2::10-2001:db8:1:2::1f] 16
              dns=2001:db8::53,2001:db8::54 search=example.com,corp.example.com
            host v6-fixed client-id=00:01:00:01:2a:3b:4c:5d:00:11:22:33:44:55 fixed6=2001:db8:0:1::10 prefix6=2001:db8:300::/56
            host v6-by-mac ethernet=00:11:22:33:44:66 fixed6=2001:db8:0:1::11
            "
        )
    );
    let (c, d) = crate::common::grammar_conf6("conf/v6-02-odd-but-valid.conf");
    assert_eq!(diag_lines(&d), Vec::<String>::new());
    assert_eq!(
        describe(&c),
        text(
            "
            subnet6 2001:db8:45::/64 na=[2001:db8:45::10-2001:db8:45::1f] 16
            subnet6 ::ffff:0.0.0.0/96 na=[::ffff:10.45.0.1-::ffff:10.45.0.9] 9
            "
        )
    );
}

#[test]
fn v6_a_single_address_range6_is_refused() {
    let (c, d) = crate::common::grammar_conf6("conf/invalid-16-range6-single.conf");
    assert_eq!(
        diag_lines(&d),
        [
            "3:48 error: range6 needs a second address, a /length or 'temporary' after 2001:db8:5::10; one address is written 2001:db8:5::10/128 (dhcpd: \"Invalid IPv6 address\")"
        ]
    );
    assert_eq!(c.subnets6.len(), 1);
    assert!(c.subnets6[0].ranges.is_empty());
}
