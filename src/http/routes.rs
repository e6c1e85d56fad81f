//! From a request to a response (SPEC §4): authentication, routing,
//! entity tags. Runs on a worker thread; the only slow thing it can do is
//! wait for the cache to re-read changed files.

use std::sync::Arc;

use super::request::{Method, Request};
use super::response::{HTML, JSON, PROMETHEUS, Response};
use super::{App, Settings};
use crate::cache::{Generation, NoData, Rendered};
use crate::cidr::normalize_cidr;
use crate::clock::format_rfc3339;
use crate::dashboard::{self, Order};
use crate::dhcp::Detail;
use crate::report::SubnetRef;
use crate::report::json::Style;
use crate::search::{self, Query};

/// Compares a presented key with the configured one in time that depends
/// only on the configured key's length: every byte is looked at, there is
/// no early exit, and a wrong length only sets a flag.
pub fn keys_match(presented: &[u8], expected: &[u8]) -> bool {
    compare_keys(presented, expected, &mut |_| {})
}

/// [`keys_match`], calling `visit` with each index it compares: tests
/// check that the path taken does not depend on where the keys differ.
fn compare_keys(presented: &[u8], expected: &[u8], visit: &mut dyn FnMut(usize)) -> bool {
    let mut diff = presented.len() ^ expected.len();
    for (i, e) in expected.iter().enumerate() {
        visit(i);
        let p = presented.get(i).copied().unwrap_or(0);
        diff |= usize::from(p ^ e);
    }
    std::hint::black_box(diff) == 0
}

fn authorized(settings: &Settings, req: &Request, route: Option<&Route>) -> bool {
    let Some(key) = &settings.auth else {
        return true;
    };
    let expected = key.expose();
    let by_header = req
        .api_key
        .as_deref()
        .is_some_and(|k| keys_match(k, expected));
    // Prometheus sends `Authorization: Bearer <key>`; accepted on /metrics
    // only (however the path is spelled: `/metrics/` too).
    let by_bearer = route == Some(&Route::Metrics)
        && req
            .bearer
            .as_deref()
            .is_some_and(|k| keys_match(k, expected));
    // Browsers send Basic credentials (the key as password) to every
    // path once the dashboard asked for them: links from its pages to
    // the JSON work too.
    let by_basic = req
        .basic
        .as_deref()
        .is_some_and(|k| keys_match(k, expected));
    by_header | by_bearer | by_basic
}

/// Decodes `%XX` escapes; invalid escapes are kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The route a path names.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Root,
    Subnets,
    Subnet(String),
    Metrics,
    Status,
    Dashboard,
    DashboardSubnet(String),
    Search,
}

impl Route {
    /// Pages for people: a 401 there asks the browser for credentials.
    fn is_dashboard(&self) -> bool {
        matches!(self, Route::Dashboard | Route::DashboardSubnet(_))
    }
}

fn route(path: &str) -> Option<Route> {
    let path = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    match path {
        "/" => Some(Route::Root),
        "/subnets" => Some(Route::Subnets),
        "/metrics" => Some(Route::Metrics),
        "/status" => Some(Route::Status),
        "/dashboard" => Some(Route::Dashboard),
        "/search" => Some(Route::Search),
        _ => {
            if let Some(rest) = path.strip_prefix("/subnets/") {
                Some(Route::Subnet(rest.to_string()))
            } else {
                path.strip_prefix("/dashboard/")
                    .map(|rest| Route::DashboardSubnet(rest.to_string()))
            }
        }
    }
}

/// The value of `name` in a query string, decoded as a form sends it
/// (`+` is a space, then `%XX` escapes).
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(&v.replace('+', " ")))
    })
}

fn has_flag(query: &str, name: &str) -> bool {
    query
        .split('&')
        .any(|p| p.split('=').next().is_some_and(|k| k == name))
}

/// Where a request is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// In the poll loop: only if no file must be read (else `None`).
    Loop,
    /// On a worker: anything, including re-reading files.
    Worker,
}

/// Answers one request on a worker.
pub fn handle(app: &App, req: &Request) -> Response {
    answer(app, req, Place::Worker).unwrap_or_else(|| Response::message(500, "internal error"))
}

