//! The cache between dhcpd's files and the server: it re-reads a file only
//! when its identity (device, inode, size, mtime) changed, reads only the
//! appended bytes of a grown lease file, rebuilds the report when time
//! makes it stale, and keeps rendered JSON per data generation.
//!
//! Main types: [`Cache`] (one per server, shared by the workers),
//! [`Generation`] (an immutable snapshot: configuration, lease database,
//! report for one `now`, lazily rendered bodies) and [`LeaseTail`] (the
//! incremental reader of the lease file).
//!
//! Consistency: a generation is built only from files that were all read
//! successfully; a failed read keeps the previous generation (marked stale
//! in [`Cache::read_state`]). Renders read only their own generation, so an
//! answer is always one version of the files. The lease database is shared
//! between generations through an `Arc`; appending uses `Arc::make_mut`,
//! which mutates in place when no request still holds the old generation
//! and copies otherwise.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

mod tail6;

pub use tail6::LeaseTail6;

use crate::clock::unix_now;
use crate::config::{Config, Files};
use crate::dhcp::Detail;
use crate::dhcp::conf::Family;
use crate::dhcp::leases::{Appended, LeaseChange, LeaseDb, LeaseParser};
use crate::dhcp::leases6::LeaseDb6;
use crate::diag::Diagnostics;
use crate::inputs::{self, ConfData, FileStamp, Identity, InputError};
use crate::report::json::{self, Sources, Style};
use crate::report::{self, Report};

/// The files a cache reads, from the configuration: dhcpd -4's, dhcpd
/// -6's, or both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    pub v4: Option<Files>,
    pub v6: Option<Files>,
}

impl Paths {
    pub fn of(config: &Config) -> Paths {
        Paths {
            v4: config.v4.clone(),
            v6: config.v6.clone(),
        }
    }
}

/// A rendered response body and its entity tag.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub body: Arc<Vec<u8>>,
    pub etag: String,
}

/// An immutable snapshot of everything the answers are made from.
pub struct Generation {
    pub id: u64,
    /// dhcpd -4's configuration and leases (empty when not configured).
    pub conf: Arc<ConfData>,
    pub db: Arc<LeaseDb>,
    /// dhcpd -6's, when configured.
    pub conf6: Option<Arc<ConfData>>,
    pub db6: Option<Arc<LeaseDb6>>,
    pub report: Report,
    /// The facts `/status` shows, also kept apart from the generation.
    pub info: Arc<GenerationInfo>,
    /// `[summary][pretty]`
    rendered: [[OnceLock<Rendered>; 2]; 2],
    /// Rendered `/metrics` body, built by [`crate::metrics`].
    pub metrics: OnceLock<Arc<Vec<u8>>>,
    /// Rendered dashboard pages, by a key naming the view and everything
    /// else it depends on (see [`Generation::page`]).
    pages: Mutex<Vec<(String, Rendered)>>,
    /// The report was updated from the previous generation's with the
    /// appended changes, not built from the whole database.
    pub report_updated: bool,
}

/// What is known about a generation without its data: what `/status`
/// shows and what [`Cache::fresh`] compares with the files.
#[derive(Clone, Debug)]
pub struct GenerationInfo {
    pub id: u64,
    /// Unix time this generation was built.
    pub built_at: i64,
    /// The time its report counts for, and until when that holds.
    pub evaluated_at: i64,
    pub valid_until: Option<i64>,
    pub subnets: usize,
    /// Addresses in the lease database, and blocks applied to it.
    pub leases_in_db: usize,
    pub lease_blocks: u64,
    /// The configuration files read (with includes), both families.
    pub conf_files: Vec<FileStamp>,
    /// The lease files as last read: dhcpd -4's and dhcpd -6's.
    pub leases: Option<LeaseFileInfo>,
    pub leases6: Option<LeaseFileInfo>,
    /// Every diagnostic: configuration, lease file, host placement.
    pub diagnostics: Diagnostics,
    /// The version of the lease database the report counts
    /// ([`LeaseTail::version`]), and of the v6 one.
    pub db_version: u64,
    pub db6_version: u64,
    /// Which paths it was read from ([`Cache::set_paths`] counts changes).
    pub paths_epoch: u64,
}

/// What is known about the lease file of a generation.
#[derive(Clone, Debug)]
pub struct LeaseFileInfo {
    pub stamp: FileStamp,
    /// Bytes applied; the rest is an unfinished block.
    pub consumed: u64,
    pub incomplete_tail: bool,
    /// Unix time of the last read, and how long it took.
    pub read_at: i64,
    pub read_duration: Duration,
    /// How the last read went: full, or only the appended bytes.
    pub last_read: ReadKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadKind {
    Full,
    Appended,
}

impl ReadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadKind::Full => "full",
            ReadKind::Appended => "appended",
        }
    }
}

