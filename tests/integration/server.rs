//! The HTTP server (SPEC §4), started as the real binary on 127.0.0.1
//! port 0 and spoken to over raw TCP (and curl where it is installed).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TempDir, bin, testdata, write_config};

/// A running `dhcpstats serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(config: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(bin())
            .arg("serve")
            .arg("--config")
            .arg(config)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dhcpstats serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log2 = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut first = true;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if first {
                    let _ = tx.send(line.clone());
                    first = false;
                }
                log2.lock().unwrap().push(line);
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("server printed its address");
        let addr = first
            .split("listening on http://")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("first line names the address: {first}"))
            .to_string();
        Server { child, addr, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits up to 5 s for a log line containing `needle` (stderr is read
    /// by a thread, so a line can arrive after the answer).
    pub fn wait_log(&self, needle: &str) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if self.log().iter().any(|l| l.contains(needle)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    /// One request on a fresh connection.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut s = self.connect();
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        read_reply(&mut s, false).expect("a reply")
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args(["-s", sig, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    pub fn wait(mut self, within: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn rss_kib(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        s.lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response (head, then `Content-Length` bytes unless `head_only`).
pub fn read_reply(s: &mut TcpStream, head_only: bool) -> Option<Reply> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(0) | Err(_) => return None,
            Ok(_) => buf.push(byte[0]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    // Every answer but a 304 has a Content-Length; a 304 has none.
    assert_eq!(
        length.is_none(),
        status == 304,
        "Content-Length of a {status}"
    );
    let len = length.unwrap_or(0);
    let mut body = vec![0u8; if head_only || status == 304 { 0 } else { len }];
    s.read_exact(&mut body).ok()?;
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// A server on a copy of the small corpus (files may be changed by tests).
pub struct Site {
    pub dir: TempDir,
    pub config: PathBuf,
}

pub fn small_site(extra: &str) -> Site {
    let dir = TempDir::new("srv");
    let root = testdata("corpus/small");
    let conf = dir.path("dhcpd.conf");
    std::fs::copy(root.join("dhcpd.conf"), &conf).unwrap();
    let leases = dir.path("dhcpd.leases");
    std::fs::copy(root.join("dhcpd.leases"), &leases).unwrap();
    let config = write_config(&dir, &conf, &leases, extra);
    Site { dir, config }
}

const NOW: &str = "2026-11-26T01:40:00Z";
const KEY: &str = "t0p-s3cret";

#[test]
fn routes_and_status_codes() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let r = srv.get("/", &[]);
    assert_eq!(
        (r.status, r.json()),
        (200, serde_json::json!({"message": "dhcpstats API"}))
    );
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("Cache-Control"), Some("no-cache"));

    let all = srv.get("/subnets", &[]);
    assert_eq!(all.status, 200);
    let dump = crate::common::dump_raw(&site.config, &["--now", NOW]);
    assert_eq!(all.body, dump, "/subnets is exactly what dump prints");

    let summary = srv.get("/subnets?summary", &[]).json();
    assert!(summary["10.99.0.0/24"].get("leases").is_none());
    assert_eq!(
        summary["10.99.0.0/24"]["ips"],
        all.json()["10.99.0.0/24"]["ips"]
    );

    let one = srv.get("/subnets/10.40.0.0/24", &[]);
    assert_eq!(one.status, 200);
    assert_eq!(one.json(), all.json()["10.40.0.0/24"]);
    assert_eq!(srv.get("/subnets/10.40.0.0%2F24", &[]).json(), one.json());
    assert_eq!(
        srv.get("/subnets/10.40.0.0%2f24?summary", &[]).json()["ips"],
        one.json()["ips"]
    );
    let pretty = srv.get("/subnets/10.40.0.0/24?pretty", &[]);
    assert!(
        pretty.text().starts_with("{\n    \"ranges\""),
        "{}",
        pretty.text()
    );

    let missing = srv.get("/subnets/10.1.2.0/24", &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json()["message"],
        "no subnet 10.1.2.0/24 is declared"
    );
    assert_eq!(srv.get("/subnets/banana", &[]).status, 404);
    let unknown = srv.get("/nowhere", &[]);
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["message"].is_string());

    let status = srv.get("/status", &[]).json();
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["stale"], false);
    assert_eq!(status["data"]["leases"], 50);
    assert_eq!(status["files"].as_array().unwrap().len(), 2);
    assert_eq!(status["files"][1]["role"], "leases");
    assert_eq!(status["files"][1]["size"], 152_052);
    assert!(status["files"][1]["inode"].as_u64().unwrap() > 0);

    let metrics = srv.get("/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert_eq!(
        metrics.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(metrics.text().contains(
        "dhcpstats_subnet_addresses{subnet=\"10.40.0.0/24\",shared_network=\"lab\"} 5\n"
    ));
}

#[test]
fn other_methods_and_malformed_requests() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    for (raw, status) in [
        (
            &b"POST /subnets HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"[..],
            405,
        ),
        (b"DELETE / HTTP/1.1\r\n\r\n", 405),
        (
            b"GET / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789",
            413,
        ),
        (
            b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
            400,
        ),
        (
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400),
    ] {
        let mut s = srv.connect();
        s.write_all(raw).unwrap();
        let r = read_reply(&mut s, false)
            .unwrap_or_else(|| panic!("a reply to {}", String::from_utf8_lossy(raw)));
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(raw));
        assert!(r.json()["message"].is_string());
        if status == 405 {
            assert_eq!(r.header("Allow"), Some("GET, HEAD"));
        }
    }
    // 64+ headers: 431.
    let mut req = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..100 {
        req.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    let mut s = srv.connect();
    s.write_all(&req).unwrap();
    assert_eq!(read_reply(&mut s, false).unwrap().status, 431);
}

#[test]
fn authentication_on_every_route() {
    let site = small_site(&format!("  auth_string: {KEY}\n"));
    let srv = Server::start(&site.config, &["--now", NOW]);
    for path in [
        "/",
        "/subnets",
        "/subnets?summary",
        "/subnets/10.40.0.0/24",
        "/status",
        "/metrics",
        "/nowhere",
    ] {
        for headers in [
            vec![],
            vec![("X-Api-Key", "wrong")],
            vec![("X-Api-Key", "t0p-s3creT")],
            vec![("X-Api-Key", "")],
        ] {
            let r = srv.get(path, &headers);
            assert_eq!(r.status, 401, "{path} {headers:?}");
            assert_eq!(
                r.json(),
                serde_json::json!({"message": "X-Api-Key authentication failed."})
            );
        }
        let r = srv.get(path, &[("X-Api-Key", KEY)]);
        assert_eq!(
            r.status,
            if path == "/nowhere" { 404 } else { 200 },
            "{path}"
        );
    }
    // Bearer tokens are for /metrics (Prometheus) only.
    assert_eq!(
        srv.get("/metrics", &[("Authorization", &format!("Bearer {KEY}"))])
            .status,
        200
    );
    assert_eq!(
        srv.get("/subnets", &[("Authorization", &format!("Bearer {KEY}"))])
            .status,
        401
    );
    assert_eq!(
        srv.get("/metrics", &[("Authorization", "Bearer nope")])
            .status,
        401
    );
    // The key never appears in the log.
    assert!(srv.log().iter().all(|l| !l.contains(KEY)));
}

#[test]
fn auth_string_file_is_read() {
    let dir = TempDir::new("srv-keyfile");
    let key = dir.write("key", format!("{KEY}\n"));
    let site = small_site(&format!(
        "  auth_string_file: {:?}\n",
        key.display().to_string()
    ));
    let srv = Server::start(&site.config, &["--now", NOW]);
    assert_eq!(srv.get("/", &[]).status, 401);
    assert_eq!(srv.get("/", &[("X-Api-Key", KEY)]).status, 200);
}

#[test]
fn keep_alive_pipelining_head_and_etags() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let mut s = srv.connect();
    // Several requests, one at a time, on one connection.
    for _ in 0..3 {
        s.write_all(b"GET /subnets?summary HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let r = read_reply(&mut s, false).unwrap();
        assert_eq!(r.status, 200);
        assert!(r.header("Connection").is_none());
    }
    // Pipelined: three requests in one write, answered in order.
    s.write_all(b"GET / HTTP/1.1\r\n\r\nHEAD /subnets HTTP/1.1\r\n\r\nGET /subnets/10.41.0.0/24?summary HTTP/1.1\r\n\r\n")
        .unwrap();
    let a = read_reply(&mut s, false).unwrap();
    assert_eq!(a.json()["message"], "dhcpstats API");
    let b = read_reply(&mut s, true).unwrap();
    assert_eq!(b.status, 200);
    let full_len: usize = b.header("Content-Length").unwrap().parse().unwrap();
    assert!(full_len > 10_000, "HEAD keeps the GET length");
    let c = read_reply(&mut s, false).unwrap();
    assert!(
        c.json().get("ips").is_some(),
        "the HEAD sent no body: the next reply parses"
    );
    // ETag: a matching If-None-Match gives 304 without a body.
    let etag = c.header("ETag").unwrap().to_string();
    s.write_all(
        format!("GET /subnets/10.41.0.0/24?summary HTTP/1.1\r\nIf-None-Match: {etag}\r\n\r\n")
            .as_bytes(),
    )
    .unwrap();
    let nm = read_reply(&mut s, false).unwrap();
    assert_eq!((nm.status, nm.body.len()), (304, 0));
    assert_eq!(nm.header("ETag"), Some(etag.as_str()));
    s.write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let last = read_reply(&mut s, false).unwrap();
    assert_eq!(last.header("Connection"), Some("close"));
    let mut rest = Vec::new();
    assert_eq!(
        s.read_to_end(&mut rest).unwrap(),
        0,
        "closed after Connection: close"
    );
}

#[test]
fn http_1_0_closes_unless_asked() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let mut s = srv.connect();
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let r = read_reply(&mut s, false).unwrap();
    assert_eq!(r.header("Connection"), Some("close"));
    let mut s = srv.connect();
    s.write_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    assert_eq!(
        read_reply(&mut s, false).unwrap().header("Connection"),
        Some("keep-alive")
    );
    s.write_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    assert_eq!(read_reply(&mut s, false).unwrap().status, 200);
}

#[test]
fn appended_and_replaced_lease_files_are_seen() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let leases = site.dir.path("dhcpd.leases");
    let before = srv.get("/subnets/10.70.0.0/24", &[]).json();
    assert!(before["leases"].get("10.70.0.99").is_none());
    // dhcpd appends a block (same inode, larger file).
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&leases)
        .unwrap();
    f.write_all(b"lease 10.70.0.99 {\n  starts 4 2026/11/26 01:35:00;\n  ends never;\n  binding state active;\n}\n")
        .unwrap();
    drop(f);
    let after = srv.get("/subnets/10.70.0.0/24", &[]).json();
    assert_eq!(after["leases"]["10.70.0.99"]["binding-state"], "active");
    let status = srv.get("/status", &[]).json();
    assert_eq!(status["files"][1]["last_read"], "appended");
    // A half-written block is pending until it is completed.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&leases)
        .unwrap();
    f.write_all(b"lease 10.70.0.98 {\n  starts 4 2026/11/26 01:35:00;\n  binding st")
        .unwrap();
    let mid = srv.get("/subnets/10.70.0.0/24", &[]).json();
    assert!(mid["leases"].get("10.70.0.98").is_none());
    f.write_all(b"ate free;\n}\n").unwrap();
    drop(f);
    let done = srv.get("/subnets/10.70.0.0/24", &[]).json();
    assert_eq!(done["leases"]["10.70.0.98"]["binding-state"], "free");
    // dhcpd replaces the file by renaming a new one over it.
    let new = site.dir.path("dhcpd.leases.new");
    std::fs::write(
        &new,
        "lease 10.70.0.20 {\n  ends never;\n  binding state active;\n}\n",
    )
    .unwrap();
    std::fs::rename(&new, &leases).unwrap();
    let replaced = srv.get("/subnets/10.70.0.0/24", &[]).json();
    let keys: Vec<&String> = replaced["leases"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["10.70.0.20"]);
    assert_eq!(
        srv.get("/status", &[]).json()["files"][1]["last_read"],
        "full"
    );
}

#[test]
fn configuration_changes_are_seen() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    assert_eq!(srv.get("/subnets/10.1.0.0/24", &[]).status, 404);
    let conf = site.dir.path("dhcpd.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str("\nsubnet 10.1.0.0 netmask 255.255.255.0 { range 10.1.0.1 10.1.0.9; }\n");
    std::fs::write(&conf, text).unwrap();
    let r = srv.get("/subnets/10.1.0.0/24?summary", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["ips"]["total"], 9);
}

#[test]
fn unreadable_file_keeps_the_last_good_data() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let good = srv.get("/subnets", &[]).body;
    let leases = site.dir.path("dhcpd.leases");
    std::fs::remove_file(&leases).unwrap();
    let r = srv.get("/subnets", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, good);
    let status = srv.get("/status", &[]).json();
    assert_eq!(status["stale"], true);
    assert!(
        status["last_error"]
            .as_str()
            .unwrap()
            .contains("dhcpd.leases"),
        "{status}"
    );
    assert!(
        srv.get("/metrics", &[])
            .text()
            .contains("dhcpstats_last_parse_success 0\n")
    );
    // A directory in its place is no better.
    std::fs::create_dir(&leases).unwrap();
    assert_eq!(srv.get("/subnets", &[]).body, good);
    std::fs::remove_dir(&leases).unwrap();
    // Back again: fresh data, not stale.
    std::fs::write(
        &leases,
        "lease 10.70.0.20 {\n  ends never;\n  binding state active;\n}\n",
    )
    .unwrap();
    let back = srv.get("/subnets/10.70.0.0/24", &[]).json();
    assert_eq!(back["leases"].as_object().unwrap().len(), 1);
    assert_eq!(srv.get("/status", &[]).json()["stale"], false);
    assert!(srv.wait_log("still serving the last good data"));
}

