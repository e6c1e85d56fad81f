//! Reading dhcpd's files from disk: the configuration with its includes,
//! and the lease file streamed through a bounded buffer.
//!
//! This is the I/O side of the pure parsers in [`crate::dhcp`]. It records
//! the identity (device, inode, size, mtime) of every file it reads, so the
//! cache can tell later whether anything changed, and caps what it reads:
//! a configuration file larger than [`MAX_CONF_BYTES`] is refused, and the
//! lease file never needs more memory than its largest block plus one
//! read buffer, whatever its size.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Files;
use crate::dhcp::conf::{self, Conf, Family, IncludeLoader, Loaded};
use crate::dhcp::leases::{Detail, LeaseDb, LeaseParser, MAX_BLOCK};
use crate::dhcp::leases6::{LeaseDb6, LeaseParser6, PartIds, Record6, Shard6};
use crate::diag::{Diagnostics, Severity};

/// Largest configuration (or included) file read: 64 MiB. A real
/// dhcpd.conf with ten thousand hosts is about 1 MiB.
pub const MAX_CONF_BYTES: u64 = 64 * 1024 * 1024;

/// Bytes read from the lease file per `read` call.
pub const READ_CHUNK: usize = 128 * 1024;

/// What identifies a version of a file: if any of these change, the file
/// is read again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i128,
}

impl Identity {
    pub fn of(meta: &std::fs::Metadata) -> Identity {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Identity {
                dev: meta.dev(),
                ino: meta.ino(),
                size: meta.size(),
                mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            }
        }
        #[cfg(not(unix))]
        {
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i128);
            Identity {
                dev: 0,
                ino: 0,
                size: meta.len(),
                mtime_ns,
            }
        }
    }

    /// Same file object (not necessarily the same content).
    pub fn same_file(&self, other: &Identity) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }

    pub fn mtime_seconds(&self) -> i64 {
        (self.mtime_ns.div_euclid(1_000_000_000)) as i64
    }
}

/// A file that was read, with the identity it had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStamp {
    pub path: PathBuf,
    pub identity: Identity,
}

impl FileStamp {
    /// Does the file at `path` still have this identity?
    pub fn unchanged(&self) -> bool {
        std::fs::metadata(&self.path).is_ok_and(|m| Identity::of(&m) == self.identity)
    }
}

/// Why a required file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for InputError {}

