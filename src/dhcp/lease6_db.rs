//! The DHCPv6 lease database: the winning record per address or prefix
//! (SPEC §2.4), in shards.
//!
//! Why shards: a large `dhcpd6.leases` is parsed in parts on several
//! threads, but which record wins depends on file order, so the records
//! must be applied in that order — per key. Keys are split over
//! [`SHARDS`] small tables by a hash of the key; the records of one shard
//! keep their file order, so shards are applied independently (on as
//! many threads as there are), and a shard's table is small enough to stay
//! in the processor's cache while its records are applied (one table of a
//! million entries missed it on nearly every record). Readers see one
//! database: [`LeaseDb6::get`], [`LeaseDb6::iter`], [`LeaseDb6::len`].

use std::collections::HashMap;
use std::net::Ipv6Addr;

use super::lease_fields::BindingState;
use super::time::LeaseTime;

/// The three kinds of IA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IaKind {
    /// `ia-na`: addresses.
    Na,
    /// `ia-ta`: temporary addresses.
    Ta,
    /// `ia-pd`: delegated prefixes.
    Pd,
}

impl IaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IaKind::Na => "na",
            IaKind::Ta => "ta",
            IaKind::Pd => "pd",
        }
    }
}

/// An address (`len` 128) or a delegated prefix. The address is kept as
/// two halves (24 bytes, not the 32 a `u128` field aligns it to: a million
/// keys sit in the tables); the derived order is still numeric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key6 {
    hi: u64,
    lo: u64,
    pub len: u8,
}

impl Key6 {
    pub fn new(addr: u128, len: u8) -> Key6 {
        Key6 {
            hi: (addr >> 64) as u64,
            lo: addr as u64,
            len,
        }
    }

    /// The address, or the prefix's first address.
    pub fn addr(&self) -> u128 {
        u128::from(self.hi) << 64 | u128::from(self.lo)
    }

    /// `2001:db8::5` for an address, `2001:db8:1ff::/56` for a prefix.
    pub fn text(&self) -> String {
        if self.len == 128 {
            Ipv6Addr::from(self.addr()).to_string()
        } else {
            format!("{}/{}", Ipv6Addr::from(self.addr()), self.len)
        }
    }
}

/// The last record of one address or prefix. Packed (64 bytes: a million
/// of them sit in the tables): times as seconds with sentinels,
/// lifetimes with presence bits, the fingerprint without 16-byte
/// alignment; read them through the methods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease6 {
    pub kind: IaKind,
    pub state: BindingState,
    /// Bit 0: `preferred-life` given; bit 1: `max-life` given.
    lives_given: u8,
    /// The IA's id in its shard's arena ([`LeaseDb6::ia_id`]), or, in a
    /// [`Record6`] not applied yet, in its part's [`PartIds`]; in summary
    /// detail none is kept.
    pub ia: u32,
    /// A 128-bit fingerprint of the IA id: what the winning rule compares
    /// (two ids that differ collide with odds of 2^-128; interning every
    /// id only to compare it cost a third of the read).
    ia_print: [u64; 2],
    /// Unix seconds; [`NEVER`] for `never`.
    ends: i64,
    /// The IA's `cltt`: Unix seconds, [`NEVER`], or [`NO_TIME`].
    cltt: i64,
    preferred_life: u32,
    max_life: u32,
    /// `set NAME = VALUE;` (encoded with [`super::lease_fields::FieldWriter::set`]); empty in
    /// summary mode.
    pub vars: Box<[u8]>,
}

/// Sentinels of the packed times (no date dhcpd writes comes near them:
/// dates are before 2038, `epoch` values at most `time::MAX_SECONDS`).
const NEVER: i64 = i64::MAX;
const NO_TIME: i64 = i64::MIN;

fn pack_time(t: LeaseTime) -> i64 {
    match t {
        LeaseTime::Never => NEVER,
        LeaseTime::At(s) => s.clamp(NO_TIME + 1, NEVER - 1),
    }
}

