//! Scanner behaviour: binary sniffing, size cap, invalid UTF-8, line endings, long lines,
//! overlap resolution, explain mode, entropy and masking. Credentials are fake.

#[path = "support/fake.rs"]
mod fake;

use drydock_secrets::{
    BINARY_SNIFF_BYTES, Rules, ScanOptions, Scanner, Skip, entropy, is_binary, mask,
};

fn found(s: &Scanner, path: &str, content: &[u8]) -> Vec<(String, usize, usize, String)> {
    s.scan_bytes(path, content)
        .into_iter()
        .map(|m| (m.rule_id, m.line, m.column, m.redacted))
        .collect()
}

fn gh() -> String {
    fake::expand("GITHUB_TOKEN=ghp_{alnum:36:1}")
}

#[test]
fn entropy_in_bits_per_byte() {
    assert_eq!(entropy(b""), 0.0);
    assert_eq!(entropy(b"aaaa"), 0.0);
    assert_eq!(entropy(b"ab"), 1.0);
    assert_eq!(entropy(b"aabb"), 1.0);
    assert_eq!(entropy(b"abcd"), 2.0);
    assert_eq!(entropy(b"0123456789abcdef"), 4.0);
}

#[test]
fn masks_keep_four_characters_of_long_secrets_only() {
    assert_eq!(mask("abcdefgh"), "abcd****");
    assert_eq!(mask("abcdefg"), "****");
    assert_eq!(mask(""), "****");
    assert_eq!(mask("ééééééééé"), "éééé****");
}

#[test]
fn binary_files_are_sniffed_by_content() {
    let s = Scanner::builtin();
    let mut early = vec![0u8; 16];
    early.extend_from_slice(gh().as_bytes());
    assert!(is_binary(&early));
    assert_eq!(s.skip_reason("/app/x", &early), Some(Skip::Binary));
    assert_eq!(found(&s, "/app/x", &early), vec![]);
    // a NUL after the sniffed prefix does not make the file binary
    let mut late = vec![b'#'; BINARY_SNIFF_BYTES];
    late.push(b'\n');
    late.extend_from_slice(gh().as_bytes());
    late.extend_from_slice(b"\n\0");
    assert!(!is_binary(&late));
    assert_eq!(s.skip_reason("/app/x", &late), None);
    assert_eq!(
        found(&s, "/app/x", &late),
        vec![("github-token".into(), 2, 14, "ghp_****".into())]
    );
    // a binary-looking name with text content is scanned
    assert_eq!(
        found(&s, "/usr/lib/libx.so.1", gh().as_bytes()),
        vec![("github-token".into(), 1, 14, "ghp_****".into())]
    );
}

#[test]
fn invalid_utf8_and_crlf_do_not_hide_secrets() {
    let s = Scanner::builtin();
    let mut content = vec![0xff, 0xfe, b' ', 0xc3, b'\r', b'\n'];
    content.extend_from_slice(gh().as_bytes());
    content.extend_from_slice(b"\xe2\x82\r\n");
    content.extend_from_slice(fake::expand("DB_PASSWORD={alnum:16:2}\r\n").as_bytes());
    assert_eq!(
        found(&s, "/app/x", &content),
        vec![
            ("github-token".into(), 2, 14, "ghp_****".into()),
            (
                "generic-secret-assignment".into(),
                3,
                1,
                "DB_PASSWORD=Fake****".into()
            ),
        ]
    );
}

#[test]
fn size_cap_is_exact_and_configurable() {
    let s = Scanner::with_options(
        Rules::builtin(),
        ScanOptions {
            max_file_size: 100,
            ..ScanOptions::default()
        },
    );
    let mut at_cap = gh().into_bytes();
    at_cap.resize(100, b'\n');
    assert_eq!(s.skip_reason("/a", &at_cap), None);
    assert_eq!(found(&s, "/a", &at_cap).len(), 1);
    let mut over = at_cap.clone();
    over.push(b'\n');
    assert_eq!(s.skip_reason("/a", &over), Some(Skip::TooLarge));
    assert_eq!(found(&s, "/a", &over), vec![]);
    // image config entries obey the cap too
    assert_eq!(s.scan_text("config:Env[0]", &over), vec![]);
}

