//! The `dhcpd6.leases` reader (GRAMMAR §3.9, SPEC §2.4): `ia-na`, `ia-ta`
//! and `ia-pd` blocks, each an IA (its IAID+DUID) holding `iaaddr` or
//! `iaprefix` entries, into one record per address or prefix.
//!
//! Which record wins is dhcpd 4.4's pool state: per address or prefix
//! the newest record, except that an inactive record (`expired`,
//! `released`, `free`) of a *different* IA does not cancel another IA's
//! `active` or `abandoned` one ([`LeaseDb6::apply`]). An IA that omits an
//! address it held before does not remove that address's record.
//!
//! Like the v4 reader it is resumable: [`LeaseParser6::feed`] applies only
//! complete top-level items and says how many bytes it consumed, so a
//! grown file is read from there. An entry without `binding state` or
//! `ends`, or with a v4-only state, is discarded alone (dhcpd loses the
//! whole IA; we keep its other entries). A damaged IA costs that IA: the
//! reader resumes at the next column-0 keyword.

use std::sync::Arc;

use super::Detail;
use super::cursor::Cursor;
use super::lease_fields::{BindingState, FieldWriter};
use super::lexer::{Kind, Mode, Token};
use super::time::read_lease_time;
use super::values::{decimal, read_hex_list, read_ipv6, read_ipv6_prefix};
use crate::diag::{Diagnostics, Severity};

pub use super::lease6_db::{
    Change6, Hasher6, IaKind, Key6, Lease6, LeaseDb6, Map6, PartIds, Record6, SHARDS, Shard6,
    shard_of,
};
use super::lease6_db::{NO_ID, fingerprint};

/// Top-level keywords a damaged file is resumed at (in column 0).
const TOP_LEVEL: [&[u8]; 10] = [
    b"ia-na",
    b"ia-ta",
    b"ia-pd",
    b"server-duid",
    b"authoring-byte-order",
    b"lease",
    b"host",
    b"class",
    b"subclass",
    b"failover",
];

/// Fewer bytes than dhcpd writes for one `iaaddr` or `iaprefix` record.
const BYTES_PER_RECORD: u64 = 250;

/// Records a part makes room for at most before it reads any (88 MiB).
const PRESIZED_RECORDS: u64 = 1 << 20;

/// How a top-level item ended.
enum Outcome {
    /// Read completely.
    Done,
    /// Its end is not in the bytes yet.
    NeedMore,
    /// Damaged (reported): resume at a column-0 keyword after this offset.
    Broken(usize),
}

/// One entry of an IA, until the IA is complete.
struct Entry {
    key: Key6,
    lease: Lease6,
}

/// The resumable reader.
pub struct LeaseParser6 {
    file: Arc<str>,
    detail: Detail,
    /// Shared with the generations that answer from it: changed in place
    /// when none holds it any more, copied otherwise.
    db: Arc<LeaseDb6>,
    /// Lines before the bytes of the next feed, and the column its first
    /// byte is at (diagnostics name places in the whole file).
    lines_before: u32,
    column: u32,
    /// Read canonical IAs with [`super::lease6_fast`] (on by default).
    fast_path: bool,
    scratch: super::lease_fast::Scratch,
    writer: FieldWriter,
    fast_entries: Vec<super::lease6_fast::FastEntry>,
    /// Collect records, by shard, instead of applying them
    /// ([`LeaseParser6::collecting`]).
    collect: Option<(Vec<Vec<Record6>>, PartIds)>,
}

impl LeaseParser6 {
    pub fn new(file: Arc<str>, detail: Detail) -> LeaseParser6 {
        LeaseParser6 {
            file,
            detail,
            db: Arc::new(LeaseDb6::default()),
            lines_before: 0,
            column: 1,
            fast_path: true,
            scratch: super::lease_fast::Scratch::default(),
            writer: FieldWriter::new(),
            fast_entries: Vec::new(),
            collect: None,
        }
    }

    /// A reader for one part of a file read in parallel: it keeps the
    /// records it reads, by shard ([`LeaseParser6::take_records`]), for
    /// the caller to apply each shard's in file order. `bytes`, the
    /// part's size, sizes the lists up front: dhcpd writes a record in
    /// 200 to 400 bytes, and lists grown step by step cost a sixth of the
    /// read in copies and page faults (room never written costs no
    /// memory, but counts where the system does not overcommit: hence a
    /// cap, beyond which lists grow as usual).
    pub fn collecting(file: Arc<str>, detail: Detail, bytes: u64) -> LeaseParser6 {
        let mut p = LeaseParser6::new(file, detail);
        let records = (bytes / BYTES_PER_RECORD).min(PRESIZED_RECORDS);
        let each = usize::try_from(records / SHARDS as u64).unwrap_or(0);
        let lists = (0..SHARDS).map(|_| Vec::with_capacity(each)).collect();
        p.collect = Some((lists, PartIds::default()));
        p
    }

