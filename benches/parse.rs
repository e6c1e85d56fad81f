//! `cargo bench`: throughput of the lexer and the lease parser alone, in
//! MB/s, on the real corpus (testdata/corpus/main, decompressed with gzip)
//! repeated to about 100 MB in memory. No harness crate: a few timed loops,
//! the best of five runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dhcpstats::dhcp::leases::{Detail, LeaseDb, LeaseParser};
use dhcpstats::dhcp::lexer::{Kind, Lexer, Mode};
use dhcpstats::diag::Diagnostics;

fn best_of<F: FnMut() -> usize>(runs: usize, mut f: F) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = std::hint::black_box(f());
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn report(name: &str, bytes: usize, (time, n): (Duration, usize)) {
    let mbs = bytes as f64 / time.as_secs_f64() / 1e6;
    println!(
        "{name:<44} {mbs:>8.0} MB/s  ({n} items, {:.1} ms)",
        time.as_secs_f64() * 1e3
    );
}

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/corpus/main/dhcpd.leases.gz"
    );
    let out = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .expect("gzip");
    let one = out.stdout;
    let mut data = Vec::with_capacity(110 << 20);
    while data.len() < 100 << 20 {
        data.extend_from_slice(&one);
    }
    println!(
        "input: {} MB (testdata/corpus/main repeated)",
        data.len() >> 20
    );

    report(
        "lexer: tokens (lease mode)",
        data.len(),
        best_of(5, || {
            let mut lx = Lexer::new(&data, Mode::Leases);
            let mut n = 0;
            while lx.next_token().kind != Kind::Eof {
                n += 1;
            }
            n
        }),
    );
    for (name, detail, fast) in [
        ("lease parser, summary, fast path", Detail::Summary, true),
        ("lease parser, full, fast path", Detail::Full, true),
        (
            "lease parser, summary, general parser only",
            Detail::Summary,
            false,
        ),
        (
            "lease parser, full, general parser only",
            Detail::Full,
            false,
        ),
    ] {
        report(
            name,
            data.len(),
            best_of(5, || {
                let mut p = LeaseParser::new(Arc::from("bench"), detail);
                p.set_fast_path(fast);
                let mut db = LeaseDb::default();
                let mut d = Diagnostics::new();
                // Through the same bounded buffer as files are read.
                let mut reader = std::io::Cursor::new(&data[..]);
                dhcpstats::inputs::stream_leases(&mut reader, &mut p, &mut db, &mut d)
                    .expect("in memory");
                db.lease_blocks as usize
            }),
        );
    }
}
