//! Glob patterns of the policy file: `*` matches any run of characters except `/`, `**` any
//! run including `/`, `?` one character except `/`; everything else matches itself
//! (case-sensitively). Matching is a dynamic programme over pattern × text, so its cost is
//! bounded by the product of the two lengths whatever the pattern.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    One,
    Star,
    DoubleStar,
}

/// A compiled glob.
#[derive(Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    toks: Vec<Tok>,
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.text)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        let mut toks = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => {
                    if chars.peek() == Some(&'*') {
                        while chars.peek() == Some(&'*') {
                            chars.next();
                        }
                        toks.push(Tok::DoubleStar);
                    } else {
                        toks.push(Tok::Star);
                    }
                }
                '?' => toks.push(Tok::One),
                c => toks.push(Tok::Lit(c)),
            }
        }
        Glob {
            text: pattern.to_string(),
            toks,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The pattern has no wildcard.
    pub fn is_literal(&self) -> bool {
        self.toks.iter().all(|t| matches!(t, Tok::Lit(_)))
    }

    pub fn matches(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        // reach[j]: the tokens so far can match chars[..j]
        let mut reach = vec![false; chars.len() + 1];
        reach[0] = true;
        for tok in &self.toks {
            let mut next = vec![false; chars.len() + 1];
            match *tok {
                Tok::Lit(c) => {
                    for j in 0..chars.len() {
                        if reach[j] && chars[j] == c {
                            next[j + 1] = true;
                        }
                    }
                }
                Tok::One => {
                    for j in 0..chars.len() {
                        if reach[j] && chars[j] != '/' {
                            next[j + 1] = true;
                        }
                    }
                }
                Tok::Star | Tok::DoubleStar => {
                    let crosses = *tok == Tok::DoubleStar;
                    let mut on = false;
                    for j in 0..=chars.len() {
                        if reach[j] {
                            on = true;
                        }
                        next[j] = on;
                        if j < chars.len() && chars[j] == '/' && !crosses {
                            on = false;
                        }
                    }
                }
            }
            reach = next;
            if !reach.iter().any(|r| *r) {
                return false;
            }
        }
        reach[chars.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let g = Glob::new("pkg:apk/alpine/*");
        assert!(g.matches("pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=3.20.3"));
        assert!(!g.matches("pkg:apk/wolfi/busybox@1"));
        assert!(Glob::new("lib*3").matches("libssl3"));
        assert!(Glob::new("lib*3").matches("libcrypto3"));
        assert!(!Glob::new("lib*3").matches("musl"));
        assert!(Glob::new("/app/**").matches("/app/python/werkzeug/urls.py"));
        assert!(!Glob::new("/app/*").matches("/app/python/werkzeug/urls.py"));
        assert!(Glob::new("/app/*/werkzeug/*.py").matches("/app/python/werkzeug/urls.py"));
        assert!(Glob::new("musl?utils").matches("musl-utils"));
        assert!(!Glob::new("a?b").matches("a/b"));
        assert!(Glob::new("**").matches(""));
        assert!(Glob::new("").matches(""));
        assert!(!Glob::new("").matches("x"));
        assert!(Glob::new("busybox").is_literal());
        assert!(!Glob::new("busy*").is_literal());
    }

    #[test]
    fn no_blowup() {
        let g = Glob::new(&"*a".repeat(200));
        assert!(!g.matches(&"a".repeat(199)));
        assert!(g.matches(&"a".repeat(400)));
    }
}
