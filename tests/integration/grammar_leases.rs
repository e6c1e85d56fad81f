//! The IPv4 lease files of GRAMMAR §3-5: authentic dhcpd output (append
//! log, rewrite, db-time-format local with hex ids), the hand-written rare
//! fields and what dhcpd itself wrote back after reading them, and our
//! own file with the remaining tricky cases (L1-L26).

use serde_json::{Value, json};

use crate::common::{TempDir, dump_json, testdata, write_config};

/// `dump` of a grammar lease file with its configuration, at `now`.
fn dump(conf: &str, leases: &str, now: &str) -> Value {
    let dir = TempDir::new("gl");
    let cfg = write_config(&dir, &testdata(conf), &testdata(leases), "");
    dump_json(&cfg, &["--now", now])
}

/// An independent reading of a well-formed file, line by line (the way
/// `summary.txt` of the corpus was made): the last `binding state` of
/// every address.
fn last_states_by_lines(path: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(testdata(path)).unwrap();
    let mut current: Option<String> = None;
    let mut states: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("lease ") {
            current = rest.split_whitespace().next().map(str::to_string);
        } else if let (Some(ip), Some(st)) = (&current, line.trim().strip_prefix("binding state "))
        {
            let st = st.trim_end_matches(';').to_string();
            states.retain(|(a, _)| a != ip);
            states.push((ip.clone(), st));
        } else if line == "}" {
            current = None;
        }
    }
    states.sort_by_key(|(ip, _)| ip.parse::<std::net::Ipv4Addr>().unwrap());
    states
}