fn unpack_time(v: i64) -> Option<LeaseTime> {
    match v {
        NO_TIME => None,
        NEVER => Some(LeaseTime::Never),
        s => Some(LeaseTime::At(s)),
    }
}

impl Lease6 {
    pub fn new(kind: IaKind, state: BindingState, ends: LeaseTime) -> Lease6 {
        Lease6 {
            kind,
            state,
            lives_given: 0,
            ia: NO_ID,
            ia_print: [0; 2],
            ends: pack_time(ends),
            cltt: NO_TIME,
            preferred_life: 0,
            max_life: 0,
            vars: Box::default(),
        }
    }

    /// The IA: its arena index and the fingerprint of its id.
    pub(super) fn with_ia(mut self, (index, print): (u32, u128)) -> Lease6 {
        self.ia = index;
        self.ia_print = [print as u64, (print >> 64) as u64];
        self
    }

    pub(super) fn with_lives(mut self, preferred: Option<u32>, max: Option<u32>) -> Lease6 {
        self.lives_given = u8::from(preferred.is_some()) | u8::from(max.is_some()) << 1;
        self.preferred_life = preferred.unwrap_or(0);
        self.max_life = max.unwrap_or(0);
        self
    }

    pub(super) fn set_cltt(&mut self, cltt: Option<LeaseTime>) {
        self.cltt = cltt.map_or(NO_TIME, pack_time);
    }

    pub fn ends(&self) -> LeaseTime {
        unpack_time(self.ends).unwrap_or(LeaseTime::Never)
    }

    pub fn cltt(&self) -> Option<LeaseTime> {
        unpack_time(self.cltt)
    }

    pub fn preferred_life(&self) -> Option<u32> {
        (self.lives_given & 1 != 0).then_some(self.preferred_life)
    }

    pub fn max_life(&self) -> Option<u32> {
        (self.lives_given & 2 != 0).then_some(self.max_life)
    }

    /// `active` and `abandoned` hold an address against other IAs.
    fn holds(&self) -> bool {
        matches!(self.state, BindingState::Active | BindingState::Abandoned)
    }
}

/// A fast hasher for the v6 tables (addresses, prefixes, IA ids): the
/// files are dhcpd's, not an adversary's, and SipHash cost more than the
/// parse. Eight bytes at a time, multiplied.
#[derive(Default)]
pub struct Hasher6(u64);

impl std::hash::Hasher for Hasher6 {
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        for_words(bytes, |w| self.write_u64(w));
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }

    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
}

pub type Map6<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Hasher6>>;

/// The IA ids seen, each stored once in one arena (a million IAs must not
/// cost a million allocations), found by hash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct IaIds {
    text: String,
    /// (start, end) of each id in `text`.
    spans: Vec<(u32, u32)>,
    /// Hash of the text → the first id with it; `next` chains the rest.
    by_hash: Map6<u64, u32>,
    next: Vec<u32>,
}

pub(super) const NO_ID: u32 = u32::MAX;

