//! dhcpd's expressions (dhcp-eval(5)), checked, not evaluated: the
//! conditions of `if` and `match if`, the right-hand side of `set` and
//! `option NAME = …`, the arguments of `log` and `execute`.
//!
//! dhcpd types expressions as boolean, data or numeric, and refuses a
//! file where one stands in for another. Variables and user functions have
//! no declared type, so they fit anywhere ([`Ty::Any`]), as in dhcpd.

use super::lexer::{Kind, Token};
use super::statements::{Checked, Checker, Problem};

/// What an expression yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Data,
    Num,
    /// A variable, a function call or a bare number: fits any context
    /// (dhcpd reads a bare number in a data context as one hex octet).
    Any,
}

impl Ty {
    fn fits(self, want: Ty) -> bool {
        self == want || self == Ty::Any || want == Ty::Any
    }
}

/// How a built-in function is called.
enum Form {
    /// `name` alone.
    Bare,
    /// `name (arg, …)` with these argument types.
    Args(&'static [Ty]),
    /// `name (arg, arg, …)`: at least two of this type.
    Variadic(Ty),
    /// `name OPTION` / `name SPACE.OPTION`.
    OptionName,
    /// `name (WIDTH-EXPR, 8|16|32)`.
    Width(Ty),
}

/// The built-ins: name, form, result.
const FUNCTIONS: &[(&str, Form, Ty)] = &[
    (
        "substring",
        Form::Args(&[Ty::Data, Ty::Num, Ty::Num]),
        Ty::Data,
    ),
    ("suffix", Form::Args(&[Ty::Data, Ty::Num]), Ty::Data),
    ("lcase", Form::Args(&[Ty::Data]), Ty::Data),
    ("ucase", Form::Args(&[Ty::Data]), Ty::Data),
    ("concat", Form::Variadic(Ty::Data), Ty::Data),
    ("pick-first-value", Form::Variadic(Ty::Data), Ty::Data),
    ("reverse", Form::Args(&[Ty::Num, Ty::Data]), Ty::Data),
    (
        "binary-to-ascii",
        Form::Args(&[Ty::Num, Ty::Num, Ty::Data, Ty::Data]),
        Ty::Data,
    ),
    ("encode-int", Form::Width(Ty::Num), Ty::Data),
    ("extract-int", Form::Width(Ty::Data), Ty::Num),
    ("packet", Form::Args(&[Ty::Num, Ty::Num]), Ty::Data),
    ("v6relay", Form::Args(&[Ty::Num, Ty::Data]), Ty::Data),
    ("gethostname", Form::Args(&[]), Ty::Data),
    ("gethostbyname", Form::Args(&[Ty::Data]), Ty::Data),
    ("option", Form::OptionName, Ty::Data),
    ("config-option", Form::OptionName, Ty::Data),
    ("exists", Form::OptionName, Ty::Bool),
    ("encapsulate", Form::OptionName, Ty::Data),
    ("hardware", Form::Bare, Ty::Data),
    ("leased-address", Form::Bare, Ty::Data),
    ("host-decl-name", Form::Bare, Ty::Data),
    ("filename", Form::Bare, Ty::Data),
    ("server-name", Form::Bare, Ty::Data),
    ("null", Form::Bare, Ty::Data),
    ("lease-time", Form::Bare, Ty::Num),
    ("client-state", Form::Bare, Ty::Num),
    ("known", Form::Bare, Ty::Bool),
    ("static", Form::Bare, Ty::Bool),
];

/// Words dhcpd's lexer reserves: they cannot name a variable, so a stray
/// one in an expression is an error there too.
const RESERVED: &[&str] = &[
    "subnet",
    "subnet6",
    "shared-network",
    "host",
    "group",
    "pool",
    "pool6",
    "class",
    "subclass",
    "range",
    "range6",
    "prefix6",
    "include",
    "if",
    "elsif",
    "else",
    "set",
    "unset",
    "on",
    "switch",
    "case",
    "default",
    "eval",
    "execute",
    "log",
    "return",
    "define",
    "add",
    "break",
    "supersede",
    "prepend",
    "append",
    "send",
    "fixed-address",
    "failover",
    "key",
    "zone",
    "allow",
    "deny",
    "ignore",
    "match",
    "spawn",
    "with",
    "authoritative",
    "not",
    "and",
    "or",
    "on",
    "off",
    "infinite",
    "lease",
    "limit",
    "netmask",
    "peer",
    "primary",
    "secondary",
    "ethernet",
    "token-ring",
    "fddi",
    "option",
    "code",
    "space",
    "of",
    "array",
    "integer",
    "signed",
    "unsigned",
    "boolean",
    "text",
    "string",
    "ip-address",
    "ip6-address",
    "domain-name",
    "domain-list",
    "encapsulate",
    "commit",
    "release",
    "expiry",
    "members",
    "clients",
    "unknown-clients",
    "known-clients",
    "dynamic",
    "bootp",
    "booting",
    "uid",
    "hardware",
    "local",
    "hex",
    "octal",
    "leased-address",
    "concat",
    "known",
    "static",
    "substring",
    "suffix",
    "lcase",
    "ucase",
    "reverse",
    "binary-to-ascii",
    "encode-int",
    "extract-int",
    "pick-first-value",
    "packet",
    "host-decl-name",
    "lease-time",
    "exists",
    "null",
    "address",
    "port",
    "split",
    "mclt",
    "algorithm",
    "secret",
    "state",
    "starts",
    "ends",
    "binding",
    "user-class",
    "vendor-class",
];

/// Whether `word` is a built-in function or value of expressions.
pub fn is_function(word: &str) -> bool {
    FUNCTIONS.iter().any(|(n, _, _)| *n == word)
}

/// Whether `word` may name a variable or function.
pub fn reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// What a context wants, for messages.
fn wanted(ty: Ty) -> &'static str {
    match ty {
        Ty::Bool => "a boolean expression",
        Ty::Data => "a data expression",
        Ty::Num => "a numeric expression",
        Ty::Any => "an expression",
    }
}

