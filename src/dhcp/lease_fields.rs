//! Compact storage of one lease block's fields, in the order written.
//!
//! A lease file of a million blocks keeps hundreds of thousands of winning
//! leases in memory; a `Vec<(String, String)>` per lease would cost several
//! allocations and more than twice the text. Instead every lease owns one
//! byte buffer of tagged entries ([`FieldWriter`] appends, [`Fields`]
//! iterates). Values are already normalised (MACs lowercase, strings as the
//! JSON wants them); times stay binary and are formatted when rendered.
//!
//! Encoding, per entry: a tag byte; then for tags with a name (hardware
//! type, `set` and agent option names) a varint length and the name; then
//! the value: 9 bytes for a time (0 = never, 1 = at + i64 LE), one byte for
//! a binding state, nothing for a flag, or a varint length and bytes.

use super::time::LeaseTime;

/// The binding states dhcpd reads (GRAMMAR §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindingState {
    Free,
    Active,
    Expired,
    Released,
    Abandoned,
    Reset,
    Backup,
    /// Legacy input: active, given by BOOTP.
    Bootp,
    /// Legacy input: active, reserved.
    Reserved,
}

impl BindingState {
    /// A state word as dhcpd writes it (lower case); see [`BindingState::parse`].
    pub fn from_lowercase(word: &[u8]) -> Option<BindingState> {
        Some(match word {
            b"free" => BindingState::Free,
            b"active" => BindingState::Active,
            b"expired" => BindingState::Expired,
            b"released" => BindingState::Released,
            b"abandoned" => BindingState::Abandoned,
            b"reset" => BindingState::Reset,
            b"backup" => BindingState::Backup,
            b"bootp" => BindingState::Bootp,
            b"reserved" => BindingState::Reserved,
            _ => return None,
        })
    }

    /// A state word in any case.
    pub fn parse(word: &[u8]) -> Option<BindingState> {
        if let Some(s) = BindingState::from_lowercase(word) {
            return Some(s);
        }
        const ALL: [(&str, BindingState); 9] = [
            ("free", BindingState::Free),
            ("active", BindingState::Active),
            ("expired", BindingState::Expired),
            ("released", BindingState::Released),
            ("abandoned", BindingState::Abandoned),
            ("reset", BindingState::Reset),
            ("backup", BindingState::Backup),
            ("bootp", BindingState::Bootp),
            ("reserved", BindingState::Reserved),
        ];
        ALL.iter()
            .find(|(name, _)| word.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, s)| *s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BindingState::Free => "free",
            BindingState::Active => "active",
            BindingState::Expired => "expired",
            BindingState::Released => "released",
            BindingState::Abandoned => "abandoned",
            BindingState::Reset => "reset",
            BindingState::Backup => "backup",
            BindingState::Bootp => "bootp",
            BindingState::Reserved => "reserved",
        }
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(c: u8) -> Option<BindingState> {
        const ALL: [BindingState; 9] = [
            BindingState::Free,
            BindingState::Active,
            BindingState::Expired,
            BindingState::Released,
            BindingState::Abandoned,
            BindingState::Reset,
            BindingState::Backup,
            BindingState::Bootp,
            BindingState::Reserved,
        ];
        ALL.get(usize::from(c)).copied()
    }
}

