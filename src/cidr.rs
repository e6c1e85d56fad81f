//! Subnet keys as users type them (`--subnet`, `/subnets/<network>/<len>`)
//! turned into the canonical form the report uses as its keys.

/// `10.0.0.0/24` in canonical form (leading zeros and spaces removed);
/// also accepts `10.0.0.0%2F24` as written in URLs. An IPv6 prefix comes
/// out in RFC 5952 form (`2001:DB8:0:1:0::/64` is `2001:db8:0:1::/64`).
pub fn normalize_cidr(s: &str) -> Result<String, String> {
    let s = s.trim();
    let bad = || format!("'{s}' is not a subnet in CIDR form (10.0.0.0/24 or 2001:db8::/64)");
    let (addr, len) = s
        .split_once('/')
        .or_else(|| s.split_once("%2F"))
        .or_else(|| s.split_once("%2f"))
        .ok_or_else(bad)?;
    if addr.contains(':') {
        let a: std::net::Ipv6Addr = addr.parse().map_err(|_| bad())?;
        let len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= 128 && len.len() <= 3)
            .ok_or_else(bad)?;
        return Ok(format!("{a}/{len}"));
    }
    let mut octets = [0u8; 4];
    let mut parts = addr.split('.');
    for o in &mut octets {
        let part = parts.next().ok_or_else(bad)?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        *o = part.parse().map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    if len.is_empty() || len.len() > 2 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let len: u8 = len.parse().map_err(|_| bad())?;
    if len > 32 {
        return Err(bad());
    }
    Ok(format!("{}/{len}", std::net::Ipv4Addr::from(octets)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_normalisation() {
        assert_eq!(normalize_cidr("10.0.0.0/24"), Ok("10.0.0.0/24".into()));
        assert_eq!(normalize_cidr("010.000.0.0/8"), Ok("10.0.0.0/8".into()));
        assert!(normalize_cidr("10.0.0/24").is_err());
        assert!(normalize_cidr("10.0.0.0/33").is_err());
        assert!(normalize_cidr("10.0.0.256/24").is_err());
        assert_eq!(
            normalize_cidr("2001:DB8:0:1:0::%2F64"),
            Ok("2001:db8:0:1::/64".into())
        );
        assert!(normalize_cidr("2001:db8::/129").is_err());
        assert!(normalize_cidr("2001:db8::g/64").is_err());
    }
}
