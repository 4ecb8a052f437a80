//! Maven, RubyGems and Composer checked against their real implementations, when installed.
//!
//! These references are not required by CI (the required ones are Python `packaging` and
//! node-semver, see version_pep440.rs and version_semver.rs), so the tests are `#[ignore]`d:
//! run them with `cargo test -p drydock-matcher --test version_lang_refs -- --ignored`
//! after installing the references; then, like the required ones, they fail rather than
//! pass when a reference is missing.
//!
//! * Maven: `java` (17+, it runs a one-file harness) and maven-artifact's jar,
//!   `$DRYDOCK_MAVEN_ARTIFACT_JAR`, else `/usr/share/java/maven3-artifact.jar` (Debian
//!   `libmaven3-core-java`, installed with `maven`). Its `ComparableVersion` is the 3.9.x
//!   one (the `release` alias, `.X1` read as `-X1`, whole-list comparison with null).
//! * RubyGems: `ruby` (`$DRYDOCK_RUBY`, else `ruby`), its bundled `Gem::Version`.
//! * Composer: `php` (`$DRYDOCK_PHP`, else `php`) and composer/semver,
//!   `$DRYDOCK_COMPOSER_SEMVER_AUTOLOAD`, else `/usr/share/php/Composer/Semver/autoload.php`
//!   (Debian `php-composer-semver`).
//!
//! Debian: `apt-get install default-jdk-headless maven ruby php-cli php-composer-semver`.

mod version_support;

use drydock_matcher::version::{ComposerVersion, GemVersion, MavenVersion, composer, gem, maven};
use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};
use version_support::{Rng, mutate, random_pairs, run_reference, sign};

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