fn input_error(path: &Path, message: impl Into<String>) -> InputError {
    InputError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Opens a file for reading, with the metadata of that very handle; a
/// directory is refused by name (reading one gives a cryptic OS error).
fn open_regular(path: &Path) -> Result<(File, std::fs::Metadata), InputError> {
    let file = File::open(path).map_err(|e| input_error(path, e.to_string()))?;
    let meta = file
        .metadata()
        .map_err(|e| input_error(path, e.to_string()))?;
    if meta.is_dir() {
        return Err(input_error(path, "is a directory, not a file"));
    }
    Ok((file, meta))
}

/// Opens a regular file and reads it whole, refusing anything larger
/// than `cap` before allocating for it.
pub fn read_capped(path: &Path, cap: u64) -> Result<(Vec<u8>, Identity), InputError> {
    let (file, meta) = open_regular(path)?;
    if meta.len() > cap {
        return Err(input_error(
            path,
            format!(
                "is {} bytes; files over {} MiB are not read",
                meta.len(),
                cap >> 20
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| input_error(path, e.to_string()))?;
    if bytes.len() as u64 > cap {
        return Err(input_error(
            path,
            format!("grew beyond {} MiB while being read", cap >> 20),
        ));
    }
    Ok((bytes, Identity::of(&meta)))
}

/// Resolves includes against one base directory (the directory of the
/// configured dhcpd.conf, SPEC §2.1) and remembers every file it read.
pub struct FsLoader {
    base: PathBuf,
    pub read: Vec<FileStamp>,
}

impl FsLoader {
    pub fn new(base: PathBuf) -> FsLoader {
        FsLoader {
            base,
            read: Vec::new(),
        }
    }

    /// Reads a top-level file (not an include).
    pub fn load_path(&mut self, path: &Path) -> Result<Loaded, InputError> {
        let (bytes, identity) = read_capped(path, MAX_CONF_BYTES)?;
        self.read.push(FileStamp {
            path: path.to_path_buf(),
            identity,
        });
        Ok(Loaded {
            display: Arc::from(path.display().to_string()),
            identity: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            bytes,
        })
    }

    /// Was this file (by canonical path) already read?
    pub fn has_read(&self, path: &Path) -> bool {
        let Ok(want) = std::fs::canonicalize(path) else {
            return false;
        };
        self.read
            .iter()
            .any(|s| std::fs::canonicalize(&s.path).is_ok_and(|p| p == want))
    }
}

impl IncludeLoader for FsLoader {
    fn load(&mut self, name: &str) -> Result<Loaded, String> {
        let given = Path::new(name);
        let path = if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.base.join(given)
        };
        self.load_path(&path).map_err(|e| {
            let hint = if given.is_absolute() {
                String::new()
            } else {
                format!(
                    " (relative includes are resolved against {}, the directory of the configured file)",
                    self.base.display()
                )
            };
            format!("cannot read include \"{name}\": {}: {}{hint}", e.path.display(), e.message)
        })
    }
}

/// The parsed configuration and what was read to build it.
pub struct ConfData {
    pub conf: Conf,
    pub diags: Diagnostics,
    pub files: Vec<FileStamp>,
}

impl ConfData {
    /// Nothing declared, nothing read: the family that is not configured.
    pub fn empty() -> ConfData {
        ConfData {
            conf: Conf::default(),
            diags: Diagnostics::new(),
            files: Vec::new(),
        }
    }
}

/// Reads `subnet_file` (and `static_file` when it is another file not
/// already included) with their includes, as dhcpd -4 or -6 does. Fails
/// only if a configured file cannot be read; problems inside files are
/// diagnostics.
pub fn read_conf(files: &Files, family: Family) -> Result<ConfData, InputError> {
    read_conf_files(&files.subnet_file, &files.static_file, family)
}

/// [`read_conf`] for explicit paths.
pub fn read_conf_files(
    subnet_file: &Path,
    static_file: &Path,
    family: Family,
) -> Result<ConfData, InputError> {
    let base = subnet_file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut loader = FsLoader::new(base);
    let mut diags = Diagnostics::new();
    let main = loader.load_path(subnet_file)?;
    let mut parsed = conf::parse_family(&main, &mut loader, &mut diags, family);
    if !loader.has_read(static_file) {
        let statics = loader.load_path(static_file)?;
        let more = conf::parse_family(&statics, &mut loader, &mut diags, family);
        conf::merge_static(&mut parsed, more, &mut diags);
    }
    if family == Family::V6 {
        conf::v4_items_in_v6(&parsed, &mut diags);
    }
    Ok(ConfData {
        conf: parsed,
        diags,
        files: loader.read,
    })
}

/// A lease file read to its end.
pub struct LeaseData {
    pub db: LeaseDb,
    pub diags: Diagnostics,
    pub stamp: FileStamp,
    /// Bytes applied (complete items); the rest is an unfinished block.
    pub consumed: u64,
    /// The file ended inside a block (dhcpd writing, or a crash).
    pub incomplete_tail: bool,
}

/// Reads a whole lease file through bounded buffers (in parallel parts
/// when it is large).
pub fn read_leases(path: &Path, detail: Detail) -> Result<LeaseData, InputError> {
    let (file, meta) = open_regular(path)?;
    let name: Arc<str> = Arc::from(path.display().to_string());
    let read = read_lease_file(&file, name, detail, PARALLEL_MIN_PART)
        .map_err(|e| input_error(path, e.to_string()))?;
    let identity = Identity {
        size: read.read,
        ..Identity::of(&meta)
    };
    let mut diags = read.diags;
    ipv6_note(&mut diags, path, &read.db);
    Ok(LeaseData {
        db: read.db,
        diags,
        stamp: FileStamp {
            path: path.to_path_buf(),
            identity,
        },
        consumed: read.consumed,
        incomplete_tail: read.incomplete_tail,
    })
}

/// Says once per read that IPv6 entries were skipped: a warning when the
/// file is a DHCPv6 lease file (no IPv4 lease at all), which belongs under
/// `leases6_file`, a note when a few sit in an IPv4 file.
pub fn ipv6_note(diags: &mut Diagnostics, path: &Path, db: &LeaseDb) {
    if db.ipv6_entries > 0 && db.lease_blocks == 0 {
        let file: Arc<str> = Arc::from(path.display().to_string());
        diags.file_level(
            &file,
            Severity::Warning,
            format!(
                "this is a DHCPv6 lease file (dhcpd6.leases: {} ia-na, ia-ta or ia-pd entries and no IPv4 lease); \
                 leases_file is for dhcpd -4's file, a DHCPv6 one belongs under leases6_file",
                db.ipv6_entries
            ),
        );
    } else if db.ipv6_entries > 0 {
        let file: Arc<str> = Arc::from(path.display().to_string());
        diags.file_level(
            &file,
            Severity::Note,
            format!(
                "{} IPv6 lease entries (ia-na, ia-ta, ia-pd) are not reported yet; skipped",
                db.ipv6_entries
            ),
        );
    }
}

/// A DHCPv6 lease file read to its end.
pub struct LeaseData6 {
    /// Positioned after the bytes consumed (the cache feeds it what dhcpd
    /// appends).
    pub parser: LeaseParser6,
    pub diags: Diagnostics,
    pub stamp: FileStamp,
    /// Bytes applied (complete items); the rest is an unfinished IA.
    pub consumed: u64,
    /// The first bytes of the file (to notice a rewrite in place).
    pub head: Vec<u8>,
}

impl LeaseData6 {
    pub fn db(&self) -> &LeaseDb6 {
        self.parser.db()
    }

    /// The size of the file as read.
    pub fn stamp_size(&self) -> u64 {
        self.stamp.identity.size
    }
}

/// Reads a whole `dhcpd6.leases` through a bounded buffer (in parallel
/// parts when it is large).
pub fn read_leases6(path: &Path, detail: Detail) -> Result<LeaseData6, InputError> {
    read_leases6_in_parts(path, detail, PARALLEL_MIN_PART)
}

/// [`read_leases6`] with parts of at least `min_part` bytes (tests cut
/// small files too).
pub fn read_leases6_in_parts(
    path: &Path,
    detail: Detail,
    min_part: u64,
) -> Result<LeaseData6, InputError> {
    let (file, meta) = open_regular(path)?;
    let name: Arc<str> = Arc::from(path.display().to_string());
    let io = |e: io::Error| input_error(path, e.to_string());
    let cuts = cut_points_at(&file, meta.len(), min_part, b"\nia-").map_err(io)?;
    let parallel = if cuts.is_empty() {
        None
    } else {
        read_parts6(&file, &name, detail, &cuts).map_err(io)?
    };
    let (parser, mut diags, consumed, read, head) = match parallel {
        Some(done) => done,
        None => {
            let mut parser = LeaseParser6::new(name, detail);
            let mut diags = Diagnostics::new();
            let mut reader = RangeReader::new(&file, 0, u64::MAX);
            let (consumed, read, head) = feed6(&mut reader, &mut parser, &mut diags).map_err(io)?;
            (parser, diags, consumed, read, head)
        }
    };
    family_note6(&mut diags, path, parser.db());
    Ok(LeaseData6 {
        parser,
        diags,
        stamp: FileStamp {
            path: path.to_path_buf(),
            identity: Identity {
                size: read,
                ..Identity::of(&meta)
            },
        },
        consumed,
        head,
    })
}

/// Streams bytes into a v6 parser through a buffer of a chunk plus the
/// unfinished item (capped at [`MAX_BLOCK`]: a longer "item" is damage,
/// skipped). The bytes are read straight into that buffer, a chunk at a
/// time, so the parser reads them while they are still in the cache.
/// Returns the bytes consumed, the bytes read, and the first
/// [`HEAD_BYTES`] read.
pub fn feed6(
    reader: &mut dyn Read,
    parser: &mut LeaseParser6,
    diags: &mut Diagnostics,
) -> io::Result<(u64, u64, Vec<u8>)> {
    let mut buf: Vec<u8> = vec![0; READ_CHUNK * 2];
    let mut filled = 0;
    let mut consumed: u64 = 0;
    let mut read: u64 = 0;
    let mut head = Vec::new();
    let mut grow = false;
    loop {
        // Nothing consumed last time: one item is longer than the buffer;
        // read as much again as is pending, so an item is parsed a
        // logarithmic number of times.
        let room = if grow {
            filled.clamp(READ_CHUNK, MAX_BLOCK)
        } else {
            READ_CHUNK
        };
        if buf.len() < filled + room {
            buf.resize(filled + room, 0);
        }
        let n = loop {
            match reader.read(buf.get_mut(filled..filled + room).unwrap_or_default()) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if head.len() < HEAD_BYTES {
            let want = (HEAD_BYTES - head.len()).min(n);
            head.extend_from_slice(buf.get(filled..filled + want).unwrap_or_default());
        }
        filled += n;
        read += n as u64;
        let at_end = n == 0;
        let used = parser
            .feed(buf.get(..filled).unwrap_or_default(), at_end, diags)
            .min(filled);
        consumed += used as u64;
        buf.copy_within(used..filled, 0);
        filled -= used;
        grow = used == 0;
        if at_end {
            return Ok((consumed, read, head));
        }
        if filled > MAX_BLOCK {
            // One item longer than any dhcpd writes: report, drop it, and
            // go on from the next line dhcpd may have written.
            diags.push(crate::diag::Diagnostic {
                file: parser.file().clone(),
                line: 0,
                col: 0,
                severity: Severity::Error,
                message: format!(
                    "an item of more than {} MiB at byte {consumed}: not something dhcpd writes; skipped",
                    MAX_BLOCK >> 20
                ),
            });
            let pending = buf.get(..filled).unwrap_or_default();
            let skip = memchr::memrchr(b'\n', pending).map_or(filled, |i| i + 1);
            parser.skip_lines(pending.get(..skip).unwrap_or_default());
            consumed += skip as u64;
            buf.copy_within(skip..filled, 0);
            filled -= skip;
        }
    }
}

/// What a v6 read hands back: the reader positioned at the end, the
/// diagnostics, the bytes consumed and read, the first bytes.
type Read6 = (LeaseParser6, Diagnostics, u64, u64, Vec<u8>);

/// Reads the parts of a large `dhcpd6.leases` (cut at column-0 `ia-`) on
/// their own threads into records by shard, then applies each shard's
/// records in file order, the shards shared out over as many threads:
/// the same result as one pass (which record wins depends only on the
/// order of a key's records, and a key's records all fall in one shard).
/// `None` if a part did not end on a complete item: then one pass reads
/// it all.
fn read_parts6(
    file: &File,
    name: &Arc<str>,
    detail: Detail,
    cuts: &[u64],
) -> io::Result<Option<Read6>> {
    let bounds = part_bounds(cuts);
    let size = file.metadata().map_or(0, |m| m.len());
    let read_part = |(from, to): (u64, u64)| -> io::Result<Read6> {
        let mut parser =
            LeaseParser6::collecting(Arc::clone(name), detail, to.min(size).saturating_sub(from));
        let mut diags = Diagnostics::new();
        let mut reader = RangeReader::new(file, from, to);
        let (consumed, read, head) = feed6(&mut reader, &mut parser, &mut diags)?;
        Ok((parser, diags, consumed, read, head))
    };
    let panicked = || io::Error::other("a lease reader thread panicked");
    let parts: Option<Vec<io::Result<Read6>>> = std::thread::scope(|scope| {
        // The first part on this thread, the others on their own (if the
        // system will not start a thread, one pass reads the file).
        let handles: Vec<_> = bounds
            .iter()
            .skip(1)
            .map(|&part| {
                std::thread::Builder::new()
                    .name("dhcpstats-leases6".into())
                    .spawn_scoped(scope, move || read_part(part))
            })
            .collect();
        if handles.iter().any(Result::is_err) {
            for h in handles.into_iter().flatten() {
                let _ = h.join();
            }
            return None;
        }
        let mut parts = vec![read_part(bounds.first().copied().unwrap_or((0, u64::MAX)))];
        parts.extend(
            handles
                .into_iter()
                .flatten()
                .map(|h| h.join().unwrap_or_else(|_| Err(panicked()))),
        );
        Some(parts)
    });
    let Some(parts) = parts else { return Ok(None) };
    let mut parts: Vec<Read6> = parts.into_iter().collect::<io::Result<_>>()?;
    let last = parts.len().saturating_sub(1);
    if parts
        .iter()
        .take(last)
        .any(|(_, _, consumed, read, _)| consumed < read)
    {
        return Ok(None);
    }
    let mut db = LeaseDb6::default();
    let records = parts
        .iter_mut()
        .map(|(parser, ..)| parser.take_records())
        .collect();
    let threads = parts.len();
    apply_parts(&mut db, records, threads).map_err(|_| panicked())?;
    // Diagnostics in file order, their lines counted from the start.
    let mut parts = parts.into_iter();
    let Some((mut merged, mut diags, mut consumed, mut offset, head)) = parts.next() else {
        return Ok(None);
    };
    let mut lines = merged.lines();
    let mut rest = Vec::new();
    for (parser, mut part_diags, part_consumed, part_read, _) in parts {
        part_diags.shift_lines(lines);
        lines = lines.saturating_add(parser.lines());
        diags.extend(part_diags);
        consumed = offset + part_consumed;
        offset += part_read;
        rest.push(parser);
    }
    merged.take_over(db, &rest);
    Ok(Some((merged, diags, consumed, offset, head)))
}

/// Applies the records of the parts of a file (each part's lists by
/// shard and its IA ids, in file order) to `db`, on up to `threads`
/// threads.
fn apply_parts(
    db: &mut LeaseDb6,
    parts: Vec<(Vec<Vec<Record6>>, PartIds)>,
    threads: usize,
) -> std::thread::Result<()> {
    // Each shard with its records, part after part, and each part's ids.
    let mut work: Vec<(&mut Shard6, Vec<Vec<Record6>>)> = db
        .shards_mut()
        .iter_mut()
        .map(|shard| (shard, Vec::with_capacity(parts.len())))
        .collect();
    let mut ids = Vec::with_capacity(parts.len());
    for (lists, part_ids) in parts {
        for ((_, shard_lists), records) in work.iter_mut().zip(lists) {
            shard_lists.push(records);
        }
        ids.push(part_ids);
    }
    apply_shards(work, &ids, threads)
}

/// Applies each shard's record lists (one per part, in file order, named
/// IA ids in `ids` of the same part) on up to `threads` threads, this one
/// included. Threads take shards from one queue until it is empty, so
/// the work is done even where no thread can be started. `Err` if one
/// panicked (a bug, not input).
fn apply_shards(
    work: Vec<(&mut Shard6, Vec<Vec<Record6>>)>,
    ids: &[PartIds],
    threads: usize,
) -> std::thread::Result<()> {
    let queue = std::sync::Mutex::new(work.into_iter());
    let drain = || loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
        let Some((shard, lists)) = next else { return };
        // No room reserved: a key has several records, and a shard's
        // table grows cheaply (it is small).
        for (records, ids) in lists.into_iter().zip(ids) {
            shard.apply_records(records, ids);
        }
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("dhcpstats-apply6".into())
                    .spawn_scoped(scope, drain)
                    .ok()
            })
            .collect();
        drain();
        // Every helper joined (one left unjoined would re-panic here).
        let joined: Vec<_> = helpers.into_iter().map(|h| h.join()).collect();
        joined
            .into_iter()
            .collect::<std::thread::Result<Vec<()>>>()
            .map(drop)
    })
}

