//! Malformed and hostile inputs: each gives a clear error for its own file, and the scan of the
//! other files in the same directory goes on.

use drydock_lint::{FileKind, FileStatus, LintConfig, LintError, scan_config_path};
use std::path::Path;

fn write(dir: &Path, name: &str, data: impl AsRef<[u8]>) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// A "billion laughs" document: 9 levels of 9 aliases each (9^9 = 387M strings if expanded).
fn anchor_bomb() -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for n in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
        let refs = vec![format!("*{prev}"); 9].join(",");
        s.push_str(&format!("  {n}: &{n} [{refs}]\n"));
        prev = n;
    }
    s
}

#[test]
fn bad_files_get_their_own_error_and_the_rest_is_scanned() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Good files, with findings we expect to see.
    write(
        d,
        "app/Dockerfile",
        "FROM alpine:3.20\nUSER root\nHEALTHCHECK NONE\n",
    );
    write(
        d,
        "k8s/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: []\n",
    );
    // Bad ones.
    write(
        d,
        "broken/Dockerfile",
        "FROM alpine:3.20\nRUN <<EOF\necho this here-document never ends\n",
    );
    write(d, "k8s/bomb.yaml", anchor_bomb());
    write(
        d,
        "k8s/deep.yaml",
        format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)),
    );
    write(
        d,
        "k8s/bad.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n spec: [\n",
    );
    write(d, "binary.Dockerfile", b"FROM alpine\nRUN echo \xff\xfe\n");
    // 50 MB: refused by size before it is read.
    let big = std::fs::File::create(d.join("huge.Dockerfile")).unwrap();
    big.set_len(50 << 20).unwrap();
    // An unrendered chart template is skipped with a note, not an error.
    write(
        d,
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"web.fullname\" . }}\nspec:\n  {{- if .Values.hostNetwork }}\n  hostNetwork: true\n  {{- end }}\n",
    );
    // YAML that is not Kubernetes is not listed at all.
    write(
        d,
        "values.yaml",
        "replicaCount: 1\nimage: {repository: nginx}\n",
    );

    let started = std::time::Instant::now();
    let r = scan_config_path(d, &LintConfig::default());
    assert!(
        started.elapsed().as_secs() < 20,
        "hostile inputs must not stall the scan ({:?})",
        started.elapsed()
    );

    let status: Vec<(&str, FileKind, FileStatus)> = r
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.kind, f.status))
        .collect();
    assert_eq!(
        status,
        vec![
            ("app/Dockerfile", FileKind::Dockerfile, FileStatus::Ok),
            ("binary.Dockerfile", FileKind::Dockerfile, FileStatus::Error),
            ("broken/Dockerfile", FileKind::Dockerfile, FileStatus::Error),
            (
                "chart/templates/deployment.yaml",
                FileKind::Yaml,
                FileStatus::Skipped
            ),
            ("huge.Dockerfile", FileKind::Dockerfile, FileStatus::Error),
            ("k8s/bad.yaml", FileKind::Yaml, FileStatus::Error),
            ("k8s/bomb.yaml", FileKind::Yaml, FileStatus::Error),
            ("k8s/deep.yaml", FileKind::Yaml, FileStatus::Error),
            ("k8s/pod.yaml", FileKind::Kubernetes, FileStatus::Ok),
        ]
    );
    let err = |p: &str| {
        r.files
            .iter()
            .find(|f| f.path == p)
            .and_then(|f| f.error.clone())
            .unwrap()
    };
    assert_eq!(
        err("broken/Dockerfile"),
        "broken/Dockerfile:4:1: Dockerfile parse error: expected end of here-document (EOF), \
         but reached eof"
    );
    assert_eq!(
        err("k8s/bomb.yaml"),
        "k8s/bomb.yaml: YAML document at line 1: repetition limit exceeded (too many alias \
         expansions or too deep nesting: a YAML anchor bomb?)"
    );
    assert!(
        err("k8s/deep.yaml")
            .starts_with("k8s/deep.yaml: YAML document at line 1: recursion limit exceeded"),
        "{}",
        err("k8s/deep.yaml")
    );
    assert_eq!(
        err("k8s/bad.yaml"),
        "k8s/bad.yaml: YAML document at line 5: did not find expected key"
    );
    assert!(err("huge.Dockerfile").ends_with(
        "huge.Dockerfile: 52428800 bytes, above the 10485760-byte limit for configuration files"
    ));
    assert!(err("binary.Dockerfile").ends_with("binary.Dockerfile: not UTF-8 text"));
    assert!(err("chart/templates/deployment.yaml").contains("unrendered template"));

    // The good files were linted in full.
    let found: Vec<(String, String, usize)> = r
        .misconfigurations
        .iter()
        .map(|m| (m.file.clone(), m.rule_id.clone(), m.line.unwrap()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("app/Dockerfile".to_string(), "DD-DF-012".to_string(), 1),
            ("app/Dockerfile".to_string(), "DD-DF-001".to_string(), 2),
            ("k8s/pod.yaml".to_string(), "DD-K8S-022".to_string(), 4),
            ("k8s/pod.yaml".to_string(), "DD-K8S-014".to_string(), 5),
        ]
    );
    assert_eq!(r.summary.errors, 6);
    assert_eq!(r.summary.files, 9);
}

#[test]
fn pure_functions_refuse_oversized_text_and_report_yaml_lines() {
    let cfg = LintConfig {
        max_file_size: 1000,
        ..LintConfig::default()
    };
    let big = format!("FROM alpine\n{}", "RUN true\n".repeat(200));
    match drydock_lint::lint_dockerfile(Path::new("Dockerfile"), &big, &cfg) {
        Err(LintError::TooLarge { size, limit, .. }) => assert_eq!((size, limit), (1812, 1000)),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // The YAML error line is the line in the file, not in the document.
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n# second\napiVersion: v1\nkind: Pod\nmetadata: {name: [b}\n";
    let e = drydock_lint::lint_kubernetes(Path::new("m.yaml"), text, &LintConfig::default())
        .unwrap_err();
    match e {
        LintError::Yaml { line, .. } => assert_eq!(line, 8),
        other => panic!("expected a YAML error, got {other:?}"),
    }
}