/// Feeds `bytes` to `word` eight at a time (little-endian), then the
/// rest with its length in the top bits. The rest is gathered byte by
/// byte: a copy of a variable length is a call to `memcpy`, which cost
/// more than the hashing of a short id.
fn for_words(bytes: &[u8], mut word: impl FnMut(u64)) {
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        word(u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    let tail = rest
        .iter()
        .rev()
        .fold(0u64, |acc, &c| acc << 8 | u64::from(c));
    word(tail ^ (rest.len() as u64) << 59);
}

/// Two independent 64-bit hashes of an IA id, in one pass over it.
pub(super) fn fingerprint(id: &str) -> u128 {
    use std::hash::Hasher;
    let mut a = Hasher6(0x243F_6A88_85A3_08D3);
    let mut b = Hasher6(0x1319_8A2E_0370_7344);
    for_words(id.as_bytes(), |w| {
        a.write_u64(w);
        b.write_u64(w);
    });
    // A second, different mix for the high half.
    let hi = b.finish().wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ (id.len() as u64);
    u128::from(a.finish()) | u128::from(hi) << 64
}

impl IaIds {
    fn get(&self, i: u32) -> &str {
        self.spans
            .get(i as usize)
            .and_then(|&(a, b)| self.text.get(a as usize..b as usize))
            .unwrap_or("")
    }

    fn intern(&mut self, id: &str) -> u32 {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let h = BuildHasherDefault::<Hasher6>::default().hash_one(id);
        let mut at = self.by_hash.get(&h).copied().unwrap_or(NO_ID);
        let first = at;
        while at != NO_ID {
            if self.get(at) == id {
                return at;
            }
            at = self.next.get(at as usize).copied().unwrap_or(NO_ID);
        }
        let i = u32::try_from(self.spans.len()).unwrap_or(NO_ID - 1);
        let start = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(id);
        let end = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.spans.push((start, end));
        self.next.push(first);
        self.by_hash.insert(h, i);
        i
    }
}

/// A key a record changed, with its record before (`None`: new key).
pub type Change6 = (Key6, Option<Lease6>);

/// A record read but not applied yet: what a part of a large file read on
/// its own thread hands over, to be applied in file order. In full
/// detail `lease.ia` is the index of its IA's id in the part's
/// [`PartIds`] until it is applied.
pub struct Record6 {
    pub key: Key6,
    pub lease: Lease6,
}

/// The IA ids of a part's records (full detail), each IA's once: its
/// records follow each other, and a million small strings must not cost
/// a million allocations.
#[derive(Debug, Default)]
pub struct PartIds {
    text: String,
    /// (start, end) of each id in `text`.
    spans: Vec<(u32, u32)>,
}

impl PartIds {
    /// The index of `id`: the last one's again if it is the same.
    pub fn index(&mut self, id: &str) -> u32 {
        let last = self.spans.len().checked_sub(1);
        if let Some(i) = last.filter(|&i| self.get(i as u32) == Some(id)) {
            return i as u32;
        }
        let start = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(id);
        let end = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.spans.push((start, end));
        u32::try_from(self.spans.len() - 1).unwrap_or(NO_ID - 1)
    }

    /// The id at `index` (`None` for no id: summary detail).
    pub fn get(&self, index: u32) -> Option<&str> {
        let &(a, b) = self.spans.get(index as usize)?;
        self.text.get(a as usize..b as usize)
    }
}

/// How many shards: a power of two. 256 keeps a shard of a million-entry
/// database near 400 KiB, and costs an empty database a few KiB.
pub const SHARDS: usize = 256;

/// The shard of a key: a multiplicative hash, taking different bits (and
/// a different constant) from the tables' own [`Hasher6`], so the keys of
/// one shard still spread over its table.
pub fn shard_of(key: &Key6) -> usize {
    let mixed =
        (key.hi ^ key.lo.rotate_left(29) ^ u64::from(key.len)).wrapping_mul(0xA076_1D64_78BD_642F);
    (mixed >> (64 - SHARDS.trailing_zeros())) as usize
}

/// One shard: its records and the ids of their IAs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shard6 {
    leases: Map6<Key6, Lease6>,
    /// Each IA's IAID+DUID as written (the text between the quotes, or
    /// the hex list), full detail only.
    ia_ids: IaIds,
    /// Records applied (won or not).
    records: u64,
}

