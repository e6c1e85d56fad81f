//! The encoded fields of every address's winning block
//! ([`super::lease_fields::Fields`]), kept in a few large segments instead
//! of one allocation per lease.
//!
//! Why: a lease file holds up to millions of blocks, and every block that
//! repeats an address frees the previous one's fields. As separate boxes
//! that left hundreds of thousands of small free chunks in the allocator,
//! which the next large allocation on that arena (often a server worker's
//! first request after an append) had to sort through for tens of
//! milliseconds; copying the database for an append cost one allocation
//! per lease. Here a replaced block's bytes just become dead space,
//! reclaimed by [`FieldStore::compact`] once dead space exceeds live data,
//! so memory stays under twice the live fields plus one segment.

use super::leases::AddrMap;

/// Bytes per segment (a block larger than this gets a segment of its own).
const SEGMENT: usize = 1 << 20;

/// Dead bytes tolerated before compacting, whatever the live size: small
/// stores are not worth the copy.
const COMPACT_MIN_DEAD: u64 = 4 << 20;

/// Where one address's fields are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    segment: u32,
    offset: u32,
    len: u32,
}

/// Address → encoded fields.
#[derive(Clone, Debug, Default)]
pub struct FieldStore {
    segments: Vec<Vec<u8>>,
    spans: AddrMap<Span>,
    /// Bytes referenced by `spans`.
    live: u64,
    /// Bytes in `segments` that no span references any more.
    dead: u64,
}

impl FieldStore {
    /// Records `fields` as the fields of `addr`, replacing earlier ones.
    pub fn insert(&mut self, addr: u32, fields: &[u8]) {
        let Some(span) = self.push(fields) else {
            return;
        };
        self.set(addr, span);
        self.compact_if_wasteful();
    }

    /// The fields of `addr`, if any were recorded.
    pub fn get(&self, addr: u32) -> Option<&[u8]> {
        let span = self.spans.get(&addr)?;
        self.bytes(*span)
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Takes over `later`'s fields (read from bytes that follow ours):
    /// a large store's segments are moved, not copied; a small one (a few
    /// appended blocks) is copied, so appends do not leave a trail of
    /// mostly empty segments.
    pub fn merge_later(&mut self, later: FieldStore) {
        let later_bytes: usize = later.segments.iter().map(Vec::len).sum();
        if later_bytes < SEGMENT / 4 {
            for (addr, span) in &later.spans {
                if let Some(span) = later.bytes(*span).and_then(|b| self.push(b)) {
                    self.set(*addr, span);
                }
            }
            self.compact_if_wasteful();
            return;
        }
        let base = self.segments.len();
        self.segments.extend(later.segments);
        self.dead += later.dead;
        for (addr, span) in later.spans {
            let Ok(segment) = u32::try_from(span.segment as usize + base) else {
                continue;
            };
            self.set(addr, Span { segment, ..span });
        }
        self.compact_if_wasteful();
    }

    /// Live and dead bytes (for tests and diagnostics).
    pub fn usage(&self) -> (u64, u64) {
        (self.live, self.dead)
    }

    fn set(&mut self, addr: u32, span: Span) {
        self.live += u64::from(span.len);
        if let Some(old) = self.spans.insert(addr, span) {
            self.live -= u64::from(old.len);
            self.dead += u64::from(old.len);
        }
    }

    fn bytes(&self, span: Span) -> Option<&[u8]> {
        let start = span.offset as usize;
        self.segments
            .get(span.segment as usize)?
            .get(start..start + span.len as usize)
    }

    /// Appends `bytes` to the last segment (a new one if it is full).
    /// `None` only past 4 GiB in one block or 4 billion segments.
    fn push(&mut self, bytes: &[u8]) -> Option<Span> {
        let room = self.segments.last().map_or(0, |s| s.capacity() - s.len());
        if room < bytes.len() || self.segments.is_empty() {
            self.segments
                .push(Vec::with_capacity(SEGMENT.max(bytes.len())));
        }
        let segment = u32::try_from(self.segments.len().checked_sub(1)?).ok()?;
        let last = self.segments.last_mut()?;
        let offset = u32::try_from(last.len()).ok()?;
        let len = u32::try_from(bytes.len()).ok()?;
        last.extend_from_slice(bytes);
        Some(Span {
            segment,
            offset,
            len,
        })
    }

    fn compact_if_wasteful(&mut self) {
        if self.dead > COMPACT_MIN_DEAD && self.dead > self.live {
            self.compact();
        }
    }

    /// Copies the live fields into fresh segments, in the order they lie
    /// in the old ones, freeing each old segment as soon as it has been
    /// read: peak memory is the old segments plus one new segment.
    pub fn compact(&mut self) {
        let mut order: Vec<(Span, u32)> = self.spans.iter().map(|(a, s)| (*s, *a)).collect();
        order.sort_unstable_by_key(|(s, _)| (s.segment, s.offset));
        let mut old: Vec<Vec<u8>> = std::mem::take(&mut self.segments);
        let mut freed_below = 0usize;
        for (span, addr) in order {
            let at = span.segment as usize;
            while freed_below < at {
                if let Some(s) = old.get_mut(freed_below) {
                    *s = Vec::new();
                }
                freed_below += 1;
            }
            let start = span.offset as usize;
            let Some(bytes) = old
                .get(at)
                .and_then(|s| s.get(start..start + span.len as usize))
            else {
                continue;
            };
            if let Some(new) = self.push(bytes) {
                self.spans.insert(addr, new);
            }
        }
        self.dead = 0;
    }
}

/// Equal when every address has the same fields, however they are laid
/// out in segments.
impl PartialEq for FieldStore {
    fn eq(&self, other: &FieldStore) -> bool {
        self.spans.len() == other.spans.len()
            && self
                .spans
                .keys()
                .all(|addr| self.get(*addr) == other.get(*addr))
    }
}

impl Eq for FieldStore {}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(addr: u32, round: u32) -> Vec<u8> {
        let n = (addr % 50 + round % 7) as usize;
        (0..n).map(|i| (addr as usize + i) as u8).collect()
    }

