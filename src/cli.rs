//! Command line (SPEC §6): argument parsing with lexopt, and the one-shot
//! commands `check` and `dump`. `serve` lives in [`crate::http`].
//!
//! Parsing only validates ([`Args`]); the commands then load the
//! configuration and do the I/O. Exit codes: `check` 0 clean, 1 warnings,
//! 2 errors; everything else 0 on success and 2 when it cannot do its job.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;

use crate::VERSION;
use crate::cidr::normalize_cidr;
use crate::clock::{format_rfc3339, now_or_clock, parse_now};
use crate::config::{self, Config};
use crate::dhcp::Detail;
use crate::diag::{Diagnostics, Severity};
use crate::inputs::{self, ConfData, LeaseData};
use crate::report::json::{self, Sources, Style};
use crate::report::{self, Report};

pub const USAGE: &str = "\
dhcpstats: ISC dhcpd subnets, pools, reservations and leases as JSON

Usage:
  dhcpstats [serve] [--config FILE] [--now TIME]
  dhcpstats check   [--config FILE] [--now TIME]
  dhcpstats dump    [--config FILE] [--now TIME] [--summary] [--subnet CIDR] [--pretty]

Commands:
  serve   run the HTTP API (the default); logs go to stderr
  check   read the configuration and all files, print every problem and a
          line per subnet; exit 0 clean, 1 warnings only, 2 errors
  dump    print the /subnets JSON once to stdout

Options:
  -c, --config FILE  configuration file (default: $DHCPSTATS_CONFIG_FILE,
                     else /etc/dhcp/dhcpstats.yml)
      --now TIME     evaluate lease times at TIME instead of the clock:
                     RFC 3339 (2026-11-26T02:00:00Z) or Unix seconds
      --summary      counts only, without statics and leases
      --subnet CIDR  only this subnet's object (e.g. 10.0.0.0/24)
      --pretty       indent the JSON
  -h, --help         this help
  -V, --version      the version
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Check,
    Dump,
}

/// Validated command-line arguments (no I/O has happened yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    pub command: Command,
    pub config: Option<PathBuf>,
    pub now: Option<i64>,
    pub summary: bool,
    pub subnet: Option<String>,
    pub pretty: bool,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Args),
    Help,
    Version,
}

/// Parses arguments (without the program name).
pub fn parse_args<I: IntoIterator<Item = OsString>>(args: I) -> Result<Parsed, String> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_args(args);
    let mut command: Option<Command> = None;
    let mut a = Args {
        command: Command::Serve,
        config: None,
        now: None,
        summary: false,
        subnet: None,
        pretty: false,
    };
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(Parsed::Help),
            Short('V') | Long("version") => return Ok(Parsed::Version),
            Short('c') | Long("config") => {
                a.config = Some(PathBuf::from(p.value().map_err(|e| e.to_string())?));
            }
            Long("now") => {
                let v = p.value().map_err(|e| e.to_string())?;
                let v = v.to_string_lossy();
                a.now = Some(parse_now(&v).ok_or_else(|| {
                    format!(
                        "--now: '{v}' is neither RFC 3339 (2026-11-26T02:00:00Z) nor Unix seconds"
                    )
                })?);
            }
            Long("summary") => a.summary = true,
            Long("pretty") => a.pretty = true,
            Long("subnet") => {
                let v = p.value().map_err(|e| e.to_string())?;
                a.subnet = Some(normalize_cidr(&v.to_string_lossy())?);
            }
            Value(v) if command.is_none() => {
                command = Some(match v.to_string_lossy().as_ref() {
                    "serve" => Command::Serve,
                    "check" => Command::Check,
                    "dump" => Command::Dump,
                    other => {
                        return Err(format!(
                            "unknown command '{other}' (use serve, check or dump)"
                        ));
                    }
                });
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    a.command = command.unwrap_or(Command::Serve);
    if a.command != Command::Dump && (a.summary || a.subnet.is_some() || a.pretty) {
        return Err("--summary, --subnet and --pretty only apply to dump".to_string());
    }
    Ok(Parsed::Run(a))
}

