//! The `dhcpd.leases` parser (GRAMMAR §3-4): an append log in which the
//! last block for an address wins entirely.
//!
//! [`LeaseParser`] is fed the file in pieces ([`LeaseParser::feed`]) and
//! keeps its state between calls, so the cache can hand it only the bytes
//! appended since the last read. A feed consumes whole top-level items and
//! reports how far it got; the caller keeps the rest (a block cut by the
//! end of what has been read so far) and presents it again with more bytes.
//! A block still incomplete at the end of the file is dhcpd being mid-write:
//! it is not applied and is not an error ([`Feed::incomplete_tail`]).
//!
//! Recovery: a problem inside a block discards that block only (the
//! previous block for the address stays in effect) and reading resumes at
//! the next top-level keyword in column 0 — dhcpd's writer puts every
//! top-level keyword there, so this is where a damaged file gets back in
//! step, even when a `}` or a closing quote is missing. Three kinds of
//! problems keep the lease instead: an unreadable time (the field is
//! dropped), an unknown statement (skipped with a warning), and an
//! oversized value (dropped).
//!
//! Diagnostics of an item are held back until the item is complete, so a
//! block re-read after more bytes arrived is never reported twice.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::Ipv4Addr;
use std::sync::Arc;

use super::conf::{Hardware, Host, Origin};
use super::cursor::Cursor;
use super::field_store::FieldStore;
use super::lease_fields::{BindingState, FieldWriter};
use super::lexer::{Kind, Mode, Token, eq_ci, unescape};
use super::time::{LeaseTime, read_lease_time};
use super::values::{hex_colon, read_address_or_name, read_dotted_name, read_hex_list, read_ipv4};
use crate::diag::{Diagnostic, Diagnostics, Severity};

/// Fast-path blocks inserted together (see `LeaseParser::pending`).
const PENDING_INSERTS: usize = 32;

pub use super::Detail;

/// A single block larger than this (8 MiB) is treated as corrupt: dhcpd
/// writes blocks of a few hundred bytes, and the reader must be able to
/// hold one whole block in memory.
pub const MAX_BLOCK: usize = 8 * 1024 * 1024;

/// The winning (last) block for one address: its binding state and end,
/// packed into 8 bytes with 4-byte alignment (a map entry with its key is
/// 12 bytes) because a file may hold a million of them. The other fields
/// live in [`LeaseDb::fields`] ([`Detail::Full`] only).
///
/// Layout of the 64 bits: `ends` in Unix seconds as a signed 40-bit number
/// (±17 000 years; the two extremes mean "never" and "unknown"), then the
/// [`BindingState`] code in 8 bits (a reserved code: none written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    bits: [u32; 2],
}

const ENDS_BITS: u32 = 40;
const ENDS_NEVER: i64 = (1 << (ENDS_BITS - 1)) - 1;
const ENDS_UNKNOWN: i64 = -(1 << (ENDS_BITS - 1));
const NO_STATE: u8 = u8::MAX;

impl Lease {
    pub fn new(state: Option<BindingState>, ends: Option<LeaseTime>) -> Lease {
        let ends = match ends {
            None => ENDS_UNKNOWN,
            Some(LeaseTime::Never) => ENDS_NEVER,
            // Lease times are at most year 9999 plus two days of offset,
            // far inside 40 bits; clamping only guards the sentinels.
            Some(LeaseTime::At(t)) => t.clamp(ENDS_UNKNOWN + 1, ENDS_NEVER - 1),
        };
        let state = state.map_or(NO_STATE, BindingState::code);
        let packed = (ends as u64 & ((1 << ENDS_BITS) - 1)) | (u64::from(state) << ENDS_BITS);
        Lease {
            bits: [packed as u32, (packed >> 32) as u32],
        }
    }

    fn packed(&self) -> u64 {
        u64::from(self.bits[0]) | (u64::from(self.bits[1]) << 32)
    }

    /// `None` when the block has no `binding state` (old writers); the
    /// report derives it from `ends`, as dhcpd does.
    pub fn state(&self) -> Option<BindingState> {
        BindingState::from_code((self.packed() >> ENDS_BITS) as u8)
    }

    /// `None` when absent or unreadable.
    pub fn ends(&self) -> Option<LeaseTime> {
        // Sign-extend the low 40 bits.
        let shift = 64 - ENDS_BITS;
        match ((self.packed() << shift) as i64) >> shift {
            ENDS_UNKNOWN => None,
            ENDS_NEVER => Some(LeaseTime::Never),
            t => Some(LeaseTime::At(t)),
        }
    }
}

/// What a block said, while it is being read.
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockState {
    pub state: Option<BindingState>,
    pub ends: Option<LeaseTime>,
}

/// A host as the lease file last described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostEntry {
    /// Created or changed through OMAPI.
    Declared(Box<Host>),
    /// `host NAME { deleted; }`: removes the host, also one of dhcpd.conf.
    Deleted,
}

/// A fast hasher for IPv4 keys. Lease files are written by dhcpd (or the
/// administrator), not by an adversary, so a multiplicative hash is enough
/// and avoids SipHash costing more than the parse.
///
/// The product's high bits depend on every bit of the key, but hashbrown
/// picks buckets with the low bits: `finish` rotates the high bits down,
/// or addresses sharing their low bits (10.1.0.5, 10.17.0.5; every /16
/// network address) would all land in the same buckets.
#[derive(Default, Clone, Copy)]
pub struct AddrHasher(u64);

const HASH_K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(HASH_K);
        }
    }

    fn write_u32(&mut self, v: u32) {
        self.0 = (self.0 ^ u64::from(v)).wrapping_mul(HASH_K);
    }
}

pub type AddrMap<V> = HashMap<u32, V, BuildHasherDefault<AddrHasher>>;

/// Everything the lease file says, as of the bytes read so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseDb {
    /// Address (as `u32`) → its last complete, valid block.
    pub leases: AddrMap<Lease>,
    /// Address → the encoded fields of that block
    /// ([`super::lease_fields::Fields`]); empty in [`Detail::Summary`].
    pub fields: FieldStore,
    /// OMAPI hosts by name, in order of first appearance.
    hosts: Vec<(String, HostEntry)>,
    host_index: HashMap<String, usize>,
    /// Lease blocks applied (not counting discarded ones).
    pub lease_blocks: u64,
    /// IPv6 entries (`ia-na`, `ia-ta`, `ia-pd`) seen and skipped.
    pub ipv6_entries: u64,
}

