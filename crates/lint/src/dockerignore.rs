//! `.dockerignore` evaluation, enough to tell whether sensitive paths of a build context would
//! be sent to the builder: patterns are globs over `/`-separated paths relative to the context
//! (`*`, `?`, `[...]`, `**` for any number of directories), `!` re-includes, the last matching
//! pattern wins, and excluding a directory excludes everything below it.

use regex::Regex;

struct Pattern {
    re: Regex,
    negated: bool,
}

pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

impl DockerIgnore {
    pub fn parse(text: &str) -> DockerIgnore {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negated, pat) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let pat = clean(pat);
            if pat.is_empty() {
                continue;
            }
            if let Ok(re) = Regex::new(&glob_to_regex(&pat)) {
                patterns.push(Pattern { re, negated });
            }
        }
        DockerIgnore { patterns }
    }

    /// Whether `path` (relative, `/`-separated) is left out of the build context.
    pub fn excludes(&self, path: &str) -> bool {
        // A pattern applies to the path or to any of its parent directories (excluding a
        // directory excludes what is below it; `!dir` re-includes it all).
        let mut excluded = false;
        for p in &self.patterns {
            let mut hit = p.re.is_match(path);
            if !hit {
                let mut prefix = path;
                while let Some(i) = prefix.rfind('/') {
                    prefix = &prefix[..i];
                    if p.re.is_match(prefix) {
                        hit = true;
                        break;
                    }
                }
            }
            if hit {
                excluded = !p.negated;
            }
        }
        excluded
    }
}

/// Lexical clean: no leading `/` or `./`, no trailing `/`, no empty or `.` components.
fn clean(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    parts.join("/")
}

fn glob_to_regex(pat: &str) -> String {
    let chars: Vec<char> = pat.chars().collect();
    let mut re = String::from("^");
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                if chars.get(i) == Some(&'/') {
                    // `**/` matches zero or more directories
                    re.push_str("(?:.*/)?");
                    i += 1;
                } else {
                    re.push_str(".*");
                }
                continue;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                let mut j = i + 1;
                let mut class = String::from("[");
                if chars.get(j) == Some(&'^') || chars.get(j) == Some(&'!') {
                    class.push('^');
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    if chars[j] == '\\' || chars[j] == '[' {
                        class.push('\\');
                    }
                    class.push(chars[j]);
                    j += 1;
                }
                if j < chars.len() {
                    class.push(']');
                    re.push_str(&class);
                    i = j;
                } else {
                    re.push_str("\\[");
                }
            }
            '\\' => {
                if let Some(&n) = chars.get(i + 1) {
                    re.push_str(&regex::escape(&n.to_string()));
                    i += 1;
                }
            }
            _ => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    re
}

/// The sensitive context paths a `.dockerignore` must keep out when the whole context is
/// copied, as (label, probe paths): each probe stands for the pattern family in the label.
pub const SENSITIVE: &[(&str, &[&str])] = &[
    (".git", &[".git", ".git/config"]),
    (".env*", &[".env", ".env.production"]),
    ("*.pem", &["server.pem"]),
];

/// Labels of the sensitive path families that `ignore` does not exclude.
pub fn missing_exclusions(ignore: &DockerIgnore) -> Vec<&'static str> {
    SENSITIVE
        .iter()
        .filter(|(_, probes)| probes.iter().any(|p| !ignore.excludes(p)))
        .map(|(label, _)| *label)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_negation() {
        let d = DockerIgnore::parse("# c\n.git/\n**/*.pem\n.env*\n!.env.example\nnode_modules\n");
        assert!(d.excludes(".git"));
        assert!(d.excludes(".git/HEAD"));
        assert!(d.excludes("certs/a.pem"));
        assert!(d.excludes("a.pem"));
        assert!(d.excludes(".env.local"));
        assert!(!d.excludes(".env.example"));
        assert!(!d.excludes("src/main.rs"));
        assert!(missing_exclusions(&d).is_empty());
    }

    #[test]
    fn allowlist_style() {
        let d = DockerIgnore::parse("*\n!src\n!Cargo.toml\n");
        assert!(d.excludes(".git"));
        assert!(!d.excludes("src"));
        assert!(!d.excludes("src/main.rs"));
        assert!(missing_exclusions(&d).is_empty());
        let d = DockerIgnore::parse("node_modules\n*.log\n");
        assert_eq!(missing_exclusions(&d), vec![".git", ".env*", "*.pem"]);
    }
}