impl Generation {
    /// The `/subnets` body in a style, rendered once per generation.
    pub fn render(&self, style: Style) -> Rendered {
        self.slot(style)
            .get_or_init(|| Rendered {
                body: json::render_all(self.sources(), style).into(),
                etag: self.etag(style, ""),
            })
            .clone()
    }

    /// The `/subnets` body if it was rendered already (the poll loops
    /// answer only with bytes that exist; rendering is a worker's job).
    pub fn rendered(&self, style: Style) -> Option<Rendered> {
        self.slot(style).get().cloned()
    }

    fn slot(&self, style: Style) -> &OnceLock<Rendered> {
        let [summary, full] = &self.rendered;
        let [plain, pretty] = match style.detail {
            Detail::Summary => summary,
            Detail::Full => full,
        };
        if style.pretty { pretty } else { plain }
    }

    /// The entity tag of a body of this generation: unique across
    /// processes (a restart with other data must not match a tag a
    /// client kept), across generations and across styles.
    fn etag(&self, style: Style, what: &str) -> String {
        format!(
            "\"{}-g{}-{}{}{what}\"",
            process_nonce(),
            self.id,
            u8::from(style.detail == Detail::Summary),
            u8::from(style.pretty)
        )
    }

    /// One subnet's body (rendered per request: it is small).
    pub fn render_subnet(&self, which: report::SubnetRef, style: Style) -> Option<Rendered> {
        let (body, tag) = match which {
            report::SubnetRef::V4(i) => {
                let sr = self.report.subnets.get(i)?;
                (
                    json::render_subnet(self.sources(), sr, style),
                    format!("-s{i}"),
                )
            }
            report::SubnetRef::V6(i) => {
                let sr = self.report.v6.subnets.get(i)?;
                (
                    json::render_subnet6(self.sources(), sr, style)?,
                    format!("-t{i}"),
                )
            }
        };
        Some(Rendered {
            body: body.into(),
            etag: self.etag(style, &tag),
        })
    }

    /// A page of this generation, rendered once per `key`. The key must
    /// name everything besides the generation that the page shows (the
    /// view, the alarm settings' epoch, the read state): it is also in
    /// the entity tag, so it holds only `[A-Za-z0-9._-]`. Few keys are
    /// kept; the oldest goes first.
    pub fn page(&self, key: &str, render: impl FnOnce() -> Vec<u8>) -> Rendered {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, r)) = pages.iter().find(|(k, _)| k == key) {
            return r.clone();
        }
        let rendered = Rendered {
            body: render().into(),
            etag: self.page_etag(key),
        };
        if pages.len() >= MAX_PAGES {
            pages.remove(0);
        }
        pages.push((key.to_string(), rendered.clone()));
        rendered
    }

    /// The page if it was rendered already; `None` also while another
    /// thread renders one (the poll loops never wait).
    pub fn cached_page(&self, key: &str) -> Option<Rendered> {
        let pages = self.pages.try_lock().ok()?;
        pages.iter().find(|(k, _)| k == key).map(|(_, r)| r.clone())
    }

    /// The entity tag of a page rendered per request.
    pub fn page_etag(&self, key: &str) -> String {
        format!("\"{}-g{}-{key}\"", process_nonce(), self.id)
    }

    pub fn sources(&self) -> Sources<'_> {
        Sources {
            report: &self.report,
            conf: &self.conf.conf,
            db: &self.db,
            v6: match (&self.conf6, &self.db6) {
                (Some(c), Some(db)) => Some(json::Sources6 { conf: &c.conf, db }),
                _ => None,
            },
        }
    }
}

/// Dashboard pages kept per generation (two orders of the overview, a
/// few alarm-settings epochs or read states).
const MAX_PAGES: usize = 8;

/// A random value fixed for the life of the process, in every entity tag:
/// generation numbers restart at 1 in every process, so without it a
/// client's tag from before a restart could match other data.
pub fn process_nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| {
        let mut bytes = [0u8; 8];
        let random = File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
        let value = match random {
            Ok(()) => u64::from_le_bytes(bytes),
            // No /dev/urandom (a bare chroot): the clock and the process
            // id, mixed, still differ between two runs.
            Err(_) => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                (nanos ^ u64::from(std::process::id()).rotate_left(32))
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            }
        };
        format!("{value:016x}")
    })
}