impl LeaseDb {
    pub fn hosts(&self) -> impl Iterator<Item = (&str, &HostEntry)> {
        self.hosts.iter().map(|(n, e)| (n.as_str(), e))
    }

    fn set_host(&mut self, name: String, entry: HostEntry) {
        match self.host_index.get(&name) {
            Some(&i) => {
                if let Some(slot) = self.hosts.get_mut(i) {
                    slot.1 = entry;
                }
            }
            None => {
                self.host_index.insert(name.clone(), self.hosts.len());
                self.hosts.push((name, entry));
            }
        }
    }

    /// Records the winning block of an address.
    pub fn insert(&mut self, addr: u32, block: BlockState, fields: Option<&[u8]>) {
        self.leases
            .insert(addr, Lease::new(block.state, block.ends));
        if let Some(f) = fields {
            self.fields.insert(addr, f);
        }
        self.lease_blocks += 1;
    }

    /// Adds `lines` to the recorded position of every host entry (they
    /// were read from a part of a file that did not start at line 1).
    pub fn shift_lines(&mut self, lines: u32) {
        for (_, entry) in &mut self.hosts {
            if let HostEntry::Declared(h) = entry {
                h.origin.line = h.origin.line.saturating_add(lines);
            }
        }
    }

    /// Applies `later` (parsed from bytes that follow ours) on top of this
    /// database: its blocks win, exactly as if read in one pass.
    pub fn merge_later(&mut self, later: LeaseDb) {
        self.merge(later, None);
    }

    /// [`LeaseDb::merge_later`] for appended bytes, also saying what
    /// changed, so that a report can be brought up to date without
    /// walking the whole table.
    pub fn merge_appended(&mut self, later: LeaseDb) -> Appended {
        let mut changes = Vec::with_capacity(later.leases.len());
        let hosts_changed = !later.hosts.is_empty();
        self.merge(later, Some(&mut changes));
        Appended {
            changes,
            hosts_changed,
        }
    }

    fn merge(&mut self, later: LeaseDb, mut changes: Option<&mut Vec<LeaseChange>>) {
        // Insert one by one rather than `extend`: `extend` reserves room
        // for half of `later` up front, but later parts and appended
        // blocks mostly repeat addresses already here, so that reserve
        // would rehash into a table twice as large for nothing (peak
        // memory of the parallel read, and a stall on a small append).
        for (addr, after) in later.leases {
            let before = self.leases.insert(addr, after);
            if let Some(changes) = changes.as_deref_mut() {
                changes.push(LeaseChange {
                    addr,
                    before,
                    after,
                });
            }
        }
        self.fields.merge_later(later.fields);
        for (name, entry) in later.hosts {
            self.set_host(name, entry);
        }
        self.lease_blocks += later.lease_blocks;
        self.ipv6_entries += later.ipv6_entries;
    }
}

/// The winning block of one address, before and after a merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseChange {
    pub addr: u32,
    /// `None`: the address had no lease before.
    pub before: Option<Lease>,
    pub after: Lease,
}

/// What merging appended bytes changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Appended {
    /// One entry per address written in the appended bytes.
    pub changes: Vec<LeaseChange>,
    /// The appended bytes declared or deleted OMAPI hosts (statics change).
    pub hosts_changed: bool,
}

/// The result of one [`LeaseParser::feed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feed {
    /// Bytes fully processed; the caller presents the rest again later.
    pub consumed: usize,
    /// At the end of the input, the unconsumed rest is the beginning of a
    /// block that was not finished (dhcpd writing, or a crash).
    pub incomplete_tail: bool,
}

/// Top-level keywords, all written in column 0 by dhcpd: where reading
/// gets back in step after damage.
const TOP_LEVEL: [&str; 11] = [
    "lease",
    "host",
    "group",
    "class",
    "subclass",
    "failover",
    "server-duid",
    "authoring-byte-order",
    "ia-na",
    "ia-ta",
    "ia-pd",
];

/// What became of one top-level item.
enum Outcome {
    /// Processed (applied or deliberately skipped); continue at the offset.
    Done(usize),
    /// Damaged: continue by looking for the next column-0 keyword from the
    /// offset.
    Broken(usize),
    /// The item continues past the bytes available.
    NeedMore,
}

/// A field-level result: `Err` ends the block with that outcome.
type Step = Result<(), Outcome>;

/// A run of damaged bytes being passed over.
#[derive(Clone, Copy, Debug)]
struct Skip {
    line: u32,
    col: u32,
    bytes: u64,
    nul: u64,
}

/// Skips at least this long (4 KiB) are reported with their length: a
/// damaged block is a few hundred bytes, a hole left by a crash or power
/// loss (NUL bytes) is far longer, and the operator wants to know how
/// much was lost.
const SKIP_REPORT_MIN: u64 = 4096;

/// The longest top-level keyword (`authoring-byte-order`): a partial line
/// longer than this cannot be the beginning of one.
const LONGEST_KEYWORD: usize = 20;

#[derive(Clone)]
pub struct LeaseParser {
    detail: Detail,
    file: Arc<str>,
    /// Position in the file of the next byte to be fed.
    line: u32,
    col: u32,
    /// Looking for the next column-0 keyword after damage.
    skipping: bool,
    /// The skip in progress: where it began, bytes passed over so far and
    /// how many of them were NUL (see [`LeaseParser::end_skip`]).
    skip: Option<Skip>,
    /// The bytes fed last ended inside a comment: the next feed starts by
    /// passing over the rest of its line.
    in_comment: bool,
    db: LeaseDb,
    writer: FieldWriter,
    /// Diagnostics of the item being read (see module docs).
    held: Vec<Diagnostic>,
    /// Read canonical blocks with [`super::lease_fast`] (on by default;
    /// off only to test that both paths agree).
    fast_path: bool,
    /// Buffers and memory of the fast path.
    scratch: super::lease_fast::Scratch,
    /// Blocks read by the fast path, inserted in batches: a run of
    /// independent inserts lets the processor wait for several cache
    /// misses of the (large, randomly accessed) tables at once. With each
    /// the span of its encoded fields in `pending_fields` (full detail).
    pending: Vec<(u32, Lease, std::ops::Range<usize>)>,
    pending_fields: Vec<u8>,
}

