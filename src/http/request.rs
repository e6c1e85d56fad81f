//! Reading a request head with httparse, within fixed limits.
//!
//! [`parse_head`] is called on a connection's buffer each time bytes
//! arrive; it never retries without bound (the caller caps the buffer at
//! [`MAX_HEAD`] and the head has a deadline), and it copies out only the
//! few headers the routes need, so the buffer can be reused at once.

/// Largest request head accepted (request line and headers).
pub const MAX_HEAD: usize = 8 * 1024;
/// Most headers accepted.
pub const MAX_HEADERS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Other,
}

/// What the routes need of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The method as sent, for the access log.
    pub method_text: String,
    /// The request target as sent (path and query).
    pub target: String,
    pub http10: bool,
    /// The client wants the connection kept open after the answer.
    pub keep_alive: bool,
    pub api_key: Option<Vec<u8>>,
    /// The token of `Authorization: Bearer <token>`.
    pub bearer: Option<Vec<u8>>,
    pub if_none_match: Option<String>,
    /// The password of `Authorization: Basic …` (browsers; the user
    /// name is ignored).
    pub basic: Option<Vec<u8>>,
    /// `Accept` ranks HTML above JSON (a browser, not curl or a script).
    pub prefers_html: bool,
}

/// A request that cannot be served; the connection is closed after the
/// answer because its framing cannot be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub message: &'static str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// A complete head of `len` bytes.
    Complete(Request, usize),
    /// More bytes are needed.
    Partial,
    Rejected(Rejection),
}

const fn reject(status: u16, message: &'static str) -> Head {
    Head::Rejected(Rejection { status, message })
}

/// Parses the head at the start of `buf`.
pub fn parse_head(buf: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            return if buf.len() >= MAX_HEAD {
                reject(431, "request head too large (limit 8 KiB)")
            } else {
                Head::Partial
            };
        }
        Err(httparse::Error::TooManyHeaders) => return reject(431, "too many headers (limit 64)"),
        Err(_) => return reject(400, "malformed request"),
    };
    if len > MAX_HEAD {
        return reject(431, "request head too large (limit 8 KiB)");
    }
    let (Some(method_text), Some(target), Some(version)) = (req.method, req.path, req.version)
    else {
        return reject(400, "malformed request");
    };
    let method = match method_text {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        _ => Method::Other,
    };
    let http10 = version == 0;
    let mut keep_alive = !http10;
    let mut api_key = None;
    let mut bearer = None;
    let mut if_none_match = None;
    let mut basic = None;
    let mut prefers_html = false;
    let mut content_length: Option<u64> = None;
    for h in req.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && http10 {
                    keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("x-api-key") {
            api_key = Some(h.value.trim_ascii().to_vec());
        } else if name.eq_ignore_ascii_case("authorization") {
            let v = h.value.trim_ascii();
            if let Some(token) = v
                .get(..7)
                .filter(|p| p.eq_ignore_ascii_case(b"bearer "))
                .and(v.get(7..))
            {
                bearer = Some(token.trim_ascii().to_vec());
            } else if let Some(coded) = v
                .get(..6)
                .filter(|p| p.eq_ignore_ascii_case(b"basic "))
                .and(v.get(6..))
            {
                basic = basic_password(coded.trim_ascii());
            }
        } else if name.eq_ignore_ascii_case("accept") {
            prefers_html = accepts_html_first(h.value);
        } else if name.eq_ignore_ascii_case("if-none-match") {
            if_none_match = Some(String::from_utf8_lossy(h.value).into_owned());
        } else if name.eq_ignore_ascii_case("content-length") {
            let Some(n) = std::str::from_utf8(h.value)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
            else {
                return reject(400, "invalid Content-Length");
            };
            if content_length.is_some_and(|c| c != n) {
                return reject(400, "conflicting Content-Length headers");
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return reject(400, "request bodies are not accepted (Transfer-Encoding)");
        }
    }
    if content_length.is_some_and(|n| n > 0) {
        return reject(413, "request bodies are not accepted");
    }
    Head::Complete(
        Request {
            method,
            method_text: method_text.chars().take(16).collect(),
            target: target.chars().take(MAX_HEAD).collect(),
            http10,
            keep_alive,
            api_key,
            bearer,
            if_none_match,
            basic,
            prefers_html,
        },
        len,
    )
}

/// The password of Basic credentials (`base64(user:password)`).
fn basic_password(coded: &[u8]) -> Option<Vec<u8>> {
    let plain = crate::codec::base64_decode(coded)?;
    let colon = plain.iter().position(|&c| c == b':')?;
    plain.get(colon + 1..).map(<[u8]>::to_vec)
}