/// The incremental reader of the lease file.
pub struct LeaseTail {
    path: PathBuf,
    parser: LeaseParser,
    db: Arc<LeaseDb>,
    diags: Diagnostics,
    info: LeaseFileInfo,
    head: Vec<u8>,
    /// Which state of the database this is: a new number after every
    /// read that changed it (unique across reloads too).
    version: u64,
    /// What the last read changed, when it read only appended bytes, and
    /// the version it was applied to.
    appended: Option<(u64, Appended)>,
}

/// Versions of lease databases, unique in the process.
static DB_VERSIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_db_version() -> u64 {
    DB_VERSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// What a refresh of the lease file found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TailChange {
    Unchanged,
    Appended,
    Reloaded,
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> InputError {
    InputError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl LeaseTail {
    /// Reads the whole file. If the path is replaced while we read (dhcpd
    /// renames its rewrite over it), the new file is read instead.
    pub fn load(path: &Path) -> Result<LeaseTail, InputError> {
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let file = File::open(path).map_err(|e| io_error(path, e))?;
            let meta = file.metadata().map_err(|e| io_error(path, e))?;
            if meta.is_dir() {
                return Err(io_error(path, "is a directory, not a file"));
            }
            let before = Identity::of(&meta);
            let name: Arc<str> = Arc::from(path.display().to_string());
            let read =
                inputs::read_lease_file(&file, name, Detail::Full, inputs::PARALLEL_MIN_PART)
                    .map_err(|e| io_error(path, e))?;
            let now_at_path = std::fs::metadata(path).map(|m| Identity::of(&m));
            let replaced = now_at_path.as_ref().is_ok_and(|id| !id.same_file(&before));
            if replaced && attempt < 3 {
                attempt += 1;
                continue;
            }
            // The size we compare with later is what we read: bytes
            // appended after our read make the identity differ.
            let identity = Identity {
                size: read.read,
                ..before
            };
            let mut diags = read.diags;
            inputs::ipv6_note(&mut diags, path, &read.db);
            return Ok(LeaseTail {
                path: path.to_path_buf(),
                parser: read.parser,
                db: Arc::new(read.db),
                diags,
                info: LeaseFileInfo {
                    stamp: FileStamp {
                        path: path.to_path_buf(),
                        identity,
                    },
                    consumed: read.consumed,
                    incomplete_tail: read.incomplete_tail,
                    read_at: unix_now(),
                    read_duration: started.elapsed(),
                    last_read: ReadKind::Full,
                },
                head: read.head,
                version: next_db_version(),
                appended: None,
            });
        }
    }

    pub fn db(&self) -> &Arc<LeaseDb> {
        &self.db
    }

    pub fn info(&self) -> &LeaseFileInfo {
        &self.info
    }

    /// The version of the database (see [`GenerationInfo::db_version`]).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The addresses the last read changed, if it read only appended
    /// bytes, with the version of the database they were applied to.
    pub fn appended(&self) -> Option<(u64, &Appended)> {
        self.appended.as_ref().map(|(v, a)| (*v, a))
    }

    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diags
    }

    /// Brings the database up to date with the file: nothing if its
    /// identity is unchanged; only the new bytes if it grew in place with
    /// the same beginning; a full read otherwise (new inode, truncated,
    /// rewritten in place).
    pub fn refresh(&mut self) -> Result<TailChange, InputError> {
        match self.changed()? {
            None => Ok(TailChange::Unchanged),
            Some(now_id) => self.update(now_id),
        }
    }

    /// The file's identity now, if it differs from the one last read.
    pub fn changed(&self) -> Result<Option<Identity>, InputError> {
        changed_identity(&self.path, self.info.stamp.identity)
    }

    /// Reads what changed: only the appended bytes if the file grew in
    /// place with the same beginning, else the whole file.
    pub fn update(&mut self, now_id: Identity) -> Result<TailChange, InputError> {
        let grown = open_grown_in_place(&self.path, &self.info, now_id, &self.head, u64::MAX)?;
        if let Some((file, id)) = grown {
            if self.read_appended(&file, id).is_ok() {
                return Ok(TailChange::Appended);
            }
        }
        *self = LeaseTail::load(&self.path)?;
        Ok(TailChange::Reloaded)
    }

    /// Parses the appended bytes into a small database first and merges
    /// it only when the read succeeded, so a failed read changes nothing.
    /// The merge is in place when no generation still shares the database
    /// (the cache releases its own before calling this), a copy otherwise.
    fn read_appended(&mut self, file: &File, before: Identity) -> Result<(), InputError> {
        let started = Instant::now();
        let path = self.path.clone();
        let start = self.info.consumed;
        let mut reader = inputs::RangeReader::new(file, start, u64::MAX);
        let mut parser = self.parser.clone();
        let mut delta = LeaseDb::default();
        let mut diags = Diagnostics::new();
        let s = inputs::stream_leases_from(&mut reader, &mut parser, &mut delta, &mut diags, true)
            .map_err(|e| io_error(&path, e))?;
        self.parser = parser;
        self.diags.extend(diags);
        let changes = Arc::make_mut(&mut self.db).merge_appended(delta);
        self.appended = Some((self.version, changes));
        self.version = next_db_version();
        self.info.consumed = start + s.consumed;
        self.info.incomplete_tail = s.incomplete_tail;
        self.info.stamp.identity = Identity {
            size: start + s.read,
            ..before
        };
        self.info.read_at = unix_now();
        self.info.read_duration = started.elapsed();
        self.info.last_read = ReadKind::Appended;
        Ok(())
    }
}

