//! Alpine package versions (apk-tools).
//!
//! This reproduces the token-based version parser and comparison in apk-tools 2.x
//! (`src/version.c`: numbers held in 64 bits, components with a leading zero compared as
//! strings), and is tested with apk-tools' own table of version pairs (`test/version.data`),
//! with every fixed version of the Alpine secdb, and with order properties. (The older 2.x
//! implementation, which kept numbers in a C `int`, differs in corner cases: for example it
//! ordered `1.0` above `1.00` and accepted a number after the letter, `1.0a2`.)
//!
//! # Format
//!
//! ```text
//! version = number *("." [number]) [letter] *("_" suffix [number]) ["-r" [number]]
//! number  = 1*("0"-"9")
//! letter  = one of "a"-"z"
//! suffix  = "alpha" / "beta" / "pre" / "rc" / "" / "cvs" / "svn" / "git" / "hg" / "p"
//! ```
//!
//! e.g. `1.2.3`, `1.2.3a`, `1.2.3_rc1`, `2.9.11_pre20061021_p2-r1`, `20050718-r2`. The
//! grammar is exactly what apk accepts, including its oddities: an empty component after a
//! dot (`1..2`, `1.`), an empty suffix name (`1.0_2`) and an empty revision number (`1.0-r`)
//! are valid. Everything else is an error: upper-case letters, two letters (`1.0bc`), a digit
//! after the letter (`6.6.2p1`), `-` not followed by `r` (`2.7.16-33`), anything after the
//! revision, an unknown suffix (`_foo`), a leading non-digit, the empty string.
//!
//! # Ordering
//!
//! The versions are read token by token; while both sides have tokens of the same kind:
//!
//! * the first number compares numerically (`006 == 6`);
//! * a number after a dot compares numerically, unless either of the two starts with `0`:
//!   then they compare as strings, like decimal fractions (`1.05 < 1.1 < 1.5`, `1.09 <
//!   1.10`, `1.0 < 1.00`; an empty component is below all others);
//! * the letter compares by its character (`1.0a < 1.0b`);
//! * suffixes compare by rank: `_alpha < _beta < _pre < _rc < _ < _cvs < _svn < _git < _hg
//!   < _p`;
//! * suffix numbers and revision numbers compare numerically (`_p9 < _p10`, `-r9 < -r10`).
//!
//! At the first position where the kinds differ, or one version has ended: a pre-release
//! suffix (`_alpha`, `_beta`, `_pre`, `_rc`) on one side makes that side smaller (`1.0_rc1 <
//! 1.0`); otherwise the side whose token kind comes *later* in the order number → letter →
//! suffix → suffix number → revision → end is smaller. So `1.0 < 1.0.1`, `1.0a < 1.0.1`,
//! `1.0 < 1.0-r0 < 1.0_p1 < 1.0a`, `1.0_alpha_pre2 < 1.0_alpha`.
//!
//! Numbers of any length compare exactly (apk-tools keeps them in 64 bits, so numbers of 20
//! digits and more, which it would wrap, are the only inputs where the two can differ).
//! Different strings can be equal (`01 == 1`, `1.0-r == 1.0-r0`): [`Ord`] and [`Eq`] on
//! [`ApkVersion`] follow apk, not string equality.
//!
//! Not supported (apk-tools 3 only): the `~hash` commit-hash component, and version 3's
//! fallback of ordering invalid versions as strings — here they are errors.

use super::{Scheme, VersionError, cmp_digit_runs};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A valid Alpine package version. Holds the original string.
#[derive(Debug, Clone)]
pub struct ApkVersion {
    raw: String,
}

impl ApkVersion {
    /// Parses (validates) a version string (same as [`str::parse`]).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        check(s)?;
        Ok(ApkVersion { raw: s.to_owned() })
    }

    /// The version string as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl FromStr for ApkVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApkVersion::parse(s)
    }
}

