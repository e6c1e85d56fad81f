//! The `dhcpd.conf` parser (GRAMMAR §2): subnets, ranges, hosts and the
//! handful of options dhcpstats reports, out of a file that may contain any
//! dhcpd statement.
//!
//! Entry point: [`parse`], which takes the bytes of the main file and an
//! [`IncludeLoader`] (the only way this module reaches other files; it does
//! no I/O itself) and returns a [`Conf`] plus diagnostics.
//!
//! How it reads: recursive descent over blocks (`subnet`, `shared-network`,
//! `pool`, `group`, `host`), one function per declaration, with a nesting
//! limit ([`MAX_DEPTH`]). Everything it does not need (classes, `if`, `on`,
//! keys, zones, failover peers, option definitions, …) is skipped token-wise
//! with brace tracking, so strings and comments never confuse it. After a
//! problem it resumes at the next statement; a declaration with a broken
//! header is skipped as a whole block.
//!
//! Options are recorded per lexical scope and resolved at the end, because
//! dhcpd evaluates scopes at run time: a global option written after a
//! subnet still applies to it. A subnet's effective options come from the
//! chain global < groups < shared-network < groups < subnet; pools and
//! hosts have scopes of their own that do not leak into the subnet.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;

use super::cursor::Cursor;
use super::lexer::{Kind, Mode, Token, unescape};
use super::statements::{self, Checker, Known, Place};
use super::values::{
    AddressOrName, ValueError, hex_colon, mask_prefix, read_address_or_name, read_dotted_name,
    read_hex_list, read_ipv4,
};
use crate::diag::{Diagnostic, Diagnostics, Severity};

mod v6;
pub use v6::{Family, PrefixRange, Range6, Subnet6, mask6, v4_items_in_v6};

/// Blocks nested deeper than this are skipped with an error instead of
/// being parsed recursively (a file of 100 000 `group {` must not overflow
/// the stack; real files nest three or four levels).
pub const MAX_DEPTH: u32 = 64;

/// Includes nested deeper than this are refused.
pub const MAX_INCLUDE_DEPTH: u32 = 16;

/// At most this many includes are read in all (a file that includes
/// another twice, sixteen levels deep, would otherwise mean 65 536 reads):
/// sites that keep one file per host have thousands, not tens of
/// thousands.
pub const MAX_INCLUDED_FILES: usize = 10_000;

/// At most this many bytes are read through includes in all.
pub const MAX_INCLUDED_BYTES: u64 = 512 * 1024 * 1024;

/// dhcpd's token buffer: a token or blank run this long is refused.
pub const DHCPD_TOKEN_BUFFER: usize = 1500;

/// Where a declaration was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

/// One `range` statement, normalised so that `low <= high`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    pub low: Ipv4Addr,
    pub high: Ipv4Addr,
    pub dynamic_bootp: bool,
}

impl Range {
    pub fn size(&self) -> u64 {
        u64::from(u32::from(self.high)) - u64::from(u32::from(self.low)) + 1
    }
}

/// The options dhcpstats reports; `None` means "not set in this scope".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub routers: Option<Vec<String>>,
    pub dns_servers: Option<Vec<String>>,
    pub ntp_servers: Option<Vec<String>>,
    pub domain_name: Option<String>,
    pub ddns_domain_name: Option<String>,
    /// `dhcp6.domain-search` (DHCPv6; `dns_servers` holds
    /// `dhcp6.name-servers` there).
    pub domain_search: Option<Vec<String>>,
}

impl Options {
    /// Values set in `more` replace ours (a more specific scope wins).
    fn overlay(&mut self, more: &Options) {
        if more.routers.is_some() {
            self.routers.clone_from(&more.routers);
        }
        if more.dns_servers.is_some() {
            self.dns_servers.clone_from(&more.dns_servers);
        }
        if more.ntp_servers.is_some() {
            self.ntp_servers.clone_from(&more.ntp_servers);
        }
        if more.domain_name.is_some() {
            self.domain_name.clone_from(&more.domain_name);
        }
        if more.ddns_domain_name.is_some() {
            self.ddns_domain_name.clone_from(&more.ddns_domain_name);
        }
        if more.domain_search.is_some() {
            self.domain_search.clone_from(&more.domain_search);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
    pub network: Ipv4Addr,
    pub prefix_len: u8,
    pub mask: Ipv4Addr,
    /// In declaration order, including ranges of shared-network pools
    /// attributed to this subnet by address.
    pub ranges: Vec<Range>,
    /// Name of the enclosing explicit `shared-network`.
    pub shared_network: Option<String>,
    /// Effective options (resolved after the whole file was read).
    pub options: Options,
    pub origin: Origin,
    scope: usize,
}

impl Subnet {
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & u32::from(self.mask) == u32::from(self.network)
    }

    /// The subnet's key in the JSON: `10.0.0.0/24`.
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.network, self.prefix_len)
    }
}

/// `hardware TYPE ADDRESS;` with the address normalised to `aa:bb:…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hardware {
    pub kind: String,
    pub address: String,
}

/// A `host` declaration (from dhcpd.conf or from an OMAPI entry in the
/// lease file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub hardware: Option<Hardware>,
    pub fixed_addresses: Vec<AddressOrName>,
    pub host_name: Option<String>,
    pub ddns_hostname: Option<String>,
    /// DHCPv6: `fixed-address6`, `fixed-prefix6`, and the value of
    /// `host-identifier option …` as written.
    pub fixed_addresses6: Vec<std::net::Ipv6Addr>,
    pub fixed_prefixes6: Vec<(std::net::Ipv6Addr, u8)>,
    pub client_id: Option<String>,
    pub origin: Origin,
}

/// What the configuration declares, in declaration order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conf {
    pub subnets: Vec<Subnet>,
    /// `subnet6` declarations (a `dhcpd -6` file).
    pub subnets6: Vec<Subnet6>,
    pub hosts: Vec<Host>,
}

/// A file brought in by `include`.
pub struct Loaded {
    /// Name used in diagnostics (the path as resolved).
    pub display: Arc<str>,
    /// Identity for cycle detection (a canonical path).
    pub identity: PathBuf,
    pub bytes: Vec<u8>,
}

/// The parser's only door to the file system: resolve and read an
/// `include "name";` written in the file `from`.
pub trait IncludeLoader {
    /// Returns the file, or a message saying why it cannot be read.
    fn load(&mut self, name: &str) -> Result<Loaded, String>;
}

/// A loader for inputs that have no includes (tests, fuzzing): every
/// include fails with a clear message.
pub struct NoIncludes;

