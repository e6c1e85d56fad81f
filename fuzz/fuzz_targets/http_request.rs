//! Request heads: httparse with our limits never panics, and a complete
//! head is never longer than the input or the limit.
#![no_main]
use dhcpstats::http::request::{Head, MAX_HEAD, parse_head};
use dhcpstats::http::response::Response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_head(data) {
        Head::Complete(req, len) => {
            assert!(len <= data.len() && len <= MAX_HEAD);
            let r = Response::message(200, &req.target);
            let head = r.head(req.keep_alive, req.http10, "Thu, 01 Jan 1970 00:00:00 GMT");
            assert!(head.ends_with(b"\r\n\r\n"));
        }
        Head::Partial => assert!(data.len() < MAX_HEAD),
        Head::Rejected(r) => assert!((400..500).contains(&r.status)),
    }
});