#[test]
fn no_data_yet_is_503_with_the_reason() {
    let dir = TempDir::new("srv-nodata");
    let conf = dir.write("dhcpd.conf", "subnet 10.0.0.0 netmask 255.255.255.0 { }\n");
    let cfg = write_config(&dir, &conf, &dir.path("absent.leases"), "");
    let srv = Server::start(&cfg, &[]);
    let r = srv.get("/subnets", &[]);
    assert_eq!(r.status, 503);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("absent.leases"),
        "{}",
        r.text()
    );
    assert_eq!(srv.get("/", &[]).status, 200);
    assert_eq!(srv.get("/status", &[]).status, 200);
    dir.write("absent.leases", "");
    assert_eq!(srv.get("/subnets", &[]).status, 200);
}

#[test]
fn idle_connections_do_not_block_a_real_request() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let _ = srv.get("/", &[]);
    let mut idle: Vec<TcpStream> = (0..20).map(|_| srv.connect()).collect();
    // Half of them send an unfinished head, byte by byte.
    for (i, s) in idle.iter_mut().enumerate() {
        if i % 2 == 0 {
            s.write_all(b"GET /subnets HT").unwrap();
        }
    }
    let start = Instant::now();
    for _ in 0..5 {
        assert_eq!(srv.get("/subnets?summary", &[]).status, 200);
    }
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_huge_header_is_refused_without_growing() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let _ = srv.get("/subnets", &[]);
    let before = srv.rss_kib();
    for _ in 0..5 {
        let mut s = srv.connect();
        let mut req = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        req.extend(std::iter::repeat_n(b'a', 1 << 20));
        req.extend_from_slice(b"\r\n\r\n");
        // The server answers and closes early; the rest of our write may fail.
        let _ = s.write_all(&req);
        let r = read_reply(&mut s, false).expect("a 431 before closing");
        assert_eq!(r.status, 431);
    }
    let after = srv.rss_kib();
    assert!(
        after < before + 4096,
        "RSS grew from {before} KiB to {after} KiB"
    );
    assert_eq!(srv.get("/", &[]).status, 200);
}