/// A DHCPv4 lease file given as the v6 one: a warning naming the key.
pub fn family_note6(diags: &mut Diagnostics, path: &Path, db: &LeaseDb6) {
    if db.v4_entries > 0 && db.records() == 0 {
        let file: Arc<str> = Arc::from(path.display().to_string());
        diags.file_level(
            &file,
            Severity::Warning,
            format!(
                "this is a DHCPv4 lease file ({} lease blocks and no ia-na, ia-ta or ia-pd); \
                 leases6_file is for dhcpd -6's file, a DHCPv4 one belongs under leases_file",
                db.v4_entries
            ),
        );
    }
}

/// Files smaller than twice this are read by one thread.
pub const PARALLEL_MIN_PART: u64 = 16 * 1024 * 1024;

/// Bytes at the start of a lease file kept to notice an in-place rewrite.
pub const HEAD_BYTES: usize = 4096;

/// A lease file read from its start.
pub struct LeaseRead {
    /// The parser, positioned after the bytes consumed (the cache goes on
    /// feeding it appended bytes).
    pub parser: LeaseParser,
    pub db: LeaseDb,
    pub diags: Diagnostics,
    /// Bytes applied; the rest is an unfinished block.
    pub consumed: u64,
    /// Bytes read.
    pub read: u64,
    pub incomplete_tail: bool,
    /// The first [`HEAD_BYTES`] of the file.
    pub head: Vec<u8>,
}

