//! Secret detection for configuration text: a small built-in pattern set, and the hook through
//! which a fuller detector (the secrets crate) replaces it — see [`crate::LintConfig`].

use regex::Regex;
use std::sync::OnceLock;

/// One secret found in a piece of text: what kind it is and where (byte range in that text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMatch {
    /// Short kind, e.g. `aws-access-key-id`, `url-query-credential`.
    pub kind: String,
    pub start: usize,
    pub end: usize,
}

/// The detector signature Drydock calls on ENV/ARG/LABEL values, RUN scripts and image-config
/// environment/labels. Plug another detector in through `LintConfig::secret_detector`.
pub type SecretDetector = dyn Fn(&str) -> Vec<SecretMatch> + Send + Sync;

struct Pattern {
    kind: &'static str,
    re: Regex,
    /// Capture group holding the secret itself (0 = whole match).
    group: usize,
}

fn patterns() -> &'static [Pattern] {
    static P: OnceLock<Vec<Pattern>> = OnceLock::new();
    P.get_or_init(|| {
        let p = |kind, re: &str, group| Pattern {
            kind,
            re: Regex::new(re).expect("built-in secret pattern"),
            group,
        };
        vec![
            p("private-key", r"-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----", 0),
            p("aws-access-key-id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b", 0),
            p("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b", 0),
            p("github-token", r"\bgithub_pat_[A-Za-z0-9_]{60,255}\b", 0),
            p("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20,}\b", 0),
            p("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b", 0),
            p("stripe-secret-key", r"\b[sr]k_live_[A-Za-z0-9]{20,}\b", 0),
            p("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b", 0),
            p("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", 0),
            // scheme://user:password@host — not when the password is a variable.
            p(
                "url-credentials",
                r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'\x22]+:([^/\s@'\x22$]{3,})@[^\s/'\x22]",
                1,
            ),
            // ?auth=… / &token=… / &api_key=… with a literal value of 8+ characters.
            p(
                "url-query-credential",
                r"(?i)[?&](?:auth|token|access_token|api_key|apikey|key|secret|password|passwd|pwd|client_secret|sig|signature)=([^&\s'\x22#$]{8,})",
                1,
            ),
            // Authorization headers with a literal credential.
            p(
                "authorization-header",
                r"(?i)authorization:\s*(?:bearer|basic|token)\s+([A-Za-z0-9._~+/=-]{8,})",
                1,
            ),
            // --password=… / --password … / -p… as used by CLIs, literal values only.
            p(
                "password-argument",
                r"(?i)(?:^|\s)--?(?:password|passwd|pass|token|api-key|secret)(?:=|\s+)([^\s$'\x22-][^\s'\x22]{3,})",
                1,
            ),
            // curl -u user:password / --user user:password
            p(
                "basic-auth-argument",
                r"(?:^|\s)(?:-u|--user)\s+['\x22]?[^\s:'\x22$]+:([^\s'\x22$]{3,})",
                1,
            ),
            // sshpass -p secret
            p("password-argument", r"\bsshpass\s+-p\s*([^\s$'\x22]{3,})", 1),
            // echo 'user:password' | chpasswd
            p(
                "chpasswd-password",
                r"\becho\s+(?:-[en]+\s+)?['\x22]?[A-Za-z_][A-Za-z0-9_.-]*:([^\s'\x22$:]{3,})['\x22]?\s*\|\s*(?:sudo\s+)?chpasswd\b",
                1,
            ),
        ]
    })
}

/// The built-in detector.
pub fn builtin_detector(text: &str) -> Vec<SecretMatch> {
    let mut out: Vec<SecretMatch> = Vec::new();
    for p in patterns() {
        for caps in p.re.captures_iter(text) {
            let Some(m) = caps.get(p.group) else { continue };
            // One match per text range: the first (most specific) pattern wins.
            if out.iter().any(|o| o.start < m.end() && m.start() < o.end) {
                continue;
            }
            out.push(SecretMatch {
                kind: p.kind.to_string(),
                start: m.start(),
                end: m.end(),
            });
        }
    }
    out.sort_by_key(|m| m.start);
    out
}