    /// Notes what the next feeds change ([`LeaseDb6::start_journal`]).
    pub fn start_journal(&mut self) {
        Arc::make_mut(&mut self.db).start_journal();
    }

    /// What changed since [`LeaseParser6::start_journal`].
    pub fn take_journal(&mut self) -> Vec<Change6> {
        Arc::make_mut(&mut self.db).take_journal()
    }

    /// The records a collecting reader read: one list per shard, each in
    /// file order, and the ids of their IAs (full detail).
    pub fn take_records(&mut self) -> (Vec<Vec<Record6>>, PartIds) {
        self.collect.take().unwrap_or_default()
    }

    /// Becomes the reader of a whole file read in parts: `db` holds the
    /// records of every part, `parts` are the parts' readers after this
    /// one's bytes, in file order. This reader then goes on from where
    /// the last part ended (lines and columns counted from the file's
    /// start), applying what follows.
    pub fn take_over(&mut self, mut db: LeaseDb6, parts: &[LeaseParser6]) {
        db.v4_entries = self.db.v4_entries;
        for part in parts {
            db.v4_entries += part.db.v4_entries;
            self.lines_before = self.lines_before.saturating_add(part.lines_before);
            self.column = if part.lines_before > 0 {
                part.column
            } else {
                self.column.saturating_add(part.column.saturating_sub(1))
            };
        }
        self.db = Arc::new(db);
        self.collect = None;
    }

    /// Lines consumed so far (a collecting part's own count).
    pub fn lines(&self) -> u32 {
        self.lines_before
    }

    /// Applies one record, or keeps it when collecting. The IA id joins
    /// the arena only with a record (an IA whose entries were all
    /// discarded leaves none), so both ways give the same arena.
    fn record(&mut self, key: Key6, mut lease: Lease6, id: &str) {
        let full = self.detail == Detail::Full;
        match self.collect.as_mut() {
            Some((shards, ids)) => {
                if full {
                    lease.ia = ids.index(id);
                }
                if let Some(list) = shards.get_mut(shard_of(&key)) {
                    list.push(Record6 { key, lease });
                }
            }
            None => Arc::make_mut(&mut self.db).apply(key, lease, full.then_some(id)),
        }
    }

    /// The IA's fingerprint (its arena index comes with its records).
    fn identify(&mut self, id: &str) -> (u32, u128) {
        (NO_ID, fingerprint(id))
    }

    pub fn db(&self) -> &LeaseDb6 {
        &self.db
    }

    pub fn file(&self) -> &Arc<str> {
        &self.file
    }

    /// Passes over bytes without reading them (damage too long to keep),
    /// counting their lines.
    pub fn skip_lines(&mut self, bytes: &[u8]) {
        let lines = memchr::memchr_iter(b'\n', bytes).count();
        self.lines_before = self
            .lines_before
            .saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
        let column = match memchr::memrchr(b'\n', bytes) {
            Some(nl) => bytes.len() - nl,
            None => self.column as usize + bytes.len(),
        };
        self.column = u32::try_from(column).unwrap_or(u32::MAX);
    }

    pub fn into_db(self) -> LeaseDb6 {
        Arc::try_unwrap(self.db).unwrap_or_else(|shared| (*shared).clone())
    }

    /// The database as it is now, to share with a generation.
    pub fn shared_db(&self) -> Arc<LeaseDb6> {
        Arc::clone(&self.db)
    }

