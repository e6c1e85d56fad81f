//! The dashboard, search and browser authentication (issue 15, SPEC §4.3):
//! pages checked against `/subnets` and against `dhcpstats alarm` (the
//! colours must be its states), content negotiation on `/`, Basic auth,
//! search by MAC, address and host name, and markup from dhcpd's files
//! coming out inert.

use crate::alarm::{NOW, alarm, fixture};
use crate::common::{TempDir, write_config};
use crate::server::{Reply, Server};

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The cells of the table row that starts with a link to `href`.
pub fn row_cells(html: &str, href: &str) -> Vec<String> {
    let start = html
        .find(&format!("<tr><td><a href=\"{href}\">"))
        .unwrap_or_else(|| panic!("a row for {href}"));
    let row = &html[start..];
    let row = &row[..row.find("</tr>").expect("row end")];
    row.split("<td")
        .skip(1)
        .map(|c| {
            let c = &c[c.find('>').expect("cell start") + 1..];
            // Counts group their digits with narrow no-break spaces.
            c[..c.find("</td>").unwrap_or(c.len())].replace('\u{202f}', "")
        })
        .collect()
}

/// Every page must stand alone: no script, no external URL, the policy.
pub fn assert_self_contained(r: &Reply) {
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    let csp = r.header("Content-Security-Policy").expect("a policy");
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    let html = r.text();
    for banned in [
        "<script", "<img", "<link", "<iframe", "http://", "https://", "style=\"",
    ] {
        assert!(!html.contains(banned), "{banned} in the page");
    }
}

#[test]
fn overview_numbers_and_colours_are_those_of_subnets_and_alarm() {
    let dir = TempDir::new("dash");
    let cfg = fixture(&dir);
    let srv = Server::start(&cfg, &["--now", NOW]);
    let page = srv.get("/dashboard", &[]);
    assert_self_contained(&page);
    let html = page.text();
    let subnets = srv.get("/subnets?summary", &[]).json();
    let (_, out) = alarm(&cfg, &["--format", "json"]);
    let pools: serde_json::Value = serde_json::from_str(&out).expect("alarm json");
    let state_of = |cidr: &str| {
        pools["pools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["subnets"].as_array().unwrap().iter().any(|s| s == cidr))
            .map(|p| p["state"].as_str().unwrap().to_string())
            .unwrap()
    };
    let obj = subnets.as_object().unwrap();
    assert_eq!(obj.len(), 6);
    for (cidr, s) in obj {
        let cells = row_cells(&html, &format!("/dashboard/{cidr}"));
        let ips = &s["ips"];
        let n = |k: &str| ips[k].as_u64().unwrap().to_string();
        let used = ips["active"].as_u64().unwrap() + ips["abandoned"].as_u64().unwrap();
        // subnet, shared network, state, bar, then the numbers.
        assert_eq!(
            cells[5..],
            [
                used.to_string(),
                n("total"),
                n("active"),
                n("abandoned"),
                n("expired"),
                n("free"),
                n("released"),
                n("backup"),
                n("reset"),
                n("unused"),
                n("static"),
            ],
            "{cidr}"
        );
        assert!(
            cells[2].starts_with(&state_of(cidr)),
            "{cidr}: {} vs alarm {}",
            cells[2],
            state_of(cidr)
        );
        assert_eq!(cells[1], s["shared_network"].as_str().unwrap_or(""));
    }
    // The fixture has one pool of each state: all three colours show.
    for state in ["critical", "warning", "ok"] {
        assert!(
            html.contains(&format!("<i class=\"used {state} w")),
            "{state}"
        );
    }
    // The shared network's row adds up its subnets.
    let campus = &html[html.find("<tr><td>campus</td>").expect("campus row")..];
    assert!(campus.starts_with("<tr><td>campus</td><td class=\"state warning\">"));

    // Most used first: the full ones, then 10.1 (70 %), then 10.3 (10 %).
    let sorted = srv.get("/dashboard?sort=used", &[]).text();
    let pos = |t: &str, cidr: &str| {
        t.find(&format!("href=\"/dashboard/{cidr}\">{cidr}"))
            .unwrap()
    };
    let subnets_part = &sorted[sorted.find("<h2>Subnets").unwrap()..];
    // (Equal shares keep their declared order.)
    assert!(pos(subnets_part, "10.2.0.0/24") < pos(subnets_part, "10.1.0.0/24"));
    assert!(pos(subnets_part, "10.1.0.0/24") < pos(subnets_part, "10.3.0.0/24"));
    let declared = &html[html.find("<h2>Subnets").unwrap()..];
    assert!(pos(declared, "10.0.0.0/24") < pos(declared, "10.2.0.0/24"));

    // New thresholds on SIGHUP recolour the same generation's page.
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(
            "  alarms:\n",
            "  alarms:\n    warning: 5\n    critical: 9\n",
        ),
    )
    .unwrap();
    srv.signal("HUP");
    assert!(srv.wait_log("reloaded"));
    let recoloured = srv.get("/dashboard", &[]).text();
    let cells = row_cells(&recoloured, "/dashboard/10.3.0.0/24");
    assert!(
        cells[2].starts_with("critical"),
        "10 % used, critical at 9 %: {cells:?}"
    );
    assert_ne!(
        srv.get("/dashboard", &[]).header("ETag"),
        page.header("ETag"),
        "a page of other settings has another tag"
    );
}

