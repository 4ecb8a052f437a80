//! Maven versions, compared like maven-artifact 3.9's `ComparableVersion` (the order Maven
//! resolves dependency ranges with, and the one OSV's `Maven` ecosystem uses).
//!
//! # Parsing
//!
//! Any string is a Maven version; the comparison works on the lower-cased string, split into
//! *items*:
//!
//! * `.` and `-` separate items; an empty item (`1..1`, `-1`) is the number 0;
//! * a change from digits to non-digits or back also separates items (`1.0alpha1` is
//!   `1`, `0`, `alpha`, `1`);
//! * digit runs are numbers (of any size: compared exactly, leading zeros ignored);
//!   everything else (letters, but also `_`, `+`, spaces...) forms *qualifiers*;
//! * a `-`, and a digit/non-digit change, start a nested *list*; a qualifier that a digit
//!   follows, or that ends the version, also starts one when the current list is not
//!   empty (Maven 3.9: `1.0.RC1` is read like `1.0-RC1`). So `1-1.foo-bar1baz-.1` is
//!   `[1, [1, foo, [bar, [1, [baz, [0, 1]]]]]]`;
//! * qualifier aliases: `a`, `b`, `m` *immediately followed by a digit* are `alpha`,
//!   `beta`, `milestone`; `cr` is `rc`; `ga`, `final` and `release` are the empty
//!   qualifier;
//! * each list then drops its trailing "null" items — `0`, the empty qualifier, empty
//!   lists — (looking past a final nested list), so `1.0.0 == 1`, `1.0-0 == 1`,
//!   `2.0.0.Final == 2.0.0`, `1.0.RELEASE == 1.0`.
//!
//! [`MavenVersion::canonical`] prints the parsed form the way Maven's `getCanonical` does.
//!
//! # Ordering
//!
//! Lists compare item by item, a missing item counting as "null":
//!
//! * numbers compare numerically; a number is above a qualifier and above a list
//!   (`1.1 > 1-sp`, `1.1 > 1-1`);
//! * qualifiers order `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final =
//!   release < sp`, and unknown qualifiers come after all of them, lexically (`1-sp <
//!   1-abc < 1-xyz`); a qualifier is below a list (`1-abc < 1-1`);
//! * against null, a number is equal if 0 and greater otherwise; a qualifier is below null
//!   if it sorts below the empty qualifier (`1-alpha < 1`, `1-SNAPSHOT < 1`), equal for the
//!   empty one, above otherwise (`1-sp > 1`); a list compares its items with null in turn.
//!
//! So `1 == 1.0 == 1.0.0`, `1-alpha < 1`, `1.0-SNAPSHOT < 1.0`, `1-sp > 1`,
//! `1.0.RC2 < 1.0-RC3 < 1.0.1`.
//!
//! # Errors and deviations
//!
//! Maven accepts every string; here the empty string (which Maven reads as `0`) is an error,
//! because an empty version in advisory data or an inventory is a data error, not `0`. Java's
//! `Character.isDigit` also takes non-ASCII decimal digits (`١`) as digits; such strings are
//! errors here (any non-ASCII numeric character), rather than being read differently.
//! Otherwise the behaviour is Maven's, including for odd strings (spaces and punctuation are
//! qualifier characters). Unknown qualifiers compare by UTF-16 code units, like Java.
//! Lower-casing follows Unicode (`str::to_lowercase`); Java's `toLowerCase` differs only in
//! where a capital sigma `Σ` becomes the final form `ς` (Java decides with its word
//! `BreakIterator`), which can change the order of two qualifiers spelled with `Σ`.
//! Nesting depth and item counts are unbounded; comparison is iterative and linear.

use super::{Scheme, VersionError, cmp_digit_runs};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// A Maven version (any non-empty string without non-ASCII digits). Holds the original
/// string.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    raw: String,
}

