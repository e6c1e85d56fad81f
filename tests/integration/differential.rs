//! `dhcpstats check` against the installed `dhcpd -t` (issue 11): seeded
//! one-token edits (delete, duplicate, insert, swap) of every valid IPv4
//! configuration under `testdata/`, each judged by both. dhcpd's verdict
//! is the truth; the test asserts that we call broken at least 98% of what
//! it refuses and at most 1% of what it accepts, and that every accepted
//! edit we still refuse is one of the deliberate differences listed in
//! [`DELIBERATE`].
//!
//! Skipped, saying so, where `dhcpd` is not installed (Debian package
//! `isc-dhcp-server`; CI installs it). `DHCPSTATS_DIFF_EDITS` sets the
//! number of edits per seed file (default 500), `DHCPSTATS_DIFF_SEED` the
//! seed and `DHCPSTATS_DIFF_VERBOSE=1` prints every disagreement.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use dhcpstats::dhcp::conf;
use dhcpstats::dhcp::lexer::{Kind, Lexer, Mode};
use dhcpstats::diag::{Diagnostics, Severity};

use crate::common::{TempDir, testdata};

/// Edits dhcpd accepts that we refuse on purpose: (message fragment, why).
const DELIBERATE: &[(&str, &str)] = &[
    (
        "expected an expression, found ','",
        "dhcpd takes a call with an empty first argument (`f(, 8)`) inside \
         `option NAME = concat(…)` but refuses it in `set` and `ddns-hostname = …`; \
         an empty argument is a mistake wherever it is, so we always refuse it",
    ),
    (
        "is a number run into a word",
        "dhcpd reads the last octet of a range like `10.0.0.40hardware` as 40 and drops \
     the rest; a word glued to an address is a typo, so we refuse it rather than guess",
    ),
];

/// Fails listing every case where dhcpd and we disagree.
fn assert_agree(disagree: &[String]) {
    assert!(
        disagree.is_empty(),
        "disagreements:\n{}",
        disagree.join("\n")
    );
}

/// The installed dhcpd, or `None` after saying the test is skipped.
fn dhcpd_or_skip() -> Option<PathBuf> {
    let found = dhcpd();
    if found.is_none() {
        eprintln!("skipped: dhcpd is not installed (apt-get install isc-dhcp-server)");
    }
    found
}

