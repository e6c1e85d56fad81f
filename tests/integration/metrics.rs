//! `/metrics` (SPEC §4.2): valid for promtool, equal to `/subnets`, with
//! label values escaped.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{TempDir, gunzip, testdata, write_config};
use crate::server::Server;

const NOW: &str = "2026-11-26T01:40:00Z";

/// One sample: family name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses the text exposition, undoing label escapes.
fn samples(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name_labels, value) = line.rsplit_once(' ').expect("sample has a value");
        let (name, labels) = match name_labels.split_once('{') {
            Some((n, rest)) => (n, rest.strip_suffix('}').expect("labels close")),
            None => (name_labels, ""),
        };
        let mut map = BTreeMap::new();
        let mut chars = labels.chars().peekable();
        while chars.peek().is_some() {
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            assert_eq!(chars.next(), Some('"'));
            let mut v = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => v.push('\n'),
                        Some(other) => v.push(other),
                        None => panic!("dangling escape"),
                    },
                    '"' => break,
                    c => v.push(c),
                }
            }
            map.insert(key, v);
            if chars.peek() == Some(&',') {
                chars.next();
            }
        }
        out.push((name.to_string(), map, value.parse().expect("numeric value")));
    }
    out
}

fn value(s: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.iter()
        .find(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
                && l.len() == labels.len()
        })
        .map(|(_, _, v)| *v)
}

pub fn promtool_check(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus, installed by .ci/run)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn main_corpus() -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new("metrics");
    let root = testdata("corpus/main");
    let leases = dir.path("dhcpd.leases");
    gunzip(&root.join("dhcpd.leases.gz"), &leases);
    let cfg = write_config(&dir, &root.join("dhcpd.conf"), &leases, "");
    (dir, cfg)
}