#[test]
fn sighup_with_a_broken_configuration_keeps_serving() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let good = srv.get("/subnets?summary", &[]).body;
    let original = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(&site.config, "dhcpstats:\n  listen: [broken\n").unwrap();
    srv.signal("HUP");
    let wait_for = |needle: &str| {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if srv.log().iter().any(|l| l.contains(needle)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no log line with {needle:?}: {:?}", srv.log());
    };
    wait_for("reload failed, keeping the running configuration");
    assert_eq!(srv.get("/subnets?summary", &[]).body, good);
    // A good configuration with a key takes effect.
    std::fs::write(&site.config, format!("{original}  auth_string: {KEY}\n")).unwrap();
    srv.signal("HUP");
    wait_for("reloaded");
    assert_eq!(srv.get("/", &[]).status, 401);
    assert_eq!(srv.get("/", &[("X-Api-Key", KEY)]).status, 200);
}

#[test]
fn sigterm_exits_zero() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let mut idle = srv.connect();
    assert_eq!(srv.get("/", &[]).status, 200);
    srv.signal("TERM");
    assert_eq!(srv.wait(Duration::from_secs(5)), Some(0));
    let mut buf = [0u8; 1];
    assert_eq!(
        idle.read(&mut buf).unwrap_or(0),
        0,
        "idle connections are closed"
    );
}