/// Does an `Accept` header rank `text/html` above `application/json`?
/// Each is given the quality of the most specific range that matches it
/// (`text/html` over `text/*` over `*/*`); a tie goes to JSON, so `*/*`
/// (curl) and no header at all get JSON, and a browser's
/// `text/html,…,*/*;q=0.8` gets HTML.
fn accepts_html_first(accept: &[u8]) -> bool {
    let text = String::from_utf8_lossy(accept);
    // (specificity, quality) of the best match so far for each type.
    let mut html: Option<(u8, f32)> = None;
    let mut json: Option<(u8, f32)> = None;
    for item in text.split(',') {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let specificity = |wanted_type: &str, wanted: &str| -> Option<u8> {
            if range == wanted {
                Some(2)
            } else if range == format!("{wanted_type}/*") {
                Some(1)
            } else if range == "*/*" {
                Some(0)
            } else {
                None
            }
        };
        for (slot, (t, full)) in [
            (&mut html, ("text", "text/html")),
            (&mut json, ("application", "application/json")),
        ] {
            if let Some(s) = specificity(t, full) {
                if slot.is_none_or(|(best, _)| s > best) {
                    *slot = Some((s, quality));
                }
            }
        }
    }
    let q = |m: Option<(u8, f32)>| m.map_or(0.0, |(_, q)| q);
    html.is_some_and(|(s, _)| s > 0) && q(html) > q(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(raw: &[u8]) -> (Request, usize) {
        match parse_head(raw) {
            Head::Complete(r, n) => (r, n),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keep_alive_rules() {
        let (r, n) =
            complete(b"GET /subnets?summary HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n");
        assert_eq!(
            (r.method, r.target.as_str(), r.keep_alive, r.http10),
            (Method::Get, "/subnets?summary", true, false)
        );
        assert_eq!(n, 42);
        let (r, _) = complete(b"GET / HTTP/1.0\r\n\r\n");
        assert!(!r.keep_alive && r.http10);
        let (r, _) = complete(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assert!(r.keep_alive);
        let (r, _) = complete(b"HEAD / HTTP/1.1\r\nConnection: foo, close\r\n\r\n");
        assert!(!r.keep_alive);
        assert_eq!(r.method, Method::Head);
    }

    #[test]
    fn credentials_and_conditions() {
        let (r, _) = complete(
            b"GET /metrics HTTP/1.1\r\nX-Api-Key:  s3cret \r\nAuthorization: Bearer tok\r\nIf-None-Match: \"g1-00\"\r\n\r\n",
        );
        assert_eq!(r.api_key.as_deref(), Some(&b"s3cret"[..]));
        assert_eq!(r.bearer.as_deref(), Some(&b"tok"[..]));
        assert_eq!(r.if_none_match.as_deref(), Some("\"g1-00\""));
    }

    #[test]
    fn browsers_prefer_html_and_scripts_json() {
        for (accept, html) in [
            (
                "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
                true,
            ),
            ("text/html", true),
            ("TEXT/HTML; q=0.9, application/json;q=0.5", true),
            ("*/*", false),
            ("application/json", false),
            ("text/html, application/json", false),
            ("application/json, text/html;q=0.5", false),
            ("text/*", true),
            ("text/html;q=0", false),
            ("", false),
        ] {
            assert_eq!(accepts_html_first(accept.as_bytes()), html, "{accept}");
        }
        let (r, _) = complete(b"GET / HTTP/1.1\r\n\r\n");
        assert!(!r.prefers_html, "no Accept header: JSON");
    }

    #[test]
    fn basic_credentials_give_the_password() {
        // user:pa:ss -> the password is everything after the first colon.
        let (r, _) = complete(b"GET / HTTP/1.1\r\nAuthorization: basic dXNlcjpwYTpzcw==\r\n\r\n");
        assert_eq!(r.basic.as_deref(), Some(&b"pa:ss"[..]));
        assert_eq!(r.bearer, None);
        let (r, _) = complete(b"GET / HTTP/1.1\r\nAuthorization: Basic !!!\r\n\r\n");
        assert_eq!(r.basic, None);
        let (r, _) = complete(b"GET / HTTP/1.1\r\nAuthorization: Basic bm9jb2xvbg==\r\n\r\n");
        assert_eq!(r.basic, None, "no colon: not Basic credentials");
    }

    #[test]
    fn rejections() {
        assert_eq!(parse_head(b"GET / HTTP/1.1\r\nHost"), Head::Partial);
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"),
            Head::Rejected(Rejection { status: 413, .. })
        ));
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Head::Rejected(Rejection { status: 400, .. })
        ));
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Head::Rejected(Rejection { status: 400, .. })
        ));
        assert!(matches!(
            parse_head(b"\x00\x01 / HTTP/1.1\r\n\r\n"),
            Head::Rejected(Rejection { status: 400, .. })
        ));
        let many: Vec<u8> = [&b"GET / HTTP/1.1\r\n"[..], &b"A: b\r\n".repeat(65), b"\r\n"].concat();
        assert!(matches!(
            parse_head(&many),
            Head::Rejected(Rejection { status: 431, .. })
        ));
        let big: Vec<u8> = [&b"GET / HTTP/1.1\r\nX: "[..], &vec![b'a'; MAX_HEAD]].concat();
        assert!(matches!(
            parse_head(&big),
            Head::Rejected(Rejection { status: 431, .. })
        ));
        // Content-Length: 0 on a GET is harmless.
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
            Head::Complete(..)
        ));
    }

    #[test]
    fn every_prefix_is_partial_or_complete() {
        let raw = b"GET /subnets/10.0.0.0/24?pretty HTTP/1.1\r\nHost: a\r\nX-Api-Key: k\r\n\r\n";
        for n in 0..raw.len() {
            assert_eq!(parse_head(&raw[..n]), Head::Partial, "prefix {n}");
        }
        assert!(matches!(parse_head(raw), Head::Complete(_, n) if n == raw.len()));
    }
}
