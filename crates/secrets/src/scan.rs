//! The scanner: keyword prefilter, windows around keyword hits, regexes, allow-lists, overlap
//! resolution, and the reported [`SecretMatch`].

use crate::rules::{Allow, ContentRule, Meta, Rules};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use drydock_vulndb::Severity;
use regex::RegexSet;
use regex::bytes::Captures;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;

/// Default per-file size cap: bigger files are not scanned (and, in an image, not read).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

/// Bytes inspected for NUL to decide that a file is binary.
pub const BINARY_SNIFF_BYTES: usize = 8 << 10;

/// A window never extends more than this far from a keyword hit to find the end of its line,
/// so that a huge single-line file costs time linear in its size.
pub const LINE_CAP: usize = 4 << 10;

/// Added to a fallback rule's position so that it ranks after every file rule.
const FALLBACK_RANK: usize = usize::MAX / 2;

/// Longest `redacted` text.
const REDACTED_MAX_CHARS: usize = 120;

/// Scanner options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Files bigger than this are skipped (default [`DEFAULT_MAX_FILE_SIZE`]).
    pub max_file_size: u64,
    /// Put the full secret in [`SecretMatch::secret`]. Off by default: only the redacted
    /// form and a fingerprint are reported.
    pub show_secrets: bool,
    /// Diagnostics: also report matches that an allow-list entry (or the entropy threshold)
    /// dropped, with [`SecretMatch::allowed_by`] set, and scan allow-listed paths too. Off by
    /// default.
    pub explain_allowed: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            show_secrets: false,
            explain_allowed: false,
        }
    }
}

/// One secret found in one file (or one image-config entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretMatch {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// 1-based line of the start of the match; 0 when the finding is about the whole file
    /// (a credential file rule without a content pattern, e.g. a `.p12`).
    pub line: usize,
    /// 1-based byte column of the start of the match; 0 for whole-file findings.
    pub column: usize,
    /// The first line of the match with the secret masked (its first 4 characters then
    /// `****`; only `****` for secrets shorter than 8), at most 120 characters. Empty for
    /// whole-file findings.
    pub redacted: String,
    /// The full secret, only with [`ScanOptions::show_secrets`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// `sha256:<hex>` of the secret's bytes (of the whole file for whole-file findings), to
    /// recognise the same secret across files and scans without storing it.
    pub fingerprint: String,
    /// Only with [`ScanOptions::explain_allowed`]: the id of the allow-list entry that
    /// dropped this match (`entropy` when it was below the rule's entropy threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_by: Option<String>,
}

/// Why a file was not scanned for content rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Skip {
    /// Bigger than [`ScanOptions::max_file_size`].
    TooLarge,
    /// A global allow-list entry with only a path matched.
    AllowedPath,
    /// NUL bytes in the first [`BINARY_SNIFF_BYTES`] (credential-file rules still apply).
    Binary,
}

/// A compiled scanner. Cheap to clone; `Sync`, so one scanner serves every worker thread.
#[derive(Debug, Clone)]
pub struct Scanner {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    rules: Rules,
    opts: ScanOptions,
    /// Keyword automaton over every rule's keywords (None when no rule has keywords).
    keywords: Option<AhoCorasick>,
    /// For each keyword pattern, the content rules that use it.
    keyword_rules: Vec<Vec<usize>>,
    /// Content rules without keywords: they see the whole text.
    unfiltered: Vec<usize>,
    /// Path regexes of the file rules (one set match per file).
    file_paths: RegexSet,
    /// Path regexes of path-only global allow entries, and their ids.
    skip_paths: RegexSet,
    skip_ids: Vec<String>,
    /// `drydock-secrets@<version>/<sha256 of rules and options>`.
    cache_id: String,
}