impl MavenVersion {
    /// Parses (validates) a version string (same as [`str::parse`]).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        check(s)?;
        Ok(MavenVersion { raw: s.to_owned() })
    }

    /// The version string as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The canonical form, as `ComparableVersion.getCanonical()` gives it: items of a list
    /// joined with `.`, nested lists introduced by `-` (`1.0.0` → `1`, `1-SNAPSHOT` →
    /// `1-snapshot`, `1.0.RC1` → `1-rc-1`, `2.0.Final` → `2`).
    pub fn canonical(&self) -> String {
        Parsed::new(&self.raw).canonical()
    }
}

impl FromStr for MavenVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MavenVersion::parse(s)
    }
}

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_parsed(&Parsed::new(&self.raw), &Parsed::new(&other.raw))
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality as Maven's `compareTo` sees it (`1.0 == 1`), consistent with [`Ord`].
impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

/// Compares two version strings like `ComparableVersion.compareTo`. An invalid string is an
/// error (`a` is checked first).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    check(a)?;
    check(b)?;
    Ok(cmp_parsed(&Parsed::new(a), &Parsed::new(b)))
}

/// Validates a version string.
pub(crate) fn check(s: &str) -> Result<(), VersionError> {
    if s.is_empty() {
        return Err(VersionError::new(
            Scheme::Maven,
            s,
            "version string is empty",
        ));
    }
    if s.chars().any(|c| !c.is_ascii() && c.is_numeric()) {
        return Err(VersionError::new(
            Scheme::Maven,
            s,
            "non-ASCII digit in version",
        ));
    }
    Ok(())
}

/// Qualifier ranks of the well-known qualifiers; [`RELEASE`] is the empty qualifier.
const QUALIFIERS: &[&str] = &["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: u8 = 5;

#[derive(Debug, Clone)]
enum Item {
    /// Digits of a number, without leading zeros (empty for 0).
    Num(Range<usize>),
    /// A well-known qualifier, by rank.
    Known(u8),
    /// Another qualifier (lower-cased text).
    Unknown(Range<usize>),
}

/// A parsed version: the lower-cased text, and the chain of nested lists. `levels[k]` holds
/// the items of the list at depth `k`; the list at depth `k + 1`, when present, is the last
/// element of the list at depth `k`.
struct Parsed<'a> {
    text: Cow<'a, str>,
    levels: Vec<Vec<Item>>,
}

impl<'a> Parsed<'a> {
    fn new(raw: &'a str) -> Self {
        let text = if raw.is_ascii() {
            if raw.bytes().any(|c| c.is_ascii_uppercase()) {
                Cow::Owned(raw.to_ascii_lowercase())
            } else {
                Cow::Borrowed(raw)
            }
        } else {
            Cow::Owned(raw.to_lowercase())
        };
        let levels = items(&text);
        Parsed { text, levels }
    }

    fn str(&self, r: &Range<usize>) -> &str {
        &self.text[r.clone()]
    }

    fn canonical(&self) -> String {
        // `ListItem.toString()`: items joined with `.`, the nested list after a `-` — each
        // separator only when the list's own text so far is not empty (an empty qualifier
        // prints as nothing). Built front to back, in linear time.
        let mut out = String::new();
        for (depth, level) in self.levels.iter().enumerate() {
            let start = out.len();
            for item in level {
                if out.len() > start {
                    out.push('.');
                }
                match item {
                    Item::Num(r) if r.is_empty() => out.push('0'),
                    Item::Num(r) | Item::Unknown(r) => out.push_str(self.str(r)),
                    Item::Known(q) => out.push_str(QUALIFIERS[usize::from(*q)]),
                }
            }
            if depth + 1 < self.levels.len() && out.len() > start {
                out.push('-');
            }
        }
        out
    }
}

/// The qualifier item of a non-digit token.
fn qualifier(text: &str, r: Range<usize>, followed_by_digit: bool) -> Item {
    let mut s = &text[r.clone()];
    if followed_by_digit {
        s = match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            _ => s,
        };
    }
    s = match s {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        _ => s,
    };
    match QUALIFIERS.iter().position(|q| *q == s) {
        // At most 7 entries: the index fits.
        Some(i) => Item::Known(i as u8),
        None => Item::Unknown(r),
    }
}