impl fmt::Display for ApkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_valid(self.raw.as_bytes(), other.raw.as_bytes())
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality as apk sees it (`1.0-r == 1.0-r0`), consistent with [`Ord`].
impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}

/// Compares two version strings like apk-tools, without allocating. An invalid string is an
/// error (`a` is checked first).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    check(a)?;
    check(b)?;
    Ok(cmp_valid(a.as_bytes(), b.as_bytes()))
}

/// Validates without allocating.
pub(crate) fn check(s: &str) -> Result<(), VersionError> {
    validate(s).map_err(|reason| VersionError::new(Scheme::Apk, s, reason))
}

/// Token kinds, in apk's order (which decides between versions whose kinds differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

/// Suffix ranks; below `None` are pre-releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Suffix {
    Alpha,
    Beta,
    Pre,
    Rc,
    None,
    Cvs,
    Svn,
    Git,
    Hg,
    P,
}

impl Suffix {
    fn from_name(name: &[u8]) -> Option<Suffix> {
        Some(match name {
            b"alpha" => Suffix::Alpha,
            b"beta" => Suffix::Beta,
            b"pre" => Suffix::Pre,
            b"rc" => Suffix::Rc,
            b"" => Suffix::None,
            b"cvs" => Suffix::Cvs,
            b"svn" => Suffix::Svn,
            b"git" => Suffix::Git,
            b"hg" => Suffix::Hg,
            b"p" => Suffix::P,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    /// The digits of a number, the letter, or the suffix name.
    value: &'a [u8],
    suffix: Suffix,
}

impl Token<'_> {
    const END: Token<'static> = Token {
        kind: Kind::End,
        value: b"",
        suffix: Suffix::None,
    };

    fn is_pre_release(&self) -> bool {
        self.kind == Kind::Suffix && self.suffix < Suffix::None
    }
}

/// Splits a version into tokens; after the last one it yields `End` forever.
struct Tokens<'a> {
    rest: &'a [u8],
    /// Kind of the previous token; `None` before the first.
    prev: Option<Kind>,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a [u8]) -> Self {
        Tokens {
            rest: s,
            prev: None,
        }
    }

    fn take_while(&mut self, pred: impl Fn(&u8) -> bool) -> &'a [u8] {
        let n = self
            .rest
            .iter()
            .position(|c| !pred(c))
            .unwrap_or(self.rest.len());
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        taken
    }

    fn next_token(&mut self) -> Result<Token<'a>, &'static str> {
        let tok = |kind, value| Token {
            kind,
            value,
            suffix: Suffix::None,
        };
        let Some(prev) = self.prev else {
            let digits = self.take_while(u8::is_ascii_digit);
            if digits.is_empty() {
                return Err(if self.rest.is_empty() {
                    "version is empty"
                } else {
                    "version must start with a digit"
                });
            }
            self.prev = Some(Kind::InitialDigit);
            return Ok(tok(Kind::InitialDigit, digits));
        };
        let Some(&c) = self.rest.first() else {
            self.prev = Some(Kind::End);
            return Ok(Token::END);
        };
        let token = match c {
            b'a'..=b'z' => {
                if prev > Kind::Digit {
                    return Err("a letter may only follow a number");
                }
                let (letter, rest) = self.rest.split_at(1);
                self.rest = rest;
                tok(Kind::Letter, letter)
            }
            b'.' => {
                if prev > Kind::Digit {
                    return Err("'.' may only follow a number");
                }
                self.rest = &self.rest[1..];
                tok(Kind::Digit, self.take_while(u8::is_ascii_digit))
            }
            b'0'..=b'9' => {
                // Digits right after a number were consumed with it: this follows a letter,
                // a suffix or a revision, and only a suffix takes a number.
                if prev != Kind::Suffix {
                    return Err("a number may not follow a letter or a revision here");
                }
                tok(Kind::SuffixNo, self.take_while(u8::is_ascii_digit))
            }
            b'_' => {
                if prev > Kind::SuffixNo {
                    return Err("a suffix may not follow the revision");
                }
                self.rest = &self.rest[1..];
                let name = self.take_while(u8::is_ascii_lowercase);
                let suffix = Suffix::from_name(name).ok_or(
                    "unknown suffix (expected alpha, beta, pre, rc, cvs, svn, git, hg or p)",
                )?;
                Token {
                    kind: Kind::Suffix,
                    value: name,
                    suffix,
                }
            }
            b'-' => {
                if prev >= Kind::RevisionNo {
                    return Err("only one revision is allowed");
                }
                if self.rest.get(1) != Some(&b'r') {
                    return Err("'-' must start the revision '-r<number>'");
                }
                self.rest = &self.rest[2..];
                tok(Kind::RevisionNo, self.take_while(u8::is_ascii_digit))
            }
            _ => return Err("invalid character"),
        };
        self.prev = Some(token.kind);
        Ok(token)
    }
}

