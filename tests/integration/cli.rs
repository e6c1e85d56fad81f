//! The command line (SPEC §5, §6): configuration lookup and errors,
//! `check` exit codes, `dump` options and failures, includes and
//! `static_file`, all through the real binary.

use std::process::{Command, Stdio};

use crate::common::{TempDir, bin, run, stderr, stdout, testdata, write_config};

const NOW: &str = "2026-11-26T00:00:00Z";

fn site(dir: &TempDir, conf: &str, leases: &str) -> std::path::PathBuf {
    let c = dir.write("dhcpd.conf", conf);
    let l = dir.write("dhcpd.leases", leases);
    write_config(dir, &c, &l, "")
}

#[test]
fn version_and_help() {
    let o = run(&["--version"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        format!("dhcpstats {}\n", env!("CARGO_PKG_VERSION"))
    );
    let o = run(&["check", "--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("Usage:"));
    let o = run(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown command 'frobnicate'"));
}

#[test]
fn missing_or_broken_configuration_names_the_file() {
    let o = run(&["dump", "--config", "/nonexistent/dhcpstats.yml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/dhcpstats.yml: cannot read the configuration file"),
        "{}",
        stderr(&o)
    );
    let dir = TempDir::new("cli");
    let cfg = dir.write(
        "bad.yml",
        "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: a\n  leases_file: b\n  colour: blue\n",
    );
    let o = run(&["check", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("bad.yml") && e.contains("unknown field `colour`"),
        "{e}"
    );
}

#[test]
fn configuration_from_the_environment_and_relative_paths() {
    let dir = TempDir::new("cli");
    dir.write(
        "data/dhcpd.conf",
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.4; }\n",
    );
    dir.write(
        "data/dhcpd.leases",
        "lease 10.0.0.1 {\n  binding state active;\n  ends never;\n}\n",
    );
    let cfg = dir.write(
        "etc/dhcpstats.yml",
        "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: ../data/dhcpd.conf\n  leases_file: ../data/dhcpd.leases\n",
    );
    let o = Command::new(bin())
        .args(["dump", "--summary"])
        .env("DHCPSTATS_CONFIG_FILE", &cfg)
        .current_dir("/")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["10.0.0.0/24"]["ips"]["active"], 1);
}

#[test]
fn check_exit_codes() {
    let dir = TempDir::new("cli");
    let clean = site(
        &dir,
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.4; }\n",
        "",
    );
    let o = run(&["check", "--config", clean.to_str().unwrap(), "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(
        stdout(&o),
        "10.0.0.0/24        ranges=1 total=4 active=0 free=0 backup=0 expired=0 released=0 abandoned=0 reset=0 unused=4 static=0\n\
         1 subnet(s), 0 error(s), 0 warning(s), 0 note(s); times evaluated at 2026-11-26T00:00:00Z\n"
    );

    let dir = TempDir::new("cli");
    let warn = site(
        &dir,
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.4; }\n\
         host nas { hardware ethernet 00:11:22:33:44:55; fixed-address nas.example.net; }\n",
        "",
    );
    let o = run(&["check", "--config", warn.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(
            "dhcpd.conf:2:1: warning: host nas: fixed-address nas.example.net is a DNS name"
        ),
        "{}",
        stdout(&o)
    );

    // What dhcpd refuses is an error, even where dhcpstats can read on.
    let dir = TempDir::new("cli");
    let refused = site(
        &dir,
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.4; };\n",
        "",
    );
    let o = run(&["check", "--config", refused.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("dhcpd.conf:1:67: error: ';' after '}'"),
        "{}",
        stdout(&o)
    );

    let dir = TempDir::new("cli");
    let err = site(
        &dir,
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.4; }\n",
        "lease 10.0.0.1 {\n  binding state sleeping;\n}\n",
    );
    let o = run(&["check", "--config", err.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("dhcpd.leases:2:17: error: unknown binding state 'sleeping'"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn check_reports_unreadable_files_and_an_unfinished_tail() {
    let dir = TempDir::new("cli");
    let c = dir.write("dhcpd.conf", "subnet 10.0.0.0 netmask 255.255.255.0 { }\n");
    let cfg = write_config(&dir, &c, &dir.path("missing.leases"), "");
    let o = run(&["check", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("missing.leases: error: cannot read: No such file or directory"),
        "{}",
        stdout(&o)
    );

    let dir = TempDir::new("cli");
    let cfg = site(
        &dir,
        "subnet 10.0.0.0 netmask 255.255.255.0 { }\n",
        "lease 10.0.0.1 {\n  binding state act",
    );
    let o = run(&["check", "--config", cfg.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "an unfinished final block is a note: {}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("note: the last 36 bytes are an unfinished block"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn dump_failures() {
    let dir = TempDir::new("cli");
    let cfg = site(&dir, "subnet 10.0.0.0 netmask 255.255.255.0 { }\n", "");
    let o = run(&[
        "dump",
        "--config",
        cfg.to_str().unwrap(),
        "--subnet",
        "10.9.0.0/16",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no subnet 10.9.0.0/16 is declared in"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());

    let c = dir.path("dhcpd.conf");
    let cfg = write_config(&dir, &c, &dir.path("nope.leases"), "");
    let o = run(&["dump", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("nope.leases: No such file or directory"),
        "{}",
        stderr(&o)
    );

    let cfg = write_config(&dir, &c, &dir.0, "");
    let o = run(&["dump", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
}

#[test]
fn dump_mentions_input_problems_on_stderr_only() {
    let dir = TempDir::new("cli");
    let cfg = site(
        &dir,
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.4; }\n",
        "lease 10.0.0.1 {\n  binding state sleeping;\n}\nlease 10.0.0.2 {\n  binding state free;\n}\n",
    );
    let o = run(&["dump", "--config", cfg.to_str().unwrap(), "--summary"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["10.0.0.0/24"]["ips"]["free"], 1);
    assert!(
        stderr(&o).contains("1 error(s) and 0 warning(s); run `dhcpstats check`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn dump_into_a_closed_pipe_is_quiet() {
    let dir = TempDir::new("cli");
    let root = testdata("corpus/small");
    let cfg = write_config(
        &dir,
        &root.join("dhcpd.conf"),
        &root.join("dhcpd.leases"),
        "",
    );
    let mut child = Command::new(bin())
        .args(["dump", "--config", cfg.to_str().unwrap(), "--pretty"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close our end (like `| head -c 1`).
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    std::io::Read::read_exact(&mut out, &mut one).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn includes_resolve_against_the_configured_files_directory() {
    let dir = TempDir::new("cli");
    dir.write("etc/dhcp/dhcpd.conf", "include \"conf.d/subnets.conf\";\n");
    dir.write(
        "etc/dhcp/conf.d/subnets.conf",
        "subnet 10.0.0.0 netmask 255.255.255.0 {\n  include \"conf.d/range.inc\";\n}\n",
    );
    dir.write(
        "etc/dhcp/conf.d/range.inc",
        "range 10.0.0.10 10.0.0.19;\noption routers 10.0.0.1;\n",
    );
    let leases = dir.write("dhcpd.leases", "");
    let cfg = write_config(&dir, &dir.path("etc/dhcp/dhcpd.conf"), &leases, "");
    let o = Command::new(bin())
        .args(["dump", "--summary", "--config", cfg.to_str().unwrap()])
        .current_dir("/")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["10.0.0.0/24"]["ips"]["total"], 10);
    assert_eq!(v["10.0.0.0/24"]["routers"], serde_json::json!(["10.0.0.1"]));
}

#[test]
fn static_file_separate_or_already_included() {
    let dir = TempDir::new("cli");
    let conf = dir.write(
        "dhcpd.conf",
        "subnet 10.0.0.0 netmask 255.255.255.0 { }\nhost a { hardware ethernet 00:00:00:00:00:01; fixed-address 10.0.0.5; }\n",
    );
    let statics = dir.write(
        "static.conf",
        "host b { hardware ethernet 00:00:00:00:00:02; fixed-address 10.0.0.6; option host-name \"bee\"; }\n",
    );
    let leases = dir.write("dhcpd.leases", "");
    let extra = format!("  static_file: {:?}\n", statics.display().to_string());
    let cfg = write_config(&dir, &conf, &leases, &extra);
    let v = crate::common::dump_json(&cfg, &[]);
    let names: Vec<&String> = v["10.0.0.0/24"]["statics"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(v["10.0.0.0/24"]["statics"]["b"]["host_name"], "bee");

    // When dhcpd.conf includes the static file itself, it is read once.
    let dir2 = TempDir::new("cli");
    let statics = dir2.write(
        "static.conf",
        "host b { hardware ethernet 00:00:00:00:00:02; fixed-address 10.0.0.6; }\n",
    );
    let conf = dir2.write(
        "dhcpd.conf",
        "subnet 10.0.0.0 netmask 255.255.255.0 { }\ninclude \"static.conf\";\n",
    );
    let leases = dir2.write("dhcpd.leases", "");
    let extra = format!("  static_file: {:?}\n", statics.display().to_string());
    let cfg = write_config(&dir2, &conf, &leases, &extra);
    let o = run(&["check", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("static=1"), "{}", stdout(&o));
}
