//! Ruby cataloger: hand-written gemspecs and lockfiles, the peer scanners' real fixtures from
//! `../shared/fixtures` (read straight out of the tar.gz bundles into memory, never copied into
//! the repository), and hostile inputs.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use drydock_inventory::lang::{Ecosystem, LangPackage, ruby};

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

const SCALIBR_RUBY: &str = "extractor/filesystem/language/ruby/";
const OSV_SCANNER: &str = "cmd/osv-scanner/";

fn scalibr() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| load_bundle("osv-scalibr-extractor-testdata.tar.gz", &[SCALIBR_RUBY]))
}

fn osv_scanner() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| load_bundle("osv-scanner-lockfile-fixtures.tar.gz", &[OSV_SCANNER]))
}

fn render(pkgs: &[LangPackage], warnings: &[String]) -> String {
    let mut s = String::new();
    for p in pkgs {
        assert_eq!(p.ecosystem, Ecosystem::Gem);
        assert!(!p.dev && p.inner_path.is_none());
        s.push_str(&format!("{} {}", p.name, p.version));
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

fn run(path: &str, content: &[u8]) -> String {
    let mut warnings = Vec::new();
    let pkgs = ruby::parse(path, content, &mut warnings);
    render(&pkgs, &warnings)
}

fn run_files<'a>(
    files: impl Iterator<Item = (&'a String, &'a Vec<u8>)>,
    as_path: impl Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    let mut n = 0;
    for (name, content) in files {
        n += 1;
        out.push_str(&format!("== {name}\n{}", run(&as_path(name), content)));
    }
    assert!(n > 0, "no fixtures");
    out
}

// ------------------------------------------------------------------------------------------------
// gemspecs

/// Hand-written, in the shape RubyGems 3.x generates (stub line, `.freeze`, `respond_to?`
/// guards, dependencies).
const GEMSPEC_RUBYGEMS3: &str = r#"# -*- encoding: utf-8 -*-
# stub: nokogiri 1.15.4 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "nokogiri".freeze
  s.version = "1.15.4"
  s.platform = "x86_64-linux".freeze

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.metadata = { "bug_tracker_uri" => "https://example.invalid/issues" } if s.respond_to? :metadata=
  s.require_paths = ["lib".freeze]
  s.authors = ["Mike Dalessio".freeze]
  s.licenses = ["MIT".freeze]
  s.summary = "Nokogiri (\u92F8) makes it easy and painless to work with XML and HTML from Ruby.".freeze

  s.installed_by_version = "3.4.19" if s.respond_to? :installed_by_version

  s.specification_version = 4

  s.add_runtime_dependency(%q<racc>.freeze, ["~> 1.4"])
end
"#;

/// Hand-written, in the shape RubyGems 1.x generated (`%q{}` literals, `licenses` absent,
/// `Gem::Version`-free version, `spec` variable, `{ |spec| }` block).
const GEMSPEC_RUBYGEMS1: &str = r#"# -*- encoding: utf-8 -*-

Gem::Specification.new { |spec|
  spec.name = %q{rake}
  spec.version = "0.8.7"
  spec.license = 'MIT'

  spec.required_rubygems_version = Gem::Requirement.new(">= 0") if spec.respond_to? :required_rubygems_version=
  spec.date = %q{2009-05-15}
}
"#;

#[test]
fn gemspec_hand_written() {
    let cases: Vec<(&str, &str)> = vec![
        (
            "usr/local/bundle/specifications/nokogiri-1.15.4-x86_64-linux.gemspec",
            GEMSPEC_RUBYGEMS3,
        ),
        (
            "var/lib/gems/1.8/specifications/rake-0.8.7.gemspec",
            GEMSPEC_RUBYGEMS1,
        ),
        // Hand-written: Gem::Version.new, double-quoted escapes, several licences.
        (
            "x/specifications/default/json-2.6.3.gemspec",
            "Gem::Specification.new do |s|\n  s.name = \"js\\\"on\"\n  s.version = Gem::Version.new(\"2.6.3\")\n  s.licenses = [\"Ruby\", \"BSD-2-Clause\"]\nend\n",
        ),
        // Hand-written: a top-level constant.
        (
            "x/specifications/c-1.gemspec",
            "VERSION = '1.0.0'.freeze\nGem::Specification.new do |g|\n  g.name    = 'c'\n  g.version = VERSION\nend\n",
        ),
        // Hand-written: interpolation cannot be evaluated.
        (
            "x/specifications/d.gemspec",
            "Gem::Specification.new do |s|\n  s.name = \"d\"\n  s.version = \"#{MAJOR}.0\"\nend\n",
        ),
        // Hand-written: no block variable; no spec at all; assignment inside a comment.
        (
            "x/specifications/e.gemspec",
            "Gem::Specification.new\n  s.name = \"e\"\n",
        ),
        ("x/specifications/f.gemspec", "# s.name = \"f\"\nputs 1\n"),
        (
            "x/specifications/g.gemspec",
            "Gem::Specification.new do |s|\n  # s.version = \"0.0.1\"\n  s.name = 'g'\n  s.version = '2.0'\n  s.version = '3.0'\nend\n",
        ),
    ];
    let out: Vec<String> = cases
        .iter()
        .map(|(p, c)| format!("== {p}\n{}", run(p, c.as_bytes())))
        .collect();
    insta::assert_snapshot!("gemspec_hand_written", out.concat());
}

#[test]
fn gemspec_real_fixtures() {
    let files = scalibr().iter().filter(|(n, _)| {
        n.starts_with(&format!("{SCALIBR_RUBY}gemspec/")) && n.ends_with(".gemspec")
    });
    let out = run_files(files, |name| {
        let file = name.rsplit('/').next().unwrap();
        format!("usr/local/bundle/specifications/{file}")
    });
    insta::assert_snapshot!("gemspec_real_fixtures", out);
}

// ------------------------------------------------------------------------------------------------
// Gemfile.lock

/// Hand-written: every section kind, platforms, CRLF, a PLUGIN SOURCE, an odd spec line.
const GEMFILE_LOCK: &str = "GIT\r\n  remote: https://example.invalid/rails.git\r\n  revision: 0123456789abcdef\r\n  branch: main\r\n  specs:\r\n    rails (7.1.0.alpha)\r\n      actionpack (= 7.1.0.alpha)\r\n\r\nPATH\r\n  remote: .\r\n  specs:\r\n    myapp (0.1.0)\r\n      rack (>= 2)\r\n\r\nPLUGIN SOURCE\r\n  remote: https://example.invalid/plugins\r\n  type: custom\r\n  specs:\r\n    plugged (1.0)\r\n\r\nGEM\r\n  remote: https://example.invalid/\r\n  specs:\r\n    actionpack (7.1.0.alpha)\r\n    ffi (1.15.5)\r\n    ffi (1.15.5-x64-mingw32)\r\n    ffi (1.15.5-x86_64-linux-musl)\r\n    nokogiri (1.14.0-arm64-darwin)\r\n      racc (~> 1.4)\r\n    nokogiri (1.14.0-x86_64-linux)\r\n      racc (~> 1.4)\r\n    racc (1.6.2)\r\n    rack (3.0.4.1)\r\n    broken spec line\r\n\r\nPLATFORMS\r\n  ruby\r\n  x86_64-linux\r\n\r\nDEPENDENCIES\r\n  myapp!\r\n  rails!\r\n    not (9.9)\r\n\r\nRUBY VERSION\r\n   ruby 3.2.0p0\r\n\r\nBUNDLED WITH\r\n   2.4.6\r\n";

#[test]
fn gemfile_lock_hand_written() {
    insta::assert_snapshot!(
        "gemfile_lock_hand_written",
        run("app/Gemfile.lock", GEMFILE_LOCK.as_bytes())
    );
}

#[test]
fn gemfile_lock_real_fixtures() {
    let scalibr_files = scalibr()
        .iter()
        .filter(|(n, _)| n.starts_with(&format!("{SCALIBR_RUBY}gemfilelock/")));
    let mut out = run_files(scalibr_files, |_| "app/Gemfile.lock".into());
    let osv_files = osv_scanner()
        .iter()
        .filter(|(n, _)| n.ends_with("/Gemfile.lock") || n.ends_with("/gems.locked"));
    out.push_str(&run_files(osv_files, |n| {
        format!("app/{}", n.rsplit('/').next().unwrap())
    }));
    insta::assert_snapshot!("gemfile_lock_real_fixtures", out);
}

// ------------------------------------------------------------------------------------------------
// hostile inputs

fn parse(path: &str, content: &[u8]) -> (Vec<LangPackage>, Vec<String>) {
    let mut w = Vec::new();
    let t = Instant::now();
    let p = ruby::parse(path, content, &mut w);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "{path}: {:?}",
        t.elapsed()
    );
    (p, w)
}