    /// Reads the complete top-level items of `buf` (the bytes of the file
    /// after those consumed so far) and returns how many bytes they were.
    /// With `at_end`, an unfinished final item is left pending: dhcpd is
    /// writing it (not an error).
    pub fn feed(&mut self, buf: &[u8], at_end: bool, diags: &mut Diagnostics) -> usize {
        // dhcpd writes whole lines: while it may still be writing, only
        // complete lines are read (a word cut by the end of the bytes
        // would otherwise look whole).
        let buf = if at_end {
            buf
        } else {
            let lines = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
            buf.get(..lines).unwrap_or_default()
        };
        let mut cur = Cursor::at(
            buf,
            0,
            Mode::Leases,
            self.file.clone(),
            self.lines_before + 1,
            self.column,
        );
        let mut pos = 0;
        let consumed = loop {
            if self.fast_path {
                // Blank lines between items, then a canonical IA?
                let at = pos
                    + buf
                        .get(pos..)
                        .map_or(0, |r| r.iter().take_while(|&&c| c == b'\n').count());
                if let Some(end) = self.try_fast(buf, at) {
                    pos = end;
                    continue;
                }
                cur.seek(pos);
            }
            let t = cur.peek();
            if t.kind == Kind::Eof {
                break buf.len();
            }
            // (`pos`: a string token's span starts after its quote.)
            let start = t.pos();
            // An item's diagnostics count once it is over: an item left
            // pending is read again with more bytes, and says it again.
            let mut said = Diagnostics::new();
            match self.item(&mut cur, buf, &mut said) {
                Outcome::Done => {
                    diags.extend(said);
                    pos = cur.prev_end();
                }
                Outcome::NeedMore => break start,
                Outcome::Broken(from) => match find_resync(buf, from) {
                    Some(at) => {
                        diags.extend(said);
                        cur.seek(at);
                        pos = at;
                    }
                    // Nothing to resume at yet: the damage may run on into
                    // bytes not written yet; keep them pending unless the
                    // file is complete.
                    None if at_end => {
                        diags.extend(said);
                        break buf.len();
                    }
                    None => break start,
                },
            }
        };
        let done = buf.get(..consumed).unwrap_or_default();
        let lines = memchr::memchr_iter(b'\n', done).count();
        self.lines_before = self
            .lines_before
            .saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
        // An item may start after blanks on its line: the next bytes then
        // start in the middle of it.
        let column = match memchr::memrchr(b'\n', done) {
            Some(nl) => consumed - nl,
            None => self.column as usize + consumed,
        };
        self.column = u32::try_from(column).unwrap_or(u32::MAX);
        consumed
    }

    /// The canonical fast path for an IA at `at`: applied, and the offset
    /// past it, if it is one.
    fn try_fast(&mut self, buf: &[u8], at: usize) -> Option<usize> {
        if !at_column0(buf, at) {
            return None;
        }
        let full = self.detail == Detail::Full;
        let ia = super::lease6_fast::canonical_ia(
            buf,
            at,
            full,
            &mut self.scratch,
            &mut self.writer,
            &mut self.fast_entries,
        )?;
        let (index, print) = self.identify(ia.id);
        let mut entries = std::mem::take(&mut self.fast_entries);
        for e in entries.drain(..) {
            let mut lease = Lease6::new(ia.kind, e.state, e.ends)
                .with_ia((index, print))
                .with_lives(e.preferred_life, e.max_life);
            lease.set_cltt(ia.cltt);
            lease.vars = e.vars;
            self.record(e.key, lease, ia.id);
        }
        // Keep the buffer for the next IA.
        self.fast_entries = entries;
        Some(ia.end)
    }

    /// Turns the canonical fast path off or on: results are the same
    /// (tested), only the speed differs.
    pub fn set_fast_path(&mut self, on: bool) {
        self.fast_path = on;
    }

    fn item(&mut self, cur: &mut Cursor<'_>, buf: &[u8], diags: &mut Diagnostics) -> Outcome {
        let t = cur.bump();
        if t.end >= buf.len() {
            // A word cut by the end of the bytes (or a file ending in a
            // keyword): no item can be complete here.
            return Outcome::NeedMore;
        }
        let word = cur.text(t).to_ascii_lowercase();
        let kind = match word.as_slice() {
            b"ia-na" => Some(IaKind::Na),
            b"ia-ta" => Some(IaKind::Ta),
            b"ia-pd" => Some(IaKind::Pd),
            _ => None,
        };
        if let (Kind::Word, Some(kind)) = (t.kind, kind) {
            return self.ia(cur, buf, kind, diags);
        }
        if t.kind == Kind::Word && TOP_LEVEL.contains(&word.as_slice()) {
            // Understood and not needed: skip the statement or block.
            let out = match cur.skip_statement() {
                Some(_) => Outcome::NeedMore,
                None if cur.saw_eof() => Outcome::NeedMore,
                None => Outcome::Done,
            };
            // Counted once it is whole (a pending one is read again).
            if word == b"lease" && matches!(out, Outcome::Done) {
                Arc::make_mut(&mut self.db).v4_entries += 1;
            }
            return out;
        }
        if cur.saw_eof() {
            return Outcome::NeedMore;
        }
        diags.push(cur.diag(
            t.pos(),
            Severity::Warning,
            format!(
                "unknown top-level statement {} in a DHCPv6 lease file; skipped up to the next IA",
                cur.describe(t)
            ),
        ));
        Outcome::Broken(t.end)
    }

    /// Reports damage and makes the item [`Outcome::Broken`], or
    /// [`Outcome::NeedMore`] if the bytes simply ran out.
    fn broken(
        &self,
        cur: &Cursor<'_>,
        at: usize,
        message: String,
        diags: &mut Diagnostics,
    ) -> Outcome {
        if cur.saw_eof() {
            return Outcome::NeedMore;
        }
        diags.push(cur.diag(at, Severity::Error, message));
        Outcome::Broken(at)
    }

