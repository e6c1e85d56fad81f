//! The checker behind `dhcpstats check`'s verdict on the statements that
//! carry no subnet data: parameters, options, `class`, `failover peer`,
//! `key`, `zone`, `if`, `set`, `on`, `allow`/`deny`, … It reads them the
//! way dhcpd 4.4 does, with the knowledge in [`super::tables`], so that a
//! file dhcpd refuses is an error here too, named at the token where the
//! reading failed.
//!
//! [`super::conf`] hands it every statement it does not read itself (and
//! option statements before reading their values). The checker consumes
//! the statement, collects problems, and on a problem gets back in step
//! with [`recover`]: to the end of the statement, but never past the start
//! of a declaration, so `authoritative` with its `;` forgotten costs only
//! itself, not the subnet declared after it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::cursor::Cursor;
use super::expressions::{Ty, reserved};
use super::lexer::{Kind, Token};
use super::tables;
use super::values::{read_address_or_name, read_dotted_name, read_ipv6};

/// Where a problem is and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub at: usize,
    pub message: String,
}

pub type Checked = Result<(), Problem>;

/// Nesting deeper than this (expressions, `if` blocks) is refused.
const MAX_DEPTH: u32 = 64;

/// Words that start a declaration: recovery never skips past one.
const DECLARATIONS: &[&str] = &[
    "subnet",
    "subnet6",
    "shared-network",
    "host",
    "group",
    "pool",
    "pool6",
    "class",
    "subclass",
    "failover",
    "include",
    "key",
    "zone",
];

/// What the configuration has declared so far (dhcpd reads in one pass,
/// so a definition must come before its use).
#[derive(Debug, Default)]
pub struct Known {
    /// User option spaces (`option space NAME;`), lowercase.
    spaces: HashSet<String>,
    /// `space.name` (lowercase) → format, from `option NAME code N = TYPE;`.
    options: HashMap<String, String>,
    /// Class names (`class "x"`), for `members of` and `subclass`.
    classes: HashSet<String>,
    /// Failover peers declared: name → where (file, line, column).
    peers: Vec<(String, Arc<str>, u32, u32)>,
    /// Failover peers some pool refers to.
    referenced_peers: HashSet<String>,
}

impl Known {
    /// Failover peers no pool refers to (dhcpd refuses the file: "You
    /// must refer to each peer in at least one pool declaration").
    pub fn unreferenced_peers(&self) -> Vec<(String, Arc<str>, u32, u32)> {
        self.peers
            .iter()
            .filter(|(n, ..)| !self.referenced_peers.contains(n))
            .cloned()
            .collect()
    }
}

/// The block a statement is in: what is allowed differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Top level, `shared-network`, `subnet`, `group`.
    Scope,
    Pool,
    Host,
    Class,
    /// Inside `if`, `on`, `switch` or a function: executable statements only.
    Executable,
}

/// Gets back in step after a problem: past the statement's `;` or its
/// `{ … }` block, stopping before a `}` that closes the enclosing block and
/// before a word that starts a declaration. Returns the offset of a `{`
/// the end of the input left open.
pub fn recover(cur: &mut Cursor<'_>) -> Option<usize> {
    loop {
        let t = cur.peek();
        match t.kind {
            Kind::Eof | Kind::Punct(b'}') => return None,
            Kind::Punct(b';') => {
                cur.bump();
                return None;
            }
            Kind::Punct(b'{') => {
                cur.bump();
                return if cur.skip_block_body() {
                    None
                } else {
                    Some(t.pos())
                };
            }
            Kind::Word if is_declaration(cur.text(t)) => return None,
            _ => {
                cur.bump();
            }
        }
    }
}

fn is_declaration(word: &[u8]) -> bool {
    DECLARATIONS
        .iter()
        .any(|d| d.as_bytes().eq_ignore_ascii_case(word))
}

pub struct Checker<'c, 'a> {
    cur: &'c mut Cursor<'a>,
    known: &'c mut Known,
    depth: u32,
    /// Problems found inside blocks this checker read and recovered from.
    pub problems: Vec<Problem>,
    /// What dhcpd accepts but reads otherwise than written (warnings).
    pub warnings: Vec<Problem>,
    /// The last problem was inside a `{ … }` this checker opened, and the
    /// checker already skipped to its end: the caller must not recover.
    pub resynced: bool,
    /// The type the expression being read must have (a bare number in a
    /// data context is one hex octet to dhcpd).
    pub(crate) context: Ty,
}

impl<'c, 'a> Checker<'c, 'a> {
    pub fn new(cur: &'c mut Cursor<'a>, known: &'c mut Known) -> Checker<'c, 'a> {
        Checker {
            cur,
            known,
            depth: 0,
            problems: Vec::new(),
            warnings: Vec::new(),
            resynced: false,
            context: Ty::Any,
        }
    }

    // ---- tokens ----

    pub(crate) fn peek(&mut self) -> Token {
        self.cur.peek()
    }

    pub(crate) fn bump(&mut self) -> Token {
        self.cur.bump()
    }