/// A number item (`r` holds only ASCII digits).
fn number(text: &str, r: Range<usize>) -> Item {
    let zeros = text[r.clone()].bytes().take_while(|&c| c == b'0').count();
    Item::Num(r.start + zeros..r.end)
}

fn token(text: &str, r: Range<usize>, is_digit: bool) -> Item {
    if is_digit {
        number(text, r)
    } else {
        qualifier(text, r, false)
    }
}

/// Maven 3.9's `parseVersion`, then `normalize` of every list (innermost first).
fn items(text: &str) -> Vec<Vec<Item>> {
    let mut levels: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '.' | '-' => {
                let item = if i == start {
                    Item::Num(0..0)
                } else {
                    token(text, start..i, is_digit)
                };
                push(&mut levels, item);
                start = i + 1;
                if c == '-' {
                    levels.push(Vec::new());
                }
            }
            '0'..='9' => {
                if !is_digit && i > start {
                    // Qualifier followed by a digit: `1.0.RC1` reads like `1.0-RC1`.
                    if !current(&levels).is_empty() {
                        levels.push(Vec::new());
                    }
                    push(&mut levels, qualifier(text, start..i, true));
                    start = i;
                    levels.push(Vec::new());
                }
                is_digit = true;
            }
            _ => {
                if is_digit && i > start {
                    push(&mut levels, number(text, start..i));
                    start = i;
                    levels.push(Vec::new());
                }
                is_digit = false;
            }
        }
    }
    if text.len() > start {
        if !is_digit && !current(&levels).is_empty() {
            levels.push(Vec::new());
        }
        push(&mut levels, token(text, start..text.len(), is_digit));
    }
    // normalize(): drop trailing null items of each list, innermost list first; a list left
    // empty is itself null and disappears from its parent.
    for k in (0..levels.len()).rev() {
        let has_child = k + 1 < levels.len();
        let level = &mut levels[k];
        while level.last().is_some_and(is_null) {
            level.pop();
        }
        if k > 0 && level.is_empty() && !has_child {
            levels.truncate(k);
        }
    }
    levels
}

fn current(levels: &[Vec<Item>]) -> &[Item] {
    levels.last().map_or(&[], Vec::as_slice)
}

fn push(levels: &mut [Vec<Item>], item: Item) {
    if let Some(level) = levels.last_mut() {
        level.push(item);
    }
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Num(r) => r.is_empty(),
        Item::Known(q) => *q == RELEASE,
        Item::Unknown(_) => false,
    }
}

/// An element of a list: an item, the nested list (at the given depth), or past the end.
enum Elem<'p> {
    Item(&'p Item),
    List(usize),
    End,
}

fn elem<'p>(p: &'p Parsed<'_>, depth: usize, i: usize) -> Elem<'p> {
    let level = &p.levels[depth];
    if let Some(item) = level.get(i) {
        Elem::Item(item)
    } else if i == level.len() && depth + 1 < p.levels.len() {
        Elem::List(depth + 1)
    } else {
        Elem::End
    }
}

fn cmp_qualifiers(a: &Parsed<'_>, x: &Item, b: &Parsed<'_>, y: &Item) -> Ordering {
    match (x, y) {
        (Item::Known(p), Item::Known(q)) => p.cmp(q),
        (Item::Known(_), Item::Unknown(_)) => Ordering::Less,
        (Item::Unknown(_), Item::Known(_)) => Ordering::Greater,
        (Item::Unknown(r), Item::Unknown(s)) => {
            // Java's String.compareTo: UTF-16 code units.
            a.str(r).encode_utf16().cmp(b.str(s).encode_utf16())
        }
        _ => Ordering::Equal, // not qualifiers: never called so
    }
}

/// `Item.compareTo(item)` for two non-list items.
fn cmp_items(a: &Parsed<'_>, x: &Item, b: &Parsed<'_>, y: &Item) -> Ordering {
    match (x, y) {
        (Item::Num(r), Item::Num(s)) => cmp_digit_runs(a.str(r).as_bytes(), b.str(s).as_bytes()),
        (Item::Num(_), _) => Ordering::Greater,
        (_, Item::Num(_)) => Ordering::Less,
        _ => cmp_qualifiers(a, x, b, y),
    }
}

