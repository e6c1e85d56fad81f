//! Golden files: the example of SPEC §3 rebuilt as dhcpd input, and its
//! exact expected output (testdata/golden/spec-example).

use crate::common::{TempDir, dump_raw, testdata, write_config};

const NOW: &str = "2020-09-20T00:00:00Z";

fn config(dir: &TempDir) -> std::path::PathBuf {
    let root = testdata("golden/spec-example");
    write_config(
        dir,
        &root.join("dhcpd.conf"),
        &root.join("dhcpd.leases"),
        "",
    )
}

fn expected() -> Vec<u8> {
    std::fs::read(testdata("golden/spec-example/expected.json")).unwrap()
}

#[test]
fn spec_example_byte_for_byte() {
    let dir = TempDir::new("golden");
    assert_eq!(
        String::from_utf8(dump_raw(&config(&dir), &["--now", NOW])).unwrap(),
        String::from_utf8(expected()).unwrap()
    );
}

#[test]
fn spec_example_pretty_is_the_same_json_indented_by_four() {
    let dir = TempDir::new("golden");
    let pretty = dump_raw(&config(&dir), &["--now", NOW, "--pretty"]);
    let a: serde_json::Value = serde_json::from_slice(&pretty).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&expected()).unwrap();
    assert_eq!(a, b);
    let text = String::from_utf8(pretty).unwrap();
    assert!(
        text.starts_with("{\n    \"10.0.0.0/24\": {\n        \"ranges\": ["),
        "{text}"
    );
    assert!(text.ends_with("}\n"));
}

#[test]
fn spec_example_one_subnet_and_summary() {
    let dir = TempDir::new("golden");
    let cfg = config(&dir);
    let one = dump_raw(&cfg, &["--now", NOW, "--subnet", "10.0.0.0/24"]);
    let all: serde_json::Value = serde_json::from_slice(&expected()).unwrap();
    let one: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(one, all["10.0.0.0/24"]);
    let summary = String::from_utf8(dump_raw(&cfg, &["--now", NOW, "--summary"])).unwrap();
    assert_eq!(
        summary,
        "{\"10.0.0.0/24\":{\"ranges\":[[\"10.0.0.100\",\"10.0.0.149\"]],\"ips\":{\"total\":50,\"active\":2,\"free\":2,\"backup\":0,\"expired\":0,\"released\":0,\"abandoned\":0,\"reset\":0,\"unused\":46,\"static\":2},\"shared_network\":\"building-7\",\"routers\":[\"10.0.0.1\"],\"dns_servers\":[\"10.0.0.2\",\"10.0.0.3\"],\"ntp_servers\":[\"10.0.0.2\",\"10.0.0.3\"],\"domain_name\":\"subnet.domain.tld\",\"ddns_domain_name\":\"subnet.domain.tld\"}}\n"
    );
}

#[test]
fn spec_example_later_the_active_leases_have_expired() {
    let dir = TempDir::new("golden");
    let v: serde_json::Value = serde_json::from_slice(&dump_raw(
        &config(&dir),
        &["--now", "2020-09-24T00:00:00Z", "--summary"],
    ))
    .unwrap();
    let ips = &v["10.0.0.0/24"]["ips"];
    assert_eq!(
        (
            ips["active"].as_u64(),
            ips["expired"].as_u64(),
            ips["free"].as_u64()
        ),
        (Some(0), Some(2), Some(2))
    );
}