fn validate(s: &str) -> Result<(), &'static str> {
    let mut tokens = Tokens::new(s.as_bytes());
    while tokens.next_token()?.kind != Kind::End {}
    Ok(())
}

/// Compares two tokens of the same kind.
fn cmp_token(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        Kind::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Kind::InitialDigit | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => {
            cmp_digit_runs(a.value, b.value)
        }
        Kind::Letter => a.value.cmp(b.value),
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        Kind::End => Ordering::Equal,
    }
}

/// apk's comparison of two *valid* versions.
fn cmp_valid(a: &[u8], b: &[u8]) -> Ordering {
    let (mut ta, mut tb) = (Tokens::new(a), Tokens::new(b));
    loop {
        // Both strings are valid, so the tokenizers cannot fail; `End` keeps this total anyway.
        let x = ta.next_token().unwrap_or(Token::END);
        let y = tb.next_token().unwrap_or(Token::END);
        if x.kind != y.kind {
            return if x.is_pre_release() {
                Ordering::Less
            } else if y.is_pre_release() {
                Ordering::Greater
            } else {
                // The later kind (End last) is the smaller version.
                y.kind.cmp(&x.kind)
            };
        }
        if x.kind == Kind::End {
            return Ordering::Equal;
        }
        let ord = cmp_token(&x, &y);
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn suffix_chain() {
        let chain = [
            "1.0_alpha",
            "1.0_alpha1",
            "1.0_beta",
            "1.0_pre",
            "1.0_rc",
            "1.0_rc9",
            "1.0",
            "1.0-r0",
            "1.0-r1",
            "1.0_",
            "1.0_cvs",
            "1.0_svn",
            "1.0_git",
            "1.0_hg",
            "1.0_p",
            "1.0_p1",
            "1.0a",
            "1.0.0",
            "1.00",
            "1.01",
            "1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
            assert_eq!(compare(w[1], w[0]).unwrap(), Greater, "{} > {}", w[1], w[0]);
        }
    }

    #[test]
    fn equal_but_different() {
        assert_eq!(compare("01.2", "1.2").unwrap(), Equal);
        assert_eq!(compare("1.0-r", "1.0-r0").unwrap(), Equal);
        assert_eq!(compare("1.0_p01", "1.0_p1").unwrap(), Equal);
        assert_eq!(compare("1.", "1.").unwrap(), Equal);
    }

    #[test]
    fn invalid() {
        for s in [
            "",
            "a",
            ".1",
            "1.0bc",
            "1a2",
            "6.6.2p1-r0",
            "2.7.16-33",
            "1.0-r1-r2",
            "1.0-r1_p1",
            "1.0-r1a",
            "1.0_foo",
            "1.0_p1.2",
            "1.0A",
            "1.0 ",
            "1.0-",
            "1.0~abc",
            "1.é",
        ] {
            let e = ApkVersion::parse(s).unwrap_err();
            assert_eq!(e.scheme(), Scheme::Apk, "{s:?}");
        }
    }
}
