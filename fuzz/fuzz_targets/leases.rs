//! The lease parser on arbitrary bytes: the result does not depend on how
//! the input is cut into appended pieces, nor on the canonical fast path.
#![no_main]
use std::sync::Arc;

use dhcpstats::dhcp::leases::{Detail, Feed, LeaseDb, LeaseParser};
use dhcpstats::diag::Diagnostics;
use libfuzzer_sys::fuzz_target;

fn parse(data: &[u8], cuts: &[usize], fast: bool, detail: Detail) -> (LeaseDb, Vec<String>, bool) {
    let mut p = LeaseParser::new(Arc::from("f"), detail);
    p.set_fast_path(fast);
    let mut d = Diagnostics::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut last = 0;
    let mut feed = Feed { consumed: 0, incomplete_tail: false };
    for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
        pending.extend_from_slice(&data[last..cut]);
        last = cut;
        feed = p.feed(&pending, cut == data.len(), &mut d);
        assert!(feed.consumed <= pending.len());
        pending.drain(..feed.consumed);
    }
    (p.into_db(), d.items().iter().map(|x| x.to_string()).collect(), feed.incomplete_tail)
}

fuzz_target!(|input: &[u8]| {
    // The first byte chooses the cut points; the rest is the file.
    let Some((&seed, data)) = input.split_first() else { return };
    // The summary reader batches its inserts: same checks with it.
    let detail = if seed & 0x80 == 0 { Detail::Full } else { Detail::Summary };
    let whole = parse(data, &[], true, detail);
    // At most 64 pieces: finer cuts are covered by the split-point tests,
    // and re-feeding a growing pending buffer is quadratic.
    let step = usize::from(seed & 0x7f).max(1).max(data.len() / 64);
    let cuts: Vec<usize> = (step..data.len()).step_by(step).collect();
    let pieces = parse(data, &cuts, true, detail);
    assert!(whole.0 == pieces.0, "database depends on the cuts");
    assert_eq!(whole.1, pieces.1);
    assert_eq!(whole.2, pieces.2);
    let general = parse(data, &[], false, detail);
    assert!(whole.0 == general.0, "fast path and general parser differ");
    assert_eq!(whole.1, general.1);
});
