//! DHCPv6 (issue 13, SPEC §2.4, §3.7): dhcpd -6's files through `dump`,
//! `check` and the server. The golden case is counted by hand below; the
//! grammar's lease files are held against what `dhcpd -6 -T` kept.

use crate::common::{TempDir, dump_raw, run, stdout, testdata};
use crate::server::Server;

const NOW: &str = "2026-11-26T12:00:00Z";

fn v6_config(
    dir: &TempDir,
    conf: &std::path::Path,
    leases: &std::path::Path,
    extra: &str,
) -> std::path::PathBuf {
    dir.write(
        "dhcpstats.yml",
        format!(
            "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet6_file: {:?}\n  leases6_file: {:?}\n{extra}",
            conf.display().to_string(),
            leases.display().to_string()
        ),
    )
}

fn golden(dir: &TempDir) -> std::path::PathBuf {
    let root = testdata("golden/v6-tricky");
    v6_config(
        dir,
        &root.join("dhcpd6.conf"),
        &root.join("dhcpd6.leases"),
        "",
    )
}

/// The numbers of testdata/golden/v6-tricky at NOW, by hand:
/// - 2001:db8:10::/64: range6 /64 = 2^64; g7's ::abcd active (ends never).
/// - 2001:db8:20::/48: range6 /48 = 2^80, no NA lease; temporary /64 =
///   2^64 with h8's TA active until 11-27.
/// - 2001:db8:30::/64: ::100-::1ff = 256. ::100 renewed (active to 11-27),
///   ::101 released, ::102 active (c3; d4's older expired record of
///   another IA does not cancel it), ::103 active in the file but ended at
///   08:00 (expired), ::104 discarded (no binding state), ::105 abandoned
///   (whatever its ends). unused 256 - 5 = 251; statics: printer by
///   address, router-7 by its prefix in the pool outside the subnet6.
///   prefix6 3000::-30ff:: /56 = 255 * 256 + 1 = 65281, i9's prefix active.
#[test]
fn golden_v6_byte_for_byte_and_by_hand() {
    let dir = TempDir::new("v6-golden");
    let cfg = golden(&dir);
    let out = dump_raw(&cfg, &["--now", NOW]);
    let expected = std::fs::read(testdata("golden/v6-tricky/expected.json")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&expected)
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["2001:db8:10::/64", "2001:db8:20::/48", "2001:db8:30::/64"]
    );
    // Exact integers, not floats: the text itself.
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains("\"total\":18446744073709551616,"));
    assert!(text.contains("\"total\":1208925819614629174706176,"));
    let s30 = &v["2001:db8:30::/64"];
    let ips = &s30["ips"];
    for (k, n) in [
        ("total", 256),
        ("active", 2),
        ("expired", 1),
        ("released", 1),
        ("abandoned", 1),
        ("unused", 251),
        ("static", 2),
        ("backup", 0),
        ("reset", 0),
        ("free", 0),
    ] {
        assert_eq!(ips[k], n, "{k}");
    }
    assert_eq!(s30["prefixes"]["total"], 65281);
    assert_eq!(s30["prefixes"]["active"], 1);
    assert_eq!(
        s30["prefix_ranges"],
        serde_json::json!([["2001:db8:3000::", "2001:db8:30ff::", 56]])
    );
    assert_eq!(
        s30["leases"]["2001:db8:30::102"]["ia-id"],
        "c3\\000\\000\\000\\001"
    );
    assert_eq!(s30["leases"]["2001:db8:30::100"]["max-life"], 86400);
    assert!(s30["leases"].get("2001:db8:30::104").is_none());
    assert_eq!(s30["statics"]["router-7"]["prefix"], "2001:db8:30ff::/56");
    assert!(s30.get("temporary").is_none(), "no temporary pool, no key");
    let s20 = &v["2001:db8:20::/48"];
    assert_eq!(s20["temporary"]["active"], 1);
    assert!(s20["temporary"].get("static").is_none());
    assert!(s20.get("prefixes").is_none());

    // One subnet, the summary, and check's verdict (the discarded entry).
    let one = dump_raw(&cfg, &["--now", NOW, "--subnet", "2001:DB8:30:0::%2F64"]);
    let one: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(&one, s30);
    let summary: serde_json::Value =
        serde_json::from_slice(&dump_raw(&cfg, &["--now", NOW, "--summary"])).unwrap();
    assert!(summary["2001:db8:30::/64"].get("leases").is_none());
    assert_eq!(summary["2001:db8:30::/64"]["prefixes"], s30["prefixes"]);
    let o = run(&["check", "--config", cfg.to_str().unwrap(), "--now", NOW]);
    assert_eq!(o.status.code(), Some(2));
    let text = stdout(&o);
    assert!(
        text.contains(
            "dhcpd6.leases:84:3: error: no binding state; entry 2001:db8:30::104 discarded"
        ),
        "{text}"
    );
    assert!(text.contains("3 subnet(s), 1 error(s)"), "{text}");
}

