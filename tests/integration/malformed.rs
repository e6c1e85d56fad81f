//! GRAMMAR §6: every malformed input gives a diagnostic at the right line,
//! never a panic or a hang, and the valid rest of the file is still read.
//! Also the stress shapes of `malformed/gen-large.py`, built in memory.

use dhcpstats::dhcp::conf::parse_bytes;
use dhcpstats::dhcp::leases::{Detail, LeaseDb, parse_all};
use dhcpstats::diag::Diagnostics;

use crate::common::{describe, diag_lines, grammar_conf, testdata, text};

fn check_conf(name: &str, expect: &str, expect_diags: &[&str]) {
    let (c, d) = grammar_conf(&format!("malformed/{name}"));
    assert_eq!(describe(&c), text(expect), "reading of {name}");
    assert_eq!(diag_lines(&d), expect_diags, "diagnostics of {name}");
}

#[test]
fn conf_bad_numbers() {
    check_conf(
        "conf-bad-numbers.conf",
        "
        subnet 10.0.0.0/24 ranges=[] total=0
        host a
        ",
        &[
            "3:26 error: octet 256 is out of range (0-255)",
            "4:16 error: too few numbers in IPv4 address: expected '.', found '10'",
            "6:28 error: expected a hex octet, found '00-11-22-33-44-55' (use colons, not dashes)",
            "6:65 error: expected ';' after option host-name, found '.'",
        ],
    );
}

#[test]
fn conf_extra_close_brace() {
    check_conf(
        "conf-extra-close.conf",
        "
        subnet 10.0.0.0/24 ranges=[10.0.0.10-10.0.0.20] total=11
        subnet 10.0.1.0/24 ranges=[10.0.1.10-10.0.1.20] total=11
        ",
        &["5:1 error: unexpected '}' with no open block; ignored"],
    );
}

#[test]
/// A deliberate difference from `dhcpd -t`, which takes a 0xff byte for
/// the end of the file and accepts it, silently dropping everything after
/// it (results.txt: rc=0). Losing half a configuration without a word is
/// what `check` exists to catch, so here it is an error.
fn conf_ff_byte_is_a_bad_token_not_the_end() {
    check_conf(
        "conf-ff-byte.conf",
        "subnet 10.0.0.0/24 ranges=[10.0.0.10-10.0.0.20] total=11",
        &[
            "3:1 error: expected a statement, found byte 0xff",
            "4:6 error: unexpected end of file: this '{' is never closed, so the rest of the file was skipped",
        ],
    );
}

#[test]
fn conf_include_loop_is_detected() {
    let (c, d) = grammar_conf("malformed/conf-include-loop.conf");
    assert_eq!(describe(&c), "");
    let lines = diag_lines(&d);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("2:9 error: include cycle: \"malformed/conf-include-loop.conf\""),
        "{lines:?}"
    );
}

/// Issue 12: fourteen levels of a file including the next one twice would
/// be 16 384 reads; the total is bounded, with one error that says so.
#[test]
fn include_fan_out_is_bounded_in_total() {
    let dir = crate::common::TempDir::new("fanout");
    for level in 0..14 {
        dir.write(
            &format!("f{level}.conf"),
            format!(
                "include \"f{next}.conf\";\ninclude \"f{next}.conf\";\n",
                next = level + 1
            ),
        );
    }
    dir.write("f14.conf", "option domain-name \"leaf\";\n");
    let main = dir.write(
        "dhcpd.conf",
        "include \"f0.conf\";\nsubnet 10.0.0.0 netmask 255.255.255.0 { }\n",
    );
    let mut loader = dhcpstats::inputs::FsLoader::new(dir.0.clone());
    let loaded = loader.load_path(&main).unwrap();
    let mut d = Diagnostics::new();
    let c = dhcpstats::dhcp::conf::parse(&loaded, &mut loader, &mut d);
    assert_eq!(
        describe(&c),
        "subnet 10.0.0.0/24 ranges=[] total=0\n  domain=\"leaf\"\n"
    );
    let errors = diag_lines(&d);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].ends_with(
            "error: includes read 10000 files (0 MiB) in all, the most dhcpstats reads; \"f13.conf\" and every later include are not read"
        ),
        "{errors:?}"
    );
    // The main file and 10 000 includes.
    assert_eq!(loader.read.len(), 10_001);
}

