//! The dhcpstats configuration file (SPEC §5): YAML under one root key
//! `dhcpstats:`, read with serde-saphyr into strict types (unknown keys and
//! wrong types are errors that name the key and the file), then checked and
//! resolved into a [`Config`] whose paths are absolute.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the configuration is looked for when `--config` is not given.
pub const ENV_VAR: &str = "DHCPSTATS_CONFIG_FILE";
pub const DEFAULT_PATH: &str = "/etc/dhcp/dhcpstats.yml";

/// Largest configuration file read (it is a dozen lines).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRoot {
    dhcpstats: RawConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    debug: bool,
    listen: String,
    auth_string: Option<String>,
    auth_string_file: Option<PathBuf>,
    subnet_file: Option<PathBuf>,
    static_file: Option<PathBuf>,
    leases_file: Option<PathBuf>,
    subnet6_file: Option<PathBuf>,
    static6_file: Option<PathBuf>,
    leases6_file: Option<PathBuf>,
    threads: Option<u64>,
    alarms: Option<crate::alarm::RawSettings>,
}

/// The API key. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The file this was read from.
    pub path: PathBuf,
    pub debug: bool,
    pub listen: SocketAddr,
    pub auth: Option<Secret>,
    /// dhcpd -4's files (`subnet_file`, `static_file`, `leases_file`).
    pub v4: Option<Files>,
    /// dhcpd -6's files (`subnet6_file`, `static6_file`, `leases6_file`).
    pub v6: Option<Files>,
    pub threads: usize,
    /// Pool alarm thresholds (SPEC §4.4).
    pub alarms: crate::alarm::Settings,
    /// Problems that do not stop the program (a key file readable by
    /// others, say), to be logged at start.
    pub warnings: Vec<String>,
}

/// The files of one dhcpd: its configuration, the file with its host
/// reservations (often the same), its lease database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    pub subnet_file: PathBuf,
    pub static_file: PathBuf,
    pub leases_file: PathBuf,
}

pub const DEFAULT_THREADS: usize = 4;
pub const MAX_THREADS: usize = 256;

/// A configuration that cannot be used; the message names the file and,
/// where there is one, the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The configuration path: `--config`, else `$DHCPSTATS_CONFIG_FILE`, else
/// `/etc/dhcp/dhcpstats.yml`.
pub fn locate(cli: Option<&Path>) -> PathBuf {
    if let Some(p) = cli {
        return p.to_path_buf();
    }
    match std::env::var_os(ENV_VAR) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(DEFAULT_PATH),
    }
}

/// Reads and checks the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    // Absolute, so that relative paths inside stay right after a SIGHUP
    // and `/status` shows where files really are.
    let absolute;
    let path = if path.is_absolute() {
        path
    } else {
        absolute = std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf());
        absolute.as_path()
    };
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| ConfigError(format!("{shown}: cannot read the configuration file: {e}")))?;
    if !meta.is_file() {
        return Err(ConfigError(format!("{shown}: not a regular file")));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError(format!(
            "{shown}: {} bytes is too large for a configuration file",
            meta.len()
        )));
    }
    let text = std::fs::read(path)
        .map_err(|e| ConfigError(format!("{shown}: cannot read the configuration file: {e}")))?;
    parse(path, &text)
}