/// The grammar's DHCPv6 lease files: what dhcpstats counts active is what
/// `dhcpd -6 -T` kept (results.txt: it writes 4 NA, 1 TA and 2 PD leases
/// back for both lab files; the appended file also holds the released
/// ::193, which dhcpd's rewrite leaves out).
#[test]
fn grammar_v6_lease_files() {
    let dir = TempDir::new("v6-grammar");
    let conf = testdata("grammar/leases/lab-v6.conf");
    for (file, released, listed) in [
        ("v6-lab-appended.leases", 1, 8),
        ("v6-lab-rewritten.leases", 0, 7),
    ] {
        let cfg = v6_config(
            &dir,
            &conf,
            &testdata(&format!("grammar/leases/{file}")),
            "",
        );
        let v: serde_json::Value =
            serde_json::from_slice(&dump_raw(&cfg, &["--now", "2026-11-26T01:25:00Z"])).unwrap();
        let s = &v["2001:db8:1::/64"];
        assert_eq!(s["ips"]["active"], 4, "{file}");
        assert_eq!(s["ips"]["released"], released, "{file}");
        assert_eq!(s["temporary"]["active"], 1, "{file}");
        assert_eq!(s["prefixes"]["active"], 2, "{file}");
        assert_eq!(s["leases"].as_object().unwrap().len(), listed, "{file}");
    }
    // The rare fields: hex IA ids, ends never, set values, an `on` block,
    // an address in no subnet6 (dhcpd: "No pool found").
    let cfg = v6_config(
        &dir,
        &testdata("grammar/leases/rare-v6.conf"),
        &testdata("grammar/leases/v6-rare-fields.leases"),
        "",
    );
    let v: serde_json::Value =
        serde_json::from_slice(&dump_raw(&cfg, &["--now", "2026-11-26T01:25:00Z"])).unwrap();
    let s = &v["2001:db8:1::/64"];
    assert_eq!(
        s["leases"]["2001:db8:1::150"]["ia-id"],
        "0a:01:00:00:00:01:00:01:32:9a:45:ca:02:00:00:00:01:0a"
    );
    assert_eq!(s["leases"]["2001:db8:1::153"]["ends"], "never");
    assert_eq!(
        s["leases"]["2001:db8:1::153"]["preferred-life"],
        4_294_967_295u64
    );
    assert_eq!(
        s["leases"]["2001:db8:1::153"]["ddns-fwd-name"],
        "v6host.example.com"
    );
    assert_eq!(s["ips"]["abandoned"], 1);
    assert_eq!(s["prefixes"]["active"], 2);
    let o = run(&[
        "check",
        "--config",
        cfg.to_str().unwrap(),
        "--now",
        "2026-11-26T01:25:00Z",
    ]);
    assert!(
        stdout(&o).contains("1 DHCPv6 lease(s) in no declared subnet6"),
        "{}",
        stdout(&o)
    );
}

