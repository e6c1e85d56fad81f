//! dhcpstats: reads an ISC dhcpd configuration and lease database and
//! answers with per-subnet JSON. See ARCHITECTURE.md for the map.

#![forbid(unsafe_code)]

pub mod alarm;
pub mod cache;
pub mod cidr;
pub mod cli;
pub mod clock;
pub mod codec;
pub mod config;
pub mod dashboard;
pub mod dhcp;
pub mod diag;
pub mod http;
pub mod inputs;
pub mod log;
pub mod metrics;
pub mod report;
pub mod search;

/// The version of this build (`--version`, `/status`, `/metrics`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