    /// `ia-xx ID { cltt …; iaaddr … { … } … }`
    fn ia(
        &mut self,
        cur: &mut Cursor<'_>,
        buf: &[u8],
        kind: IaKind,
        diags: &mut Diagnostics,
    ) -> Outcome {
        let id_tok = cur.peek();
        let id: String = if id_tok.kind == Kind::Str {
            cur.bump();
            String::from_utf8_lossy(cur.text(id_tok)).into_owned()
        } else {
            match read_hex_list(cur) {
                Ok(_) => String::from_utf8_lossy(
                    buf.get(id_tok.start..cur.prev_end()).unwrap_or_default(),
                )
                .into_owned(),
                Err(e) => {
                    let message = format!("invalid IA id: {}; IA skipped", e.message);
                    return self.broken(cur, e.at, message, diags);
                }
            }
        };
        let open = cur.bump();
        if !open.is_punct(b'{') {
            let message = format!(
                "expected '{{' after the IA id, found {}; IA skipped",
                cur.describe(open)
            );
            return self.broken(cur, open.pos(), message, diags);
        }
        let ia = self.identify(&id);
        let mut cltt = None;
        let mut entries: Vec<Entry> = Vec::new();
        loop {
            let t = cur.bump();
            match t.kind {
                Kind::Eof => return Outcome::NeedMore,
                Kind::Punct(b'}') => break,
                Kind::Punct(b';') => {}
                Kind::Word if at_column0(buf, t.start) && keyword_at(buf, t.start) => {
                    let message = format!(
                        "IA not closed before {}: its '}}' is missing; IA skipped",
                        cur.describe(t)
                    );
                    diags.push(cur.diag(t.pos(), Severity::Error, message));
                    return Outcome::Broken(t.start);
                }
                Kind::Word => {
                    let word = cur.text(t).to_ascii_lowercase();
                    match word.as_slice() {
                        b"cltt" => match read_lease_time(cur) {
                            Ok(v) if cur.eat_punct(b';') => cltt = Some(v),
                            Ok(_) => {
                                let n = cur.peek();
                                let message = format!(
                                    "expected ';' after cltt, found {}; IA skipped",
                                    cur.describe(n)
                                );
                                return self.broken(cur, n.pos(), message, diags);
                            }
                            Err(e) => {
                                let message = format!("invalid cltt: {}; IA skipped", e.message);
                                return self.broken(cur, e.at, message, diags);
                            }
                        },
                        b"iaaddr" | b"iaprefix" => {
                            let prefix = word == b"iaprefix";
                            if prefix != (kind == IaKind::Pd) {
                                diags.push(cur.diag(
                                    t.pos(),
                                    Severity::Error,
                                    format!(
                                        "{} in an ia-{}: entry skipped",
                                        String::from_utf8_lossy(&word),
                                        kind.as_str()
                                    ),
                                ));
                                if cur.skip_statement().is_some() || cur.saw_eof() {
                                    return Outcome::NeedMore;
                                }
                                continue;
                            }
                            match self.entry(cur, buf, t, (kind, ia, prefix), diags) {
                                Ok(Some(e)) => entries.push(e),
                                Ok(None) => {}
                                Err(out) => return out,
                            }
                        }
                        _ => {
                            diags.push(cur.diag(
                                t.pos(),
                                Severity::Warning,
                                format!("unknown statement {} in an IA; skipped", cur.describe(t)),
                            ));
                            if cur.skip_statement().is_some() || cur.saw_eof() {
                                return Outcome::NeedMore;
                            }
                        }
                    }
                }
                _ => {
                    let message = format!("unexpected {} in an IA; IA skipped", cur.describe(t));
                    return self.broken(cur, t.pos(), message, diags);
                }
            }
        }
        for mut e in entries {
            e.lease.set_cltt(cltt);
            self.record(e.key, e.lease, &id);
        }
        Outcome::Done
    }

