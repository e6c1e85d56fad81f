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

use crate::config::Config;
use crate::dhcp::conf::{self, Conf, IncludeLoader, Loaded};
use crate::dhcp::leases::{Detail, LeaseDb, LeaseParser};
use crate::diag::{Diagnostics, Severity};

/// Largest configuration (or included) file read: 64 MiB. A real
/// dhcpd.conf with ten thousand hosts is about 1 MiB.
pub const MAX_CONF_BYTES: u64 = 64 * 1024 * 1024;

/// Bytes read from the lease file per `read` call.
pub const READ_CHUNK: usize = 1024 * 1024;

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

/// Opens a regular file and reads it whole, refusing anything larger
/// than `cap` before allocating for it.
pub fn read_capped(path: &Path, cap: u64) -> Result<(Vec<u8>, Identity), InputError> {
    let file = File::open(path).map_err(|e| input_error(path, e.to_string()))?;
    let meta = file
        .metadata()
        .map_err(|e| input_error(path, e.to_string()))?;
    if meta.is_dir() {
        return Err(input_error(path, "is a directory, not a file"));
    }
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

/// Reads `subnet_file` (and `static_file` when it is another file not
/// already included) with their includes. Fails only if a configured file
/// cannot be read; problems inside files are diagnostics.
pub fn read_conf(config: &Config) -> Result<ConfData, InputError> {
    read_conf_files(&config.subnet_file, &config.static_file)
}

/// [`read_conf`] for explicit paths.
pub fn read_conf_files(subnet_file: &Path, static_file: &Path) -> Result<ConfData, InputError> {
    let base = subnet_file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut loader = FsLoader::new(base);
    let mut diags = Diagnostics::new();
    let main = loader.load_path(subnet_file)?;
    let mut parsed = conf::parse(&main, &mut loader, &mut diags);
    if !loader.has_read(static_file) {
        let statics = loader.load_path(static_file)?;
        let more = conf::parse(&statics, &mut loader, &mut diags);
        conf::merge_static(&mut parsed, more, &mut diags);
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

/// Reads a whole lease file through a bounded buffer.
pub fn read_leases(path: &Path, detail: Detail) -> Result<LeaseData, InputError> {
    let mut file = File::open(path).map_err(|e| input_error(path, e.to_string()))?;
    let meta = file
        .metadata()
        .map_err(|e| input_error(path, e.to_string()))?;
    if meta.is_dir() {
        return Err(input_error(path, "is a directory, not a file"));
    }
    let identity = Identity::of(&meta);
    let mut parser = LeaseParser::new(Arc::from(path.display().to_string()), detail);
    let mut diags = Diagnostics::new();
    let mut db = LeaseDb::default();
    let (consumed, incomplete_tail) = stream_leases(&mut file, &mut parser, &mut db, &mut diags)
        .map_err(|e| input_error(path, e.to_string()))?;
    Ok(LeaseData {
        db,
        diags,
        stamp: FileStamp {
            path: path.to_path_buf(),
            identity,
        },
        consumed,
        incomplete_tail,
    })
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
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK * 2);
    let mut consumed_total: u64 = 0;
    let mut eof = false;
    loop {
        if !eof {
            let start = buf.len();
            buf.resize(start + READ_CHUNK, 0);
            let n = loop {
                match reader.read(buf.get_mut(start..).unwrap_or_default()) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            buf.truncate(start + n);
            eof = n == 0;
        }
        let feed = parser.feed_into(db, &buf, eof, diags);
        consumed_total += feed.consumed as u64;
        buf.drain(..feed.consumed.min(buf.len()));
        if eof {
            return Ok((consumed_total, feed.incomplete_tail));
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
}