/// The whole program: returns the process exit code.
pub fn main_with_args<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    let args = match parse_args(args) {
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return 0;
        }
        Ok(Parsed::Version) => {
            println!("dhcpstats {VERSION}");
            return 0;
        }
        Ok(Parsed::Run(a)) => a,
        Err(e) => {
            eprintln!("dhcpstats: {e}\n\n{USAGE}");
            return 2;
        }
    };
    let path = config::locate(args.config.as_deref());
    let config = match config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("dhcpstats: {e}");
            return 2;
        }
    };
    match args.command {
        Command::Serve => crate::http::serve(config, args.now),
        Command::Check => {
            let stdout = io::stdout();
            check(&config, args.now, &mut stdout.lock())
        }
        Command::Dump => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::with_capacity(256 * 1024, stdout.lock());
            dump(&config, &args, &mut out, &mut io::stderr())
        }
    }
}

/// `dhcpstats dump`: prints the JSON; 0 on success, 2 if an input cannot
/// be read or the requested subnet does not exist.
pub fn dump(config: &Config, args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let now = now_or_clock(args.now);
    let detail = if args.summary {
        Detail::Summary
    } else {
        Detail::Full
    };
    let (conf, leases) = match load_inputs(config, detail) {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(err, "dhcpstats: {e}");
            return 2;
        }
    };
    let report = report::build(&conf.conf, &leases.db, now, detail);
    let style = Style {
        pretty: args.pretty || config.debug,
        detail,
    };
    let src = Sources {
        report: &report,
        conf: &conf.conf,
        db: &leases.db,
    };
    let written = match &args.subnet {
        Some(cidr) => match report.find(cidr) {
            Some(sr) => json::write_subnet(&mut *out, src, sr, style),
            None => {
                let _ = writeln!(
                    err,
                    "dhcpstats: no subnet {cidr} is declared in {}",
                    config.subnet_file.display()
                );
                return 2;
            }
        },
        None => json::write_all(&mut *out, src, style),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => {}
        // `dhcpstats dump | head` is fine.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return 0,
        Err(e) => {
            let _ = writeln!(err, "dhcpstats: writing the output: {e}");
            return 2;
        }
    }
    let mut diags = conf.diags;
    diags.extend(leases.diags);
    let (errors, warnings) = (diags.count(Severity::Error), diags.count(Severity::Warning));
    if errors + warnings > 0 {
        let _ = writeln!(
            err,
            "dhcpstats: the input files have {errors} error(s) and {warnings} warning(s); run `dhcpstats check` for details"
        );
    }
    0
}

/// Reads the configuration files and the lease file.
pub fn load_inputs(
    config: &Config,
    detail: Detail,
) -> Result<(ConfData, LeaseData), inputs::InputError> {
    // Both at once: the lease reader keeps the cores busy while this
    // thread parses the configuration (tens of milliseconds for thousands
    // of subnets, otherwise spent with the other cores idle).
    std::thread::scope(|scope| {
        let leases = scope.spawn(|| inputs::read_leases(&config.leases_file, detail));
        let conf = inputs::read_conf(config);
        let leases = leases.join().unwrap_or_else(|_| {
            Err(inputs::InputError {
                path: config.leases_file.clone(),
                message: "the lease reader thread panicked".to_string(),
            })
        });
        Ok((conf?, leases?))
    })
}