    /// One `iaaddr A { … }` or `iaprefix P/N { … }`. `Ok(None)`: the entry
    /// is unusable (reported) but the IA goes on; `Err`: the IA is.
    fn entry(
        &mut self,
        cur: &mut Cursor<'_>,
        buf: &[u8],
        kw: Token,
        (kind, ia, prefix): (IaKind, (u32, u128), bool),
        diags: &mut Diagnostics,
    ) -> Result<Option<Entry>, Outcome> {
        let key = if prefix {
            read_ipv6_prefix(cur).map(|(a, len)| Key6::new(u128::from(a), len))
        } else {
            read_ipv6(cur).map(|a| Key6::new(u128::from(a), 128))
        };
        let key = match key {
            Ok(k) => k,
            Err(e) => {
                let message = format!(
                    "invalid address in {}: {}; IA skipped",
                    cur.describe(kw),
                    e.message
                );
                return Err(self.broken(cur, e.at, message, diags));
            }
        };
        let open = cur.bump();
        if !open.is_punct(b'{') {
            let message = format!(
                "expected '{{' after {}, found {}; IA skipped",
                key.text(),
                cur.describe(open)
            );
            return Err(self.broken(cur, open.pos(), message, diags));
        }
        let mut state = None;
        let mut ends = None;
        let mut preferred_life = None;
        let mut max_life = None;
        let mut vars = FieldWriter::new();
        let mut problem: Option<(usize, String)> = None;
        loop {
            let t = cur.bump();
            match t.kind {
                Kind::Eof => return Err(Outcome::NeedMore),
                Kind::Punct(b'}') => break,
                Kind::Punct(b';') => continue,
                Kind::Word if at_column0(buf, t.start) && keyword_at(buf, t.start) => {
                    let message = format!(
                        "{} not closed before {}: its '}}' is missing; IA skipped",
                        key.text(),
                        cur.describe(t)
                    );
                    diags.push(cur.diag(t.pos(), Severity::Error, message));
                    return Err(Outcome::Broken(t.start));
                }
                Kind::Word => {}
                _ => {
                    problem.get_or_insert((t.pos(), format!("unexpected {}", cur.describe(t))));
                    if !self.skip_rest(cur) {
                        return Err(Outcome::NeedMore);
                    }
                    break;
                }
            }
            let word = cur.text(t).to_ascii_lowercase();
            let step: Result<(), (usize, String)> = match word.as_slice() {
                b"binding" => self.binding_state(cur).map(|s| state = Some(s)),
                b"ends" => read_lease_time(cur)
                    .map_err(|e| (e.at, format!("invalid ends: {}", e.message)))
                    .and_then(|v| semicolon(cur, "ends").map(|()| ends = Some(v))),
                b"preferred-life" => lifetime(cur).map(|v| preferred_life = Some(v)),
                b"max-life" => lifetime(cur).map(|v| max_life = Some(v)),
                b"set" => self.set(cur, &mut vars),
                b"on" => {
                    // `on expiry or release { … }`: statements dhcpd runs,
                    // nothing to count.
                    if cur.skip_statement().is_some() || cur.saw_eof() {
                        return Err(Outcome::NeedMore);
                    }
                    Ok(())
                }
                _ => {
                    diags.push(cur.diag(
                        t.pos(),
                        Severity::Warning,
                        format!(
                            "unknown statement {} in {}; skipped",
                            cur.describe(t),
                            key.text()
                        ),
                    ));
                    if cur.skip_statement().is_some() || cur.saw_eof() {
                        return Err(Outcome::NeedMore);
                    }
                    Ok(())
                }
            };
            if let Err(p) = step {
                if cur.saw_eof() {
                    return Err(Outcome::NeedMore);
                }
                problem.get_or_insert(p);
                if !self.skip_rest(cur) {
                    return Err(Outcome::NeedMore);
                }
                break;
            }
        }
        let what = key.text();
        let fail = |at: usize,
                    message: String,
                    diags: &mut Diagnostics|
         -> Result<Option<Entry>, Outcome> {
            diags.push(cur.diag(
                at,
                Severity::Error,
                format!("{message}; entry {what} discarded (the IA's other entries count)"),
            ));
            Ok(None)
        };
        if let Some((at, message)) = problem {
            return fail(at, message, diags);
        }
        let Some(state) = state else {
            return fail(kw.pos(), "no binding state".to_string(), diags);
        };
        let Some(ends) = ends else {
            return fail(kw.pos(), "no ends".to_string(), diags);
        };
        if matches!(
            state,
            BindingState::Backup
                | BindingState::Reset
                | BindingState::Bootp
                | BindingState::Reserved
        ) {
            return fail(
                kw.pos(),
                format!("binding state {} is not a DHCPv6 state", state.as_str()),
                diags,
            );
        }
        let vars = if self.detail == Detail::Full {
            vars.as_bytes().into()
        } else {
            Box::default()
        };
        let mut lease = Lease6::new(kind, state, ends)
            .with_ia(ia)
            .with_lives(preferred_life, max_life);
        lease.vars = vars;
        Ok(Some(Entry { key, lease }))
    }

    /// Skips to the end of the entry's block (its `{` was consumed).
    fn skip_rest(&self, cur: &mut Cursor<'_>) -> bool {
        cur.skip_block_body()
    }

    /// `binding state STATE;`
    fn binding_state(&self, cur: &mut Cursor<'_>) -> Result<BindingState, (usize, String)> {
        let t = cur.bump();
        if !cur.is_word(t, "state") {
            return Err((
                t.pos(),
                format!("expected 'state' after binding, found {}", cur.describe(t)),
            ));
        }
        let s = cur.bump();
        let state = BindingState::parse(cur.text(s)).ok_or_else(|| {
            (
                s.pos(),
                format!("unknown binding state {}", cur.describe(s)),
            )
        })?;
        semicolon(cur, "binding state")?;
        Ok(state)
    }

