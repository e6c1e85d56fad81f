//! Diagnostics: the problems found in input files, as values.
//!
//! Parsers never fail as a whole: they return what they understood plus a
//! list of [`Diagnostic`]s, each naming the file, line and column of the
//! problem (rust-analyzer's "a parse over no parse"). This module knows
//! nothing about any file format; it only stores, counts and prints.
//!
//! Memory is bounded: a [`Diagnostics`] collector keeps the first
//! [`Diagnostics::DEFAULT_CAP`] entries and only counts the rest, so a
//! corrupt 500 MB lease file cannot turn into 500 MB of messages.

use std::fmt;
use std::sync::Arc;

/// How bad a problem is. The order matters: `check` exits with the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing, never wrong input (dhcpd accepts it silently).
    Note,
    /// dhcpd accepts it, or dhcpstats had to guess; the output may be incomplete.
    Warning,
    /// dhcpd would reject it; the affected statement or block was skipped.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    fn index(self) -> usize {
        match self {
            Severity::Note => 0,
            Severity::Warning => 1,
            Severity::Error => 2,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem at one place. `line` and `col` are 1-based; `col` counts
/// bytes. A problem that concerns a whole file (it cannot be opened, say)
/// has line 0 and column 0 and prints as `file: severity: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}: {}", self.file, self.severity, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, self.line, self.col, self.severity, self.message
            )
        }
    }
}

/// A bounded collector of diagnostics with exact counts per severity.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    counts: [u64; 3],
    cap: usize,
}

impl Diagnostics {
    /// How many diagnostics are kept by default; later ones are only counted.
    pub const DEFAULT_CAP: usize = 1000;

    pub fn new() -> Diagnostics {
        Diagnostics::with_cap(Self::DEFAULT_CAP)
    }

    pub fn with_cap(cap: usize) -> Diagnostics {
        Diagnostics {
            items: Vec::new(),
            counts: [0; 3],
            cap,
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.counts[d.severity.index()] += 1;
        if self.items.len() < self.cap {
            self.items.push(d);
        }
    }

    /// Adds a problem that concerns a whole file rather than a place in it.
    pub fn file_level(&mut self, file: &Arc<str>, severity: Severity, message: String) {
        self.push(Diagnostic {
            file: file.clone(),
            line: 0,
            col: 0,
            severity,
            message,
        });
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for (i, n) in other.counts.iter().enumerate() {
            if let Some(c) = self.counts.get_mut(i) {
                *c += n;
            }
        }
        let room = self.cap.saturating_sub(self.items.len());
        self.items.extend(other.items.into_iter().take(room));
    }

    /// Adds `lines` to the line of every positioned diagnostic (they were
    /// found in a part of a file whose first line was not line 1).
    pub fn shift_lines(&mut self, lines: u32) {
        for d in self.items.iter_mut().filter(|d| d.line > 0) {
            d.line = d.line.saturating_add(lines);
        }
    }

    /// The kept diagnostics, in the order they were found.
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    pub fn count(&self, severity: Severity) -> u64 {
        self.counts[severity.index()]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// How many were counted but not kept.
    pub fn dropped(&self) -> u64 {
        self.total().saturating_sub(self.items.len() as u64)
    }

    /// The worst severity seen, if any.
    pub fn worst(&self) -> Option<Severity> {
        [Severity::Error, Severity::Warning, Severity::Note]
            .into_iter()
            .find(|s| self.count(*s) > 0)
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }
}

/// Maps byte offsets of one buffer to line and column.
///
/// The buffer need not start a file: `base_line`/`base_col` give the
/// position of its first byte (the lease reader parses a file chunk by
/// chunk). Nothing is counted until a position is asked for (most buffers
/// never produce a diagnostic, and the hot path must not count lines);
/// then newlines are counted with memchr from the last position asked,
/// so increasing queries cost one pass over the buffer in total.
pub struct LineMap<'a> {
    src: &'a [u8],
    base_line: u32,
    base_col: u32,
    /// (offset counted to, newlines before it, last newline before it)
    counted: std::cell::Cell<(usize, u32, Option<usize>)>,
}

impl<'a> LineMap<'a> {
    pub fn new(src: &'a [u8], base_line: u32, base_col: u32) -> LineMap<'a> {
        LineMap {
            src,
            base_line,
            base_col,
            counted: std::cell::Cell::new((0, 0, None)),
        }
    }

    /// 1-based line and byte column of `offset` (clamped to the buffer).
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.src.len());
        let (from, mut lines, mut last_nl) = match self.counted.get() {
            c if c.0 <= offset => c,
            _ => (0, 0, None),
        };
        let span = self.src.get(from..offset).unwrap_or_default();
        for nl in memchr::memchr_iter(b'\n', span) {
            lines = lines.saturating_add(1);
            last_nl = Some(from + nl);
        }
        self.counted.set((offset, lines, last_nl));
        let line = self.base_line.saturating_add(lines);
        let col = match last_nl {
            Some(nl) => (offset - nl) as u32,
            None => self.base_col.saturating_add(offset as u32),
        };
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_base() {
        let src = b"ab\ncd\n\nef";
        let m = LineMap::new(src, 1, 1);
        assert_eq!(m.line_col(0), (1, 1));
        assert_eq!(m.line_col(1), (1, 2));
        assert_eq!(m.line_col(3), (2, 1));
        assert_eq!(m.line_col(6), (3, 1));
        assert_eq!(m.line_col(7), (4, 1));
        assert_eq!(m.line_col(100), (4, 3));
        let m = LineMap::new(src, 10, 5);
        assert_eq!(m.line_col(1), (10, 6));
        assert_eq!(m.line_col(4), (11, 2));
        // Going backwards recounts from the start.
        assert_eq!(m.line_col(0), (10, 5));
        assert_eq!(m.line_col(7), (13, 1));
    }

    #[test]
    fn collector_caps_but_counts() {
        let file: Arc<str> = Arc::from("f");
        let mut d = Diagnostics::with_cap(2);
        for _ in 0..5 {
            d.file_level(&file, Severity::Warning, "w".into());
        }
        d.file_level(&file, Severity::Error, "e".into());
        assert_eq!(d.items().len(), 2);
        assert_eq!(d.count(Severity::Warning), 5);
        assert_eq!(d.count(Severity::Error), 1);
        assert_eq!(d.dropped(), 4);
        assert_eq!(d.worst(), Some(Severity::Error));
        assert_eq!(d.items()[0].to_string(), "f: warning: w");
    }
}