fn dhcpd() -> Option<PathBuf> {
    ["/usr/sbin/dhcpd", "/usr/local/sbin/dhcpd", "/sbin/dhcpd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// The valid IPv4 configurations without includes (dhcpd resolves those
/// against its working directory, which a temp copy would not have).
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["grammar/conf", "grammar/leases"] {
        let Ok(rd) = std::fs::read_dir(testdata(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(name) = name else { continue };
            let v4 =
                name.starts_with("v4-") || name.starts_with("lab-v4") || name == "rare-v4.conf";
            if v4 && name.ends_with(".conf") {
                files.push(p);
            }
        }
    }
    for rel in [
        "corpus/small/dhcpd.conf",
        "corpus/main/dhcpd.conf",
        "corpus/failover/primary/dhcpd.conf",
        "corpus/failover/secondary/dhcpd.conf",
        "generated/default/dhcpd.conf",
        "golden/spec-example/dhcpd.conf",
    ] {
        files.push(testdata(rel));
    }
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        if String::from_utf8_lossy(&bytes).contains("include") {
            continue;
        }
        let name = p
            .strip_prefix(testdata(""))
            .unwrap_or(&p)
            .display()
            .to_string();
        out.push((name, bytes));
    }
    out
}

/// xorshift64*: a seeded, dependency-free generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Token spans of a configuration, quotes included for strings.
fn spans(src: &[u8]) -> Vec<(usize, usize)> {
    let mut lx = Lexer::new(src, Mode::Conf);
    let mut out = Vec::new();
    loop {
        let t = lx.next_token();
        match t.kind {
            Kind::Eof => return out,
            Kind::Str => out.push((
                t.start.saturating_sub(1),
                (t.end + usize::from(!t.unterminated)).min(src.len()),
            )),
            _ => out.push((t.start, t.end)),
        }
    }
}

/// One edit of one token; returns the new text and what was done.
fn mutate(src: &[u8], rng: &mut Rng) -> (Vec<u8>, String) {
    let toks = spans(src);
    let i = rng.below(toks.len());
    let (s, e) = toks[i];
    let tok = &src[s..e];
    let show = String::from_utf8_lossy(tok).into_owned();
    let mut out = Vec::with_capacity(src.len() + 64);
    match rng.below(4) {
        0 => {
            out.extend_from_slice(&src[..s]);
            out.extend_from_slice(&src[e..]);
            (out, format!("delete {show:?} at byte {s}"))
        }
        1 => {
            out.extend_from_slice(&src[..e]);
            out.push(b' ');
            out.extend_from_slice(tok);
            out.extend_from_slice(&src[e..]);
            (out, format!("duplicate {show:?} at byte {s}"))
        }
        2 => {
            let (js, je) = toks[rng.below(toks.len())];
            out.extend_from_slice(&src[..s]);
            out.extend_from_slice(&src[js..je]);
            out.push(b' ');
            out.extend_from_slice(&src[s..]);
            let ins = String::from_utf8_lossy(&src[js..je]).into_owned();
            (out, format!("insert {ins:?} before {show:?} at byte {s}"))
        }
        _ => {
            let Some(&(s2, e2)) = toks.get(i + 1) else {
                return (src.to_vec(), "nothing".to_string());
            };
            out.extend_from_slice(&src[..s]);
            out.extend_from_slice(&src[s2..e2]);
            out.extend_from_slice(&src[e..s2]);
            out.extend_from_slice(tok);
            out.extend_from_slice(&src[e2..]);
            let other = String::from_utf8_lossy(&src[s2..e2]).into_owned();
            (out, format!("swap {show:?} and {other:?} at byte {s}"))
        }
    }
}

/// dhcpd's verdict: refused (and its first message line) or accepted.
fn dhcpd_refuses(dhcpd: &Path, file: &Path) -> (bool, String) {
    dhcpd_family_refuses(dhcpd, file, "-4")
}

fn dhcpd_family_refuses(dhcpd: &Path, file: &Path, family: &str) -> (bool, String) {
    let out = Command::new(dhcpd)
        .args([family, "-t", "-cf"])
        .arg(file)
        .output()
        .expect("run dhcpd -t");
    let text = String::from_utf8_lossy(&out.stderr);
    let first = text
        .lines()
        .find(|l| l.contains(" line ") || l.starts_with("bad ") || l.contains("rror"))
        .unwrap_or("")
        .to_string();
    (!out.status.success(), first)
}

/// Our verdict: any error, and the first error's text.
fn we_refuse(name: &str, bytes: &[u8]) -> (bool, String) {
    we_refuse_in(conf::Family::V4, name, bytes)
}

/// Our verdict reading the file as dhcpd of `family` does.
fn we_refuse_in(family: conf::Family, name: &str, bytes: &[u8]) -> (bool, String) {
    let mut diags = Diagnostics::with_cap(1000);
    match family {
        conf::Family::V4 => {
            let _ = conf::parse_bytes(name, bytes, &mut diags);
        }
        conf::Family::V6 => {
            let main = conf::Loaded {
                display: Arc::from(name),
                identity: PathBuf::from(name),
                bytes: bytes.to_vec(),
            };
            let parsed = conf::parse_family(&main, &mut conf::NoIncludes, &mut diags, family);
            conf::v4_items_in_v6(&parsed, &mut diags);
        }
    }
    let first = diags
        .items()
        .iter()
        .find(|d| d.severity == Severity::Error)
        .map(|d| d.to_string());
    (first.is_some(), first.unwrap_or_default())
}

struct Case {
    seed_file: String,
    edit: String,
    dhcpd: (bool, String),
    ours: (bool, String),
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn check_agrees_with_dhcpd_t_on_one_token_edits() {
    let Some(dhcpd) = dhcpd_or_skip() else { return };
    let seeds = seeds();
    assert!(seeds.len() >= 15, "seed files missing: {}", seeds.len());
    one_token_edits(&dhcpd, conf::Family::V4, &seeds, 500);
}

/// The same for `dhcpd -6 -t` and the v6 reading of every valid DHCPv6
/// configuration under `testdata/` (issue 13).
#[test]
fn check_agrees_with_dhcpd_6_t_on_one_token_edits() {
    let Some(dhcpd) = dhcpd_or_skip() else { return };
    let seeds: Vec<(String, Vec<u8>)> = [
        "grammar/conf/v6-01-subnet6.conf",
        "grammar/conf/v6-02-odd-but-valid.conf",
        "grammar/leases/lab-v6.conf",
        "grammar/leases/rare-v6.conf",
        "golden/v6-tricky/dhcpd6.conf",
        "generated/v6-default/dhcpd6.conf",
        "example/dhcpd6.conf",
    ]
    .iter()
    .map(|rel| {
        (
            rel.to_string(),
            std::fs::read(testdata(rel)).expect("v6 seed"),
        )
    })
    .collect();
    one_token_edits(&dhcpd, conf::Family::V6, &seeds, 400);
}

/// Seeded one-token edits of `seeds` (`per_seed` each, or
/// `DHCPSTATS_DIFF_EDITS`), judged by dhcpd in `family` and by us; the
/// thresholds of the module comment.
fn one_token_edits(dhcpd: &Path, family: conf::Family, seeds: &[(String, Vec<u8>)], per_seed: u64) {
    let per_seed = env_num("DHCPSTATS_DIFF_EDITS", per_seed) as usize;
    let seed = env_num("DHCPSTATS_DIFF_SEED", 0x5eed_d1ff);
    let verbose = std::env::var_os("DHCPSTATS_DIFF_VERBOSE").is_some();
    let flag = match family {
        conf::Family::V4 => "-4",
        conf::Family::V6 => "-6",
    };

    // The edits, made up front so the verdicts can run on threads.
    let mut rng = Rng(seed | 1);
    let mut jobs: Vec<(String, String, Vec<u8>)> = Vec::new();
    let dir = TempDir::new("differential");
    for (name, bytes) in seeds {
        // Every seed must be valid to dhcpd, or the edits prove nothing.
        let file = dir.write("seed.conf", bytes);
        assert!(
            !dhcpd_family_refuses(dhcpd, &file, flag).0,
            "{name}: dhcpd {flag} refuses the seed"
        );
        assert!(
            !we_refuse_in(family, name, bytes).0,
            "{name}: we refuse the seed"
        );
        for _ in 0..per_seed {
            let (text, edit) = mutate(bytes, &mut rng);
            jobs.push((name.clone(), edit, text));
        }
    }
    let jobs = Arc::new(jobs);
    // Half the cores: the other tests run beside this one, and some of
    // them (server load, rename races) need the CPU to keep their pace.
    let threads = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 8));
    let mut handles = Vec::new();
    for t in 0..threads {
        let jobs = Arc::clone(&jobs);
        let dhcpd = dhcpd.to_path_buf();
        let file = dir.path(&format!("edit-{t}.conf"));
        handles.push(std::thread::spawn(move || {
            let mut cases = Vec::new();
            for (seed_file, edit, text) in jobs.iter().skip(t).step_by(threads) {
                std::fs::write(&file, text).expect("write edit");
                cases.push(Case {
                    seed_file: seed_file.clone(),
                    edit: edit.clone(),
                    dhcpd: dhcpd_family_refuses(&dhcpd, &file, flag),
                    ours: we_refuse_in(family, "edit.conf", text),
                });
            }
            cases
        }));
    }
    let cases: Vec<Case> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("worker"))
        .collect();

    let refused: Vec<&Case> = cases.iter().filter(|c| c.dhcpd.0).collect();
    let accepted: Vec<&Case> = cases.iter().filter(|c| !c.dhcpd.0).collect();
    let missed: Vec<&&Case> = refused.iter().filter(|c| !c.ours.0).collect();
    let false_broken: Vec<&&Case> = accepted.iter().filter(|c| c.ours.0).collect();
    let unexplained: Vec<&&&Case> = false_broken
        .iter()
        .filter(|c| !DELIBERATE.iter().any(|(m, _)| c.ours.1.contains(m)))
        .collect();
    if verbose {
        for c in &missed {
            eprintln!(
                "MISSED {} [{}]\n    dhcpd: {}",
                c.seed_file, c.edit, c.dhcpd.1
            );
        }
        for c in &false_broken {
            eprintln!(
                "FALSE  {} [{}]\n    ours: {}",
                c.seed_file, c.edit, c.ours.1
            );
        }
    }
    let caught = refused.len() - missed.len();
    eprintln!(
        "differential {flag}: {} edits of {} files; dhcpd refuses {}, we catch {} ({:.1}%); \
         dhcpd accepts {}, we refuse {} ({:.2}%), {} not deliberate",
        cases.len(),
        seeds.len(),
        refused.len(),
        caught,
        100.0 * caught as f64 / refused.len().max(1) as f64,
        accepted.len(),
        false_broken.len(),
        100.0 * false_broken.len() as f64 / accepted.len().max(1) as f64,
        unexplained.len()
    );
    assert!(
        caught * 100 >= refused.len() * 98,
        "we call broken too few of the files dhcpd refuses (DHCPSTATS_DIFF_VERBOSE=1 lists them)"
    );
    assert!(
        false_broken.len() * 100 <= accepted.len(),
        "we call broken too many files dhcpd accepts"
    );
    assert!(
        unexplained.is_empty(),
        "files dhcpd accepts that we refuse without a listed reason: {}",
        unexplained
            .iter()
            .map(|c| format!("\n  {} [{}]: {}", c.seed_file, c.edit, c.ours.1))
            .collect::<String>()
    );
}