impl Checker<'_, '_> {
    /// Checks an expression of type `want`; nesting counts against the
    /// checker's depth limit.
    pub fn expression(&mut self, want: Ty) -> Checked {
        let start = self.peek();
        let outer = std::mem::replace(&mut self.context, want);
        let ty = self.binary(0);
        self.context = outer;
        let ty = ty?;
        if !ty.fits(want) {
            return Err(self.problem(
                start,
                format!("expected {}, found {}", wanted(want), wanted(ty)),
            ));
        }
        Ok(())
    }

    /// Precedence climbing over dhcpd's binary operators (`or` binds
    /// loosest, then `and`, comparisons, then arithmetic).
    fn binary(&mut self, min: u8) -> Result<Ty, Problem> {
        let mut left = self.operand()?;
        loop {
            let Some((prec, len, operands, result)) = self.operator() else {
                return Ok(left);
            };
            if prec < min {
                return Ok(left);
            }
            let at = self.peek();
            if !left.fits(operands) {
                return Err(self.problem(
                    at,
                    format!("this operator needs {} on its left", wanted(operands)),
                ));
            }
            let first = self.bump();
            if len == 2 {
                let second = self.bump();
                let ok = matches!(
                    (first.kind, second.kind),
                    (Kind::Punct(b'!'), Kind::Punct(b'='))
                        | (Kind::Punct(b'~'), Kind::Punct(b'=' | b'~'))
                );
                if !ok {
                    return Err(self.problem(
                        second,
                        format!(
                            "expected '!=', '~=' or '~~', found {} after {}",
                            self.describe(second),
                            self.describe(first)
                        ),
                    ));
                }
            }
            let right_at = self.peek();
            let right = self.binary(prec + 1)?;
            if !right.fits(operands) {
                return Err(self.problem(
                    right_at,
                    format!("expected {} after the operator", wanted(operands)),
                ));
            }
            left = result;
        }
    }

    /// The operator at the cursor: precedence, tokens, operand and result
    /// types.
    fn operator(&mut self) -> Option<(u8, usize, Ty, Ty)> {
        let t = self.peek();
        match t.kind {
            Kind::Word => {
                let w = String::from_utf8_lossy(self.text(t)).to_ascii_lowercase();
                match w.as_str() {
                    "or" => Some((1, 1, Ty::Bool, Ty::Bool)),
                    "and" => Some((2, 1, Ty::Bool, Ty::Bool)),
                    _ => None,
                }
            }
            Kind::Punct(b'=') => Some((3, 1, Ty::Any, Ty::Bool)),
            // `!=`, `~=` and `~~`: the second character is checked when
            // the operator is consumed.
            Kind::Punct(b'!' | b'~') => Some((3, 2, Ty::Data, Ty::Bool)),
            Kind::Punct(b'+' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^') => {
                Some((4, 1, Ty::Num, Ty::Num))
            }
            _ => None,
        }
    }

