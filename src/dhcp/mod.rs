//! Readers of ISC dhcpd's files: pure functions of bytes, returning data
//! plus diagnostics. Nothing here does I/O (includes come through
//! [`conf::IncludeLoader`]), knows about HTTP, or caches.

pub mod conf;
pub mod cursor;
pub mod field_store;
pub mod lease_fast;
pub mod lease_fields;
pub mod leases;
pub mod lexer;
pub mod time;
pub mod values;