/// Files where our verdict differs from dhcpd's on purpose: (file, why).
const DELIBERATE_FILES: &[(&str, &str)] = &[(
    "conf-ff-byte.conf",
    "dhcpd takes a 0xff byte for the end of the file and accepts it, dropping the rest \
     without a word; we report it",
)];

/// Every configuration under testdata/grammar (valid, invalid, malformed)
/// gets the same verdict from us as from dhcpd, but for DELIBERATE_FILES.
#[test]
fn check_agrees_with_dhcpd_t_on_every_grammar_example() {
    let Some(dhcpd) = dhcpd_or_skip() else { return };
    let mut compared = 0;
    for dir in ["grammar/conf", "grammar/malformed", "grammar/leases"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(testdata(dir))
            .expect("grammar examples")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for p in files {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let v6 = name.starts_with("v6-") || name.contains("-v6") || name.contains("range6");
            if !name.ends_with(".conf") || v6 {
                continue;
            }
            let bytes = std::fs::read(&p).expect("read example");
            // dhcpd resolves includes against its working directory.
            if String::from_utf8_lossy(&bytes).contains("include") {
                continue;
            }
            let theirs = dhcpd_refuses(&dhcpd, &p);
            let ours = we_refuse(&name, &bytes);
            compared += 1;
            if DELIBERATE_FILES.iter().any(|(f, _)| *f == name) {
                assert_ne!(
                    theirs.0, ours.0,
                    "{name} is listed as a deliberate difference"
                );
                continue;
            }
            assert_eq!(
                theirs.0, ours.0,
                "{name}: dhcpd refuses: {} ({}); we refuse: {} ({})",
                theirs.0, theirs.1, ours.0, ours.1
            );
        }
    }
    assert!(compared >= 30, "only {compared} examples compared");
}

