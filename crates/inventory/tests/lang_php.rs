//! PHP (Composer) cataloger: hand-written lock and installed files, the peer scanners' real
//! fixtures from `../shared/fixtures` (read straight out of the tar.gz bundles into memory,
//! never copied into the repository), and hostile inputs.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use drydock_inventory::lang::{Ecosystem, LangPackage, Scope, php};

fn load_bundle(bundle: &str, prefixes: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let path = drydock_testkit::shared_dir().join("fixtures").join(bundle);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p)) {
            let mut buf = Vec::new();
            entry.read_to_end(&mut buf).unwrap();
            out.insert(name, buf);
        }
    }
    out
}

fn scalibr() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        load_bundle(
            "osv-scalibr-extractor-testdata.tar.gz",
            &["extractor/filesystem/language/php/"],
        )
    })
}

fn osv_scanner() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        load_bundle(
            "osv-scanner-lockfile-fixtures.tar.gz",
            &["cmd/osv-scanner/"],
        )
    })
}

fn render(pkgs: &[LangPackage], warnings: &[String]) -> String {
    let mut s = String::new();
    for p in pkgs {
        assert_eq!(p.ecosystem, Ecosystem::Composer);
        assert!(p.inner_path.is_none());
        s.push_str(&format!("{} {}", p.name, p.version));
        if p.dev {
            s.push_str(" dev");
        }
        if let Some(l) = &p.license {
            s.push_str(&format!(" license={l}"));
        }
        s.push('\n');
    }
    for w in warnings {
        s.push_str(&format!("! {w}\n"));
    }
    s
}

fn parse(path: &str, content: &[u8]) -> (Vec<LangPackage>, Vec<String>) {
    let mut w = Vec::new();
    let t = Instant::now();
    let p = php::parse(path, content, &mut w);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "{path}: {:?}",
        t.elapsed()
    );
    (p, w)
}

fn run(path: &str, content: &[u8]) -> String {
    let (p, w) = parse(path, content);
    render(&p, &w)
}

/// Hand-written composer.lock: tag versions with `v`, branch versions, mixed-case names, licence
/// as array and as string, a package in both sections, a package without a version.
const COMPOSER_LOCK: &str = r#"{
    "_readme": ["hand-written test fixture"],
    "content-hash": "0",
    "packages": [
        {"name": "symfony/HTTP-Kernel", "version": "v5.4.1", "license": ["MIT"], "type": "library"},
        {"name": "monolog/monolog", "version": "2.3.5", "license": "MIT"},
        {"name": "acme/fork", "version": "dev-main", "license": ["GPL-2.0-only", "GPL-3.0-only"]},
        {"name": "acme/next", "version": "2.x-dev"},
        {"name": "acme/vendor-v", "version": "vendor-branch"},
        {"name": "psr/log", "version": "1.1.4"},
        {"name": "broken/no-version"}
    ],
    "packages-dev": [
        {"name": "phpunit/phpunit", "version": "9.5.10", "license": ["BSD-3-Clause"]},
        {"name": "psr/log", "version": "1.1.4"}
    ],
    "aliases": [],
    "platform": {"php": ">=7.4"}
}"#;

/// Hand-written installed.json as Composer 2 writes it.
const INSTALLED_V2: &str = r#"{
    "packages": [
        {"name": "guzzlehttp/guzzle", "version": "7.4.0", "version_normalized": "7.4.0.0", "license": ["MIT"], "install-path": "../guzzlehttp/guzzle"},
        {"name": "symfony/polyfill-ctype", "version": "v1.23.0", "version_normalized": "1.23.0.0"},
        {"name": "phpunit/PHPUnit", "version": "9.5.10", "version_normalized": "9.5.10.0"}
    ],
    "dev": true,
    "dev-package-names": ["phpunit/phpunit"]
}"#;

/// Hand-written installed.json as Composer 1 writes it (a bare array).
const INSTALLED_V1: &str = r#"[
    {"name": "laravel/framework", "version": "v8.75.0", "version_normalized": "8.75.0.0", "license": ["MIT"]},
    {"name": "doctrine/inflector", "version": "2.0.4"}
]"#;

#[test]
fn hand_written() {
    let out = [
        format!("== composer.lock\n{}", run("app/composer.lock", COMPOSER_LOCK.as_bytes())),
        format!("== installed.json v2\n{}", run("app/vendor/composer/installed.json", INSTALLED_V2.as_bytes())),
        format!("== installed.json v1\n{}", run("app/vendor/composer/installed.json", INSTALLED_V1.as_bytes())),
        // Hand-written: Composer 2 after `install --no-dev`.
        format!(
            "== installed.json no-dev\n{}",
            run(
                "app/vendor/composer/installed.json",
                br#"{"packages": [{"name": "a/b", "version": "1.0"}], "dev": false, "dev-package-names": []}"#
            )
        ),
    ];
    insta::assert_snapshot!("hand_written", out.concat());
}