/// The identity of the file at `path` now, if it differs from `known`.
fn changed_identity(path: &Path, known: Identity) -> Result<Option<Identity>, InputError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        return Err(io_error(path, "is a directory, not a file"));
    }
    let now_id = Identity::of(&meta);
    Ok((now_id != known).then_some(now_id))
}

/// The lease file opened for reading only its appended bytes, with the
/// identity of that very handle, if it grew in place (same inode, not
/// shorter, at most `max_appended` new bytes, same first bytes); `None`
/// when it must be read whole. `now_id` is what `stat` said a moment ago.
fn open_grown_in_place(
    path: &Path,
    info: &LeaseFileInfo,
    now_id: Identity,
    head: &[u8],
    max_appended: u64,
) -> Result<Option<(File, Identity)>, InputError> {
    let old = info.stamp.identity;
    // dhcpd never truncates its lease file (it renames a complete new
    // one over it); an empty file where there was data is an accident
    // or a failing disk, not "no leases".
    if now_id.size == 0 && old.size > 0 {
        return Err(io_error(
            path,
            "was truncated to 0 bytes; keeping the last good data until it has content again",
        ));
    }
    let grew_in_place = |id: Identity| {
        id.same_file(&old)
            && id.size >= old.size
            && id.size.saturating_sub(info.consumed) <= max_appended
    };
    if !grew_in_place(now_id) {
        return Ok(None);
    }
    // The checks are made again on the handle that will be read: between
    // the `stat` and the `open` dhcpd may rename a new file over the path,
    // and the appended bytes must come from the very file that was checked
    // (else the tail of another version would be read as appended).
    let Ok(file) = File::open(path) else {
        return Ok(None);
    };
    let Ok(meta) = file.metadata() else {
        return Ok(None);
    };
    let id = Identity::of(&meta);
    Ok((grew_in_place(id) && same_head(&file, head)).then_some((file, id)))
}

/// Does the file still begin with `head` (not rewritten in place)?
fn same_head(file: &File, head: &[u8]) -> bool {
    let mut buf = vec![0u8; head.len()];
    let mut reader = inputs::RangeReader::new(file, 0, head.len() as u64);
    reader.read_exact(&mut buf).is_ok() && buf == head
}

/// Why the cache has nothing to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoData(pub String);

/// The outcome of the last attempt to read the files.
#[derive(Clone, Debug, Default)]
pub struct ReadState {
    /// The error of the last read, if it failed (we may still serve an
    /// older generation: then the answer is stale).
    pub error: Option<String>,
    /// Unix time of the last failed read.
    pub failed_at: Option<i64>,
}

/// What a refresh works with; only the refresh holds it.
struct State {
    conf: Option<Arc<ConfData>>,
    tail: Option<LeaseTail>,
    conf6: Option<Arc<ConfData>>,
    tail6: Option<LeaseTail6>,
    next_id: u64,
    /// The paths read, and the [`Cache::paths_epoch`] they belong to.
    paths: Paths,
    paths_epoch: u64,
}

/// What readers see: written only by a refresh, and then only to swap in
/// a finished value, so taking it never waits for file reading or
/// counting.
#[derive(Default)]
struct Published {
    /// The generation to answer from. A refresh that reads appended bytes
    /// takes it out (see [`Cache::get`]), so it is `None` while that runs.
    current: Option<Arc<Generation>>,
    /// The facts `/status` shows about the last generation built; kept
    /// while `current` is lent to a refresh.
    info: Option<Arc<GenerationInfo>>,
    read: ReadState,
}