impl LeaseParser {
    pub fn new(file: Arc<str>, detail: Detail) -> LeaseParser {
        LeaseParser {
            detail,
            file,
            line: 1,
            col: 1,
            skipping: false,
            skip: None,
            in_comment: false,
            db: LeaseDb::default(),
            writer: FieldWriter::new(),
            held: Vec::new(),
            fast_path: true,
            scratch: super::lease_fast::Scratch::default(),
            pending: Vec::with_capacity(PENDING_INSERTS),
            pending_fields: Vec::new(),
        }
    }

    /// Turns the canonical fast path off or on. Results are the same
    /// either way; tests compare them.
    pub fn set_fast_path(&mut self, on: bool) {
        self.fast_path = on;
    }

    pub fn detail(&self) -> Detail {
        self.detail
    }

    pub fn db(&self) -> &LeaseDb {
        &self.db
    }

    pub fn into_db(self) -> LeaseDb {
        self.db
    }

    /// Like [`LeaseParser::feed`], but applies the items to `db` (owned by
    /// the caller, e.g. behind an `Arc` shared with readers) instead of the
    /// parser's own database.
    pub fn feed_into(
        &mut self,
        db: &mut LeaseDb,
        buf: &[u8],
        at_end: bool,
        diags: &mut Diagnostics,
    ) -> Feed {
        self.db = std::mem::take(db);
        let feed = self.feed(buf, at_end, diags);
        *db = std::mem::take(&mut self.db);
        feed
    }

    /// Moves the parser's idea of where it is by `lines` (a part of a
    /// file parsed before the lines above it were counted).
    pub fn shift_lines(&mut self, lines: u32) {
        self.line = self.line.saturating_add(lines);
    }

    /// Line and column of the next byte to be fed.
    pub fn position(&self) -> (u32, u32) {
        (self.line, self.col)
    }

    /// Parses the complete items at the start of `buf`. `at_end` says that
    /// no byte follows `buf` (for now).
    pub fn feed(&mut self, buf: &[u8], at_end: bool, diags: &mut Diagnostics) -> Feed {
        let mut cur = Cursor::at(buf, 0, Mode::Leases, self.file.clone(), self.line, self.col);
        let mut pos = 0;
        let mut incomplete_tail = false;
        if self.in_comment {
            // The rest of a comment line begun in the previous bytes.
            match memchr::memchr(b'\n', buf) {
                Some(nl) => {
                    pos = nl + 1;
                    self.in_comment = false;
                }
                None => pos = buf.len(),
            }
        }
        loop {
            if self.skipping {
                match self.find_resync(buf, pos) {
                    Some(p) => {
                        self.skipped(buf, pos, p);
                        self.end_skip(true, diags);
                        pos = p;
                        self.skipping = false;
                    }
                    None if at_end => {
                        self.skipped(buf, pos, buf.len());
                        self.end_skip(false, diags);
                        pos = buf.len();
                        self.skipping = false;
                        break;
                    }
                    None => {
                        // Keep only what may be the start of a keyword: a
                        // short last partial line that begins a line. The
                        // rest is passed over now, so the caller's buffer
                        // never grows while a hole of any size is skipped.
                        let line_start =
                            match buf.get(pos..).and_then(|rest| memchr::memrchr(b'\n', rest)) {
                                Some(i) => Some(pos + i + 1),
                                None => self.at_column0(buf, pos).then_some(pos),
                            };
                        let keep_from = line_start
                            .filter(|&ls| buf.len() - ls <= LONGEST_KEYWORD)
                            .unwrap_or(buf.len());
                        self.skipped(buf, pos, keep_from);
                        pos = keep_from;
                        break;
                    }
                }
                if pos >= buf.len() {
                    break;
                }
            }
            // Most items are canonical lease blocks right after a newline:
            // try the fast path before setting up the tokenizer.
            if self.fast_path {
                let at = pos
                    + buf.get(pos..).map_or(0, |r| {
                        r.iter().take_while(|b| b.is_ascii_whitespace()).count()
                    });
                if let Some((addr, block, end)) = self.try_fast(buf, at) {
                    let start = self.pending_fields.len();
                    if self.detail == Detail::Full {
                        self.pending_fields
                            .extend_from_slice(self.writer.as_bytes());
                    }
                    let fields = start..self.pending_fields.len();
                    self.pending
                        .push((addr, Lease::new(block.state, block.ends), fields));
                    if self.pending.len() == PENDING_INSERTS {
                        self.insert_pending();
                    }
                    pos = end;
                    continue;
                }
                self.insert_pending();
            }
            cur.seek(pos);
            let first = cur.peek();
            if first.kind == Kind::Eof {
                // Only whitespace and comments are left: all of it is
                // consumed (a line of any length costs no memory). A
                // comment cut by the end of the buffer continues in the
                // next bytes, which then start by finishing its line.
                if !at_end {
                    let rest = buf.get(pos..).unwrap_or_default();
                    self.in_comment = match memchr::memrchr(b'\n', rest) {
                        Some(i) => rest.get(i + 1..).unwrap_or_default().contains(&b'#'),
                        // Still on the line where we were: in a comment if
                        // we were in one already (these bytes only
                        // continued it) or one starts here.
                        None => self.in_comment || rest.contains(&b'#'),
                    };
                }
                pos = buf.len();
                break;
            }
            let start = first.pos();
            match self.item(&mut cur, buf) {
                Outcome::Done(next) => {
                    self.flush(diags);
                    pos = next.max(start + 1);
                }
                Outcome::Broken(at) => {
                    self.flush(diags);
                    pos = at.max(start + 1);
                    self.begin_skip(&cur, start);
                    self.skipped(buf, start, pos);
                }
                Outcome::NeedMore => {
                    self.held.clear();
                    if buf.len() - start > MAX_BLOCK {
                        diags.push(cur.diag(
                            start,
                            Severity::Error,
                            format!("block is larger than {} MiB; skipped", MAX_BLOCK >> 20),
                        ));
                        pos = start + 1;
                        self.begin_skip(&cur, start);
                        self.skipped(buf, start, pos);
                        continue;
                    }
                    pos = start;
                    incomplete_tail = at_end;
                    break;
                }
            }
        }
        self.insert_pending();
        let consumed = pos.min(buf.len());
        self.advance_position(buf.get(..consumed).unwrap_or_default());
        Feed {
            consumed,
            incomplete_tail,
        }
    }

