//! Issue 12, a live server: the poll loops never wait for a refresh, entity
//! tags never match across processes, and the smaller findings of a review
//! (Bearer on `/metrics/`, the head of a 304).

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::server::{Server, read_reply, small_site};

const NOW: &str = "2026-11-26T01:40:00Z";

/// Sends a request on a new connection from another thread; the reply
/// (or `None`) arrives on the returned channel.
fn request_in_background(srv: &Server, path: &str) -> mpsc::Receiver<Option<(u16, String)>> {
    let (tx, rx) = mpsc::channel();
    let mut s = srv.connect();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    std::thread::spawn(move || {
        let reply = read_reply(&mut s, false).map(|r| (r.status, r.text()));
        let _ = tx.send(reply);
    });
    rx
}

/// A refresh that cannot finish (its configuration file is a FIFO nobody
/// has written yet) must not stop `/` and `/status` from answering; data
/// requests wait for it and then answer from the new files. Before issue
/// 12, `/status` took the lock the refresh held, so the loop answering it
/// (and every connection of that loop) waited as long as the refresh.
#[test]
fn status_and_root_answer_while_a_refresh_waits_on_its_files() {
    let site = small_site("");
    let srv = Server::start(&site.config, &["--now", NOW]);
    assert_eq!(srv.get("/subnets?summary", &[]).status, 200);
    let generation = srv.get("/status", &[]).json()["data"]["generation"].clone();

    // Replace dhcpd.conf by a FIFO: the next refresh blocks reading it.
    let conf = site.dir.path("dhcpd.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let new_text = format!("{text}\nsubnet 10.250.0.0 netmask 255.255.255.0 {{ }}\n");
    let fifo = site.dir.path("conf.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils)");
    assert!(made.success());
    std::fs::rename(&fifo, &conf).unwrap();

    // A data request starts the refresh on a worker; opening the FIFO for
    // writing returns once that refresh has opened it for reading.
    let first = request_in_background(&srv, "/subnets?summary");
    let (opened_tx, opened_rx) = mpsc::channel();
    let conf_path = conf.clone();
    std::thread::spawn(move || {
        let w = std::fs::OpenOptions::new().write(true).open(&conf_path);
        let _ = opened_tx.send(w);
    });
    let mut writer = opened_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the refresh opened the configuration")
        .expect("open the FIFO for writing");
    let second = request_in_background(&srv, "/subnets?summary");

    // The refresh is stuck until we write: these answer meanwhile.
    let started = Instant::now();
    let status = srv.get("/status", &[]);
    let root = srv.get("/", &[]);
    let waited = started.elapsed();
    assert_eq!((status.status, root.status), (200, 200));
    assert_eq!(status.json()["data"]["generation"], generation);
    eprintln!("/status and / answered in {waited:?} while the refresh waited");
    assert!(first.try_recv().is_err(), "a data request did not wait");
    assert!(second.try_recv().is_err(), "a data request did not wait");

    // A regular file takes the FIFO's place first, so that a refresh after
    // ours reads it (the FIFO's own time changes when written).
    let regular = site.dir.write("dhcpd.conf.new", &new_text);
    std::fs::rename(&regular, &conf).unwrap();
    writer.write_all(new_text.as_bytes()).unwrap();
    drop(writer);
    for rx in [first, second] {
        let (code, body) = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("an answer after the refresh")
            .expect("a reply");
        assert_eq!(code, 200);
        assert!(body.contains("\"10.250.0.0/24\""), "new data: {body}");
    }
}

/// Generation numbers start at 1 in every process: an entity tag from
/// before a restart must not match different data after it.
#[test]
fn an_etag_of_another_process_does_not_match() {
    let site = small_site("");
    let first = Server::start(&site.config, &["--now", NOW]);
    let a = first.get("/subnets?summary", &[]);
    let tag = a.header("ETag").expect("an ETag").to_string();
    assert_eq!(
        first
            .get("/subnets?summary", &[("If-None-Match", &tag)])
            .status,
        304
    );
    drop(first);
    let conf = site.dir.path("dhcpd.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        format!("{text}\nsubnet 10.251.0.0 netmask 255.255.255.0 {{ }}\n"),
    )
    .unwrap();
    let second = Server::start(&site.config, &["--now", NOW]);
    let b = second.get("/subnets?summary", &[("If-None-Match", &tag)]);
    assert_eq!(b.status, 200, "the old tag {tag} matched new data");
    assert!(b.text().contains("10.251.0.0/24"));
    assert_ne!(b.header("ETag"), Some(tag.as_str()));
}

#[test]
fn bearer_works_on_metrics_with_a_trailing_slash_and_304_has_no_length() {
    let site = small_site("  auth_string: k3y\n");
    let srv = Server::start(&site.config, &["--now", NOW]);
    for path in ["/metrics", "/metrics/"] {
        let r = srv.get(path, &[("Authorization", "Bearer k3y")]);
        assert_eq!(r.status, 200, "{path}");
    }
    assert_eq!(
        srv.get("/subnets", &[("Authorization", "Bearer k3y")])
            .status,
        401,
        "Bearer is for /metrics only"
    );
    let r = srv.get("/subnets?summary", &[("X-Api-Key", "k3y")]);
    let tag = r.header("ETag").unwrap().to_string();
    // read_reply asserts that the 304 carries no Content-Length.
    let r = srv.get(
        "/subnets?summary",
        &[("X-Api-Key", "k3y"), ("If-None-Match", &tag)],
    );
    assert_eq!(r.status, 304);
    assert!(r.header("Content-Length").is_none());
    assert_eq!(r.header("ETag"), Some(tag.as_str()));
}