#[test]
fn debug_mode_logs_requests_and_indents() {
    let site = small_site("  debug: true\n");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let r = srv.get(
        "/subnets/10.40.0.0/24",
        &[("X-Api-Key", "not-configured-so-ignored")],
    );
    assert!(r.text().starts_with("{\n    "));
    let start = Instant::now();
    while !srv
        .log()
        .iter()
        .any(|l| l.contains("\"GET /subnets/10.40.0.0/24 HTTP/1.1\" 200"))
    {
        assert!(start.elapsed() < Duration::from_secs(5), "{:?}", srv.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        srv.log()
            .iter()
            .all(|l| !l.contains("not-configured-so-ignored"))
    );
}

#[test]
fn curl_sees_the_same_json_as_dump() {
    if Command::new("curl").arg("--version").output().is_err() {
        panic!("curl is required for this test (installed by .ci/run)");
    }
    let site = small_site(&format!("  auth_string: {KEY}\n"));
    let srv = Server::start(&site.config, &["--now", NOW]);
    let out = Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "-H",
            &format!("X-Api-Key: {KEY}"),
            &format!("http://{}/subnets", srv.addr),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout,
        crate::common::dump_raw(&site.config, &["--now", NOW])
    );
    let ipv6 = TcpStream::connect("[::1]:1").is_err();
    let _ = ipv6;
}