    /// The bytes fed so far end a part of a larger file cut just before a
    /// column-0 `lease` (see `inputs::read_lease_file`): a skip in
    /// progress ends there, as it would in one pass.
    pub fn end_of_part(&mut self, diags: &mut Diagnostics) {
        if self.skipping {
            self.skipping = false;
            self.end_skip(true, diags);
        }
    }

    /// Starts passing over damaged bytes, from the start `at` of the item
    /// they made unusable to the next column-0 keyword.
    fn begin_skip(&mut self, cur: &Cursor<'_>, at: usize) {
        let (line, col) = cur.line_col(at);
        self.skipping = true;
        self.skip = Some(Skip {
            line,
            col,
            bytes: 0,
            nul: 0,
        });
    }

    /// Counts `buf[from..to]` as skipped.
    fn skipped(&mut self, buf: &[u8], from: usize, to: usize) {
        if let (Some(skip), Some(span)) = (self.skip.as_mut(), buf.get(from..to)) {
            skip.bytes += span.len() as u64;
            skip.nul += span.iter().filter(|&&b| b == 0).count() as u64;
        }
    }

    /// Ends a skip at the next entry (`resumed`) or the end of the file,
    /// saying where it began and how long it was when that is more than a
    /// block.
    fn end_skip(&mut self, resumed: bool, diags: &mut Diagnostics) {
        let Some(skip) = self.skip.take() else {
            return;
        };
        if skip.bytes < SKIP_REPORT_MIN {
            return;
        }
        let until = if resumed {
            "the next entry"
        } else {
            "the end of the file"
        };
        let what = if skip.nul == skip.bytes {
            " (all NUL bytes: a hole such as a crash or power loss leaves)".to_string()
        } else if skip.nul > 0 {
            format!(" ({} of them NUL bytes)", skip.nul)
        } else {
            String::new()
        };
        diags.push(Diagnostic {
            file: self.file.clone(),
            line: skip.line,
            col: skip.col,
            severity: Severity::Warning,
            message: format!(
                "{} bytes of damaged data skipped from here to {until}{what}",
                skip.bytes
            ),
        });
    }

    /// Applies the blocks read by the fast path but not inserted yet.
    fn insert_pending(&mut self) {
        for (addr, lease, _) in &self.pending {
            self.db.leases.insert(*addr, *lease);
        }
        if self.detail == Detail::Full {
            for (addr, _, fields) in &self.pending {
                let bytes = self.pending_fields.get(fields.clone()).unwrap_or_default();
                self.db.fields.insert(*addr, bytes);
            }
        }
        self.db.lease_blocks += self.pending.len() as u64;
        self.pending.clear();
        self.pending_fields.clear();
    }

    /// The canonical fast path for a block starting at `at`, if it is one.
    fn try_fast(&mut self, buf: &[u8], at: usize) -> Option<(u32, BlockState, usize)> {
        if buf.get(at..at + 6) != Some(b"lease ") {
            return None;
        }
        let full = self.detail == Detail::Full;
        super::lease_fast::canonical_lease(buf, at, full, &mut self.writer, &mut self.scratch)
    }

    fn advance_position(&mut self, consumed: &[u8]) {
        let newlines = memchr::memchr_iter(b'\n', consumed).count();
        match memchr::memrchr(b'\n', consumed) {
            None => self.col = self.col.saturating_add(consumed.len() as u32),
            Some(last) => {
                self.line = self.line.saturating_add(newlines as u32);
                self.col = (consumed.len() - last) as u32;
            }
        }
    }

    fn flush(&mut self, diags: &mut Diagnostics) {
        for d in self.held.drain(..) {
            diags.push(d);
        }
    }

    fn hold(&mut self, cur: &Cursor<'_>, at: usize, severity: Severity, message: String) {
        self.held.push(cur.diag(at, severity, message));
    }

    /// Reports a damaged item, unless the "damage" is only the end of the
    /// bytes read so far.
    fn broken(&mut self, cur: &Cursor<'_>, at: usize, message: String) -> Outcome {
        if cur.saw_eof() {
            return Outcome::NeedMore;
        }
        self.hold(cur, at, Severity::Error, message);
        Outcome::Broken(at)
    }

    fn at_column0(&self, buf: &[u8], p: usize) -> bool {
        match p.checked_sub(1) {
            None => self.col == 1,
            Some(i) => buf.get(i) == Some(&b'\n'),
        }
    }

    /// Is a top-level keyword, followed by a delimiter, at `p`?
    fn keyword_at(buf: &[u8], p: usize) -> bool {
        let rest = buf.get(p..).unwrap_or_default();
        TOP_LEVEL.iter().any(|kw| {
            rest.len() > kw.len()
                && rest.get(..kw.len()).is_some_and(|w| eq_ci(w, kw))
                && rest.get(kw.len()).is_some_and(|&b| {
                    matches!(b, b' ' | b'\t' | b'{' | b';' | b'"' | b'\r' | b'\n')
                })
        })
    }

    /// Is token `t` a top-level keyword in column 0 (so a block that is
    /// still open at this point lost its `}`)?
    fn is_column0_keyword(&self, buf: &[u8], t: Token) -> bool {
        t.kind == Kind::Word && self.at_column0(buf, t.start) && Self::keyword_at(buf, t.start)
    }

    /// The next column-0 keyword at or after `from`.
    fn find_resync(&self, buf: &[u8], from: usize) -> Option<usize> {
        if self.at_column0(buf, from) && Self::keyword_at(buf, from) {
            return Some(from);
        }
        let mut p = from;
        while let Some(i) = buf
            .get(p..)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
        {
            let line = p + i + 1;
            if Self::keyword_at(buf, line) {
                return Some(line);
            }
            p = line;
        }
        None
    }