/// A match before overlap resolution. `prio` orders rules for overlaps: content rules in
/// file order, then credential-file rules, then fallback content rules.
#[derive(Debug, Clone)]
struct Candidate {
    prio: usize,
    meta: Arc<Meta>,
    whole_file: bool,
    start: usize,
    end: usize,
    secret_start: usize,
    secret_end: usize,
    allowed_by: Option<String>,
}

impl Scanner {
    /// A scanner with default options.
    pub fn new(rules: Rules) -> Scanner {
        Scanner::with_options(rules, ScanOptions::default())
    }

    /// The built-in rules with default options (compiled once per process).
    pub fn builtin() -> Scanner {
        static DEFAULT: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
        DEFAULT
            .get_or_init(|| Scanner::new(Rules::builtin()))
            .clone()
    }

    pub fn with_options(rules: Rules, opts: ScanOptions) -> Scanner {
        let mut patterns: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut unfiltered = Vec::new();
        for (r, rule) in rules.inner.content.iter().enumerate() {
            if rule.keywords.is_empty() {
                unfiltered.push(r);
            }
            for k in &rule.keywords {
                let p = *index.entry(k.clone()).or_insert_with(|| {
                    patterns.push(k.clone());
                    keyword_rules.push(Vec::new());
                    patterns.len() - 1
                });
                if !keyword_rules[p].contains(&r) {
                    keyword_rules[p].push(r);
                }
            }
        }
        let keywords = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                // keywords are plain non-empty strings (checked when compiling the rules)
                .expect("keyword automaton builds")
        });
        let file_paths = RegexSet::new(rules.inner.files.iter().map(|f| f.path.as_str()))
            // each pattern compiled on its own already
            .expect("file rule paths compile as a set");
        let path_only: Vec<_> = rules.inner.allow.iter().filter(|a| a.path_only()).collect();
        let skip_paths = RegexSet::new(
            path_only
                .iter()
                .filter_map(|a| a.path.as_ref().map(|p| p.as_str())),
        )
        .expect("allow-list paths compile as a set");
        let skip_ids = path_only.iter().map(|a| a.id.clone()).collect();
        let mut h = Sha256::new();
        // the spec is plain data: serialising it cannot fail
        h.update(serde_json::to_vec(rules.spec()).expect("rule spec serialises"));
        h.update(format!(
            "{}/{}/{}",
            opts.max_file_size, opts.show_secrets, opts.explain_allowed
        ));
        let cache_id = format!(
            "drydock-secrets@{}/{}",
            env!("CARGO_PKG_VERSION"),
            hex::encode(h.finalize())
        );
        Scanner {
            inner: Arc::new(Inner {
                rules,
                opts,
                keywords,
                keyword_rules,
                unfiltered,
                file_paths,
                skip_paths,
                skip_ids,
                cache_id,
            }),
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.inner.rules
    }

    pub fn options(&self) -> &ScanOptions {
        &self.inner.opts
    }

    /// Identifies the rules and options (for caches of scan results).
    pub fn cache_id(&self) -> &str {
        &self.inner.cache_id
    }

    /// Is `path` (absolute, or relative to the image root) skipped by a path-only global
    /// allow-list entry? Such files are never read.
    pub fn skips_path(&self, path: &str) -> bool {
        self.skipping_entry(path).is_some()
    }

    /// The id of the path-only allow entry that skips `path`, if any.
    fn skipping_entry(&self, path: &str) -> Option<&str> {
        if self.inner.skip_paths.is_empty() {
            return None;
        }
        let i = self
            .inner
            .skip_paths
            .matches(&absolute(path))
            .iter()
            .next()?;
        Some(&self.inner.skip_ids[i])
    }

    /// Why `content` at `path` would not be scanned for content rules, if it would not.
    pub fn skip_reason(&self, path: &str, content: &[u8]) -> Option<Skip> {
        if content.len() as u64 > self.inner.opts.max_file_size {
            Some(Skip::TooLarge)
        } else if self.skips_path(path) {
            Some(Skip::AllowedPath)
        } else if is_binary(content) {
            Some(Skip::Binary)
        } else {
            None
        }
    }

    /// Scan one file. `path` is the file's path in the image (a leading `/` is added when
    /// missing); it selects credential-file rules and path allow-lists. Files over the size
    /// cap, on allow-listed paths, or binary (NUL in the first 8 KiB; only credential-file
    /// rules apply to those) give no content findings. Matches are in file order.
    pub fn scan_bytes(&self, path: &str, content: &[u8]) -> Vec<SecretMatch> {
        let path = absolute(path);
        if content.len() as u64 > self.inner.opts.max_file_size {
            return Vec::new();
        }
        let skipped_by = self.skipping_entry(&path);
        if skipped_by.is_some() && !self.inner.opts.explain_allowed {
            return Vec::new();
        }
        let mut cands = Vec::new();
        self.file_rules(&path, content, &mut cands);
        if !is_binary(content) {
            self.content_rules(&path, content, &mut cands);
        }
        let mut found = self.finish(content, cands);
        if let Some(id) = skipped_by {
            for m in &mut found {
                m.allowed_by.get_or_insert_with(|| id.to_string());
            }
        }
        found
    }

    /// Scan a text that is not a file (an image-config entry): content rules only, with
    /// `location` (e.g. `config:Env[3]`) as the path for allow-lists.
    pub fn scan_text(&self, location: &str, text: &[u8]) -> Vec<SecretMatch> {
        if text.len() as u64 > self.inner.opts.max_file_size {
            return Vec::new();
        }
        let mut cands = Vec::new();
        self.content_rules(location, text, &mut cands);
        self.finish(text, cands)
    }

    /// The first allow-list entry (the rule's own, then global) that drops this match.
    fn allowed<'a>(
        &'a self,
        rule: &Meta,
        own: &'a [Allow],
        path: &str,
        secret: &[u8],
        matched: &[u8],
    ) -> Option<&'a str> {
        own.iter()
            .chain(self.inner.rules.inner.allow.iter())
            .find(|a| a.allows(&rule.id, path, secret, matched))
            .map(|a| a.id.as_str())
    }

    fn file_rules(&self, path: &str, content: &[u8], out: &mut Vec<Candidate>) {
        if self.inner.file_paths.is_empty() {
            return;
        }
        let base = self.inner.rules.inner.content.len();
        for i in self.inner.file_paths.matches(path).iter() {
            let rule = &self.inner.rules.inner.files[i];
            if rule.requires.as_ref().is_some_and(|r| !r.is_match(content)) {
                continue;
            }
            let explain = self.inner.opts.explain_allowed;
            let Some(re) = &rule.content else {
                let allowed_by = self.allowed(&rule.meta, &rule.allow, path, b"", b"");
                if !content.is_empty() && (allowed_by.is_none() || explain) {
                    out.push(Candidate {
                        prio: base + i,
                        meta: rule.meta.clone(),
                        whole_file: true,
                        start: 0,
                        end: 0,
                        secret_start: 0,
                        secret_end: content.len(),
                        allowed_by: allowed_by.map(String::from),
                    });
                }
                continue;
            };
            // the first match that is not allow-listed is the finding
            for caps in re.captures_iter(content) {
                let (start, end, ss, se) = spans(&caps, rule.group);
                let allowed_by = self.allowed(
                    &rule.meta,
                    &rule.allow,
                    path,
                    &content[ss..se],
                    &content[start..end],
                );
                if allowed_by.is_none() || explain {
                    out.push(Candidate {
                        prio: base + i,
                        meta: rule.meta.clone(),
                        whole_file: false,
                        start,
                        end,
                        secret_start: ss,
                        secret_end: se,
                        allowed_by: allowed_by.map(String::from),
                    });
                }
                if allowed_by.is_none() {
                    break;
                }
            }
        }
    }

    fn content_rules(&self, path: &str, content: &[u8], out: &mut Vec<Candidate>) {
        let rules = &self.inner.rules.inner.content;
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); rules.len()];
        if let Some(ac) = &self.inner.keywords {
            for hit in ac.find_overlapping_iter(content) {
                for &r in &self.inner.keyword_rules[hit.pattern().as_usize()] {
                    let rule = &rules[r];
                    add_window(
                        &mut windows[r],
                        content,
                        hit.start(),
                        hit.end(),
                        rule.window_before,
                        rule.window_after,
                    );
                }
            }
        }
        for &r in &self.inner.unfiltered {
            windows[r] = vec![(0, content.len())];
        }
        for (r, ws) in windows.iter().enumerate() {
            if ws.is_empty() {
                continue;
            }
            let rule = &rules[r];
            if rule.path.as_ref().is_some_and(|p| !p.is_match(path)) {
                continue;
            }
            for &(wstart, wend) in ws {
                self.run_rule(r, rule, path, content, wstart, wend, out);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_rule(
        &self,
        r: usize,
        rule: &ContentRule,
        path: &str,
        content: &[u8],
        wstart: usize,
        wend: usize,
        out: &mut Vec<Candidate>,
    ) {
        let hay = &content[wstart..wend];
        for caps in rule.regex.captures_iter(hay) {
            let (s, e, ss, se) = spans(&caps, rule.group);
            let secret = &hay[ss..se];
            let allowed_by = if rule.entropy.is_some_and(|t| entropy(secret) < t) {
                Some("entropy")
            } else {
                self.allowed(&rule.meta, &rule.allow, path, secret, &hay[s..e])
            };
            if allowed_by.is_some() && !self.inner.opts.explain_allowed {
                continue;
            }
            out.push(Candidate {
                prio: if rule.fallback { r + FALLBACK_RANK } else { r },
                meta: rule.meta.clone(),
                whole_file: false,
                start: wstart + s,
                end: wstart + e,
                secret_start: wstart + ss,
                secret_end: wstart + se,
                allowed_by: allowed_by.map(String::from),
            });
        }
    }

    /// Resolve overlaps (the earlier rule wins), then build the reported matches in file
    /// order.
    fn finish(&self, content: &[u8], mut cands: Vec<Candidate>) -> Vec<SecretMatch> {
        if cands.is_empty() {
            return Vec::new();
        }
        cands.sort_by_key(|c| (c.prio, c.start));
        let mut taken: BTreeMap<usize, usize> = BTreeMap::new(); // start -> end, disjoint
        let mut kept = Vec::with_capacity(cands.len());
        for c in cands {
            if !c.whole_file && c.allowed_by.is_none() {
                let overlaps = taken
                    .range(..c.end)
                    .next_back()
                    .is_some_and(|(_, &end)| end > c.start);
                if overlaps {
                    continue;
                }
                taken.insert(c.start, c.end);
            }
            kept.push(c);
        }
        kept.sort_by_key(|c| (!c.whole_file, c.start, c.prio));
        let mut line = 1;
        let mut line_start = 0;
        let mut counted = 0;
        kept.into_iter()
            .map(|c| {
                let secret = &content[c.secret_start..c.secret_end];
                let fingerprint = format!("sha256:{}", hex::encode(Sha256::digest(secret)));
                if c.whole_file {
                    return SecretMatch {
                        rule_id: c.meta.id.clone(),
                        title: c.meta.title.clone(),
                        severity: c.meta.severity,
                        line: 0,
                        column: 0,
                        redacted: String::new(),
                        secret: None,
                        fingerprint,
                        allowed_by: c.allowed_by,
                    };
                }
                for nl in memchr::memchr_iter(b'\n', &content[counted..c.start]) {
                    line += 1;
                    line_start = counted + nl + 1;
                }
                counted = c.start;
                SecretMatch {
                    rule_id: c.meta.id.clone(),
                    title: c.meta.title.clone(),
                    severity: c.meta.severity,
                    line,
                    column: c.start - line_start + 1,
                    redacted: redact(content, &c, self.inner.opts.show_secrets),
                    secret: self
                        .inner
                        .opts
                        .show_secrets
                        .then(|| String::from_utf8_lossy(secret).into_owned()),
                    fingerprint,
                    allowed_by: c.allowed_by,
                }
            })
            .collect()
    }
}

/// `path` with a leading `/`.
fn absolute(path: &str) -> Cow<'_, str> {
    if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("/{path}"))
    }
}

