//! `dhcpstats alarm --url`: the numbers from a running dhcpstats instead
//! of the files. A small blocking HTTP/1.1 client over `std::net` (no new
//! dependency): one `GET` per connection, `Connection: close`, timeouts on
//! connect, read and write, a cap on the answer's size. Every failure is a
//! sentence for the UNKNOWN line.

use std::fmt;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::{PoolKind, SubnetNumbers};

/// How long to wait for the server at each step.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest answer read (a summary of thousands of subnets is far
/// smaller).
const MAX_ANSWER: u64 = 64 * 1024 * 1024;

/// `http://host[:port][/prefix]`, as given to `--url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    host: String,
    port: u16,
    prefix: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!(
                "--url: '{url}' must start with http:// (put TLS in front with nginx, not here)"
            )
        })?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        // `[v6]:port`, `[v6]`, `host:port` or `host`.
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let (h, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| format!("--url: '{url}' has an unclosed '['"))?;
                (h, after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| format!("--url: '{p}' is not a port"))?,
            None => 80,
        };
        if host.is_empty() {
            return Err(format!("--url: '{url}' has no host"));
        }
        Ok(Target {
            host: host.to_string(),
            port,
            prefix: path.trim_end_matches('/').to_string(),
        })
    }

    /// `GET prefix+path`: the body of a 200 answer.
    pub fn get(&self, path: &str, key: Option<&[u8]>) -> Result<Vec<u8>, String> {
        let where_ = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let addrs: Vec<_> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {where_}: {e}"))?
            .collect();
        let mut last = format!("{where_} has no address");
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, TIMEOUT) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = format!("cannot connect to {where_}: {e}"),
            }
        }
        let mut stream = stream.ok_or(last)?;
        let io = |e: std::io::Error| format!("talking to {where_}: {e}");
        stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
        stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
        let mut request = format!(
            "GET {}{path} HTTP/1.1\r\nHost: {where_}\r\nConnection: close\r\nAccept: application/json\r\n",
            self.prefix
        )
        .into_bytes();
        if let Some(k) = key {
            request.extend_from_slice(b"X-Api-Key: ");
            request.extend_from_slice(k);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        stream.write_all(&request).map_err(io)?;
        let mut answer = Vec::new();
        stream
            .take(MAX_ANSWER)
            .read_to_end(&mut answer)
            .map_err(io)?;
        parse_response(&answer).map_err(|e| format!("{where_}{}{path}: {e}", self.prefix))
    }
}

/// Status and body of a complete HTTP/1.1 answer.
fn parse_response(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut r = httparse::Response::new(&mut headers);
    let head_len = match r.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("the answer ended early".to_string()),
        Err(e) => return Err(format!("not an HTTP answer ({e})")),
    };
    let body = bytes.get(head_len..).unwrap_or_default();
    let length = r
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let body = match length {
        Some(n) if body.len() < n => return Err("the answer ended early".to_string()),
        Some(n) => body.get(..n).unwrap_or(body),
        None => body,
    };
    match r.code {
        Some(200) => Ok(body.to_vec()),
        Some(401) => Err("401: the key was refused (--key-file)".to_string()),
        Some(code) => {
            let message = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_default();
            Err(format!("HTTP {code} {message}").trim_end().to_string())
        }
        None => Err("no status code".to_string()),
    }
}

#[derive(Deserialize)]
struct Ips {
    total: u128,
    active: u128,
    abandoned: u128,
}

#[derive(Deserialize)]
struct Summary {
    ips: Ips,
    shared_network: Option<String>,
    /// DHCPv6 temporary and prefix pools, when the subnet6 has them.
    temporary: Option<Ips>,
    prefixes: Option<Ips>,
}

/// `/subnets?summary` in the order the server wrote it (declaration order;
/// a map type would sort the keys).
struct InOrder(Vec<SubnetNumbers>);

impl<'de> Deserialize<'de> for InOrder {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<InOrder, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = InOrder;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of subnets")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InOrder, A::Error> {
                let mut out = Vec::new();
                while let Some((cidr, s)) = map.next_entry::<String, Summary>()? {
                    for (kind, ips) in [
                        (PoolKind::Addresses, Some(s.ips)),
                        (PoolKind::Temporary, s.temporary),
                        (PoolKind::Prefixes, s.prefixes),
                    ] {
                        if let Some(ips) = ips {
                            out.push(SubnetNumbers {
                                cidr: cidr.clone(),
                                shared_network: s.shared_network.clone(),
                                total: ips.total,
                                active: ips.active,
                                abandoned: ips.abandoned,
                                kind,
                            });
                        }
                    }
                }
                Ok(InOrder(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct Diagnostics {
    errors: u64,
}

#[derive(Deserialize)]
struct Status {
    stale: bool,
    last_error: Option<String>,
    diagnostics: Diagnostics,
}

/// What a server says: its subnets, and reasons for at least WARNING.
pub fn fetch(
    target: &Target,
    key: Option<&[u8]>,
) -> Result<(Vec<SubnetNumbers>, Vec<String>), String> {
    let body = target.get("/subnets?summary", key)?;
    let subnets: InOrder = serde_json::from_slice(&body)
        .map_err(|e| format!("/subnets?summary is not what dhcpstats answers: {e}"))?;
    let body = target.get("/status", key)?;
    let status: Status = serde_json::from_slice(&body)
        .map_err(|e| format!("/status is not what dhcpstats answers: {e}"))?;
    let mut problems = Vec::new();
    if status.stale {
        problems.push(format!(
            "the server's data is stale: {}",
            status
                .last_error
                .unwrap_or_else(|| "its last read failed".to_string())
        ));
    }
    if status.diagnostics.errors > 0 {
        problems.push(format!(
            "the input files have {} error(s); run `dhcpstats check`",
            status.diagnostics.errors
        ));
    }
    Ok((subnets.0, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_operators_write_them() {
        let t = Target::parse("http://dhcp1:8067").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (t.host.as_str(), t.port, t.prefix.as_str()),
            ("dhcp1", 8067, "")
        );
        let t = Target::parse("http://[::1]:8067/dhcp/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (t.host.as_str(), t.port, t.prefix.as_str()),
            ("::1", 8067, "/dhcp")
        );
        let t = Target::parse("http://dhcp1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.port, 80);
        let t = Target::parse("http://[::1]/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((t.host.as_str(), t.port), ("::1", 80));
        assert!(Target::parse("http://[::1:8067").is_err());
        assert!(Target::parse("https://dhcp1").is_err());
        assert!(Target::parse("http://dhcp1:port").is_err());
        assert!(Target::parse("http://:80").is_err());
    }

    #[test]
    fn answers_are_checked() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_response(ok), Ok(b"{}".to_vec()));
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{}";
        assert!(parse_response(short).is_err());
        let refused = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
        assert!(
            parse_response(refused)
                .unwrap_err()
                .contains("key was refused")
        );
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }
}