#[test]
fn time_passing_expires_leases_without_file_changes() {
    let dir = TempDir::new("srv-time");
    let conf = dir.write(
        "dhcpd.conf",
        "subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.9; }\n",
    );
    let ends = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3;
    let leases = dir.write(
        "dhcpd.leases",
        format!("lease 10.0.0.1 {{\n  ends epoch {ends};\n  binding state active;\n}}\n"),
    );
    let cfg = write_config(&dir, &conf, &leases, "");
    let srv = Server::start(&cfg, &[]);
    let first = srv.get("/subnets?summary", &[]);
    assert_eq!(first.json()["10.0.0.0/24"]["ips"]["active"], 1);
    std::thread::sleep(Duration::from_millis(3600));
    let later = srv.get("/subnets?summary", &[]);
    assert_eq!(later.json()["10.0.0.0/24"]["ips"]["active"], 0);
    assert_eq!(later.json()["10.0.0.0/24"]["ips"]["expired"], 1);
    assert_ne!(
        first.header("ETag"),
        later.header("ETag"),
        "a new answer has a new entity tag"
    );
}

#[test]
fn listens_on_ipv6_loopback() {
    let dir = TempDir::new("srv-v6");
    let conf = dir.write("dhcpd.conf", "subnet 10.0.0.0 netmask 255.255.255.0 { }\n");
    let leases = dir.write("dhcpd.leases", "");
    let cfg = dir.write(
        "dhcpstats.yml",
        format!(
            "dhcpstats:\n  listen: \"[::1]:0\"\n  subnet_file: {:?}\n  leases_file: {:?}\n",
            conf.display().to_string(),
            leases.display().to_string()
        ),
    );
    let srv = Server::start(&cfg, &[]);
    assert!(srv.addr.starts_with("[::1]:"), "{}", srv.addr);
    assert_eq!(srv.get("/", &[]).status, 200);
}

#[test]
fn sigterm_finishes_a_response_in_flight() {
    let dir = TempDir::new("srv-term");
    let root = testdata("corpus/main");
    let leases = dir.path("dhcpd.leases");
    crate::common::gunzip(&root.join("dhcpd.leases.gz"), &leases);
    let cfg = write_config(&dir, &root.join("dhcpd.conf"), &leases, "");
    let srv = Server::start(&cfg, &["--now", NOW]);
    let expected_len = srv.get("/subnets?pretty", &[]).body.len();
    assert!(
        expected_len > 1 << 20,
        "a body of megabytes ({expected_len} bytes)"
    );
    let mut s = srv.connect();
    s.write_all(b"GET /subnets?pretty HTTP/1.1\r\n\r\n")
        .unwrap();
    // Let the server start writing and fill the socket buffers.
    let mut first = [0u8; 64];
    s.read_exact(&mut first).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    srv.signal("TERM");
    std::thread::sleep(Duration::from_millis(200));
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    let total = first.len() + rest.len();
    let head_end = [&first[..], &rest[..]]
        .concat()
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap()
        + 4;
    assert_eq!(
        total - head_end,
        expected_len,
        "the whole body arrived after SIGTERM"
    );
    assert_eq!(srv.wait(Duration::from_secs(10)), Some(0));
}