    fn item(&mut self, cur: &mut Cursor<'_>, buf: &[u8]) -> Outcome {
        let t = cur.bump();
        match t.kind {
            Kind::Word => {
                let word = cur.text(t).to_ascii_lowercase();
                match word.as_slice() {
                    b"lease" => self.lease(cur, buf, t),
                    b"host" => self.host(cur, buf, t),
                    b"ia-na" | b"ia-ta" | b"ia-pd" => {
                        let out = self.skip_item(cur, buf, t);
                        if matches!(out, Outcome::Done(_)) {
                            self.db.ipv6_entries += 1;
                        }
                        out
                    }
                    _ if TOP_LEVEL.iter().any(|k| eq_ci(&word, k)) => self.skip_item(cur, buf, t),
                    _ => {
                        if cur.saw_eof() {
                            return Outcome::NeedMore;
                        }
                        let shown = cur.describe(t);
                        self.hold(
                            cur,
                            t.pos(),
                            Severity::Warning,
                            format!("unknown top-level statement {shown} in lease file; skipped up to the next lease"),
                        );
                        Outcome::Broken(t.end)
                    }
                }
            }
            Kind::Punct(b'}') => {
                self.hold(
                    cur,
                    t.pos(),
                    Severity::Warning,
                    "stray '}' between blocks; ignored".to_string(),
                );
                Outcome::Done(t.end)
            }
            Kind::Eof => Outcome::NeedMore,
            _ => {
                self.hold(
                    cur,
                    t.pos(),
                    Severity::Warning,
                    format!(
                        "unreadable data ({}) in lease file; skipped up to the next lease",
                        cur.describe(t)
                    ),
                );
                Outcome::Broken(t.end)
            }
        }
    }

    /// Skips a whole top-level item we do not use: up to its `;`, or
    /// through its `{ … }`.
    fn skip_item(&mut self, cur: &mut Cursor<'_>, buf: &[u8], kw: Token) -> Outcome {
        let mut depth: usize = 0;
        loop {
            let t = cur.bump();
            match t.kind {
                Kind::Eof => return Outcome::NeedMore,
                Kind::Punct(b';') if depth == 0 => return Outcome::Done(cur.prev_end()),
                Kind::Punct(b'{') => depth += 1,
                Kind::Punct(b'}') => {
                    if depth <= 1 {
                        return Outcome::Done(cur.prev_end());
                    }
                    depth -= 1;
                }
                Kind::Word if self.is_column0_keyword(buf, t) => {
                    let what = String::from_utf8_lossy(cur.text(kw)).into_owned();
                    return self.broken(
                        cur,
                        t.pos(),
                        format!(
                            "{what} entry is not closed before the next top-level entry; skipped"
                        ),
                    );
                }
                _ => {}
            }
        }
    }

    /// Reads the `;` that ends a field.
    fn semicolon(&mut self, cur: &mut Cursor<'_>, what: &str) -> Step {
        let t = cur.peek();
        if t.is_punct(b';') {
            cur.bump();
            return Ok(());
        }
        let message = format!(
            "expected ';' after {what}, found {}; block skipped",
            cur.describe(t)
        );
        Err(self.broken(cur, t.pos(), message))
    }

    /// Skips an unusable statement inside a block, keeping the block.
    fn skip_field(&mut self, cur: &mut Cursor<'_>) -> Step {
        cur.skip_statement();
        if cur.saw_eof() {
            Err(Outcome::NeedMore)
        } else {
            Ok(())
        }
    }

    /// A quoted string's raw text, or `None` (reported) if unusable.
    fn string_token(&mut self, cur: &mut Cursor<'_>, what: &str) -> Result<Option<Token>, Outcome> {
        let t = cur.bump();
        if t.kind != Kind::Str {
            let message = format!(
                "{what} needs a quoted string, found {}; block skipped",
                cur.describe(t)
            );
            return Err(self.broken(cur, t.pos(), message));
        }
        if t.unterminated {
            let message =
                "unterminated string: the closing '\"' is missing on this line; block skipped"
                    .to_string();
            return Err(self.broken(cur, t.pos(), message));
        }
        if t.too_long() {
            self.hold(
                cur,
                t.pos(),
                Severity::Error,
                format!("{what} is longer than 64 KiB; value dropped"),
            );
            self.skip_field(cur)?;
            return Ok(None);
        }
        Ok(Some(t))
    }

