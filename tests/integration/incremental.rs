//! The lease reader's central invariant: the result never depends on how
//! the file is cut into appended pieces (the cache feeds only new bytes).
//! Every split point of every small test file, and random cuts of larger
//! ones, give the same database, diagnostics and tail as one pass.

use std::sync::Arc;

use dhcpstats::dhcp::leases::{Detail, Feed, LeaseDb, LeaseParser};
use dhcpstats::diag::Diagnostics;

use crate::common::testdata;

fn lease_files() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for dir in [
        "grammar/leases",
        "grammar/malformed",
        "leases",
        "golden/spec-example",
    ] {
        for e in std::fs::read_dir(testdata(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "leases") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 25, "found {}", out.len());
    out
}

/// Parses `bytes` fed in the given pieces; returns what a reader sees.
fn parse_in_pieces(bytes: &[u8], cuts: &[usize], detail: Detail) -> (LeaseDb, Vec<String>, Feed) {
    let mut p = LeaseParser::new(Arc::from("f"), detail);
    let mut d = Diagnostics::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut last = 0;
    let mut feed = Feed {
        consumed: 0,
        incomplete_tail: false,
    };
    for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
        pending.extend_from_slice(&bytes[last..cut]);
        last = cut;
        let at_end = cut == bytes.len();
        feed = p.feed(&pending, at_end, &mut d);
        pending.drain(..feed.consumed);
    }
    let lines = d.items().iter().map(|x| x.to_string()).collect();
    (p.into_db(), lines, feed)
}