impl IncludeLoader for NoIncludes {
    fn load(&mut self, name: &str) -> Result<Loaded, String> {
        Err(format!(
            "cannot open include \"{name}\": includes are not available here"
        ))
    }
}

/// Parses a `dhcpd -4` configuration file and everything it includes.
pub fn parse(main: &Loaded, loader: &mut dyn IncludeLoader, diags: &mut Diagnostics) -> Conf {
    parse_family(main, loader, diags, Family::V4)
}

/// Parses a configuration file as `dhcpd -4` or `dhcpd -6` reads it.
pub fn parse_family(
    main: &Loaded,
    loader: &mut dyn IncludeLoader,
    diags: &mut Diagnostics,
    family: Family,
) -> Conf {
    let mut p = Parser {
        family,
        subnet6_index: HashMap::new(),
        loader,
        diags,
        conf: Conf::default(),
        scopes: vec![Scope {
            parent: None,
            options: Options::default(),
        }],
        shared: Vec::new(),
        pools: Vec::new(),
        host_index: HashMap::new(),
        subnet_index: HashMap::new(),
        include_stack: vec![main.identity.clone()],
        range_set: RangeSet::default(),
        all_ranges: Vec::new(),
        range_subnet: Vec::new(),
        included_files: 0,
        included_bytes: 0,
        includes_exhausted: false,
        known: Known::default(),
        group_names: HashSet::new(),
    };
    let mut cur = Cursor::new(&main.bytes, Mode::Conf, main.display.clone());
    p.buffer_limits(&cur);
    let ctx = Ctx {
        block: Block::Root,
        scope: 0,
        subnet: None,
        subnet6: None,
        shared: None,
        pool: None,
        host: None,
        depth: 0,
        include_depth: 0,
        in_include: false,
    };
    p.items(&mut cur, ctx, None);
    p.finish()
}

/// Parses bytes that include nothing (tests, fuzzing, `static_file`s
/// handed over by callers that resolve includes themselves).
pub fn parse_bytes(name: &str, bytes: &[u8], diags: &mut Diagnostics) -> Conf {
    let main = Loaded {
        display: Arc::from(name),
        identity: PathBuf::from(name),
        bytes: bytes.to_vec(),
    };
    parse(&main, &mut NoIncludes, diags)
}

struct Scope {
    parent: Option<usize>,
    options: Options,
}

struct SharedNet {
    name: String,
    subnets: Vec<usize>,
    subnets6: Vec<usize>,
    /// Pool ranges whose subnet was not declared yet when they were read.
    pending: Vec<(Range, Origin)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    Root,
    Shared,
    Subnet,
    Pool,
    Group,
    Host,
    Subnet6,
    Pool6,
}

impl Block {
    fn name(self) -> &'static str {
        match self {
            Block::Root => "the top level",
            Block::Shared => "a shared-network",
            Block::Subnet => "a subnet",
            Block::Pool => "a pool",
            Block::Group => "a group",
            Block::Host => "a host",
            Block::Subnet6 => "a subnet6",
            Block::Pool6 => "a pool6",
        }
    }
}

/// Where the parser is: the block it is in and what encloses it.
#[derive(Clone, Copy, Debug)]
struct Ctx {
    block: Block,
    scope: usize,
    subnet: Option<usize>,
    subnet6: Option<usize>,
    shared: Option<usize>,
    pool: Option<usize>,
    host: Option<usize>,
    depth: u32,
    include_depth: u32,
    /// Statements come from an included file (dhcpd reads those as generic
    /// statements and rejects host- and pool-only items; we accept them
    /// with a warning).
    in_include: bool,
}

struct Parser<'l> {
    family: Family,
    subnet6_index: HashMap<(u128, u8), usize>,
    loader: &'l mut dyn IncludeLoader,
    diags: &'l mut Diagnostics,
    conf: Conf,
    scopes: Vec<Scope>,
    shared: Vec<SharedNet>,
    /// Number of ranges read per pool (an empty pool is an error).
    pools: Vec<u32>,
    host_index: HashMap<String, usize>,
    subnet_index: HashMap<(u32, u8), usize>,
    include_stack: Vec<PathBuf>,
    /// Every range read so far as disjoint blocks, to find an overlap
    /// without comparing every pair (dhcpd refuses an address in two
    /// ranges, in one subnet or in two): the ranges and their subnets.
    range_set: RangeSet,
    all_ranges: Vec<Range>,
    range_subnet: Vec<usize>,
    /// Includes read so far and their bytes, against the totals above.
    included_files: usize,
    included_bytes: u64,
    /// The totals were reached (reported once).
    includes_exhausted: bool,
    /// Option spaces, options and classes declared so far, for the checker.
    known: Known,
    /// Names of the groups declared so far (`group NAME;` in a host must
    /// name one of them).
    group_names: HashSet<String>,
}

/// Marks a dropped host (duplicate name): its body is parsed for
/// diagnostics but nothing is recorded.
const DISCARDED: usize = usize::MAX;