/// NUL in the first [`BINARY_SNIFF_BYTES`].
pub fn is_binary(content: &[u8]) -> bool {
    memchr::memchr(0, &content[..content.len().min(BINARY_SNIFF_BYTES)]).is_some()
}

/// Shannon entropy of `bytes` in bits per byte (0 for empty input).
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Match span and secret span of one regex match.
fn spans(caps: &Captures<'_>, group: Option<usize>) -> (usize, usize, usize, usize) {
    // group 0 always exists for a match
    let whole = caps.get(0).expect("group 0 of a match");
    let secret = match group {
        Some(g) => caps.get(g),
        None => caps.iter().skip(1).flatten().next(),
    }
    .unwrap_or(whole);
    (whole.start(), whole.end(), secret.start(), secret.end())
}

/// Add the window of a keyword hit at `hs..he` to a rule's sorted, disjoint windows: from the
/// start of the line `before` bytes back to the end of the line `after` bytes on, each end at
/// most [`LINE_CAP`] further. Hits arrive in order of their end, so windows stay sorted.
fn add_window(
    windows: &mut Vec<(usize, usize)>,
    content: &[u8],
    hs: usize,
    he: usize,
    before: usize,
    after: usize,
) {
    let from = hs.saturating_sub(before);
    let to = he.saturating_add(after).min(content.len());
    if let Some(last) = windows.last()
        && from >= last.0
        && to <= last.1
    {
        return;
    }
    let start = line_start(content, from);
    let end = line_end(content, to);
    match windows.last_mut() {
        Some(last) if start <= last.1 => {
            last.0 = last.0.min(start);
            last.1 = last.1.max(end);
        }
        _ => windows.push((start, end)),
    }
}