#[test]
fn conf_missing_include_keeps_the_rest() {
    check_conf(
        "conf-include-missing.conf",
        "subnet 10.0.0.0/24 ranges=[] total=0",
        &[
            "2:9 error: cannot read include \"/nonexistent/dhcpd-extra.conf\": /nonexistent/dhcpd-extra.conf: No such file or directory (os error 2)",
        ],
    );
}

/// dhcpd refuses a token or a blank run of 1500 bytes or more (its token
/// buffer); we read the file all the same, but it is an error.
#[test]
fn conf_long_string_and_long_whitespace_are_read_but_refused_like_dhcpd() {
    let (c, d) = grammar_conf("malformed/conf-long-string.conf");
    assert_eq!(c.subnets.len(), 1);
    assert_eq!(
        c.subnets[0].options.domain_name.as_ref().map(String::len),
        Some(2000)
    );
    assert_eq!(
        diag_lines(&d),
        [
            "2:20 error: this string is 2000 bytes long; dhcpd refuses tokens of 1500 bytes or more (\"larger than internal buffer\")"
        ]
    );
    check_conf(
        "conf-long-whitespace.conf",
        "subnet 10.0.0.0/24 ranges=[10.0.0.10-10.0.0.20] total=11",
        &[
            "2:40 error: 1500 or more blank characters in a row: dhcpd refuses this (\"whitespace too long, buffer overflow\"); remove them or break them with a comment",
        ],
    );
}

#[test]
fn conf_non_ascii_name() {
    check_conf(
        "conf-nonascii-name.conf",
        "",
        &[
            "2:9 error: expected '{' after host caf, found byte 0xc3 (names are ASCII letters, digits, '-', '_' and '.'); host skipped",
        ],
    );
}

#[test]
fn conf_unbalanced_open_brace_keeps_what_was_read() {
    check_conf(
        "conf-unbalanced-open.conf",
        "subnet 10.0.0.0/24 ranges=[10.0.0.10-10.0.0.20] total=11",
        &[
            "4:1 error: unexpected end of file: the '{' of a subnet at line 2, column 39 is never closed",
        ],
    );
}

#[test]
fn conf_unterminated_string() {
    check_conf(
        "conf-unterminated-string.conf",
        "",
        &["2:20 error: unterminated string: the closing '\"' is missing"],
    );
}

// ---- lease files ----

fn leases(name: &str) -> (LeaseDb, Vec<String>, bool) {
    let bytes = std::fs::read(testdata(&format!("grammar/malformed/{name}"))).unwrap();
    let mut d = Diagnostics::new();
    let (db, feed) = parse_all(name, &bytes, Detail::Full, &mut d);
    (db, diag_lines(&d), feed.incomplete_tail)
}

fn addrs(db: &LeaseDb) -> Vec<String> {
    let mut v: Vec<u32> = db.leases.keys().copied().collect();
    v.sort_unstable();
    v.into_iter()
        .map(|a| std::net::Ipv4Addr::from(a).to_string())
        .collect()
}

/// The two valid leases that surround the damage in every example.
const GOOD: [&str; 2] = ["192.0.2.100", "192.0.2.101"];

#[test]
fn leases_bad_dates_keep_the_lease_without_the_time() {
    let (db, d, _) = leases("leases-bad-dates.leases");
    assert_eq!(
        addrs(&db),
        ["192.0.2.100", "192.0.2.101", "192.0.2.153", "192.0.2.154"]
    );
    assert_eq!(d.len(), 4);
    assert!(
        d[0].starts_with(
            "17:10 error: starts of lease 192.0.2.153: invalid date 2026/13/45 25:61:61"
        ),
        "{d:?}"
    );
    assert!(
        d[1].starts_with("18:12 error: ends of lease 192.0.2.153:"),
        "{d:?}"
    );
    assert!(
        d[2].starts_with("22:12 error: starts of lease 192.0.2.154:"),
        "{d:?}"
    );
    assert!(
        d[3].starts_with(
            "23:13 error: ends of lease 192.0.2.154: expected seconds since the epoch"
        ),
        "{d:?}"
    );
    let l = db
        .leases
        .get(&u32::from(std::net::Ipv4Addr::new(192, 0, 2, 153)))
        .unwrap();
    assert_eq!(l.ends(), None);
}