    /// The raw text of everything up to the `;` (for unquoted `set` and
    /// option values: "their text"), and the `;`.
    fn raw_value<'b>(&mut self, cur: &mut Cursor<'b>, what: &str) -> Result<&'b [u8], Outcome> {
        let start = cur.peek().pos();
        loop {
            let t = cur.peek();
            match t.kind {
                Kind::Punct(b';') => break,
                Kind::Eof => return Err(Outcome::NeedMore),
                Kind::Str if t.unterminated => {
                    let message = "unterminated string: the closing '\"' is missing on this line; block skipped".to_string();
                    return Err(self.broken(cur, t.pos(), message));
                }
                Kind::Punct(b'{' | b'}') => {
                    let message = format!(
                        "expected ';' after {what}, found {}; block skipped",
                        cur.describe(t)
                    );
                    return Err(self.broken(cur, t.pos(), message));
                }
                _ => {
                    cur.bump();
                }
            }
        }
        let end = cur.prev_end().max(start);
        self.semicolon(cur, what)?;
        let value = cur.src().get(start..end).unwrap_or_default();
        if value.len() > super::lexer::MAX_TOKEN_LEN {
            self.hold(
                cur,
                start,
                Severity::Error,
                format!("{what} is longer than 64 KiB; value dropped"),
            );
            return Ok(&[]);
        }
        Ok(value)
    }

    /// A `set`/option value with its `;`: the text between the quotes
    /// (escapes kept) for a single string, else the raw text of the tokens.
    fn quoted_or_raw<'b>(&mut self, cur: &mut Cursor<'b>, what: &str) -> Result<&'b [u8], Outcome> {
        let first = cur.peek();
        let raw = self.raw_value(cur, what)?;
        let is_one_string =
            first.kind == Kind::Str && raw.len() == first.len() + 2 && raw.first() == Some(&b'"');
        if is_one_string {
            Ok(cur.text(first))
        } else {
            Ok(raw)
        }
    }

    fn lease(&mut self, cur: &mut Cursor<'_>, buf: &[u8], kw: Token) -> Outcome {
        let addr = match read_ipv4(cur) {
            Ok(a) => a,
            Err(e) => {
                let message = format!(
                    "invalid address in lease header: {}; block skipped",
                    e.message
                );
                return self.broken(cur, e.at, message);
            }
        };
        let t = cur.bump();
        if !t.is_punct(b'{') {
            let message = format!(
                "expected '{{' after lease {addr}, found {}; block skipped",
                cur.describe(t)
            );
            return self.broken(cur, t.pos(), message);
        }
        self.writer.clear();
        let mut lease = BlockState::default();
        loop {
            let t = cur.bump();
            match t.kind {
                Kind::Eof => return Outcome::NeedMore,
                Kind::Punct(b'}') => break,
                Kind::Punct(b';') => {}
                Kind::Word if self.is_column0_keyword(buf, t) => {
                    self.hold(
                        cur,
                        kw.pos(),
                        Severity::Error,
                        format!(
                            "lease {addr} has no closing '}}' before the next entry at line {}; block skipped",
                            cur.line_col(t.start).0
                        ),
                    );
                    return Outcome::Broken(t.start);
                }
                Kind::Word => {
                    if let Err(out) = self.lease_field(cur, t, addr, &mut lease) {
                        return out;
                    }
                }
                _ => {
                    let message = format!(
                        "unexpected {} in lease {addr}; block skipped",
                        cur.describe(t)
                    );
                    return self.broken(cur, t.pos(), message);
                }
            }
        }
        let fields = (self.detail == Detail::Full).then(|| self.writer.as_bytes());
        self.db.insert(u32::from(addr), lease, fields);
        Outcome::Done(cur.prev_end())
    }

    fn lease_field(
        &mut self,
        cur: &mut Cursor<'_>,
        t: Token,
        addr: Ipv4Addr,
        lease: &mut BlockState,
    ) -> Step {
        let full = self.detail == Detail::Full;
        let word = cur.text(t).to_ascii_lowercase();
        match word.as_slice() {
            b"starts" | b"ends" | b"tstp" | b"tsfp" | b"atsfp" | b"cltt" => {
                let key = match word.as_slice() {
                    b"starts" => "starts",
                    b"ends" => "ends",
                    b"tstp" => "tstp",
                    b"tsfp" => "tsfp",
                    b"atsfp" => "atsfp",
                    _ => "cltt",
                };
                match read_lease_time(cur) {
                    Ok(time) => {
                        self.semicolon(cur, key)?;
                        if key == "ends" {
                            lease.ends = Some(time);
                        }
                        if full {
                            self.writer.time(key, time);
                        }
                    }
                    Err(e) => {
                        if cur.saw_eof() {
                            return Err(Outcome::NeedMore);
                        }
                        self.hold(
                            cur,
                            e.at,
                            Severity::Error,
                            format!(
                                "{key} of lease {addr}: {} (a time is `W YYYY/MM/DD HH:MM:SS`, `never` or `epoch N`); field ignored",
                                e.message
                            ),
                        );
                        if key == "ends" {
                            lease.ends = None;
                        }
                        self.skip_field(cur)?;
                    }
                }
            }
            b"binding" | b"next" | b"rewind" => {
                let key = match word.as_slice() {
                    b"binding" => "binding-state",
                    b"next" => "next-binding-state",
                    _ => "rewind-binding-state",
                };
                if word != b"binding" && !cur.eat_word("binding") {
                    let n = cur.peek();
                    let message = format!(
                        "expected 'binding state', found {}; block skipped",
                        cur.describe(n)
                    );
                    return Err(self.broken(cur, n.pos(), message));
                }
                if !cur.eat_word("state") {
                    let n = cur.peek();
                    let message =
                        format!("expected 'state', found {}; block skipped", cur.describe(n));
                    return Err(self.broken(cur, n.pos(), message));
                }
                let s = cur.bump();
                let Some(state) = BindingState::parse(cur.text(s)).filter(|_| s.kind == Kind::Word)
                else {
                    let message = format!(
                        "unknown binding state {} (expected free, active, expired, released, abandoned, reset or backup); block skipped",
                        cur.describe(s)
                    );
                    return Err(self.broken(cur, s.pos(), message));
                };
                self.semicolon(cur, "binding state")?;
                if key == "binding-state" {
                    lease.state = Some(state);
                }
                if full {
                    self.writer.state(key, state);
                }
            }
            b"abandoned" => {
                self.semicolon(cur, "abandoned")?;
                lease.state = Some(BindingState::Abandoned);
                if full {
                    self.writer.state("binding-state", BindingState::Abandoned);
                }
            }
            b"reserved" | b"dynamic-bootp" => {
                let key = if word == b"reserved" {
                    "reserved"
                } else {
                    "dynamic-bootp"
                };
                self.semicolon(cur, key)?;
                if full {
                    self.writer.flag(key);
                }
            }
            b"hardware" => {
                let k = cur.bump();
                if k.kind != Kind::Word {
                    let message = format!(
                        "expected a hardware type, found {}; block skipped",
                        cur.describe(k)
                    );
                    return Err(self.broken(cur, k.pos(), message));
                }
                let kind = cur.text(k).to_ascii_lowercase();
                let address = if cur.peek().is_punct(b';') {
                    Vec::new()
                } else {
                    match read_hex_list(cur) {
                        Ok(b) => b,
                        Err(e) => {
                            let message = format!(
                                "hardware address of lease {addr}: {}; block skipped",
                                e.message
                            );
                            return Err(self.broken(cur, e.at, message));
                        }
                    }
                };
                self.semicolon(cur, "hardware")?;
                if full {
                    self.writer.hardware(&kind, hex_colon(&address).as_bytes());
                }
            }
            b"uid" => {
                if cur.peek().kind == Kind::Str {
                    if let Some(s) = self.string_token(cur, "uid")? {
                        self.semicolon(cur, "uid")?;
                        if full {
                            self.writer.text("uid", cur.text(s));
                        }
                    }
                } else {
                    let start = cur.peek().pos();
                    if let Err(e) = read_hex_list(cur) {
                        let message = format!("uid of lease {addr}: {}; block skipped", e.message);
                        return Err(self.broken(cur, e.at, message));
                    }
                    let end = cur.prev_end();
                    self.semicolon(cur, "uid")?;
                    if full {
                        self.writer
                            .text("uid", cur.src().get(start..end).unwrap_or_default());
                    }
                }
            }
            b"client-hostname" | b"ddns-fwd-name" | b"ddns-rev-name" => {
                let key = match word.as_slice() {
                    b"client-hostname" => "client-hostname",
                    b"ddns-fwd-name" => "ddns-fwd-name",
                    _ => "ddns-rev-name",
                };
                if cur.peek().kind == Kind::Str {
                    if let Some(s) = self.string_token(cur, key)? {
                        self.semicolon(cur, key)?;
                        if full {
                            // client-hostname is reported unescaped; the
                            // old-style ddns names like `set` values.
                            if key == "client-hostname" {
                                self.writer.text(key, &unescape(cur.text(s)));
                            } else {
                                self.writer.text(key, cur.text(s));
                            }
                        }
                    }
                } else {
                    let name = match read_dotted_name(cur) {
                        Ok(n) => n,
                        Err(e) => {
                            let message =
                                format!("{key} of lease {addr}: {}; block skipped", e.message);
                            return Err(self.broken(cur, e.at, message));
                        }
                    };
                    self.semicolon(cur, key)?;
                    if full {
                        self.writer.text(key, name.as_bytes());
                    }
                }
            }
            b"set" => {
                let n = cur.bump();
                if n.kind != Kind::Word {
                    let message = format!(
                        "expected a variable name after set, found {}; block skipped",
                        cur.describe(n)
                    );
                    return Err(self.broken(cur, n.pos(), message));
                }
                let name = cur.text(n);
                let eq = cur.bump();
                if !eq.is_punct(b'=') {
                    let message = format!(
                        "expected '=' in set, found {}; block skipped",
                        cur.describe(eq)
                    );
                    return Err(self.broken(cur, eq.pos(), message));
                }
                let value = self.quoted_or_raw(cur, "set value")?;
                if full {
                    self.writer.set(name, value);
                }
            }
            b"option" => {
                let name_at = cur.peek().pos();
                let name = match read_dotted_name(cur) {
                    Ok(n) => n,
                    Err(e) => {
                        let message =
                            format!("option of lease {addr}: {}; block skipped", e.message);
                        return Err(self.broken(cur, e.at, message));
                    }
                };
                // The sub-option keeps the spelling it was written with
                // (`agent.DOCSIS-device-class`); only `agent.` is matched
                // without regard to case.
                let agent = name
                    .get(..6)
                    .filter(|p| p.eq_ignore_ascii_case("agent."))
                    .and_then(|_| name.get(6..));
                let Some(agent) = agent else {
                    self.hold(
                        cur,
                        name_at,
                        Severity::Warning,
                        format!("option {name} in lease {addr}: dhcpd only accepts agent.* options here; ignored"),
                    );
                    return self.skip_field(cur);
                };
                let agent = agent.to_string();
                let value = self.quoted_or_raw(cur, "option value")?;
                if full {
                    self.writer.agent(agent.as_bytes(), value);
                }
            }
            b"billing" => {
                let sub = if cur.eat_word("class") {
                    false
                } else if cur.eat_word("subclass") {
                    true
                } else {
                    let n = cur.peek();
                    let message = format!(
                        "expected 'class' or 'subclass' after billing, found {}; block skipped",
                        cur.describe(n)
                    );
                    return Err(self.broken(cur, n.pos(), message));
                };
                let Some(class) = self.string_token(cur, "billing class")? else {
                    return Ok(());
                };
                let data = if sub {
                    Some(self.quoted_or_raw(cur, "billing subclass data")?)
                } else {
                    self.semicolon(cur, "billing class")?;
                    None
                };
                if full {
                    self.writer
                        .text("billing-class", &unescape(cur.text(class)));
                    if let Some(d) = data {
                        self.writer.text("billing-subclass", d);
                    }
                }
            }
            b"on" => {
                // `on expiry or release { … }`: executable statements that
                // dhcpd keeps for later; nothing to report.
                loop {
                    let n = cur.bump();
                    match n.kind {
                        Kind::Eof => return Err(Outcome::NeedMore),
                        Kind::Punct(b'{') => break,
                        Kind::Punct(b';' | b'}') => {
                            let message = format!(
                                "expected '{{' after on, found {}; block skipped",
                                cur.describe(n)
                            );
                            return Err(self.broken(cur, n.pos(), message));
                        }
                        _ => {}
                    }
                }
                if !cur.skip_block_body() {
                    return Err(Outcome::NeedMore);
                }
            }
            _ => {
                let shown = cur.describe(t);
                self.hold(
                    cur,
                    t.pos(),
                    Severity::Warning,
                    format!("unknown statement {shown} in lease {addr}; ignored"),
                );
                self.skip_field(cur)?;
            }
        }
        Ok(())
    }

    fn host(&mut self, cur: &mut Cursor<'_>, buf: &[u8], kw: Token) -> Outcome {
        let t = cur.peek();
        let name = if t.kind == Kind::Str {
            cur.bump();
            String::from_utf8_lossy(&unescape(cur.text(t))).into_owned()
        } else {
            match read_dotted_name(cur) {
                Ok(n) => n,
                Err(e) => {
                    let message = format!("invalid host name: {}; entry skipped", e.message);
                    return self.broken(cur, e.at, message);
                }
            }
        };
        let o = cur.bump();
        if !o.is_punct(b'{') {
            let message = format!(
                "expected '{{' after host {name}, found {}; entry skipped",
                cur.describe(o)
            );
            return self.broken(cur, o.pos(), message);
        }
        let (line, col) = cur.line_col(kw.pos());
        let mut host = Host {
            name: name.clone(),
            hardware: None,
            fixed_addresses: Vec::new(),
            host_name: None,
            ddns_hostname: None,
            fixed_addresses6: Vec::new(),
            fixed_prefixes6: Vec::new(),
            client_id: None,
            origin: Origin {
                file: cur.file().clone(),
                line,
                col,
            },
        };
        let mut deleted = false;
        loop {
            let t = cur.bump();
            match t.kind {
                Kind::Eof => return Outcome::NeedMore,
                Kind::Punct(b'}') => break,
                Kind::Punct(b';') => {}
                Kind::Word if self.is_column0_keyword(buf, t) => {
                    self.hold(
                        cur,
                        kw.pos(),
                        Severity::Error,
                        format!("host {name} is not closed before the next top-level entry; entry skipped"),
                    );
                    return Outcome::Broken(t.start);
                }
                Kind::Word => {
                    if let Err(out) = self.host_field(cur, t, &mut host, &mut deleted) {
                        return out;
                    }
                }
                _ => {
                    let message = format!(
                        "unexpected {} in host {name}; entry skipped",
                        cur.describe(t)
                    );
                    return self.broken(cur, t.pos(), message);
                }
            }
        }
        let entry = if deleted {
            HostEntry::Deleted
        } else {
            HostEntry::Declared(Box::new(host))
        };
        self.db.set_host(name, entry);
        Outcome::Done(cur.prev_end())
    }

    fn host_field(
        &mut self,
        cur: &mut Cursor<'_>,
        t: Token,
        host: &mut Host,
        deleted: &mut bool,
    ) -> Step {
        let word = cur.text(t).to_ascii_lowercase();
        match word.as_slice() {
            b"deleted" => {
                self.semicolon(cur, "deleted")?;
                *deleted = true;
            }
            b"hardware" => {
                let k = cur.bump();
                if k.kind != Kind::Word {
                    let message = format!(
                        "expected a hardware type, found {}; entry skipped",
                        cur.describe(k)
                    );
                    return Err(self.broken(cur, k.pos(), message));
                }
                let kind = cur.text(k).to_ascii_lowercase();
                if cur.peek().is_punct(b';') {
                    return self.semicolon(cur, "hardware");
                }
                match read_hex_list(cur) {
                    Ok(b) => {
                        self.semicolon(cur, "hardware")?;
                        host.hardware = Some(Hardware {
                            kind: String::from_utf8_lossy(&kind).into_owned(),
                            address: hex_colon(&b),
                        });
                    }
                    Err(e) => {
                        let message = format!(
                            "hardware address of host {}: {}; entry skipped",
                            host.name, e.message
                        );
                        return Err(self.broken(cur, e.at, message));
                    }
                }
            }
            b"fixed-address" => {
                let mut list = Vec::new();
                loop {
                    match read_address_or_name(cur) {
                        Ok(a) => list.push(a),
                        Err(e) => {
                            let message = format!(
                                "fixed-address of host {}: {}; entry skipped",
                                host.name, e.message
                            );
                            return Err(self.broken(cur, e.at, message));
                        }
                    }
                    if !cur.eat_punct(b',') {
                        break;
                    }
                }
                self.semicolon(cur, "fixed-address")?;
                host.fixed_addresses = list;
            }
            // OMAPI clients (Foreman, omshell) and dhcpd itself write the
            // name as `option host-name "x";`, `option host-name = "x";` or
            // `supersede host-name = "x";`.
            b"option" | b"supersede" | b"default" | b"send" if cur.peek_is_word("host-name") => {
                cur.bump();
                cur.eat_punct(b'=');
                if cur.peek().kind == Kind::Str {
                    if let Some(s) = self.string_token(cur, "host-name")? {
                        self.semicolon(cur, "host-name")?;
                        host.host_name =
                            Some(String::from_utf8_lossy(&unescape(cur.text(s))).into_owned());
                    }
                } else {
                    self.skip_field(cur)?;
                }
            }
            b"ddns-hostname" if cur.peek().kind == Kind::Str => {
                if let Some(s) = self.string_token(cur, "ddns-hostname")? {
                    self.semicolon(cur, "ddns-hostname")?;
                    host.ddns_hostname =
                        Some(String::from_utf8_lossy(&unescape(cur.text(s))).into_owned());
                }
            }
            _ => {
                // dynamic; uid; group "g"; supersede …; host-identifier …
                self.skip_field(cur)?;
            }
        }
        Ok(())
    }
}

