//! Responses: status, a few headers, and a body shared with the cache
//! (`Arc<Vec<u8>>`), serialized as an HTTP/1.1 head plus the body.

use std::sync::Arc;

pub const JSON: &str = "application/json";
pub const HTML: &str = "text/html; charset=utf-8";
pub const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Arc<Vec<u8>>,
    pub etag: Option<String>,
    /// Send `Allow: GET, HEAD` (405 answers).
    pub allow: bool,
    /// Close the connection after this answer.
    pub close: bool,
    /// More headers (policy, challenge, `Vary`).
    pub extra: Vec<(&'static str, &'static str)>,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: Arc<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            body,
            etag: None,
            allow: false,
            close: false,
            extra: Vec::new(),
        }
    }

    /// `{"message": …}` with a status.
    pub fn message(status: u16, message: &str) -> Response {
        let mut body =
            serde_json::to_vec(&serde_json::json!({ "message": message })).unwrap_or_default();
        body.push(b'\n');
        Response::new(status, JSON, body.into())
    }

    pub fn not_modified(etag: String) -> Response {
        let mut r = Response::new(304, JSON, Arc::new(Vec::new()));
        r.etag = Some(etag);
        r
    }

    /// The head; `head_only` answers to HEAD keep the body's length.
    pub fn head(&self, keep_alive: bool, http10: bool, date: &str) -> Vec<u8> {
        let mut h = Vec::with_capacity(256);
        h.extend_from_slice(
            format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status)).as_bytes(),
        );
        h.extend_from_slice(b"Server: dhcpstats\r\n");
        h.extend_from_slice(format!("Date: {date}\r\n").as_bytes());
        if self.status != 304 {
            h.extend_from_slice(format!("Content-Type: {}\r\n", self.content_type).as_bytes());
        }
        // A 304 has no body, and a Content-Length would claim one of that
        // size for the representation (RFC 9110 §8.6): none is sent.
        if self.status != 304 {
            h.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        h.extend_from_slice(b"Cache-Control: no-cache\r\n");
        if let Some(e) = &self.etag {
            h.extend_from_slice(format!("ETag: {e}\r\n").as_bytes());
        }
        if self.allow {
            h.extend_from_slice(b"Allow: GET, HEAD\r\n");
        }
        h.extend_from_slice(b"X-Content-Type-Options: nosniff\r\n");
        for (name, value) in &self.extra {
            h.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if !keep_alive || self.close {
            h.extend_from_slice(b"Connection: close\r\n");
        } else if http10 {
            h.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        h.extend_from_slice(b"\r\n");
        h
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_has_length_cache_control_and_connection() {
        let mut r = Response::message(404, "not found");
        let h = String::from_utf8(r.head(true, false, "Thu, 26 Nov 2026 02:00:00 GMT")).unwrap();
        assert!(h.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(h.contains("Content-Length: 24\r\n"), "{h}");
        assert!(h.contains("Cache-Control: no-cache\r\n"));
        assert!(!h.contains("Connection:"));
        r.allow = true;
        let h = String::from_utf8(r.head(true, true, "x")).unwrap();
        assert!(h.contains("Allow: GET, HEAD\r\n") && h.contains("Connection: keep-alive\r\n"));
        assert!(
            String::from_utf8(r.head(false, false, "x"))
                .unwrap()
                .contains("Connection: close\r\n")
        );
        assert_eq!(&*r.body, b"{\"message\":\"not found\"}\n");
    }
}