#[test]
fn leases_bad_ip_never_wraps() {
    let (db, d, _) = leases("leases-bad-ip.leases");
    assert_eq!(addrs(&db), GOOD);
    assert_eq!(
        d,
        [
            "16:15 error: invalid address in lease header: octet 300 is out of range (0-255); block skipped",
            "19:15 error: invalid address in lease header: too few numbers in IPv4 address: expected '.', found '{'; block skipped",
            "22:7 error: invalid address in lease header: expected a decimal IPv4 octet, found 'fe80'; block skipped",
        ]
    );
}

#[test]
fn leases_binary_junk_and_nul_bytes_are_skipped() {
    let (db, d, _) = leases("leases-binary-junk.leases");
    assert_eq!(addrs(&db), GOOD);
    assert_eq!(
        d,
        ["16:1 warning: unreadable data (byte 0x01) in lease file; skipped up to the next lease"]
    );
    let (db, d, _) = leases("leases-nul-bytes.leases");
    assert_eq!(addrs(&db), GOOD);
    assert_eq!(
        d,
        ["16:1 warning: unreadable data (byte 0x00) in lease file; skipped up to the next lease"]
    );
}

#[test]
fn leases_extra_close_brace_loses_nothing() {
    let (db, d, _) = leases("leases-extra-close-brace.leases");
    assert_eq!(addrs(&db), GOOD);
    assert_eq!(d, ["16:1 warning: stray '}' between blocks; ignored"]);
}

#[test]
fn leases_missing_close_brace_loses_only_that_block() {
    let (db, d, _) = leases("leases-missing-close-brace.leases");
    // dhcpd loses both; we keep the following, complete block.
    assert_eq!(addrs(&db), ["192.0.2.101"]);
    assert_eq!(
        d,
        [
            "4:1 error: lease 192.0.2.100 has no closing '}' before the next entry at line 16; block skipped"
        ]
    );
}

#[test]
fn leases_missing_semicolon() {
    let (db, d, _) = leases("leases-missing-semicolon.leases");
    assert_eq!(addrs(&db), GOOD);
    assert_eq!(
        d,
        ["18:3 error: expected ';' after binding state, found 'hardware'; block skipped"]
    );
}

#[test]
fn leases_toplevel_garbage() {
    let (db, d, _) = leases("leases-toplevel-garbage.leases");
    assert_eq!(addrs(&db), GOOD);
    assert_eq!(
        d,
        [
            "16:1 warning: unknown top-level statement 'garbage' in lease file; skipped up to the next lease"
        ]
    );
}

#[test]
fn leases_truncated_final_block_is_pending_not_an_error() {
    for name in [
        "leases-trunc-after-brace.leases",
        "leases-trunc-mid-keyword.leases",
        "leases-trunc-mid-string.leases",
    ] {
        let (db, d, tail) = leases(name);
        assert_eq!(addrs(&db), ["192.0.2.100"], "{name}");
        assert!(d.is_empty(), "{name}: {d:?}");
        assert!(tail, "{name}");
    }
    let (db, d, tail) = leases("leases-trunc-no-final-newline.leases");
    assert_eq!(addrs(&db), GOOD);
    assert!(d.is_empty() && !tail);
}

#[test]
fn leases_unknown_state_drops_the_block() {
    let (db, d, _) = leases("leases-unknown-state.leases");
    assert_eq!(addrs(&db), GOOD);
    assert_eq!(d.len(), 1);
    assert!(
        d[0].starts_with("17:17 error: unknown binding state 'leased'"),
        "{d:?}"
    );
}

#[test]
fn leases_unknown_statement_keeps_the_lease() {
    let (db, d, _) = leases("leases-unknown-statement.leases");
    assert_eq!(addrs(&db), ["192.0.2.100", "192.0.2.101", "192.0.2.150"]);
    assert_eq!(
        d,
        ["18:3 warning: unknown statement 'frobnicate' in lease 192.0.2.150; ignored"]
    );
}

