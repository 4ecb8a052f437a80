//! Helpers shared by the language catalogers: sorting/deduplication, capped warnings, and
//! lenient serde types (a wrongly-typed field reads as missing instead of failing the file).
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::lang::LangPackage;

/// At most this many warnings per file (hostile files could otherwise produce millions).
const MAX_WARNINGS: usize = 20;
/// Excerpts of bad input quoted in warnings are cut to this many bytes.
const EXCERPT: usize = 80;

/// `(directory, file name)`; the directory is empty for a bare name.
pub(crate) fn split_last(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

/// Sort by (name, version) and merge duplicates: a package listed as both dev and non-dev is
/// non-dev; the first licence seen is kept.
pub(crate) fn finish(mut pkgs: Vec<LangPackage>) -> Vec<LangPackage> {
    pkgs.sort_by(|a, b| {
        (a.name.as_str(), a.version.as_str(), a.dev).cmp(&(
            b.name.as_str(),
            b.version.as_str(),
            b.dev,
        ))
    });
    pkgs.dedup_by(|later, kept| {
        if later.name != kept.name || later.version != kept.version {
            return false;
        }
        kept.dev &= later.dev;
        if kept.license.is_none() {
            kept.license = later.license.take();
        }
        true
    });
    pkgs
}

pub(crate) fn is_blank(content: &[u8]) -> bool {
    content.iter().all(u8::is_ascii_whitespace)
}

pub(crate) fn excerpt(s: &str) -> String {
    if s.len() <= EXCERPT {
        return s.to_string();
    }
    let mut end = EXCERPT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Push a warning unless the per-file cap is reached (then one final note).
pub(crate) fn warn(warnings: &mut Vec<String>, count: &mut usize, msg: impl FnOnce() -> String) {
    *count += 1;
    if *count <= MAX_WARNINGS {
        warnings.push(msg());
    } else if *count == MAX_WARNINGS + 1 {
        warnings.push("further warnings for this file suppressed".to_string());
    }
}

pub(crate) fn first_line(s: &str) -> String {
    excerpt(
        s.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim(),
    )
}

// ---------------------------------------------------------------------------------------------
// Lenient serde helpers: a field of the wrong type reads as absent instead of failing the file.

/// A string that tolerates any other type (read as absent). Borrows when the input allows it.
#[derive(Default)]
pub(crate) struct LStr<'a>(pub(crate) Option<Cow<'a, str>>);

impl LStr<'_> {
    /// The trimmed, non-empty value.
    pub(crate) fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LStrVisitor(PhantomData))
    }
}

struct LStrVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for LStrVisitor<'a> {
    type Value = LStr<'a>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(LStr(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(LStr(Some(Cow::Owned(v.to_string()))))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(LStr(Some(Cow::Owned(v))))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(LStr(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(LStr(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(LStr(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(LStr(None))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(LStr(None))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(LStr(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        while a.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LStr(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LStr(None))
    }
}

/// A list of strings; a single string counts as a one-element list, other values are skipped.
#[derive(Default)]
pub(crate) struct LList<'a>(pub(crate) Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for LList<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = LList<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = a.next_element::<LStr<'a>>()? {
                    out.extend(s.0);
                }
                Ok(LList(out))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LList(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LList(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(LList(vec![Cow::Owned(v)]))
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
                LStrVisitor(PhantomData)
                    .visit_map(a)
                    .map(|_| LList(Vec::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(LList(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A map's entries in document order, without hashing the keys.
pub(crate) struct Entries<K, V>(pub(crate) Vec<(K, V)>);

impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EV<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for EV<K, V> {
            type Value = Entries<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = a.next_entry::<K, V>()? {
                    out.push(e);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(EV(PhantomData))
    }
}