/// DHCPv6 declarations (issue 13) judged by `dhcpd -6 -t` and by the v6
/// reading of the same parser: the valid grammar examples, and one case
/// per rule of subnet6, range6, prefix6, pool6 and the host items.
#[test]
fn v6_declarations_agree_with_dhcpd_6_t() {
    let Some(dhcpd) = dhcpd_or_skip() else { return };
    let mut cases: Vec<(String, Vec<u8>)> = ["v6-01-subnet6.conf", "v6-02-odd-but-valid.conf"]
        .iter()
        .map(|f| {
            let bytes =
                std::fs::read(crate::common::testdata(&format!("grammar/conf/{f}"))).unwrap();
            (f.to_string(), bytes)
        })
        .collect();
    for text in [
        "subnet6 2001:db8:1::/64 { range6 2001:db8:1::/64; }",
        "subnet6 2001:db8:1::/64 { range6 2001:db8:1::20 2001:db8:1::10; }",
        "subnet6 2001:db8:1::/64 { range6 2001:db8:1::10 2001:db8:1::20; range6 2001:db8:1::15 2001:db8:1::30; }",
        "subnet6 2001:db8:1::/64 { range6 2001:db8:1:: temporary; }",
        "subnet6 2001:db8:1::/64 { range6 2001:db8:1::/80 temporary; range6 2001:db8:1::/80; }",
        "subnet6 2001:db8:1::/64 { prefix6 2001:db8:200:: 2001:db8:100:: /56; }",
        "subnet6 2001:db8:1::/64 { pool6 { range6 2001:db8:1::10 2001:db8:1::20; prefix6 2001:db8:100:: 2001:db8:1ff:: /56; } }",
        "group { subnet6 2001:db8:1::/64 { range6 2001:db8:1::10 2001:db8:1::20; } }",
        "shared-network s { subnet6 2001:db8:1::/64 { } subnet6 2001:db8:2::/64 { } }",
        "subnet6 2001:db8:1::/64 { } subnet6 2001:db8:1::/64 { }",
        "host h { fixed-address6 2001:db8::1, 2001:db8::2; }",
        "host h { fixed-prefix6 2001:db8:300::/56; }",
        "host h { host-identifier option dhcp6.client-id \"abc\"; }",
        "host h { host-identifier option dhcp6.client-id 00:01:00:01:2a:3b; }",
        "option dhcp6.name-servers 2001:db8::1, 2001:db8::2;",
        "option dhcp6.domain-search \"a.example\", \"b.example\";",
        // An address ends at whitespace; what follows is the next value.
        "option dhcp6.lq-relay-data 2001:db8::1 00:01;",
        "option dhcp6.lq-relay-data 2001:db8::1 \"x\";",
        "local-address6 2001:db8::1;",
        // As dhcpd reads it: no 'option' after v6relopt N.
        "host h { host-identifier v6relopt 1 dhcp6.interface-id \"eth0\"; }",
        "host h { host-identifier option agent.circuit-id \"x\"; }",
        "option space foo; option foo.bar code 1 = string; host h { host-identifier option foo.bar \"x\"; }",
        // dhcpd -6 passes over a v4 subnet alone (a warning here) …
        "subnet 10.0.0.0 netmask 255.0.0.0 { }",
        // Refused by dhcpd -6:
        // … but not next to a subnet6.
        "subnet6 2001:db8:1::/64 { } subnet 10.0.0.0 netmask 255.0.0.0 { }",
        "group { subnet 10.0.0.0 netmask 255.0.0.0 { } } subnet6 2001:db8:1::/64 { }",
        "host h { host-identifier v6relopt 1 option dhcp6.interface-id \"eth0\"; }",
        "host h { host-identifier v6relopt x dhcp6.interface-id \"eth0\"; }",
        "host h { host-identifier option dhcp6.bogus 00:01; }",
        "host h { host-identifier option nospace.bar \"x\"; }",
        "host h { host-identifier dhcp6.client-id \"x\"; }",
        "subnet6 2001:db8:10::/64 { range6 2001:db8:10::5/64; }",
        "subnet6 2001:db8:10::/64 { range6 2001:db8:10::5 temporary; }",
        "local-address6 10.0.0.1;",
        "option dhcp6.unicast 10.0.0.1;",
        "option dhcp6.unicast 2001:db8:::1;",
        "subnet6 2001:db8:0:1::1/64 { }",
        "subnet6 2001:db8:: 1/64 { }",
        "subnet6 2001:db8:1::/129 { }",
        "subnet6 2001:db8:1::/64 { subnet6 2001:db8:2::/64 { } }",
        "subnet6 2001:db8:1::/64 { range6 2001:db8:2::10 2001:db8:2::20; }",
        "subnet6 2001:db8:1::/64 { range6 2001:db8:1::/48; }",
        "subnet6 2001:db8:1::/64 { range6 2001:db8:1::10; }",
        "subnet6 2001:db8:1::/64 { range6 2001:db8:1::10 2001:db8:1::20 temporary; }",
        "subnet6 2001:db8:1::/64 { range 10.0.0.1 10.0.0.2; }",
        "subnet6 2001:db8:1::/64 { prefix6 2001:db8:100:1:: 2001:db8:1ff:: /56; }",
        "subnet6 2001:db8:1::/64 { pool6 { } }",
        "range6 2001:db8:1::10 2001:db8:1::20;",
        "pool6 { range6 2001:db8:1::10 2001:db8:1::20; }",
        "shared-network s { }",
        "host h { fixed-prefix6 2001:db8:300::1/56; }",
        "option dhcp6.name-servers 2001:db8::1 2001:db8::2;",
        "option dhcp6.domain-search \"a.b\", c.d;",
    ] {
        cases.push((text.to_string(), format!("{text}\n").into_bytes()));
    }
    let dir = crate::common::TempDir::new("diff6");
    let mut disagree = Vec::new();
    for (name, bytes) in &cases {
        let file = dir.write("t.conf", bytes);
        let theirs = dhcpd_family_refuses(&dhcpd, &file, "-6");
        let mut diags = Diagnostics::with_cap(1000);
        let main = conf::Loaded {
            display: std::sync::Arc::from("t.conf"),
            identity: file.clone(),
            bytes: bytes.clone(),
        };
        let parsed = conf::parse_family(&main, &mut conf::NoIncludes, &mut diags, conf::Family::V6);
        conf::v4_items_in_v6(&parsed, &mut diags);
        let ours = diags
            .items()
            .iter()
            .find(|d| d.severity == Severity::Error)
            .map(|d| d.to_string());
        if theirs.0 != ours.is_some() {
            disagree.push(format!(
                "{name}\n    dhcpd -6: {:?}\n    ours: {ours:?}",
                theirs.1
            ));
        }
    }
    assert_agree(&disagree);
}