/// Parses configuration text; `path` names it in messages and anchors
/// relative paths.
pub fn parse(path: &Path, text: &[u8]) -> Result<Config, ConfigError> {
    let shown = path.display();
    let text = std::str::from_utf8(text)
        .map_err(|_| ConfigError(format!("{shown}: the configuration is not valid UTF-8")))?;
    let root: FileRoot = serde_saphyr::from_str(text).map_err(|e| {
        ConfigError(format!(
            "{shown}: {}",
            e.to_string()
                .trim_end()
                .replace("<input>", &shown.to_string())
        ))
    })?;
    let raw = root.dhcpstats;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let resolve = |p: &Path| -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };

    let listen: SocketAddr = raw.listen.trim().parse().map_err(|_| {
        ConfigError(format!(
            "{shown}: dhcpstats.listen: '{}' is not an address and port (use 127.0.0.1:8080 or [::1]:8080)",
            raw.listen
        ))
    })?;
    let threads = match raw.threads {
        None => DEFAULT_THREADS,
        Some(n) if (1..=MAX_THREADS as u64).contains(&n) => n as usize,
        Some(n) => {
            return Err(ConfigError(format!(
                "{shown}: dhcpstats.threads: {n} is out of range (1-{MAX_THREADS})"
            )));
        }
    };
    let mut warnings = Vec::new();
    let auth = match (raw.auth_string, raw.auth_string_file) {
        (Some(_), Some(_)) => {
            return Err(ConfigError(format!(
                "{shown}: dhcpstats.auth_string and dhcpstats.auth_string_file are both set; keep one"
            )));
        }
        (Some(s), None) => {
            if s.is_empty() {
                return Err(ConfigError(format!(
                    "{shown}: dhcpstats.auth_string is empty; remove the key to disable authentication"
                )));
            }
            Some(Secret::new(s.into_bytes()))
        }
        (None, Some(f)) => {
            let f = resolve(&f);
            Some(
                read_key_file(&f, &mut warnings).map_err(|m| {
                    ConfigError(format!("{shown}: dhcpstats.auth_string_file: {m}"))
                })?,
            )
        }
        (None, None) => None,
    };
    // A family is configured by its configuration and lease file; the
    // static file defaults to the configuration.
    let family = |keys: [&str; 3],
                  subnet: Option<PathBuf>,
                  statics: Option<PathBuf>,
                  leases: Option<PathBuf>|
     -> Result<Option<Files>, ConfigError> {
        match (subnet, leases) {
            (Some(subnet), Some(leases)) => {
                let subnet_file = resolve(&subnet);
                Ok(Some(Files {
                    static_file: statics
                        .as_deref()
                        .map_or_else(|| subnet_file.clone(), resolve),
                    subnet_file,
                    leases_file: resolve(&leases),
                }))
            }
            (None, None) if statics.is_none() => Ok(None),
            (subnet, _) => {
                let missing = if subnet.is_none() { keys[0] } else { keys[2] };
                let given = if subnet.is_some() {
                    keys[0]
                } else if statics.is_some() {
                    keys[1]
                } else {
                    keys[2]
                };
                Err(ConfigError(format!(
                    "{shown}: dhcpstats.{missing} is missing: {given} is set, and a dhcpd needs both its configuration ({}) and its lease file ({})",
                    keys[0], keys[2]
                )))
            }
        }
    };
    let v4 = family(
        ["subnet_file", "static_file", "leases_file"],
        raw.subnet_file,
        raw.static_file,
        raw.leases_file,
    )?;
    let v6 = family(
        ["subnet6_file", "static6_file", "leases6_file"],
        raw.subnet6_file,
        raw.static6_file,
        raw.leases6_file,
    )?;
    if v4.is_none() && v6.is_none() {
        return Err(ConfigError(format!(
            "{shown}: dhcpstats.subnet_file and dhcpstats.leases_file are missing: give dhcpd -4's files, \
             dhcpd -6's (subnet6_file and leases6_file), or both"
        )));
    }
    let alarms: crate::alarm::Settings = raw.alarms.map(Into::into).unwrap_or_default();
    alarms
        .validate()
        .map_err(|m| ConfigError(format!("{shown}: dhcpstats.{m}")))?;
    Ok(Config {
        path: path.to_path_buf(),
        debug: raw.debug,
        listen,
        auth,
        v4,
        v6,
        threads,
        alarms,
        warnings,
    })
}