/// Convenience for tests and one-shot reads: parses a whole file at once.
pub fn parse_all(
    file: &str,
    bytes: &[u8],
    detail: Detail,
    diags: &mut Diagnostics,
) -> (LeaseDb, Feed) {
    let mut p = LeaseParser::new(Arc::from(file), detail);
    let feed = p.feed(bytes, true, diags);
    (p.into_db(), feed)
}

#[cfg(test)]
mod packing_tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn address_hash_spreads_keys_that_share_low_bits() {
        // Every /16 network address of 10.0.0.0/8: identical low 16 bits.
        let b = BuildHasherDefault::<AddrHasher>::default();
        let mask = (1u64 << 12) - 1;
        let mut buckets = std::collections::HashSet::new();
        for i in 0..256u32 {
            buckets.insert(b.hash_one((10u32 << 24) | (i << 16)) & mask);
        }
        assert!(
            buckets.len() > 200,
            "only {} distinct buckets of 256 keys",
            buckets.len()
        );
    }

    #[test]
    fn lease_packing_round_trips() {
        assert_eq!(std::mem::size_of::<(u32, Lease)>(), 12);
        let states = [
            None,
            Some(BindingState::Active),
            Some(BindingState::Reserved),
            Some(BindingState::Free),
        ];
        let times = [
            None,
            Some(LeaseTime::Never),
            Some(LeaseTime::At(0)),
            Some(LeaseTime::At(-1)),
            Some(LeaseTime::At(1_795_659_545)),
            Some(LeaseTime::At(super::super::time::MAX_SECONDS + 172_800)),
            Some(LeaseTime::At(-172_800)),
        ];
        for st in states {
            for t in times {
                let l = Lease::new(st, t);
                assert_eq!((l.state(), l.ends()), (st, t));
            }
        }
    }

    #[test]
    fn merging_a_part_that_repeats_addresses_does_not_grow_the_table() {
        // The parallel read merges parts that mostly repeat addresses;
        // `extend` reserved room for half the later part first and doubled
        // the table (peak memory of `dump --summary` on 1M blocks).
        let db_of = |n: u32| {
            let mut db = LeaseDb::default();
            for a in 0..n {
                db.leases
                    .insert(a, Lease::new(Some(BindingState::Active), None));
            }
            db
        };
        let mut earlier = db_of(3000);
        let capacity = earlier.leases.capacity();
        earlier.merge_later(db_of(3000));
        assert_eq!(earlier.leases.len(), 3000);
        assert_eq!(earlier.leases.capacity(), capacity);
    }
}
