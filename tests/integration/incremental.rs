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