/// `server-duid` in every form dhcpd reads and the ways it refuses one,
/// judged by `dhcpd -t` and `dhcpd -6 -t` and by `check` in both
/// families.
#[test]
fn server_duid_forms_agree_with_dhcpd_t() {
    let Some(dhcpd) = dhcpd_or_skip() else { return };
    let forms = [
        "LLT",
        "llt",
        "LL",
        "EN 2495 \"abc\"",
        "EN -1 \"x\"",
        "EN 4294967296 \"\"",
        "LL ethernet 00:16:6f:11:22:33",
        "LL token-ring 0:1",
        "LL FDDI 001:02",
        "LLT ethernet 213982198 00:16:6f:11:22:33",
        "LLT ethernet -5 00:16",
        "3 \"abc\"",
        "-3 \"x\"",
        // Refused:
        "",
        "\"abc\"",
        "3x \"x\"",
        "00:01:02",
        "3 00:01",
        "EN x \"abc\"",
        "EN 0x10 \"x\"",
        "EN 2495 abc",
        "EN 2495",
        "LL bogus 00:16",
        "LL infiniband 00:16",
        "LL 1 00:16",
        "LL ethernet",
        "LL ethernet \"abc\"",
        "LL ethernet 00:zz",
        "LL ethernet 00::16",
        "LL ethernet 00:16:",
        "LL ethernet 100:16",
        "LL ethernet 00 16",
        "LLT ethernet 00:16:6f:11:22:33",
        "LLT ethernet x 00:16",
        "LLT ethernet 0x10 00:16",
        "LLT ethernet 5",
        "EN 2495 \"abc\" extra",
    ];
    let dir = crate::common::TempDir::new("duid");
    let mut disagree = Vec::new();
    for form in forms {
        let text = format!("server-duid {form};\n");
        let file = dir.write("t.conf", text.as_bytes());
        let v4 = dhcpd_family_refuses(&dhcpd, &file, "-4");
        let v6 = dhcpd_family_refuses(&dhcpd, &file, "-6");
        assert_eq!(v4.0, v6.0, "{text}: dhcpd -4 and -6 differ");
        let ours4 = we_refuse("t.conf", text.as_bytes());
        let mut diags = Diagnostics::with_cap(100);
        let main = conf::Loaded {
            display: std::sync::Arc::from("t.conf"),
            identity: file.clone(),
            bytes: text.clone().into_bytes(),
        };
        let _ = conf::parse_family(&main, &mut conf::NoIncludes, &mut diags, conf::Family::V6);
        let ours6 = diags.items().iter().any(|d| d.severity == Severity::Error);
        if v4.0 != ours4.0 || v6.0 != ours6 {
            disagree.push(format!(
                "{text}    dhcpd: {:?}\n    ours: {:?}",
                v4.1, ours4.1
            ));
        }
    }
    assert_agree(&disagree);
}