/// Names of variables whose literal value is a credential (`DB_PASSWORD`, `API_TOKEN`, …).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    // *_FILE / *_PATH / *_URL / *_USER …: where a secret is or what goes with it, not the
    // secret itself (credentials inside such values are the value detector's business).
    const NOT_THE_SECRET: &[&str] = &[
        "_FILE",
        "_PATH",
        "_DIR",
        "_LENGTH",
        "_LEN",
        "_TTL",
        "_EXPIRY",
        "_URL",
        "_URI",
        "_ENDPOINT",
        "_HOST",
        "_PORT",
        "_NAME",
        "_USER",
        "_USERNAME",
        "_TYPE",
        "_MODE",
        "_HEADER",
        "_ENABLED",
        "_REQUIRED",
        "_METHOD",
    ];
    if NOT_THE_SECRET.iter().any(|s| n.ends_with(s)) {
        return false;
    }
    const WORDS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "SECRET",
        "TOKEN",
        "APIKEY",
        "API_KEY",
        "ACCESS_KEY",
        "SECRET_KEY",
        "PRIVATE_KEY",
        "CLIENT_SECRET",
        "CREDENTIAL",
        "CREDENTIALS",
        "AUTH",
    ];
    let parts: Vec<&str> = n.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    WORDS.iter().any(|w| {
        if w.contains('_') {
            n.contains(w)
        } else {
            parts.iter().any(|p| p == w)
        }
    }) && n != "PWD"
}

/// Whether a value given to a secret-named variable is a real literal (not empty, not a
/// variable reference, not an obvious path to a secret file).
pub fn is_literal_secret_value(value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty()
        || v.starts_with('$')
        || v.starts_with('/')
        || v.eq_ignore_ascii_case("true")
        || v.eq_ignore_ascii_case("false")
        || v.eq_ignore_ascii_case("none")
        || v.eq_ignore_ascii_case("null"))
}

/// `abcd…` with the rest hidden: enough to find the value, not enough to reuse it.
pub fn redact(secret: &str) -> String {
    let keep: String = secret.chars().take(4).collect();
    let hidden = secret.chars().count().saturating_sub(4).min(12);
    format!("{keep}{}", "*".repeat(hidden.max(4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(String, String)> {
        builtin_detector(s)
            .into_iter()
            .map(|m| (m.kind, s[m.start..m.end].to_string()))
            .collect()
    }

    #[test]
    fn url_query_and_userinfo() {
        assert_eq!(
            kinds("curl http://my.service/?auth=ABD54F0356FA0054"),
            vec![(
                "url-query-credential".to_string(),
                "ABD54F0356FA0054".to_string()
            )]
        );
        assert_eq!(
            kinds("git clone https://bob:hunter22@example.org/r.git"),
            vec![("url-credentials".to_string(), "hunter22".to_string())]
        );
        assert!(kinds("curl https://x/?token=$TOKEN").is_empty());
        assert!(kinds("curl https://x/?page=12345678").is_empty());
        assert!(kinds("git clone https://${USER}:${PASS}@example.org/r.git").is_empty());
        assert_eq!(
            kinds("echo 'root:Docker!' | chpasswd"),
            vec![("chpasswd-password".to_string(), "Docker!".to_string())]
        );
        assert!(kinds("echo \"app:$APP_PASSWORD\" | chpasswd").is_empty());
    }

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "api_key",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "AUTH",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "PASSWORD_FILE",
            "GPG_KEY",
            "PATH",
            "PWD",
            "TOKEN_TTL",
            "PASSENGER_HOME",
            "TOKEN_URL",
            "AUTH_METHOD",
            "AUTHOR",
            "DB_USER",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn redaction() {
        assert_eq!(redact("ABD54F0356FA0054"), "ABD5************");
        assert_eq!(redact("abc"), "abc****");
    }
}