/// Reads the API key from a file: its first line, without the newline.
pub fn read_key_file(path: &Path, warnings: &mut Vec<String>) -> Result<Secret, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if meta.len() > 64 * 1024 {
        return Err(format!("{shown}: too large for a key file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            warnings.push(format!(
                "{shown}: the API key file has mode {mode:04o}; others can read it (chmod 600 it)"
            ));
        }
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Err(format!("{shown}: the key file is empty"));
    }
    Ok(Secret::new(line.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("/etc/dhcp/test.yml"), text.as_bytes())
    }

    const MINIMAL: &str = "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: dhcpd.conf\n  leases_file: /var/lib/dhcp/dhcpd.leases\n";

    #[test]
    fn minimal_with_defaults() {
        let c = p(MINIMAL).unwrap();
        assert!(!c.debug);
        assert_eq!(c.threads, 4);
        let v4 = c.v4.unwrap();
        assert_eq!(v4.subnet_file, PathBuf::from("/etc/dhcp/dhcpd.conf"));
        assert_eq!(v4.static_file, v4.subnet_file);
        assert_eq!(v4.leases_file, PathBuf::from("/var/lib/dhcp/dhcpd.leases"));
        assert!(c.v6.is_none());
        assert!(c.auth.is_none());
    }

    #[test]
    fn either_family_or_both() {
        let v6 = "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet6_file: dhcpd6.conf\n  leases6_file: /var/lib/dhcp/dhcpd6.leases\n";
        let c = p(v6).unwrap();
        assert!(c.v4.is_none());
        let f = c.v6.unwrap();
        assert_eq!(f.static_file, PathBuf::from("/etc/dhcp/dhcpd6.conf"));
        let both = format!(
            "{MINIMAL}  subnet6_file: a6.conf\n  static6_file: h6.conf\n  leases6_file: l6\n"
        );
        let c = p(&both).unwrap();
        assert!(c.v4.is_some());
        assert_eq!(
            c.v6.unwrap().static_file,
            PathBuf::from("/etc/dhcp/h6.conf")
        );
        let e = p("dhcpstats:\n  listen: 127.0.0.1:0\n  subnet6_file: a\n").unwrap_err();
        assert!(e.0.contains("dhcpstats.leases6_file is missing"), "{}", e.0);
        let e = p("dhcpstats:\n  listen: 127.0.0.1:0\n").unwrap_err();
        assert!(
            e.0.contains("dhcpstats.subnet_file and dhcpstats.leases_file are missing"),
            "{}",
            e.0
        );
    }

    #[test]
    fn ipv6_listen_and_booleans() {
        let c = p(&format!("{MINIMAL}  debug: true\n  listen6: x\n")).unwrap_err();
        assert!(c.0.contains("listen6"), "{}", c.0);
        let text = MINIMAL.replace("127.0.0.1:0", "\"[::1]:8080\"") + "  debug: false\n";
        let c = p(&text).unwrap();
        assert_eq!(c.listen.to_string(), "[::1]:8080");
        assert!(!c.debug);
        // A quoted "false" is still false, never a truthy string.
        assert!(!p(&format!("{MINIMAL}  debug: \"false\"\n")).unwrap().debug);
        let e = p(&format!("{MINIMAL}  debug: maybe\n")).unwrap_err();
        assert!(e.0.contains("debug") || e.0.contains("bool"), "{}", e.0);
    }

    #[test]
    fn errors_name_the_key_and_file() {
        let e = p("dhcpstats:\n  listen: 127.0.0.1:0\n  leases_file: x\n").unwrap_err();
        assert!(e.0.starts_with("/etc/dhcp/test.yml: "), "{}", e.0);
        assert!(e.0.contains("subnet_file"), "{}", e.0);
        let e = p(&MINIMAL.replace("127.0.0.1:0", "localhost")).unwrap_err();
        assert!(e.0.contains("dhcpstats.listen"), "{}", e.0);
        let e = p(&format!("{MINIMAL}  threads: 0\n")).unwrap_err();
        assert!(e.0.contains("threads"), "{}", e.0);
        let e = p(&format!("{MINIMAL}  threads: many\n")).unwrap_err();
        assert!(e.0.contains("threads"), "{}", e.0);
        let e = p("listen: 1\n").unwrap_err();
        assert!(
            e.0.contains("listen") || e.0.contains("dhcpstats"),
            "{}",
            e.0
        );
        let e = p(&format!("{MINIMAL}  auth_string: \"\"\n")).unwrap_err();
        assert!(e.0.contains("auth_string is empty"), "{}", e.0);
    }

    #[test]
    fn alarm_settings_are_strict() {
        let c = p(&format!(
            "{MINIMAL}  alarms:\n    warning: 70\n    level: subnet\n    overrides:\n      guests: {{ critical: 95, ignore: true }}\n"
        ))
        .unwrap();
        assert_eq!(c.alarms.defaults.warning, Some(70.0));
        assert_eq!(c.alarms.level, crate::alarm::Level::Subnet);
        assert!(c.alarms.overrides["guests"].ignore);
        let e = p(&format!("{MINIMAL}  alarms:\n    warnig: 70\n")).unwrap_err();
        assert!(e.0.contains("warnig"), "{}", e.0);
        let e = p(&format!("{MINIMAL}  alarms:\n    warning: 95\n")).unwrap_err();
        assert!(
            e.0.contains("dhcpstats.alarms.warning (95) is above alarms.critical (90)"),
            "{}",
            e.0
        );
        let e = p(&format!(
            "{MINIMAL}  alarms:\n    overrides:\n      x: {{ critical: 120 }}\n"
        ))
        .unwrap_err();
        assert!(e.0.contains("alarms.overrides.x.critical: 120"), "{}", e.0);
    }

    #[test]
    fn secret_is_never_printed() {
        let c = p(&format!("{MINIMAL}  auth_string: hunter2\n")).unwrap();
        assert_eq!(c.auth.as_ref().map(Secret::expose), Some(&b"hunter2"[..]));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