    /// `set NAME = VALUE;`: a quoted value keeps its escapes, another one
    /// its text.
    fn set(&self, cur: &mut Cursor<'_>, vars: &mut FieldWriter) -> Result<(), (usize, String)> {
        let n = cur.bump();
        if n.kind != Kind::Word {
            return Err((
                n.pos(),
                format!(
                    "expected a variable name after set, found {}",
                    cur.describe(n)
                ),
            ));
        }
        let eq = cur.bump();
        if !eq.is_punct(b'=') {
            return Err((
                eq.pos(),
                format!("expected '=' in set, found {}", cur.describe(eq)),
            ));
        }
        let first = cur.peek();
        let start = first.start;
        let mut end = start;
        loop {
            let t = cur.peek();
            match t.kind {
                Kind::Punct(b';') => break,
                Kind::Eof | Kind::Punct(b'{' | b'}') => {
                    return Err((
                        t.pos(),
                        format!("expected ';' after set, found {}", cur.describe(t)),
                    ));
                }
                _ => {
                    cur.bump();
                    end = t.end + usize::from(t.kind == Kind::Str && !t.unterminated);
                }
            }
        }
        cur.bump();
        if self.detail == Detail::Full {
            let raw = cur.src().get(start..end).unwrap_or_default();
            let one_string = first.kind == Kind::Str && first.end + 1 == end;
            let value = if one_string { cur.text(first) } else { raw };
            vars.set(cur.text(n), value);
        }
        Ok(())
    }
}

/// `;` or a problem naming what it ends.
fn semicolon(cur: &mut Cursor<'_>, what: &str) -> Result<(), (usize, String)> {
    let t = cur.peek();
    if t.is_punct(b';') {
        cur.bump();
        Ok(())
    } else {
        Err((
            t.pos(),
            format!("expected ';' after {what}, found {}", cur.describe(t)),
        ))
    }
}

/// `preferred-life N;` or `max-life N;`; dhcpd before 4.2.1 wrote them
/// without the `;`, and 4.4 still reads that.
fn lifetime(cur: &mut Cursor<'_>) -> Result<u32, (usize, String)> {
    let t = cur.bump();
    let v = decimal(cur.text(t))
        .filter(|_| t.kind == Kind::Word)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| {
            (
                t.pos(),
                format!("expected a lifetime in seconds, found {}", cur.describe(t)),
            )
        })?;
    cur.eat_punct(b';');
    Ok(v)
}

fn at_column0(buf: &[u8], pos: usize) -> bool {
    pos == 0 || buf.get(pos - 1) == Some(&b'\n')
}

fn keyword_at(buf: &[u8], pos: usize) -> bool {
    let rest = buf.get(pos..).unwrap_or_default();
    TOP_LEVEL.iter().any(|k| {
        rest.len() > k.len()
            && rest
                .get(..k.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(k))
            && rest.get(k.len()).is_some_and(|c| c.is_ascii_whitespace())
    })
}

/// The next column-0 top-level keyword after `from`.
fn find_resync(buf: &[u8], from: usize) -> Option<usize> {
    if at_column0(buf, from) && keyword_at(buf, from) {
        return Some(from);
    }
    let mut p = from;
    while let Some(i) = buf.get(p..).and_then(|r| memchr::memchr(b'\n', r)) {
        let line = p + i + 1;
        if keyword_at(buf, line) {
            return Some(line);
        }
        p = line;
    }
    None
}

