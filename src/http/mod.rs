//! The HTTP API server (SPEC §4). Not built yet: see the server issue.

use std::path::PathBuf;

use crate::config::Config;

/// Runs the server until it is told to stop; returns the exit code.
pub fn serve(_config: Config, _path: PathBuf, _now: Option<i64>) -> i32 {
    eprintln!("dhcpstats: serve is not available in this build yet; use dump or check");
    2
}