    fn operand(&mut self) -> Result<Ty, Problem> {
        self.enter()?;
        let result = self.operand_inner();
        self.leave();
        result
    }

    fn operand_inner(&mut self) -> Result<Ty, Problem> {
        let t = self.peek();
        match t.kind {
            Kind::Punct(b'(') => {
                self.bump();
                let ty = self.binary(0)?;
                self.expect_punct(b')', "')' to close the '('")?;
                Ok(ty)
            }
            Kind::Str => {
                self.string()?;
                Ok(Ty::Data)
            }
            Kind::Word => self.word_operand(t),
            _ => Err(self.problem(
                t,
                format!("expected an expression, found {}", self.describe(t)),
            )),
        }
    }

    fn word_operand(&mut self, t: Token) -> Result<Ty, Problem> {
        let word = String::from_utf8_lossy(self.text(t)).to_ascii_lowercase();
        if word == "not" {
            self.bump();
            let at = self.peek();
            let ty = self.operand()?;
            if !ty.fits(Ty::Bool) {
                return Err(self.problem(at, "'not' needs a boolean expression".to_string()));
            }
            return Ok(Ty::Bool);
        }
        if word == "true" || word == "false" {
            self.bump();
            return Ok(Ty::Bool);
        }
        if word == "defined" {
            self.bump();
            self.expect_punct(b'(', "'(' after 'defined'")?;
            self.name("a variable name")?;
            self.expect_punct(b')', "')'")?;
            return Ok(Ty::Bool);
        }
        if self.text(t).iter().all(u8::is_ascii_hexdigit) {
            // A number, or the first octet of a hex list `1:2:3`.
            self.bump();
            if self.peek().is_punct(b':') {
                self.bump();
                self.hex_list_rest(t)?;
                return Ok(Ty::Data);
            }
            if self.context == Ty::Data {
                self.hex_octet(t)?;
            }
            return Ok(Ty::Any);
        }
        if let Some((_, form, ty)) = FUNCTIONS.iter().find(|(n, _, _)| *n == word) {
            self.bump();
            self.function(&word, form)?;
            return Ok(*ty);
        }
        if reserved(&word) {
            return Err(self.problem(
                t,
                format!(
                    "expected an expression, found the keyword {}",
                    self.describe(t)
                ),
            ));
        }
        // A variable, or a call of a function defined with `define`.
        self.bump();
        if self.peek().is_punct(b'(') {
            self.bump();
            if !self.peek().is_punct(b')') {
                loop {
                    self.expression(Ty::Any)?;
                    if !self.eat_punct(b',') {
                        break;
                    }
                }
            }
            self.expect_punct(b')', "')' to end the arguments")?;
        }
        Ok(Ty::Any)
    }

    fn function(&mut self, name: &str, form: &Form) -> Checked {
        match form {
            Form::Bare => Ok(()),
            Form::OptionName => self.option_reference().map(|_| ()),
            Form::Args(args) => {
                self.expect_punct(b'(', &format!("'(' after '{name}'"))?;
                for (i, ty) in args.iter().enumerate() {
                    if i > 0 {
                        self.expect_punct(b',', &format!("',' between the arguments of {name}"))?;
                    }
                    self.expression(*ty)?;
                }
                self.expect_punct(b')', &format!("')' to end the arguments of {name}"))
            }
            Form::Variadic(ty) => {
                self.expect_punct(b'(', &format!("'(' after '{name}'"))?;
                self.expression(*ty)?;
                self.expect_punct(b',', &format!("',' between the arguments of {name}"))?;
                loop {
                    self.expression(*ty)?;
                    if !self.eat_punct(b',') {
                        break;
                    }
                }
                self.expect_punct(b')', &format!("')' to end the arguments of {name}"))
            }
            Form::Width(ty) => {
                self.expect_punct(b'(', &format!("'(' after '{name}'"))?;
                self.expression(*ty)?;
                self.expect_punct(b',', &format!("',' between the arguments of {name}"))?;
                let w = self.bump();
                if !matches!(self.text(w), b"8" | b"16" | b"32") {
                    return Err(self.problem(
                        w,
                        format!(
                            "{name} takes a width of 8, 16 or 32, found {}",
                            self.describe(w)
                        ),
                    ));
                }
                self.expect_punct(b')', &format!("')' to end the arguments of {name}"))
            }
        }
    }
}