#[test]
fn a_subnet_page_lists_its_ranges_statics_and_leases() {
    let site = crate::server::small_site("");
    let srv = Server::start(&site.config, &["--now", "2026-11-26T01:40:00Z"]);
    let all = srv.get("/subnets", &[]).json();
    for (cidr, s) in all.as_object().unwrap() {
        let page = srv.get(&format!("/dashboard/{cidr}"), &[]);
        assert_self_contained(&page);
        let html = page.text();
        for range in s["ranges"].as_array().unwrap() {
            assert!(
                html.contains(&format!(
                    "<td>{}</td><td>{}</td>",
                    range[0].as_str().unwrap(),
                    range[1].as_str().unwrap()
                )),
                "{cidr} range {range}"
            );
        }
        for (name, st) in s["statics"].as_object().unwrap() {
            let ip = st["ip_address"].as_str().unwrap_or("");
            assert!(
                html.contains(&format!("<td>{name}</td><td>{ip}</td>")),
                "{cidr} static {name}"
            );
        }
        let leases = s["leases"].as_object().unwrap();
        assert!(html.contains(&format!("Leases ({})", leases.len())));
        for (addr, lease) in leases {
            let row = &html[html
                .find(&format!("<tr id=\"{addr}\">"))
                .expect("lease row")..];
            let row = &row[..row.find("</tr>").unwrap()];
            if let Some(state) = lease["binding-state"].as_str() {
                assert!(row.contains(&format!("<td>{state}</td>")), "{addr}: {row}");
            }
        }
        let total = s["ips"]["total"].as_u64().unwrap();
        assert!(html.contains(&format!("<td class=\"n\">{total}</td>")));
    }
    assert_eq!(srv.get("/dashboard/10.250.0.0/24", &[]).status, 404);
    assert_eq!(srv.get("/dashboard/nonsense", &[]).status, 404);
    assert_eq!(srv.get("/dashboard/10.40.0.0%2F24", &[]).status, 200);
}

