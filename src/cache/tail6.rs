//! The incremental reader of `dhcpd6.leases`, the v6 sibling of
//! [`super::LeaseTail`]: the whole file once, then only the bytes dhcpd
//! appended while the file keeps its inode and its first bytes; a full
//! read after a rename or a rewrite in place.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::{
    LeaseFileInfo, ReadKind, TailChange, changed_identity, io_error, next_db_version,
    open_grown_in_place,
};
use crate::clock::unix_now;
use crate::dhcp::Detail;
use crate::dhcp::leases6::{Change6, LeaseDb6, LeaseParser6};
use crate::diag::Diagnostics;
use crate::inputs::{self, Identity, InputError};

/// Appended bytes read in one go at most; more is read as a whole file
/// (dhcpd appends a few blocks between two requests, not gigabytes).
const MAX_APPENDED: u64 = 256 * 1024 * 1024;

pub struct LeaseTail6 {
    path: PathBuf,
    parser: LeaseParser6,
    diags: Diagnostics,
    info: LeaseFileInfo,
    head: Vec<u8>,
    /// Which state of the database this is (as [`super::LeaseTail::version`]).
    version: u64,
    /// What the last read changed when it read appended bytes (each key
    /// with its record before), and the version it was applied to.
    appended: Option<(u64, Vec<Change6>)>,
}

impl LeaseTail6 {
    pub fn load(path: &Path) -> Result<LeaseTail6, InputError> {
        let started = Instant::now();
        let data = inputs::read_leases6(path, Detail::Full)?;
        let incomplete_tail = data.consumed < data.stamp_size();
        Ok(LeaseTail6 {
            path: path.to_path_buf(),
            info: LeaseFileInfo {
                stamp: data.stamp,
                consumed: data.consumed,
                incomplete_tail,
                read_at: unix_now(),
                read_duration: started.elapsed(),
                last_read: ReadKind::Full,
            },
            parser: data.parser,
            diags: data.diags,
            head: data.head,
            version: next_db_version(),
            appended: None,
        })
    }

    pub fn db(&self) -> Arc<LeaseDb6> {
        self.parser.shared_db()
    }

    pub fn info(&self) -> &LeaseFileInfo {
        &self.info
    }

    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diags
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// The keys the last read changed, if it read only appended bytes,
    /// with the version of the database they were applied to.
    pub fn appended(&self) -> Option<(u64, &[Change6])> {
        self.appended.as_ref().map(|(v, c)| (*v, c.as_slice()))
    }

    /// The file's identity now, if it differs from the one last read.
    pub fn changed(&self) -> Result<Option<Identity>, InputError> {
        changed_identity(&self.path, self.info.stamp.identity)
    }

    /// Reads what changed: the appended bytes, or the whole file.
    pub fn update(&mut self, now_id: Identity) -> Result<TailChange, InputError> {
        let grown = open_grown_in_place(&self.path, &self.info, now_id, &self.head, MAX_APPENDED)?;
        if let Some((file, id)) = grown {
            if self.read_appended(&file, id).is_ok() {
                return Ok(TailChange::Appended);
            }
        }
        *self = LeaseTail6::load(&self.path)?;
        Ok(TailChange::Reloaded)
    }

    /// Reads the bytes after those consumed, then feeds them: a failed
    /// read changes nothing.
    fn read_appended(&mut self, file: &File, before: Identity) -> Result<(), InputError> {
        let started = Instant::now();
        let path = self.path.clone();
        let start = self.info.consumed;
        let mut bytes = Vec::new();
        inputs::RangeReader::new(file, start, start.saturating_add(MAX_APPENDED))
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&path, e))?;
        let mut diags = Diagnostics::new();
        self.parser.start_journal();
        let used = self.parser.feed(&bytes, true, &mut diags);
        let changes = self.parser.take_journal();
        self.diags.extend(diags);
        self.appended = Some((self.version, changes));
        self.version = next_db_version();
        let read = bytes.len() as u64;
        self.info.consumed = start + used as u64;
        self.info.incomplete_tail = (used as u64) < read;
        self.info.stamp.identity = Identity {
            size: start + read,
            ..before
        };
        self.info.read_at = unix_now();
        self.info.read_duration = started.elapsed();
        self.info.last_read = ReadKind::Appended;
        Ok(())
    }
}
