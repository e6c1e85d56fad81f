//! Readers of ISC dhcpd's files: pure functions of bytes, returning data
//! plus diagnostics. Nothing here does I/O (includes come through
//! [`conf::IncludeLoader`]), knows about HTTP, or caches.

pub mod conf;
pub mod cursor;
pub mod expressions;
pub mod field_store;
pub mod lease6_db;
pub mod lease6_fast;
pub mod lease_fast;
pub mod lease_fields;
pub mod leases;
pub mod leases6;
pub mod lexer;
pub mod statements;
pub mod tables;
pub mod time;
pub mod values;

/// How much of the data to keep and show: the one knob behind `--summary`
/// and `?summary`, from the lease reader (which fields it keeps) through
/// the report (whether it lists leases) to the JSON (whether it writes
/// `statics` and `leases`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Detail {
    /// Counts only: binding state and `ends` of each lease; no `statics`
    /// or `leases` in the answer.
    #[default]
    Summary,
    /// Everything: every field of every lease, for the full report.
    Full,
}