#[test]
fn the_root_is_the_dashboard_for_browsers_and_json_for_scripts() {
    let site = crate::server::small_site("");
    let srv = Server::start(&site.config, &["--now", "2026-11-26T01:40:00Z"]);
    for accept in [None, Some("*/*"), Some("application/json")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let r = srv.get("/", &headers);
        assert_eq!(
            r.json(),
            serde_json::json!({"message": "dhcpstats API"}),
            "{accept:?}"
        );
        assert_eq!(r.header("Vary"), Some("Accept"));
    }
    let browser = srv.get("/", &[("Accept", BROWSER)]);
    assert_self_contained(&browser);
    assert_eq!(browser.header("Vary"), Some("Accept"));
    assert_eq!(browser.body, srv.get("/dashboard", &[]).body);

    // Cached per generation: same tag, and a 304 for it.
    let etag = browser.header("ETag").unwrap().to_string();
    assert_eq!(
        srv.get("/dashboard", &[]).header("ETag"),
        Some(etag.as_str())
    );
    let again = srv.get("/dashboard", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
}

#[test]
fn browsers_authenticate_with_basic_and_scripts_keep_their_key() {
    let site = crate::server::small_site("  auth_string: \"s3cret\"\n");
    let srv = Server::start(&site.config, &["--now", "2026-11-26T01:40:00Z"]);
    let basic = |user_pass: &str| {
        format!(
            "Basic {}",
            dhcpstats::codec::base64_encode(user_pass.as_bytes())
        )
    };

    for path in ["/dashboard", "/dashboard/10.40.0.0/24", "/dashboard?q=10"] {
        let r = srv.get(path, &[]);
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(
            r.header("WWW-Authenticate"),
            Some("Basic realm=\"dhcpstats\", charset=\"UTF-8\""),
            "{path}"
        );
        assert!(r.json()["message"].is_string(), "errors stay JSON");
        let wrong = srv.get(path, &[("Authorization", &basic("admin:nope"))]);
        assert_eq!(wrong.status, 401);
        let right = srv.get(path, &[("Authorization", &basic("anyone:s3cret"))]);
        assert_self_contained(&right);
        let key = srv.get(path, &[("X-Api-Key", "s3cret")]);
        assert_eq!(key.status, 200, "X-Api-Key works on the dashboard");
    }
    // `/` asks a browser for credentials, not a script.
    let r = srv.get("/", &[("Accept", BROWSER)]);
    assert_eq!(r.status, 401);
    assert!(r.header("WWW-Authenticate").is_some());
    for path in ["/", "/subnets", "/search?q=1", "/status"] {
        let r = srv.get(path, &[]);
        assert_eq!(r.status, 401);
        assert_eq!(
            r.header("WWW-Authenticate"),
            None,
            "{path}: no browser prompt for the API"
        );
        // A browser that authenticated follows the dashboard's links to
        // the JSON with the same credentials.
        let r = srv.get(path, &[("Authorization", &basic(":s3cret"))]);
        assert_eq!(r.status, 200, "{path}");
    }
}

/// A fixture for search: a static, leases with MACs, names and client ids.
fn search_site(dir: &TempDir) -> std::path::PathBuf {
    let conf = dir.write(
        "dhcpd.conf",
        "subnet 10.9.0.0 netmask 255.255.0.0 { range 10.9.0.10 10.9.9.250; }\n\
         host printer-3 { hardware ethernet 00:11:22:AA:BB:CC; fixed-address 10.9.0.3; option host-name \"lp3\"; }\n",
    );
    let mut leases = String::from(
        "lease 10.9.0.20 {\n  binding state active;\n  ends never;\n  hardware ethernet 52:54:00:16:7d:92;\n  uid \"\\001RT\\000\\026}\\222\";\n  client-hostname \"Laptop-Anna\";\n}\n\
         lease 10.9.0.21 {\n  binding state free;\n  ends 1 2026/01/05 00:00:00;\n  hardware ethernet 52:54:00:16:7d:93;\n  uid 01:52:54:00:16:7d:93;\n}\n\
         lease 172.16.0.1 {\n  binding state active;\n  ends never;\n  hardware ethernet 02:00:00:00:00:01;\n  client-hostname \"stray\";\n}\n",
    );
    for i in 0..1200 {
        leases.push_str(&format!(
            "lease 10.9.{}.{} {{\n  binding state active;\n  ends never;\n  hardware ethernet 0a:0b:0c:00:{:02x}:{:02x};\n  client-hostname \"bulk-{i}\";\n}}\n",
            5 + i / 200,
            10 + i % 200,
            i / 256,
            i % 256
        ));
    }
    let leases = dir.write("dhcpd.leases", leases);
    write_config(dir, &conf, &leases, "")
}

#[test]
fn search_finds_by_mac_address_and_host_name() {
    let dir = TempDir::new("search");
    let cfg = search_site(&dir);
    let srv = Server::start(&cfg, &["--now", NOW]);
    let addresses = |q: &str| -> Vec<String> {
        let r = srv.get(&format!("/search?q={q}"), &[]);
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        let v = r.json();
        assert_eq!(v["truncated"], false, "{q}");
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                format!(
                    "{} {}",
                    h["type"].as_str().unwrap(),
                    h.get("address")
                        .or(h["static"].get("ip_address"))
                        .unwrap()
                        .as_str()
                        .unwrap()
                )
            })
            .collect()
    };
    // A MAC in any case, with any separator or none.
    for q in [
        "52:54:00:16:7d",
        "52-54-00-16-7D",
        "5254.0016.7d",
        "525400167D9",
        "52%3A54%3A00%3A16%3A7d",
    ] {
        assert_eq!(addresses(q), ["lease 10.9.0.20", "lease 10.9.0.21"], "{q}");
    }
    assert_eq!(addresses("7d:92"), ["lease 10.9.0.20"]);
    // A reservation by MAC, name and host name; the static comes first.
    assert_eq!(addresses("aa:bb:cc"), ["static 10.9.0.3"]);
    assert_eq!(addresses("PRINTER"), ["static 10.9.0.3"]);
    assert_eq!(addresses("lp3"), ["static 10.9.0.3"]);
    // Host names and client ids, case-insensitively.
    assert_eq!(addresses("laptop-anna"), ["lease 10.9.0.20"]);
    assert_eq!(addresses("01:52:54"), ["lease 10.9.0.21"]);
    // Addresses; a lease in no subnet is found too, without a subnet.
    assert_eq!(
        addresses("10.9.0.2"),
        ["lease 10.9.0.20", "lease 10.9.0.21"]
    );
    let stray = srv.get("/search?q=stray", &[]).json();
    assert_eq!(stray["hits"][0]["address"], "172.16.0.1");
    assert!(stray["hits"][0].get("subnet").is_none());
    // The lease object is the one of /subnets.
    let hit = srv.get("/search?q=laptop", &[]).json();
    let all = srv.get("/subnets", &[]).json();
    assert_eq!(
        hit["hits"][0]["lease"],
        all["10.9.0.0/16"]["leases"]["10.9.0.20"]
    );
    assert_eq!(hit["hits"][0]["subnet"], "10.9.0.0/16");
    assert_eq!(hit["hits"][0]["state"], "active");
    assert_eq!(
        srv.get("/search?q=10.9.0.21", &[]).json()["hits"][0]["state"],
        "free"
    );

    // Capped at 1000, lowest addresses first.
    let bulk = srv.get("/search?q=bulk-", &[]).json();
    assert_eq!(bulk["truncated"], true);
    assert_eq!(bulk["hits"].as_array().unwrap().len(), 1000);
    assert_eq!(bulk["hits"][0]["address"], "10.9.5.10");

    assert_eq!(srv.get("/search?q=", &[]).status, 400);
    assert_eq!(srv.get("/search", &[]).status, 400);
    assert_eq!(
        srv.get(&format!("/search?q={}", "a".repeat(300)), &[])
            .status,
        400
    );
    assert_eq!(addresses("nothing-like-this"), Vec::<String>::new());

    // The same search as a page.
    let page = srv.get("/dashboard?q=laptop+anna", &[]);
    assert_self_contained(&page);
    let page = srv.get("/dashboard?q=Laptop-Anna", &[]).text();
    assert!(page.contains("1 hit for"));
    assert!(page.contains("<a href=\"/dashboard/10.9.0.0/16#10.9.0.20\">10.9.0.20</a>"));
    assert!(page.contains("value=\"Laptop-Anna\""));
    let many = srv.get("/dashboard?q=bulk", &[]).text();
    assert!(many.contains("Only the first 1000 hits"));
}