    #[test]
    fn replaced_fields_are_reclaimed_and_bytes_survive_compaction() {
        let mut store = FieldStore::default();
        for round in 0..40u32 {
            for addr in 0..20_000u32 {
                store.insert(addr, &fields(addr, round));
            }
            let (live, dead) = store.usage();
            assert!(
                dead <= live.max(COMPACT_MIN_DEAD),
                "round {round}: {live} live, {dead} dead"
            );
        }
        assert_eq!(store.len(), 20_000);
        for addr in 0..20_000u32 {
            assert_eq!(store.get(addr), Some(&fields(addr, 39)[..]));
        }
        let before = store.clone();
        store.compact();
        assert_eq!(store.usage().1, 0);
        assert_eq!(store, before);
        assert_eq!(store.get(20_000), None);
    }

    #[test]
    fn merging_keeps_the_later_fields_and_equality_ignores_layout() {
        let mut one_pass = FieldStore::default();
        let mut first = FieldStore::default();
        let mut second = FieldStore::default();
        for addr in 0..3000u32 {
            one_pass.insert(addr, &fields(addr, 0));
            first.insert(addr, &fields(addr, 0));
        }
        for addr in 1000..5000u32 {
            one_pass.insert(addr, &fields(addr, 1));
            second.insert(addr, &fields(addr, 1));
        }
        first.merge_later(second);
        assert_eq!(first, one_pass);
        assert_eq!(first.get(999), Some(&fields(999, 0)[..]));
        assert_eq!(first.get(1000), Some(&fields(1000, 1)[..]));
        let mut other = one_pass.clone();
        other.insert(4999, b"changed");
        assert_ne!(other, one_pass);
    }

    #[test]
    fn a_block_larger_than_a_segment_gets_its_own() {
        let mut store = FieldStore::default();
        store.insert(1, b"small");
        let big = vec![7u8; SEGMENT + 10];
        store.insert(2, &big);
        store.insert(3, b"after");
        assert_eq!(store.get(1), Some(&b"small"[..]));
        assert_eq!(store.get(2), Some(&big[..]));
        assert_eq!(store.get(3), Some(&b"after"[..]));
    }
}