impl LeaseRead {
    fn of(
        parser: LeaseParser,
        db: LeaseDb,
        diags: Diagnostics,
        s: Streamed,
        head: Vec<u8>,
    ) -> LeaseRead {
        LeaseRead {
            parser,
            db,
            diags,
            consumed: s.consumed,
            read: s.read,
            incomplete_tail: s.incomplete_tail,
            head,
        }
    }
}

/// Reads `file` from its start. Files of at least `2 * min_part` bytes are
/// cut into parts at lines that start with `lease ` and the parts are
/// parsed on separate threads, then merged in file order (a later block
/// still wins). That is exact: in a lease file strings and comments end at
/// the end of their line, so the sequential parser always starts a new
/// item at such a line whatever came before; if a part does not end on a
/// complete item (a damaged block right before the cut), the file is read
/// again sequentially.
pub fn read_lease_file(
    file: &File,
    name: Arc<str>,
    detail: Detail,
    min_part: u64,
) -> io::Result<LeaseRead> {
    let size = file.metadata()?.len();
    let mut head = vec![0u8; HEAD_BYTES.min(size as usize)];
    let got = read_at_most(file, &mut head, 0)?;
    head.truncate(got);
    let cuts = cut_points(file, size, min_part)?;
    if !cuts.is_empty() {
        if let Some(mut read) = read_parts(file, &name, detail, &cuts)? {
            read.head = head;
            return Ok(read);
        }
    }
    let mut parser = LeaseParser::new(name, detail);
    let mut db = LeaseDb::default();
    let mut diags = Diagnostics::new();
    let s = stream_leases_from(
        &mut RangeReader::new(file, 0, u64::MAX),
        &mut parser,
        &mut db,
        &mut diags,
        true,
    )?;
    Ok(LeaseRead::of(parser, db, diags, s, head))
}