/// Regression: answering a buffered request right after writing the
/// previous answer used to recurse (sent -> read -> answer -> sent …), so
/// a client with many requests queued overflowed the stack and aborted the
/// server (found by make loadtest with wrk -c256).
#[test]
fn a_thousand_pipelined_requests_on_one_connection() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    let mut s = srv.connect();
    let one = b"GET /subnets?summary HTTP/1.1\r\n\r\n";
    let batch: Vec<u8> = one.repeat(999);
    let writer = {
        let mut w = s.try_clone().unwrap();
        std::thread::spawn(move || w.write_all(&batch).unwrap())
    };
    for i in 0..999 {
        let r = read_reply(&mut s, false).unwrap_or_else(|| panic!("answer {i} missing"));
        assert_eq!(r.status, 200, "answer {i}");
    }
    writer.join().unwrap();
    assert_eq!(srv.get("/", &[]).status, 200, "still alive");
}

#[test]
fn appends_update_the_report_exactly_as_a_full_read() {
    // The main corpus served from its first 8000 blocks; the rest is
    // appended in pieces. Pieces of leases only update the report in place;
    // one with OMAPI hosts changes statics, so the report is rebuilt. After every piece the answer must
    // be what `dump` says of the file as it now is.
    let dir = TempDir::new("srv-append");
    let root = testdata("corpus/main");
    let conf = dir.path("dhcpd.conf");
    std::fs::copy(root.join("dhcpd.conf"), &conf).unwrap();
    let all = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(root.join("dhcpd.leases.gz"))
        .output()
        .unwrap()
        .stdout;
    let starts: Vec<usize> = all
        .windows(7)
        .enumerate()
        .filter(|(_, w)| *w == b"\nlease ")
        .map(|(i, _)| i + 1)
        .collect();
    let cut = |n: usize| starts.get(n).copied().unwrap_or(all.len());
    let leases = dir.write("dhcpd.leases", &all[..cut(8000)]);
    let cfg = write_config(&dir, &conf, &leases, "");
    let now = "2026-11-26T00:00:00Z";
    let srv = Server::start(&cfg, &["--now", now]);
    assert_eq!(
        srv.get("/subnets", &[]).body,
        crate::common::dump_raw(&cfg, &["--now", now])
    );
    let host = b"host appended-host {\n  dynamic;\n  hardware ethernet 52:54:00:aa:bb:cc;\n  fixed-address 10.99.0.7;\n}\n";
    let mut from = 8000;
    for (i, to) in [9000, 9100, 10500, 10501, 12400].into_iter().enumerate() {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&leases)
            .unwrap();
        f.write_all(&all[cut(from)..cut(to)]).unwrap();
        if i == 2 {
            f.write_all(host).unwrap();
        }
        drop(f);
        from = to;
        let served = srv.get("/subnets", &[]);
        assert_eq!(
            served.text(),
            String::from_utf8_lossy(&crate::common::dump_raw(&cfg, &["--now", now])),
            "after appending blocks up to {to}"
        );
        assert_eq!(
            srv.get("/status", &[]).json()["files"][1]["last_read"],
            "appended"
        );
    }
    assert!(srv.wait_log("data generation 6"), "{:?}", srv.log());
    let log = srv.log();
    let how: Vec<&str> = log
        .iter()
        .filter(|l| l.contains("data generation"))
        .map(|l| {
            if l.contains("report updated") {
                "updated"
            } else {
                "built"
            }
        })
        .collect();
    // Built: the first read, the piece with our host, and the last piece
    // (the corpus ends with OMAPI host blocks of its own).
    assert_eq!(
        how,
        ["built", "updated", "updated", "built", "updated", "built"]
    );
}
