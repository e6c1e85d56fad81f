//! `dhcpstats alarm` (issue 14): each format on one multi-pool fixture
//! (ok, warning and critical pools, a shared network, a tiny pool below
//! `min_size`, an ignored subnet), UNKNOWN on unreadable input, WARNING on
//! input errors, and the Nagios output held against the Monitoring Plugins
//! grammar with `grep -E` (a real regular expression engine).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{TempDir, run, stdout, write_config};

pub const NOW: &str = "2026-11-26T00:00:00Z";

/// Pools: `campus` (shared, 2 × 10 addresses, 17 used: 85 %, warning),
/// `10.2.0.0/24` (10, 9 used + 1 abandoned: critical), `10.3.0.0/24` (10,
/// 1 used: ok), `10.4.0.0/24` (2, both used, but below min_size 5),
/// `10.5.0.0/24` (10, all used, ignored).
pub fn fixture(dir: &TempDir) -> std::path::PathBuf {
    let conf = dir.write(
        "dhcpd.conf",
        "shared-network campus {\n\
           subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.10; }\n\
           subnet 10.1.0.0 netmask 255.255.255.0 { range 10.1.0.1 10.1.0.10; }\n\
         }\n\
         subnet 10.2.0.0 netmask 255.255.255.0 { range 10.2.0.1 10.2.0.10; }\n\
         subnet 10.3.0.0 netmask 255.255.255.0 { range 10.3.0.1 10.3.0.10; }\n\
         subnet 10.4.0.0 netmask 255.255.255.0 { range 10.4.0.1 10.4.0.2; }\n\
         subnet 10.5.0.0 netmask 255.255.255.0 { range 10.5.0.1 10.5.0.10; }\n",
    );
    let mut leases = String::new();
    let mut add = |prefix: &str, from: u32, n: u32, state: &str| {
        for i in from..from + n {
            leases.push_str(&format!(
                "lease {prefix}.{i} {{\n  binding state {state};\n  ends never;\n}}\n"
            ));
        }
    };
    add("10.0.0", 1, 10, "active");
    add("10.1.0", 1, 7, "active");
    add("10.2.0", 1, 9, "active");
    add("10.2.0", 10, 1, "abandoned");
    add("10.3.0", 1, 1, "active");
    add("10.4.0", 1, 2, "active");
    add("10.5.0", 1, 10, "active");
    let leases = dir.write("dhcpd.leases", leases);
    write_config(
        dir,
        &conf,
        &leases,
        "  alarms:\n    min_size: 5\n    overrides:\n      10.5.0.0/24: { ignore: true }\n",
    )
}