/// One instance serves both: v4 subnets first, then v6; the server's
/// `/subnets` is what dump prints; `/subnets/<v6>/<len>` answers; the
/// wrong family's file under a key is a warning naming the right key.
#[test]
fn both_families_in_one_server() {
    let dir = TempDir::new("v6-both");
    let v4 = testdata("golden/spec-example");
    let v6 = testdata("golden/v6-tricky");
    let cfg = dir.write(
        "dhcpstats.yml",
        format!(
            "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: {:?}\n  leases_file: {:?}\n  subnet6_file: {:?}\n  leases6_file: {:?}\n",
            v4.join("dhcpd.conf").display().to_string(),
            v4.join("dhcpd.leases").display().to_string(),
            v6.join("dhcpd6.conf").display().to_string(),
            v6.join("dhcpd6.leases").display().to_string(),
        ),
    );
    let dumped = dump_raw(&cfg, &["--now", NOW]);
    let v: serde_json::Value = serde_json::from_slice(&dumped).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "10.0.0.0/24",
            "2001:db8:10::/64",
            "2001:db8:20::/48",
            "2001:db8:30::/64"
        ]
    );
    let srv = Server::start(&cfg, &["--now", NOW]);
    assert_eq!(srv.get("/subnets", &[]).body, dumped);
    let one = srv.get("/subnets/2001:db8:30::/64", &[]);
    assert_eq!(one.status, 200);
    assert_eq!(one.json(), v["2001:db8:30::/64"]);
    assert_eq!(
        srv.get("/subnets/2001:db8:30::%2F64?summary", &[]).json()["ips"],
        v["2001:db8:30::/64"]["ips"]
    );
    assert_eq!(srv.get("/subnets/2001:db8:99::/64", &[]).status, 404);
    let status = srv.get("/status", &[]).json();
    let roles: Vec<&str> = status["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["configuration", "configuration", "leases", "leases6"]
    );
    assert_eq!(status["data"]["subnets"], 4);

    // The files swapped between the keys: warnings that name the key.
    let swapped = dir.write(
        "swapped.yml",
        format!(
            "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: {:?}\n  leases_file: {:?}\n  subnet6_file: {:?}\n  leases6_file: {:?}\n",
            v4.join("dhcpd.conf").display().to_string(),
            v6.join("dhcpd6.leases").display().to_string(),
            v6.join("dhcpd6.conf").display().to_string(),
            v4.join("dhcpd.leases").display().to_string(),
        ),
    );
    let o = run(&["check", "--config", swapped.to_str().unwrap(), "--now", NOW]);
    let text = stdout(&o);
    assert!(
        text.contains("a DHCPv6 one belongs under leases6_file"),
        "{text}"
    );
    assert!(
        text.contains("a DHCPv4 one belongs under leases_file"),
        "{text}"
    );
    let conf_swapped = dir.write(
        "conf-swapped.yml",
        format!(
            "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: {:?}\n  leases_file: {:?}\n  subnet6_file: {:?}\n  leases6_file: {:?}\n",
            v6.join("dhcpd6.conf").display().to_string(),
            v4.join("dhcpd.leases").display().to_string(),
            v4.join("dhcpd.conf").display().to_string(),
            v6.join("dhcpd6.leases").display().to_string(),
        ),
    );
    let text = stdout(&run(&[
        "check",
        "--config",
        conf_swapped.to_str().unwrap(),
        "--now",
        NOW,
    ]));
    assert!(
        text.contains("dhcpd -4 refuses it: put it in subnet6_file"),
        "{text}"
    );
    assert!(
        text.contains("is a DHCPv4 subnet in a DHCPv6 configuration"),
        "{text}"
    );
}

/// dhcpd appends to dhcpd6.leases: the server reads only the new bytes
/// and its answer changes; a half-written IA waits.
#[test]
fn appended_ias_are_read_incrementally() {
    let dir = TempDir::new("v6-append");
    let root = testdata("golden/v6-tricky");
    let leases = dir.path("dhcpd6.leases");
    std::fs::copy(root.join("dhcpd6.leases"), &leases).unwrap();
    let cfg = v6_config(&dir, &root.join("dhcpd6.conf"), &leases, "");
    let srv = Server::start(&cfg, &["--now", NOW]);
    let before = srv.get("/subnets/2001:db8:30::/64?summary", &[]).json();
    assert_eq!(before["ips"]["active"], 2);
    let block = "ia-na \"z9\\000\\000\\000\\001\" {\n  cltt 4 2026/11/26 11:50:00;\n  iaaddr 2001:db8:30::1fe {\n    binding state active;\n    preferred-life 3600;\n    max-life 7200;\n    ends never;\n  }\n}\n";
    let (first, rest) = block.split_at(60);
    let append = |text: &str| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&leases)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };
    append(first);
    let half = srv.get("/subnets/2001:db8:30::/64?summary", &[]).json();
    assert_eq!(half["ips"]["active"], 2, "an unfinished IA is pending");
    append(rest);
    let after = srv.get("/subnets/2001:db8:30::/64?summary", &[]).json();
    assert_eq!(after["ips"]["active"], 3);
    let status = srv.get("/status", &[]).json();
    let l6 = status["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["role"] == "leases6")
        .unwrap()
        .clone();
    assert_eq!(l6["last_read"], "appended", "{l6}");
    assert_eq!(l6["incomplete_tail_bytes"], 0);
}