/// Offsets where parts start: just after a newline, at `lease `.
fn cut_points(file: &File, size: u64, min_part: u64) -> io::Result<Vec<u64>> {
    cut_points_at(file, size, min_part, b"\nlease ")
}

/// Offsets where parts start: just after the newline of `mark`.
fn cut_points_at(file: &File, size: u64, min_part: u64, mark: &[u8]) -> io::Result<Vec<u64>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8) as u64;
    if threads < 2 || min_part == 0 || size < 2 * min_part {
        return Ok(Vec::new());
    }
    let parts = threads.min(size / min_part);
    let mut cuts = Vec::new();
    let mut window = vec![0u8; 64 * 1024];
    for k in 1..parts {
        let target = size * k / parts;
        let got = read_at_most(file, &mut window, target)?;
        let Some(i) = memchr::memmem::find(window.get(..got).unwrap_or_default(), mark) else {
            continue;
        };
        let cut = target + i as u64 + 1;
        if cuts.last().is_none_or(|&last| cut > last) && cut < size {
            cuts.push(cut);
        }
    }
    Ok(cuts)
}

/// The byte ranges `[0, cuts[0])`, `[cuts[0], cuts[1])`, …, `[last, EOF)`
/// (EOF as `u64::MAX`: the last part reads to the end, however far).
fn part_bounds(cuts: &[u64]) -> Vec<(u64, u64)> {
    let starts = std::iter::once(0).chain(cuts.iter().copied());
    let ends = cuts.iter().copied().chain(std::iter::once(u64::MAX));
    starts.zip(ends).collect()
}