/// Integer option values of every width and signedness, at and past
/// dhcpd's limits (it reads a number modulo 2^32, then allows down to
/// -2^(bits-1) and up to 2^bits - 1 whatever the signedness), judged by
/// `dhcpd -t` and by `check`: the same verdict; where dhcpd stores
/// something else than written, a warning.
#[test]
fn integer_option_values_agree_with_dhcpd_t() {
    let Some(dhcpd) = dhcpd_or_skip() else { return };
    let values = [
        "0",
        "-1",
        "-128",
        "-129",
        "127",
        "128",
        "255",
        "256",
        "-32768",
        "-32769",
        "65535",
        "65536",
        "-2147483648",
        "-2147483649",
        "4294967295",
        "4294967296",
        "4294967551",
        "4294967552",
        "-4294967424",
        "-4294967425",
        "99999999999999999999",
        "010",
        "09",
        "-010",
        "0x10",
        "0x1ff",
        "0x100000000",
        "-0x80",
        "0x",
        "-",
    ];
    let dir = crate::common::TempDir::new("ints");
    let mut disagree = Vec::new();
    for ty in ["unsigned integer", "signed integer"] {
        for bits in [8, 16, 32] {
            for v in values {
                let text = format!("option bar code 250 = {ty} {bits};\noption bar {v};\n");
                let file = dir.write("t.conf", text.as_bytes());
                let theirs = dhcpd_refuses(&dhcpd, &file);
                let ours = we_refuse("t.conf", text.as_bytes());
                if theirs.0 != ours.0 {
                    disagree.push(format!(
                        "{ty} {bits} {v}: dhcpd {:?}, ours {:?}",
                        theirs.1, ours.1
                    ));
                }
            }
        }
    }
    assert_agree(&disagree);
    // Taken, but not as written: said.
    let mut diags = Diagnostics::with_cap(100);
    let text = "option bar code 250 = unsigned integer 8;\noption bar -1;\noption bar 4294967297;\noption bar 7;\n";
    let _ = conf::parse_bytes("t.conf", text.as_bytes(), &mut diags);
    let warnings: Vec<String> = diags
        .items()
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(
        warnings,
        [
            "-1 in an unsigned field: dhcpd stores it as 255",
            "4294967297 is more than 32 bits: dhcpd reads it as 1"
        ]
    );
}