#[test]
fn leases_unterminated_string_ends_at_the_line() {
    let (db, d, _) = leases("leases-unterminated-string.leases");
    assert_eq!(addrs(&db), GOOD);
    assert_eq!(
        d,
        [
            "18:19 error: unterminated string: the closing '\"' is missing on this line; block skipped"
        ]
    );
}

// ---- stress shapes (gen-large.py), in memory ----

#[test]
fn one_megabyte_line_and_token() {
    let mut line =
        b"subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.10 10.0.0.20; } # ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 1 << 20));
    line.push(b'\n');
    let mut d = Diagnostics::new();
    let c = parse_bytes("line.conf", &line, &mut d);
    assert_eq!(c.subnets.len(), 1);
    assert!(d.is_empty());

    let mut token = b"option domain-name ".to_vec();
    token.extend(std::iter::repeat_n(b'a', 1 << 20));
    token.extend_from_slice(b";\nsubnet 10.0.0.0 netmask 255.255.255.0 { }\n");
    let mut d = Diagnostics::new();
    let c = parse_bytes("token.conf", &token, &mut d);
    assert_eq!(
        c.subnets.len(),
        1,
        "the statement after the huge token is read"
    );
    // The value is longer than 64 KiB, and than dhcpd's token buffer.
    assert_eq!(d.count(dhcpstats::diag::Severity::Error), 2);
}

#[test]
fn one_megabyte_string_in_a_lease_drops_only_the_value() {
    let mut text = b"lease 10.0.0.10 {\n  binding state active;\n  client-hostname \"".to_vec();
    text.extend(std::iter::repeat_n(b'h', 1 << 20));
    text.extend_from_slice(b"\";\n}\nlease 10.0.0.11 {\n  binding state free;\n}\n");
    let mut d = Diagnostics::new();
    let (db, _) = parse_all("s.leases", &text, Detail::Full, &mut d);
    assert_eq!(db.leases.len(), 2);
    assert_eq!(
        diag_lines(&d),
        ["3:19 error: client-hostname is longer than 64 KiB; value dropped"]
    );
}

#[test]
fn hundred_thousand_nested_groups_do_not_overflow_the_stack() {
    let mut text = b"group {\n".repeat(100_000);
    text.extend(b"}\n".repeat(100_000));
    text.extend_from_slice(b"subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.2; }\n");
    let mut d = Diagnostics::new();
    let c = parse_bytes("deep.conf", &text, &mut d);
    assert_eq!(
        c.subnets.len(),
        1,
        "the subnet after the deep nesting is read"
    );
    let lines = diag_lines(&d);
    assert_eq!(
        lines,
        ["65:7 error: blocks are nested more than 64 deep; this block is skipped"]
    );
}

#[test]
fn hundred_thousand_leases() {
    let mut text = Vec::with_capacity(16 << 20);
    let mut x: u32 = 1;
    for i in 0..100_000u32 {
        // A small LCG instead of Python's random: many addresses repeat.
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let a = (x >> 8) % 65_534 + 1;
        let st = ["active", "free", "active", "expired", "abandoned", "backup"][(x % 6) as usize];
        text.extend_from_slice(
            format!(
                "lease 10.0.{}.{} {{\n  starts 4 2026/11/26 01:18:04;\n  ends 4 2026/11/26 02:18:04;\n  binding state {st};\n  hardware ethernet 02:00:00:{:02x}:{:02x}:{:02x};\n}}\n",
                a >> 8,
                a & 255,
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255
            )
            .as_bytes(),
        );
    }
    let mut d = Diagnostics::new();
    let (db, feed) = parse_all("big.leases", &text, Detail::Summary, &mut d);
    assert!(d.is_empty());
    assert!(!feed.incomplete_tail);
    assert_eq!(db.lease_blocks, 100_000);
    assert!(db.leases.len() > 50_000 && db.leases.len() < 100_000);
}