/// Parses the parts `[0, cuts[0])`, `[cuts[0], cuts[1])`, …, `[last, EOF)`
/// in parallel. `None` if a part did not end on a complete item.
fn read_parts(
    file: &File,
    name: &Arc<str>,
    detail: Detail,
    cuts: &[u64],
) -> io::Result<Option<LeaseRead>> {
    let bounds = part_bounds(cuts);
    let last = bounds.len() - 1;
    let results: Vec<io::Result<(LeaseParser, LeaseDb, Diagnostics, Streamed)>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = bounds
                .iter()
                .enumerate()
                .map(|(i, &(from, to))| {
                    let name = Arc::clone(name);
                    scope.spawn(move || {
                        let mut parser = LeaseParser::new(name, detail);
                        let mut db = LeaseDb::default();
                        let mut diags = Diagnostics::new();
                        let mut reader = RangeReader::new(file, from, to);
                        let s = stream_leases_from(
                            &mut reader,
                            &mut parser,
                            &mut db,
                            &mut diags,
                            i == last,
                        )?;
                        Ok((parser, db, diags, s))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(io::Error::other("a lease reader thread panicked")))
                })
                .collect()
        });
    let mut merged: Option<LeaseRead> = None;
    let mut lines_before: u32 = 0;
    let mut offset: u64 = 0;
    for (i, r) in results.into_iter().enumerate() {
        let (mut parser, mut db, mut diags, s) = r?;
        if i != last && s.leftover > 0 {
            return Ok(None);
        }
        let lines_here = parser.position().0.saturating_sub(1);
        diags.shift_lines(lines_before);
        parser.shift_lines(lines_before);
        db.shift_lines(lines_before);
        lines_before = lines_before.saturating_add(lines_here);
        match merged.as_mut() {
            None => merged = Some(LeaseRead::of(parser, db, diags, s, Vec::new())),
            Some(m) => {
                m.db.merge_later(db);
                m.diags.extend(diags);
                m.parser = parser;
                m.consumed = offset + s.consumed;
                m.read = offset + s.read;
                m.incomplete_tail = s.incomplete_tail;
            }
        }
        offset += s.read;
    }
    Ok(merged)
}

