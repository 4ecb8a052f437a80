//! Helpers shared by the language-ecosystem version tests: a small deterministic random
//! generator, random string edits, and the runner for reference implementations (one
//! subprocess per batch, fed a JSON document on stdin, answering one JSON document).

#![allow(dead_code)]

use serde_json::Value;
use std::cmp::Ordering;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// xorshift64*: deterministic, seedable, good enough to pick test cases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    /// True with the given probability in percent.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// One to three random edits (insert, delete, replace) with characters from `alphabet`.
pub fn mutate(rng: &mut Rng, s: &str, alphabet: &[char]) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..1 + rng.below(3) {
        let pos = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 => chars.insert(pos, rng.pick(alphabet)),
            1 if pos < chars.len() => {
                chars.remove(pos);
            }
            _ if pos < chars.len() => chars[pos] = rng.pick(alphabet),
            _ => chars.push(rng.pick(alphabet)),
        }
    }
    chars.into_iter().collect()
}

/// `count` random index pairs over `0..n`.
pub fn random_pairs(rng: &mut Rng, n: usize, count: usize) -> Vec<(usize, usize)> {
    (0..count).map(|_| (rng.below(n), rng.below(n))).collect()
}

/// -1, 0, 1.
pub fn sign(o: Ordering) -> i64 {
    match o {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

/// Runs a reference implementation: `program args...` with `input` (JSON) on stdin; returns
/// its stdout parsed as JSON. Panics — the test fails — when the program cannot be run or
/// does not answer, naming `what` it is and how to `install` it: reference tests must never
/// pass without their reference.
pub fn run_reference(
    what: &str,
    install: &str,
    program: &str,
    args: &[&str],
    input: &Value,
) -> Value {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {program:?} for the reference {what}: {e}. Install it ({install}); \
                 this test compares against it and must not pass without it."
            )
        });
    let body = serde_json::to_vec(input).expect("serialise the batch");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || {
        // A reference that dies early closes the pipe; its exit status reports why.
        let _ = stdin.write_all(&body);
    });
    let out = child.wait_with_output().expect("wait for the reference");
    let _ = writer.join();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the reference {what} ({program}) failed ({}): {stderr}\nInstall it with: {install}. \
         This test compares against it and must not pass without it.",
        out.status
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the reference {what} answered something that is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(500)])
        )
    })
}

/// The shared data directory (`DRYDOCK_SHARED`, else `../shared` beside the repository).
pub fn shared_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("DRYDOCK_SHARED") {
        return PathBuf::from(p);
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

/// The version strings of one OSV zip, for one ecosystem, grouped by affected entry:
/// `affected[].ranges[].events[]` values of `ECOSYSTEM`/`SEMVER` ranges (except `"0"`) and
/// `affected[].versions[]`.
pub fn osv_versions(zip_path: &std::path::Path, ecosystem: &str) -> Vec<Vec<String>> {
    let file = std::fs::File::open(zip_path)
        .unwrap_or_else(|e| panic!("{}: {e} (set DRYDOCK_SHARED)", zip_path.display()));
    let mut zip = zip::ZipArchive::new(file).expect("OSV zip");
    let mut groups = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("zip entry");
        if entry.is_dir() {
            continue;
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).expect("read OSV record");
        let doc: Value = serde_json::from_str(&text).expect("OSV JSON");
        for affected in doc["affected"].as_array().into_iter().flatten() {
            if affected["package"]["ecosystem"].as_str() != Some(ecosystem) {
                continue;
            }
            let mut group = Vec::new();
            for range in affected["ranges"].as_array().into_iter().flatten() {
                if !matches!(range["type"].as_str(), Some("ECOSYSTEM" | "SEMVER")) {
                    continue;
                }
                for event in range["events"].as_array().into_iter().flatten() {
                    for key in ["introduced", "fixed", "last_affected", "limit"] {
                        if let Some(v) = event[key].as_str()
                            && v != "0"
                        {
                            group.push(v.to_owned());
                        }
                    }
                }
            }
            for v in affected["versions"].as_array().into_iter().flatten() {
                if let Some(v) = v.as_str() {
                    group.push(v.to_owned());
                }
            }
            groups.push(group);
        }
    }
    groups
}