/// Everything the server answers from. Thread-safe.
///
/// Two locks with two jobs: `refresh` is held for the whole of a refresh
/// (reading files, counting, on a worker), and `published` only for the
/// moment it takes to clone or swap an `Arc`. The poll loops take only
/// `published` (and [`Cache::fresh`] adds a `stat` per file), so a refresh
/// of a 400 MB lease file never makes them wait; requests that need the
/// new data wait for it on a worker, in [`Cache::get`].
pub struct Cache {
    refresh: Mutex<State>,
    published: RwLock<Published>,
    /// Paths set by SIGHUP, picked up by the next refresh.
    new_paths: Mutex<Option<Paths>>,
    /// Counts path changes: a generation built for older paths is never
    /// fresh.
    paths_epoch: AtomicU64,
    fixed_now: Option<i64>,
    /// Called with a log line whenever data is rebuilt or a read fails.
    log: Box<dyn Fn(&str) + Send + Sync>,
}

impl Cache {
    pub fn new(
        paths: Paths,
        fixed_now: Option<i64>,
        log: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Cache {
        Cache {
            refresh: Mutex::new(State {
                conf: None,
                tail: None,
                conf6: None,
                tail6: None,
                next_id: 1,
                paths,
                paths_epoch: 0,
            }),
            published: RwLock::new(Published::default()),
            new_paths: Mutex::new(None),
            paths_epoch: AtomicU64::new(0),
            fixed_now,
            log,
        }
    }

    pub fn now(&self) -> i64 {
        self.fixed_now.unwrap_or_else(unix_now)
    }

    /// Switches to other files (after SIGHUP): the next request refreshes
    /// from them. Never waits for a refresh in progress.
    pub fn set_paths(&self, paths: Paths) {
        *self.new_paths.lock().unwrap_or_else(|p| p.into_inner()) = Some(paths);
        self.paths_epoch.fetch_add(1, Ordering::SeqCst);
    }

    fn lock_refresh(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every
        // update is a replacement), so a poisoned lock is still usable.
        self.refresh.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read_published(&self) -> std::sync::RwLockReadGuard<'_, Published> {
        self.published.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_published(&self) -> std::sync::RwLockWriteGuard<'_, Published> {
        self.published.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The current generation if it answers for the files as they are
    /// now (a `stat` of each) and for the time now; `None` if a refresh
    /// is needed or running. Never waits for a refresh.
    pub fn fresh(&self) -> Option<Arc<Generation>> {
        let now = self.now();
        let g = {
            let p = self.read_published();
            if p.read.error.is_some() {
                return None;
            }
            Arc::clone(p.current.as_ref()?)
        };
        let current = g.info.paths_epoch == self.paths_epoch.load(Ordering::SeqCst)
            && g.report.valid_until.is_none_or(|t| now < t)
            && g.info.conf_files.iter().all(FileStamp::unchanged)
            && [&g.info.leases, &g.info.leases6]
                .into_iter()
                .flatten()
                .all(|l| l.stamp.unchanged());
        current.then_some(g)
    }

    /// The generation to answer from, refreshed as needed. A refresh runs
    /// on the caller's thread; callers that arrive meanwhile wait for it
    /// and then answer from its result.
    pub fn get(&self) -> Result<Arc<Generation>, NoData> {
        if let Some(g) = self.fresh() {
            return Ok(g);
        }
        let mut guard = self.lock_refresh();
        // Someone else may have refreshed while we waited.
        if let Some(g) = self.fresh() {
            return Ok(g);
        }
        let result = self.refresh_locked(&mut guard);
        drop(guard);
        result
    }

    fn refresh_locked(&self, st: &mut State) -> Result<Arc<Generation>, NoData> {
        let now = self.now();
        let epoch = self.paths_epoch.load(Ordering::SeqCst);
        if let Some(paths) = self
            .new_paths
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            if st.paths != paths {
                st.paths = paths;
                st.conf = None;
                st.tail = None;
                st.conf6 = None;
                st.tail6 = None;
            }
        }
        st.paths_epoch = epoch;
        let paths4 = st.paths.v4.clone();
        let paths6 = st.paths.v6.clone();
        let conf_changed = paths4.is_some()
            && st
                .conf
                .as_ref()
                .is_none_or(|c| c.files.iter().any(|f| !f.unchanged()));
        let mut error: Option<String> = None;
        let mut files_changed = false;
        let mut conf_reloaded = false;
        // The report of the generation we let go of (and the versions of
        // the databases it counts), to update in place.
        let mut previous_report: Option<(Report, u64, u64)> = None;

        if let (true, Some(f)) = (conf_changed, &paths4) {
            match inputs::read_conf(f, Family::V4) {
                Ok(c) => {
                    st.conf = Some(Arc::new(c));
                    files_changed = true;
                    conf_reloaded = true;
                }
                Err(e) => error = Some(e.to_string()),
            }
        }
        // dhcpd -6's files: read like the v4 ones, their report rebuilt
        // whenever anything changes (it is not updated in place yet).
        if let Some(f) = &paths6 {
            let conf6_changed = st
                .conf6
                .as_ref()
                .is_none_or(|c| c.files.iter().any(|f| !f.unchanged()));
            if conf6_changed {
                match inputs::read_conf(f, Family::V6) {
                    Ok(c) => {
                        st.conf6 = Some(Arc::new(c));
                        files_changed = true;
                        conf_reloaded = true;
                    }
                    Err(e) => error = Some(merge_errors(error, e.to_string())),
                }
            }
            let started = Instant::now();
            let change = match st.tail6.as_mut() {
                None => LeaseTail6::load(&f.leases_file).map(|t| {
                    st.tail6 = Some(t);
                    TailChange::Reloaded
                }),
                Some(t) => match t.changed() {
                    Ok(None) => Ok(TailChange::Unchanged),
                    Ok(Some(now_id)) => {
                        // As for v4 below: let go of the published
                        // generation first, so that appended IAs change the
                        // database in place instead of copying all of it.
                        let taken = self.write_published().current.take();
                        if let Some(g) = taken.and_then(|g| Arc::try_unwrap(g).ok()) {
                            previous_report =
                                Some((g.report, g.info.db_version, g.info.db6_version));
                        }
                        t.update(now_id)
                    }
                    Err(e) => Err(e),
                },
            };
            match change {
                Ok(TailChange::Unchanged) => {}
                Ok(_) => {
                    files_changed = true;
                    if let Some(t) = &st.tail6 {
                        (self.log)(&format!(
                            "read {} in {:.1} ms: {} DHCPv6 leases",
                            t.path().display(),
                            started.elapsed().as_secs_f64() * 1000.0,
                            t.db().len()
                        ));
                    }
                }
                Err(e) => error = Some(merge_errors(error, e.to_string())),
            }
        }
        let started = Instant::now();
        let tail_result = match (&paths4, st.tail.as_ref().map(LeaseTail::changed)) {
            (None, _) => Ok(TailChange::Unchanged),
            (Some(f), None) => LeaseTail::load(&f.leases_file).map(|t| {
                st.tail = Some(t);
                TailChange::Reloaded
            }),
            (_, Some(Ok(None))) => Ok(TailChange::Unchanged),
            (_, Some(Err(e))) => Err(e),
            (_, Some(Ok(Some(now_id)))) => {
                // Let go of the published generation so that appended
                // blocks are merged into the database in place (a request
                // still answering from the old generation keeps its copy
                // alive; then the merge copies). Readers meanwhile find no
                // current generation and wait for this refresh on a worker;
                // `/status` keeps the facts of the last one.
                // (The v6 side above may have taken it already.)
                let taken = self.write_published().current.take();
                if let Some(g) = taken.and_then(|g| Arc::try_unwrap(g).ok()) {
                    previous_report = Some((g.report, g.info.db_version, g.info.db6_version));
                }
                match st.tail.as_mut() {
                    Some(t) => t.update(now_id),
                    None => Ok(TailChange::Unchanged),
                }
            }
        };
        match tail_result {
            Ok(TailChange::Unchanged) => {}
            Ok(change) => {
                files_changed = true;
                if let Some(t) = &st.tail {
                    let what = if change == TailChange::Appended {
                        "appended bytes of "
                    } else {
                        ""
                    };
                    (self.log)(&format!(
                        "read {what}{} in {:.1} ms: {} leases from {} blocks",
                        t.path.display(),
                        started.elapsed().as_secs_f64() * 1000.0,
                        t.db.leases.len(),
                        t.db.lease_blocks
                    ));
                }
            }
            Err(e) => error = Some(merge_errors(error, e.to_string())),
        }

        if let Some(message) = error {
            let mut published = self.write_published();
            if published.read.error.as_deref() != Some(message.as_str()) {
                let serving = if published.info.is_some() {
                    "still serving the last good data"
                } else {
                    "no data to serve yet"
                };
                (self.log)(&format!("error: {message}; {serving}"));
            }
            published.read.error = Some(message.clone());
            published.read.failed_at = Some(unix_now());
            if let Some(g) = &published.current {
                return Ok(Arc::clone(g));
            }
            // We let go of the last generation before a read that then
            // failed: its data is unchanged in the tails; rebuild it.
            if let Some(g) = Self::generation(st, st.next_id, now, None, None) {
                st.next_id += 1;
                published.info = Some(Arc::clone(&g.info));
                published.current = Some(Arc::clone(&g));
                return Ok(g);
            }
            return Err(NoData(message));
        }
        if self.write_published().read.error.take().is_some() {
            (self.log)("files are readable again");
        }

        let previous = self.read_published().current.clone();
        if let Some(g) = previous.filter(|g| {
            !files_changed
                && g.report.valid_until.is_none_or(|t| now < t)
                && g.info.paths_epoch == epoch
        }) {
            return Ok(g);
        }
        let build_started = Instant::now();
        // After an append, the previous report plus the changed addresses
        // is the new report, unless hosts or the configuration changed too.
        // The report must count exactly the database the changes were
        // applied to (a generation may have been skipped by a failed read).
        // The v6 part of the previous report, apart: it is updated (or
        // rebuilt) on its own.
        let mut previous6: Option<(report::v6::Report6, i64, u64)> = None;
        let previous_report = previous_report.map(|(mut r, v4, v6)| {
            previous6 = Some((*std::mem::take(&mut r.v6), r.now, v6));
            (r, v4)
        });
        let appended = st.tail.as_ref().and_then(LeaseTail::appended);
        let current4 = st.tail.as_ref().map(LeaseTail::version);
        let base = match (appended, previous_report) {
            _ if conf_reloaded || !files_changed => None,
            // Its file did not change (the v6 one did): nothing to apply.
            (_, Some((r, version))) if Some(version) == current4 => Some((r, &[][..])),
            (Some((from, a)), previous) if !a.hosts_changed => {
                let report = match previous {
                    Some((r, version)) => (version == from).then_some(r),
                    // Still answering from it: update a copy.
                    None => self
                        .read_published()
                        .current
                        .as_ref()
                        .filter(|g| g.info.db_version == from)
                        .map(|g| g.report.clone()),
                };
                report.map(|r| (r, a.changes.as_slice()))
            }
            _ => None,
        };
        let base6 = match (previous6, st.tail6.as_ref()) {
            _ if conf_reloaded || !files_changed => None,
            (Some((r6, then, version)), Some(t6)) if t6.version() == version => {
                Some((r6, then, &[][..]))
            }
            (Some((r6, then, version)), Some(t6)) => match t6.appended() {
                Some((from, changes)) if from == version => Some((r6, then, changes)),
                _ => None,
            },
            _ => None,
        };
        let Some(generation) = Self::generation(st, st.next_id, now, base, base6) else {
            return Err(NoData("no data has been read yet".into()));
        };
        st.next_id += 1;
        if files_changed {
            let how = if generation.report_updated {
                "updated"
            } else {
                "built"
            };
            (self.log)(&format!(
                "data generation {}: {} subnets, report {how} in {:.1} ms",
                generation.id,
                generation.report.subnets.len() + generation.report.v6.subnets.len(),
                build_started.elapsed().as_secs_f64() * 1000.0
            ));
        }
        let mut published = self.write_published();
        published.info = Some(Arc::clone(&generation.info));
        published.current = Some(Arc::clone(&generation));
        Ok(generation)
    }

    /// A new generation from the configurations and the lease tails, for
    /// `now`; its v4 report is `base` updated with the changes when that
    /// is exact, else built from the whole database. `None` until every
    /// configured file has been read once.
    fn generation(
        st: &State,
        id: u64,
        now: i64,
        base: Option<(Report, &[LeaseChange])>,
        base6: Option<(report::v6::Report6, i64, &[crate::dhcp::leases6::Change6])>,
    ) -> Option<Arc<Generation>> {
        let four = match (&st.paths.v4, &st.conf, &st.tail) {
            (None, _, _) => None,
            (Some(_), Some(conf), Some(tail)) => Some((Arc::clone(conf), tail)),
            _ => return None,
        };
        let six = match (&st.paths.v6, &st.conf6, &st.tail6) {
            (None, _, _) => None,
            (Some(_), Some(conf), Some(tail)) => Some((Arc::clone(conf), tail)),
            _ => return None,
        };
        let mut diagnostics = Diagnostics::new();
        let (conf, db, report, leases, db_version) = match &four {
            Some((conf, tail)) => {
                let db = Arc::clone(tail.db());
                diagnostics.extend(conf.diags.clone());
                diagnostics.extend(tail.diagnostics().clone());
                diagnostics.extend(report::placement_diagnostics(&conf.conf, &db));
                let updated = base
                    .filter(|(r, _)| r.detail == Detail::Full)
                    .and_then(|(r, changes)| report::update(r, &conf.conf, changes, now).ok());
                let report = match updated {
                    Some(r) => (r, true),
                    None => (report::build(&conf.conf, &db, now, Detail::Full), false),
                };
                let leases_name: Arc<str> = Arc::from(tail.info().stamp.path.display().to_string());
                if let Some(note) = report.0.unplaced.note(&leases_name) {
                    diagnostics.push(note);
                }
                (
                    Arc::clone(conf),
                    db,
                    report,
                    Some(tail.info().clone()),
                    tail.version(),
                )
            }
            None => (
                Arc::new(ConfData::empty()),
                Arc::new(LeaseDb::default()),
                (
                    Report {
                        now,
                        detail: Detail::Full,
                        ..Report::default()
                    },
                    false,
                ),
                None,
                0,
            ),
        };
        let (mut report, report_updated) = report;
        let (mut conf6, mut db6, mut leases6) = (None, None, None);
        if let Some((c6, tail6)) = &six {
            let d6 = tail6.db();
            diagnostics.extend(c6.diags.clone());
            diagnostics.extend(tail6.diagnostics().clone());
            // After an append (or with the v6 file unchanged) the previous
            // v6 report updated with the changed keys, when that is exact.
            let updated6 = base6.and_then(|(r6, then, changes)| {
                report::v6::update(r6, then, &c6.conf, &d6, changes, now).ok()
            });
            let r6 =
                updated6.unwrap_or_else(|| report::v6::build(&c6.conf, &d6, now, Detail::Full));
            diagnostics.extend(report::v6::placement_diagnostics(
                &c6.conf,
                &r6,
                &tail6.info().stamp.path.display().to_string(),
            ));
            // An updated v4 report keeps the v6 part of the one it came
            // from: replace it.
            report.v6 = Box::default();
            report = report.with_v6(r6);
            conf6 = Some(Arc::clone(c6));
            db6 = Some(d6);
            leases6 = Some(tail6.info().clone());
        }
        let mut conf_files = conf.files.clone();
        if let Some(c6) = &conf6 {
            conf_files.extend(c6.files.iter().cloned());
        }
        let info = Arc::new(GenerationInfo {
            id,
            built_at: unix_now(),
            evaluated_at: report.now,
            valid_until: report.valid_until,
            subnets: report.subnets.len() + report.v6.subnets.len(),
            leases_in_db: db.leases.len() + db6.as_ref().map_or(0, |d| d.len()),
            lease_blocks: db.lease_blocks + db6.as_ref().map_or(0, |d| d.records()),
            conf_files,
            leases,
            leases6,
            diagnostics,
            db_version,
            db6_version: st.tail6.as_ref().map_or(0, LeaseTail6::version),
            paths_epoch: st.paths_epoch,
        });
        Some(Arc::new(Generation {
            id,
            conf,
            db,
            conf6,
            db6,
            report,
            info,
            rendered: Default::default(),
            metrics: OnceLock::new(),
            pages: Mutex::new(Vec::new()),
            report_updated,
        }))
    }

    /// The outcome of the last read, for `/status`. Never waits.
    pub fn read_state(&self) -> ReadState {
        self.read_published().read.clone()
    }

    /// What is known of the last generation built, for `/status`, even
    /// while a refresh has its data. Never waits.
    pub fn last_info(&self) -> Option<Arc<GenerationInfo>> {
        self.read_published().info.clone()
    }
}

fn merge_errors(a: Option<String>, b: String) -> String {
    match a {
        Some(a) => format!("{a}; {b}"),
        None => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory under the target directory.
    fn scratch(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("dhcpstats-cache-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// dhcpd renames a new file over the lease file between the moment the
    /// cache sees it grew and the moment it reads the new bytes: the bytes
    /// must not be taken from the new file as if appended to the old one
    /// (the faults test saw 9 leases of one version and the 10th of the
    /// next). Here the new file even begins like the old one.
    #[test]
    fn a_file_renamed_over_after_the_check_is_read_whole() {
        let dir = scratch("rename");
        let path = dir.join("dhcpd.leases");
        let block = |i: u32, tag: &str| {
            format!(
                "lease 10.0.0.{i} {{\n  binding state active;\n  ends never;\n  set ver = \"{tag}\";\n}}\n"
            )
        };
        std::fs::write(&path, block(1, "old")).unwrap();
        let mut tail = LeaseTail::load(&path).unwrap();
        // It grows (the identity the caller saw)…
        std::fs::write(&path, block(1, "old") + &block(2, "old")).unwrap();
        let seen = Identity::of(&std::fs::metadata(&path).unwrap());
        // …and is replaced before the read: same beginning, other file.
        let new = dir.join("new");
        std::fs::write(&new, block(1, "old") + &block(2, "new") + &block(3, "new")).unwrap();
        std::fs::rename(&new, &path).unwrap();
        assert_eq!(tail.update(seen).unwrap(), TailChange::Reloaded);
        let fields = tail
            .db()
            .fields
            .get(u32::from(std::net::Ipv4Addr::new(10, 0, 0, 2)));
        assert!(fields.is_some());
        assert_eq!(tail.db().leases.len(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