#[test]
fn hostile_inputs() {
    // Truncated at every byte: no panic, at most one warning for a gemspec.
    for cut in 0..GEMSPEC_RUBYGEMS3.len() {
        if !GEMSPEC_RUBYGEMS3.is_char_boundary(cut) {
            continue;
        }
        let (p, w) = parse(
            "x/specifications/n.gemspec",
            &GEMSPEC_RUBYGEMS3.as_bytes()[..cut],
        );
        assert!(p.len() + w.len() == 1, "cut {cut}: {p:?} {w:?}");
    }
    for cut in 0..GEMFILE_LOCK.len() {
        let (p, _) = parse("Gemfile.lock", &GEMFILE_LOCK.as_bytes()[..cut]);
        assert!(p.len() <= 9);
    }
    // Binary garbage.
    let (p, w) = parse("x/specifications/n.gemspec", b"\x00\xff\xfe\x01\"\x00'%q{");
    assert!(p.is_empty());
    assert_eq!(w.len(), 1);
    let (p, w) = parse(
        "Gemfile.lock",
        b"\x00\xff\xfe\x01\nGEM\n  specs:\n    \xff (\xfe)\n",
    );
    assert_eq!(p.len(), 1, "{w:?}");
    // Huge lines and many bad specs: warnings capped.
    let huge = format!(
        "Gem::Specification.new do |s|\n  s.name = \"{}\"\n  s.version = \"1\"\n  s.licenses = [{}\"x\"]\nend\n",
        "n".repeat(2_000_000),
        "\"a\", ".repeat(200_000)
    );
    let (p, _) = parse("x/specifications/n.gemspec", huge.as_bytes());
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].name.len(), 2_000_000);
    let bad = format!("GEM\n  specs:\n{}", "    bad\n".repeat(500_000));
    let (p, w) = parse("Gemfile.lock", bad.as_bytes());
    assert!(p.is_empty());
    assert_eq!(w.len(), 21);
    let many = format!(
        "GEM\n  specs:\n{}",
        (0..200_000)
            .map(|i| format!("    g{i} (1.{i})\n      dep (>= 0)\n"))
            .collect::<String>()
    );
    let (p, w) = parse("Gemfile.lock", many.as_bytes());
    assert_eq!(p.len(), 200_000);
    assert!(w.is_empty());
    // Unterminated literals.
    for spec in [
        "Gem::Specification.new do |s|\n s.name = %q{x\n s.version = '1\n",
        "Gem::Specification.new do |s|\n s.name = \"x\\",
        "Gem::Specification.new do |s|\n s.name = %",
        "Gem::Specification.new do |s|\n s.name = %q",
        "Gem::Specification.new do |",
        "Gem::Specification.new do ||\n",
    ] {
        let (p, w) = parse("x/specifications/n.gemspec", spec.as_bytes());
        assert!(p.is_empty() && w.len() == 1, "{spec:?}: {w:?}");
    }
    // Constant chains: bounded (a hand-written spec of 200k constants, each the previous one).
    let mut chain = format!("A0 = \"{}\"\n", "v".repeat(200));
    for i in 1..200_000 {
        chain.push_str(&format!("A{i} = A{}\n", i - 1));
    }
    chain.push_str("Gem::Specification.new do |s|\n  s.name = 'c'\n  s.version = A31\nend\n");
    let (p, w) = parse("x/specifications/c.gemspec", chain.as_bytes());
    assert!(w.is_empty());
    assert_eq!(p[0].version, "v".repeat(200));
    chain = chain.replace("A31\nend", "A32\nend");
    let (p, w) = parse("x/specifications/c.gemspec", chain.as_bytes());
    assert!(p.is_empty());
    assert_eq!(w, vec!["c: version is not a literal: A32".to_string()]);
}