/// Reads a whole v6 lease file.
pub fn parse_all(
    file: Arc<str>,
    bytes: &[u8],
    detail: Detail,
    diags: &mut Diagnostics,
) -> LeaseDb6 {
    let mut p = LeaseParser6::new(file, detail);
    p.feed(bytes, true, diags);
    p.into_db()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (LeaseDb6, Vec<String>) {
        let mut d = Diagnostics::new();
        let db = parse_all(Arc::from("t"), text.as_bytes(), Detail::Full, &mut d);
        let lines = d
            .items()
            .iter()
            .map(|x| format!("{}:{} {}: {}", x.line, x.col, x.severity, x.message))
            .collect();
        (db, lines)
    }

    /// `key state ia` of every record, sorted.
    fn states(db: &LeaseDb6) -> Vec<String> {
        let mut v: Vec<(Key6, String)> = db
            .iter()
            .map(|(k, l)| {
                (
                    *k,
                    format!("{} {} {}", k.text(), l.state.as_str(), db.ia_id(k, l)),
                )
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, s)| s).collect()
    }

    fn ia(kind: &str, id: &str, body: &str) -> String {
        format!("ia-{kind} \"{id}\" {{\n  cltt 4 2026/11/26 01:20:11;\n{body}}}\n")
    }

    fn addr(a: &str, state: &str) -> String {
        format!(
            "  iaaddr {a} {{\n    binding state {state};\n    preferred-life 300;\n    max-life 600;\n    ends 4 2026/11/26 01:30:11;\n  }}\n"
        )
    }

    #[test]
    fn the_lab_file_as_dhcpd_keeps_it() {
        let text = include_str!("../../testdata/grammar/leases/v6-lab-appended.leases");
        let (db, diags) = parse(text);
        assert_eq!(diags, Vec::<String>::new());
        let got: Vec<String> = states(&db)
            .into_iter()
            .map(|s| s.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .collect();
        // dhcpd -6 -T on this file: 4 NA, 1 TA, 2 PD (the released ::193
        // is one of the 4 NA records it writes back).
        assert_eq!(
            got,
            [
                "2001:db8:1::125 active",
                "2001:db8:1::133 active",
                "2001:db8:1::187 active",
                "2001:db8:1::193 released",
                "2001:db8:1::1a6 active",
                "2001:db8:1:0:f427:ac94:3ba7:6f11 active",
                "2001:db8:1fe:5d00::/56 active",
                "2001:db8:1ff::/56 active",
            ]
        );
        let ta = db.iter().filter(|(_, l)| l.kind == IaKind::Ta).count();
        assert_eq!(ta, 1);
    }

    #[test]
    fn the_newest_record_wins_except_another_ias_inactive_one() {
        let text = [
            ia(
                "na",
                "A",
                &(addr("2001:db8::1", "active") + &addr("2001:db8::2", "active")),
            ),
            // The same IA drops ::2 from its next block: ::2 keeps its record.
            ia("na", "A", &addr("2001:db8::1", "released")),
            // Another IA's expired record does not cancel A's active ::2 …
            ia("na", "B", &addr("2001:db8::2", "expired")),
            // … but its abandoned one replaces it.
            ia("na", "C", &addr("2001:db8::3", "active")),
            ia("na", "D", &addr("2001:db8::3", "abandoned")),
            // An inactive record does replace another IA's inactive one.
            ia("na", "E", &addr("2001:db8::4", "released")),
            ia("na", "F", &addr("2001:db8::4", "expired")),
        ]
        .concat();
        let (db, diags) = parse(&text);
        assert_eq!(diags, Vec::<String>::new());
        assert_eq!(
            states(&db),
            [
                "2001:db8::1 released A",
                "2001:db8::2 active A",
                "2001:db8::3 abandoned D",
                "2001:db8::4 expired F",
            ]
        );
    }

    #[test]
    fn a_bad_entry_costs_only_itself() {
        let text = [
            ia(
                "na",
                "A",
                &("  iaaddr 2001:db8::1 {\n    ends never;\n  }\n".to_string()
                    + "  iaaddr 2001:db8::2 {\n    binding state backup;\n    ends never;\n  }\n"
                    + "  iaaddr 2001:db8::5 {\n    binding state active;\n  }\n"
                    + &addr("2001:db8::3", "active")),
            ),
            // An entry that loses its closing brace: the IA is damaged, the
            // next one reads normally.
            "ia-na \"B\" {\n  iaaddr 2001:db8::6 {\n    binding state active;\n    ends never;\n"
                .to_string(),
            ia("na", "C", &addr("2001:db8::4", "active")),
        ]
        .concat();
        let (db, diags) = parse(&text);
        assert_eq!(
            states(&db),
            ["2001:db8::3 active A", "2001:db8::4 active C"]
        );
        assert_eq!(
            diags,
            [
                "3:3 error: no binding state; entry 2001:db8::1 discarded (the IA's other entries count)",
                "6:3 error: binding state backup is not a DHCPv6 state; entry 2001:db8::2 discarded (the IA's other entries count)",
                "10:3 error: no ends; entry 2001:db8::5 discarded (the IA's other entries count)",
                "24:1 error: 2001:db8::6 not closed before 'ia-na': its '}' is missing; IA skipped",
            ]
        );
    }

    #[test]
    fn old_writers_forms_and_fields() {
        // 4.1 wrote lifetimes without ';'; hex IA ids (lease-id-format
        // hex); `on` blocks; set values as written.
        let text = "server-duid 00:01:00:01:32:9a;\n\
            ia-pd 0a:01:00:00:00:01 {\n  cltt 4 2026/11/26 01:20:11;\n  \
            iaprefix 2001:db8:1fe:5d00::/56 {\n    binding state active;\n    preferred-life 300\n    max-life 600\n    \
            ends never;\n    set ddns-fwd-name = \"v6.example.com\";\n    set n = 5;\n    \
            on expiry or release {\n      log (info, \"bye\");\n    }\n  }\n}\n";
        let (db, diags) = parse(text);
        assert_eq!(diags, Vec::<String>::new());
        let (key, lease) = db.iter().next().unwrap();
        assert_eq!(key.text(), "2001:db8:1fe:5d00::/56");
        assert_eq!(db.ia_id(key, lease), "0a:01:00:00:00:01");
        assert_eq!(
            (lease.kind, lease.preferred_life(), lease.max_life()),
            (IaKind::Pd, Some(300), Some(600))
        );
        assert_eq!(lease.ends(), crate::dhcp::time::LeaseTime::Never);
        let vars: Vec<(String, String)> = super::super::lease_fields::Fields::new(&lease.vars)
            .filter_map(|f| match f {
                super::super::lease_fields::Field::Set(n, v) => Some((
                    String::from_utf8_lossy(n).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            vars,
            [
                ("ddns-fwd-name".to_string(), "v6.example.com".to_string()),
                ("n".to_string(), "5".to_string())
            ]
        );
    }

    #[test]
    fn feeding_is_split_invariant_and_an_unfinished_ia_is_pending() {
        let text = [
            ia(
                "na",
                "A",
                &(addr("2001:db8::1", "active") + &addr("2001:db8::2", "active")),
            ),
            ia(
                "pd",
                "P",
                "  iaprefix 2001:db8:100::/56 {\n    binding state active;\n    ends never;\n  }\n",
            ),
            ia("na", "B", &addr("2001:db8::2", "expired")),
            ia("na", "A", &addr("2001:db8::1", "released")),
        ]
        .concat();
        let (whole, _) = parse(&text);
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            let mut p = LeaseParser6::new(Arc::from("t"), Detail::Full);
            let mut d = Diagnostics::new();
            let used = p.feed(&bytes[..cut], false, &mut d);
            assert!(used <= cut);
            let rest = p.feed(&bytes[used..], true, &mut d);
            assert_eq!(used + rest, bytes.len(), "cut {cut}");
            assert_eq!(states(p.db()), states(&whole), "cut {cut}");
            assert!(d.items().is_empty(), "cut {cut}: {:?}", d.items());
        }
        // With damage in it, the diagnostics too are the same however the
        // bytes come (an item read again must not say it twice).
        let damaged = [
            ia(
                "na",
                "A",
                &(addr("2001:db8::1", "active") + "  iaaddr 2001:db8::9 {\n    ends never;\n  }\n"),
            ),
            "ia-na \"B\" {\n  iaaddr 2001:db8::6 {\n    binding state active;\n    ends never;\n"
                .to_string(),
            ia("na", "C", &addr("2001:db8::4", "active")),
            // An item that starts after blanks, left pending while nothing
            // to resume at follows: the next bytes begin mid-line (a
            // fuzzer found the column wrong there).
            "    ends 4 2026/11/26 13:00:00;\n".to_string(),
            "bogus top-level;\n".to_string(),
            ia("na", "D", &addr("2001:db8::5", "active")),
            // A string with no closing quote where an item starts: left
            // pending, it must be read again from its quote (a fuzzer found
            // it resumed after the quote).
            "\" T19 whitespace\n".to_string(),
            ia("na", "E", &addr("2001:db8::7", "active")),
            // A DHCPv4 block is counted once, however it is cut (a fuzzer
            // found it counted again when read again).
            "lease 10.0.0.1 {\n  binding state active;\n}\n".to_string(),
            ia("na", "F", &addr("2001:db8::8", "active")),
        ]
        .concat();
        let (whole_db, whole_diags) = parse(&damaged);
        let damaged_bytes = damaged.as_bytes();
        for cut in 0..damaged_bytes.len() {
            let mut p = LeaseParser6::new(Arc::from("t"), Detail::Full);
            let mut d = Diagnostics::new();
            let used = p.feed(&damaged_bytes[..cut], false, &mut d);
            p.feed(&damaged_bytes[used..], true, &mut d);
            let lines: Vec<String> = d
                .items()
                .iter()
                .map(|x| format!("{}:{} {}: {}", x.line, x.col, x.severity, x.message))
                .collect();
            assert_eq!(lines, whole_diags, "cut {cut}");
            assert!(p.into_db() == whole_db, "cut {cut}: the database differs");
        }
        // The file ends inside an IA: nothing of it is applied, no error.
        let cut = text.rfind("ia-na \"A\"").unwrap() + 40;
        let mut d = Diagnostics::new();
        let db = parse_all(Arc::from("t"), &bytes[..cut], Detail::Full, &mut d);
        assert!(d.items().is_empty());
        assert!(states(&db).contains(&"2001:db8::1 active A".to_string()));
    }
}