#[test]
fn markup_in_dhcpd_files_comes_out_inert() {
    let dir = TempDir::new("escape");
    let conf = dir.write(
        "dhcpd.conf",
        "shared-network \"<i>net</i>\" {\n\
           subnet 10.0.0.0 netmask 255.255.255.0 { range 10.0.0.1 10.0.0.10; option domain-name \"<b>x</b>.example\"; }\n\
         }\n\
         host evil { hardware ethernet 00:00:00:00:00:01; fixed-address 10.0.0.50; option host-name \"<img src=x onerror=alert(2)>\"; }\n",
    );
    let leases = dir.write(
        "dhcpd.leases",
        "lease 10.0.0.2 {\n  binding state active;\n  ends never;\n  client-hostname \"<script>alert(3)</script>\";\n  uid \"\\\"><script>alert(4)</script>\";\n  set vendor-class-identifier = \"'><iframe src=javascript:alert(5)>\";\n}\n",
    );
    let cfg = write_config(&dir, &conf, &leases, "");
    let srv = Server::start(&cfg, &["--now", NOW]);
    let json = srv.get("/subnets", &[]).json();
    assert_eq!(
        json["10.0.0.0/24"]["leases"]["10.0.0.2"]["client-hostname"],
        "<script>alert(3)</script>"
    );
    for path in [
        "/dashboard",
        "/dashboard/10.0.0.0/24",
        "/dashboard?q=10.0.0",
        "/dashboard?q=%3Cscript%3E",
        "/dashboard?q=%22%3E%3Cb%3E",
    ] {
        let page = srv.get(path, &[]);
        assert_self_contained(&page);
        let html = page.text();
        for live in [
            "<script", "<img", "<svg", "<iframe", "<i>net", "<b>x", "\"><b>",
        ] {
            assert!(!html.contains(live), "{path}: {live} is live markup");
        }
    }
    let page = srv.get("/dashboard/10.0.0.0/24", &[]).text();
    for inert in [
        "&lt;script&gt;alert(3)&lt;/script&gt;",
        "&lt;img src=x onerror=alert(2)&gt;",
        "&#39;&gt;&lt;iframe src=javascript:alert(5)&gt;",
        "&lt;b&gt;x&lt;/b&gt;.example",
        "&lt;i&gt;net&lt;/i&gt;",
    ] {
        assert!(page.contains(inert), "{inert} shown as text");
    }
}

#[test]
fn a_failed_read_shows_as_stale_on_the_page() {
    let site = crate::server::small_site("");
    let srv = Server::start(&site.config, &["--now", "2026-11-26T01:40:00Z"]);
    let fresh = srv.get("/dashboard", &[]);
    assert!(!fresh.text().contains("banner critical"));
    let leases = site.dir.path("dhcpd.leases");
    let saved = std::fs::read(&leases).unwrap();
    std::fs::remove_file(&leases).unwrap();
    // The read fails; the last good data is still served, and said stale.
    assert_eq!(srv.get("/subnets", &[]).status, 200);
    let stale = srv.get("/dashboard", &[]);
    let html = stale.text();
    assert!(html.contains("<p class=\"banner critical\">The last read of the files failed at "));
    assert!(html.contains("dhcpd.leases"), "the banner names the file");
    assert_ne!(stale.header("ETag"), fresh.header("ETag"));
    std::fs::write(&leases, saved).unwrap();
    assert_eq!(srv.get("/subnets", &[]).status, 200);
    assert!(
        !srv.get("/dashboard", &[])
            .text()
            .contains("banner critical")
    );
}