/// A bare word as a statement (`WORD;`): a variable reference to dhcpd
/// unless its lexer makes a keyword of the word. Every word of our
/// keyword list is refused by `dhcpd -t` and `dhcpd -6 -t` (so the list
/// holds no word dhcpd takes) and by `check` in both families; plain
/// names pass everywhere. And `group NAME;` names a group declared
/// before, inside a host only.
#[test]
fn keywords_and_group_references_agree_with_dhcpd_t() {
    use dhcpstats::dhcp::statements::KEYWORDS;
    let Some(dhcpd) = dhcpd_or_skip() else { return };
    let mut cases: Vec<String> = KEYWORDS.iter().map(|w| format!("{w};")).collect();
    cases.extend(["bogusword;", "foo_bar;", "foo = 5;"].map(String::from));
    cases.extend(
        [
            "group \"g\" { } host h { group \"g\"; }",
            "group g { } host h { group g; }",
            "host h { group \"g\"; } group \"g\" { }",
            "group \"G\" { } host h { group \"g\"; }",
            "host h { group; }",
            "group;",
            "group g { } group g;",
            "subnet 10.0.0.0 netmask 255.0.0.0 { group x; }",
            "group a.b { }",
        ]
        .map(String::from),
    );
    let dir = TempDir::new("keywords");
    let mut disagree = Vec::new();
    for text in &cases {
        let file = dir.write("t.conf", format!("{text}\n").as_bytes());
        for (flag, family) in [("-4", conf::Family::V4), ("-6", conf::Family::V6)] {
            let theirs = dhcpd_family_refuses(&dhcpd, &file, flag);
            let ours = we_refuse_in(family, "t.conf", text.as_bytes());
            if theirs.0 != ours.0 {
                disagree.push(format!(
                    "{text} ({flag}): dhcpd {:?}, ours {:?}",
                    theirs.1, ours.1
                ));
            }
        }
    }
    assert_agree(&disagree);
}