/// Peak RSS in KiB of `dhcpstats check` on a configuration, via
/// /usr/bin/time (Debian package `time`, installed by .ci/run).
fn check_peak_rss(conf: &std::path::Path, leases: &std::path::Path) -> (Option<i32>, u64) {
    let dir = crate::common::TempDir::new("stress-cfg");
    let cfg = crate::common::write_config(&dir, conf, leases, "");
    let out = std::process::Command::new("/usr/bin/time")
        .args([
            "-f",
            "%M",
            crate::common::bin(),
            "check",
            "--config",
            cfg.to_str().unwrap(),
        ])
        .output()
        .expect("/usr/bin/time (Debian package time)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("a peak RSS");
    (out.status.code(), rss)
}

#[test]
fn stress_inputs_stay_within_bounded_memory() {
    let dir = crate::common::TempDir::new("stress");
    let empty_conf = dir.write(
        "empty.conf",
        "subnet 10.0.0.0 netmask 255.255.0.0 { range 10.0.0.1 10.0.255.254; }\n",
    );
    let empty_leases = dir.write("empty.leases", "");
    // 1 MiB token, 1 MiB line, 100k nested groups (configurations).
    let token = dir.write(
        "token.conf",
        [
            b"option domain-name ".to_vec(),
            vec![b'a'; 1 << 20],
            b";\n".to_vec(),
        ]
        .concat(),
    );
    let line = dir.write(
        "line.conf",
        [
            b"subnet 10.0.0.0 netmask 255.255.255.0 { } # ".to_vec(),
            vec![b'x'; 1 << 20],
            b"\n".to_vec(),
        ]
        .concat(),
    );
    let deep = dir.write(
        "deep.conf",
        [b"group {\n".repeat(100_000), b"}\n".repeat(100_000)].concat(),
    );
    // 1 MiB string in a lease; 100k leases.
    let string = dir.write(
        "string.leases",
        [
            b"lease 10.0.0.10 {\n  binding state active;\n  client-hostname \"".to_vec(),
            vec![b'h'; 1 << 20],
            b"\";\n}\n".to_vec(),
        ]
        .concat(),
    );
    let mut many = String::with_capacity(16 << 20);
    for i in 0..100_000u32 {
        let a = (i.wrapping_mul(2_654_435_761) >> 16) % 65_534 + 1;
        many.push_str(&format!(
            "lease 10.0.{}.{} {{\n  starts 4 2026/11/26 01:18:04;\n  ends 4 2026/11/26 02:18:04;\n  binding state active;\n  hardware ethernet 02:00:00:{:02x}:{:02x}:{:02x};\n}}\n",
            a >> 8, a & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255
        ));
    }
    let many = dir.write("many.leases", many);
    // Issue 12: 48 MiB of NUL bytes between leases (a crash or power loss
    // leaves such holes), a 48 MiB comment line and a 48 MiB line of
    // garbage: each passed over within a fixed buffer.
    let hole_of = |fill: &[u8]| {
        let mut v = b"lease 10.0.0.1 {\n  binding state active;\n}\n".to_vec();
        v.extend(fill.iter().copied().cycle().take(48 << 20));
        v.extend_from_slice(b"\nlease 10.0.0.2 {\n  binding state active;\n}\n");
        v
    };
    let nul_hole = dir.write("hole.leases", hole_of(b"\0"));
    let comment_line = dir.write("comment.leases", hole_of(b"# comment "));
    let garbage_line = dir.write("garbage.leases", hole_of(b"xyz"));
    let (_, baseline) = check_peak_rss(&empty_conf, &empty_leases);
    for (conf, leases, name) in [
        (&token, &empty_leases, "1 MiB token"),
        (&line, &empty_leases, "1 MiB line"),
        (&deep, &empty_leases, "100k nested groups"),
        (&empty_conf, &string, "1 MiB string"),
        (&empty_conf, &many, "100k leases"),
        (&empty_conf, &nul_hole, "48 MiB NUL hole"),
        (&empty_conf, &comment_line, "48 MiB comment line"),
        (&empty_conf, &garbage_line, "48 MiB garbage line"),
    ] {
        let (code, rss) = check_peak_rss(conf, leases);
        assert!(code.is_some(), "{name}: the process ended normally");
        // The file itself (up to 16 MB) plus bounded working memory.
        assert!(
            rss < baseline + 32 * 1024,
            "{name}: peak RSS {rss} KiB (baseline {baseline} KiB)"
        );
    }
}
