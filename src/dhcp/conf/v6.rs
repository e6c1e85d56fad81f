//! The DHCPv6 declarations of a `dhcpd -6` configuration (GRAMMAR §2.3,
//! §2.5, §2.6): `subnet6`, `pool6`, every `range6` form, `prefix6`, and a
//! host's `fixed-address6`, `fixed-prefix6` and `host-identifier`. The
//! rest of the file (shared networks, groups, hosts, includes, options,
//! every other statement) is read by the same parser as a `dhcpd -4`
//! file: one grammar, two families.
//!
//! Sizes are 128-bit arithmetic on the addresses, never enumeration.

use std::net::Ipv6Addr;

use super::{Block, Ctx, Origin, Parser, Severity, at_origin};
use crate::dhcp::cursor::Cursor;
use crate::dhcp::lexer::{Kind, Token, unescape};
use crate::dhcp::values::{hex_colon, read_hex_list, read_ipv6, read_ipv6_prefix, read_prefix_len};

/// Which `dhcpd` reads the file: `-4` (the default) or `-6`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Family {
    #[default]
    V4,
    V6,
}

/// The first `len` bits of an address.
pub fn mask6(addr: u128, len: u8) -> u128 {
    match u32::from(len) {
        0 => 0,
        l if l >= 128 => addr,
        l => addr & !(u128::MAX >> l),
    }
}

/// A `range6`, normalised so that `low <= high`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range6 {
    pub low: Ipv6Addr,
    pub high: Ipv6Addr,
}

impl Range6 {
    /// Addresses in the range (saturating: only `::/0` exceeds it).
    pub fn size(&self) -> u128 {
        (u128::from(self.high) - u128::from(self.low)).saturating_add(1)
    }
}

/// A `prefix6 LOW HIGH /BITS;`: the `/BITS` prefixes from LOW to HIGH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixRange {
    pub low: Ipv6Addr,
    pub high: Ipv6Addr,
    pub bits: u8,
}

impl PrefixRange {
    /// Prefixes delegable from this pool.
    pub fn count(&self) -> u128 {
        let span = u128::from(self.high) - u128::from(self.low);
        span.checked_shr(128 - u32::from(self.bits))
            .unwrap_or(0)
            .saturating_add(1)
    }

    /// Is `prefix/len` one of this pool's prefixes?
    pub fn holds(&self, prefix: u128, len: u8) -> bool {
        len == self.bits && (u128::from(self.low)..=u128::from(self.high)).contains(&prefix)
    }
}

/// A `subnet6` declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet6 {
    pub network: Ipv6Addr,
    pub prefix_len: u8,
    /// `range6` for IA_NA, in declaration order (pool6 ranges included).
    pub ranges: Vec<Range6>,
    /// `range6 … temporary` (IA_TA).
    pub temporary: Vec<Range6>,
    /// `prefix6` pools (IA_PD); they may lie outside the subnet.
    pub prefixes: Vec<PrefixRange>,
    pub shared_network: Option<String>,
    /// Effective options (resolved after the whole file was read).
    pub options: super::Options,
    pub origin: Origin,
    pub(super) scope: usize,
}

impl Subnet6 {
    pub fn contains(&self, addr: u128) -> bool {
        mask6(addr, self.prefix_len) == u128::from(self.network)
    }

    /// The subnet's key in the JSON: `2001:db8:1::/64` (RFC 5952).
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.network, self.prefix_len)
    }
}