impl Parser<'_> {
    fn report(&mut self, cur: &Cursor<'_>, at: usize, severity: Severity, message: String) {
        self.diags.push(cur.diag(at, severity, message));
    }

    /// dhcpd reads a file through a 1500-byte token buffer: a token (a
    /// word, or a string's text) or a run of whitespace not broken by a
    /// comment that fills it makes dhcpd refuse the file ("string constant
    /// larger than internal buffer", "whitespace too long, buffer
    /// overflow"). We read on, but it is an error.
    fn buffer_limits(&mut self, cur: &Cursor<'_>) {
        const LIMIT: usize = DHCPD_TOKEN_BUFFER;
        let src = cur.src();
        let mut lexer = super::lexer::Lexer::new(src, Mode::Conf);
        let mut gap_start = 0;
        let mut reported = 0;
        loop {
            let t = lexer.next_token();
            // The whitespace before this token, comments resetting the run.
            let mut run_start = gap_start;
            let mut run = 0usize;
            let mut i = gap_start;
            while i < t.start.min(src.len()) {
                match src.get(i) {
                    Some(b'#') => {
                        while i < t.start && src.get(i) != Some(&b'\n') {
                            i += 1;
                        }
                        run = 0;
                        continue;
                    }
                    Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') => {
                        if run == 0 {
                            run_start = i;
                        }
                        run += 1;
                        if run == LIMIT {
                            self.report(
                                cur,
                                run_start,
                                Severity::Error,
                                format!("{LIMIT} or more blank characters in a row: dhcpd refuses this (\"whitespace too long, buffer overflow\"); remove them or break them with a comment"),
                            );
                            reported += 1;
                        }
                    }
                    _ => run = 0,
                }
                i += 1;
            }
            if t.kind == Kind::Eof || reported > 100 {
                return;
            }
            if matches!(t.kind, Kind::Word | Kind::Str) && t.len() >= LIMIT {
                self.report(
                    cur,
                    t.pos(),
                    Severity::Error,
                    format!("this {} is {} bytes long; dhcpd refuses tokens of {LIMIT} bytes or more (\"larger than internal buffer\")", if t.kind == Kind::Str { "string" } else { "word" }, t.len()),
                );
                reported += 1;
            }
            gap_start = t.end + usize::from(t.kind == Kind::Str && !t.unterminated);
        }
    }

    /// Skips a statement, reporting a block that the end of the file left
    /// open (everything after it was swallowed).
    fn skip(&mut self, cur: &mut Cursor<'_>) {
        if let Some(open) = statements::recover(cur) {
            self.report(
                cur,
                open,
                Severity::Error,
                "unexpected end of file: this '{' is never closed, so the rest of the file was skipped".to_string(),
            );
        }
    }

    fn report_value(&mut self, cur: &Cursor<'_>, e: ValueError) {
        self.diags.push(cur.diag(e.at, Severity::Error, e.message));
    }

    fn origin(cur: &Cursor<'_>, at: usize) -> Origin {
        let (line, col) = cur.line_col(at);
        Origin {
            file: cur.file().clone(),
            line,
            col,
        }
    }

    fn new_scope(&mut self, parent: usize) -> usize {
        self.scopes.push(Scope {
            parent: Some(parent),
            options: Options::default(),
        });
        self.scopes.len() - 1
    }

    /// Reads statements until the block's `}` (consumed) or end of input.
    /// `opened_at` is the offset of the block's `{` for the error message.
    fn items(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, opened_at: Option<usize>) {
        let mut after_close = false;
        loop {
            let t = cur.peek();
            match t.kind {
                Kind::Eof => {
                    if let Some(open) = opened_at {
                        let (line, col) = cur.line_col(open);
                        self.report(
                            cur,
                            t.pos(),
                            Severity::Error,
                            format!(
                                "unexpected end of file: the '{{' of {} at line {line}, column {col} is never closed",
                                ctx.block.name()
                            ),
                        );
                    }
                    return;
                }
                Kind::Punct(b'}') => {
                    cur.bump();
                    if opened_at.is_some() {
                        return;
                    }
                    self.report(
                        cur,
                        t.pos(),
                        Severity::Error,
                        "unexpected '}' with no open block; ignored".to_string(),
                    );
                    continue;
                }
                Kind::Punct(b';') => {
                    cur.bump();
                    let message = if after_close {
                        "';' after '}' is not allowed (dhcpd: \"expecting a declaration\"); remove it"
                    } else {
                        "empty statement ';' is not allowed (dhcpd: \"expecting a parameter or declaration\"); remove it"
                    };
                    self.report(cur, t.pos(), Severity::Error, message.to_string());
                    after_close = false;
                    continue;
                }
                Kind::Word => {
                    after_close = self.statement(cur, ctx);
                }
                _ => {
                    self.report(
                        cur,
                        t.pos(),
                        Severity::Error,
                        format!("expected a statement, found {}", cur.describe(t)),
                    );
                    cur.bump();
                    self.skip(cur);
                    after_close = false;
                }
            }
        }
    }

    /// Parses one statement starting with a word. Returns true if it was a
    /// declaration that ended with its own `}` (so a following `;` is the
    /// `};` mistake).
    fn statement(&mut self, cur: &mut Cursor<'_>, ctx: Ctx) -> bool {
        let t = cur.bump();
        let word = cur.text(t).to_ascii_lowercase();
        let v6 = matches!(
            word.as_slice(),
            b"subnet6" | b"pool6" | b"range6" | b"prefix6" | b"fixed-address6" | b"fixed-prefix6"
        );
        if (v6 || (word == b"range" && self.family == Family::V6))
            && !self.family_allows(cur, t, &word, v6)
        {
            return false;
        }
        match word.as_slice() {
            b"subnet6" => self.subnet6(cur, ctx, t),
            b"pool6" => self.pool6(cur, ctx, t),
            b"range6" => {
                self.range6(cur, ctx, t);
                false
            }
            b"prefix6" => {
                self.prefix6(cur, ctx, t);
                false
            }
            b"fixed-address6" | b"fixed-prefix6" => {
                self.host_item6(cur, ctx, t, &word);
                false
            }
            b"host-identifier" if self.family == Family::V6 => {
                self.host_item6(cur, ctx, t, &word);
                false
            }
            b"subnet" => self.subnet(cur, ctx, t),
            b"shared-network" => self.shared_network(cur, ctx, t),
            b"pool" => self.pool(cur, ctx, t),
            b"group" => self.group(cur, ctx, t),
            b"host" => self.host(cur, ctx, t),
            b"range" => {
                self.range(cur, ctx, t);
                false
            }
            b"include" => {
                self.include(cur, ctx, t);
                false
            }
            b"option" | b"supersede" | b"default" | b"prepend" | b"append" => {
                // The checker reads the statement as dhcpd does; the values
                // this report shows are then read again from the same place.
                let value_at = cur.peek().pos();
                if self.check(cur, t, ctx) {
                    let end = cur.prev_end();
                    cur.seek(value_at);
                    self.option(cur, ctx);
                    cur.seek(end);
                }
                false
            }
            b"ddns-domainname" => {
                let value_at = cur.peek().pos();
                if self.check(cur, t, ctx) {
                    let end = cur.prev_end();
                    cur.seek(value_at);
                    if let Some(v) = self.string_value(cur, "ddns-domainname") {
                        self.scopes[ctx.scope].options.ddns_domain_name = Some(v);
                    }
                    cur.seek(end);
                }
                false
            }
            b"ddns-hostname" if ctx.block == Block::Host => {
                let value_at = cur.peek().pos();
                if self.check(cur, t, ctx) {
                    let end = cur.prev_end();
                    cur.seek(value_at);
                    if let Some(v) = self.string_value(cur, "ddns-hostname") {
                        self.with_host(ctx, |h| h.ddns_hostname = Some(v));
                    }
                    cur.seek(end);
                }
                false
            }
            b"hardware" | b"fixed-address" => {
                self.host_item(cur, ctx, t, &word);
                false
            }
            _ => {
                // Every other statement or declaration (parameters, class,
                // if, on, key, zone, failover peer, …): checked, not kept.
                self.check(cur, t, ctx);
                false
            }
        }
    }

    /// Runs the statement checker on the statement starting with `kw`
    /// (consumed), reports what it finds, and gets back in step after a
    /// problem. Returns true if the statement was read without one.
    fn check(&mut self, cur: &mut Cursor<'_>, kw: Token, ctx: Ctx) -> bool {
        let place = match ctx.block {
            Block::Pool | Block::Pool6 => Place::Pool,
            Block::Host => Place::Host,
            Block::Root | Block::Shared | Block::Subnet | Block::Subnet6 | Block::Group => {
                Place::Scope
            }
        };
        let mut checker = Checker::new(cur, &mut self.known);
        let result = checker.statement(kw, place);
        let resynced = checker.resynced;
        let problems = std::mem::take(&mut checker.problems);
        let warnings = std::mem::take(&mut checker.warnings);
        for p in problems {
            self.report(cur, p.at, Severity::Error, p.message);
        }
        for w in warnings {
            self.report(cur, w.at, Severity::Warning, w.message);
        }
        match result {
            Ok(()) => true,
            Err(p) => {
                self.report(cur, p.at, Severity::Error, p.message);
                if !resynced {
                    self.skip(cur);
                }
                false
            }
        }
    }

    /// Checks that the next token is `{` and consumes it; if the header is
    /// broken, reports and skips the whole declaration.
    fn open_block(&mut self, cur: &mut Cursor<'_>, what: &str) -> Option<usize> {
        let t = cur.peek();
        if t.is_punct(b'{') {
            cur.bump();
            return Some(t.pos());
        }
        self.report(
            cur,
            t.pos(),
            Severity::Error,
            format!(
                "expected '{{' to open the {what} declaration, found {}",
                cur.describe(t)
            ),
        );
        self.skip(cur);
        None
    }

    /// Parses a block body in `inner`, or skips it if nesting is too deep.
    fn body(&mut self, cur: &mut Cursor<'_>, inner: Ctx, open: usize) {
        if inner.depth > MAX_DEPTH {
            self.report(
                cur,
                open,
                Severity::Error,
                format!("blocks are nested more than {MAX_DEPTH} deep; this block is skipped"),
            );
            if !cur.skip_block_body() {
                self.report(
                    cur,
                    open,
                    Severity::Error,
                    "unexpected end of file inside a skipped block".to_string(),
                );
            }
            return;
        }
        self.items(cur, inner, Some(open));
    }

    fn subnet(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) -> bool {
        let network = match read_ipv4(cur) {
            Ok(a) => a,
            Err(e) => {
                self.report_value(cur, e);
                self.skip(cur);
                return false;
            }
        };
        let t = cur.peek();
        if !cur.eat_word("netmask") {
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                format!(
                    "expected 'netmask' after the subnet address, found {}",
                    cur.describe(t)
                ),
            );
            self.skip(cur);
            return false;
        }
        let mask_at = cur.peek().pos();
        let mask = match read_ipv4(cur) {
            Ok(a) => a,
            Err(e) => {
                self.report_value(cur, e);
                self.skip(cur);
                return false;
            }
        };
        let Some(open) = self.open_block(cur, "subnet") else {
            return false;
        };
        let (prefix_len, contiguous) = mask_prefix(mask);
        if !contiguous {
            self.report(
                cur,
                mask_at,
                Severity::Warning,
                format!("netmask {mask} is not contiguous; membership uses the mask bit by bit and the key uses /{prefix_len}"),
            );
        }
        let masked = Ipv4Addr::from(u32::from(network) & u32::from(mask));
        if masked != network {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!("subnet {network} netmask {mask} has host bits set (dhcpd: \"bad subnet number/mask combination\"); read as {masked}"),
            );
        }
        if !matches!(ctx.block, Block::Root | Block::Shared | Block::Group) {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!(
                    "subnet declarations are not allowed inside {} (dhcpd rejects this)",
                    ctx.block.name()
                ),
            );
        }
        let key = (u32::from(masked), prefix_len);
        let scope = self.new_scope(ctx.scope);
        let index = match self.subnet_index.get(&key) {
            Some(&i) => {
                let first = &self.conf.subnets[i].origin;
                let message = format!(
                    "subnet {masked}/{prefix_len} is already declared at {}:{}; its ranges are merged into the first declaration",
                    first.file, first.line
                );
                self.report(cur, kw.pos(), Severity::Error, message);
                i
            }
            None => {
                let shared_network = ctx
                    .shared
                    .and_then(|s| self.shared.get(s))
                    .map(|s| s.name.clone());
                self.conf.subnets.push(Subnet {
                    network: masked,
                    prefix_len,
                    mask,
                    ranges: Vec::new(),
                    shared_network,
                    options: Options::default(),
                    origin: Self::origin(cur, kw.pos()),
                    scope,
                });
                let i = self.conf.subnets.len() - 1;
                self.subnet_index.insert(key, i);
                if let Some(s) = ctx.shared.and_then(|s| self.shared.get_mut(s)) {
                    s.subnets.push(i);
                }
                i
            }
        };
        let inner = Ctx {
            block: Block::Subnet,
            scope,
            subnet: Some(index),
            pool: None,
            host: None,
            depth: ctx.depth + 1,
            ..ctx
        };
        self.body(cur, inner, open);
        true
    }

    fn shared_network(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) -> bool {
        let t = cur.peek();
        let name = if t.kind == Kind::Str {
            cur.bump();
            if t.unterminated {
                self.report(
                    cur,
                    t.pos(),
                    Severity::Error,
                    "unterminated string: the closing '\"' is missing".to_string(),
                );
                return false;
            }
            String::from_utf8_lossy(&unescape(cur.text(t))).into_owned()
        } else {
            match read_dotted_name(cur) {
                Ok(n) => n,
                Err(e) => {
                    self.report_value(cur, e);
                    self.skip(cur);
                    return false;
                }
            }
        };
        let Some(open) = self.open_block(cur, "shared-network") else {
            return false;
        };
        if name.is_empty() {
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                "shared-network name is empty".to_string(),
            );
        }
        if !matches!(ctx.block, Block::Root | Block::Group) {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!(
                    "shared-network declarations are not allowed inside {} (dhcpd rejects this)",
                    ctx.block.name()
                ),
            );
        }
        self.shared.push(SharedNet {
            name,
            subnets: Vec::new(),
            subnets6: Vec::new(),
            pending: Vec::new(),
        });
        let shared = self.shared.len() - 1;
        let scope = self.new_scope(ctx.scope);
        let inner = Ctx {
            block: Block::Shared,
            scope,
            shared: Some(shared),
            subnet: None,
            pool: None,
            host: None,
            depth: ctx.depth + 1,
            ..ctx
        };
        self.body(cur, inner, open);
        // Ranges of pools written before their subnet (dhcpd rejects that:
        // "address range not on network"); attribute them now if possible.
        let pending = std::mem::take(&mut self.shared[shared].pending);
        let members = self.shared[shared].subnets.clone();
        for (range, origin) in pending {
            match self.best_subnet_for_range(&members, &range) {
                Some(i) => {
                    self.add_range(i, range.clone(), &origin);
                    self.diags.push(at_origin(
                        &origin,
                        Severity::Error,
                        format!(
                            "range {}-{} comes before its subnet {} in the shared-network; dhcpd requires the subnet first (\"address range not on network\")",
                            range.low, range.high, self.conf.subnets[i].cidr()
                        ),
                    ));
                }
                None => self.diags.push(at_origin(
                    &origin,
                    Severity::Error,
                    format!(
                        "range {}-{} lies in no subnet of this shared-network; ignored",
                        range.low, range.high
                    ),
                )),
            }
        }
        if !self.shared_has_subnets(shared) {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                "shared-network declares no subnet (dhcpd: \"empty shared-network decl\")"
                    .to_string(),
            );
        }
        true
    }

    /// The longest-prefix subnet among `candidates` holding both ends.
    fn best_subnet_for_range(&self, candidates: &[usize], range: &Range) -> Option<usize> {
        candidates
            .iter()
            .copied()
            .filter_map(|i| self.conf.subnets.get(i).map(|s| (i, s)))
            .filter(|(_, s)| s.contains(range.low) && s.contains(range.high))
            .max_by_key(|(_, s)| s.prefix_len)
            .map(|(i, _)| i)
    }

    fn pool(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) -> bool {
        let Some(open) = self.open_block(cur, "pool") else {
            return false;
        };
        let allowed = matches!(ctx.block, Block::Subnet | Block::Shared);
        if !allowed {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!("pool declarations are only allowed directly in a subnet or shared-network, not in {}; its ranges are ignored", ctx.block.name()),
            );
        }
        self.pools.push(0);
        let pool = self.pools.len() - 1;
        let scope = self.new_scope(ctx.scope);
        let inner = Ctx {
            block: Block::Pool,
            scope,
            pool: if allowed { Some(pool) } else { None },
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
                "pool has no range statement (dhcpd: \"Pool declaration with no address range\")"
                    .to_string(),
            );
        }
        true
    }

    /// `group NAME;`: inside a host, a reference to a group declared
    /// before it (dhcpd: "unknown group NAME in host H" otherwise);
    /// anywhere else dhcpd wants the declaration's '{'.
    fn group_reference(
        &mut self,
        cur: &mut Cursor<'_>,
        ctx: Ctx,
        semi: Token,
        name: Option<String>,
    ) {
        let host = ctx
            .host
            .and_then(|i| self.conf.hosts.get(i))
            .map(|h| h.name.clone());
        let message = match (ctx.block, name, host) {
            (Block::Host, Some(n), _) if self.group_names.contains(&n) => return,
            (Block::Host, Some(n), host) => format!(
                "unknown group {n} in host {} (dhcpd: \"unknown group\"): declare 'group {n} {{ … }}' before the host",
                host.unwrap_or_default()
            ),
            _ => "expected '{' to open the group declaration, found ';' (a group is named by 'group NAME;' only inside a host)"
                .to_string(),
        };
        self.report(cur, semi.pos(), Severity::Error, message);
    }

    fn group(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) -> bool {
        // `group "name";` inside a host refers to a named group. A name is
        // a string or a word, never a number (dhcpd: "expecting left brace").
        let t = cur.peek();
        let mut name = None;
        if t.kind == Kind::Str {
            cur.bump();
            name = Some(String::from_utf8_lossy(cur.text(t)).into_owned());
        } else if t.kind == Kind::Word && cur.text(t).iter().all(u8::is_ascii_digit) {
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                format!(
                    "a group name cannot be a number: expected '{{', found {}",
                    cur.describe(t)
                ),
            );
            self.skip(cur);
            return false;
        } else if t.kind == Kind::Word {
            // One word: `group a.b {` is refused ("expecting left brace").
            cur.bump();
            name = Some(String::from_utf8_lossy(cur.text(t)).into_owned());
        }
        let semi = cur.peek();
        if semi.is_punct(b';') {
            cur.bump();
            self.group_reference(cur, ctx, semi, name);
            return false;
        }
        let Some(open) = self.open_block(cur, "group") else {
            return false;
        };
        if let Some(n) = name {
            self.group_names.insert(n);
        }
        if ctx.block == Block::Host {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                "group declarations are not allowed inside a host (dhcpd rejects this)".to_string(),
            );
        }
        let scope = self.new_scope(ctx.scope);
        let inner = Ctx {
            block: Block::Group,
            scope,
            depth: ctx.depth + 1,
            // Ranges and pools are not allowed in a group, even one inside
            // a subnet; the enclosing subnet/shared stay known for messages.
            pool: None,
            ..ctx
        };
        self.body(cur, inner, open);
        true
    }

    fn host(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) -> bool {
        let t = cur.peek();
        let name = match t.kind {
            Kind::Word => match read_dotted_name(cur) {
                Ok(n) => n,
                Err(e) => {
                    self.report_value(cur, e);
                    self.skip(cur);
                    return false;
                }
            },
            Kind::Str => {
                self.report(
                    cur,
                    t.pos(),
                    Severity::Error,
                    "host names cannot be quoted (dhcpd: \"expecting a name for host declaration\"); host skipped".to_string(),
                );
                self.skip(cur);
                return false;
            }
            _ => {
                self.report(
                    cur,
                    t.pos(),
                    Severity::Error,
                    format!(
                        "expected a host name, found {}; host skipped",
                        cur.describe(t)
                    ),
                );
                self.skip(cur);
                return false;
            }
        };
        let after = cur.peek();
        if !after.is_punct(b'{') {
            let hint = if matches!(after.kind, Kind::Bad(_)) {
                " (names are ASCII letters, digits, '-', '_' and '.')"
            } else {
                ""
            };
            self.report(
                cur,
                after.pos(),
                Severity::Error,
                format!(
                    "expected '{{' after host {name}, found {}{hint}; host skipped",
                    cur.describe(after)
                ),
            );
            self.skip(cur);
            return false;
        }
        let open = cur.bump().pos();
        if matches!(ctx.block, Block::Host) {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                "host declarations are not allowed inside a host (dhcpd rejects this)".to_string(),
            );
        }
        let index = if let Some(&first) = self.host_index.get(&name) {
            let o = &self.conf.hosts[first].origin;
            let message = format!(
                "host {name} is already declared at {}:{} (dhcpd: \"already exists\"); this one is ignored",
                o.file, o.line
            );
            self.report(cur, kw.pos(), Severity::Error, message);
            DISCARDED
        } else {
            self.conf.hosts.push(Host {
                name: name.clone(),
                hardware: None,
                fixed_addresses: Vec::new(),
                host_name: None,
                ddns_hostname: None,
                fixed_addresses6: Vec::new(),
                fixed_prefixes6: Vec::new(),
                client_id: None,
                origin: Self::origin(cur, kw.pos()),
            });
            let i = self.conf.hosts.len() - 1;
            self.host_index.insert(name, i);
            i
        };
        let scope = self.new_scope(ctx.scope);
        let inner = Ctx {
            block: Block::Host,
            scope,
            host: Some(index),
            pool: None,
            depth: ctx.depth + 1,
            in_include: false,
            ..ctx
        };
        self.body(cur, inner, open);
        true
    }

    fn with_host(&mut self, ctx: Ctx, f: impl FnOnce(&mut Host)) {
        if let Some(h) = ctx.host.and_then(|i| self.conf.hosts.get_mut(i)) {
            f(h);
        }
    }

    /// `hardware TYPE [ADDR];` and `fixed-address A[, B…];`
    fn host_item(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token, word: &[u8]) {
        let what = String::from_utf8_lossy(word).into_owned();
        if ctx.block != Block::Host {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!("{what} is only allowed inside a host declaration; ignored"),
            );
            self.skip(cur);
            return;
        }
        if ctx.in_include {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!("dhcpd refuses {what} in a file included inside a host (\"not allowed here\"); move it into the host block (dhcpstats reads it anyway)"),
            );
        }
        if word == b"hardware" {
            let t = cur.bump();
            if t.kind != Kind::Word {
                self.report(
                    cur,
                    t.pos(),
                    Severity::Error,
                    format!("expected a hardware type, found {}", cur.describe(t)),
                );
                self.skip(cur);
                return;
            }
            let kind = String::from_utf8_lossy(cur.text(t)).to_ascii_lowercase();
            if cur.peek().is_punct(b';') {
                cur.bump();
                return;
            }
            match read_hex_list(cur) {
                Ok(bytes) => {
                    if self.expect_semicolon(cur, "hardware") {
                        let address = hex_colon(&bytes);
                        self.with_host(ctx, |h| h.hardware = Some(Hardware { kind, address }));
                    }
                }
                Err(e) => {
                    self.report_value(cur, e);
                    self.skip(cur);
                }
            }
            return;
        }
        let mut list = Vec::new();
        loop {
            match read_address_or_name(cur) {
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
        if self.expect_semicolon(cur, "fixed-address (separate several addresses with ',')") {
            self.with_host(ctx, |h| h.fixed_addresses = list);
        }
    }

    /// Consumes the `;` ending a statement, or reports and skips.
    fn expect_semicolon(&mut self, cur: &mut Cursor<'_>, what: &str) -> bool {
        let t = cur.peek();
        if t.is_punct(b';') {
            cur.bump();
            return true;
        }
        self.report(
            cur,
            t.pos(),
            Severity::Error,
            format!("expected ';' after {what}, found {}", cur.describe(t)),
        );
        self.skip(cur);
        false
    }

    fn range(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) {
        let dynamic_bootp = cur.eat_word("dynamic-bootp");
        let low = match read_ipv4(cur) {
            Ok(a) => a,
            Err(e) => {
                self.report_value(cur, e);
                self.skip(cur);
                return;
            }
        };
        let high = if cur.peek().kind == Kind::Word {
            match read_ipv4(cur) {
                Ok(a) => a,
                Err(e) => {
                    self.report_value(cur, e);
                    self.skip(cur);
                    return;
                }
            }
        } else {
            low
        };
        if !self.expect_semicolon(cur, "range") {
            return;
        }
        let (low, high) = if u32::from(low) <= u32::from(high) {
            (low, high)
        } else {
            (high, low)
        };
        let range = Range {
            low,
            high,
            dynamic_bootp,
        };
        match ctx.block {
            Block::Subnet | Block::Pool => {}
            other => {
                self.report(
                    cur,
                    kw.pos(),
                    Severity::Error,
                    format!("range is only allowed directly in a subnet or a pool, not in {} (dhcpd rejects this); ignored", other.name()),
                );
                return;
            }
        }
        if ctx.block == Block::Pool && ctx.pool.is_none() {
            return; // the misplaced pool was already reported
        }
        if let Some(p) = ctx.pool.and_then(|p| self.pools.get_mut(p)) {
            *p += 1;
        }
        if ctx.in_include && ctx.block == Block::Pool {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                "dhcpd refuses a range in a file included inside a pool (\"range declaration not allowed here\"); move it into the pool block (dhcpstats reads it anyway)".to_string(),
            );
        }
        if let Some(si) = ctx.subnet {
            let Some(s) = self.conf.subnets.get(si) else {
                return;
            };
            if s.contains(low) && s.contains(high) {
                let origin = Self::origin(cur, kw.pos());
                self.add_range(si, range, &origin);
            } else {
                let message = format!(
                    "range {low}-{high} is outside subnet {} (dhcpd: \"bad range\"); ignored",
                    s.cidr()
                );
                self.report(cur, kw.pos(), Severity::Error, message);
            }
            return;
        }
        // A pool directly in a shared-network: the range belongs to the
        // subnet of the shared network that contains it.
        let Some(sh) = ctx.shared else { return };
        let members = self
            .shared
            .get(sh)
            .map(|s| s.subnets.clone())
            .unwrap_or_default();
        match self.best_subnet_for_range(&members, &range) {
            Some(i) => {
                let origin = Self::origin(cur, kw.pos());
                self.add_range(i, range, &origin);
            }
            None => {
                let origin = Self::origin(cur, kw.pos());
                if let Some(s) = self.shared.get_mut(sh) {
                    s.pending.push((range, origin));
                }
            }
        }
    }

    /// Adds a range to a subnet, reporting overlap with its other ranges
    /// (dhcpd: "lease … is declared twice!"); overlapping addresses are
    /// still counted once.
    fn add_range(&mut self, subnet: usize, range: Range, origin: &Origin) {
        let (lo, hi) = (u32::from(range.low), u32::from(range.high));
        let clash = self
            .range_set
            .overlapping(lo, hi, &self.all_ranges)
            .and_then(|i| Some((self.all_ranges.get(i)?, *self.range_subnet.get(i)?)))
            .map(|(r, si)| (r.low, r.high, si));
        self.range_set.insert(lo, hi, self.all_ranges.len());
        self.all_ranges.push(range.clone());
        self.range_subnet.push(subnet);
        let Some(s) = self.conf.subnets.get_mut(subnet) else {
            return;
        };
        s.ranges.push(range);
        if let Some((other_lo, other_hi, other_subnet)) = clash {
            let cidr = self
                .conf
                .subnets
                .get(other_subnet)
                .map(Subnet::cidr)
                .unwrap_or_default();
            let first = Ipv4Addr::from(lo.max(u32::from(other_lo)));
            let counted = if other_subnet == subnet {
                "shared addresses are counted once"
            } else {
                "each subnet counts its own range"
            };
            self.diags.push(at_origin(
                origin,
                Severity::Error,
                format!(
                    "range {}-{} overlaps range {other_lo}-{other_hi} of subnet {cidr} (dhcpd: \"lease {first} is declared twice!\"); {counted}",
                    Ipv4Addr::from(lo),
                    Ipv4Addr::from(hi)
                ),
            ));
        }
    }

    fn include(&mut self, cur: &mut Cursor<'_>, ctx: Ctx, kw: Token) {
        let t = cur.bump();
        if t.kind != Kind::Str || t.unterminated {
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                format!(
                    "expected a quoted file name after include, found {}",
                    cur.describe(t)
                ),
            );
            self.skip(cur);
            return;
        }
        let name = String::from_utf8_lossy(&unescape(cur.text(t))).into_owned();
        if !self.expect_semicolon(cur, "include") {
            return;
        }
        if ctx.include_depth >= MAX_INCLUDE_DEPTH {
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!(
                    "includes are nested more than {MAX_INCLUDE_DEPTH} deep; \"{name}\" is not read"
                ),
            );
            return;
        }
        if self.includes_exhausted {
            return;
        }
        if self.included_files >= MAX_INCLUDED_FILES || self.included_bytes > MAX_INCLUDED_BYTES {
            self.includes_exhausted = true;
            self.report(
                cur,
                kw.pos(),
                Severity::Error,
                format!(
                    "includes read {} files ({} MiB) in all, the most dhcpstats reads; \"{name}\" and every later include are not read",
                    self.included_files,
                    self.included_bytes >> 20
                ),
            );
            return;
        }
        let loaded = match self.loader.load(&name) {
            Ok(l) => l,
            Err(message) => {
                self.report(cur, t.pos(), Severity::Error, message);
                return;
            }
        };
        self.included_files += 1;
        self.included_bytes += loaded.bytes.len() as u64;
        if self.include_stack.contains(&loaded.identity) {
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                format!(
                    "include cycle: \"{name}\" ({}) is already being read; not read again",
                    loaded.display
                ),
            );
            return;
        }
        self.include_stack.push(loaded.identity.clone());
        let mut inner_cur = Cursor::new(&loaded.bytes, Mode::Conf, loaded.display.clone());
        self.buffer_limits(&inner_cur);
        let inner = Ctx {
            include_depth: ctx.include_depth + 1,
            in_include: true,
            ..ctx
        };
        // The included file is a list of statements of the current block;
        // a stray `}` in it does not close our block.
        self.items(&mut inner_cur, inner, None);
        self.include_stack.pop();
    }

    /// Reads a quoted string value and its `;`; `= expression` forms are
    /// skipped (their value is only known at run time).
    fn string_value(&mut self, cur: &mut Cursor<'_>, what: &str) -> Option<String> {
        let t = cur.peek();
        if t.is_punct(b'=') {
            self.skip(cur);
            return None;
        }
        // dhcpd takes one bare word as text too (`option domain-name lan;`).
        if t.kind == Kind::Word && !cur.text(t).iter().all(u8::is_ascii_digit) {
            cur.bump();
            let value = String::from_utf8_lossy(cur.text(t)).into_owned();
            return self.expect_semicolon(cur, what).then_some(value);
        }
        if t.kind != Kind::Str {
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                format!("{what} needs a quoted string, found {}", cur.describe(t)),
            );
            self.skip(cur);
            return None;
        }
        cur.bump();
        if t.unterminated {
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                "unterminated string: the closing '\"' is missing".to_string(),
            );
            return None;
        }
        if t.too_long() {
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                format!("{what} value is longer than 64 KiB; ignored"),
            );
            self.skip(cur);
            return None;
        }
        let value = String::from_utf8_lossy(&unescape(cur.text(t))).into_owned();
        if self.expect_semicolon(cur, what) {
            Some(value)
        } else {
            None
        }
    }

    /// `option NAME VALUE;` (also `supersede`/`default NAME VALUE;`).
    fn option(&mut self, cur: &mut Cursor<'_>, ctx: Ctx) {
        let t = cur.peek();
        if t.kind != Kind::Word {
            self.report(
                cur,
                t.pos(),
                Severity::Error,
                format!("expected an option name, found {}", cur.describe(t)),
            );
            self.skip(cur);
            return;
        }
        let name = match read_dotted_name(cur) {
            Ok(n) => n.to_ascii_lowercase(),
            Err(e) => {
                self.report_value(cur, e);
                self.skip(cur);
                return;
            }
        };
        // `option space X;` and `option X code N = TYPE;` define options.
        if name == "space" || cur.peek_is_word("code") {
            self.skip(cur);
            return;
        }
        match name.as_str() {
            "routers" | "domain-name-servers" | "ntp-servers" => {
                let Some(list) = self.address_list(cur, &name) else {
                    return;
                };
                let o = &mut self.scopes[ctx.scope].options;
                match name.as_str() {
                    "routers" => o.routers = Some(list),
                    "domain-name-servers" => o.dns_servers = Some(list),
                    _ => o.ntp_servers = Some(list),
                }
            }
            "dhcp6.name-servers" => {
                if let Some(list) = self.ipv6_list(cur, &name) {
                    self.scopes[ctx.scope].options.dns_servers = Some(list);
                }
            }
            "dhcp6.domain-search" => {
                if let Some(list) = self.string_list(cur, &name) {
                    self.scopes[ctx.scope].options.domain_search = Some(list);
                }
            }
            "domain-name" => {
                if let Some(v) = self.string_value(cur, "option domain-name") {
                    self.scopes[ctx.scope].options.domain_name = Some(v);
                }
            }
            "host-name" if ctx.block == Block::Host => {
                if let Some(v) = self.string_value(cur, "option host-name") {
                    self.with_host(ctx, |h| h.host_name = Some(v));
                }
            }
            "host-name" => {
                // Outside a host it must still be a string, but it names
                // no reservation.
                let _ = self.string_value(cur, "option host-name");
            }
            _ => self.skip(cur),
        }
    }

    /// `A[, B…];` where each item is an IPv4 address or a DNS name.
    fn address_list(&mut self, cur: &mut Cursor<'_>, what: &str) -> Option<Vec<String>> {
        if cur.peek().is_punct(b'=') {
            self.skip(cur);
            return None;
        }
        let mut out = Vec::new();
        loop {
            match read_address_or_name(cur) {
                Ok(AddressOrName::V4(a)) => out.push(a.to_string()),
                Ok(AddressOrName::Name(n)) => out.push(n),
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
        if self.expect_semicolon(cur, &format!("option {what}")) {
            Some(out)
        } else {
            None
        }
    }

    /// Resolves effective options now that every scope is complete.
    fn finish(mut self) -> Conf {
        for (name, file, line, col) in self.known.unreferenced_peers() {
            self.diags.push(Diagnostic {
                file,
                line,
                col,
                severity: Severity::Error,
                message: format!(
                    "failover peer '{name}' is not used by any pool; dhcpd refuses this (add `failover peer \"{name}\";` to its pools)"
                ),
            });
        }
        for si in 0..self.conf.subnets.len() {
            self.conf.subnets[si].options = self.effective_options(self.conf.subnets[si].scope);
        }
        for si in 0..self.conf.subnets6.len() {
            self.conf.subnets6[si].options = self.effective_options(self.conf.subnets6[si].scope);
        }
        self.conf
    }

    /// The options of a scope and the scopes around it, inner ones last.
    fn effective_options(&self, scope: usize) -> Options {
        let mut chain = Vec::new();
        let mut s = Some(scope);
        while let Some(i) = s {
            chain.push(i);
            s = self.scopes.get(i).and_then(|sc| sc.parent);
        }
        let mut eff = Options::default();
        for i in chain.iter().rev() {
            if let Some(sc) = self.scopes.get(*i) {
                eff.overlay(&sc.options);
            }
        }
        eff
    }
}

/// The ranges of one subnet as disjoint blocks of overlapping ranges, by
/// low address, each with the indices of its ranges: finding a range that
/// overlaps a new one costs a search, not a pass over all of them.
#[derive(Default)]
struct RangeSet {
    /// low → (high, indices into the subnet's ranges)
    blocks: std::collections::BTreeMap<u32, (u32, Vec<usize>)>,
}

impl RangeSet {
    /// The index of a range overlapping `[lo, hi]`, if any.
    fn overlapping(&self, lo: u32, hi: u32, ranges: &[Range]) -> Option<usize> {
        // Blocks are disjoint: those overlapping [lo, hi] are the ones
        // just before `hi`, going back while they reach `lo`.
        self.blocks
            .range(..=hi)
            .rev()
            .take_while(|(_, (block_hi, _))| *block_hi >= lo)
            .flat_map(|(_, (_, members))| members.iter().copied())
            .find(|&i| {
                ranges
                    .get(i)
                    .is_some_and(|r| u32::from(r.low) <= hi && lo <= u32::from(r.high))
            })
    }

    /// Adds range `index` = `[lo, hi]`, merging the blocks it overlaps.
    fn insert(&mut self, lo: u32, hi: u32, index: usize) {
        let mut low = lo;
        let mut high = hi;
        let mut members = vec![index];
        let touching: Vec<u32> = self
            .blocks
            .range(..=hi)
            .rev()
            .take_while(|(_, (block_hi, _))| *block_hi >= lo)
            .map(|(block_lo, _)| *block_lo)
            .collect();
        for key in touching {
            if let Some((block_hi, block_members)) = self.blocks.remove(&key) {
                low = low.min(key);
                high = high.max(block_hi);
                members.extend(block_members);
            }
        }
        members.sort_unstable();
        self.blocks.insert(low, (high, members));
    }
}

fn at_origin(o: &Origin, severity: Severity, message: String) -> Diagnostic {
    Diagnostic {
        file: o.file.clone(),
        line: o.line,
        col: o.col,
        severity,
        message,
    }
}

/// Adds the hosts of a separately configured `static_file` to `conf`.
/// Subnets declared there are not used (they come from `subnet_file`).
pub fn merge_static(conf: &mut Conf, statics: Conf, diags: &mut Diagnostics) {
    let mut known: HashSet<String> = conf.hosts.iter().map(|h| h.name.clone()).collect();
    if let Some(s) = statics.subnets.first() {
        diags.push(at_origin(
            &s.origin,
            Severity::Note,
            "subnets in static_file are not used; subnets are read from subnet_file".to_string(),
        ));
    }
    for h in statics.hosts {
        if known.contains(&h.name) {
            diags.push(at_origin(
                &h.origin,
                Severity::Error,
                format!("host {} is also declared in subnet_file (dhcpd: \"already exists\"); this one is ignored", h.name),
            ));
            continue;
        }
        known.insert(h.name.clone());
        conf.hosts.push(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block search finds an overlapping range exactly when a pass
    /// over every earlier range does (the check it replaced).
    #[test]
    fn range_set_finds_overlaps_like_a_pairwise_check() {
        let mut x: u32 = 0x9E37_79B9;
        let mut next = |m: u32| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x % m
        };
        for round in 0..200 {
            let span = if round % 2 == 0 { 500 } else { 50_000 };
            let mut set = RangeSet::default();
            let mut ranges: Vec<Range> = Vec::new();
            for _ in 0..60 {
                let lo = next(span);
                let hi = lo + next(40);
                let found = set.overlapping(lo, hi, &ranges);
                let pairwise = ranges
                    .iter()
                    .position(|r| u32::from(r.low) <= hi && lo <= u32::from(r.high));
                assert_eq!(found.is_some(), pairwise.is_some(), "round {round}");
                if let Some(i) = found {
                    let r = &ranges[i];
                    assert!(u32::from(r.low) <= hi && lo <= u32::from(r.high));
                }
                set.insert(lo, hi, ranges.len());
                ranges.push(Range {
                    low: Ipv4Addr::from(lo),
                    high: Ipv4Addr::from(hi),
                    dynamic_bootp: false,
                });
            }
        }
    }
}