impl Shard6 {
    /// Applies a record (SPEC §2.4): the newest wins, except that an
    /// inactive record of another IA leaves an `active` or `abandoned`
    /// one in place. `id` (full detail) joins the shard's arena. Returns
    /// `None` if the record lost, else the record it replaced, if any.
    pub fn apply(
        &mut self,
        key: Key6,
        mut lease: Lease6,
        id: Option<&str>,
    ) -> Option<Option<Lease6>> {
        use std::collections::hash_map::Entry;
        self.records += 1;
        if let Some(id) = id {
            lease.ia = self.ia_ids.intern(id);
        }
        // One lookup per record.
        match self.leases.entry(key) {
            Entry::Occupied(mut slot) => {
                let old = slot.get();
                let inactive = matches!(
                    lease.state,
                    BindingState::Expired | BindingState::Released | BindingState::Free
                );
                if old.ia_print != lease.ia_print && old.holds() && inactive {
                    return None;
                }
                Some(Some(slot.insert(lease)))
            }
            Entry::Vacant(slot) => {
                slot.insert(lease);
                Some(None)
            }
        }
    }

    /// Applies records of this shard, in their order.
    pub fn apply_records(&mut self, records: Vec<Record6>, ids: &PartIds) {
        for r in records {
            let id = ids.get(r.lease.ia);
            self.apply(r.key, r.lease, id);
        }
    }
}

/// The v6 lease database: the winning record per address or prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseDb6 {
    /// [`SHARDS`] shards; a key lives in shard [`shard_of`].
    shards: Vec<Shard6>,
    /// `lease` blocks: a DHCPv4 lease file given as the v6 one.
    pub v4_entries: u64,
    /// While on: each address or prefix a record changed, with its record
    /// before (for the report to update itself after an append).
    journal: Option<Vec<Change6>>,
}

impl Default for LeaseDb6 {
    fn default() -> LeaseDb6 {
        LeaseDb6 {
            shards: vec![Shard6::default(); SHARDS],
            v4_entries: 0,
            journal: None,
        }
    }
}

impl LeaseDb6 {
    fn shard(&self, key: &Key6) -> Option<&Shard6> {
        self.shards.get(shard_of(key))
    }

    /// The winning record of an address or prefix.
    pub fn get(&self, key: &Key6) -> Option<&Lease6> {
        self.shard(key)?.leases.get(key)
    }

    pub fn contains_key(&self, key: &Key6) -> bool {
        self.get(key).is_some()
    }

