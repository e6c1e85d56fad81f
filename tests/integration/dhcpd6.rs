//! DHCPv6 counts against independent sources (issue 13): the generator's
//! own truth (`tools/gen_dhcp6_data.py`, committed output and fresh
//! seeds) and the installed `dhcpd -6` itself, run in a private network
//! namespace on the same files: the leases dhcpd keeps as active after
//! loading them are the ones dhcpstats counts as active.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::common::{TempDir, dump_raw, gunzip, testdata};

fn v6_config(dir: &TempDir, conf: &Path, leases: &Path, name: &str) -> PathBuf {
    dir.write(
        name,
        format!(
            "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet6_file: {:?}\n  leases6_file: {:?}\n",
            conf.display().to_string(),
            leases.display().to_string()
        ),
    )
}

/// Each subnet6 of `truth.json` equals the `--summary` object exactly
/// (the truth has the shape of SPEC §3.7), keys in the same order.
fn assert_truth(what: &str, truth: &Value, ours: &[u8]) {
    let ours: Value = serde_json::from_slice(ours).unwrap();
    let t = truth["subnets"].as_object().unwrap();
    let o = ours.as_object().unwrap();
    let tk: Vec<&String> = t.keys().collect();
    let ok: Vec<&String> = o.keys().collect();
    assert_eq!(tk, ok, "{what}: subnet6 order");
    for (k, v) in t {
        assert_eq!(Some(v), o.get(k), "{what}: {k}");
    }
}

#[test]
fn committed_generated_v6_matches_its_truth() {
    let dir = TempDir::new("gen6");
    let root = testdata("generated/v6-default");
    let leases = dir.path("dhcpd6.leases");
    gunzip(&root.join("dhcpd6.leases.gz"), &leases);
    let cfg = v6_config(&dir, &root.join("dhcpd6.conf"), &leases, "c.yml");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(root.join("truth.json")).unwrap()).unwrap();
    let now = truth["now_epoch"].as_i64().unwrap().to_string();
    // The summary text itself: the big counts must be integers, which a
    // Value comparison of parsed floats would not notice.
    let out = dump_raw(&cfg, &["--now", &now, "--summary"]);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(!text.contains("e+"), "no float in the counts");
    assert_truth("v6-default", &truth, &out);
}