fn lease_states(v: &Value, subnet: &str) -> Vec<(String, String)> {
    v[subnet]["leases"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(ip, l)| {
            (
                ip.clone(),
                l["binding-state"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[test]
fn lab_append_log_last_block_wins() {
    let v = dump(
        "grammar/leases/lab-v4.conf",
        "grammar/leases/v4-lab-appended.leases",
        "2026-11-26T01:20:00Z",
    );
    assert_eq!(
        lease_states(&v, "192.0.2.0/24"),
        last_states_by_lines("grammar/leases/v4-lab-appended.leases")
    );
    // L1: 192.0.2.102 was written active, active, free: the last wins.
    assert_eq!(
        v["192.0.2.0/24"]["leases"]["192.0.2.102"],
        json!({
            "starts": "4 2026/11/26 01:18:12",
            "ends": "4 2026/11/26 01:18:13",
            "tstp": "4 2026/11/26 01:18:13",
            "cltt": "4 2026/11/26 01:18:12",
            "binding-state": "free",
            "hardware-ethernet": "02:00:00:00:00:0c"
        })
    );
    // L2-L5: a uid with `;{}` and escaped quotes, set values with the
    // same, an `on` block, all in the writer's field order.
    assert_eq!(
        v["192.0.2.0/24"]["leases"]["192.0.2.100"],
        json!({
            "starts": "4 2026/11/26 01:18:11",
            "ends": "4 2026/11/26 01:28:11",
            "cltt": "4 2026/11/26 01:18:11",
            "binding-state": "active",
            "next-binding-state": "free",
            "rewind-binding-state": "free",
            "hardware-ethernet": "02:00:00:00:00:0a",
            "uid": "\\001\\002id;with{odd}\\\"chars\\\"",
            "lt": "%600",
            "note": "semi;colon {brace} \\\"quoted\\\" # not a comment",
            "last-ip": "192.0.2.100",
            "vendor-class-identifier": "MSFT 5.0",
            "client-hostname": "lab-client-a"
        })
    );
    assert_eq!(
        v["192.0.2.0/24"]["leases"]["192.0.2.101"]["client-hostname"],
        "lab client b"
    );
}

#[test]
fn lab_counts_depend_on_time() {
    let conf = "grammar/leases/lab-v4.conf";
    let leases = "grammar/leases/v4-lab-appended.leases";
    // Before any lease ends: every active lease is active.
    let early = dump(conf, leases, "2026-11-26T01:19:00Z");
    let states = last_states_by_lines(leases);
    let n = |s: &str| states.iter().filter(|(_, st)| st == s).count() as u64;
    let ips = &early["192.0.2.0/24"]["ips"];
    assert_eq!(ips["active"], n("active"));
    assert_eq!(ips["free"], n("free"));
    assert_eq!(ips["abandoned"], n("abandoned"));
    assert_eq!(ips["total"], 100);
    assert_eq!(ips["unused"], 100 - states.len() as u64);
    // After every `ends` of an active lease: they count as expired.
    let late = dump(conf, leases, "2026-11-26T02:00:00Z");
    let ips = &late["192.0.2.0/24"]["ips"];
    assert_eq!(ips["active"], 0);
    assert_eq!(ips["expired"], n("active"));
    assert_eq!(ips["free"], n("free"));
}

#[test]
fn lab_rewrite_reads_like_the_log_it_compacted() {
    let conf = "grammar/leases/lab-v4.conf";
    let now = "2026-11-26T01:20:00Z";
    let appended = dump(conf, "grammar/leases/v4-lab-appended.leases", now);
    let rewritten = dump(conf, "grammar/leases/v4-lab-rewritten.leases", now);
    assert_eq!(
        lease_states(&rewritten, "192.0.2.0/24"),
        last_states_by_lines("grammar/leases/v4-lab-rewritten.leases")
    );
    assert_eq!(
        appended["192.0.2.0/24"]["ips"],
        rewritten["192.0.2.0/24"]["ips"]
    );
}

#[test]
fn local_time_epochs_and_hex_ids() {
    let v = dump(
        "grammar/leases/lab-v4-local.conf",
        "grammar/leases/v4-lab-local-hex-appended.leases",
        "2026-11-26T01:20:00Z",
    );
    let l = &v["192.0.2.0/24"]["leases"]["192.0.2.101"];
    // L7: `epoch 1795655947; # Thu Nov 26 02:19:07 2026` (local time in
    // the comment) is 01:19:07 UTC. L8: a hex uid as written.
    assert_eq!(l["starts"], "4 2026/11/26 01:19:07");
    assert_eq!(l["ends"], "4 2026/11/26 01:29:07");
    assert_eq!(l["uid"], "01:02:00:00:00:00:0b");
    assert_eq!(
        lease_states(&v, "192.0.2.0/24"),
        last_states_by_lines("grammar/leases/v4-lab-local-hex-appended.leases")
    );
}

#[test]
fn rare_fields_as_reported() {
    let v = dump(
        "grammar/leases/rare-v4.conf",
        "grammar/leases/v4-rare-fields.leases",
        "2026-11-26T00:00:00Z",
    );
    let leases = &v["10.12.0.0/24"]["leases"];
    // L14, L15, set, every time field and state in order.
    assert_eq!(
        leases["10.12.0.10"],
        json!({
            "starts": "3 2026/11/25 10:00:00",
            "ends": "5 2027/01/01 00:00:00",
            "tstp": "5 2027/01/01 00:00:00",
            "tsfp": "5 2027/01/01 00:00:00",
            "atsfp": "5 2027/01/01 00:00:00",
            "cltt": "3 2026/11/25 10:00:00",
            "binding-state": "active",
            "next-binding-state": "expired",
            "rewind-binding-state": "free",
            "hardware-ethernet": "00:11:22:33:44:55",
            "uid": "01:00:11:22:33:44:55",
            "billing-class": "per-circuit",
            "billing-subclass": "eth0/1:100",
            "agent.circuit-id": "eth0/1:100",
            "agent.remote-id": "0:1:2:3:4:5",
            "vendor-class-identifier": "PXEClient:Arch:00007:UNDI:003016",
            "client-hostname": "pxe-box"
        })
    );
    // L9, L13: never, reserved flag.
    assert_eq!(leases["10.12.0.11"]["ends"], "never");
    assert_eq!(leases["10.12.0.11"]["reserved"], true);
    // L10: timezone offsets are added; L16: token-ring.
    assert_eq!(leases["10.12.0.18"]["starts"], "3 2026/11/25 09:00:00");
    assert_eq!(leases["10.12.0.18"]["ends"], "5 2027/01/01 01:00:00");
    assert_eq!(
        leases["10.12.0.18"]["hardware-token-ring"],
        "00:11:22:33:44:5a"
    );
    // L11: a year from 2038 on is read as never, as dhcpd does.
    assert_eq!(leases["10.12.0.19"]["ends"], "never");
    // L12: legacy `abandoned;`.
    assert_eq!(leases["10.12.0.16"]["binding-state"], "abandoned");
    // L20: no binding state: active while ends is in the future.
    assert!(leases["10.12.0.17"].get("binding-state").is_none());
    assert_eq!(
        v["10.12.0.0/24"]["ips"],
        json!({
            "total": 241, "active": 5, "free": 0, "backup": 1, "expired": 1,
            "released": 1, "abandoned": 1, "reset": 1, "unused": 231, "static": 0
        })
    );
    // L13 dynamic-bootp; L7 epoch; L18: omapi-gone is deleted, omapi-made kept.
    let other = &v["10.50.0.0/24"];
    assert_eq!(other["leases"]["10.50.0.10"]["dynamic-bootp"], true);
    assert_eq!(
        other["leases"]["10.50.0.11"]["ends"],
        "0 2030/03/17 17:46:40"
    );
    assert_eq!(
        other["statics"],
        json!({
            "omapi-made": {"mac_address": "00:11:22:33:44:70", "ip_address": "10.50.0.100"}
        })
    );
    // L26: 172.31.0.5 is in no subnet: in no subnet's leases.
    assert!(!v.to_string().contains("172.31.0.5"));
}

#[test]
fn rare_fields_read_as_dhcpd_reads_them() {
    // dhcpd read v4-rare-fields.leases and wrote back its understanding;
    // our reading of the original must agree with our reading of that.
    let conf = "grammar/leases/rare-v4.conf";
    let now = "2026-11-26T00:00:00Z";
    let ours = dump(conf, "grammar/leases/v4-rare-fields.leases", now);
    let dhcpd = dump(
        conf,
        "grammar/leases/v4-rare-fields.dhcpd-rewrite.leases",
        now,
    );
    for subnet in ["10.12.0.0/24", "10.50.0.0/24"] {
        assert_eq!(ours[subnet]["ips"], dhcpd[subnet]["ips"], "{subnet}");
        assert_eq!(
            ours[subnet]["statics"], dhcpd[subnet]["statics"],
            "{subnet}"
        );
        let a = ours[subnet]["leases"].as_object().unwrap();
        let b = dhcpd[subnet]["leases"].as_object().unwrap();
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (ip, l) in a {
            for field in ["starts", "ends", "hardware-ethernet", "client-hostname"] {
                assert_eq!(l.get(field), b[ip].get(field), "{ip} {field}");
            }
        }
    }
}

#[test]
fn crlf_lease_file() {
    let v = dump(
        "grammar/leases/lab-v4.conf",
        "grammar/malformed/leases-crlf.leases",
        "2026-11-26T01:20:00Z",
    );
    let l = &v["192.0.2.0/24"]["leases"];
    assert_eq!(l.as_object().unwrap().len(), 2);
    assert_eq!(l["192.0.2.101"]["client-hostname"], "lab client b");
    assert_eq!(
        l["192.0.2.100"]["note"],
        "semi;colon {brace} \\\"quoted\\\" # not a comment"
    );
}

#[test]
fn our_tricky_cases() {
    let v = dump(
        "leases/tricky-v4.conf",
        "leases/tricky-v4.leases",
        "2026-11-26T00:00:00Z",
    );
    let l = &v["192.0.2.0/24"]["leases"];
    // L6: the writer's exact octal escapes, a literal digit after one.
    assert_eq!(l["192.0.2.20"]["uid"], "\\0140");
    assert_eq!(l["192.0.2.21"]["uid"], "\\000\\0012\\232E");
    // L16: one-digit and uppercase octets are normalised.
    assert_eq!(l["192.0.2.21"]["hardware-ethernet"], "00:01:02:0a:0b:0c");
    // L21: server-duid between leases does not disturb them.
    assert_eq!(l["192.0.2.22"]["binding-state"], "active");
    // L24: a binary ddns-dhcid keeps its escapes.
    assert_eq!(
        l["192.0.2.22"]["ddns-dhcid"],
        "\\000\\002\\001\\030\\245)\\233a"
    );
    // Comments between tokens of one date, a statement over two lines.
    assert_eq!(l["192.0.2.23"]["ends"], "4 2026/11/26 10:00:00");
    // A `set` named like a field never replaces the field.
    assert_eq!(l["192.0.2.23"]["client-hostname"], "real-name");
    // The same variable set twice: first position, last value.
    assert_eq!(l["192.0.2.23"]["note"], "second");
    // Old-style `ddns-fwd-name "…";` without set.
    assert_eq!(l["192.0.2.24"]["ddns-fwd-name"], "old.example.com.");
    // A bootp state counts as active; 192.0.2.99 is outside the range.
    assert_eq!(v["192.0.2.0/24"]["ips"]["active"], 4);
    assert_eq!(l["192.0.2.99"]["binding-state"], "active");
}

/// OMAPI clients (Foreman, omshell) write a host's name in three ways;
/// each one reaches the host's `host_name` in `statics`.
#[test]
fn omapi_hosts_keep_their_host_names() {
    let dir = TempDir::new("gl");
    let conf = dir.write(
        "dhcpd.conf",
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.100 10.0.0.200; }\n",
    );
    let leases = dir.write(
        "dhcpd.leases",
        "host a {\n  dynamic;\n  hardware ethernet 00:00:00:00:00:0a;\n  fixed-address 10.0.0.10;\n  supersede host-name = \"alpha\";\n}\n\
         host b {\n  dynamic;\n  hardware ethernet 00:00:00:00:00:0b;\n  fixed-address 10.0.0.11;\n  option host-name = \"bravo\";\n}\n\
         host c {\n  dynamic;\n  hardware ethernet 00:00:00:00:00:0c;\n  fixed-address 10.0.0.12;\n  option host-name \"charlie\";\n}\n",
    );
    let cfg = write_config(&dir, &conf, &leases, "");
    let v = dump_json(&cfg, &["--now", "2026-11-26T00:00:00Z"]);
    let statics = &v["10.0.0.0/24"]["statics"];
    assert_eq!(statics["a"]["host_name"], json!("alpha"), "{statics}");
    assert_eq!(statics["b"]["host_name"], json!("bravo"), "{statics}");
    assert_eq!(statics["c"]["host_name"], json!("charlie"), "{statics}");
}

/// `agent.*` sub-option names keep the spelling they were written with,
/// on the fast path (a block exactly as dhcpd writes it) and on the
/// general one (the same block with its fields reordered on one line).
#[test]
fn agent_option_names_are_reported_as_written() {
    let dir = TempDir::new("gl");
    let conf = dir.write(
        "dhcpd.conf",
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.100 10.0.0.200; }\n",
    );
    let leases = dir.write(
        "dhcpd.leases",
        "lease 10.0.0.100 {\n  starts 3 2026/11/25 10:00:00;\n  ends 5 2027/01/01 00:00:00;\n  binding state active;\n  option agent.DOCSIS-device-class 0:0:0:5;\n}\n\
         lease 10.0.0.101 { binding state active; option AGENT.Circuit-ID \"eth0\"; ends 5 2027/01/01 00:00:00; }\n",
    );
    let cfg = write_config(&dir, &conf, &leases, "");
    let v = dump_json(&cfg, &["--now", "2026-11-26T00:00:00Z"]);
    let l = &v["10.0.0.0/24"]["leases"];
    assert_eq!(
        l["10.0.0.100"]["agent.DOCSIS-device-class"],
        json!("0:0:0:5"),
        "{l}"
    );
    assert_eq!(l["10.0.0.101"]["agent.Circuit-ID"], json!("eth0"), "{l}");
}