#[test]
fn real_fixtures() {
    let mut out = String::new();
    for (name, content) in scalibr().iter().chain(
        osv_scanner()
            .iter()
            .filter(|(n, _)| n.ends_with("composer.lock")),
    ) {
        out.push_str(&format!("== {name}\n{}", run("src/composer.lock", content)));
    }
    insta::assert_snapshot!("real_fixtures", out);
}

#[test]
fn dispatch_respects_scope() {
    use drydock_inventory::lang;
    let mut w = Vec::new();
    assert!(
        lang::parse(
            "app/composer.lock",
            COMPOSER_LOCK.as_bytes(),
            Scope::Image,
            &mut w
        )
        .is_empty()
    );
    let pkgs = lang::parse(
        "app/composer.lock",
        COMPOSER_LOCK.as_bytes(),
        Scope::Fs,
        &mut w,
    );
    assert_eq!(pkgs.len(), 7);
    let pkgs = lang::parse(
        "app/vendor/composer/installed.json",
        INSTALLED_V1.as_bytes(),
        Scope::Image,
        &mut w,
    );
    assert_eq!(
        pkgs.iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("doctrine/inflector", "2.0.4"),
            ("laravel/framework", "8.75.0")
        ]
    );
}

#[test]
fn hostile_inputs() {
    for (path, doc) in [
        ("composer.lock", COMPOSER_LOCK),
        ("vendor/composer/installed.json", INSTALLED_V2),
        ("vendor/composer/installed.json", INSTALLED_V1),
    ] {
        for cut in 1..doc.len() {
            let (_, w) = parse(path, &doc.as_bytes()[..cut]);
            assert!(w.len() <= 1, "{path} cut {cut}: {w:?}");
        }
        let (p, w) = parse(path, b"\x00\xff garbage");
        assert!(p.is_empty() && w.len() == 1);
    }
    // Wrong types: whole file, a section, single fields.
    for doc in [
        "null",
        "42",
        r#"{"packages": 42}"#,
        r#"{"packages": [42]}"#,
        r#"{"packages": [{"name": 1, "version": ["x"]}, {"name": "a/b", "version": "1", "license": {"x": 1}}]}"#,
    ] {
        let (p, w) = parse("composer.lock", doc.as_bytes());
        assert!(p.len() <= 1 && w.len() == 1, "{doc}: {p:?} {w:?}");
    }
    // Deep nesting inside an ignored field, and where a package should be.
    let deep = format!(
        r#"{{"packages": [{{"name": "a/b", "version": "1", "extra": {}{}}}]}}"#,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    let (p, w) = parse("composer.lock", deep.as_bytes());
    assert_eq!(p.len(), 1);
    assert!(w.is_empty());
    let deep = format!(
        r#"{{"packages": {}{}}}"#,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    let (p, w) = parse("composer.lock", deep.as_bytes());
    assert!(p.is_empty() && w.len() == 1);
    // Many packages, many nameless ones (warnings capped).
    let many: Vec<String> = (0..100_000)
        .map(|i| format!(r#"{{"name": "v/p{i}", "version": "v1.{i}"}}"#))
        .collect();
    let doc = format!(
        r#"{{"packages": [{}], "packages-dev": [{}]}}"#,
        many.join(","),
        vec!["{}"; 100_000].join(",")
    );
    let (p, w) = parse("composer.lock", doc.as_bytes());
    assert_eq!(p.len(), 100_000);
    assert_eq!(w.len(), 21);
    // installed.json with 100k packages and 100k dev names: no quadratic lookup.
    let pkgs: Vec<String> = (0..100_000)
        .map(|i| format!(r#"{{"name": "v/p{i}", "version": "1"}}"#))
        .collect();
    let names: Vec<String> = (0..100_000).map(|i| format!(r#""V/P{}""#, i * 2)).collect();
    let doc = format!(
        r#"{{"packages": [{}], "dev": true, "dev-package-names": [{}]}}"#,
        pkgs.join(","),
        names.join(",")
    );
    let (p, w) = parse("vendor/composer/installed.json", doc.as_bytes());
    assert!(w.is_empty());
    assert_eq!(p.len(), 100_000);
    assert_eq!(p.iter().filter(|p| p.dev).count(), 50_000);
}