/// One decoded field, borrowing from the lease's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field<'a> {
    /// `starts`, `ends`, `tstp`, `tsfp`, `atsfp`, `cltt`.
    Time(&'static str, LeaseTime),
    /// `binding-state`, `next-binding-state`, `rewind-binding-state`.
    State(&'static str, BindingState),
    /// `hardware <kind>`: kind and normalised address.
    Hardware(&'a [u8], &'a [u8]),
    /// A field whose JSON value is a string: `uid`, `client-hostname`,
    /// `billing-class`, `billing-subclass`, old-style `ddns-*-name`.
    Text(&'static str, &'a [u8]),
    /// `set NAME = VALUE;`
    Set(&'a [u8], &'a [u8]),
    /// `option agent.NAME VALUE;` (the name without `agent.`).
    Agent(&'a [u8], &'a [u8]),
    /// `reserved;`, `dynamic-bootp;`
    Flag(&'static str),
}

const TIME_KEYS: [&str; 6] = ["starts", "ends", "tstp", "tsfp", "atsfp", "cltt"];
const STATE_KEYS: [&str; 3] = [
    "binding-state",
    "next-binding-state",
    "rewind-binding-state",
];
const TEXT_KEYS: [&str; 6] = [
    "uid",
    "client-hostname",
    "billing-class",
    "billing-subclass",
    "ddns-fwd-name",
    "ddns-rev-name",
];
const FLAG_KEYS: [&str; 2] = ["reserved", "dynamic-bootp"];

// Tag layout: 0-5 times, 10-12 states, 20 hardware, 30-35 text, 40 set,
// 41 agent, 50-51 flags.
const TAG_TIME: u8 = 0;
const TAG_STATE: u8 = 10;
const TAG_HARDWARE: u8 = 20;
const TAG_TEXT: u8 = 30;
const TAG_SET: u8 = 40;
const TAG_AGENT: u8 = 41;
const TAG_FLAG: u8 = 50;

/// Index of `key` in `keys`, for the writer's tag.
fn key_index(keys: &[&'static str], key: &str) -> Option<u8> {
    keys.iter().position(|k| *k == key).map(|i| i as u8)
}

/// Builds the buffer of one lease. Unknown keys are a programming error
/// and are ignored (debug-asserted), never a panic on input.
#[derive(Clone, Default)]
pub struct FieldWriter {
    buf: Vec<u8>,
}

impl FieldWriter {
    pub fn new() -> FieldWriter {
        FieldWriter {
            buf: Vec::with_capacity(256),
        }
    }

    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The fields written since [`FieldWriter::clear`].
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    fn bytes(&mut self, v: &[u8]) {
        let mut n = v.len();
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.buf.push(low);
                break;
            }
            self.buf.push(low | 0x80);
        }
        self.buf.extend_from_slice(v);
    }

    /// A name (hardware type, `set` variable, agent option): kept whole
    /// whatever its length, like a value (names under 128 bytes, i.e. all
    /// real ones, still cost one length byte).
    fn name(&mut self, name: &[u8]) {
        self.bytes(name);
    }

    pub fn time(&mut self, key: &str, t: LeaseTime) {
        let Some(i) = key_index(&TIME_KEYS, key) else {
            debug_assert!(false, "unknown time key {key}");
            return;
        };
        self.buf.push(TAG_TIME + i);
        match t {
            LeaseTime::Never => self.buf.push(0),
            LeaseTime::At(secs) => {
                self.buf.push(1);
                self.buf.extend_from_slice(&secs.to_le_bytes());
            }
        }
    }

    pub fn state(&mut self, key: &str, s: BindingState) {
        let Some(i) = key_index(&STATE_KEYS, key) else {
            debug_assert!(false, "unknown state key {key}");
            return;
        };
        self.buf.push(TAG_STATE + i);
        self.buf.push(s.code());
    }

    pub fn hardware(&mut self, kind: &[u8], address: &[u8]) {
        self.buf.push(TAG_HARDWARE);
        self.name(kind);
        self.bytes(address);
    }

    pub fn text(&mut self, key: &str, value: &[u8]) {
        let Some(i) = key_index(&TEXT_KEYS, key) else {
            debug_assert!(false, "unknown text key {key}");
            return;
        };
        self.buf.push(TAG_TEXT + i);
        self.bytes(value);
    }

    pub fn set(&mut self, name: &[u8], value: &[u8]) {
        self.buf.push(TAG_SET);
        self.name(name);
        self.bytes(value);
    }

    pub fn agent(&mut self, name: &[u8], value: &[u8]) {
        self.buf.push(TAG_AGENT);
        self.name(name);
        self.bytes(value);
    }

    pub fn flag(&mut self, key: &str) {
        let Some(i) = key_index(&FLAG_KEYS, key) else {
            debug_assert!(false, "unknown flag key {key}");
            return;
        };
        self.buf.push(TAG_FLAG + i);
    }
}

/// Iterates the fields of a buffer written by [`FieldWriter`]. A malformed
/// buffer (impossible unless memory is corrupt) just ends the iteration.
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    pub fn new(buf: &'a [u8]) -> Fields<'a> {
        Fields { buf, pos: 0 }
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let v = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(v)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let mut n: usize = 0;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            n |= usize::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        self.take(n)
    }

    fn name(&mut self) -> Option<&'a [u8]> {
        self.bytes()
    }

    fn decode(&mut self) -> Option<Field<'a>> {
        let tag = self.byte()?;
        Some(match tag {
            t if t < TAG_TIME + 6 => {
                let key = TIME_KEYS.get(usize::from(t - TAG_TIME))?;
                let time = match self.byte()? {
                    0 => LeaseTime::Never,
                    _ => {
                        let raw: [u8; 8] = self.take(8)?.try_into().ok()?;
                        LeaseTime::At(i64::from_le_bytes(raw))
                    }
                };
                Field::Time(key, time)
            }
            t if (TAG_STATE..TAG_STATE + 3).contains(&t) => {
                let key = STATE_KEYS.get(usize::from(t - TAG_STATE))?;
                Field::State(key, BindingState::from_code(self.byte()?)?)
            }
            TAG_HARDWARE => {
                let kind = self.name()?;
                Field::Hardware(kind, self.bytes()?)
            }
            t if (TAG_TEXT..TAG_TEXT + 6).contains(&t) => {
                let key = TEXT_KEYS.get(usize::from(t - TAG_TEXT))?;
                Field::Text(key, self.bytes()?)
            }
            TAG_SET => {
                let name = self.name()?;
                Field::Set(name, self.bytes()?)
            }
            TAG_AGENT => {
                let name = self.name()?;
                Field::Agent(name, self.bytes()?)
            }
            t if (TAG_FLAG..TAG_FLAG + 2).contains(&t) => {
                Field::Flag(FLAG_KEYS.get(usize::from(t - TAG_FLAG))?)
            }
            _ => return None,
        })
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let f = self.decode();
        if f.is_none() {
            self.pos = self.buf.len();
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_words_in_lower_and_any_case() {
        for code in 0..9u8 {
            let state = BindingState::from_code(code).unwrap();
            let word = state.as_str();
            assert_eq!(BindingState::from_lowercase(word.as_bytes()), Some(state));
            assert_eq!(BindingState::parse(word.as_bytes()), Some(state));
            let upper = word.to_ascii_uppercase();
            assert_eq!(BindingState::from_lowercase(upper.as_bytes()), None);
            assert_eq!(BindingState::parse(upper.as_bytes()), Some(state));
        }
        assert_eq!(BindingState::from_code(9), None);
        assert_eq!(BindingState::parse(b"activ"), None);
    }

    #[test]
    fn round_trip_every_kind() {
        let mut w = FieldWriter::new();
        w.time("starts", LeaseTime::At(1_795_655_945));
        w.time("ends", LeaseTime::Never);
        w.state("binding-state", BindingState::Active);
        w.state("next-binding-state", BindingState::Free);
        w.hardware(b"ethernet", b"02:00:00:00:00:0a");
        w.text("uid", br#"\001\002id"#);
        let long = vec![b'x'; 300];
        w.set(b"note", &long);
        w.agent(b"circuit-id", b"eth0/1:100");
        w.flag("reserved");
        w.text("client-hostname", b"");
        let buf = w.as_bytes().to_vec();
        let got: Vec<Field<'_>> = Fields::new(&buf).collect();
        assert_eq!(
            got,
            vec![
                Field::Time("starts", LeaseTime::At(1_795_655_945)),
                Field::Time("ends", LeaseTime::Never),
                Field::State("binding-state", BindingState::Active),
                Field::State("next-binding-state", BindingState::Free),
                Field::Hardware(b"ethernet", b"02:00:00:00:00:0a"),
                Field::Text("uid", br#"\001\002id"#),
                Field::Set(b"note", &long),
                Field::Agent(b"circuit-id", b"eth0/1:100"),
                Field::Flag("reserved"),
                Field::Text("client-hostname", b""),
            ]
        );
    }

    #[test]
    fn long_names_are_kept_whole() {
        // Issue 12: names were cut at 255 bytes without a word.
        let name = vec![b'n'; 300];
        let mut w = FieldWriter::new();
        w.set(&name, b"v");
        w.agent(&name, b"w");
        let buf = w.as_bytes().to_vec();
        let got: Vec<Field<'_>> = Fields::new(&buf).collect();
        assert_eq!(
            got,
            vec![Field::Set(&name, b"v"), Field::Agent(&name, b"w")]
        );
    }

    #[test]
    fn truncated_buffer_ends_iteration() {
        let mut w = FieldWriter::new();
        w.set(b"a", b"value");
        let buf = w.as_bytes().to_vec();
        for n in 0..buf.len() {
            assert!(Fields::new(&buf[..n]).count() <= 1);
            assert_eq!(Fields::new(&buf[..n]).count(), 0);
        }
    }

    #[test]
    fn states_parse_case_insensitively() {
        assert_eq!(BindingState::parse(b"ACTIVE"), Some(BindingState::Active));
        assert_eq!(BindingState::parse(b"leased"), None);
        for c in 0..9 {
            let s = BindingState::from_code(c).unwrap();
            assert_eq!(BindingState::parse(s.as_str().as_bytes()), Some(s));
        }
    }
}