    /// Addresses and prefixes with a record.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.leases.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every address or prefix with its record, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key6, &Lease6)> {
        self.shards.iter().flat_map(|s| s.leases.iter())
    }

    /// The records of each shard (to walk them on several threads).
    pub fn shard_tables(&self) -> impl Iterator<Item = &Map6<Key6, Lease6>> {
        self.shards.iter().map(|s| &s.leases)
    }

    /// The shards, to apply their records on several threads.
    pub fn shards_mut(&mut self) -> &mut [Shard6] {
        &mut self.shards
    }

    /// Records applied (entries of complete IAs).
    pub fn records(&self) -> u64 {
        self.shards.iter().map(|s| s.records).sum()
    }

    /// The IAID+DUID of the IA of a key's record, as written (full
    /// detail; empty in summary detail).
    pub fn ia_id(&self, key: &Key6, lease: &Lease6) -> &str {
        self.shard(key).map_or("", |s| s.ia_ids.get(lease.ia))
    }

    /// Applies one record ([`Shard6::apply`]), noting the change in the
    /// journal when it is on.
    pub fn apply(&mut self, key: Key6, lease: Lease6, id: Option<&str>) {
        let Some(shard) = self.shards.get_mut(shard_of(&key)) else {
            return;
        };
        if let (Some(before), Some(journal)) = (shard.apply(key, lease, id), self.journal.as_mut())
        {
            journal.push((key, before));
        }
    }

    /// Starts noting what records change ([`LeaseDb6::take_journal`]).
    pub fn start_journal(&mut self) {
        self.journal = Some(Vec::new());
    }

    /// What changed since [`LeaseDb6::start_journal`], in order: each key
    /// with its record before that change; the journal stops.
    pub fn take_journal(&mut self) -> Vec<Change6> {
        self.journal.take().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dhcpd hands out prefixes in sequence and random addresses in one
    /// /64: both must spread over every shard, or one shard's table gets
    /// the cache misses the shards are there to avoid.
    #[test]
    fn keys_spread_over_the_shards() {
        let prefixes = (0..100_000u128).map(|i| Key6::new(0x2001_0db8_u128 << 96 | i << 72, 56));
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let addresses = (0..100_000).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Key6::new(0x2001_0db8_0001_0002_u128 << 64 | u128::from(x), 128)
        });
        let sequential = (0..100_000u128).map(|i| Key6::new(0x2001_0db8_u128 << 96 | i, 128));
        for (what, keys) in [
            ("prefixes", prefixes.collect::<Vec<_>>()),
            ("addresses", addresses.collect()),
            ("sequential", sequential.collect()),
        ] {
            let mut per = vec![0usize; SHARDS];
            for k in &keys {
                per[shard_of(k)] += 1;
            }
            let mean = keys.len() / SHARDS;
            let (lo, hi) = (per.iter().min().unwrap(), per.iter().max().unwrap());
            assert!(
                *lo > mean / 2 && *hi < mean * 3 / 2,
                "{what}: {lo}..{hi}, mean {mean}"
            );
        }
    }

    /// A key's shard is the one that holds it, and the winning rule is
    /// the same applied through the database or through its shard.
    #[test]
    fn a_key_lives_in_its_shard() {
        let mut db = LeaseDb6::default();
        let key = Key6::new(0x2001_0db8 << 96 | 5, 128);
        let active = Lease6::new(IaKind::Na, BindingState::Active, LeaseTime::Never)
            .with_ia((NO_ID, fingerprint("a")));
        let other_expired = Lease6::new(IaKind::Na, BindingState::Expired, LeaseTime::At(0))
            .with_ia((NO_ID, fingerprint("b")));
        db.apply(key, active.clone(), Some("a"));
        db.apply(key, other_expired, Some("b"));
        assert_eq!(db.get(&key).map(|l| l.state), Some(BindingState::Active));
        assert_eq!(db.ia_id(&key, db.get(&key).unwrap()), "a");
        assert_eq!((db.len(), db.records()), (1, 2));
        let holding: Vec<usize> = db
            .shard_tables()
            .enumerate()
            .filter(|(_, t)| t.contains_key(&key))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(holding, vec![shard_of(&key)]);
    }

    /// An IA's records share its id's index; summary records (no index)
    /// name no id.
    #[test]
    fn part_ids_keep_each_ia_once() {
        let mut ids = PartIds::default();
        let a = ids.index("\\001a");
        assert_eq!(ids.index("\\001a"), a);
        let b = ids.index("0a:01");
        assert_ne!(a, b);
        assert_eq!((ids.get(a), ids.get(b)), (Some("\\001a"), Some("0a:01")));
        assert_eq!(ids.get(NO_ID), None);
    }

    /// The words of a byte string: eight bytes little-endian, then the
    /// rest zero-padded with its length in the top bits.
    #[test]
    fn words_of_any_length() {
        let bytes: Vec<u8> = (1..=20).collect();
        for n in 0..=bytes.len() {
            let mut got = Vec::new();
            for_words(&bytes[..n], |w| got.push(w));
            let mut want = Vec::new();
            for chunk in bytes[..n].chunks(8) {
                let mut w = [0u8; 8];
                w[..chunk.len()].copy_from_slice(chunk);
                want.push(u64::from_le_bytes(w));
            }
            if n % 8 == 0 {
                want.push(0);
            }
            let last = want.last_mut().unwrap();
            *last ^= ((n % 8) as u64) << 59;
            assert_eq!(got, want, "{n} bytes");
        }
        assert_ne!(fingerprint("a"), fingerprint("a\0"));
    }
}