/// `/metrics` with both families (SPEC §4.2): NA in the v4 families,
/// temporary and prefix pools in their own, v6 shared networks apart
/// from v4 ones of the same name; promtool accepts it.
#[test]
fn metrics_of_both_families() {
    let dir = TempDir::new("v6-metrics");
    let v4 = dir.write(
        "dhcpd.conf",
        "shared-network campus { subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.10; } }\n",
    );
    let v4_leases = dir.write("dhcpd.leases", "");
    let v6 = testdata("golden/v6-tricky");
    let cfg = dir.write(
        "dhcpstats.yml",
        format!(
            "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: {:?}\n  leases_file: {:?}\n  subnet6_file: {:?}\n  leases6_file: {:?}\n",
            v4.display().to_string(),
            v4_leases.display().to_string(),
            v6.join("dhcpd6.conf").display().to_string(),
            v6.join("dhcpd6.leases").display().to_string(),
        ),
    );
    let srv = Server::start(&cfg, &["--now", NOW]);
    let text = srv.get("/metrics", &[]).text();
    crate::metrics::promtool_check(&text);
    for line in [
        "dhcpstats_subnet_addresses{subnet=\"10.0.0.0/24\",shared_network=\"campus\"} 10",
        "dhcpstats_subnet_addresses{subnet=\"2001:db8:10::/64\",shared_network=\"campus\"} 18446744073709551616",
        "dhcpstats_subnet_leases{subnet=\"2001:db8:30::/64\",state=\"active\"} 2",
        "dhcpstats_subnet_temporary_addresses{subnet=\"2001:db8:20::/48\",shared_network=\"campus\"} 18446744073709551616",
        "dhcpstats_subnet_temporary_leases{subnet=\"2001:db8:20::/48\",shared_network=\"campus\",state=\"active\"} 1",
        "dhcpstats_subnet_prefixes{subnet=\"2001:db8:30::/64\"} 65281",
        "dhcpstats_subnet_prefix_leases{subnet=\"2001:db8:30::/64\",state=\"active\"} 1",
        "dhcpstats_shared_network_addresses{shared_network=\"campus\"} 10",
        "dhcpstats_shared_network_addresses{shared_network=\"campus\",family=\"v6\"} 1208944266358702884257792",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
    }
    assert!(
        !text.contains(
            "dhcpstats_subnet_prefix_leases{subnet=\"2001:db8:30::/64\",state=\"backup\"}"
        )
    );
    assert!(text.contains("dhcpstats_leases_file_size_bytes{family=\"v6\"} "));
}