fn report(label: &str, bad: &[String], versions: usize, pairs: usize, compared: usize) {
    eprintln!("{label}: {versions} versions, {pairs} pairs ({compared} ordered) checked");
    assert!(
        bad.is_empty(),
        "{label}: {} disagreements, e.g.:\n{}",
        bad.len(),
        bad.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Maven

const MAVEN_HARNESS: &str = r#"
import org.apache.maven.artifact.versioning.ComparableVersion;
import java.io.*;
import java.nio.charset.StandardCharsets;

public class MavenHarness {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
        int n = Integer.parseInt(in.readLine());
        ComparableVersion[] vs = new ComparableVersion[n];
        for (int i = 0; i < n; i++) {
            vs[i] = new ComparableVersion(in.readLine());
            out.println(vs[i].getCanonical());
        }
        int m = Integer.parseInt(in.readLine());
        for (int k = 0; k < m; k++) {
            String[] ij = in.readLine().split(" ");
            out.println(Integer.signum(vs[Integer.parseInt(ij[0])].compareTo(vs[Integer.parseInt(ij[1])])));
        }
        out.flush();
    }
}
"#;

/// Runs the Java harness; returns its output lines.
fn run_maven(versions: &[String], pairs: &[(usize, usize)]) -> Vec<String> {
    let jar = env_or(
        "DRYDOCK_MAVEN_ARTIFACT_JAR",
        "/usr/share/java/maven3-artifact.jar",
    );
    assert!(
        std::path::Path::new(&jar).is_file(),
        "maven-artifact jar {jar} missing (install Debian `maven`, or set \
         DRYDOCK_MAVEN_ARTIFACT_JAR)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("MavenHarness.java");
    std::fs::write(&src, MAVEN_HARNESS).expect("write harness");
    let mut input = format!("{}\n", versions.len());
    for v in versions {
        input.push_str(v);
        input.push('\n');
    }
    input.push_str(&format!("{}\n", pairs.len()));
    for (i, j) in pairs {
        input.push_str(&format!("{i} {j}\n"));
    }
    let mut child = Command::new("java")
        .arg("-cp")
        .arg(&jar)
        .arg(&src)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run `java` (install a JDK 17+): the Maven reference test needs it");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("java");
    let _ = writer.join();
    assert!(
        out.status.success(),
        "java harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

const MAVEN_TOKENS: &[&str] = &[
    "0",
    "1",
    "2",
    "10",
    "01",
    "00",
    "123456789012",
    "98765432109876543210",
    "alpha",
    "a",
    "b",
    "m",
    "beta",
    "milestone",
    "rc",
    "cr",
    "snapshot",
    "SNAPSHOT",
    "ga",
    "GA",
    "final",
    "Final",
    "release",
    "RELEASE",
    "sp",
    "SP",
    "abc",
    "xyz",
    "jre",
    "pre",
    "dev",
    "_",
    "+",
    "\u{e9}",
    "\u{130}",
    "\u{3c3}",
    "\u{1e9e}",
    "\u{1f600}",
];

fn maven_version(rng: &mut Rng) -> String {
    let mut s = String::new();
    for k in 0..1 + rng.below(6) {
        if k > 0 || rng.chance(5) {
            s.push_str(rng.pick(&[".", ".", "-", "-", ""]));
        }
        s.push_str(rng.pick(MAVEN_TOKENS));
    }
    if rng.chance(5) {
        s.push_str(rng.pick(&[".", "-"]));
    }
    s
}

#[test]
#[ignore = "needs java and maven-artifact's jar (see the module documentation)"]
fn maven_matches_comparable_version() {
    let mut rng = Rng::new(9);
    let mut versions: Vec<String> = Vec::new();
    for _ in 0..6000 {
        versions.push(maven_version(&mut rng));
    }
    for _ in 0..1000 {
        let base = versions[rng.below(6000)].clone();
        let m = mutate(
            &mut rng,
            &base,
            &['.', '-', '0', '1', 'a', 'b', 'x', 'A', '_'],
        );
        versions.push(m);
    }
    // Examples of the Maven documentation (POM reference, "Version Order Specification").
    for v in [
        "1",
        "1.0",
        "1.0.0",
        "1-alpha",
        "1.0-SNAPSHOT",
        "1.0.RELEASE",
        "1-sp",
        "2.0.0.Final",
        "1-1.foo-bar1baz-.1",
        "1.ga",
        "1-ga",
        "1-0",
        "1.0.0-foo.0.0",
        "1.0-1",
        "1-foo2",
        "1-foo10",
        "1.foo",
        "1-foo",
        "1-1",
        "1.1",
        "1.0.RC2",
        "1.0-RC3",
        "1.0.1",
        "1.0.0.X1",
        "1.0.0-X2",
    ] {
        versions.push(v.to_owned());
    }
    versions.retain(|v| !v.is_empty() && MavenVersion::parse(v).is_ok());
    let n = versions.len();
    let mut pairs = random_pairs(&mut rng, n, 40_000);
    for i in n - 25..n {
        for j in n - 25..n {
            pairs.push((i, j));
        }
    }
    let lines = run_maven(&versions, &pairs);
    assert_eq!(lines.len(), n + pairs.len(), "harness output");
    let mut bad = Vec::new();
    for (v, theirs) in versions.iter().zip(&lines) {
        let ours = MavenVersion::parse(v).expect("valid").canonical();
        if &ours != theirs {
            bad.push(format!("canonical {v:?}: we {ours:?}, maven {theirs:?}"));
        }
    }
    for (&(i, j), theirs) in pairs.iter().zip(&lines[n..]) {
        let ours = sign(maven::compare(&versions[i], &versions[j]).expect("valid")).to_string();
        if &ours != theirs {
            bad.push(format!(
                "{:?} vs {:?}: we {ours}, maven {theirs}",
                versions[i], versions[j]
            ));
        }
    }
    report("Maven", &bad, n, pairs.len(), pairs.len());
}

// ---------------------------------------------------------------------------------------
// RubyGems

const RUBY_SCRIPT: &str = r#"
require 'json'
d = JSON.parse(STDIN.read)
vs = d["versions"].map { |s| Gem::Version.correct?(s) ? Gem::Version.new(s) : nil }
canon = vs.map do |v|
  next nil unless v
  c = v.canonical_segments.map(&:to_s).join(".")
  c.empty? ? "0" : c
end
cmp = d["pairs"].map { |i, j| (vs[i] && vs[j]) ? (vs[i] <=> vs[j]) : nil }
print JSON.generate({ "rubygems" => Gem::VERSION, "canon" => canon, "cmp" => cmp })
"#;

const GEM_TOKENS: &[&str] = &[
    "0",
    "1",
    "2",
    "10",
    "01",
    "000",
    "123456789012345678901234",
    "a",
    "b",
    "rc",
    "pre",
    "beta",
    "A",
    "Z",
    "alpha",
    "x",
];

fn gem_version(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(5) {
        s.push_str(rng.pick(&[" ", "\t", "\n"]));
    }
    s.push_str(rng.pick(&["0", "1", "2", "10", "01"]));
    for _ in 0..rng.below(5) {
        s.push('.');
        s.push_str(rng.pick(GEM_TOKENS));
        if rng.chance(20) {
            s.push_str(rng.pick(GEM_TOKENS));
        }
    }
    if rng.chance(25) {
        s.push('-');
        for k in 0..1 + rng.below(3) {
            if k > 0 {
                s.push_str(rng.pick(&[".", "-"]));
            }
            s.push_str(rng.pick(GEM_TOKENS));
        }
    }
    s
}

#[test]
#[ignore = "needs ruby (see the module documentation)"]
fn gem_matches_rubygems() {
    let mut rng = Rng::new(5);
    let mut versions: Vec<String> = (0..6000).map(|_| gem_version(&mut rng)).collect();
    for _ in 0..2000 {
        let base = versions[rng.below(6000)].clone();
        versions.push(mutate(
            &mut rng,
            &base,
            &['.', '-', '0', '1', 'a', 'B', '_', ' ', '+'],
        ));
    }
    for v in [
        "",
        " ",
        "1--",
        "1.0.a1",
        "1.0.a.1",
        "1.a.0",
        "1.0-1",
        "1.0.pre.1",
        "1-0",
    ] {
        versions.push(v.to_owned());
    }
    let n = versions.len();
    let mut pairs = random_pairs(&mut rng, n, 40_000);
    pairs.extend((1..n).map(|i| (i - 1, i)));
    let ruby = env_or("DRYDOCK_RUBY", "ruby");
    let out = run_reference(
        "RubyGems",
        "apt-get install ruby",
        &ruby,
        &["-e", RUBY_SCRIPT],
        &json!({ "versions": versions, "pairs": pairs }),
    );
    let canon = out["canon"].as_array().expect("canon");
    let cmp = out["cmp"].as_array().expect("cmp");
    let mut bad = Vec::new();
    for (v, theirs) in versions.iter().zip(canon) {
        let ours = GemVersion::parse(v).ok().map(|g| g.canonical());
        if ours.as_deref() != theirs.as_str() {
            bad.push(format!("{v:?}: we {ours:?}, rubygems {theirs}"));
        }
    }
    let mut compared = 0;
    for (&(i, j), theirs) in pairs.iter().zip(cmp) {
        let ours = gem::compare(&versions[i], &versions[j]).ok().map(sign);
        if ours != theirs.as_i64() {
            bad.push(format!(
                "{:?} vs {:?}: we {ours:?}, rubygems {theirs}",
                versions[i], versions[j]
            ));
        }
        compared += usize::from(theirs.is_i64());
    }
    report(
        &format!("RubyGems {}", out["rubygems"]),
        &bad,
        n,
        pairs.len(),
        compared,
    );
}

// ---------------------------------------------------------------------------------------
// Composer

const PHP_SCRIPT: &str = r#"
require AUTOLOAD_PATH;
$d = json_decode(stream_get_contents(STDIN), true);
$p = new Composer\Semver\VersionParser();
$norm = [];
foreach ($d['versions'] as $v) {
    try { $norm[] = $p->normalize($v); } catch (\Exception $e) { $norm[] = null; }
}
$cmp = [];
foreach ($d['pairs'] as [$i, $j]) {
    $a = $norm[$i]; $b = $norm[$j];
    if ($a === null || $b === null || strpos($a, 'dev-') === 0 || strpos($b, 'dev-') === 0) {
        $cmp[] = null;
    } else {
        $cmp[] = version_compare($a, $b);
    }
}
echo json_encode(['norm' => $norm, 'cmp' => $cmp]);
"#;

fn composer_version(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(10) {
        s.push_str(rng.pick(&["v", "V", " "]));
    }
    if rng.chance(15) {
        // Date-like.
        s.push_str(rng.pick(&["2010", "2023", "1999"]));
        for _ in 0..1 + rng.below(5) {
            s.push_str(rng.pick(&["", ".", "-", ":"]));
            s.push_str(rng.pick(&["01", "12", "31", "5", "123"]));
        }
    } else {
        s.push_str(rng.pick(&["0", "1", "2", "10", "01", "12345", "123456"]));
        for _ in 0..rng.below(4) {
            s.push('.');
            s.push_str(rng.pick(&["0", "1", "2", "10", "01", "x", "*", "99999999999"]));
        }
    }
    if rng.chance(50) {
        s.push_str(rng.pick(&["", ".", "-", "_"]));
        s.push_str(rng.pick(&[
            "alpha", "a", "beta", "b", "RC", "rc", "Rc", "patch", "pl", "p", "stable", "STABLE",
            "dev", "DEV", "foo",
        ]));
        for _ in 0..rng.below(3) {
            s.push_str(rng.pick(&["", ".", "-"]));
            s.push_str(rng.pick(&["1", "2", "10"]));
        }
    }
    if rng.chance(20) {
        s.push_str(rng.pick(&[
            "-dev",
            ".dev",
            "dev",
            "@dev",
            "@stable",
            "+build.1",
            " as 1.0.0",
        ]));
    }
    if rng.chance(5) {
        s = format!("{}{s}", rng.pick(&["dev-", "DEV-", ""]));
    }
    s
}

#[test]
#[ignore = "needs php and composer/semver (see the module documentation)"]
fn composer_matches_composer_semver() {
    let mut rng = Rng::new(6);
    let mut versions: Vec<String> = (0..6000).map(|_| composer_version(&mut rng)).collect();
    for _ in 0..2000 {
        let base = versions[rng.below(6000)].clone();
        versions.push(mutate(
            &mut rng,
            &base,
            &[
                '.', '-', '_', '0', '1', 'a', 'b', 'x', 'v', '@', '+', ' ', ':', 'd', 'e',
            ],
        ));
    }
    for v in [
        "master",
        "trunk",
        "default",
        "dev-master",
        "1.0.0-",
        "1.0.0.",
        "123456.1",
    ] {
        versions.push(v.to_owned());
    }
    let n = versions.len();
    let mut pairs = random_pairs(&mut rng, n, 40_000);
    pairs.extend((1..n).map(|i| (i - 1, i)));
    let php = env_or("DRYDOCK_PHP", "php");
    let autoload = env_or(
        "DRYDOCK_COMPOSER_SEMVER_AUTOLOAD",
        "/usr/share/php/Composer/Semver/autoload.php",
    );
    assert!(
        std::path::Path::new(&autoload).is_file(),
        "composer/semver autoload {autoload} missing (apt-get install php-composer-semver, or \
         set DRYDOCK_COMPOSER_SEMVER_AUTOLOAD)"
    );
    let out = {
        let script = PHP_SCRIPT.replace(
            "AUTOLOAD_PATH",
            &format!("'{}'", autoload.replace('\\', "\\\\").replace('\'', "\\'")),
        );
        run_reference(
            "composer/semver",
            "apt-get install php-cli php-composer-semver",
            &php,
            &["-r", &script],
            &json!({ "versions": versions, "pairs": pairs }),
        )
    };
    let norm = out["norm"].as_array().expect("norm");
    let cmp = out["cmp"].as_array().expect("cmp");
    let mut bad = Vec::new();
    for (v, theirs) in versions.iter().zip(norm) {
        let ours = composer::normalize(v).ok();
        if ours.as_deref() != theirs.as_str() {
            bad.push(format!("normalize {v:?}: we {ours:?}, composer {theirs}"));
        }
    }
    let mut compared = 0;
    for (&(i, j), theirs) in pairs.iter().zip(cmp) {
        let (a, b) = (&versions[i], &versions[j]);
        let ours = composer::compare(a, b);
        match theirs.as_i64() {
            Some(t) => {
                compared += 1;
                if ours.as_ref().ok().map(|o| sign(*o)) != Some(t) {
                    bad.push(format!("{a:?} vs {b:?}: we {ours:?}, composer {t}"));
                }
            }
            None => {
                // Invalid, or a branch: we order a branch only with itself.
                let (na, nb) = (norm[i].as_str(), norm[j].as_str());
                let expect_ok = matches!((na, nb), (Some(x), Some(y)) if x == y);
                if ours.is_ok() != expect_ok {
                    bad.push(format!(
                        "{a:?} vs {b:?}: we {ours:?}, composer has no order"
                    ));
                }
            }
        }
    }
    let valid = versions
        .iter()
        .filter(|v| ComposerVersion::parse(v).is_ok())
        .count();
    eprintln!("Composer: {valid} of {n} generated versions valid");
    report("Composer", &bad, n, pairs.len(), compared);
}