fn read_at_most(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut reader = RangeReader::new(file, at, u64::MAX);
    let mut got = 0;
    while got < buf.len() {
        match reader.read(buf.get_mut(got..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads `[pos, end)` of a file with positioned reads, so several readers
/// can share one open file (one version of it, even if renamed over).
pub struct RangeReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl<'a> RangeReader<'a> {
    pub fn new(file: &'a File, pos: u64, end: u64) -> RangeReader<'a> {
        RangeReader { file, pos, end }
    }
}

impl Read for RangeReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = self.end.saturating_sub(self.pos);
        if room == 0 {
            return Ok(0);
        }
        let max = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = read_at(self.file, buf.get_mut(..max).unwrap_or_default(), self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(not(unix))]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    use std::io::Seek;
    let mut f = file;
    f.seek(io::SeekFrom::Start(at))?;
    f.read(buf)
}

/// What [`stream_leases_from`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Streamed {
    /// Bytes applied.
    pub consumed: u64,
    /// Bytes read.
    pub read: u64,
    /// At the end, the unconsumed rest is an unfinished block.
    pub incomplete_tail: bool,
    /// Bytes left unconsumed at the end.
    pub leftover: usize,
}

/// Feeds everything `reader` yields to `parser`, applying it to `db`,
/// holding at most one unfinished block plus one chunk. Returns the bytes
/// consumed and whether the input ended inside a block.
pub fn stream_leases<R: Read>(
    reader: &mut R,
    parser: &mut LeaseParser,
    db: &mut LeaseDb,
    diags: &mut Diagnostics,
) -> io::Result<(u64, bool)> {
    let s = stream_leases_from(reader, parser, db, diags, true)?;
    Ok((s.consumed, s.incomplete_tail))
}

/// [`stream_leases`]; `final_part` says whether the end of `reader` is the
/// end of the input (false for a part cut from a larger file).
pub fn stream_leases_from<R: Read>(
    reader: &mut R,
    parser: &mut LeaseParser,
    db: &mut LeaseDb,
    diags: &mut Diagnostics,
    final_part: bool,
) -> io::Result<Streamed> {
    // One buffer, zeroed once: bytes not yet consumed (an unfinished
    // block) are moved to the front and the rest is refilled. It grows
    // only while one block is larger than it, doubling, and never past
    // the parser's cap on a block (damaged bytes of any length are
    // consumed as they are skipped, so they never make it grow).
    let mut buf: Vec<u8> = vec![0; READ_CHUNK * 2];
    let mut filled = 0;
    let mut consumed_total: u64 = 0;
    let mut read_total: u64 = 0;
    let mut grow = false;
    loop {
        let room = if grow {
            filled.clamp(READ_CHUNK, MAX_BLOCK)
        } else {
            READ_CHUNK
        };
        if buf.len() - filled < room {
            buf.resize(filled + room, 0);
        }
        let n = loop {
            match reader.read(buf.get_mut(filled..).unwrap_or_default()) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        filled += n;
        read_total += n as u64;
        let eof = n == 0;
        let feed = parser.feed_into(
            db,
            buf.get(..filled).unwrap_or_default(),
            eof && final_part,
            diags,
        );
        let consumed = feed.consumed.min(filled);
        consumed_total += consumed as u64;
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;
        // Nothing consumed: one item is larger than the buffer. Read
        // twice as much before trying again, so that an item of n bytes
        // is parsed a logarithmic number of times (linear in all), up to
        // the parser's limit of one block.
        grow = consumed == 0;
        if eof && !final_part {
            parser.end_of_part(diags);
        }
        if eof {
            return Ok(Streamed {
                consumed: consumed_total,
                read: read_total,
                incomplete_tail: feed.incomplete_tail,
                leftover: filled,
            });
        }
    }
}

/// Reports a configured file that cannot be read as a diagnostic (for
/// `check`, which lists every problem instead of stopping at the first).
pub fn file_problem(diags: &mut Diagnostics, e: &InputError) {
    let file: Arc<str> = Arc::from(e.path.display().to_string());
    diags.file_level(
        &file,
        Severity::Error,
        format!("cannot read: {}", e.message),
    );
}

/// Everything a one-shot command (`dump`, `check`, `alarm`) reads: the
/// configured families' configurations and lease files.
pub struct Site {
    pub v4: Option<(ConfData, LeaseData)>,
    pub v6: Option<(ConfData, LeaseData6)>,
    /// Stand-ins for an absent v4 family (the JSON writer borrows both).
    empty_conf: Conf,
    empty_db: LeaseDb,
}

impl Site {
    /// Reads both families at once (the lease files on their own
    /// threads: the v4 reader splits large files over the cores).
    pub fn load(config: &crate::config::Config, detail: Detail) -> Result<Site, InputError> {
        std::thread::scope(|scope| {
            let leases4 = config
                .v4
                .as_ref()
                .map(|f| scope.spawn(move || read_leases(&f.leases_file, detail)));
            let leases6 = config
                .v6
                .as_ref()
                .map(|f| scope.spawn(move || read_leases6(&f.leases_file, detail)));
            let conf4 = config.v4.as_ref().map(|f| read_conf(f, Family::V4));
            let conf6 = config.v6.as_ref().map(|f| read_conf(f, Family::V6));
            let panicked = |path: &Path| InputError {
                path: path.to_path_buf(),
                message: "the lease reader thread panicked".to_string(),
            };
            let v4 = match (conf4, leases4, &config.v4) {
                (Some(c), Some(l), Some(f)) => Some((
                    c?,
                    l.join().unwrap_or_else(|_| Err(panicked(&f.leases_file)))?,
                )),
                _ => None,
            };
            let v6 = match (conf6, leases6, &config.v6) {
                (Some(c), Some(l), Some(f)) => Some((
                    c?,
                    l.join().unwrap_or_else(|_| Err(panicked(&f.leases_file)))?,
                )),
                _ => None,
            };
            Ok(Site {
                v4,
                v6,
                empty_conf: Conf::default(),
                empty_db: LeaseDb::default(),
            })
        })
    }

    /// The report of both families for `now`.
    pub fn report(&self, now: i64, detail: Detail) -> crate::report::Report {
        let report = match &self.v4 {
            Some((c, l)) => crate::report::build(&c.conf, &l.db, now, detail),
            None => crate::report::Report {
                now,
                detail,
                ..Default::default()
            },
        };
        match &self.v6 {
            Some((c, l)) => report.with_v6(crate::report::v6::build(&c.conf, l.db(), now, detail)),
            None => report,
        }
    }

    /// What the JSON writer reads.
    pub fn sources<'a>(
        &'a self,
        report: &'a crate::report::Report,
    ) -> crate::report::json::Sources<'a> {
        let (conf, db) = match &self.v4 {
            Some((c, l)) => (&c.conf, &l.db),
            None => (&self.empty_conf, &self.empty_db),
        };
        crate::report::json::Sources {
            report,
            conf,
            db,
            v6: self
                .v6
                .as_ref()
                .map(|(c, l)| crate::report::json::Sources6 {
                    conf: &c.conf,
                    db: l.db(),
                }),
        }
    }

    /// The v4 configuration (empty without one).
    pub fn conf4(&self) -> &Conf {
        self.v4.as_ref().map_or(&self.empty_conf, |(c, _)| &c.conf)
    }

    /// The v6 configuration, when configured.
    pub fn conf6(&self) -> Option<&Conf> {
        self.v6.as_ref().map(|(c, _)| &c.conf)
    }

    /// Every diagnostic of reading the files (not of placing hosts).
    pub fn diagnostics(&self) -> Diagnostics {
        let mut d = Diagnostics::new();
        if let Some((c, l)) = &self.v4 {
            d.extend(c.diags.clone());
            d.extend(l.diags.clone());
        }
        if let Some((c, l)) = &self.v6 {
            d.extend(c.diags.clone());
            d.extend(l.diags.clone());
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_in_small_reads_equals_one_pass() {
        let text = b"lease 10.0.0.1 {\n  binding state active;\n  ends never;\n}\nlease 10.0.0.2 {\n  binding state free;\n}\nlease 10.0.0.1 {\n  binding state free;\n}\nlease 10.0.0.3 {\n  binding";
        // A reader that returns 3 bytes at a time.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(3).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut diags = Diagnostics::new();
        let mut p = LeaseParser::new(Arc::from("t"), Detail::Full);
        let mut db = LeaseDb::default();
        let (consumed, tail) = stream_leases(&mut Slow(text), &mut p, &mut db, &mut diags).unwrap();
        assert!(tail);
        assert_eq!(
            consumed as usize,
            text.len() - "lease 10.0.0.3 {\n  binding".len()
        );
        assert_eq!(db.leases.len(), 2);
        assert!(diags.is_empty(), "{:?}", diags.items());
    }

    /// Shards applied from a queue on any number of threads (one: none
    /// could be started) give what one pass gives, IA ids included.
    #[test]
    fn shards_applied_on_any_number_of_threads_give_one_pass() {
        let mut text = String::new();
        for i in 0..3000 {
            let state = ["active", "expired", "released", "abandoned"][i % 4];
            text.push_str(&format!(
                "ia-na \"ia{}\" {{\n  cltt 4 2026/11/26 01:20:11;\n  iaaddr 2001:db8::{:x} {{\n    binding state {state};\n    ends never;\n  }}\n}}\n",
                i % 70,
                i % 900
            ));
        }
        let cut = text.len() / 2;
        let cut = cut + text[cut..].find("\nia-na").unwrap() + 1;
        let mut d = Diagnostics::new();
        let one =
            crate::dhcp::leases6::parse_all(Arc::from("t"), text.as_bytes(), Detail::Full, &mut d);
        for threads in [1, 2, 5] {
            let parts: Vec<(Vec<Vec<Record6>>, PartIds)> = [&text[..cut], &text[cut..]]
                .iter()
                .map(|part| {
                    let mut p = LeaseParser6::collecting(Arc::from("t"), Detail::Full, 0);
                    p.feed(part.as_bytes(), true, &mut d);
                    p.take_records()
                })
                .collect();
            let mut db = LeaseDb6::default();
            apply_parts(&mut db, parts, threads).unwrap();
            assert!(db == one, "{threads} threads");
        }
        assert!(d.is_empty(), "{:?}", d.items());
    }
}