/// `Item.compareTo(null)` for a non-list item.
fn item_vs_null(x: &Item) -> Ordering {
    match x {
        Item::Num(r) => {
            if r.is_empty() {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        Item::Known(q) => q.cmp(&RELEASE),
        Item::Unknown(_) => Ordering::Greater,
    }
}

/// `ListItem.compareTo(null)` for the list at `depth` (and its nested lists).
fn list_vs_null(p: &Parsed<'_>, depth: usize) -> Ordering {
    for level in &p.levels[depth..] {
        for item in level {
            let ord = item_vs_null(item);
            if ord != Ordering::Equal {
                return ord;
            }
        }
    }
    Ordering::Equal
}

fn elem_vs_null(p: &Parsed<'_>, e: &Elem<'_>) -> Ordering {
    match e {
        Elem::Item(x) => item_vs_null(x),
        Elem::List(depth) => list_vs_null(p, *depth),
        Elem::End => Ordering::Equal,
    }
}

fn cmp_parsed(a: &Parsed<'_>, b: &Parsed<'_>) -> Ordering {
    let (mut da, mut db) = (0, 0);
    'lists: loop {
        let mut i = 0;
        loop {
            let ord = match (elem(a, da, i), elem(b, db, i)) {
                (Elem::End, Elem::End) => return Ordering::Equal,
                (Elem::List(x), Elem::List(y)) => {
                    // Both lists end with their nested list: it decides.
                    da = x;
                    db = y;
                    continue 'lists;
                }
                (l, Elem::End) => elem_vs_null(a, &l),
                (Elem::End, r) => elem_vs_null(b, &r).reverse(),
                (Elem::Item(x), Elem::Item(y)) => cmp_items(a, x, b, y),
                // A list is below a number, above a qualifier.
                (Elem::Item(x), Elem::List(_)) => match x {
                    Item::Num(_) => Ordering::Greater,
                    _ => Ordering::Less,
                },
                (Elem::List(_), Elem::Item(y)) => match y {
                    Item::Num(_) => Ordering::Less,
                    _ => Ordering::Greater,
                },
            };
            if ord != Ordering::Equal {
                return ord;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    #[test]
    fn required_equalities() {
        assert_eq!(c("1", "1.0"), Equal);
        assert_eq!(c("1.0", "1.0.0"), Equal);
        assert_eq!(c("1-alpha", "1"), Less);
        assert_eq!(c("1.0-SNAPSHOT", "1.0"), Less);
        assert_eq!(c("1.0.RELEASE", "1.0"), Equal);
        assert_eq!(c("1-sp", "1"), Greater);
        assert_eq!(c("2.0.0.Final", "2.0.0"), Equal);
    }

    #[test]
    fn canonical_forms() {
        for (v, canon) in [
            ("1.0.0", "1"),
            ("1-SNAPSHOT", "1-snapshot"),
            ("1.0.RC1", "1-rc-1"),
            ("1.0-RC1", "1-rc-1"),
            ("2.0.Final", "2"),
            ("1-1.foo-bar1baz-.1", "1-1.foo-bar-1-baz-0.1"),
            ("1.0alpha1", "1-alpha-1"),
            ("1a1", "1-alpha-1"),
            ("1.0-a", "1-a"),
            ("1..1", "1.0.1"),
            ("-1", "1"),
            ("1.0-0", "1"),
            ("01.002", "1.2"),
            ("1--1", "1-1"),
            ("1-alpha.-beta", "1-alpha-beta"),
        ] {
            let v: MavenVersion = v.parse().unwrap();
            assert_eq!(v.canonical(), canon, "{v}");
        }
    }

    #[test]
    fn errors() {
        assert_eq!(
            compare("", "1").unwrap_err().reason(),
            "version string is empty"
        );
        assert_eq!(
            compare("1.\u{661}", "1").unwrap_err().reason(),
            "non-ASCII digit in version"
        );
        assert_eq!(c("1.é", "1.e"), Greater);
    }
}