fn line_start(content: &[u8], pos: usize) -> usize {
    let lo = pos.saturating_sub(LINE_CAP);
    match memchr::memrchr(b'\n', &content[lo..pos]) {
        Some(i) => lo + i + 1,
        None => lo,
    }
}

fn line_end(content: &[u8], pos: usize) -> usize {
    let hi = pos.saturating_add(LINE_CAP).min(content.len());
    match memchr::memchr(b'\n', &content[pos..hi]) {
        Some(i) => pos + i,
        None => hi,
    }
}

/// The masked form of a secret.
pub fn mask(secret: &str) -> String {
    if secret.chars().count() >= 8 {
        let head: String = secret.chars().take(4).collect();
        format!("{head}****")
    } else {
        "****".to_string()
    }
}

fn redact(content: &[u8], c: &Candidate, show: bool) -> String {
    let matched = &content[c.start..c.end];
    if std::str::from_utf8(matched).map_or(true, |t| {
        t.chars()
            .any(|ch| ch.is_control() && !matches!(ch, '\t' | '\n' | '\r'))
    }) {
        return "(binary)".to_string();
    }
    let secret = String::from_utf8_lossy(&content[c.secret_start..c.secret_end]);
    let shown = if show {
        secret.into_owned()
    } else {
        mask(&secret)
    };
    let mut text = String::from_utf8_lossy(&content[c.start..c.secret_start]).into_owned();
    text.push_str(&shown);
    text.push_str(&String::from_utf8_lossy(&content[c.secret_end..c.end]));
    let first = text
        .split(['\n', '\r'])
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    first.chars().take(REDACTED_MAX_CHARS).collect()
}
