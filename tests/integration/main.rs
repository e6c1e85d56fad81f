//! Integration tests, one binary with a module per topic (ripgrep's
//! layout): the parsers on every grammar case, the real dhcpd corpus, the
//! generated data, the golden SPEC example and the command line.

mod common;

mod alarm;
mod check_verdicts;
mod cli;
mod corpus;
pub mod dashboard;
mod dhcpd6;
mod differential;
mod faults;
mod generated;
mod golden;
mod grammar_conf;
mod grammar_leases;
mod incremental;
mod live;
mod malformed;
pub mod metrics;
mod peer;
pub mod server;
mod v6;