/// `dhcpstats check`: every diagnostic, then a line per subnet.
pub fn check(config: &Config, now: Option<i64>, out: &mut dyn Write) -> i32 {
    let now = now_or_clock(now);
    let mut diags = Diagnostics::with_cap(10_000);
    let file: std::sync::Arc<str> = std::sync::Arc::from(config.path.display().to_string());
    for w in &config.warnings {
        diags.file_level(&file, Severity::Warning, w.clone());
    }
    let conf = match inputs::read_conf(config) {
        Ok(c) => Some(c),
        Err(e) => {
            inputs::file_problem(&mut diags, &e);
            None
        }
    };
    let leases = match inputs::read_leases(&config.leases_file, Detail::Summary) {
        Ok(l) => Some(l),
        Err(e) => {
            inputs::file_problem(&mut diags, &e);
            None
        }
    };
    let mut report = Report::default();
    if let Some(c) = &conf {
        diags.extend(c.diags.clone());
    }
    if let Some(l) = &leases {
        diags.extend(l.diags.clone());
        if l.incomplete_tail {
            let f: std::sync::Arc<str> = std::sync::Arc::from(l.stamp.path.display().to_string());
            diags.file_level(
                &f,
                Severity::Note,
                format!(
                    "the last {} bytes are an unfinished block (dhcpd writing, or interrupted); not counted",
                    l.stamp.identity.size.saturating_sub(l.consumed)
                ),
            );
        }
    }
    if let (Some(c), Some(l)) = (&conf, &leases) {
        diags.extend(report::placement_diagnostics(&c.conf, &l.db));
        report = report::build(&c.conf, &l.db, now, Detail::Summary);
        let leases_name: std::sync::Arc<str> =
            std::sync::Arc::from(l.stamp.path.display().to_string());
        if let Some(note) = report.unplaced.note(&leases_name) {
            diags.push(note);
        }
    }
    let mut lines = Vec::new();
    for d in diags.items() {
        lines.push(d.to_string());
    }
    if diags.dropped() > 0 {
        lines.push(format!("… and {} more", diags.dropped()));
    }
    if let Some(c) = &conf {
        for sr in &report.subnets {
            let Some(s) = c.conf.subnets.get(sr.subnet) else {
                continue;
            };
            let mut line = format!("{:<18}", sr.cidr);
            if let Some(n) = &s.shared_network {
                line.push_str(&format!(" shared-network={n:?}"));
            }
            line.push_str(&format!(" ranges={}", s.ranges.len()));
            for (k, v) in sr.ips.pairs() {
                line.push_str(&format!(" {k}={v}"));
            }
            lines.push(line);
        }
    }
    let (errors, warnings) = (diags.count(Severity::Error), diags.count(Severity::Warning));
    lines.push(format!(
        "{} subnet(s), {errors} error(s), {warnings} warning(s), {} note(s); times evaluated at {}",
        report.subnets.len(),
        diags.count(Severity::Note),
        format_rfc3339(now)
    ));
    for l in lines {
        if writeln!(out, "{l}").is_err() {
            break;
        }
    }
    match diags.worst() {
        Some(Severity::Error) => 2,
        Some(Severity::Warning) => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Parsed, String> {
        parse_args(v.iter().map(OsString::from))
    }

    #[test]
    fn commands_and_options() {
        let Ok(Parsed::Run(a)) = parse(&[
            "dump",
            "--summary",
            "--subnet",
            "10.0.0.0%2F24",
            "--now",
            "0",
            "-c",
            "x.yml",
        ]) else {
            panic!()
        };
        assert_eq!(a.command, Command::Dump);
        assert_eq!(a.subnet.as_deref(), Some("10.0.0.0/24"));
        assert_eq!(a.now, Some(0));
        assert_eq!(a.config, Some(PathBuf::from("x.yml")));
        let Ok(Parsed::Run(a)) = parse(&[]) else {
            panic!()
        };
        assert_eq!(a.command, Command::Serve);
        assert_eq!(parse(&["check", "--version"]), Ok(Parsed::Version));
        assert_eq!(parse(&["--help"]), Ok(Parsed::Help));
        assert!(parse(&["frob"]).is_err());
        assert!(parse(&["check", "--summary"]).is_err());
        assert!(parse(&["dump", "--now", "tomorrow"]).is_err());
        assert!(parse(&["dump", "--bogus"]).is_err());
    }
}