    pub(crate) fn text(&self, t: Token) -> &'a [u8] {
        self.cur.text(t)
    }

    fn word_lc(&self, t: Token) -> String {
        String::from_utf8_lossy(self.cur.text(t)).to_ascii_lowercase()
    }

    pub(crate) fn describe(&self, t: Token) -> String {
        self.cur.describe(t)
    }

    pub(crate) fn eat_punct(&mut self, c: u8) -> bool {
        self.cur.eat_punct(c)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        self.cur.eat_word(w)
    }

    pub(crate) fn problem(&self, t: Token, message: String) -> Problem {
        Problem {
            at: t.pos(),
            message,
        }
    }

    pub(crate) fn expect_punct(&mut self, c: u8, what: &str) -> Checked {
        let t = self.peek();
        if t.is_punct(c) {
            self.bump();
            return Ok(());
        }
        Err(self.problem(t, format!("expected {what}, found {}", self.describe(t))))
    }

    fn expect_word(&mut self, w: &str, what: &str) -> Checked {
        let t = self.peek();
        if self.cur.is_word(t, w) {
            self.bump();
            return Ok(());
        }
        Err(self.problem(t, format!("expected {what}, found {}", self.describe(t))))
    }

    /// The `;` that ends a statement. When it is missing the problem is
    /// placed where it belongs: right after the statement's last token.
    pub fn semicolon(&mut self, after: &str) -> Checked {
        let t = self.peek();
        if t.is_punct(b';') {
            self.bump();
            return Ok(());
        }
        Err(Problem {
            at: self.cur.prev_end(),
            message: format!("expected ';' after {after}, found {}", self.describe(t)),
        })
    }

    pub(crate) fn enter(&mut self) -> Checked {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek();
            return Err(self.problem(t, format!("nested more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// A complete quoted string.
    pub(crate) fn string(&mut self) -> Checked {
        let t = self.peek();
        if t.kind != Kind::Str {
            return Err(self.problem(
                t,
                format!("expected a quoted string, found {}", self.describe(t)),
            ));
        }
        self.bump();
        if t.unterminated {
            return Err(self.problem(t, "unterminated string: the closing '\"' is missing".into()));
        }
        Ok(())
    }

    /// One word that is not a reserved keyword.
    pub(crate) fn name(&mut self, what: &str) -> Result<String, Problem> {
        let t = self.peek();
        if t.kind != Kind::Word {
            return Err(self.problem(t, format!("expected {what}, found {}", self.describe(t))));
        }
        self.bump();
        Ok(self.word_lc(t))
    }

    /// A name or a quoted string (class, key, peer and zone names).
    fn name_or_string(&mut self, what: &str) -> Result<String, Problem> {
        let t = self.peek();
        if t.kind == Kind::Str {
            self.string()?;
            return Ok(String::from_utf8_lossy(self.text(t)).into_owned());
        }
        if t.kind == Kind::Word {
            return read_dotted_name(self.cur).map_err(|e| Problem {
                at: e.at,
                message: e.message,
            });
        }
        Err(self.problem(t, format!("expected {what}, found {}", self.describe(t))))
    }

    /// The rest of a hex list whose first octet and `:` were read.
    pub(crate) fn hex_list_rest(&mut self, first: Token) -> Checked {
        self.hex_octet(first)?;
        loop {
            let t = self.bump();
            self.hex_octet(t)?;
            if !self.eat_punct(b':') {
                return Ok(());
            }
        }
    }

    pub(crate) fn hex_octet(&self, t: Token) -> Checked {
        let text = self.text(t);
        let ok = t.kind == Kind::Word
            && !text.is_empty()
            && text.iter().all(u8::is_ascii_hexdigit)
            && u32::from_str_radix(&String::from_utf8_lossy(text), 16).is_ok_and(|v| v <= 0xff);
        if ok {
            Ok(())
        } else {
            Err(self.problem(
                t,
                format!(
                    "expected a hex octet (at most ff), found {}",
                    self.describe(t)
                ),
            ))
        }
    }

    /// `NAME` or `SPACE.NAME`: an option dhcpd knows. Returns its format.
    pub(crate) fn option_reference(&mut self) -> Result<String, Problem> {
        let first = self.peek();
        let mut space = "dhcp".to_string();
        let mut name = self.name("an option name")?;
        if self.peek().is_punct(b'.') {
            self.bump();
            space = name;
            name = self.name("an option name after the '.'")?;
        }
        if !tables::is_space(&space) && !self.known.spaces.contains(&space) {
            return Err(self.problem(first, format!("no option space named '{space}'")));
        }
        if let Some(f) = self.known.options.get(&format!("{space}.{name}")) {
            return Ok(f.clone());
        }
        if let Some(d) = tables::find(&space, &name) {
            return Ok(d.format.to_string());
        }
        Err(self.problem(
            first,
            format!("unknown option {space}.{name} (define it with 'option {name} code N = TYPE;' first)"),
        ))
    }

    // ---- statements ----

    /// Reads one statement whose first word `kw` was consumed, in `place`.
    /// Problems inside blocks are collected in `problems`; the returned
    /// one ends the statement (the caller recovers with [`recover`]).
    pub fn statement(&mut self, kw: Token, place: Place) -> Checked {
        let word = self.word_lc(kw);
        match word.as_str() {
            "option" | "supersede" | "default" | "prepend" | "append" | "send" => {
                self.option_statement(&word)
            }
            "if" => self.if_statement(),
            "set" => {
                self.name("a variable name")?;
                self.expect_punct(b'=', "'=' in the set statement")?;
                self.expression(Ty::Any)?;
                self.semicolon("the set statement")
            }
            "unset" => {
                self.name("a variable name")?;
                self.semicolon("the unset statement")
            }
            "eval" => {
                self.expression(Ty::Any)?;
                self.semicolon("the eval statement")
            }
            "return" => {
                self.expression(Ty::Any)?;
                self.semicolon("the return statement")
            }
            "break" => self.semicolon("break"),
            "add" => {
                self.name_or_string("a class name")?;
                self.semicolon("the add statement")
            }
            "log" => self.log_statement(),
            "execute" => self.execute_statement(),
            "on" => self.on_statement(),
            "switch" => self.switch_statement(),
            "define" => self.define_statement(),
            "zone" if place != Place::Executable => self.zone_declaration(),
            "key" if place != Place::Executable => self.key_declaration(),
            _ if place == Place::Executable => match tables::find("server", &word) {
                Some(d) => self.parameter(kw, d.format),
                None => self.bare_identifier(kw, &word),
            },
            "class" | "vendor-class" | "user-class" => self.class_declaration(),
            "subclass" => self.subclass_declaration(),
            "failover" => self.failover(place),
            "allow" | "deny" | "ignore" => self.permit(&word, place),
            "authoritative" => self.semicolon("authoritative"),
            "not" => {
                self.expect_word("authoritative", "'authoritative' after 'not'")?;
                self.semicolon("not authoritative")
            }
            "server-identifier" => {
                self.atoms("I")?;
                self.semicolon("server-identifier")
            }
            "lease-id-format" => self.one_of(&["octal", "hex"], "lease-id-format"),
            "db-time-format" => self.one_of(&["default", "local"], "db-time-format"),
            "server-duid" => self.server_duid(),
            "uid" if place == Place::Host => {
                self.data_value("uid")?;
                self.semicolon("uid")
            }
            "host-identifier" if place == Place::Host => {
                self.expect_word("option", "'option' after 'host-identifier'")?;
                let format = self.option_reference()?;
                self.atoms(&format)?;
                self.semicolon("host-identifier")
            }
            "match" if place == Place::Class => {
                if self.eat_word("if") {
                    self.expression(Ty::Bool)?;
                } else {
                    self.expression(Ty::Data)?;
                }
                self.semicolon("the match statement")
            }
            "spawn" if place == Place::Class => {
                self.expect_word("with", "'with' after 'spawn'")?;
                self.expression(Ty::Data)?;
                self.semicolon("spawn with")
            }
            "lease" if place == Place::Class => {
                self.expect_word("limit", "'limit' after 'lease'")?;
                self.atoms("L")?;
                self.semicolon("lease limit")
            }
            "range6" | "prefix6" | "fixed-address6" | "fixed-prefix6" | "subnet6" | "pool6" => {
                Err(self.problem(
                    kw,
                    format!("{word} is only valid in a DHCPv6 configuration (dhcpd -6); dhcpd -4 refuses it"),
                ))
            }
            _ => match tables::find("server", &word) {
                Some(d) => self.parameter(kw, d.format),
                None => self.bare_identifier(kw, &word),
            },
        }
    }

    /// A word dhcpd does not know as a statement: `NAME = EXPR;` assigns a
    /// variable and `NAME;` evaluates one (dhcpd takes both anywhere);
    /// anything else is an unknown statement.
    fn bare_identifier(&mut self, kw: Token, word: &str) -> Checked {
        let text = self.text(kw);
        if reserved(word) || KEYWORDS.contains(&word) || text.iter().all(u8::is_ascii_digit) {
            return Err(self.unknown(kw));
        }
        // A hex-looking word is a data constant to dhcpd (`ab;`, `aa:bb;`).
        if text.iter().all(u8::is_ascii_hexdigit) {
            if self.eat_punct(b':') {
                self.hex_list_rest(kw)?;
            } else {
                self.hex_octet(kw)?;
            }
        }
        let t = self.peek();
        if t.is_punct(b';') {
            self.bump();
            return Ok(());
        }
        if t.is_punct(b'=') {
            self.bump();
            self.expression(Ty::Any)?;
            return self.semicolon(&format!("the assignment to {word}"));
        }
        Err(self.unknown(kw))
    }

    fn unknown(&self, kw: Token) -> Problem {
        self.problem(
            kw,
            format!(
                "unknown statement {}: not a dhcpd parameter or declaration (dhcpd: \"expecting a parameter or declaration\")",
                self.describe(kw)
            ),
        )
    }

    /// A parameter of the `server` space: its value, then `;`.
    fn parameter(&mut self, kw: Token, format: &str) -> Checked {
        let name = String::from_utf8_lossy(self.text(kw)).into_owned();
        if self.eat_punct(b'=') {
            self.expression(Ty::Data)?;
        } else {
            self.atoms(format)?;
        }
        self.semicolon(&name)
    }

    /// `option NAME VALUE;`, `option NAME = EXPR;`, `option space …;`,
    /// `option NAME code N = TYPE;` (and the supersede/default/… forms).
    pub fn option_statement(&mut self, keyword: &str) -> Checked {
        let t = self.peek();
        if keyword == "option" && self.cur.is_word(t, "space") {
            self.bump();
            return self.option_space();
        }
        // A definition names an option that may not exist yet.
        let first = self.peek();
        let mut space = "dhcp".to_string();
        let mut name = self.name("an option name")?;
        if self.peek().is_punct(b'.') {
            self.bump();
            space = name;
            name = self.name("an option name after the '.'")?;
        }
        if keyword == "option" && self.cur.peek_is_word("code") {
            self.bump();
            return self.option_definition(&space, &name);
        }
        self.cur.seek(first.pos());
        let format = self.option_reference()?;
        let what = if space == "dhcp" {
            format!("option {name}")
        } else {
            format!("option {space}.{name}")
        };
        if self.eat_punct(b'=') {
            self.expression(Ty::Data)?;
        } else {
            self.atoms(&format)?;
        }
        self.semicolon(&what)
    }

    /// `option space NAME [code width N] [length width N] [hash size N];`
    fn option_space(&mut self) -> Checked {
        let name = self.name("an option space name")?;
        loop {
            let t = self.peek();
            if t.is_punct(b';') {
                self.bump();
                self.known.spaces.insert(name);
                return Ok(());
            }
            let w = self.name("'code', 'length' or 'hash' in the option space declaration")?;
            match w.as_str() {
                "code" | "length" => {
                    self.expect_word("width", "'width'")?;
                    let n = self.bump();
                    let width_ok = matches!(self.text(n), b"1" | b"2" | b"4")
                        || (w == "length" && self.text(n) == b"0");
                    if !width_ok {
                        return Err(self.problem(n, format!("{w} width must be 1, 2 or 4")));
                    }
                }
                "hash" => {
                    self.expect_word("size", "'size'")?;
                    self.number(32, false, "hash size")?;
                }
                _ => {
                    return Err(self.problem(
                        t,
                        format!(
                            "unexpected {} in option space declaration",
                            self.describe(t)
                        ),
                    ));
                }
            }
        }
    }

    /// `option NAME code N = TYPE;`: records the new option's format.
    fn option_definition(&mut self, space: &str, name: &str) -> Checked {
        if space != "dhcp" && !tables::is_space(space) && !self.known.spaces.contains(space) {
            let t = self.peek();
            return Err(self.problem(t, format!("no option space named '{space}'")));
        }
        self.number(32, false, "option code")?;
        self.expect_punct(b'=', "'=' after the option code")?;
        let format = if self.eat_word("array") {
            self.expect_word("of", "'of' after 'array'")?;
            format!("{}A", self.data_type()?)
        } else if self.eat_punct(b'{') {
            let mut f = String::new();
            loop {
                let t = self.peek();
                if self.cur.is_word(t, "array") {
                    self.bump();
                    self.expect_word("of", "'of' after 'array'")?;
                    f.push_str(&self.data_type()?);
                    f.push('A');
                } else {
                    f.push_str(&self.data_type()?);
                }
                if self.eat_punct(b'}') {
                    break;
                }
                self.expect_punct(b',', "',' or '}' in the record type")?;
            }
            f
        } else {
            self.data_type()?
        };
        self.semicolon(&format!("the definition of option {name}"))?;
        self.known.options.insert(format!("{space}.{name}"), format);
        Ok(())
    }

    /// One data type of an option definition, as a format.
    fn data_type(&mut self) -> Result<String, Problem> {
        let t = self.peek();
        let w = self.name("a data type")?;
        let format = match w.as_str() {
            "ip-address" => "I".to_string(),
            "ip6-address" => "6".to_string(),
            "boolean" => "f".to_string(),
            "text" => "t".to_string(),
            "string" => "X".to_string(),
            "domain-name" => "d".to_string(),
            "zerolen" => "Z".to_string(),
            "domain-list" => {
                self.eat_word("compressed");
                "D".to_string()
            }
            "encapsulate" => {
                let s = self.name("an option space name")?;
                format!("E{s}.")
            }
            "integer" | "signed" | "unsigned" => {
                let signed = w != "unsigned";
                if w != "integer" {
                    self.expect_word("integer", "'integer'")?;
                }
                let n = self.bump();
                let c = match self.text(n) {
                    b"8" => 'b',
                    b"16" => 's',
                    b"32" => 'l',
                    _ => {
                        return Err(self.problem(
                            n,
                            format!(
                                "integer width must be 8, 16 or 32, found {}",
                                self.describe(n)
                            ),
                        ));
                    }
                };
                if signed {
                    c.to_string()
                } else {
                    c.to_ascii_uppercase().to_string()
                }
            }
            _ => return Err(self.problem(t, format!("unknown data type '{w}'"))),
        };
        Ok(format)
    }

    /// `if BOOL { … } [elsif BOOL { … }]* [else { … } | else if …]`
    fn if_statement(&mut self) -> Checked {
        self.enter()?;
        let r = (|| {
            loop {
                self.expression(Ty::Bool)?;
                self.executable_block()?;
                if self.eat_word("elsif") {
                    continue;
                }
                if self.eat_word("else") {
                    if self.eat_word("if") {
                        continue;
                    }
                    self.executable_block()?;
                }
                return Ok(());
            }
        })();
        self.leave();
        r
    }

    /// `{ statement* }` of executable statements.
    fn executable_block(&mut self) -> Checked {
        self.expect_punct(b'{', "'{'")?;
        self.block_body(Place::Executable)
    }

    /// Statements up to the `}` that closes a block this checker opened,
    /// recovering after each bad one.
    fn block_body(&mut self, place: Place) -> Checked {
        self.enter()?;
        let r =
            loop {
                let t = self.peek();
                match t.kind {
                    Kind::Punct(b'}') => {
                        self.bump();
                        break Ok(());
                    }
                    Kind::Eof => {
                        break Err(
                            self.problem(t, "unexpected end of file: a '{' is never closed".into())
                        );
                    }
                    Kind::Word => {
                        let kw = self.bump();
                        if let Err(p) = self.statement(kw, place) {
                            self.problems.push(p);
                            if std::mem::take(&mut self.resynced) {
                                continue;
                            }
                            if recover(self.cur).is_some() {
                                break Err(
                                    self.problem(t, "unexpected end of file inside a block".into())
                                );
                            }
                            // A declaration keyword stopped the recovery: it
                            // cannot be read here, so skip it as a statement.
                            let next = self.peek();
                            if next.kind == Kind::Word && is_declaration(self.text(next)) {
                                let w = self.bump();
                                self.problems.push(self.problem(
                                    w,
                                    format!("{} is not allowed here", self.describe(w)),
                                ));
                                self.cur.skip_statement();
                            }
                        }
                    }
                    _ => {
                        self.bump();
                        self.problems.push(self.problem(
                            t,
                            format!("expected a statement, found {}", self.describe(t)),
                        ));
                        recover(self.cur);
                    }
                }
            };
        self.leave();
        r
    }

    /// `on commit|release|expiry [or …] { … }`
    fn on_statement(&mut self) -> Checked {
        loop {
            let t = self.peek();
            let w = self.name("a lease event (commit, release or expiry)")?;
            if !matches!(w.as_str(), "commit" | "release" | "expiry" | "transmission") {
                return Err(self.problem(
                    t,
                    format!("expected a lease event (commit, release or expiry), found '{w}'"),
                ));
            }
            if !self.eat_word("or") {
                break;
            }
        }
        self.executable_block()
    }

    /// `switch (EXPR) { case EXPR: … default: … }`
    fn switch_statement(&mut self) -> Checked {
        self.expect_punct(b'(', "'(' after 'switch'")?;
        self.expression(Ty::Any)?;
        self.expect_punct(b')', "')'")?;
        self.expect_punct(b'{', "'{'")?;
        loop {
            let t = self.peek();
            if t.is_punct(b'}') {
                self.bump();
                return Ok(());
            }
            if self.cur.is_word(t, "case") {
                self.bump();
                self.expression(Ty::Any)?;
                self.expect_punct(b':', "':' after the case value")?;
            } else if self.cur.is_word(t, "default") {
                self.bump();
                self.expect_punct(b':', "':' after 'default'")?;
            } else if t.kind == Kind::Word {
                let kw = self.bump();
                self.statement(kw, Place::Executable)?;
            } else {
                return Err(self.problem(
                    t,
                    format!("expected a statement, found {}", self.describe(t)),
                ));
            }
        }
    }

    /// `define NAME = EXPR;` or `define NAME (ARGS) { … }`
    fn define_statement(&mut self) -> Checked {
        self.name("a name to define")?;
        if self.eat_punct(b'=') {
            self.expression(Ty::Any)?;
            return self.semicolon("the define statement");
        }
        self.expect_punct(b'(', "'=' or '(' after the name")?;
        if !self.eat_punct(b')') {
            loop {
                self.name("an argument name")?;
                if self.eat_punct(b')') {
                    break;
                }
                self.expect_punct(b',', "',' or ')'")?;
            }
        }
        self.executable_block()
    }

    /// `log ([fatal|error|info|debug ,] DATA);`
    ///
    /// dhcpd is lenient here in a way it is nowhere else: when the logged
    /// expression cannot even start (`log (info, );`, `log (, "x")`), it
    /// drops the statement and the rest of its block without a word. We
    /// do the same; any other mistake in a log statement is an error.
    fn log_statement(&mut self) -> Checked {
        self.expect_punct(b'(', "'(' after 'log'")?;
        let t = self.peek();
        let level = t.kind == Kind::Word
            && ["fatal", "error", "info", "debug"]
                .iter()
                .any(|l| self.cur.is_word(t, l));
        if level {
            self.bump();
            self.expect_punct(b',', "',' after the log level")?;
        }
        if !self.can_start_expression() {
            let t = self.peek();
            if !self.skip_through_parentheses() {
                return Err(
                    self.problem(t, "unexpected end of file inside the log statement".into())
                );
            }
            self.skip_rest_of_block();
            return Ok(());
        }
        self.expression(Ty::Data)?;
        self.expect_punct(b')', "')' to end the log statement")?;
        self.semicolon("the log statement")
    }

    /// Whether the next token can begin an expression.
    fn can_start_expression(&mut self) -> bool {
        let t = self.peek();
        match t.kind {
            Kind::Str | Kind::Punct(b'(') => true,
            Kind::Word => {
                let w = self.word_lc(t);
                !(reserved(&w) && !super::expressions::is_function(&w) && w != "not")
                    && tables::find("server", &w).is_none()
            }
            _ => false,
        }
    }

    /// Skips to just past the `)` that closes an already read `(`, over
    /// whole `{ … }` blocks. False if the input ends first.
    fn skip_through_parentheses(&mut self) -> bool {
        let mut depth = 1u32;
        loop {
            let t = self.bump();
            match t.kind {
                Kind::Eof => return false,
                Kind::Punct(b'{') if !self.cur.skip_block_body() => return false,
                Kind::Punct(b'(') => depth += 1,
                Kind::Punct(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
    }

    /// Runs the body of a declaration whose `{` was just read. On a problem
    /// the rest of the body is skipped through its `}` (and a `;` after
    /// it), so one bad line costs only this declaration.
    fn guarded<T>(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<T, Problem>,
    ) -> Result<T, Problem> {
        let r = body(self);
        if r.is_err() {
            self.skip_rest_of_block();
            self.eat_punct(b'}');
            self.eat_punct(b';');
            self.resynced = true;
        }
        r
    }

    /// Skips to the `}` that closes the current block (left for the caller).
    fn skip_rest_of_block(&mut self) {
        loop {
            let t = self.peek();
            match t.kind {
                Kind::Eof | Kind::Punct(b'}') => return,
                Kind::Punct(b'{') => {
                    self.bump();
                    if !self.cur.skip_block_body() {
                        return;
                    }
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// `execute ("command" [, DATA …]);`
    fn execute_statement(&mut self) -> Checked {
        self.expect_punct(b'(', "'(' after 'execute'")?;
        self.string()?;
        while self.eat_punct(b',') {
            self.expression(Ty::Data)?;
        }
        self.expect_punct(b')', "')' to end the execute statement")?;
        self.semicolon("the execute statement")
    }

    /// `class "NAME" { … }`
    fn class_declaration(&mut self) -> Checked {
        let name = self.name_or_string("a class name")?;
        self.known.classes.insert(name.to_ascii_lowercase());
        if self.eat_punct(b';') {
            return Ok(());
        }
        self.expect_punct(b'{', "'{' to open the class declaration")?;
        self.block_body(Place::Class)
    }

    /// `subclass "CLASS" DATA;` or `subclass "CLASS" DATA { … }`
    fn subclass_declaration(&mut self) -> Checked {
        let t = self.peek();
        let class = self.name_or_string("the name of the class")?;
        if !self.known.classes.contains(&class.to_ascii_lowercase()) {
            return Err(self.problem(
                t,
                format!("no class named '{class}' is declared before this subclass"),
            ));
        }
        self.expression(Ty::Data)?;
        if self.eat_punct(b';') {
            return Ok(());
        }
        self.expect_punct(b'{', "';' or '{' after the subclass value")?;
        self.block_body(Place::Class)
    }

    /// `failover peer "NAME" { … }`, or `failover peer "NAME";` in a pool.
    fn failover(&mut self, place: Place) -> Checked {
        self.expect_word("peer", "'peer' after 'failover'")?;
        let name_at = self.peek();
        let name = self.name_or_string("a failover peer name")?;
        if place == Place::Pool {
            if !self.known.peers.iter().any(|(n, ..)| *n == name) {
                return Err(self.problem(
                    name_at,
                    format!("no failover peer named '{name}' is declared before this pool"),
                ));
            }
            self.known.referenced_peers.insert(name);
            return self.semicolon("the failover peer reference");
        }
        if place != Place::Scope {
            let t = self.peek();
            return Err(self.problem(t, "a failover peer cannot be declared here".into()));
        }
        if self.cur.peek_is_word("state") {
            let t = self.peek();
            return Err(self.problem(t, "failover peer state belongs in the lease file".into()));
        }
        self.expect_punct(b'{', "'{' to open the failover peer declaration")?;
        let (secondary, peer_address, mclt, balance) = self.guarded(Self::failover_body)?;
        let end = Problem {
            at: name_at.pos(),
            message: String::new(),
        };
        let fail = |message: &str| {
            Err(Problem {
                message: format!("failover peer '{name}': {message}"),
                ..end.clone()
            })
        };
        if !peer_address {
            return fail("'peer address' may not be omitted");
        }
        if secondary && balance {
            return fail("a secondary may not set split or hba (the primary does)");
        }
        if !secondary && !balance {
            return fail("a primary must have split or hba");
        }
        if !secondary && !mclt {
            return fail("a primary must have mclt");
        }
        let (line, col) = self.cur.line_col(name_at.pos());
        let file = self.cur.file().clone();
        self.known.peers.push((name, file, line, col));
        Ok(())
    }

    /// The statements of a failover peer through its `}`: returns
    /// (secondary, peer address given, mclt given, split or hba given).
    fn failover_body(&mut self) -> Result<(bool, bool, bool, bool), Problem> {
        let mut secondary = false;
        let (mut peer_address, mut mclt, mut balance) = (false, false, false);
        loop {
            let t = self.peek();
            if t.is_punct(b'}') {
                self.bump();
                break;
            }
            if t.kind == Kind::Eof {
                return Err(self.problem(
                    t,
                    "unexpected end of file in the failover peer declaration".into(),
                ));
            }
            // dhcpd reads `peer` as a prefix of any statement here.
            let mut peer = false;
            while self.eat_word("peer") {
                peer = true;
            }
            let at = self.peek();
            let w = self.name("a failover peer statement")?;
            match w.as_str() {
                "primary" => secondary = false,
                "secondary" => secondary = true,
                "address" => {
                    self.atoms("I")?;
                    peer_address |= peer;
                }
                // dhcpd does not range-check the port here.
                "port" => self.number(32, false, "port")?,
                "max-response-delay"
                | "max-unacked-updates"
                | "max-lease-misbalance"
                | "max-lease-ownership"
                | "max-balance"
                | "min-balance"
                | "auto-partner-down" => self.number(32, false, &w)?,
                "mclt" => {
                    self.number(32, false, "mclt")?;
                    mclt = true;
                }
                "split" => {
                    let n = self.peek();
                    self.number(32, false, "split")?;
                    if crate::dhcp::values::decimal(self.text(n)).is_some_and(|v| v > 256) {
                        return Err(self.problem(n, "split must be 0 to 256".into()));
                    }
                    balance = true;
                }
                "hba" => {
                    let f = self.bump();
                    let mut octets = 1;
                    while self.eat_punct(b':') {
                        let o = self.bump();
                        self.hex_octet(o)?;
                        octets += 1;
                    }
                    self.hex_octet(f)?;
                    if octets != 32 {
                        return Err(self.problem(
                            f,
                            format!("hba needs 32 colon-separated octets, found {octets}"),
                        ));
                    }
                    balance = true;
                }
                "load" => {
                    self.expect_word("balance", "'balance' after 'load'")?;
                    self.expect_word("max", "'max' after 'load balance'")?;
                    self.expect_word("seconds", "'seconds'")?;
                    self.number(32, false, "load balance max seconds")?;
                }
                _ => {
                    return Err(self.problem(
                        at,
                        format!("unknown statement '{w}' in failover peer declaration"),
                    ));
                }
            }
            self.semicolon(&w)?;
        }
        Ok((secondary, peer_address, mclt, balance))
    }

    /// `key NAME { algorithm NAME; secret BASE64; }` with an optional `;`.
    fn key_declaration(&mut self) -> Checked {
        self.name_or_string("a key name")?;
        self.expect_punct(b'{', "'{' to open the key declaration")?;
        self.guarded(|c| c.key_body())
    }

    fn key_body(&mut self) -> Checked {
        loop {
            let t = self.peek();
            if t.is_punct(b'}') {
                self.bump();
                self.eat_punct(b';');
                return Ok(());
            }
            let w = self.name("'algorithm' or 'secret'")?;
            match w.as_str() {
                "algorithm" => {
                    self.name_or_string("an algorithm name")?;
                    self.semicolon("algorithm")?;
                }
                "secret" => self.base64_secret()?,
                _ => {
                    return Err(
                        self.problem(t, format!("unknown statement '{w}' in key declaration"))
                    );
                }
            }
        }
    }

    /// `secret BASE64;`: quoted or bare pieces, read as dhcpd does (only
    /// base64 characters, nothing after `=` padding, and not one character
    /// too many for whole bytes).
    fn base64_secret(&mut self) -> Checked {
        let (mut chars, mut padded) = (0usize, false);
        loop {
            let t = self.peek();
            match t.kind {
                Kind::Punct(b';') => break,
                Kind::Str | Kind::Word => {}
                _ => {
                    return Err(Problem {
                        at: self.cur.prev_end(),
                        message: format!(
                            "expected ';' after the secret, found {}",
                            self.describe(t)
                        ),
                    });
                }
            }
            self.bump();
            for &c in self.text(t) {
                if c == b'=' {
                    padded = true;
                    continue;
                }
                if !(c.is_ascii_alphanumeric() || c == b'+' || c == b'/') {
                    return Err(
                        self.problem(t, format!("'{}' is not a base64 character", c as char))
                    );
                }
                if padded {
                    return Err(
                        self.problem(t, "the secret continues after its '=' padding".into())
                    );
                }
                chars += 1;
            }
        }
        let t = self.peek();
        if chars == 0 {
            return Err(self.problem(t, "expected a base64 secret".into()));
        }
        if chars % 4 == 1 {
            return Err(self.problem(
                t,
                "the base64 secret has a character too many or too few".into(),
            ));
        }
        self.semicolon("secret")
    }

    /// `zone NAME { primary A; secondary A; primary6 A; secondary6 A; key K; }`
    fn zone_declaration(&mut self) -> Checked {
        self.name_or_string("a zone name")?;
        self.expect_punct(b'{', "'{' to open the zone declaration")?;
        self.guarded(|c| c.zone_body())
    }

    fn zone_body(&mut self) -> Checked {
        loop {
            let t = self.peek();
            if t.is_punct(b'}') {
                // Unlike `key`, dhcpd takes no `;` after a zone's `}`.
                self.bump();
                return Ok(());
            }
            let w = self.name("a zone statement")?;
            match w.as_str() {
                "primary" | "secondary" => loop {
                    self.atoms("I")?;
                    if !self.eat_punct(b',') {
                        break;
                    }
                },
                "primary6" | "secondary6" => self.atoms("6A")?,
                "key" => {
                    self.name_or_string("a key name")?;
                }
                _ => {
                    return Err(
                        self.problem(t, format!("unknown statement '{w}' in zone declaration"))
                    );
                }
            }
            self.semicolon(&w)?;
        }
    }

    /// `allow`/`deny`/`ignore` and what they may name where.
    fn permit(&mut self, verb: &str, place: Place) -> Checked {
        let t = self.peek();
        let w = self.name(&format!("what to {verb}"))?;
        if place == Place::Pool && verb != "ignore" {
            match w.as_str() {
                "unknown-clients" | "known-clients" => {}
                "known" | "unknown" | "all" | "authenticated" | "unauthenticated" => {
                    self.expect_word("clients", &format!("'clients' after '{w}'"))?;
                }
                "dynamic" => {
                    self.expect_word("bootp", "'bootp' after 'dynamic'")?;
                    self.expect_word("clients", "'clients' after 'dynamic bootp'")?;
                }
                "members" => {
                    self.expect_word("of", "'of' after 'members'")?;
                    let c = self.peek();
                    let class = self.name_or_string("a class name")?;
                    if !self.known.classes.contains(&class.to_ascii_lowercase()) {
                        return Err(self.problem(
                            c,
                            format!("no class named '{class}' is declared before this"),
                        ));
                    }
                }
                "after" => {
                    return self.words_until_semicolon();
                }
                _ => {
                    return Err(self.problem(t, format!("'{w}' is not something a pool can {verb} (unknown clients, known clients, members of \"class\", …)")));
                }
            }
        } else {
            const KEYS: &[&str] = &[
                "unknown-clients",
                "bootp",
                "booting",
                "dynamic-bootp",
                "duplicates",
                "declines",
                "client-updates",
                "leasequery",
            ];
            if !KEYS.contains(&w.as_str()) {
                return Err(self.problem(t, format!("'{w}' cannot be {verb}ed here (outside a pool: unknown-clients, bootp, booting, duplicates, declines, client-updates, leasequery)")));
            }
        }
        self.semicolon(&format!("{verb} {w}"))
    }

    fn one_of(&mut self, values: &[&str], what: &str) -> Checked {
        let t = self.peek();
        let w = self.name(&format!("a value for {what}"))?;
        if !values.contains(&w.as_str()) {
            return Err(self.problem(
                t,
                format!("{what} is one of {}, found '{w}'", values.join(", ")),
            ));
        }
        self.semicolon(what)
    }

    /// `server-duid` as dhcpd reads it: `LLT [TYPE TIME OCTETS]`,
    /// `LL [TYPE OCTETS]`, `EN NUMBER "ID"`, or `NUMBER "DUID"` (the
    /// type by its number, the DUID whole); TYPE is `ethernet`,
    /// `token-ring` or `fddi`, OCTETS a hex list, numbers decimal.
    fn server_duid(&mut self) -> Checked {
        let t = self.peek();
        let word = if t.kind == Kind::Word {
            self.word_lc(t)
        } else {
            String::new()
        };
        match word.as_str() {
            "en" => {
                self.bump();
                self.decimal("an enterprise number")?;
                self.string()?;
            }
            "ll" | "llt" => {
                self.bump();
                if !self.peek().is_punct(b';') {
                    let hw = self.peek();
                    let name = self.name("a hardware type (ethernet, token-ring or fddi)")?;
                    if !matches!(name.as_str(), "ethernet" | "token-ring" | "fddi") {
                        return Err(self.problem(
                            hw,
                            format!("expected a hardware type (ethernet, token-ring or fddi), found '{name}'"),
                        ));
                    }
                    if word == "llt" {
                        self.decimal("a timestamp (seconds)")?;
                    }
                    let first = self.peek();
                    if first.kind != Kind::Word {
                        return Err(self.problem(
                            first,
                            format!(
                                "expected the link-layer address as hex octets (server-duid {} TYPE {}ADDRESS), found {}",
                                word.to_uppercase(),
                                if word == "llt" { "TIMESTAMP " } else { "" },
                                self.describe(first)
                            ),
                        ));
                    }
                    self.bump();
                    if self.eat_punct(b':') {
                        self.hex_list_rest(first)?;
                    } else {
                        self.hex_octet(first)?;
                    }
                }
            }
            w if is_decimal(w) => {
                self.bump();
                self.string()?;
            }
            _ => {
                return Err(self.problem(
                    t,
                    format!(
                        "expected a DUID type (LLT, LL, EN, or its number), found {}",
                        self.describe(t)
                    ),
                ));
            }
        }
        self.semicolon("server-duid")
    }

    /// A decimal number as dhcpd's lexer reads one (digits, maybe a `-`).
    fn decimal(&mut self, what: &str) -> Checked {
        let t = self.peek();
        if t.kind == Kind::Word && is_decimal(&String::from_utf8_lossy(self.text(t))) {
            self.bump();
            return Ok(());
        }
        Err(self.problem(t, format!("expected {what}, found {}", self.describe(t))))
    }

    /// Anything up to `;` on this level (values dhcpd reads freely).
    fn words_until_semicolon(&mut self) -> Checked {
        loop {
            let t = self.peek();
            match t.kind {
                Kind::Punct(b';') => {
                    self.bump();
                    return Ok(());
                }
                Kind::Punct(b'{' | b'}') | Kind::Eof => {
                    return Err(Problem {
                        at: self.cur.prev_end(),
                        message: format!("expected ';', found {}", self.describe(t)),
                    });
                }
                Kind::Word if is_declaration(self.text(t)) => {
                    return Err(Problem {
                        at: self.cur.prev_end(),
                        message: format!("expected ';', found {}", self.describe(t)),
                    });
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    // ---- values by format ----

    /// A value written in dhcpd's format language (see [`tables`]).
    pub fn atoms(&mut self, format: &str) -> Checked {
        let parsed = Format::parse(format);
        let mut first = true;
        loop {
            let atoms: &[Atom] = if first || parsed.repeat == Repeat::Whole {
                &parsed.atoms
            } else {
                parsed
                    .atoms
                    .get(parsed.atoms.len().saturating_sub(1)..)
                    .unwrap_or(&[])
            };
            for atom in atoms {
                let t = self.peek();
                if atom.optional && t.is_punct(b';') {
                    continue;
                }
                if t.too_long() {
                    return Err(self.problem(t, "value is longer than 64 KiB".into()));
                }
                self.atom(atom)?;
            }
            first = false;
            if parsed.repeat != Repeat::No && self.eat_punct(b',') {
                continue;
            }
            return Ok(());
        }
    }

    fn atom(&mut self, atom: &Atom) -> Checked {
        let t = self.peek();
        match atom.code {
            'I' => read_address_or_name(self.cur)
                .map(|_| ())
                .map_err(|e| Problem {
                    at: e.at,
                    message: e.message,
                }),
            '6' => self.ipv6(),
            'l' => self.option_integer(32, false, "a number"),
            'L' => self.option_integer(32, true, "a number"),
            's' => self.option_integer(16, false, "a number"),
            'S' => self.option_integer(16, true, "a number"),
            'b' => self.option_integer(8, false, "a number"),
            'B' => self.option_integer(8, true, "a number"),
            'T' => {
                if self.cur.is_word(t, "infinite") {
                    self.bump();
                    return Ok(());
                }
                self.option_integer(32, false, "a lease time (seconds or 'infinite')")
            }
            'f' => {
                const BOOLS: &[&str] = &["true", "false", "on", "off", "ignore"];
                if t.kind == Kind::Word && BOOLS.iter().any(|b| self.cur.is_word(t, b)) {
                    self.bump();
                    return Ok(());
                }
                Err(self.problem(
                    t,
                    format!(
                        "expected true, false, on, off or ignore, found {}",
                        self.describe(t)
                    ),
                ))
            }
            't' => {
                if t.kind == Kind::Str {
                    return self.string();
                }
                if t.kind == Kind::Word && !self.text(t).iter().all(u8::is_ascii_digit) {
                    self.bump();
                    return Ok(());
                }
                Err(self.problem(
                    t,
                    format!("expected a quoted string, found {}", self.describe(t)),
                ))
            }
            'X' | 'E' => self.data_value("value"),
            'd' => {
                if t.kind != Kind::Word {
                    return Err(self.problem(
                        t,
                        format!(
                            "expected a domain name (unquoted), found {}",
                            self.describe(t)
                        ),
                    ));
                }
                read_dotted_name(self.cur).map(|_| ()).map_err(|e| Problem {
                    at: e.at,
                    message: e.message,
                })
            }
            'D' => loop {
                let s = self.peek();
                if s.kind != Kind::Str {
                    return Err(self.problem(
                        s,
                        format!("expected a quoted domain name, found {}", self.describe(s)),
                    ));
                }
                self.string()?;
                if !self.eat_punct(b',') {
                    return Ok(());
                }
            },
            'N' => {
                let values = tables::enumeration(atom.arg).unwrap_or(&[]);
                if t.kind == Kind::Word {
                    let w = self.text(t);
                    if values.iter().any(|v| v.as_bytes().eq_ignore_ascii_case(w)) {
                        self.bump();
                        return Ok(());
                    }
                }
                Err(self.problem(
                    t,
                    format!(
                        "expected one of {}, found {}",
                        values.join(", "),
                        self.describe(t)
                    ),
                ))
            }
            'U' => self.name("an option space name").map(|_| ()),
            _ => Ok(()),
        }
    }

    /// A string or a colon-separated hex list (`X`, `E`, `uid`).
    fn data_value(&mut self, what: &str) -> Checked {
        let t = self.peek();
        if t.kind == Kind::Str {
            return self.string();
        }
        if t.kind == Kind::Word {
            self.bump();
            if self.eat_punct(b':') {
                return self.hex_list_rest(t);
            }
            return self.hex_octet(t);
        }
        Err(self.problem(
            t,
            format!(
                "expected a quoted string or a hex list as {what}, found {}",
                self.describe(t)
            ),
        ))
    }

    /// An integer of `bits` bits (dhcpd also takes `0x` hex).
    fn number(&mut self, bits: u32, signed: bool, what: &str) -> Checked {
        let t = self.peek();
        let text = String::from_utf8_lossy(self.text(t)).into_owned();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let value = if let Some(hex) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            u64::from_str_radix(hex, 16).ok()
        } else if digits.len() > 1 && digits.starts_with('0') {
            // A leading 0 makes it octal to dhcpd (`010` is 8; `09` is wrong).
            u64::from_str_radix(digits, 8).ok()
        } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse::<u64>().ok()
        } else {
            None
        };
        let Some(v) = value.filter(|_| t.kind == Kind::Word) else {
            return Err(self.problem(t, format!("expected {what}, found {}", self.describe(t))));
        };
        let max = (1u64 << bits) - 1;
        if v > max || (negative && !signed && v > 0) {
            return Err(self.problem(t, format!("{text} does not fit in {bits} bits")));
        }
        self.bump();
        Ok(())
    }

    /// An integer option value (or lease time) of `bits` bits as dhcpd
    /// reads one:
    /// decimal, octal (a leading `0`) or hex (`0x`, not after a `-`),
    /// taken modulo 2^32; then at most 2^bits - 1, or down to
    /// -2^(bits-1) when negative, signed type or not. What dhcpd takes
    /// but stores otherwise than written (more than 32 bits, a negative
    /// number in an unsigned field) is a warning.
    fn option_integer(&mut self, bits: u32, unsigned: bool, what: &str) -> Checked {
        let t = self.peek();
        let text = String::from_utf8_lossy(self.text(t)).into_owned();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (base, body) = match digits.get(..2) {
            Some("0x" | "0X") if !negative => (16, digits.get(2..).unwrap_or("")),
            _ if digits.len() > 1 && digits.starts_with('0') => (8, digits.get(1..).unwrap_or("")),
            _ => (10, digits),
        };
        let mut wrapped: u32 = 0;
        let mut exact: Option<u64> = Some(0);
        let mut valid = t.kind == Kind::Word && !body.is_empty();
        for c in body.chars() {
            let Some(d) = c.to_digit(base) else {
                valid = false;
                break;
            };
            wrapped = wrapped.wrapping_mul(base).wrapping_add(d);
            exact = exact
                .and_then(|e| e.checked_mul(u64::from(base)))
                .and_then(|e| e.checked_add(u64::from(d)));
        }
        if !valid {
            return Err(self.problem(t, format!("expected {what}, found {}", self.describe(t))));
        }
        let limit: u64 = if negative {
            1 << (bits - 1)
        } else {
            (1 << bits) - 1
        };
        let value = u64::from(wrapped);
        if value > limit {
            return Err(self.problem(t, format!("{text} does not fit in {bits} bits")));
        }
        self.bump();
        let sign = if negative && value > 0 { "-" } else { "" };
        if exact != Some(value) {
            let warning = format!("{text} is more than 32 bits: dhcpd reads it as {sign}{value}");
            self.warnings.push(self.problem(t, warning));
        } else if negative && unsigned && value > 0 {
            let stored = (1u64 << bits) - value;
            let warning = format!("{text} in an unsigned field: dhcpd stores it as {stored}");
            self.warnings.push(self.problem(t, warning));
        }
        Ok(())
    }

    /// An IPv6 address as dhcpd reads one: touching tokens, ended by
    /// whitespace, valid as `inet_pton` sees it (an IPv4 address is not
    /// one: dhcpd -6 refuses `local-address6 10.0.0.1`).
    fn ipv6(&mut self) -> Checked {
        read_ipv6(self.cur).map(|_| ()).map_err(|e| Problem {
            at: e.at,
            message: e.message,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repeat {
    No,
    /// `A`: the whole format repeats.
    Whole,
    /// `a`: the last atom repeats.
    Last,
}

struct Atom<'f> {
    code: char,
    /// The enumeration or space name of `N…`/`E…`.
    arg: &'f str,
    optional: bool,
}

struct Format<'f> {
    atoms: Vec<Atom<'f>>,
    repeat: Repeat,
}

impl<'f> Format<'f> {
    fn parse(format: &'f str) -> Format<'f> {
        let mut atoms: Vec<Atom<'f>> = Vec::new();
        let mut repeat = Repeat::No;
        let mut rest = format;
        while let Some(c) = rest.chars().next() {
            rest = &rest[c.len_utf8()..];
            match c {
                'N' | 'E' => {
                    let end = rest.find('.').unwrap_or(rest.len());
                    atoms.push(Atom {
                        code: c,
                        arg: &rest[..end],
                        optional: false,
                    });
                    rest = rest.get(end + 1..).unwrap_or("");
                }
                'A' => repeat = Repeat::Whole,
                'a' => repeat = Repeat::Last,
                'o' => {
                    if let Some(last) = atoms.last_mut() {
                        last.optional = true;
                    }
                }
                'c' | 'Z' => {}
                _ => atoms.push(Atom {
                    code: c,
                    arg: "",
                    optional: false,
                }),
            }
        }
        Format { atoms, repeat }
    }
}

/// Every word dhcpd's lexer makes a keyword of (common/conflex.c, as
/// `dhcpd -t` shows by refusing each as a bare statement `WORD;`): a bare
/// word that is one is not a variable reference or data constant.
pub const KEYWORDS: &[&str] = &[
    "abandoned",
    "active",
    "add",
    "address",
    "after",
    "algorithm",
    "alias",
    "all",
    "allow",
    "also",
    "and",
    "anycast-mac",
    "append",
    "array",
    "at",
    "atsfp",
    "authenticated",
    "authentication",
    "authoritative",
    "auto-partner-down",
    "backup",
    "bootp",
    "binding",
    "binary-to-ascii",
    "backoff-cutoff",
    "booting",
    "boot-unknown-clients",
    "break",
    "billing",
    "boolean",
    "balance",
    "bound",
    "case",
    "check",
    "ciaddr",
    "class",
    "clients",
    "client-hostname",
    "client-identifier",
    "client-state",
    "client-updates",
    "close",
    "cltt",
    "code",
    "commit",
    "communications-interrupted",
    "compressed",
    "concat",
    "config-option",
    "conflict-done",
    "connect",
    "create",
    "db-time-format",
    "domain",
    "domain-name",
    "domain-list",
    "do-forward-update",
    "debug",
    "deny",
    "deleted",
    "delete",
    "default",
    "default-duid",
    "default-lease-time",
    "dynamic",
    "dynamic-bootp",
    "dynamic-bootp-lease-cutoff",
    "dynamic-bootp-lease-length",
    "duplicates",
    "declines",
    "defined",
    "define",
    "extract-int",
    "exists",
    "expiry",
    "expire",
    "expired",
    "encode-int",
    "epoch",
    "ethernet",
    "ends",
    "else",
    "elsif",
    "error",
    "eval",
    "encapsulate",
    "execute",
    "en",
    "fatal",
    "filename",
    "fixed-address",
    "fixed-address6",
    "fixed-prefix6",
    "fddi",
    "formerr",
    "function",
    "failover",
    "free",
    "get-lease-hostnames",
    "gethostbyname",
    "gethostname",
    "giaddr",
    "group",
    "hash",
    "hba",
    "host",
    "host-decl-name",
    "host-identifier",
    "hardware",
    "hostname",
    "help",
    "ia-na",
    "ia-ta",
    "ia-pd",
    "iaaddr",
    "iaprefix",
    "include",
    "integer",
    "infiniband",
    "infinite",
    "info",
    "ip-address",
    "ip6-address",
    "initial-interval",
    "initial-delay",
    "interface",
    "identifier",
    "if",
    "is",
    "ignore",
    "known-clients",
    "known",
    "key",
    "lcase",
    "lease",
    "lease6",
    "leased-address",
    "lease-time",
    "leasequery",
    "length",
    "limit",
    "let",
    "load",
    "local",
    "log",
    "llt",
    "ll",
    "max",
    "max-balance",
    "max-lease-misbalance",
    "max-lease-ownership",
    "max-lease-time",
    "max-life",
    "max-transmit-idle",
    "max-response-delay",
    "max-unacked-updates",
    "min-balance",
    "min-lease-time",
    "min-secs",
    "media",
    "medium",
    "match",
    "members",
    "my",
    "mclt",
    "normal",
    "nameserver",
    "netmask",
    "never",
    "next-server",
    "not",
    "no",
    "noerror",
    "notauth",
    "notimp",
    "notzone",
    "nxdomain",
    "nxrrset",
    "null",
    "next",
    "new",
    "omapi",
    "or",
    "on",
    "open",
    "option",
    "one-lease-per-client",
    "of",
    "owner",
    "prepend",
    "preferred-life",
    "packet",
    "pool",
    "pool6",
    "prefix6",
    "pseudo",
    "peer",
    "primary",
    "primary6",
    "partner",
    "partner-down",
    "port",
    "potential-conflict",
    "pick-first-value",
    "pick",
    "paused",
    "range",
    "range6",
    "rebind",
    "reboot",
    "recontact-interval",
    "recover",
    "recover-done",
    "recover-wait",
    "refresh",
    "refused",
    "reject",
    "release",
    "released",
    "remove",
    "renew",
    "request",
    "require",
    "reserved",
    "reset",
    "resolution-interrupted",
    "retry",
    "return",
    "reverse",
    "rewind",
    "script",
    "search",
    "secondary",
    "secondary6",
    "seconds",
    "secret",
    "select",
    "select-timeout",
    "send",
    "server",
    "server-duid",
    "server-name",
    "server-identifier",
    "servfail",
    "set",
    "shared-network",
    "shutdown",
    "siaddr",
    "signed",
    "size",
    "space",
    "spawn",
    "split",
    "starts",
    "startup",
    "state",
    "static",
    "string",
    "subclass",
    "subnet",
    "subnet6",
    "substring",
    "suffix",
    "supersede",
    "switch",
    "timestamp",
    "timeout",
    "token-ring",
    "text",
    "tstp",
    "tsfp",
    "transmission",
    "temporary",
    "ucase",
    "unset",
    "unsigned",
    "uid",
    "user-class",
    "use-host-decl-names",
    "use-lease-addr-for-default-route",
    "unknown-clients",
    "unknown-state",
    "unknown",
    "unauthenticated",
    "update",
    "v6relay",
    "v6relopt",
    "vendor-class",
    "vendor",
    "with",
    "width",
    "yiaddr",
    "yxdomain",
    "yxrrset",
    "zerolen",
    "zone",
];

/// `-?[0-9]+`: what dhcpd's lexer makes a NUMBER token of.
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::dhcp::lexer::Mode;

    fn check(src: &str) -> Vec<String> {
        let mut cur = Cursor::new(src.as_bytes(), Mode::Conf, Arc::from("t"));
        let mut known = Known::default();
        let mut out = Vec::new();
        loop {
            let t = cur.peek();
            if t.kind == Kind::Eof {
                break;
            }
            let kw = cur.bump();
            let mut c = Checker::new(&mut cur, &mut known);
            let r = c.statement(kw, Place::Scope);
            let mut problems = std::mem::take(&mut c.problems);
            if let Err(p) = r {
                problems.push(p);
                recover(&mut cur);
            }
            for p in problems {
                let (l, col) = cur.line_col(p.at);
                out.push(format!("{l}:{col} {}", p.message));
            }
        }
        out
    }

    #[test]
    fn valid_statements_pass() {
        let ok = r#"
            default-lease-time 600; max-lease-time infinite; ping-check on;
            ddns-update-style standard; log-facility local7; authoritative; not authoritative;
            option domain-name localdomain; option host-name "x"; option routers 10.0.0.1, gw.example.net;
            option static-routes 10.0.0.0 10.0.0.1, 10.1.0.0 10.0.0.2;
            option domain-search "a.example", "b.example";
            option dhcp-client-identifier 1:2:0044; option time-offset -3600;
            option space pxe; option pxe.mtftp-ip code 1 = ip-address; option pxe.mtftp-ip 10.0.0.9;
            option wpad code 252 = text; option wpad "http://x/wpad.dat";
            option agent.DOCSIS-device-class 5;
            class "c" { match if substring(option vendor-class-identifier, 0, 4) = "PXEC"; lease limit 4; }
            subclass "c" 1:2:3:4:5:6;
            allow unknown-clients; deny bootp; ignore client-updates;
            if exists agent.circuit-id and not known { set x = concat("a", "b"); } elsif static { log(info, "s"); } else { execute("/bin/true"); }
            on commit or release { set y = binary-to-ascii(10, 8, ".", leased-address); }
            key k { algorithm hmac-md5; secret "c2VjcmV0"; };
            zone example.com. { primary 10.0.0.1; key k; }
            failover peer "fo" { primary; address 10.0.0.1; port 647; peer address 10.0.0.2; peer port 647;
              max-response-delay 60; max-unacked-updates 10; mclt 3600; split 128; load balance max seconds 3; }
        "#;
        assert_eq!(check(ok), Vec::<String>::new());
    }

    #[test]
    fn broken_statements_are_named_where_they_break() {
        assert_eq!(
            check("authoritative\nsubnet").first().map(String::as_str),
            Some("1:14 expected ';' after authoritative, found 'subnet'")
        );
        assert_eq!(
            check("min-secs 256;"),
            vec!["1:10 256 does not fit in 8 bits"]
        );
        assert_eq!(
            check("option rapid-commit;"),
            vec![
                "1:8 unknown option dhcp.rapid-commit (define it with 'option rapid-commit code N = TYPE;' first)"
            ]
        );
        assert_eq!(
            check("option domain-name 123;"),
            vec!["1:20 expected a quoted string, found '123'"]
        );
        assert_eq!(
            check("ddns-update-style foo;"),
            vec!["1:19 expected one of none, ad-hoc, interim, standard, found 'foo'"]
        );
        assert_eq!(check("frobnicate 1;").len(), 1);
        assert_eq!(check("if known { set = 1; }").len(), 1);
        assert_eq!(check("allow known;").len(), 1);
        assert_eq!(check("subclass \"nope\" 1;").len(), 1);
    }

    #[test]
    fn recovery_stops_before_a_declaration() {
        let src = "ping-check maybe\nsubnet 10.0.0.0 netmask 255.0.0.0 { }";
        let mut cur = Cursor::new(src.as_bytes(), Mode::Conf, Arc::from("t"));
        let mut known = Known::default();
        let kw = cur.bump();
        let r = Checker::new(&mut cur, &mut known).statement(kw, Place::Scope);
        assert!(r.is_err());
        recover(&mut cur);
        assert!(cur.peek_is_word("subnet"));
    }

    #[test]
    fn deep_expressions_are_refused_not_overflowed() {
        let src = format!("if {}known{} {{ }}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(check(&src).len(), 1);
    }
}
