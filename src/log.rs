//! Log lines on stderr, one per event, prefixed `dhcpstats:`. Service
//! managers (journald, syslog through start-stop-daemon or daemon(8)) add
//! the time and the host. Nothing here ever prints an API key: callers
//! pass request lines, never headers.

use std::io::Write;

fn line(level: &str, message: &str) {
    let stderr = std::io::stderr();
    let mut w = stderr.lock();
    let _ = if level.is_empty() {
        writeln!(w, "dhcpstats: {message}")
    } else {
        writeln!(w, "dhcpstats: {level}: {message}")
    };
}

pub fn info(message: &str) {
    line("", message);
}

pub fn warn(message: &str) {
    line("warning", message);
}

pub fn error(message: &str) {
    line("error", message);
}
