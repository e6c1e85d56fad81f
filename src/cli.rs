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
use crate::alarm::output::{self, Format, Status};
use crate::alarm::{Level, Overrides};
use crate::cidr::normalize_cidr;
use crate::clock::{format_rfc3339, now_or_clock, parse_now};
use crate::config::{self, Config};
use crate::dhcp::Detail;
use crate::dhcp::conf::Family;
use crate::diag::{Diagnostics, Severity};
use crate::inputs::{self, ConfData};
use crate::report::json::{self, Style};
use crate::report::{self, Report, SubnetRef};

pub const USAGE: &str = "\
dhcpstats: ISC dhcpd subnets, pools, reservations and leases as JSON

Usage:
  dhcpstats [serve] [--config FILE] [--now TIME]
  dhcpstats check   [--config FILE] [--now TIME]
  dhcpstats dump    [--config FILE] [--now TIME] [--summary] [--subnet CIDR] [--pretty]
  dhcpstats alarm   [--config FILE] [--now TIME] [--format nagios|checkmk|json]
                    [--warning P] [--critical P] [--warning-available N]
                    [--critical-available N] [--min-size N]
                    [--level shared_network|subnet] [--url URL [--key-file F]]

Commands:
  serve   run the HTTP API (the default); logs go to stderr
  check   read the configuration and all files, print every problem and a
          line per subnet; exit 0 clean, 1 warnings only, 2 errors
  dump    print the /subnets JSON once to stdout
  alarm   the monitoring plugin: pools at warning or critical, for Nagios,
          Icinga (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), Checkmk
          local checks or JSON; the flags override `alarms:` of the file

Options:
  -c, --config FILE  configuration file (default: $DHCPSTATS_CONFIG_FILE,
                     else /etc/dhcp/dhcpstats.yml)
      --now TIME     evaluate lease times at TIME instead of the clock:
                     RFC 3339 (2026-11-26T02:00:00Z) or Unix seconds
      --summary      counts only, without statics and leases
      --subnet CIDR  only this subnet's object (e.g. 10.0.0.0/24)
      --pretty       indent the JSON
      --format F     alarm output: nagios (default), checkmk or json
      --warning P, --critical P
                     alarm when a pool's used percent reaches P
      --warning-available N, --critical-available N
                     alarm when N or fewer addresses are left
      --min-size N   pools smaller than N never alarm
      --level L      pool unit: shared_network (default) or subnet
      --url URL      alarm: ask a running dhcpstats (http://host:port)
                     instead of reading the files; --config then only
                     supplies the thresholds, and is optional
      --key-file F   alarm --url: the API key, first line of F
  -h, --help         this help
  -V, --version      the version
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Check,
    Dump,
    Alarm,
}

/// What `alarm` was asked: the format and thresholds that override the
/// configuration file's `alarms:`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlarmArgs {
    pub format: Format,
    pub overrides: Overrides,
    pub level: Option<Level>,
    pub url: Option<String>,
    pub key_file: Option<PathBuf>,
}