#[test]
fn every_split_point_gives_the_same_result() {
    for path in lease_files() {
        let bytes = std::fs::read(&path).unwrap();
        for detail in [Detail::Full, Detail::Summary] {
            let whole = parse_in_pieces(&bytes, &[], detail);
            for k in 0..=bytes.len() {
                let split = parse_in_pieces(&bytes, &[k], detail);
                assert_eq!(
                    split.0,
                    whole.0,
                    "{} split at {k}: database",
                    path.display()
                );
                assert_eq!(
                    split.1,
                    whole.1,
                    "{} split at {k}: diagnostics",
                    path.display()
                );
                assert_eq!(
                    split.2.incomplete_tail,
                    whole.2.incomplete_tail,
                    "{} split at {k}: tail",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn random_cuts_of_a_real_file() {
    let bytes = std::fs::read(testdata("corpus/small/dhcpd.leases")).unwrap();
    let whole = parse_in_pieces(&bytes, &[], Detail::Full);
    assert_eq!(whole.0.leases.len(), 50);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for round in 0..40 {
        let mut cuts = Vec::new();
        let mut at = 0usize;
        loop {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Pieces from 1 byte to a few KiB.
            let step = 1 + (x % if round % 2 == 0 { 64 } else { 8192 }) as usize;
            at += step;
            if at >= bytes.len() {
                break;
            }
            cuts.push(at);
        }
        let split = parse_in_pieces(&bytes, &cuts, Detail::Full);
        assert_eq!(split.0, whole.0, "round {round}");
        assert_eq!(split.1, whole.1, "round {round}");
    }
}

/// Parses a whole file with the canonical fast path on or off.
fn parse_with(bytes: &[u8], detail: Detail, fast: bool) -> (LeaseDb, Vec<String>, Feed) {
    let mut p = LeaseParser::new(Arc::from("f"), detail);
    p.set_fast_path(fast);
    let mut d = Diagnostics::new();
    let feed = p.feed(bytes, true, &mut d);
    (
        p.into_db(),
        d.items().iter().map(|x| x.to_string()).collect(),
        feed,
    )
}

#[test]
fn fast_path_equals_general() {
    let mut files: Vec<Vec<u8>> = lease_files()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    files.push(std::fs::read(testdata("corpus/small/dhcpd.leases")).unwrap());
    for gz in [
        "corpus/main/dhcpd.leases.gz",
        "generated/exotic/dhcpd.leases.gz",
        "corpus/failover/primary/dhcpd.leases.gz",
    ] {
        let out = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(testdata(gz))
            .output()
            .unwrap();
        files.push(out.stdout);
    }
    // The shortcuts of the fast path: strings found with one scan (quotes
    // and backslashes at their edges) and hex lists already normalised.
    for field in [
        r#"uid "a\"b";"#,
        r#"uid "ab\\";"#,
        r#"uid "ab\";"#,
        r#"uid "\\\"";"#,
        r#"uid "";"#,
        r#"uid "\"";"#,
        r#"client-hostname "x\\\"y";"#,
        r#"client-hostname "a"b";"#,
        r#"set x = "\\";"#,
        r#"set x = "a\\\\";"#,
        r#"option agent.circuit-id "\001\"";"#,
        "hardware ethernet 00:1A:2b:3C:4d:5E;",
        "hardware ethernet 0:1:2:3:4:5;",
        "hardware ethernet aa:bb:cc:dd:ee:ff:;",
        "hardware ethernet aa:bb:cc:dd:ee:fg;",
        "hardware ethernet aa:bb:cc:dd:ee:f;",
        "hardware ethernet aa:bb:cc:dd:ee:fff;",
        "hardware ethernet aa;",
        "uid 01:02:03;",
        "uid 01:2:03;",
        "uid 01:AB:03;",
    ] {
        let text = format!(
            "lease 10.0.0.1 {{\n  binding state active;\n  {field}\n}}\nlease 10.0.0.2 {{\n  binding state free;\n}}\n"
        );
        files.push(text.into_bytes());
    }
    // Issue 12: hex lists at and over the length limit, in dhcpd's form
    // (the fast path's shortcut) and in the lax one; names of `set`
    // variables and agent options longer than 255 bytes.
    for octets in [1024usize, 1025, 4000] {
        for octet in ["ab", "B"] {
            let list = vec![octet; octets].join(":");
            files.push(
                format!("lease 10.0.0.1 {{\n  binding state active;\n  uid {list};\n}}\n")
                    .into_bytes(),
            );
        }
    }
    let long_name = "n".repeat(300);
    files.push(
        format!("lease 10.0.0.1 {{\n  binding state active;\n  set {long_name} = \"v\";\n  option agent.{long_name} \"w\";\n}}\n")
            .into_bytes(),
    );
    // A block the fast path reads, then one for the same address that
    // only the general parser reads (odd spacing): the later one wins.
    files.push(
        b"lease 10.0.0.1 {\n  binding state free;\n}\nlease 10.0.0.1 {  binding state active; ends never; }\nlease 10.0.0.2 {\n  binding state free;\n}\n"
            .to_vec(),
    );
    // Canonical blocks with one byte changed must still agree.
    let base = std::fs::read(testdata(
        "grammar/leases/v4-rare-fields.dhcpd-rewrite.leases",
    ))
    .unwrap();
    for i in (0..base.len()).step_by(3) {
        for b in [b' ', b'\n', b'"', b'9', b'x', b';', b'{', b'}', b'\\', b'#'] {
            let mut v = base.clone();
            v[i] = b;
            files.push(v);
        }
    }
    for bytes in &files {
        for detail in [Detail::Full, Detail::Summary] {
            let slow = parse_with(bytes, detail, false);
            let fast = parse_with(bytes, detail, true);
            let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            assert_eq!(fast.0, slow.0, "database differs for {shown}");
            assert_eq!(fast.1, slow.1, "diagnostics differ for {shown}");
            assert_eq!(fast.2, slow.2, "feed result differs for {shown}");
        }
    }
}

/// Reads a file with `read_lease_file`, cut into parts of at least
/// `min_part` bytes (0: one part).
fn read_in_parts(
    bytes: &[u8],
    min_part: u64,
) -> (LeaseDb, Vec<String>, u64, u64, bool, (u32, u32)) {
    let dir = crate::common::TempDir::new("parts");
    let path = dir.write("f.leases", bytes);
    let file = std::fs::File::open(&path).unwrap();
    let r =
        dhcpstats::inputs::read_lease_file(&file, Arc::from("f"), Detail::Full, min_part).unwrap();
    let lines = r.diags.items().iter().map(|x| x.to_string()).collect();
    (
        r.db,
        lines,
        r.consumed,
        r.read,
        r.incomplete_tail,
        r.parser.position(),
    )
}

/// Issue 12: a hole of NUL bytes is passed over without holding it, and
/// reported once with where it starts and how long it is, whatever the
/// pieces the file arrives in.
#[test]
fn a_hole_is_reported_with_its_start_and_length() {
    let mut bytes = b"lease 10.0.0.1 {\n  binding state active;\n}\n".to_vec();
    bytes.extend(std::iter::repeat_n(0u8, 10_000));
    bytes.extend_from_slice(b"\nlease 10.0.0.2 {\n  binding state free;\n}\n");
    let whole = parse_in_pieces(&bytes, &[], Detail::Full);
    assert_eq!(whole.0.leases.len(), 2);
    assert_eq!(
        whole.1,
        [
            "f:4:1: warning: unreadable data (byte 0x00) in lease file; skipped up to the next lease",
            "f:4:1: warning: 10001 bytes of damaged data skipped from here to the next entry (10000 of them NUL bytes)",
        ]
    );
    for piece in [1, 7, 100, 4096] {
        let cuts: Vec<usize> = (piece..bytes.len()).step_by(piece).collect();
        let split = parse_in_pieces(&bytes, &cuts, Detail::Full);
        assert_eq!(
            (&split.0, &split.1),
            (&whole.0, &whole.1),
            "pieces of {piece}"
        );
    }
    // Up to the end of the file, all of it NUL.
    let mut tail = b"lease 10.0.0.1 {\n  binding state active;\n}\n".to_vec();
    tail.extend(std::iter::repeat_n(0u8, 5000));
    let r = parse_in_pieces(&tail, &[100, 3000], Detail::Summary);
    assert_eq!(
        r.1.last().map(String::as_str),
        Some(
            "f:4:1: warning: 5000 bytes of damaged data skipped from here to the end of the file (all NUL bytes: a hole such as a crash or power loss leaves)"
        )
    );
}

#[test]
fn parallel_parts_equal_one_pass() {
    let mut files: Vec<Vec<u8>> =
        vec![std::fs::read(testdata("corpus/small/dhcpd.leases")).unwrap()];
    for gz in [
        "corpus/main/dhcpd.leases.gz",
        "generated/exotic/dhcpd.leases.gz",
    ] {
        files.push(
            std::process::Command::new("gzip")
                .arg("-dc")
                .arg(testdata(gz))
                .output()
                .unwrap()
                .stdout,
        );
    }
    // Damage around likely cut points: a block without its `}` before a
    // cut must give the same result as one pass (the reader falls back).
    let mut damaged = files[0].clone();
    let mut at = 0;
    while let Some(i) = damaged[at..]
        .windows(3)
        .position(|w| w == b"\n}\n")
        .map(|i| i + at)
    {
        if i % 7 == 0 {
            damaged.drain(i + 1..i + 2);
        }
        at = i + 3;
        if at >= damaged.len() {
            break;
        }
    }
    files.push(damaged);
    // Junk and a truncated final block.
    let mut junk = files[0].clone();
    junk.splice(5000..5000, b"\x00\x01garbage {\n".iter().copied());
    junk.extend_from_slice(b"lease 10.99.0.1 {\n  binding st");
    files.push(junk);
    // Issue 12: holes of NUL bytes long enough to be reported with their
    // length, one of them running up to a likely cut point.
    let mut holes = files[0].clone();
    holes.splice(3000..3000, std::iter::repeat_n(0u8, 9000));
    let lease_at = holes.windows(7).rposition(|w| w == b"\nlease ").unwrap();
    holes.splice(lease_at + 1..lease_at + 1, std::iter::repeat_n(0u8, 20_000));
    files.push(holes);
    for bytes in &files {
        let whole = read_in_parts(bytes, 0);
        for min_part in [1024, 4096, 65_536] {
            let parts = read_in_parts(bytes, min_part);
            assert!(parts.0 == whole.0, "database differs, parts of {min_part}");
            assert_eq!(parts.1, whole.1, "diagnostics, parts of {min_part}");
            assert_eq!(
                (parts.2, parts.3, parts.4, parts.5),
                (whole.2, whole.3, whole.4, whole.5),
                "parts of {min_part}"
            );
        }
    }
}