pub fn alarm(config: &std::path::Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec![
        "alarm",
        "--config",
        config.to_str().unwrap_or_default(),
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    (o.status.code(), stdout(&o))
}

/// Lines of `text` that do not match `pattern` as a whole (grep -E -x -v).
fn not_matching(pattern: &str, text: &str) -> String {
    let mut child = Command::new("grep")
        .args(["-E", "-x", "-v", pattern])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run grep");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to grep");
    let out = child.wait_with_output().expect("grep output");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The first line of plugin output: `SERVICE STATUS - text | perfdata`,
/// perfdata `'label'=value;warn;crit;min;max` with integers only.
const NAGIOS_FIRST: &str = "DHCP (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+( \\| ('([^']|'')+'=[0-9]+;[0-9]+;[0-9]+;0;[0-9]+)( '([^']|'')+'=[0-9]+;[0-9]+;[0-9]+;0;[0-9]+)*)?";

#[test]
fn nagios_names_the_worst_pools_and_exits_with_the_worst_state() {
    let dir = TempDir::new("alarm");
    let cfg = fixture(&dir);
    let (code, out) = alarm(&cfg, &[]);
    assert_eq!(code, Some(2), "{out}");
    let mut lines = out.lines();
    let first = lines.next().unwrap_or_default();
    assert_eq!(
        not_matching(NAGIOS_FIRST, first),
        "",
        "guideline grammar: {first}"
    );
    assert!(
        first.starts_with(
            "DHCP CRITICAL - 1 of 5 pools critical, 1 at warning: 10.2.0.0/24 100% (10/10), campus 85% (17/20) | "
        ),
        "{first}"
    );
    for perf in [
        "'campus'=17;15;17;0;20",
        "'10.2.0.0/24'=10;7;8;0;10",
        "'10.3.0.0/24'=1;7;8;0;10",
        "'10.4.0.0/24'=2;1;1;0;2",
        "'10.5.0.0/24'=10;7;8;0;10",
    ] {
        assert!(first.contains(perf), "{perf} in {first}");
    }
    let long: Vec<&str> = lines.collect();
    assert_eq!(
        long,
        [
            "CRITICAL: 10.2.0.0/24 — 10 used, 0 available (100% used; warning at 8, critical at 9)",
            "WARNING: campus — 17 used, 3 available (85% used; warning at 16, critical at 18)",
        ]
    );
    // Thresholds from the command line override the file.
    let (code, out) = alarm(&cfg, &["--warning", "99", "--critical", "100"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.starts_with("DHCP CRITICAL - 1 of 5 pools critical: 10.2.0.0/24"),
        "{out}"
    );
    let (code, out) = alarm(
        &cfg,
        &["--warning", "80", "--critical", "100", "--min-size", "11"],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.starts_with("DHCP WARNING - 1 of 5 pools at warning: campus 85% (17/20)"),
        "{out}"
    );
}

#[test]
fn subnets_as_the_unit_split_the_shared_network() {
    let dir = TempDir::new("alarm");
    let cfg = fixture(&dir);
    let (code, out) = alarm(&cfg, &["--level", "subnet", "--format", "json"]);
    assert_eq!(code, Some(2), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let names: Vec<&str> = v["pools"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            "10.0.0.0/24",
            "10.1.0.0/24",
            "10.2.0.0/24",
            "10.3.0.0/24",
            "10.4.0.0/24",
            "10.5.0.0/24"
        ]
    );
    assert_eq!(v["pools"][0]["state"], "critical");
}

#[test]
fn checkmk_prints_one_local_check_per_pool() {
    let dir = TempDir::new("alarm");
    let cfg = fixture(&dir);
    let (code, out) = alarm(&cfg, &["--format", "checkmk"]);
    assert_eq!(code, Some(0), "a local check always exits 0 itself: {out}");
    const LINE: &str = "[0-3] \"DHCP pool [^\"]+\" used_dhcp_leases=[0-9]+;[0-9]+;[0-9]+;0;[0-9]+\\|free_dhcp_leases=[0-9]+;[0-9]+;[0-9]+;0;[0-9]+ .+";
    assert_eq!(not_matching(LINE, &out), "", "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(
        lines[0].starts_with(
            "1 \"DHCP pool campus\" used_dhcp_leases=17;16;18;0;20|free_dhcp_leases=3;4;2;0;20 "
        ),
        "{out}"
    );
    assert!(lines[1].starts_with("2 \"DHCP pool 10.2.0.0/24\""), "{out}");
    assert!(lines[2].starts_with("0 \"DHCP pool 10.3.0.0/24\""), "{out}");
    assert!(
        lines[3].starts_with("0 \"DHCP pool 10.4.0.0/24\"") && lines[3].ends_with("below min_size"),
        "{out}"
    );
    assert!(
        lines[4].starts_with("0 \"DHCP pool 10.5.0.0/24\"") && lines[4].ends_with("ignored"),
        "{out}"
    );
}

#[test]
fn json_has_every_pool_with_its_numbers() {
    let dir = TempDir::new("alarm");
    let cfg = fixture(&dir);
    let (code, out) = alarm(&cfg, &["--format", "json"]);
    assert_eq!(code, Some(2), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["status"], "CRITICAL");
    assert_eq!(v["exit_code"], 2);
    assert_eq!(
        v["pools"][0],
        serde_json::json!({
            "name": "campus", "level": "shared_network", "kind": "addresses",
            "subnets": ["10.0.0.0/24", "10.1.0.0/24"],
            "total": 20, "used": 17, "available": 3, "percent": 85.0,
            "warning_at": 16, "critical_at": 18,
            "ignored": false, "below_min_size": false, "state": "warning"
        })
    );
    assert_eq!(v["pools"][3]["below_min_size"], true);
    assert_eq!(v["pools"][4]["ignored"], true);
}

#[test]
fn unreadable_input_is_unknown_and_input_errors_at_least_warning() {
    let dir = TempDir::new("alarm");
    let conf = dir.write(
        "dhcpd.conf",
        "subnet 10.3.0.0 netmask 255.255.255.0 { range 10.3.0.1 10.3.0.10; }\n",
    );
    let missing = dir.path("no-such.leases");
    let cfg = write_config(&dir, &conf, &missing, "");
    let (code, out) = alarm(&cfg, &[]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.starts_with("DHCP UNKNOWN - "), "{out}");
    assert!(out.contains("no-such.leases"), "{out}");
    let (code, out) = alarm(&dir.path("no-such.yml"), &["--format", "json"]);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("\"status\": \"UNKNOWN\""), "{out}");
    let (code, out) = alarm(&cfg, &["--warning", "lots"]);
    assert_eq!(code, Some(3), "{out}");

    let leases = dir.write("dhcpd.leases", "");
    let broken = dir.write(
        "broken.conf",
        "authoritative\nsubnet 10.3.0.0 netmask 255.255.255.0 { range 10.3.0.1 10.3.0.10; }\n",
    );
    let dir2 = TempDir::new("alarm");
    let cfg = write_config(&dir2, &broken, &leases, "");
    let (code, out) = alarm(&cfg, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.starts_with("DHCP WARNING - 1 pools, none at warning; the input files have 1 error(s); run `dhcpstats check`"),
        "{out}"
    );
}

#[test]
fn alarm_flags_belong_to_alarm() {
    let o = run(&["dump", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(crate::common::stderr(&o).contains("only apply to alarm"));
    let o = run(&["alarm", "--level", "pool"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "a plugin's usage error is UNKNOWN"
    );
    assert_eq!(
        stdout(&o),
        "DHCP UNKNOWN - --level: 'pool' is not shared_network or subnet\n"
    );
}

/// `--url` asks a running dhcpstats and reaches the same verdict as the
/// local read; a refused key and an unreachable server are UNKNOWN.
#[test]
fn url_gives_the_verdict_of_the_local_read() {
    let dir = TempDir::new("alarm");
    let cfg = fixture(&dir);
    let key = dir.write("key", "s3cret\n");
    let with_key = dir.write(
        "auth.yml",
        std::fs::read_to_string(&cfg).unwrap_or_default() + "  auth_string: s3cret\n",
    );
    let srv = crate::server::Server::start(&with_key, &["--now", NOW]);
    let url = format!("http://{}", srv.addr);
    let key_arg = key.to_str().unwrap_or_default();
    for format in ["nagios", "json"] {
        let (local_code, local) = alarm(&cfg, &["--format", format]);
        let o = run(&[
            "alarm",
            "--config",
            cfg.to_str().unwrap_or_default(),
            "--format",
            format,
            "--url",
            &url,
            "--key-file",
            key_arg,
        ]);
        assert_eq!(o.status.code(), local_code, "{}", stdout(&o));
        assert_eq!(stdout(&o), local, "{format}");
    }
    // Without --config: the default thresholds (80/90 %, no min_size).
    let o = run(&["alarm", "--url", &url, "--key-file", key_arg]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("DHCP CRITICAL - 3 of 5 pools critical"),
        "{}",
        stdout(&o)
    );

    let wrong = dir.write("wrong", "nope\n");
    let o = run(&[
        "alarm",
        "--url",
        &url,
        "--key-file",
        wrong.to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("401: the key was refused"),
        "{}",
        stdout(&o)
    );
    drop(srv);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().map(|a| a.port()).unwrap_or(1);
    drop(closed);
    let o = run(&["alarm", "--url", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
    assert!(
        stdout(&o).starts_with("DHCP UNKNOWN - cannot connect to 127.0.0.1:"),
        "{}",
        stdout(&o)
    );
}

/// A server whose last read failed serves its last good data; the alarm
/// says so and is at least WARNING.
#[test]
fn stale_server_data_is_at_least_warning() {
    let site = crate::server::small_site("");
    let srv = crate::server::Server::start(&site.config, &["--now", NOW]);
    let url = format!("http://{}", srv.addr);
    // Every pool below min_size: only staleness can raise the state.
    let calm = ["alarm", "--url", &url, "--min-size", "1000"];
    let o = run(&calm);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    std::fs::remove_file(site.dir.path("dhcpd.leases")).expect("remove leases");
    let o = run(&calm);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("; the server's data is stale: ")
            && stdout(&o).contains("dhcpd.leases"),
        "{}",
        stdout(&o)
    );
}