impl Parser<'_> {
    /// Reports a DHCPv6 statement in a `dhcpd -4` file or the reverse and
    /// skips it; `true` if the statement belongs to this file's family.
    pub(super) fn family_allows(
        &mut self,
        cur: &mut Cursor<'_>,
        kw: Token,
        word: &[u8],
        v6: bool,
    ) -> bool {
        let wanted = if v6 { Family::V6 } else { Family::V4 };
        if self.family == wanted {
            return true;
        }
        let word = String::from_utf8_lossy(word);
        let message = if v6 {
            format!(
                "{word} is only valid in a DHCPv6 configuration (dhcpd -6); dhcpd -4 refuses it: put it in subnet6_file"
            )
        } else {
            format!(
                "{word} is a DHCPv4 statement; dhcpd -6 refuses it (use its v6 form, or put it in subnet_file)"
            )
        };
        self.report(cur, kw.pos(), Severity::Error, message);
        self.skip(cur);
        false
    }

    /// `subnet6 PREFIX/LEN { … }`
    pub(super) fn subnet6(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) -> bool {
        let (network, prefix_len) = match read_ipv6_prefix(cur) {
            Ok(p) => p,
            Err(e) => {
                self.report_value(cur, e);
                self.skip(cur);
                return false;
            }
        };
        let Some(open) = self.open_block(cur, "subnet6") else {
            return false;
        };
        let masked = self.masked(cur, kw, network, prefix_len, "New subnet mask too short");
        if !matches!(ctx.block, Block::Root | Block::Shared | Block::Group) {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!(
                    "subnet6 declarations are not allowed inside {} (dhcpd rejects this)",
                    ctx.block.name()
                ),
            );
        }
        let key = (u128::from(masked), prefix_len);
        let scope = self.new_scope(ctx.scope);
        let index = if let Some(&i) = self.subnet6_index.get(&key) {
            let first = &self.conf.subnets6[i].origin;
            let message = format!(
                "subnet6 {masked}/{prefix_len} is already declared at {}:{} (dhcpd: \"overlaps subnet\"); its ranges are merged into the first declaration",
                first.file, first.line
            );
            self.report(cur, kw.pos(), Severity::Warning, message);
            i
        } else {
            let shared_network = ctx
                .shared
                .and_then(|s| self.shared.get(s))
                .map(|s| s.name.clone());
            self.conf.subnets6.push(Subnet6 {
                network: masked,
                prefix_len,
                ranges: Vec::new(),
                temporary: Vec::new(),
                prefixes: Vec::new(),
                shared_network,
                options: super::Options::default(),
                origin: Self::origin(cur, kw.pos()),
                scope,
            });
            let i = self.conf.subnets6.len() - 1;
            self.subnet6_index.insert(key, i);
            if let Some(s) = ctx.shared.and_then(|s| self.shared.get_mut(s)) {
                s.subnets6.push(i);
            }
            i
        };
        let inner = Ctx {
            block: Block::Subnet6,
            scope,
            subnet6: Some(index),
            subnet: None,
            pool: None,
            host: None,
            depth: ctx.depth + 1,
            ..ctx
        };
        self.body(cur, inner, open);
        true
    }

    /// `pool6 { … }`: only directly in a subnet6; its ranges and prefixes
    /// are the subnet6's.
    pub(super) fn pool6(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) -> bool {
        let Some(open) = self.open_block(cur, "pool6") else {
            return false;
        };
        let allowed = ctx.block == Block::Subnet6;
        if !allowed {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!("pool6 declarations are only allowed directly in a subnet6, not in {}; its ranges are ignored", ctx.block.name()),
            );
        }
        self.pools.push(0);
        let pool = self.pools.len() - 1;
        let scope = self.new_scope(ctx.scope);
        let inner = Ctx {
            block: Block::Pool6,
            scope,
            pool: allowed.then_some(pool),
            subnet6: if allowed { ctx.subnet6 } else { None },
            host: None,
            depth: ctx.depth + 1,
            ..ctx
        };
        self.body(cur, inner, open);
        if allowed && self.pools[pool] == 0 {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                "pool6 has no range6 or prefix6 statement (dhcpd: \"Pool declaration with no address range\")".to_string(),
            );
        }
        true
    }

    /// The subnet6 a `range6`/`prefix6` statement adds to, or `None`
    /// (reported) where such a statement is not allowed.
    fn pool_subnet6(&mut self, cur: &Cursor<'_>, ctx: Ctx, kw: Token, what: &str) -> Option<usize> {
        if !matches!(ctx.block, Block::Subnet6 | Block::Pool6) {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!("{what} is only allowed directly in a subnet6 or a pool6, not in {} (dhcpd: \"{what} declaration not allowed here\"); ignored", ctx.block.name()),
            );
            return None;
        }
        if let Some(p) = ctx.pool.and_then(|p| self.pools.get_mut(p)) {
            *p += 1;
        }
        ctx.subnet6
    }

    /// The prefix `a/len` starts; an error (dhcpd refuses it, saying
    /// `dhcpd_says`) if `a` has bits set past `/len`. `kw` names what.
    fn masked(
        &mut self,
        cur: &mut Cursor<'_>,
        kw: Token,
        a: Ipv6Addr,
        len: u8,
        dhcpd_says: &str,
    ) -> Ipv6Addr {
        let p = Ipv6Addr::from(mask6(u128::from(a), len));
        if p != a {
            let what = String::from_utf8_lossy(cur.text(kw)).to_ascii_lowercase();
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!("{what} {a}/{len} has bits set past /{len} (dhcpd: \"{dhcpd_says}\"); read as {p}/{len}"),
            );
        }
        p
    }

    /// `range6 LOW HIGH;`, `range6 P/N [temporary];`, `range6 A temporary;`
    pub(super) fn range6(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) {
        let first = match read_ipv6(cur) {
            Ok(a) => a,
            Err(e) => {
                self.report_value(cur, e);
                self.skip(cur);
                return;
            }
        };
        let next = cur.peek();
        let (low, high, temporary) = if next.is_punct(b'/') {
            cur.bump();
            let len = match read_prefix_len(cur) {
                Ok(l) => l,
                Err(e) => {
                    self.report_value(cur, e);
                    self.skip(cur);
                    return;
                }
            };
            let low = mask6(u128::from(first), len);
            self.masked(cur, kw, first, len, "network mask too short");
            let temporary = cur.eat_word("temporary");
            (low, low | !mask6(u128::MAX, len), temporary)
        } else if cur.eat_word("temporary") {
            // `range6 A temporary;` is the /64 that starts at A.
            let low = mask6(u128::from(first), 64);
            self.masked(cur, kw, first, 64, "network mask too short");
            (low, low | !mask6(u128::MAX, 64), true)
        } else if next.kind == Kind::Word || next.is_punct(b':') {
            let second = match read_ipv6(cur) {
                Ok(a) => a,
                Err(e) => {
                    self.report_value(cur, e);
                    self.skip(cur);
                    return;
                }
            };
            let (a, b) = (u128::from(first), u128::from(second));
            (a.min(b), a.max(b), false)
        } else {
            self.report(
                cur,
                next.pos(),
                Severity::Error,
                format!("range6 needs a second address, a /length or 'temporary' after {first}; one address is written {first}/128 (dhcpd: \"Invalid IPv6 address\")"),
            );
            self.skip(cur);
            return;
        };
        if !self.expect_semicolon(cur, "range6") {
            return;
        }
        let Some(si) = self.pool_subnet6(cur, ctx, kw, "range6") else {
            return;
        };
        let Some(s) = self.conf.subnets6.get_mut(si) else {
            return;
        };
        if !s.contains(low) || !s.contains(high) {
            let which = if s.contains(low) { "end" } else { "start" };
            let message = format!(
                "range6 {}-{} is outside subnet6 {} (dhcpd: \"range6 {which} address is outside the subnet\"); ignored",
                Ipv6Addr::from(low),
                Ipv6Addr::from(high),
                s.cidr()
            );
            self.report(cur, kw.pos(), Severity::Error, message);
            return;
        }
        let range = Range6 {
            low: Ipv6Addr::from(low),
            high: Ipv6Addr::from(high),
        };
        if temporary {
            s.temporary.push(range);
        } else {
            s.ranges.push(range);
        }
    }

    /// `prefix6 LOW HIGH /BITS;`
    pub(super) fn prefix6(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) {
        let low = match read_ipv6(cur) {
            Ok(a) => a,
            Err(e) => {
                self.report_value(cur, e);
                self.skip(cur);
                return;
            }
        };
        let (high, bits) = match read_ipv6_prefix(cur) {
            Ok(p) => p,
            Err(e) => {
                self.report_value(cur, e);
                self.skip(cur);
                return;
            }
        };
        if !self.expect_semicolon(cur, "prefix6") {
            return;
        }
        let Some(si) = self.pool_subnet6(cur, ctx, kw, "prefix6") else {
            return;
        };
        for a in [low, high] {
            if mask6(u128::from(a), bits) != u128::from(a) {
                self.report(
                    cur,
                    kw.pos(),
                    Severity::Error,
                    format!("prefix6 address {a} is not a /{bits} boundary (dhcpd: \"network mask too short\"); ignored"),
                );
                return;
            }
        }
        let (l, h) = (u128::from(low), u128::from(high));
        let range = PrefixRange {
            low: Ipv6Addr::from(l.min(h)),
            high: Ipv6Addr::from(l.max(h)),
            bits,
        };
        if let Some(s) = self.conf.subnets6.get_mut(si) {
            s.prefixes.push(range);
        }
    }

    /// A host's `fixed-address6 A[, B…];`, `fixed-prefix6 P/N;` and
    /// `host-identifier option dhcp6.client-id VALUE;` (or `v6relopt N
    /// option …`).
    pub(super) fn host_item6(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token, word: &[u8]) {
        let what = String::from_utf8_lossy(word).into_owned();
        if ctx.block != super::Block::Host {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!("{what} is only allowed inside a host declaration; ignored"),
            );
            self.skip(cur);
            return;
        }
        match word {
            b"fixed-address6" => {
                let mut list = Vec::new();
                loop {
                    match read_ipv6(cur) {
                        Ok(a) => list.push(a),
                        Err(e) => {
                            self.report_value(cur, e);
                            self.skip(cur);
                            return;
                        }
                    }
                    if !cur.eat_punct(b',') {
                        break;
                    }
                }
                if self.expect_semicolon(cur, "fixed-address6") {
                    self.with_host(ctx, |h| h.fixed_addresses6.extend(list));
                }
            }
            b"fixed-prefix6" => match read_ipv6_prefix(cur) {
                Ok((a, len)) => {
                    if !self.expect_semicolon(cur, "fixed-prefix6") {
                        return;
                    }
                    let p = self.masked(cur, kw, a, len, "network mask too short");
                    self.with_host(ctx, |h| h.fixed_prefixes6.push((p, len)));
                }
                Err(e) => {
                    self.report_value(cur, e);
                    self.skip(cur);
                }
            },
            _ => self.host_identifier(cur, ctx),
        }
    }

    /// `host-identifier option NAME VALUE;` or, as dhcpd reads it (its
    /// manual page adds an `option` dhcpd refuses), `host-identifier
    /// v6relopt N NAME VALUE;`. NAME must be an option dhcpd knows.
    fn host_identifier(&mut self, cur: &mut Cursor<'_>, ctx: Ctx) {
        let leading = if cur.eat_word("v6relopt") {
            let t = cur.peek();
            let is_number = t.kind == Kind::Word && cur.text(t).iter().all(u8::is_ascii_digit);
            if !is_number {
                self.report(
                    cur,
                    t.pos(),
                    Severity::Error,
                    format!(
                        "expected a relay number after v6relopt (host-identifier v6relopt N OPTION VALUE), found {}",
                        cur.describe(t)
                    ),
                );
                self.skip(cur);
                return;
            }
            cur.bump();
            true
        } else {
            cur.eat_word("option")
        };
        if !leading {
            let t = cur.peek();
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                format!(
                    "expected 'option' or 'v6relopt N' after host-identifier, found {}",
                    cur.describe(t)
                ),
            );
            self.skip(cur);
            return;
        }
        // The option's name (`dhcp6.client-id`), known to dhcpd, then its
        // value: a hex list or a string, kept as written.
        let known = crate::dhcp::statements::Checker::new(cur, &mut self.known).option_reference();
        if let Err(p) = known {
            self.report(cur, p.at, Severity::Error, p.message);
            self.skip(cur);
            return;
        }
        let t = cur.peek();
        let value = if t.kind == Kind::Str {
            cur.bump();
            String::from_utf8_lossy(&unescape(cur.text(t))).into_owned()
        } else {
            match read_hex_list(cur) {
                Ok(bytes) => hex_colon(&bytes),
                Err(e) => {
                    self.report_value(cur, e);
                    self.skip(cur);
                    return;
                }
            }
        };
        if self.expect_semicolon(cur, "host-identifier") {
            self.with_host(ctx, |h| h.client_id = Some(value));
        }
    }

    /// The values of `dhcp6.name-servers` (RFC 5952 text).
    pub(super) fn ipv6_list(&mut self, cur: &mut Cursor<'_>, what: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        loop {
            match read_ipv6(cur) {
                Ok(a) => out.push(a.to_string()),
                Err(mut e) => {
                    e.message = format!("in option {what}: {}", e.message);
                    self.report_value(cur, e);
                    self.skip(cur);
                    return None;
                }
            }
            if !cur.eat_punct(b',') {
                break;
            }
        }
        self.expect_semicolon(cur, &format!("option {what}"))
            .then_some(out)
    }

    /// The values of `dhcp6.domain-search`: quoted names.
    pub(super) fn string_list(&mut self, cur: &mut Cursor<'_>, what: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        loop {
            let t = cur.bump();
            if t.kind != Kind::Str || t.unterminated {
                self.report(
                    cur,
                    t.pos(),
                    Severity::Error,
                    format!(
                        "in option {what}: expected a quoted domain name, found {}",
                        cur.describe(t)
                    ),
                );
                self.skip(cur);
                return None;
            }
            out.push(String::from_utf8_lossy(&unescape(cur.text(t))).into_owned());
            if !cur.eat_punct(b',') {
                break;
            }
        }
        self.expect_semicolon(cur, &format!("option {what}"))
            .then_some(out)
    }

    /// A shared network with only subnet6 members is not empty.
    pub(super) fn shared_has_subnets(&self, shared: usize) -> bool {
        self.shared
            .get(shared)
            .is_some_and(|s| !s.subnets.is_empty() || !s.subnets6.is_empty())
    }
}

/// Reports hosts of a `dhcpd -6` file that the report cannot place: a
/// DHCPv4 fixed address in a v6 file means nothing to dhcpd -6.
pub fn v4_items_in_v6(conf: &super::Conf, diags: &mut crate::diag::Diagnostics) {
    let Some(s) = conf.subnets.first() else {
        return;
    };
    // Alone, dhcpd -6 passes over v4 subnets; next to a subnet6 it stops
    // at start ("subnet_number(): Addr/mask length mismatch").
    let diag = match conf.subnets6.first() {
        None => at_origin(
            &s.origin,
            Severity::Warning,
            format!(
                "subnet {} is a DHCPv4 subnet in a DHCPv6 configuration: dhcpd -6 ignores it, and so does dhcpstats (it belongs in subnet_file)",
                s.cidr()
            ),
        ),
        Some(s6) => at_origin(
            &s.origin,
            Severity::Error,
            format!(
                "subnet {} is a DHCPv4 subnet in a DHCPv6 configuration that declares subnet6 {}: dhcpd -6 refuses to start (\"Addr/mask length mismatch\"); move it to the DHCPv4 file (subnet_file)",
                s.cidr(),
                s6.cidr()
            ),
        ),
    };
    diags.push(diag);
}
