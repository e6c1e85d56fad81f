//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use dhcpstats::dhcp::conf::{self, Conf};
use dhcpstats::diag::Diagnostics;
use dhcpstats::inputs::FsLoader;
use dhcpstats::report;

pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// A file of the repository (tools, contrib).
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_dhcpstats")
}

/// A fresh, empty directory under the target directory (removed on drop).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("write");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Decompresses a `.gz` test file with the system's gzip.
pub fn gunzip(src: &Path, dst: &Path) {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(src)
        .output()
        .expect("run gzip");
    assert!(out.status.success(), "gzip -dc {}", src.display());
    std::fs::write(dst, out.stdout).expect("write decompressed");
}

/// Writes a dhcpstats.yml in `dir` pointing at the given files.
pub fn write_config(dir: &TempDir, subnet_file: &Path, leases_file: &Path, extra: &str) -> PathBuf {
    let text = format!(
        "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: {:?}\n  leases_file: {:?}\n{extra}",
        subnet_file.display().to_string(),
        leases_file.display().to_string()
    );
    dir.write("dhcpstats.yml", text)
}

pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run dhcpstats")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `dhcpstats dump` and parses its JSON.
pub fn dump_json(config: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["dump", "--config", config.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "dump failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("dump prints JSON")
}

/// Runs `dhcpstats dump` and returns its output bytes.
pub fn dump_raw(config: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec!["dump", "--config", config.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "dump failed: {}", stderr(&out));
    out.stdout
}

/// Follows `path` through nested objects while deserializing, and
/// collects the keys of the object it leads to in document order
/// (serde_json's `Value` sorts keys, and our order is part of the contract).
struct KeysAt<'p> {
    path: &'p [&'p str],
    out: &'p mut Vec<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeysAt<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeysAt<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(k) = m.next_key::<String>()? {
            match self.path.split_first() {
                None => {
                    self.out.push(k);
                    m.next_value::<serde::de::IgnoredAny>()?;
                }
                Some((first, rest)) if *first == k => {
                    m.next_value_seed(KeysAt {
                        path: rest,
                        out: &mut *self.out,
                    })?;
                }
                Some(_) => {
                    m.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The keys, in document order, of the object at `path` in `json`.
pub fn ordered_keys(json: &[u8], path: &[&str]) -> Vec<String> {
    use serde::de::DeserializeSeed;
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(json);
    KeysAt {
        path,
        out: &mut out,
    }
    .deserialize(&mut de)
    .expect("JSON object");
    out
}

/// Parses a configuration from testdata/grammar, resolving includes
/// against testdata/grammar (where dhcpd's own examples were run from).
pub fn grammar_conf(rel: &str) -> (Conf, Diagnostics) {
    let base = testdata("grammar");
    let mut loader = FsLoader::new(base.clone());
    let main = loader
        .load_path(&base.join(rel))
        .expect("read grammar example");
    let mut diags = Diagnostics::new();
    let c = conf::parse(&main, &mut loader, &mut diags);
    (c, diags)
}

/// [`grammar_conf`] for a `dhcpd -6` configuration.
pub fn grammar_conf6(rel: &str) -> (Conf, Diagnostics) {
    let base = testdata("grammar");
    let mut loader = FsLoader::new(base.clone());
    let main = loader
        .load_path(&base.join(rel))
        .expect("read grammar example");
    let mut diags = Diagnostics::new();
    let c = conf::parse_family(&main, &mut loader, &mut diags, conf::Family::V6);
    (c, diags)
}

/// A compact, stable description of what a configuration declares, for
/// `assert_eq!` against text written by hand from the example's comments.
pub fn describe(c: &Conf) -> String {
    let mut out = String::new();
    for s in &c.subnets {
        out.push_str(&format!("subnet {}", s.cidr()));
        if let Some(n) = &s.shared_network {
            out.push_str(&format!(" shared={n:?}"));
        }
        let ranges: Vec<String> = s
            .ranges
            .iter()
            .map(|r| {
                let mut t = format!("{}-{}", r.low, r.high);
                if r.dynamic_bootp {
                    t.push_str(" bootp");
                }
                t
            })
            .collect();
        let total: u64 = report::merged_ranges(s)
            .iter()
            .map(|(lo, hi)| u64::from(hi - lo) + 1)
            .sum();
        out.push_str(&format!(" ranges=[{}] total={total}\n", ranges.join(", ")));
        let o = &s.options;
        let mut opts = Vec::new();
        if let Some(v) = &o.routers {
            opts.push(format!("routers={}", v.join(",")));
        }
        if let Some(v) = &o.dns_servers {
            opts.push(format!("dns={}", v.join(",")));
        }
        if let Some(v) = &o.ntp_servers {
            opts.push(format!("ntp={}", v.join(",")));
        }
        if let Some(v) = &o.domain_name {
            opts.push(format!("domain={v:?}"));
        }
        if let Some(v) = &o.ddns_domain_name {
            opts.push(format!("ddns={v:?}"));
        }
        if !opts.is_empty() {
            out.push_str(&format!("  {}\n", opts.join(" ")));
        }
    }
    for s in &c.subnets6 {
        out.push_str(&format!("subnet6 {}", s.cidr()));
        if let Some(n) = &s.shared_network {
            out.push_str(&format!(" shared={n:?}"));
        }
        let list = |rs: &[conf::Range6]| -> (String, u128) {
            let text: Vec<String> = rs.iter().map(|r| format!("{}-{}", r.low, r.high)).collect();
            (text.join(", "), rs.iter().map(conf::Range6::size).sum())
        };
        let (na, na_total) = list(&s.ranges);
        out.push_str(&format!(" na=[{na}] {na_total}"));
        if !s.temporary.is_empty() {
            let (ta, ta_total) = list(&s.temporary);
            out.push_str(&format!(" ta=[{ta}] {ta_total}"));
        }
        if !s.prefixes.is_empty() {
            let pd: Vec<String> = s
                .prefixes
                .iter()
                .map(|p| format!("{}-{}/{} {}", p.low, p.high, p.bits, p.count()))
                .collect();
            out.push_str(&format!(" pd=[{}]", pd.join(", ")));
        }
        out.push('\n');
        let o = &s.options;
        let mut opts = Vec::new();
        if let Some(v) = &o.dns_servers {
            opts.push(format!("dns={}", v.join(",")));
        }
        if let Some(v) = &o.domain_search {
            opts.push(format!("search={}", v.join(",")));
        }
        if !opts.is_empty() {
            out.push_str(&format!("  {}\n", opts.join(" ")));
        }
    }
    for h in &c.hosts {
        out.push_str(&format!("host {}", h.name));
        if let Some(hw) = &h.hardware {
            out.push_str(&format!(" {}={}", hw.kind, hw.address));
        }
        let fixed: Vec<String> = h
            .fixed_addresses
            .iter()
            .map(|a| match a {
                dhcpstats::dhcp::values::AddressOrName::V4(ip) => ip.to_string(),
                dhcpstats::dhcp::values::AddressOrName::Name(n) => format!("name:{n}"),
            })
            .collect();
        if !fixed.is_empty() {
            out.push_str(&format!(" fixed={}", fixed.join(",")));
        }
        if let Some(v) = &h.host_name {
            out.push_str(&format!(" host-name={v:?}"));
        }
        if let Some(v) = &h.ddns_hostname {
            out.push_str(&format!(" ddns-hostname={v:?}"));
        }
        if let Some(v) = &h.client_id {
            out.push_str(&format!(" client-id={v}"));
        }
        for a in &h.fixed_addresses6 {
            out.push_str(&format!(" fixed6={a}"));
        }
        for (p, len) in &h.fixed_prefixes6 {
            out.push_str(&format!(" prefix6={p}/{len}"));
        }
        out.push('\n');
    }
    out
}

/// Diagnostics as `line:col severity: message`, without the file name.
pub fn diag_lines(d: &Diagnostics) -> Vec<String> {
    d.items()
        .iter()
        .map(|x| format!("{}:{} {}: {}", x.line, x.col, x.severity, x.message))
        .collect()
}

/// Trims the common indentation of a hand-written expectation.
pub fn text(s: &str) -> String {
    let lines: Vec<&str> = s.lines().skip_while(|l| l.trim().is_empty()).collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for l in lines {
        out.push_str(l.get(indent..).unwrap_or("").trim_end());
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if out.trim().is_empty() {
        String::new()
    } else {
        out
    }
}