/// v6 pools alarm like v4 ones, NA, TA and PD apart (SPEC §4.3), and
/// `alarm --url` (which reads `/subnets?summary` with its 2^80 totals)
/// says exactly what the local read says.
#[test]
fn v6_pools_alarm_separately_locally_and_by_url() {
    let dir = TempDir::new("v6-alarm");
    let root = testdata("golden/v6-tricky");
    let cfg = v6_config(
        &dir,
        &root.join("dhcpd6.conf"),
        &root.join("dhcpd6.leases"),
        "  alarms:\n    warning: 1\n    critical: 50\n",
    );
    let o = run(&[
        "alarm",
        "--config",
        cfg.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    let text = stdout(&o);
    // Exact integers in the text (a Value would turn them into floats).
    assert!(
        text.contains("\"total\": 1208944266358702884257792,"),
        "{text}"
    );
    assert!(text.contains("\"total\": 18446744073709551616,"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pools: Vec<(String, String, String)> = v["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
                p["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |n: &str, k: &str, s: &str| (n.to_string(), k.to_string(), s.to_string());
    assert_eq!(
        pools,
        [
            expect("campus (v6)", "addresses", "ok"),
            expect("campus (v6) temporary", "temporary", "ok"),
            // 3 of 256 used (2 active + 1 abandoned): over 1 %.
            expect("2001:db8:30::/64", "addresses", "warning"),
            expect("2001:db8:30::/64 prefixes", "prefixes", "ok"),
        ]
    );
    let nagios = |extra: &[&str]| {
        let mut args = vec!["alarm", "--config", cfg.to_str().unwrap(), "--now", NOW];
        args.extend_from_slice(extra);
        stdout(&run(&args))
    };
    let local = nagios(&[]);
    assert!(local.contains("'2001:db8:30::/64 prefixes'=1;"), "{local}");
    assert!(!local.contains("e+"), "no scientific notation: {local}");
    let srv = Server::start(&cfg, &["--now", NOW]);
    let url = format!("http://{}/", srv.addr);
    let remote = nagios(&["--url", &url]);
    assert_eq!(remote, local);
}

/// The dashboard and search show subnet6s like subnets (issue 13 with
/// issue 15): NA rows in the subnets table, temporary and prefix pools in
/// their own, a subnet6 page, and v6 leases and reservations found by
/// address, prefix, client id (the IA's DUID) and name.
#[test]
fn dashboard_and_search_show_v6() {
    use crate::dashboard::{assert_self_contained, row_cells};
    let dir = TempDir::new("v6-dash");
    let cfg = golden(&dir);
    let srv = Server::start(&cfg, &["--now", NOW]);
    let page = srv.get("/dashboard", &[]);
    assert_self_contained(&page);
    let html = page.text();
    let cells = row_cells(&html, "/dashboard/2001:db8:30::/64");
    // used, total, active, abandoned, expired, free, released, backup,
    // reset, unused, static.
    assert_eq!(
        cells[5..],
        ["3", "256", "2", "1", "1", "0", "1", "0", "0", "251", "2"]
    );
    let cells = row_cells(&html, "/dashboard/2001:db8:10::/64");
    assert_eq!(cells[6], "18446744073709551616");
    assert!(html.contains("<h2>DHCPv6 temporary and prefix pools</h2>"));
    assert!(html.contains("<tr><td>2001:db8:30::/64 prefixes</td>"));
    assert!(html.contains("<tr><td>campus (v6) temporary</td>"));

    let sub = srv.get("/dashboard/2001:db8:30::/64", &[]);
    assert_self_contained(&sub);
    let sub = sub.text().replace('\u{202f}', "");
    for id in ["2001:db8:30::100", "2001:db8:30::105", "2001:db8:3042::/56"] {
        assert!(sub.contains(&format!("<tr id=\"{id}\">")), "{id}");
    }
    assert!(sub.contains("<td>router-7</td><td></td><td>2001:db8:30ff::/56</td>"));
    assert!(sub.contains("<td>prefixes /56</td><td>2001:db8:3000::</td><td>2001:db8:30ff::</td><td class=\"n\">65281</td>"));

    let found = |q: &str| -> Vec<String> {
        let v = srv.get(&format!("/search?q={q}"), &[]).json();
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                format!(
                    "{} {}",
                    h["type"].as_str().unwrap(),
                    h["address"].as_str().or(h["name"].as_str()).unwrap()
                )
            })
            .collect()
    };
    assert_eq!(found("c3%5C000"), ["lease 2001:db8:30::102"]);
    assert_eq!(found("2001:db8:3042"), ["lease 2001:db8:3042::/56"]);
    assert_eq!(found("ROUTER-7"), ["static router-7"]);
    assert_eq!(found("2a:3b:4c:5d"), ["static router-7"]);
    assert_eq!(
        found("2001:db8:30::10"),
        [
            "static printer",
            "lease 2001:db8:30::100",
            "lease 2001:db8:30::101",
            "lease 2001:db8:30::102",
            "lease 2001:db8:30::103",
            "lease 2001:db8:30::105"
        ]
    );
    let hit = srv.get("/search?q=a1%5C000", &[]).json();
    assert_eq!(hit["hits"][0]["subnet"], "2001:db8:30::/64");
    assert_eq!(hit["hits"][0]["state"], "active");
    assert_eq!(hit["hits"][0]["lease"]["max-life"], 86400);
    let page = srv.get("/dashboard?q=router-7", &[]);
    assert_self_contained(&page);
    assert!(
        page.text()
            .contains("<a href=\"/dashboard/2001:db8:30::/64#2001:db8:30ff::/56\">")
    );
}

/// The canonical fast path gives the general reader's result on every
/// v6 test file, fed whole or in pieces (split-invariance).
#[test]
fn fast_path_reads_what_the_general_parser_reads() {
    use dhcpstats::dhcp::Detail;
    use dhcpstats::dhcp::leases6::LeaseParser6;
    use dhcpstats::diag::Diagnostics;
    let dir = TempDir::new("v6-fast");
    let generated = dir.path("gen.leases");
    crate::common::gunzip(
        &testdata("generated/v6-default/dhcpd6.leases.gz"),
        &generated,
    );
    let mut files: Vec<std::path::PathBuf> = [
        "golden/v6-tricky/dhcpd6.leases",
        "grammar/leases/v6-lab-appended.leases",
        "grammar/leases/v6-lab-rewritten.leases",
        "grammar/leases/v6-rare-fields.leases",
        "grammar/leases/v6-rare-fields.dhcpd-rewrite.leases",
    ]
    .iter()
    .map(|f| testdata(f))
    .collect();
    files.push(generated);
    let read = |bytes: &[u8], fast: bool, detail: Detail, cut: Option<usize>| {
        let mut p = LeaseParser6::new(std::sync::Arc::from("t"), detail);
        p.set_fast_path(fast);
        let mut d = Diagnostics::with_cap(100_000);
        let used = match cut {
            Some(c) => p.feed(&bytes[..c], false, &mut d),
            None => 0,
        };
        p.feed(&bytes[used..], true, &mut d);
        let lines: Vec<String> = d.items().iter().map(|x| x.to_string()).collect();
        (p.into_db(), lines)
    };
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for detail in [Detail::Full, Detail::Summary] {
            let general = read(&bytes, false, detail, None);
            let fast = read(&bytes, true, detail, None);
            assert_eq!(fast.0, general.0, "{}: {detail:?}", f.display());
            assert_eq!(fast.1, general.1, "{}: diagnostics", f.display());
            for cut in [bytes.len() / 3, bytes.len() / 2 + 7, bytes.len() - 1] {
                let pieces = read(&bytes, true, detail, Some(cut));
                assert_eq!(pieces.0, general.0, "{} cut at {cut}", f.display());
            }
        }
    }
}

/// The generated v6 lease file (testdata/generated/v6-default), unpacked
/// into `dir`.
fn generated_leases6(dir: &TempDir) -> std::path::PathBuf {
    let path = dir.path("gen.leases");
    crate::common::gunzip(&testdata("generated/v6-default/dhcpd6.leases.gz"), &path);
    path
}

/// A large file read in parallel parts gives what one pass gives: the
/// same database, diagnostics (with their lines) and position (the parts
/// of the generated file are cut at 64 KiB here instead of 16 MiB).
#[test]
fn parts_read_in_parallel_give_one_pass() {
    use dhcpstats::dhcp::Detail;
    use dhcpstats::inputs::read_leases6_in_parts;
    let dir = TempDir::new("v6-parts");
    let generated = generated_leases6(&dir);
    // A damaged copy too: a part must not end inside a broken IA.
    let text = std::fs::read_to_string(&generated).unwrap();
    let damaged = dir.write(
        "damaged.leases",
        text.replacen("  }\n}\n", "  }\n", 40).replacen(
            "binding state active;",
            "binding state bogus;",
            25,
        ),
    );
    for file in [&generated, &damaged] {
        for detail in [Detail::Full, Detail::Summary] {
            let one = read_leases6_in_parts(file, detail, 0).unwrap();
            let parts = read_leases6_in_parts(file, detail, 64 * 1024).unwrap();
            assert!(one.db() == parts.db(), "{}: {detail:?}", file.display());
            let lines = |d: &dhcpstats::diag::Diagnostics| -> Vec<String> {
                d.items().iter().map(|x| x.to_string()).collect()
            };
            assert_eq!(lines(&one.diags), lines(&parts.diags), "{}", file.display());
            assert_eq!(
                (one.consumed, one.stamp.identity.size),
                (parts.consumed, parts.stamp.identity.size)
            );
            assert!(!one.diags.items().is_empty() || file == &generated);
        }
    }
}

/// A file read in parallel parts goes on reading what dhcpd appends: the
/// reader that took over from the parts applies the new IAs (it does not
/// keep collecting them), as after a read in one pass.
#[test]
fn a_file_read_in_parts_takes_appends() {
    use dhcpstats::dhcp::Detail;
    use dhcpstats::diag::Diagnostics;
    use dhcpstats::inputs::{feed6, read_leases6_in_parts};
    let dir = TempDir::new("v6-parts-append");
    let generated = generated_leases6(&dir);
    let text = std::fs::read_to_string(&generated).unwrap();
    // The appended IAs: the file's first ones again, renewed to
    // `released` (they change the database wherever they win).
    let appended: String = text
        .split_inclusive("}\n}\n")
        .filter(|ia| ia.contains("ia-na"))
        .take(50)
        .map(|ia| ia.replace("binding state active", "binding state released"))
        .collect();
    assert!(appended.contains("released"));
    let grown = dir.write("grown.leases", format!("{text}{appended}"));
    for detail in [Detail::Full, Detail::Summary] {
        let mut parts = read_leases6_in_parts(&generated, detail, 64 * 1024).unwrap();
        let mut diags = Diagnostics::new();
        let (consumed, _, _) =
            feed6(&mut appended.as_bytes(), &mut parts.parser, &mut diags).unwrap();
        assert_eq!(consumed as usize, appended.len());
        let one = read_leases6_in_parts(&grown, detail, 0).unwrap();
        assert!(one.db() == parts.db(), "{detail:?}");
        assert!(one.db().records() > 0);
    }
}

/// After each append the server's answer (its v6 report updated with the
/// changed keys) is what a fresh read of the grown file gives.
#[test]
fn appended_ias_update_the_report_exactly() {
    let dir = TempDir::new("v6-update");
    let root = testdata("golden/v6-tricky");
    let leases = dir.path("dhcpd6.leases");
    std::fs::copy(root.join("dhcpd6.leases"), &leases).unwrap();
    let cfg = v6_config(&dir, &root.join("dhcpd6.conf"), &leases, "");
    let srv = Server::start(&cfg, &["--now", NOW]);
    assert_eq!(
        srv.get("/subnets", &[]).body,
        dump_raw(&cfg, &["--now", NOW])
    );
    let blocks = [
        // A new address, a renewal, a release, another IA's inactive record,
        // a prefix, a temporary address, one outside every subnet6.
        ("na", "n1", "iaaddr 2001:db8:30::1f0", "active", "never"),
        (
            "na",
            "a1\\000\\000\\000\\001",
            "iaaddr 2001:db8:30::100",
            "active",
            "6 2026/11/28 00:00:00",
        ),
        (
            "na",
            "b2\\000\\000\\000\\001",
            "iaaddr 2001:db8:30::101",
            "released",
            "4 2026/11/26 13:00:00",
        ),
        (
            "na",
            "zz",
            "iaaddr 2001:db8:30::102",
            "expired",
            "3 2026/11/25 00:00:00",
        ),
        ("pd", "p1", "iaprefix 2001:db8:3001::/56", "active", "never"),
        ("ta", "t1", "iaaddr 2001:db8:20:1::99", "active", "never"),
        ("na", "o1", "iaaddr 2001:db8:99::1", "active", "never"),
        ("na", "n1", "iaaddr 2001:db8:30::1f0", "abandoned", "never"),
    ];
    for (kind, id, what, state, ends) in blocks {
        let text = format!(
            "ia-{kind} \"{id}\" {{\n  cltt 4 2026/11/26 11:55:00;\n  {what} {{\n    binding state {state};\n    preferred-life 300;\n    max-life 600;\n    ends {ends};\n  }}\n}}\n"
        );
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&leases)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let served = srv.get("/subnets", &[]).body;
        assert_eq!(
            String::from_utf8_lossy(&served),
            String::from_utf8_lossy(&dump_raw(&cfg, &["--now", NOW])),
            "after {what} {state}"
        );
    }
    let status = srv.get("/status", &[]).json();
    let l6 = status["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["role"] == "leases6")
        .unwrap()
        .clone();
    assert_eq!(l6["last_read"], "appended");
}