/// A 9 MiB single line with a keyword every 16 bytes: windows merge, so the regex runs over
/// the line once (this would take minutes if every hit rescanned its 4 KiB neighbourhood).
#[test]
fn a_huge_single_line_with_many_keyword_hits_is_scanned_once() {
    let s = Scanner::builtin();
    let mut line = Vec::with_capacity(9 << 20);
    let secret_at = [1_000usize, 4_000_000, 9_000_000];
    let mut expected = Vec::new();
    while line.len() < (9 << 20) - 64 {
        if let Some(&at) = secret_at
            .iter()
            .find(|&&at| line.len() >= at && line.len() < at + 16)
        {
            let token = fake::expand(&format!("; token={{alnum:20:{at}}}"));
            expected.push((
                "generic-secret-assignment".to_string(),
                1,
                line.len() + 3,
                "token=Fake****".to_string(),
            ));
            line.extend_from_slice(token.as_bytes());
        }
        line.extend_from_slice(b"; password=x1;  ");
    }
    assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 0);
    let started = std::time::Instant::now();
    assert_eq!(found(&s, "/app/min.js", &line), expected);
    // generous bound (shared CI machine, unoptimised test crate): a quadratic scan of 590k
    // hits x 8 KiB windows would take far longer
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn overlapping_matches_keep_the_more_specific_rule() {
    let s = Scanner::builtin();
    // generic-secret-assignment, github-token and the .env file rule all match line 1
    let text = fake::expand("API_TOKEN=ghp_{alnum:36:3}\nDEBUG=1\n");
    assert_eq!(
        found(&s, "/app/.env", text.as_bytes()),
        vec![("github-token".into(), 1, 11, "ghp_****".into())]
    );
    // two secrets on one line are both reported, in order
    let two = fake::expand("aws_access_key_id=AKIA{upper32:16:4} aws_secret_access_key={b64:40:5}");
    assert_eq!(
        found(&s, "/a", two.as_bytes()),
        vec![
            ("aws-access-key-id".into(), 1, 19, "AKIA****".into()),
            (
                "aws-secret-access-key".into(),
                1,
                40,
                "aws_secret_access_key=Fake****".into()
            ),
        ]
    );
}

#[test]
fn explain_mode_reports_what_allow_lists_dropped() {
    let explain = Scanner::with_options(
        Rules::builtin(),
        ScanOptions {
            explain_allowed: true,
            ..ScanOptions::default()
        },
    );
    let text = fake::expand(
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
         password = self.password\n\
         token = aaaaaaaaaaaa\n\
         {gh}\n",
    )
    .replace("{gh}", &gh());
    let got: Vec<(String, usize, Option<String>)> = explain
        .scan_bytes("/app/x", text.as_bytes())
        .into_iter()
        .map(|m| (m.rule_id, m.line, m.allowed_by))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "generic-secret-assignment".into(),
                1,
                Some("example-marker".into())
            ),
            ("aws-access-key-id".into(), 1, Some("example-marker".into())),
            (
                "generic-secret-assignment".into(),
                2,
                Some("code-identifier".into())
            ),
            (
                "generic-secret-assignment".into(),
                3,
                Some("entropy".into())
            ),
            ("github-token".into(), 4, None),
        ]
    );
    // the normal scanner reports only the last one
    assert_eq!(
        found(&Scanner::builtin(), "/app/x", text.as_bytes()),
        vec![("github-token".into(), 4, 14, "ghp_****".into())]
    );
    // skipped paths are scanned and attributed to the path entry
    let pem = fake::expand("{pem:RSA PRIVATE KEY:9}");
    let doc: Vec<(String, Option<String>)> = explain
        .scan_bytes("/usr/share/doc/x/README", pem.as_bytes())
        .into_iter()
        .map(|m| (m.rule_id, m.allowed_by))
        .collect();
    assert_eq!(
        doc,
        vec![("private-key".into(), Some("package-docs".into()))]
    );
}

#[test]
fn image_config_text_is_scanned_with_its_location() {
    let s = Scanner::builtin();
    let env = gh();
    let m = s.scan_text("config:Env[1]", env.as_bytes());
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].rule_id.as_str(), m[0].line, m[0].column),
        ("github-token", 1, 14)
    );
    // credential-file rules never apply to config entries
    assert_eq!(s.scan_text("/root/.env", b"A=production"), vec![]);
    assert_eq!(
        found(&s, "/root/.env", b"A=production"),
        vec![("dotenv-file".into(), 1, 1, "A=prod****".into())]
    );
}