/// Answers one request, or `None` if it needs a worker (a file changed,
/// or the report must be rebuilt because time passed).
pub fn answer(app: &App, req: &Request, place: Place) -> Option<Response> {
    let settings = app.settings();
    let (raw_path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let path = percent_decode(raw_path);
    let mut route = route(&path);
    // `/` is the API's greeting for scripts and the dashboard for a
    // browser; caches must keep the two apart.
    let negotiated = route == Some(Route::Root);
    if negotiated && req.prefers_html {
        route = Some(Route::Dashboard);
    }
    let vary = |mut r: Response| {
        if negotiated {
            r.extra.push(("Vary", "Accept"));
        }
        r
    };
    if !authorized(&settings, req, route.as_ref()) {
        let mut r = Response::message(401, "X-Api-Key authentication failed.");
        if route.as_ref().is_some_and(Route::is_dashboard) {
            r.extra.push((
                "WWW-Authenticate",
                "Basic realm=\"dhcpstats\", charset=\"UTF-8\"",
            ));
        }
        return Some(vary(r));
    }
    let Some(route) = route else {
        return Some(Response::message(
            404,
            "not found; the routes are /, /subnets, /subnets/<network>/<len>, /metrics, /status, \
             /dashboard, /dashboard/<network>/<len> and /search?q=TEXT",
        ));
    };
    if req.method == Method::Other {
        let mut r = Response::message(405, "method not allowed; use GET or HEAD");
        r.allow = true;
        return Some(r);
    }
    let style = Style {
        pretty: settings.debug || has_flag(query, "pretty"),
        detail: if has_flag(query, "summary") {
            Detail::Summary
        } else {
            Detail::Full
        },
    };
    let mut content_type = JSON;
    let response = match route {
        // Never wait for data: answered by the loops even while a refresh
        // runs.
        Route::Root => return Some(vary(Response::message(200, "dhcpstats API"))),
        Route::Dashboard | Route::DashboardSubnet(_) => {
            content_type = HTML;
            dashboard_page(app, &settings, &route, query, place)?
        }
        Route::Search => {
            if place == Place::Loop {
                return None;
            }
            let query = Query::new(&query_param(query, "q").unwrap_or_default())
                .map_err(|e| Response::message(400, &e.message()));
            return Some(match query {
                Err(r) => r,
                Ok(q) => match data(app, place)? {
                    Err(no) => Response::message(503, &format!("no data yet: {}", no.0)),
                    Ok(g) => {
                        let hits = search::search(g.sources(), q);
                        let json = search::HitsJson {
                            src: g.sources(),
                            hits: &hits,
                        };
                        Response::new(200, JSON, crate::report::json::to_vec(&json, style).into())
                    }
                },
            });
        }
        Route::Status => return Some(status(app, style)),
        Route::Metrics => {
            let data = match data(app, place)? {
                Ok(g) if place == Place::Loop && g.metrics.get().is_none() => return None,
                data => data,
            };
            let process = crate::metrics::Process {
                last_read_ok: app.cache.read_state().error.is_none(),
                requests: app.request_counts(),
                responses_cut: app.responses_cut(),
            };
            let body = crate::metrics::render(data.as_ref().ok().map(Arc::as_ref), &process);
            return Some(Response::new(200, PROMETHEUS, body));
        }
        Route::Subnets => {
            let data = data(app, place)?;
            if place == Place::Loop {
                let ready = data.as_ref().ok().and_then(|g| g.rendered(style));
                ready.map(Ok)?
            } else {
                with_data(data, |g| Ok(g.render(style)))
            }
        }
        Route::Subnet(cidr) => {
            // Rendered per request (small): on a worker.
            if place == Place::Loop {
                return None;
            }
            with_data(data(app, place)?, |g| {
                let wanted = normalize_cidr(&cidr).map_err(|e| Response::message(404, &e))?;
                g.report
                    .locate(&wanted)
                    .and_then(|which| g.render_subnet(which, style))
                    .ok_or_else(|| {
                        Response::message(404, &format!("no subnet {wanted} is declared"))
                    })
            })
        }
    };
    Some(match response {
        Ok(rendered) => {
            if req
                .if_none_match
                .as_deref()
                .is_some_and(|inm| etag_matches(inm, &rendered.etag))
            {
                return Some(Response::not_modified(rendered.etag));
            }
            let r = if content_type == HTML {
                html_response(rendered.body, Some(rendered.etag))
            } else {
                let mut r = Response::new(200, JSON, rendered.body);
                r.etag = Some(rendered.etag);
                r
            };
            vary(r)
        }
        Err(r) => vary(r),
    })
}

/// A page with the headers every dashboard page carries: the policy that
/// lets nothing run or load but its own stylesheet, no referrer, no
/// framing.
fn html_response(body: Arc<Vec<u8>>, etag: Option<String>) -> Response {
    let mut r = Response::new(200, HTML, body);
    r.etag = etag;
    r.extra.extend([
        (
            "Content-Security-Policy",
            dashboard::html::content_security_policy(),
        ),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]);
    r
}

/// A dashboard page: the overview (cached per generation, view, alarm
/// settings and read state), the search results, or a subnet's page.
/// `None`: it needs a worker; `Err`: the response to send as it is.
fn dashboard_page(
    app: &App,
    settings: &Settings,
    route: &Route,
    query: &str,
    place: Place,
) -> Option<Result<Rendered, Response>> {
    let read = app.cache.read_state();
    // The read state shows in the header (a failed read: stale data).
    let key_tail = format!("e{}-r{}", settings.epoch, read.failed_at.unwrap_or(0));
    let search_text = query_param(query, "q").filter(|q| !q.trim().is_empty());
    if place == Place::Loop {
        // Only an overview already rendered for this generation.
        if search_text.is_some() || *route != Route::Dashboard {
            return None;
        }
        let key = format!("overview-{}-{key_tail}", Order::from_query(query).key());
        let g = app.cache.fresh()?;
        return g.cached_page(&key).map(Ok);
    }
    let data = data(app, place)?;
    Some(with_data(data, |g| {
        let cx = dashboard::Context {
            generation: g,
            read: &read,
            alarms: &settings.alarms,
        };
        match (route, search_text) {
            (Route::DashboardSubnet(cidr), _) => {
                let wanted = normalize_cidr(cidr).map_err(|e| Response::message(404, &e))?;
                let which = g.report.locate(&wanted);
                let body = which.and_then(|w| match w {
                    SubnetRef::V4(i) => dashboard::subnet_page(&cx, i),
                    SubnetRef::V6(i) => dashboard::subnet6_page(&cx, i),
                });
                let tag = |w: SubnetRef| match w {
                    SubnetRef::V4(i) => format!("subnet{i}"),
                    SubnetRef::V6(i) => format!("subnet6-{i}"),
                };
                match (which, body) {
                    (Some(w), Some(body)) => Ok(Rendered {
                        body: body.into(),
                        etag: g.page_etag(&format!("{}-{key_tail}", tag(w))),
                    }),
                    _ => Err(Response::message(
                        404,
                        &format!("no subnet {wanted} is declared"),
                    )),
                }
            }
            (_, Some(text)) => {
                let q = Query::new(&text).map_err(|e| Response::message(400, &e.message()))?;
                let hits = search::search(g.sources(), q);
                // Rendered per request, without an entity tag (none could
                // name every text searched for): the response as it is.
                Err(html_response(
                    dashboard::search_page(&cx, &hits).into(),
                    None,
                ))
            }
            (_, None) => {
                let order = Order::from_query(query);
                let key = format!("overview-{}-{key_tail}", order.key());
                Ok(g.page(&key, || dashboard::overview(&cx, order)))
            }
        }
    }))
}

/// The generation to answer from. In a loop only one that is current
/// without any reading (`None` hands the request to a worker); on a
/// worker, refreshed as needed.
fn data(app: &App, place: Place) -> Option<Result<Arc<Generation>, NoData>> {
    match (app.cache.fresh(), place) {
        (Some(g), _) => Some(Ok(g)),
        (None, Place::Loop) => None,
        (None, Place::Worker) => Some(app.cache.get()),
    }
}

/// `If-None-Match` holds `*` or a list of tags (weak ones compare too).
fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

fn with_data(
    data: Result<Arc<Generation>, NoData>,
    f: impl FnOnce(&Generation) -> Result<Rendered, Response>,
) -> Result<Rendered, Response> {
    match data {
        Ok(g) => f(&g),
        Err(no) => Err(Response::message(503, &format!("no data yet: {}", no.0))),
    }
}

/// `/status`, from what the cache published last: answers at once, even
/// while a refresh runs.
fn status(app: &App, style: Style) -> Response {
    let info = app.cache.last_info();
    let read = app.cache.read_state();
    let settings = app.settings();
    let mut files = Vec::new();
    let mut data = serde_json::Value::Null;
    let mut diagnostics = serde_json::json!({"errors": 0, "warnings": 0, "notes": 0, "first": []});
    if let Some(g) = &info {
        for f in &g.conf_files {
            files.push(file_json("configuration", f, None));
        }
        for (role, l) in [("leases", &g.leases), ("leases6", &g.leases6)] {
            let Some(l) = l else { continue };
            files.push(file_json(
                role,
                &l.stamp,
                Some(serde_json::json!({
                    "consumed_bytes": l.consumed,
                    "incomplete_tail_bytes": l.stamp.identity.size.saturating_sub(l.consumed),
                    "read_at": format_rfc3339(l.read_at),
                    "read_duration_seconds": l.read_duration.as_secs_f64(),
                    "last_read": l.last_read.as_str(),
                })),
            ));
        }
        data = serde_json::json!({
            "generation": g.id,
            "built_at": format_rfc3339(g.built_at),
            "evaluated_at": format_rfc3339(g.evaluated_at),
            "valid_until": g.valid_until.map(format_rfc3339),
            "subnets": g.subnets,
            "leases": g.leases_in_db,
            "lease_blocks": g.lease_blocks,
        });
        let d = &g.diagnostics;
        let first: Vec<String> = d.items().iter().take(20).map(|x| x.to_string()).collect();
        diagnostics = serde_json::json!({
            "errors": d.count(crate::diag::Severity::Error),
            "warnings": d.count(crate::diag::Severity::Warning),
            "notes": d.count(crate::diag::Severity::Note),
            "first": first,
        });
    }
    let body = serde_json::json!({
        "version": crate::VERSION,
        "uptime_seconds": app.uptime().as_secs(),
        "config_file": settings.config_path.display().to_string(),
        "stale": read.error.is_some() && info.is_some(),
        "last_error": read.error,
        "last_error_at": read.failed_at.map(format_rfc3339),
        "data": data,
        "files": files,
        "diagnostics": diagnostics,
    });
    Response::new(200, JSON, crate::report::json::to_vec(&body, style).into())
}

fn file_json(
    role: &str,
    f: &crate::inputs::FileStamp,
    extra: Option<serde_json::Value>,
) -> serde_json::Value {
    let id = &f.identity;
    let mut v = serde_json::json!({
        "role": role,
        "path": f.path.display().to_string(),
        "size": id.size,
        "mtime": format_rfc3339(id.mtime_seconds()),
        "inode": id.ino,
        "device": id.dev,
    });
    if let (Some(obj), Some(serde_json::Value::Object(more))) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_comparison_is_exact() {
        assert!(keys_match(b"secret", b"secret"));
        assert!(!keys_match(b"secreT", b"secret"));
        assert!(!keys_match(b"Secret", b"secret"));
        assert!(!keys_match(b"secret!", b"secret"));
        assert!(!keys_match(b"secre", b"secret"));
        assert!(!keys_match(b"", b"secret"));
        // A presented key that is a prefix padded with NULs still fails.
        assert!(!keys_match(b"secret\0", b"secret"));
    }

    #[test]
    fn key_comparison_takes_the_same_path_wherever_keys_differ() {
        let expected = b"0123456789abcdef";
        let path = |presented: &[u8]| {
            let mut seen = Vec::new();
            let ok = compare_keys(presented, expected, &mut |i| seen.push(i));
            (ok, seen)
        };
        let (ok_first, first) = path(b"X123456789abcdef");
        let (ok_last, last) = path(b"0123456789abcdeX");
        let (ok_same, same) = path(expected);
        let (ok_short, short) = path(b"01");
        assert!(!ok_first && !ok_last && ok_same && !ok_short);
        assert_eq!(first, last);
        assert_eq!(first, same);
        assert_eq!(
            first, short,
            "a shorter key is compared over the full length too"
        );
        assert_eq!(first, (0..16).collect::<Vec<_>>());
    }

    #[test]
    fn routes_and_queries() {
        assert_eq!(route("/"), Some(Route::Root));
        assert_eq!(route("/subnets/"), Some(Route::Subnets));
        assert_eq!(
            route("/subnets/10.0.0.0/24"),
            Some(Route::Subnet("10.0.0.0/24".into()))
        );
        assert_eq!(route("/nope"), None);
        assert_eq!(route("/dashboard/"), Some(Route::Dashboard));
        assert_eq!(
            route("/dashboard/10.0.0.0/24"),
            Some(Route::DashboardSubnet("10.0.0.0/24".into()))
        );
        assert_eq!(route("/search"), Some(Route::Search));
        assert_eq!(
            query_param("sort=used&q=52%3A54+00", "q").as_deref(),
            Some("52:54 00")
        );
        assert_eq!(query_param("q", "q").as_deref(), Some(""));
        assert_eq!(query_param("qq=1", "q"), None);
        assert_eq!(
            percent_decode("/subnets/10.0.0.0%2F24"),
            "/subnets/10.0.0.0/24"
        );
        assert_eq!(percent_decode("/a%zz%2"), "/a%zz%2");
        assert!(has_flag("summary", "summary"));
        assert!(has_flag("pretty=1&summary", "summary"));
        assert!(!has_flag("summaryx", "summary"));
        assert!(etag_matches("W/\"a\", \"b\"", "\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"a\"", "\"b\""));
    }
}