fn python() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Fresh seeds of the generator, when python3 is here.
#[test]
fn fresh_generated_v6_seeds_match_their_truth() {
    if !python() {
        eprintln!("skipped: python3 is not installed (the generator is a Python script)");
        return;
    }
    let dir = TempDir::new("gen6-seeds");
    for seed in [2, 5, 9] {
        let out = dir.path(&format!("s{seed}"));
        let ok = Command::new("python3")
            .arg(crate::common::repo_path("tools/gen_dhcp6_data.py"))
            .args([
                "--subnets",
                "25",
                "--leases",
                "2500",
                "--seed",
                &seed.to_string(),
                "--now",
                "1795694400",
                "--out-dir",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let cfg = v6_config(
            &dir,
            &out.join("dhcpd6.conf"),
            &out.join("dhcpd6.leases"),
            &format!("s{seed}.yml"),
        );
        let truth: Value =
            serde_json::from_slice(&std::fs::read(out.join("truth.json")).unwrap()).unwrap();
        assert_truth(
            &format!("seed {seed}"),
            &truth,
            &dump_raw(&cfg, &["--now", "1795694400", "--summary"]),
        );
    }
}

fn dhcpd() -> Option<PathBuf> {
    ["/usr/sbin/dhcpd", "/usr/local/sbin/dhcpd", "/sbin/dhcpd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Can this process make a network namespace with a veth pair in it?
fn namespaces() -> Result<(), String> {
    let out = Command::new("unshare")
        .args([
            "-n",
            "sh",
            "-c",
            "ip link add v0 type veth peer name v1 && ip link set v0 up",
        ])
        .output()
        .map_err(|e| format!("unshare: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Drops the entries dhcpd cannot read (an iaaddr/iaprefix without
/// `binding state` or `ends`): dhcpd loses the IA after each one, a
/// deliberate difference tested elsewhere; here both must see the same
/// leases.
fn without_corrupt_entries(text: &str) -> String {
    let mut out = String::new();
    let mut entry: Option<Vec<&str>> = None;
    for line in text.lines() {
        if let Some(e) = entry.as_mut() {
            e.push(line);
            if line == "  }" {
                let body = e.join("\n");
                if body.contains("binding state") && body.contains("ends ") {
                    out.push_str(&body);
                    out.push('\n');
                }
                entry = None;
            }
            continue;
        }
        if line.starts_with("  iaaddr ") || line.starts_with("  iaprefix ") {
            entry = Some(vec![line]);
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// (NA, TA, PD) active per subnet6, from a `--summary` answer.
fn actives(summary: &[u8]) -> Vec<(String, u64, u64, u64)> {
    let v: Value = serde_json::from_slice(summary).unwrap();
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, s)| {
            let a = |o: &Value| o["active"].as_u64().unwrap_or(0);
            (
                k.clone(),
                a(&s["ips"]),
                a(&s["temporary"]),
                a(&s["prefixes"]),
            )
        })
        .collect()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[test]
fn active_leases_are_those_dhcpd_6_keeps() {
    let Some(dhcpd) = dhcpd() else {
        eprintln!("skipped: dhcpd is not installed (apt-get install isc-dhcp-server)");
        return;
    };
    if !python() {
        eprintln!("skipped: python3 is not installed (the generator is a Python script)");
        return;
    }
    if let Err(e) = namespaces() {
        eprintln!("skipped: network namespaces are not allowed here ({e})");
        return;
    }
    let dir = TempDir::new("dhcpd6");
    let gen_dir = dir.path("gen");
    let now = unix_now();
    let ok = Command::new("python3")
        .arg(crate::common::repo_path("tools/gen_dhcp6_data.py"))
        .args([
            "--subnets",
            "20",
            "--leases",
            "1500",
            "--seed",
            "7",
            "--now",
            &now.to_string(),
            "--no-truth",
            "--out-dir",
        ])
        .arg(&gen_dir)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let conf = gen_dir.join("dhcpd6.conf");
    let original = dir.path("original.leases");
    let text = std::fs::read_to_string(gen_dir.join("dhcpd6.leases")).unwrap();
    std::fs::write(&original, without_corrupt_entries(&text)).unwrap();
    let kept = dir.path("dhcpd6.leases");
    std::fs::copy(&original, &kept).unwrap();

    // An address of the first subnet6 for the namespace's interface:
    // dhcpd -6 serves only subnets it has an interface in.
    let mut d = dhcpstats::diag::Diagnostics::new();
    let parsed = dhcpstats::dhcp::conf::parse_family(
        &dhcpstats::dhcp::conf::Loaded {
            display: std::sync::Arc::from("c"),
            identity: conf.clone(),
            bytes: std::fs::read(&conf).unwrap(),
        },
        &mut dhcpstats::dhcp::conf::NoIncludes,
        &mut d,
        dhcpstats::dhcp::conf::Family::V6,
    );
    let first = parsed.subnets6.first().expect("a subnet6");
    let address = std::net::Ipv6Addr::from(u128::from(first.network) + 1);
    let log = dir.path("dhcpd.log");
    let script = format!(
        "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 2>/dev/null; \
         ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up && \
         ip -6 addr add {address}/{len} dev v0 nodad || exit 1; \
         {dhcpd} -6 -f -d -cf {conf} -lf {kept} -pf {pid} v0 > {log} 2>&1 & p=$!; \
         for i in $(seq 100); do grep -q 'Server starting service\\|exiting' {log} && break; sleep 0.1; done; \
         kill $p 2>/dev/null; wait $p 2>/dev/null; exit 0",
        len = first.prefix_len,
        dhcpd = dhcpd.display(),
        conf = conf.display(),
        kept = kept.display(),
        pid = dir.path("dhcpd6.pid").display(),
        log = log.display(),
    );
    let t1 = unix_now();
    let started = Instant::now();
    let out = Command::new("timeout")
        .args(["60", "unshare", "-n", "sh", "-c", &script])
        .output()
        .unwrap();
    let t2 = unix_now();
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        out.status.success(),
        "{}\n{log_text}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        log_text.contains("Server starting service"),
        "dhcpd -6 did not start ({:?}):\n{log_text}",
        started.elapsed()
    );
    assert!(!log_text.contains("Corrupt lease file"), "{log_text}");
    assert!(log_text.contains("leases to lease file"), "{log_text}");

    // dhcpd's file is what it kept (one record per lease it loaded, then
    // an expiry record per lease that ended). At a time between its start
    // and its stop, its actives are ours.
    let c_orig = v6_config(&dir, &conf, &original, "orig.yml");
    let c_kept = v6_config(&dir, &conf, &kept, "kept.yml");
    let at = |cfg: &Path, t: i64| actives(&dump_raw(cfg, &["--now", &t.to_string(), "--summary"]));
    let agree = [t1, t2].iter().any(|&t| at(&c_orig, t) == at(&c_kept, t));
    let (ours, theirs) = (at(&c_orig, t1), at(&c_kept, t1));
    let total: u64 = ours.iter().map(|(_, a, b, c)| a + b + c).sum();
    assert!(
        total > 100,
        "the generated file has active leases to compare ({total})"
    );
    assert!(
        agree,
        "active per subnet6 (NA, TA, PD) differ:\n ours:  {ours:?}\n dhcpd: {theirs:?}\n{log_text}"
    );
    eprintln!(
        "dhcpd -6 kept the {total} active leases dhcpstats counts ({} subnet6s)",
        ours.len()
    );
}