/// Validated command-line arguments (no I/O has happened yet).
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    pub command: Command,
    pub config: Option<PathBuf>,
    pub now: Option<i64>,
    pub summary: bool,
    pub subnet: Option<String>,
    pub pretty: bool,
    pub alarm: AlarmArgs,
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Run(Box<Args>),
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
        alarm: AlarmArgs::default(),
    };
    let mut alarm_flag = false;
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
            Long("format") => {
                alarm_flag = true;
                let v = p.value().map_err(|e| e.to_string())?;
                a.alarm.format = match v.to_string_lossy().as_ref() {
                    "nagios" | "icinga" => Format::Nagios,
                    "checkmk" => Format::Checkmk,
                    "json" => Format::Json,
                    other => {
                        return Err(format!(
                            "--format: '{other}' is not nagios, checkmk or json"
                        ));
                    }
                };
            }
            Long(flag @ ("warning" | "critical")) => {
                alarm_flag = true;
                let flag = flag.to_string();
                let v = p.value().map_err(|e| e.to_string())?;
                let v = v.to_string_lossy();
                let pct: f64 = v
                    .trim_end_matches('%')
                    .parse()
                    .ok()
                    .filter(|x: &f64| (0.0..=100.0).contains(x))
                    .ok_or_else(|| format!("--{flag}: '{v}' is not a percentage (0-100)"))?;
                if flag == "warning" {
                    a.alarm.overrides.warning = Some(pct);
                } else {
                    a.alarm.overrides.critical = Some(pct);
                }
            }
            Long(flag @ ("warning-available" | "critical-available" | "min-size")) => {
                alarm_flag = true;
                let flag = flag.to_string();
                let v = p.value().map_err(|e| e.to_string())?;
                let v = v.to_string_lossy();
                let n: u64 = v
                    .parse()
                    .map_err(|_| format!("--{flag}: '{v}' is not a whole number"))?;
                match flag.as_str() {
                    "warning-available" => a.alarm.overrides.warning_available = Some(n),
                    "critical-available" => a.alarm.overrides.critical_available = Some(n),
                    _ => a.alarm.overrides.min_size = Some(n),
                }
            }
            Long("url") => {
                alarm_flag = true;
                let v = p.value().map_err(|e| e.to_string())?;
                let v = v.to_string_lossy().into_owned();
                crate::alarm::remote::Target::parse(&v)?;
                a.alarm.url = Some(v);
            }
            Long("key-file") => {
                alarm_flag = true;
                a.alarm.key_file = Some(PathBuf::from(p.value().map_err(|e| e.to_string())?));
            }
            Long("level") => {
                alarm_flag = true;
                let v = p.value().map_err(|e| e.to_string())?;
                a.alarm.level = Some(match v.to_string_lossy().as_ref() {
                    "shared_network" | "shared-network" => Level::SharedNetwork,
                    "subnet" => Level::Subnet,
                    other => {
                        return Err(format!(
                            "--level: '{other}' is not shared_network or subnet"
                        ));
                    }
                });
            }
            Value(v) if command.is_none() => {
                command = Some(match v.to_string_lossy().as_ref() {
                    "serve" => Command::Serve,
                    "check" => Command::Check,
                    "dump" => Command::Dump,
                    "alarm" => Command::Alarm,
                    other => {
                        return Err(format!(
                            "unknown command '{other}' (use serve, check, dump or alarm)"
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
    if a.alarm.key_file.is_some() && a.alarm.url.is_none() {
        return Err("--key-file only applies with --url".to_string());
    }
    if a.command != Command::Alarm && alarm_flag {
        return Err(
            "--format, --warning, --critical, --*-available, --min-size and --level only apply to alarm"
                .to_string(),
        );
    }
    Ok(Parsed::Run(Box::new(a)))
}

/// The whole program: returns the process exit code.
pub fn main_with_args<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    let args: Vec<OsString> = args.into_iter().collect();
    let plugin = args
        .iter()
        .find(|a| !a.to_string_lossy().starts_with('-'))
        .is_some_and(|a| a == "alarm");
    let args = match parse_args(args) {
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return 0;
        }
        Ok(Parsed::Version) => {
            println!("dhcpstats {VERSION}");
            return 0;
        }
        Ok(Parsed::Run(a)) => *a,
        Err(e) if plugin => {
            // A monitoring plugin's usage error is UNKNOWN (exit 3).
            println!("DHCP UNKNOWN - {e}");
            return Status::Unknown.code();
        }
        Err(e) => {
            eprintln!("dhcpstats: {e}\n\n{USAGE}");
            return 2;
        }
    };
    if args.command == Command::Alarm && args.alarm.url.is_some() {
        let (text, status) = alarm_remote(&args);
        print!("{text}");
        return if args.alarm.format == Format::Checkmk {
            0
        } else {
            status.code()
        };
    }
    let path = config::locate(args.config.as_deref());
    let config = match config::load(&path) {
        Ok(c) => c,
        Err(e) if args.command == Command::Alarm => {
            print!("{}", output::unknown(args.alarm.format, &e.to_string()));
            return Status::Unknown.code();
        }
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
        Command::Alarm => {
            let (text, status) = alarm(&config, &args);
            print!("{text}");
            // A Checkmk local check carries its states in its lines; the
            // script itself succeeded.
            if args.alarm.format == Format::Checkmk {
                0
            } else {
                status.code()
            }
        }
    }
}

/// `dhcpstats alarm`: the pools of the files, evaluated against the
/// configured thresholds with the flags on top. Unreadable input is
/// UNKNOWN; input errors make the result at least WARNING.
pub fn alarm(config: &Config, args: &Args) -> (String, Status) {
    let format = args.alarm.format;
    let site = match inputs::Site::load(config, Detail::Summary) {
        Ok(v) => v,
        Err(e) => return (output::unknown(format, &e.to_string()), Status::Unknown),
    };
    let now = now_or_clock(args.now);
    let report = site.report(now, Detail::Summary);
    let settings = match alarm_settings(config.alarms.clone(), args) {
        Ok(s) => s,
        Err(e) => return (output::unknown(format, &e), Status::Unknown),
    };
    let pools = crate::alarm::evaluate(site.conf4(), site.conf6(), &report, &settings);
    let errors = site.diagnostics().count(Severity::Error);
    let mut problems = Vec::new();
    if errors > 0 {
        problems.push(format!(
            "the input files have {errors} error(s); run `dhcpstats check`"
        ));
    }
    let outcome = output::Outcome {
        pools: &pools,
        problems: &problems,
    };
    (format.render(&outcome), outcome.status())
}

/// `dhcpstats alarm --url`: the same verdict from a running server's
/// `/subnets?summary` and `/status`. `--config`, when given, supplies the
/// thresholds; anything that goes wrong is UNKNOWN with the reason.
pub fn alarm_remote(args: &Args) -> (String, Status) {
    let format = args.alarm.format;
    let unknown = |e: String| (output::unknown(format, &e), Status::Unknown);
    let from_file = match &args.config {
        Some(path) => match config::load(path) {
            Ok(c) => c.alarms,
            Err(e) => return unknown(e.to_string()),
        },
        None => crate::alarm::Settings::default(),
    };
    let settings = match alarm_settings(from_file, args) {
        Ok(s) => s,
        Err(e) => return unknown(e),
    };
    let Some(url) = &args.alarm.url else {
        return unknown("no --url".to_string());
    };
    let target = match crate::alarm::remote::Target::parse(url) {
        Ok(t) => t,
        Err(e) => return unknown(e),
    };
    let key = match &args.alarm.key_file {
        Some(f) => match config::read_key_file(f, &mut Vec::new()) {
            Ok(k) => Some(k),
            Err(e) => return unknown(format!("--key-file: {e}")),
        },
        None => None,
    };
    let (subnets, problems) =
        match crate::alarm::remote::fetch(&target, key.as_ref().map(config::Secret::expose)) {
            Ok(v) => v,
            Err(e) => return unknown(e),
        };
    let pools = crate::alarm::evaluate_subnets(&subnets, &settings);
    let outcome = output::Outcome {
        pools: &pools,
        problems: &problems,
    };
    (format.render(&outcome), outcome.status())
}

/// The configured alarm settings with the command line's on top.
fn alarm_settings(
    mut settings: crate::alarm::Settings,
    args: &Args,
) -> Result<crate::alarm::Settings, String> {
    let o = &args.alarm.overrides;
    let d = &mut settings.defaults;
    d.warning = o.warning.or(d.warning);
    d.critical = o.critical.or(d.critical);
    d.warning_available = o.warning_available.or(d.warning_available);
    d.critical_available = o.critical_available.or(d.critical_available);
    d.min_size = o.min_size.or(d.min_size);
    if let Some(level) = args.alarm.level {
        settings.level = level;
    }
    settings.validate()?;
    Ok(settings)
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
    let site = match inputs::Site::load(config, detail) {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(err, "dhcpstats: {e}");
            return 2;
        }
    };
    let report = site.report(now, detail);
    let style = Style {
        pretty: args.pretty || config.debug,
        detail,
    };
    let src = site.sources(&report);
    let written = match &args.subnet {
        Some(cidr) => match report.locate(cidr) {
            Some(SubnetRef::V4(i)) => match report.subnets.get(i) {
                Some(sr) => json::write_subnet(&mut *out, src, sr, style),
                None => Ok(()),
            },
            Some(SubnetRef::V6(i)) => match report.v6.subnets.get(i) {
                Some(sr) => json::write_subnet6(&mut *out, src, sr, style),
                None => Ok(()),
            },
            None => {
                let files: Vec<String> = [&config.v4, &config.v6]
                    .into_iter()
                    .flatten()
                    .map(|f| f.subnet_file.display().to_string())
                    .collect();
                let _ = writeln!(
                    err,
                    "dhcpstats: no subnet {cidr} is declared in {}",
                    files.join(" or ")
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
    let diags = site.diagnostics();
    let (errors, warnings) = (diags.count(Severity::Error), diags.count(Severity::Warning));
    if errors + warnings > 0 {
        let _ = writeln!(
            err,
            "dhcpstats: the input files have {errors} error(s) and {warnings} warning(s); run `dhcpstats check` for details"
        );
    }
    0
}

/// `dhcpstats check`: every diagnostic, then a line per subnet.
pub fn check(config: &Config, now: Option<i64>, out: &mut dyn Write) -> i32 {
    let now = now_or_clock(now);
    let mut diags = Diagnostics::with_cap(10_000);
    let file: std::sync::Arc<str> = std::sync::Arc::from(config.path.display().to_string());
    for w in &config.warnings {
        diags.file_level(&file, Severity::Warning, w.clone());
    }
    let mut report = Report {
        now,
        ..Report::default()
    };
    // Each unreadable file is a diagnostic; the rest is still checked.
    let read = |r: Result<ConfData, inputs::InputError>, diags: &mut Diagnostics| match r {
        Ok(c) => {
            diags.extend(c.diags.clone());
            Some(c)
        }
        Err(e) => {
            inputs::file_problem(diags, &e);
            None
        }
    };
    let mut conf4 = None;
    if let Some(f) = &config.v4 {
        let conf = read(inputs::read_conf(f, Family::V4), &mut diags);
        let leases = match inputs::read_leases(&f.leases_file, Detail::Summary) {
            Ok(l) => {
                diags.extend(l.diags.clone());
                unfinished_note(&mut diags, &l.stamp, l.consumed);
                Some(l)
            }
            Err(e) => {
                inputs::file_problem(&mut diags, &e);
                None
            }
        };
        if let (Some(c), Some(l)) = (&conf, &leases) {
            diags.extend(report::placement_diagnostics(&c.conf, &l.db));
            report = report::build(&c.conf, &l.db, now, Detail::Summary);
            let leases_name: std::sync::Arc<str> =
                std::sync::Arc::from(l.stamp.path.display().to_string());
            if let Some(note) = report.unplaced.note(&leases_name) {
                diags.push(note);
            }
        }
        conf4 = conf;
    }
    let mut conf6 = None;
    if let Some(f) = &config.v6 {
        let conf = read(inputs::read_conf(f, Family::V6), &mut diags);
        let leases = match inputs::read_leases6(&f.leases_file, Detail::Summary) {
            Ok(l) => {
                diags.extend(l.diags.clone());
                unfinished_note(&mut diags, &l.stamp, l.consumed);
                Some(l)
            }
            Err(e) => {
                inputs::file_problem(&mut diags, &e);
                None
            }
        };
        if let (Some(c), Some(l)) = (&conf, &leases) {
            let r6 = report::v6::build(&c.conf, l.db(), now, Detail::Summary);
            diags.extend(report::v6::placement_diagnostics(
                &c.conf,
                &r6,
                &l.stamp.path.display().to_string(),
            ));
            report = report.with_v6(r6);
        }
        conf6 = conf;
    }
    let mut lines = Vec::new();
    for d in diags.items() {
        lines.push(d.to_string());
    }
    if diags.dropped() > 0 {
        lines.push(format!("… and {} more", diags.dropped()));
    }
    if let Some(c) = &conf4 {
        for sr in &report.subnets {
            let Some(s) = c.conf.subnets.get(sr.subnet) else {
                continue;
            };
            lines.push(subnet_line(
                &sr.cidr,
                s.shared_network.as_deref(),
                s.ranges.len(),
                &sr.ips,
            ));
        }
    }
    if let Some(c) = &conf6 {
        for sr in &report.v6.subnets {
            let Some(s) = c.conf.subnets6.get(sr.subnet) else {
                continue;
            };
            let mut line = subnet_line(
                &sr.cidr,
                s.shared_network.as_deref(),
                s.ranges.len(),
                &sr.ips,
            );
            for (what, counts) in [("temporary", &sr.temporary), ("prefixes", &sr.prefixes)] {
                if let Some(c) = counts {
                    line.push_str(&format!(
                        " {what}: total={} active={} unused={}",
                        c.total, c.active, c.unused
                    ));
                }
            }
            lines.push(line);
        }
    }
    let (errors, warnings) = (diags.count(Severity::Error), diags.count(Severity::Warning));
    lines.push(format!(
        "{} subnet(s), {errors} error(s), {warnings} warning(s), {} note(s); times evaluated at {}",
        report.subnets.len() + report.v6.subnets.len(),
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

/// `check`'s line for one subnet.
fn subnet_line(cidr: &str, shared: Option<&str>, ranges: usize, ips: &report::Counts) -> String {
    let mut line = format!("{cidr:<18}");
    if let Some(n) = shared {
        line.push_str(&format!(" shared-network={n:?}"));
    }
    line.push_str(&format!(" ranges={ranges}"));
    for (k, v) in ips.pairs() {
        line.push_str(&format!(" {k}={v}"));
    }
    line
}

/// A lease file that ends inside a block: a note, not an error.
fn unfinished_note(diags: &mut Diagnostics, stamp: &inputs::FileStamp, consumed: u64) {
    let rest = stamp.identity.size.saturating_sub(consumed);
    if rest > 0 {
        let f: std::sync::Arc<str> = std::sync::Arc::from(stamp.path.display().to_string());
        diags.file_level(
            &f,
            Severity::Note,
            format!(
                "the last {rest} bytes are an unfinished block (dhcpd writing, or interrupted); not counted"
            ),
        );
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