#[test]
fn main_corpus_passes_promtool_and_matches_subnets() {
    let (_dir, cfg) = main_corpus();
    let srv = Server::start(&cfg, &["--now", NOW]);
    let subnets = srv.get("/subnets?summary", &[]).json();
    let text = srv.get("/metrics", &[]).text();
    promtool_check(&text);
    let s = samples(&text);
    for (cidr, v) in subnets.as_object().unwrap() {
        let mut labels = vec![("subnet", cidr.as_str())];
        if let Some(n) = v["shared_network"].as_str() {
            labels.push(("shared_network", n));
        }
        let ips = &v["ips"];
        let n = |k: &str| ips[k].as_f64().unwrap();
        assert_eq!(
            value(&s, "dhcpstats_subnet_addresses", &labels),
            Some(n("total")),
            "{cidr}"
        );
        assert_eq!(
            value(&s, "dhcpstats_subnet_unused_addresses", &labels),
            Some(n("unused")),
            "{cidr}"
        );
        assert_eq!(
            value(&s, "dhcpstats_subnet_static_reservations", &labels),
            Some(n("static")),
            "{cidr}"
        );
        for st in [
            "active",
            "free",
            "backup",
            "expired",
            "released",
            "abandoned",
            "reset",
        ] {
            let mut l = labels.clone();
            l.push(("state", st));
            assert_eq!(
                value(&s, "dhcpstats_subnet_leases", &l),
                Some(n(st)),
                "{cidr} {st}"
            );
        }
    }
    // The shared network "lab" sums its two subnets.
    let lab = ["10.40.0.0/24", "10.41.0.0/24"];
    let total: f64 = lab
        .iter()
        .map(|c| subnets[c]["ips"]["total"].as_f64().unwrap())
        .sum();
    assert_eq!(
        value(
            &s,
            "dhcpstats_shared_network_addresses",
            &[("shared_network", "lab")]
        ),
        Some(total)
    );
    let active: f64 = lab
        .iter()
        .map(|c| subnets[c]["ips"]["active"].as_f64().unwrap())
        .sum();
    assert_eq!(
        value(
            &s,
            "dhcpstats_shared_network_leases",
            &[("shared_network", "lab"), ("state", "active")]
        ),
        Some(active)
    );
    assert_eq!(value(&s, "dhcpstats_last_parse_success", &[]), Some(1.0));
    assert_eq!(
        value(&s, "dhcpstats_leases_file_size_bytes", &[]),
        Some(4_662_943.0)
    );
    assert_eq!(
        value(
            &s,
            "dhcpstats_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    assert!(value(&s, "dhcpstats_requests_total", &[("code", "200")]).unwrap() >= 1.0);
    assert_eq!(
        value(&s, "dhcpstats_parse_diagnostics", &[("severity", "error")]),
        Some(0.0)
    );
    // No per-lease labels: a handful of series per subnet only.
    assert!(s.len() < 200, "{} series", s.len());
    assert!(!text.contains("hardware") && !text.contains("02:00:00"));
}

#[test]
fn label_values_are_escaped() {
    let dir = TempDir::new("metrics-esc");
    let conf = dir.write(
        "dhcpd.conf",
        "shared-network \"we\\\"ird\\\\name\\nsecond line\" {\n  subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.9; }\n}\n",
    );
    let leases = dir.write("dhcpd.leases", "");
    let cfg = write_config(&dir, &conf, &leases, "");
    let srv = Server::start(&cfg, &[]);
    let text = srv.get("/metrics", &[]).text();
    promtool_check(&text);
    assert!(
        text.contains("dhcpstats_subnet_addresses{subnet=\"10.0.0.0/24\",shared_network=\"we\\\"ird\\\\name\\nsecond line\"} 9\n"),
        "{text}"
    );
    let s = samples(&text);
    assert_eq!(
        value(
            &s,
            "dhcpstats_shared_network_addresses",
            &[("shared_network", "we\"ird\\name\nsecond line")]
        ),
        Some(9.0)
    );
    assert_eq!(
        srv.get("/subnets", &[]).json()["10.0.0.0/24"]["shared_network"],
        "we\"ird\\name\nsecond line"
    );
}

#[test]
fn requests_are_counted_by_code() {
    let (_dir, cfg) = main_corpus();
    let srv = Server::start(&cfg, &["--now", NOW]);
    for _ in 0..3 {
        srv.get("/nowhere", &[]);
    }
    let text = srv.get("/metrics", &[]).text();
    let s = samples(&text);
    assert_eq!(
        value(&s, "dhcpstats_requests_total", &[("code", "404")]),
        Some(3.0),
        "{text}"
    );
}

/// The shipped Grafana dashboard and alert rules name only metrics that
/// /metrics really exposes, and every dashboard query is valid PromQL to
/// promtool (each becomes a recording rule of a throw-away rules file).
#[test]
fn contrib_dashboards_and_rules_use_real_metrics_and_valid_promql() {
    let (_dir, cfg) = main_corpus();
    let srv = Server::start(&cfg, &["--now", NOW]);
    let exposed = srv.get("/metrics", &[]).text();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dashboard_text =
        std::fs::read_to_string(root.join("contrib/grafana/dhcpstats.json")).expect("dashboard");
    let rules_text =
        std::fs::read_to_string(root.join("contrib/prometheus/alerts.yml")).expect("rules");
    for text in [&dashboard_text, &rules_text] {
        let mut rest = text.as_str();
        while let Some(i) = rest.find("dhcpstats_") {
            let name: String = rest[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                exposed.contains(&format!("# TYPE {name} ")),
                "{name} is not a metric dhcpstats exposes"
            );
            rest = &rest[i + name.len()..];
        }
    }
    if std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped the PromQL check: promtool is not installed");
        return;
    }
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard_text).expect("json");
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    let mut n = 0;
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"]
                .as_str()
                .expect("expr")
                .replace("$instance", ".*");
            n += 1;
            rules.push_str(&format!(
                "      - record: dashboard:panel_{n}\n        expr: {}\n",
                serde_json::to_string(&expr).expect("quote")
            ));
        }
    }
    let dir = TempDir::new("grafana");
    let file = dir.write("dashboard-rules.yml", rules);
    let out = std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(n >= 10, "only {n} queries");
}
