//! npm cataloger: installed `node_modules/**/package.json`, package-lock.json /
//! npm-shrinkwrap.json (v1–v3), yarn.lock (classic and berry) and pnpm-lock.yaml (v5, v6, v9).
//!
//! Three kinds of input:
//! 1. small files written by hand for this test in each published format (marked
//!    "hand-written" below), one per format version and edge case;
//! 2. the real lockfiles and package.json files of the peer scanners' test suites
//!    (`../shared/fixtures/osv-scalibr-extractor-testdata.tar.gz`,
//!    `osv-scanner-lockfile-fixtures.tar.gz`), read from the bundles at test time;
//! 3. hostile inputs (truncated, deeply nested, huge lines, alias bombs, garbage), which must
//!    give a warning, no panic, and finish fast.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use drydock_inventory::lang::{Ecosystem, LangPackage, Scope, npm};

// ---------------------------------------------------------------------------------------------
// helpers

fn run(path: &str, content: &str) -> (Vec<LangPackage>, Vec<String>) {
    let mut warnings = Vec::new();
    let pkgs = npm::parse(path, content.as_bytes(), &mut warnings);
    (pkgs, warnings)
}

/// One line per package: `name version [dev] [license=…]`, then the warnings.
fn render(pkgs: &[LangPackage], warnings: &[String]) -> String {
    let mut s = String::new();
    for p in pkgs {
        assert_eq!(p.ecosystem, Ecosystem::Npm);
        assert!(p.inner_path.is_none());
        write!(s, "{} {}", p.name, p.version).unwrap();
        if p.dev {
            s.push_str(" dev");
        }
        if let Some(l) = &p.license {
            write!(s, " license={l}").unwrap();
        }
        s.push('\n');
    }
    for w in warnings {
        writeln!(s, "warning: {w}").unwrap();
    }
    s
}

fn listing(path: &str, content: &str) -> String {
    let (pkgs, warnings) = run(path, content);
    render(&pkgs, &warnings)
}

/// `name@version` of each package, `+dev` appended for dev ones.
fn ids(pkgs: &[LangPackage]) -> Vec<String> {
    pkgs.iter()
        .map(|p| {
            format!(
                "{}@{}{}",
                p.name,
                p.version,
                if p.dev { "+dev" } else { "" }
            )
        })
        .collect()
}

/// The files under `prefixes` in a fixture bundle of `../shared/fixtures`, read from the
/// tar.gz at test time (in memory: nothing is written).
fn bundle_files(bundle: &str, prefixes: &[&str]) -> BTreeMap<String, Vec<u8>> {
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
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            out.insert(name, data);
        }
    }
    out
}

const JS: &str = "extractor/filesystem/language/javascript/";

fn scalibr_js() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| bundle_files("osv-scalibr-extractor-testdata.tar.gz", &[JS]))
}

fn osv_scanner_locks() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| bundle_files("osv-scanner-lockfile-fixtures.tar.gz", &["cmd/"]))
}

/// Parse every real fixture under `dir` of the scalibr bundle as the file `as_path`.
fn real_listing(dir: &str, as_path: &str) -> String {
    let prefix = format!("{JS}{dir}");
    let mut s = String::new();
    let mut n = 0;
    for (name, data) in scalibr_js().range(prefix.clone()..) {
        let Some(rel) = name.strip_prefix(&prefix) else {
            break;
        };
        n += 1;
        let mut warnings = Vec::new();
        let pkgs = npm::parse(as_path, data, &mut warnings);
        writeln!(s, "== {rel}").unwrap();
        s.push_str(&render(&pkgs, &warnings));
    }
    assert!(n > 5, "{dir}: only {n} fixtures found");
    s
}

// ---------------------------------------------------------------------------------------------
// wants

#[test]
fn wants_installed_package_json_and_fs_lockfiles() {
    let both = [
        "app/node_modules/lodash/package.json",
        "node_modules/lodash/package.json",
        "app/node_modules/@babel/core/package.json",
        "app/node_modules/a/node_modules/b/node_modules/c/package.json",
        "app/node_modules/a/node_modules/@s/c/package.json",
        "usr/lib/node_modules/npm/package.json",
        "usr/local/lib/node_modules/npm/node_modules/semver/package.json",
        "app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json",
        "app/node_modules/.pnpm/@types+node@20.0.0/node_modules/@types/node/package.json",
    ];
    let never = [
        "app/package.json",
        "package.json",
        "app/node_modules/package.json",
        "app/node_modules/@babel/package.json",
        "app/node_modules/.bin/package.json",
        "app/node_modules/.pnpm/package.json",
        "app/node_modules/lodash/lib/package.json",
        "app/node_modules/lodash/test/fixtures/package.json",
        "app/node_modules/@babel/core/lib/package.json",
        "app/node_modules/lodash/package.json.bak",
        "app/node_modules/lodash/xpackage.json",
        "app/node_modules/lodash/package-lock.json",
        "app/node_modules/lodash/npm-shrinkwrap.json",
        "app/node_modules/.package-lock.json",
        "app/node_modules/lodash/yarn.lock",
        "app/node_modules/@s/x/pnpm-lock.yaml",
        "app/bun.lockb",
        "app/node_modules",
        "",
        "/",
        "node_modules/@/x/package.json",
    ];
    let fs_only = [
        "app/package-lock.json",
        "package-lock.json",
        "srv/app/npm-shrinkwrap.json",
        "app/yarn.lock",
        "yarn.lock",
        "app/pnpm-lock.yaml",
    ];
    for p in both {
        assert!(npm::wants(p, Scope::Image), "{p} (image)");
        assert!(npm::wants(p, Scope::Fs), "{p} (fs)");
    }
    for p in never {
        assert!(!npm::wants(p, Scope::Image), "{p} (image)");
        assert!(!npm::wants(p, Scope::Fs), "{p} (fs)");
    }
    for p in fs_only {
        assert!(!npm::wants(p, Scope::Image), "{p} (image)");
        assert!(npm::wants(p, Scope::Fs), "{p} (fs)");
    }
}

// ---------------------------------------------------------------------------------------------
// package.json (hand-written)

const PJ: &str = "app/node_modules/x/package.json";

#[test]
fn package_json_fields_and_licenses() {
    // hand-written
    let cases = [
        (
            r#"{"name":"lodash","version":"4.17.21","license":"MIT"}"#,
            "lodash 4.17.21 license=MIT\n",
        ),
        (
            r#"{"name":"@babel/core","version":"7.24.0","license":{"type":"MIT","url":"x"}}"#,
            "@babel/core 7.24.0 license=MIT\n",
        ),
        (
            r#"{"name":"window-size","version":"0.1.0","licenses":[{"type":"MIT","url":"u"},{"type":"Apache-2.0"}]}"#,
            "window-size 0.1.0 license=MIT OR Apache-2.0\n",
        ),
        (
            r#"{"name":"a","version":"1.0.0","licenses":["ISC", "ISC"]}"#,
            "a 1.0.0 license=ISC\n",
        ),
        // `license` wins over legacy `licenses`, whatever the order
        (
            r#"{"licenses":[{"type":"GPL"}],"name":"b","version":"2.0.0","license":"(MIT OR CC0-1.0)"}"#,
            "b 2.0.0 license=(MIT OR CC0-1.0)\n",
        ),
        // stubs: no warning, nothing
        (r#"{"name":"stub"}"#, ""),
        (r#"{"version":"1.0.0"}"#, ""),
        (r#"{"name":"","version":"1.0.0"}"#, ""),
        (r#"{"name":"acorn-globals","version":""}"#, ""),
        (r#"{}"#, ""),
        // values of the wrong type are ignored, not errors
        (
            r#"{"name":"c","version":"3.0.0","license":42,"licenses":null}"#,
            "c 3.0.0\n",
        ),
        (r#"{"name":"d","version":{"weird":true}}"#, ""),
        (r#"{"name":["e"],"version":"1.0.0"}"#, ""),
        // duplicate keys: the last wins, as in JavaScript
        (
            r#"{"name":"old","version":"1.0.0","name":"new","version":"1.0.1"}"#,
            "new 1.0.1\n",
        ),
        // escapes, unicode, a BOM
        (
            "\u{feff}{\"name\":\"@s/\\u0066oo\",\"version\":\"1.0.0-beta.1+b\"}",
            "@s/foo 1.0.0-beta.1+b\n",
        ),
        // spaces around values are not part of them
        (r#"{"name":" sp ","version":" 1.2.3 "}"#, "sp 1.2.3\n"),
    ];
    for (json, want) in cases {
        assert_eq!(listing(PJ, json), want, "{json}");
    }
}

#[test]
fn package_json_malformed_gives_warning() {
    // hand-written
    let bad_inputs = [
        "",
        "{",
        "null",
        "[1,2]",
        "\"str\"",
        "{\"name\":\"x\",\"version\":\"1\"} trailing",
        "\u{0}\u{1}",
    ];
    for bad in bad_inputs {
        let (pkgs, warnings) = run(PJ, bad);
        assert!(pkgs.is_empty(), "{bad:?}");
        assert_eq!(warnings.len(), 1, "{bad:?}: {warnings:?}");
        assert!(warnings[0].starts_with("package.json: "), "{warnings:?}");
    }
}

#[test]
fn real_package_json_files() {
    let s = real_listing("packagejson/testdata/", PJ);
    insta::assert_snapshot!("real_package_json", s);
}

// ---------------------------------------------------------------------------------------------
// package-lock.json (hand-written)

const LOCK: &str = "app/package-lock.json";

#[test]
fn package_lock_v1_nested_alias_dev_and_non_registry() {
    // hand-written, lockfile v1 as npm 6 writes it
    let lock = r#"{
      "name": "app", "version": "1.0.0", "lockfileVersion": 1, "requires": true,
      "dependencies": {
        "@babel/code-frame": {"version": "7.0.0", "dev": true,
          "dependencies": {"chalk": {"version": "2.4.2", "dev": true,
            "dependencies": {"supports-color": {"version": "5.5.0", "dev": true}}}}},
        "chalk": {"version": "1.1.3"},
        "string-width-cjs": {"version": "npm:string-width@4.2.0"},
        "code-frame-alias": {"version": "npm:@babel/code-frame@7.10.4", "dev": true},
        "is-number": {"version": "github:jonschlinkert/is-number#98e8ff1da1a89f93d1397a24d7413ed15421c139"},
        "local": {"version": "file:../local"},
        "tarball": {"version": "https://example.invalid/t/-/t-1.0.0.tgz"},
        "bundled": {"version": "1.0.0", "bundled": true, "optional": true},
        "no-version": {},
        "weird": 42,
        "chalk2": {"version": "1.1.3", "dev": "yes"}
      }
    }"#;
    insta::assert_snapshot!(listing(LOCK, lock), @r"
    @babel/code-frame 7.0.0 dev
    @babel/code-frame 7.10.4 dev
    bundled 1.0.0
    chalk 1.1.3
    chalk 2.4.2 dev
    chalk2 1.1.3
    string-width 4.2.0
    supports-color 5.5.0 dev
    ");
}

#[test]
fn package_lock_v2_v3_packages() {
    // hand-written, lockfile v3 as npm 9 writes it for a workspace project
    let lock = r#"{
      "name": "root", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
      "packages": {
        "": {"name": "root", "version": "1.0.0", "workspaces": ["packages/*"]},
        "node_modules/a": {"version": "1.0.0", "license": "MIT"},
        "node_modules/a/node_modules/b": {"version": "2.0.0", "dev": true},
        "node_modules/@s/c": {"version": "3.0.0", "license": "ISC"},
        "node_modules/@s/c/node_modules/@t/d": {"version": "4.0.0-rc.1", "devOptional": true},
        "node_modules/alias": {"name": "@real/pkg", "version": "5.0.0"},
        "node_modules/ws-a": {"resolved": "packages/ws-a", "link": true},
        "packages/ws-a": {"name": "ws-a", "version": "0.1.0"},
        "packages/ws-a/node_modules/e": {"version": "6.0.0", "dev": true},
        "node_modules/opt-missing": {"optional": true},
        "node_modules/localtar": {"version": "7.0.0", "resolved": "file:../localtar-7.0.0.tgz"},
        "node_modules/git": {"version": "8.0.0", "resolved": "git+ssh://git@github.com/o/git.git#0123456789abcdef0123456789abcdef01234567"},
        "node_modules/dup": {"version": "1.0.0", "dev": true},
        "node_modules/x/node_modules/dup": {"version": "1.0.0"},
        "node_modules/nullentry": null
      }
    }"#;
    insta::assert_snapshot!(listing(LOCK, lock), @r"
    @real/pkg 5.0.0
    @s/c 3.0.0 license=ISC
    @t/d 4.0.0-rc.1
    a 1.0.0 license=MIT
    b 2.0.0 dev
    dup 1.0.0
    e 6.0.0 dev
    git 8.0.0
    ");
}

#[test]
fn package_lock_v2_ignores_the_legacy_section() {
    // hand-written: v2 carries both sections; npm reads `packages` only
    let lock = r#"{"lockfileVersion": 2,
      "dependencies": {"only-in-v1": {"version": "9.9.9"}},
      "packages": {"": {}, "node_modules/only-in-v2": {"version": "1.0.0"}}}"#;
    assert_eq!(listing(LOCK, lock), "only-in-v2 1.0.0\n");
    // same with the sections the other way round
    let lock = r#"{"lockfileVersion": 2,
      "packages": {"": {}, "node_modules/only-in-v2": {"version": "1.0.0"}},
      "dependencies": {"only-in-v1": {"version": "9.9.9"}}}"#;
    assert_eq!(listing(LOCK, lock), "only-in-v2 1.0.0\n");
    // shrinkwrap: same format
    assert_eq!(
        listing("app/npm-shrinkwrap.json", lock),
        "only-in-v2 1.0.0\n"
    );
}

#[test]
fn package_lock_truncated_keeps_what_was_read() {
    // hand-written
    let lock = r#"{"lockfileVersion": 3, "packages": {"": {},
      "node_modules/a": {"version": "1.0.0"},
      "node_modules/b": {"version": "2.0.0"},
      "node_modules/c": {"vers"#;
    let (pkgs, warnings) = run(LOCK, lock);
    assert_eq!(ids(&pkgs), ["a@1.0.0", "b@2.0.0"]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("package-lock: EOF while parsing"),
        "{warnings:?}"
    );

    let v1 = r#"{"lockfileVersion": 1, "dependencies": {"a": {"version": "1.0.0",
      "dependencies": {"b": {"version": "2.0.0"}}}, "c": {"version": "3.0.0"}, "d": {"#;
    let (pkgs, warnings) = run(LOCK, v1);
    assert_eq!(ids(&pkgs), ["a@1.0.0", "b@2.0.0", "c@3.0.0"]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

#[test]
fn package_lock_not_an_object() {
    for bad in ["null", "[]", "1", "\"x\"", "not json"] {
        let (pkgs, warnings) = run(LOCK, bad);
        assert!(pkgs.is_empty());
        assert_eq!(warnings.len(), 1, "{bad}: {warnings:?}");
    }
    // valid, empty
    assert_eq!(
        listing(LOCK, r#"{"lockfileVersion": 3, "packages": {}}"#),
        ""
    );
    assert_eq!(
        listing(LOCK, r#"{"lockfileVersion": 1, "dependencies": null}"#),
        ""
    );
}

#[test]
fn real_package_locks() {
    let s = real_listing("packagelockjson/testdata/", LOCK);
    insta::assert_snapshot!("real_package_lock", s);
}

// ---------------------------------------------------------------------------------------------
// yarn.lock (hand-written)

const YARN: &str = "app/yarn.lock";

#[test]
fn yarn_v1_formats() {
    // hand-written, yarn 1.22 style, with CRLF line ends on part of it
    let lock = concat!(
        "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n",
        "# yarn lockfile v1\n",
        "\n\n",
        "\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.12.13\":\n",
        "  version \"7.12.13\"\n",
        "  resolved \"https://example.invalid/@babel/code-frame/-/code-frame-7.12.13.tgz#abc\"\n",
        "  dependencies:\n",
        "    \"@babel/highlight\" \"^7.12.13\"\n",
        "\n",
        "domelementtype@1, domelementtype@^1.3.1:\r\n",
        "  version \"1.3.1\"\r\n",
        "\r\n",
        "balanced-match:\n",
        "  version \"1.0.2\"\n",
        "\n",
        "\"ansi-regex-cjs@npm:ansi-regex@^5.0.0\":\n",
        "  version \"5.0.1\"\n",
        "\n",
        "\"babel-hvi@npm:@babel/helper-validator-identifier@^7.0.0\":\n",
        "  version \"7.22.20\"\n",
        "\n",
        "\"is-number@github:jonschlinkert/is-number#master\":\n",
        "  version \"2.0.0\"\n",
        "  resolved \"https://example.invalid/tar.gz/d5ac0584ee9ae7bd9288220a39780f155b9ad4c8\"\n",
        "\n",
        "\"filedep@file:../filedep\":\n",
        "  version \"1.2.0\"\n",
        "\n",
        "\"sprintf-js@file:./mocks/sprintf-js\", sprintf-js@~1.0.2:\n",
        "  version \"0.0.0\"\n",
        "\n",
        "\"etag@link:./deps/etag\":\n",
        "  version \"1.8.0\"\n",
        "\n",
        "concat-map@0.0.1:\n",
        "  \"version\" \"0.0.1\"\n",
        "  \"resolved\" \"https://example.invalid/concat-map-0.0.1.tgz\"\n",
        "\n",
        "unquoted@^1.0.0:\n",
        "  version 1.0.0\n",
        "\n",
        "no-version-at-all@^1.0.0:\n",
        "  resolved \"https://example.invalid/x.tgz\"\n",
        "\n",
        "\"esc\\\"aped@^1\":\n",
        "  version \"1.0.0\"\n",
        "\n",
        "nested@^1.0.0:\n",
        "  version \"1.1.0\"\n",
        "  dependencies:\n",
        "    version \"9.9.9\"\n",
    );
    insta::assert_snapshot!(listing(YARN, lock), @r#"
    @babel/code-frame 7.12.13
    @babel/helper-validator-identifier 7.22.20
    ansi-regex 5.0.1
    balanced-match 1.0.2
    concat-map 0.0.1
    domelementtype 1.3.1
    esc"aped 1.0.0
    is-number 2.0.0
    nested 1.1.0
    unquoted 1.0.0
    "#);
}

#[test]
fn yarn_v1_garbage_lines_warn() {
    // hand-written
    let lock =
        "a@^1:\n  version \"1.0.0\"\nthis line is not a header\nb@^2:\n  version \"2.0.0\"\n";
    insta::assert_snapshot!(listing(YARN, lock), @r"
    a 1.0.0
    b 2.0.0
    warning: yarn.lock: 1 unreadable entry header(s), first at line 3
    ");
}

#[test]
fn yarn_berry_formats() {
    // hand-written, yarn 4 style
    let lock = r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"@babel/code-frame@npm:^7.0.0, @babel/code-frame@npm:^7.16.7":
  version: 7.16.7
  resolution: "@babel/code-frame@npm:7.16.7"
  checksum: 10c0/abc
  languageName: node
  linkType: hard

"ansi-regex-cjs@npm:ansi-regex@^5.0.0":
  version: 5.0.1
  resolution: "ansi-regex@npm:5.0.1"

"resolve@npm:^1.22.1":
  version: 1.22.1
  resolution: "resolve@npm:1.22.1"

"resolve@patch:resolve@npm%3A^1.22.1#optional!builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#optional!builtin<compat/resolve>::version=1.22.1&hash=c3c19d"

"typescript@patch:typescript@npm%3A^5.0.0#optional!builtin<compat/typescript>":
  version: 5.4.5
  resolution: "typescript@patch:typescript@npm%3A5.4.5#optional!builtin<compat/typescript>::version=5.4.5&hash=5adc0c"

"local-patched@patch:local-patched@file%3A../lp#./fix.patch::locator=app%40workspace%3A.":
  version: 1.0.0
  resolution: "local-patched@patch:local-patched@file%3A../lp#./fix.patch::version=1.0.0&hash=1&locator=app%40workspace%3A."

"domino@https://github.com/angular/domino.git#f2435fe1f9f7c91ade0bd472c4723e5eacd7d19a":
  version: 2.1.6+git
  resolution: "domino@https://github.com/angular/domino.git#commit=f2435fe1f9f7c91ade0bd472c4723e5eacd7d19a"

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  languageName: unknown
  linkType: soft

"@ws/lib@workspace:^, @ws/lib@workspace:packages/lib":
  version: 0.0.0-use.local
  resolution: "@ws/lib@workspace:packages/lib"

"linked@link:../linked::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "linked@link:../linked::locator=app%40workspace%3A."

"portal@portal:../portal::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "portal@portal:../portal::locator=app%40workspace%3A."

"my-file@file:../my-file::locator=app%40workspace%3A.":
  version: 0.0.2
  resolution: "my-file@file:../my-file#../my-file::hash=351be1&locator=app%40workspace%3A."

"no-resolution@npm:^3.0.0":
  version: 3.1.0

"quoted@npm:^1.0.0":
  "version": 1.0.0
  "resolution": "quoted@npm:1.0.0"

"null-entry@npm:^1.0.0":
"#;
    insta::assert_snapshot!(listing(YARN, lock), @r"
    @babel/code-frame 7.16.7
    ansi-regex 5.0.1
    domino 2.1.6+git
    no-resolution 3.1.0
    quoted 1.0.0
    resolve 1.22.1
    typescript 5.4.5
    ");
}

#[test]
fn yarn_berry_malformed() {
    // hand-written
    let bad = "__metadata:\n  version: 6\n\"a@npm:1\":\n  version: [unclosed\n";
    let (pkgs, warnings) = run(YARN, bad);
    assert!(pkgs.is_empty());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("yarn.lock: "), "{warnings:?}");
}

#[test]
fn real_yarn_locks() {
    let s = real_listing("yarnlock/testdata/", YARN);
    insta::assert_snapshot!("real_yarn_lock", s);
}

// ---------------------------------------------------------------------------------------------
// pnpm-lock.yaml (hand-written)

const PNPM: &str = "app/pnpm-lock.yaml";

#[test]
fn pnpm_v5() {
    // hand-written, pnpm 7 (lockfile 5.4)
    let lock = r#"lockfileVersion: 5.4

specifiers:
  react-dom: ^18.0.0
  jest: ^29.0.0

dependencies:
  react-dom: 18.2.0_react@18.2.0

devDependencies:
  jest: 29.7.0

packages:

  /react-dom/18.2.0_react@18.2.0:
    resolution: {integrity: sha512-x}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
    dev: false

  /react/18.2.0:
    resolution: {integrity: sha512-x}
    dev: false

  /loose-envify/1.4.0:
    resolution: {integrity: sha512-x}

  /jest/29.7.0:
    resolution: {integrity: sha512-x}
    dev: true

  /@types/babel__core/7.20.5:
    resolution: {integrity: sha512-x}
    dev: true

  /@typescript-eslint/parser/5.13.0_eslint@8.10.0+typescript@4.6.2:
    resolution: {integrity: sha512-x}
    dev: true

  registry.example.com/private/1.0.0:
    resolution: {integrity: sha512-x, tarball: https://registry.example.com/private/-/private-1.0.0.tgz}
    dev: false

  github.com/o/gitdep/0123456789abcdef0123456789abcdef01234567:
    resolution: {commit: 0123456789abcdef0123456789abcdef01234567, repo: git+ssh://git@github.com/o/gitdep.git, type: git}
    name: gitdep
    version: 2.0.0
    dev: false

  file:packages/local:
    resolution: {directory: packages/local, type: directory}
    name: local
    version: 1.0.0
    dev: false
"#;
    insta::assert_snapshot!(listing(PNPM, lock), @r"
    @types/babel__core 7.20.5 dev
    @typescript-eslint/parser 5.13.0 dev
    gitdep 2.0.0
    jest 29.7.0 dev
    loose-envify 1.4.0
    private 1.0.0
    react 18.2.0
    react-dom 18.2.0
    ");
}

#[test]
fn pnpm_v6() {
    // hand-written, pnpm 8 (lockfile 6.0)
    let lock = r#"lockfileVersion: '6.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

dependencies:
  react-dom:
    specifier: ^18.2.0
    version: 18.2.0(react@18.2.0)

devDependencies:
  '@types/node':
    specifier: ^20.0.0
    version: 20.11.0

packages:

  /react-dom@18.2.0(react@18.2.0):
    resolution: {integrity: sha512-x}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      react: 18.2.0
    dev: false

  /react@18.2.0:
    resolution: {integrity: sha512-x}
    dev: false

  /@types/node@20.11.0:
    resolution: {integrity: sha512-x}
    dev: true

  /react-dom@18.0.0-rc.3(react@18.2.0)(typescript@5.0.0):
    resolution: {integrity: sha512-x}
    dev: true

  /undici-types@5.26.5:
    resolution: {integrity: sha512-x}
"#;
    insta::assert_snapshot!(listing(PNPM, lock), @r"
    @types/node 20.11.0 dev
    react 18.2.0
    react-dom 18.0.0-rc.3 dev
    react-dom 18.2.0
    undici-types 5.26.5
    ");
}

#[test]
fn pnpm_v9_dev_from_the_importers_graph() {
    // hand-written, pnpm 9 (lockfile 9.0), two importers (a workspace)
    let lock = r#"lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.2.0)
      string-width-cjs:
        specifier: npm:string-width@^4.2.0
        version: string-width@4.2.3
      lib:
        specifier: workspace:*
        version: link:packages/lib
    devDependencies:
      jest:
        specifier: ^29.0.0
        version: 29.7.0
      react:
        specifier: ^18.2.0
        version: 18.2.0

  packages/lib:
    optionalDependencies:
      fsevents:
        specifier: ^2.3.0
        version: 2.3.3
    devDependencies:
      '@types/node':
        specifier: ^20.0.0
        version: 20.11.0

packages:

  react-dom@18.2.0:
    resolution: {integrity: sha512-x}
    peerDependencies:
      react: ^18.2.0

  react@18.2.0:
    resolution: {integrity: sha512-x}

  loose-envify@1.4.0:
    resolution: {integrity: sha512-x}

  string-width@4.2.3:
    resolution: {integrity: sha512-x}

  jest@29.7.0:
    resolution: {integrity: sha512-x}

  jest-util@29.7.0:
    resolution: {integrity: sha512-x}

  fsevents@2.3.3:
    resolution: {integrity: sha512-x}

  '@types/node@20.11.0':
    resolution: {integrity: sha512-x}

  ansi-regex@https://codeload.github.com/chalk/ansi-regex/tar.gz/02fa893d619d3da85411acc8fd4e2eea0e95a9d9:
    resolution: {tarball: https://codeload.github.com/chalk/ansi-regex/tar.gz/02fa893d619d3da85411acc8fd4e2eea0e95a9d9}
    version: 6.0.1

  local@file:packages/local:
    resolution: {directory: packages/local, type: directory}
    version: 1.0.0

snapshots:

  react-dom@18.2.0(react@18.2.0):
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0

  react@18.2.0:
    dependencies:
      loose-envify: 1.4.0

  loose-envify@1.4.0: {}

  string-width@4.2.3: {}

  jest@29.7.0:
    dependencies:
      jest-util: 29.7.0
      string-width: 4.2.3
      ansi-regex: https://codeload.github.com/chalk/ansi-regex/tar.gz/02fa893d619d3da85411acc8fd4e2eea0e95a9d9

  jest-util@29.7.0: {}

  fsevents@2.3.3:
    optional: true

  '@types/node@20.11.0':
    dependencies:
      undici-types: 5.26.5

  undici-types@5.26.5: {}

  ansi-regex@https://codeload.github.com/chalk/ansi-regex/tar.gz/02fa893d619d3da85411acc8fd4e2eea0e95a9d9: {}

  local@file:packages/local: {}
"#;
    // react: a dev root but also a dependency of a production package → production;
    // string-width: production (through an alias) and under jest → production;
    // undici-types: only in `snapshots` (not in `packages`), under a dev root → dev.
    insta::assert_snapshot!(listing(PNPM, lock), @r"
    @types/node 20.11.0 dev
    ansi-regex 6.0.1 dev
    fsevents 2.3.3
    jest 29.7.0 dev
    jest-util 29.7.0 dev
    loose-envify 1.4.0
    react 18.2.0
    react-dom 18.2.0
    string-width 4.2.3
    undici-types 5.26.5 dev
    ");
}

#[test]
fn pnpm_malformed() {
    // hand-written
    for (bad, want) in [
        (
            "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: [unclosed\n",
            "pnpm-lock.yaml: ",
        ),
        ("just a string", "pnpm-lock.yaml: not a lockfile"),
        ("- a\n- b\n", "pnpm-lock.yaml: not a lockfile"),
        ("a: 1\n---\nb: 2\n", "pnpm-lock.yaml: "),
    ] {
        let (pkgs, warnings) = run(PNPM, bad);
        assert!(pkgs.is_empty(), "{bad}");
        assert_eq!(warnings.len(), 1, "{bad}: {warnings:?}");
        assert!(warnings[0].starts_with(want), "{bad}: {warnings:?}");
    }
    // empty and comment-only files: nothing, silently
    assert_eq!(listing(PNPM, ""), "");
    assert_eq!(listing(PNPM, "# nothing here\n\n"), "");
    // a `*` that is not an alias (quoted, or inside a plain scalar)
    let ok = "lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    peerDependencies:\n      b: '*'\n      c: '>=1 || *'\n";
    assert_eq!(listing(PNPM, ok), "a 1.0.0\n");
}

#[test]
fn real_pnpm_locks() {
    let s = real_listing("pnpmlock/testdata/", PNPM);
    insta::assert_snapshot!("real_pnpm_lock", s);
}

#[test]
fn real_osv_scanner_npm_and_yarn_locks() {
    let mut s = String::new();
    let mut n = 0;
    for (name, data) in osv_scanner_locks() {
        let file = name.rsplit('/').next().unwrap();
        let as_path = if file.ends_with("package-lock.json") {
            LOCK
        } else if file.ends_with("yarn.lock") {
            YARN
        } else {
            continue;
        };
        n += 1;
        let mut warnings = Vec::new();
        let pkgs = npm::parse(as_path, data, &mut warnings);
        writeln!(s, "== {name}").unwrap();
        s.push_str(&render(&pkgs, &warnings));
    }
    assert!(n >= 15, "{n}");
    insta::assert_snapshot!("real_osv_scanner_locks", s);
}

// ---------------------------------------------------------------------------------------------
// a real installed tree

/// Regular files under `dir` (symbolic links not followed), as image paths.
fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        if meta.is_dir() {
            walk(&e.path(), out);
        } else if meta.is_file() {
            out.push(e.path());
        }
    }
}

/// The global npm tree of this machine (`/usr/lib/node_modules`: npm itself and its bundled
/// dependencies, ~190 `package.json` files of which ~45 are not package roots) read the way
/// the image walker hands files to the cataloger, compared with what npm itself lists
/// (`npm ls -g --all --json`). Skipped (with a message) where Node.js is not installed.
#[test]
fn real_global_node_modules_matches_npm_ls() {
    let root = std::path::Path::new("/usr/lib/node_modules");
    let npm_ls = std::process::Command::new("npm")
        .args(["ls", "-g", "--all", "--json"])
        .current_dir(std::env::temp_dir())
        .output();
    let Ok(npm_ls) = npm_ls else {
        eprintln!("skipped: npm is not installed");
        return;
    };
    if !root.is_dir() {
        eprintln!("skipped: no {}", root.display());
        return;
    }
    fn flatten(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        if let Some(deps) = v.get("dependencies").and_then(|d| d.as_object()) {
            for (name, dep) in deps {
                if let Some(version) = dep.get("version").and_then(|v| v.as_str()) {
                    out.insert(format!("{name}@{version}"));
                }
                flatten(dep, out);
            }
        }
    }
    let listed: serde_json::Value = serde_json::from_slice(&npm_ls.stdout).unwrap();
    let mut want = std::collections::BTreeSet::new();
    flatten(&listed, &mut want);
    assert!(want.len() > 50, "npm ls: {want:?}");

    let mut files = Vec::new();
    walk(root, &mut files);
    let start = Instant::now();
    let mut got = std::collections::BTreeSet::new();
    let (mut wanted, mut package_jsons) = (0, 0);
    for f in &files {
        let image_path = f.to_str().unwrap().trim_start_matches('/');
        if image_path.ends_with("/package.json") {
            package_jsons += 1;
        }
        if !npm::wants(image_path, Scope::Image) {
            continue;
        }
        wanted += 1;
        let mut warnings = Vec::new();
        let pkgs = npm::parse(image_path, &std::fs::read(f).unwrap(), &mut warnings);
        assert!(warnings.is_empty(), "{image_path}: {warnings:?}");
        assert!(pkgs.len() <= 1);
        got.extend(pkgs.iter().map(|p| format!("{}@{}", p.name, p.version)));
    }
    assert_fast("global node_modules", start);
    assert!(
        package_jsons > wanted,
        "{package_jsons} package.json files, {wanted} wanted"
    );
    assert_eq!(got, want);
}

// ---------------------------------------------------------------------------------------------
// hostile inputs

fn assert_fast(what: &str, start: Instant) {
    let took = start.elapsed();
    assert!(took < Duration::from_secs(10), "{what}: {took:?}");
}

#[test]
fn hostile_deep_nesting() {
    let deep_array = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let deep_obj = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    // v1 dependencies nested 10,000 levels deep: read by recursive visitors
    let mut v1 = String::from(r#"{"lockfileVersion":1,"dependencies":"#);
    for i in 0..10_000 {
        write!(v1, r#"{{"p{i}":{{"version":"1.0.0","dependencies":"#).unwrap();
    }
    v1.push_str("{}");
    v1.push_str(&"}}".repeat(10_000));
    v1.push('}');
    let cases: Vec<(&str, String, Option<&str>, usize)> = vec![
        // (path, input, warning it contains, packages)
        (
            PJ,
            deep_array(100_000),
            Some("expected a package.json object"),
            0,
        ),
        // ignored values are skipped without recursion: no warning
        (PJ, deep_obj(100_000), None, 0),
        (
            PJ,
            format!(
                r#"{{"name":"x","version":"1.0.0","extra":{}}}"#,
                deep_array(100_000)
            ),
            None,
            1,
        ),
        (
            PJ,
            format!(
                r#"{{"name":"x","version":"1.0.0","licenses":{}}}"#,
                deep_array(100_000)
            ),
            Some("recursion limit exceeded"),
            0,
        ),
        (
            LOCK,
            deep_array(100_000),
            Some("expected a package-lock.json object"),
            0,
        ),
        (LOCK, deep_obj(100_000), None, 0),
        (
            LOCK,
            format!(
                r#"{{"packages":{{"node_modules/a":{{"version":"1.0.0","x":{}}}}}}}"#,
                deep_array(100_000)
            ),
            None,
            1,
        ),
        (LOCK, v1.clone(), Some("recursion limit exceeded"), 63),
        // deep flow collections make the YAML parser quadratic: refused
        (
            PNPM,
            format!("lockfileVersion: '9.0'\npackages: {}\n", deep_array(50_000)),
            Some("nested too deep"),
            0,
        ),
        (
            PNPM,
            format!(
                "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {{x: {}}}\n",
                "[\n".repeat(50_000)
            ),
            Some("nested too deep"),
            0,
        ),
        (
            YARN,
            format!(
                "__metadata:\n  version: 8\na: {}{}\n",
                "{a: ".repeat(50_000),
                "}".repeat(50_000)
            ),
            Some("nested too deep"),
            0,
        ),
        // up to the limit: parsed
        (
            PNPM,
            format!(
                "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {{x: {}}}\n",
                deep_array(60)
            ),
            None,
            1,
        ),
        (
            YARN,
            format!(
                "__metadata:\n  version: 8\n\"a@npm:1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  x: {}\n",
                deep_array(60)
            ),
            None,
            1,
        ),
        // deep block nesting (indentation; the input grows with the square of the depth) in an
        // ignored field: skipped without recursion
        (
            PNPM,
            format!(
                "lockfileVersion: '9.0'\nx:\n{}",
                (1..2000)
                    .map(|i| format!("{}k:\n", " ".repeat(i)))
                    .collect::<String>()
            ),
            None,
            0,
        ),
    ];
    for (path, input, warning, count) in cases {
        let start = Instant::now();
        let (pkgs, warnings) = run(path, &input);
        match warning {
            Some(w) => {
                assert_eq!(warnings.len(), 1, "{path}: {warnings:?}");
                assert!(warnings[0].contains(w), "{path}: {warnings:?}");
            }
            None => assert!(warnings.is_empty(), "{path}: {warnings:?}"),
        }
        assert_eq!(pkgs.len(), count, "{path}: {:?}", ids(&pkgs));
        assert_fast(path, start);
    }
}

#[test]
fn hostile_yaml_alias_bomb_refused() {
    let mut bomb = String::from(
        "x0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..12 {
        let p = i - 1;
        writeln!(
            bomb,
            "x{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]"
        )
        .unwrap();
    }
    bomb.push_str("packages:\n  a@1.0.0: *a11\n");
    let start = Instant::now();
    let (pkgs, warnings) = run(PNPM, &format!("lockfileVersion: '9.0'\n{bomb}"));
    assert!(pkgs.is_empty());
    assert_eq!(
        warnings,
        ["pnpm-lock.yaml: YAML aliases are not used in lockfiles; file ignored"]
    );
    let (pkgs, warnings) = run(YARN, &format!("__metadata:\n  version: 8\n{bomb}"));
    assert!(pkgs.is_empty());
    assert_eq!(
        warnings,
        ["yarn.lock: YAML aliases are not used in lockfiles; file ignored"]
    );
    assert_fast("alias bomb", start);
}

#[test]
fn hostile_huge_lines_and_garbage() {
    let long = "x".repeat(8 << 20);
    let yarn_long = format!("a@^1:\n  version \"{long}\"\n{long}:\n  version \"1\"\n\"{long}");
    let start = Instant::now();
    let (pkgs, warnings) = run(YARN, &yarn_long);
    assert_eq!(pkgs.len(), 2);
    assert_eq!(pkgs[0].name, "a");
    assert_eq!(pkgs[0].version.len(), 8 << 20);
    assert_eq!(pkgs[1].name.len(), 8 << 20);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_fast("yarn long lines", start);

    let pj_long = format!(r#"{{"name":"a","version":"1.0.0","description":"{long}"}}"#);
    let start = Instant::now();
    assert_eq!(listing(PJ, &pj_long), "a 1.0.0\n");
    assert_fast("package.json long string", start);

    // binary garbage in every format
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for path in [PJ, LOCK, YARN, PNPM] {
        let mut warnings = Vec::new();
        let start = Instant::now();
        let pkgs = npm::parse(path, &garbage, &mut warnings);
        assert!(pkgs.is_empty(), "{path}");
        assert_eq!(warnings.len(), 1, "{path}: {warnings:?}");
        assert_fast(path, start);
    }
    // a yarn v1 file with invalid UTF-8 in one entry still gives the others
    let mut bytes = b"a@^1:\n  version \"1.0.0\"\n".to_vec();
    bytes.extend_from_slice(b"b\xff@^1:\n  version \"2.0.0\"\n");
    let mut warnings = Vec::new();
    let pkgs = npm::parse(YARN, &bytes, &mut warnings);
    assert_eq!(ids(&pkgs), ["a@1.0.0", "b\u{fffd}@2.0.0"]);
}

#[test]
fn large_inputs_are_fast() {
    // a 20,000-package lockfile and 20,000 package.json files: the scale of a real monorepo
    let mut lock = String::from(r#"{"lockfileVersion":3,"packages":{"":{"name":"big"}"#);
    for i in 0..20_000 {
        write!(
            lock,
            r#","node_modules/p{i}":{{"version":"1.0.{i}","resolved":"https://example.invalid/p{i}.tgz","integrity":"sha512-{i}","license":"MIT","dependencies":{{"a":"^1"}},"engines":{{"node":">=8"}}}}"#
        )
        .unwrap();
    }
    lock.push_str("}}");
    let start = Instant::now();
    let (pkgs, warnings) = run(LOCK, &lock);
    assert!(warnings.is_empty());
    assert_eq!(pkgs.len(), 20_000);
    assert_fast("20k package-lock", start);

    let pj = r#"{"name":"@scope/some-package","version":"1.2.3","description":"A package","main":"index.js","scripts":{"test":"mocha"},"repository":{"type":"git","url":"git+https://example.invalid/x.git"},"keywords":["a","b","c"],"author":"Someone <s@example.invalid>","license":"MIT","dependencies":{"a":"^1.0.0","b":"^2.0.0"},"devDependencies":{"mocha":"^10"},"engines":{"node":">=14"}}"#;
    let start = Instant::now();
    let mut total = 0;
    for _ in 0..20_000 {
        let mut w = Vec::new();
        total += npm::parse(PJ, pj.as_bytes(), &mut w).len();
    }
    assert_eq!(total, 20_000);
    assert_fast("20k package.json", start);

    let mut yarn = String::from("# yarn lockfile v1\n\n");
    let mut pnpm = String::from(
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    devDependencies:\n      p0:\n        specifier: ^1\n        version: 1.0.0\n\npackages:\n\n",
    );
    let mut snaps = String::from("\nsnapshots:\n\n");
    for i in 0..20_000 {
        write!(
            yarn,
            "p{i}@^1.0.0, p{i}@^1.0.1:\n  version \"1.0.{i}\"\n  resolved \"https://example.invalid/p{i}.tgz\"\n  integrity sha512-x\n  dependencies:\n    a \"^1\"\n\n"
        )
        .unwrap();
        write!(
            pnpm,
            "  p{i}@1.0.0:\n    resolution: {{integrity: sha512-x}}\n\n"
        )
        .unwrap();
        write!(
            snaps,
            "  p{i}@1.0.0:\n    dependencies:\n      p{}: 1.0.0\n\n",
            i + 1
        )
        .unwrap();
    }
    pnpm.push_str(&snaps);
    let start = Instant::now();
    let (pkgs, warnings) = run(YARN, &yarn);
    assert!(warnings.is_empty());
    assert_eq!(pkgs.len(), 20_000);
    assert_fast("20k yarn", start);
    let start = Instant::now();
    let (pkgs, warnings) = run(PNPM, &pnpm);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(pkgs.len(), 20_000);
    // a 20,000-long dependency chain from a dev root: all dev
    assert!(pkgs.iter().all(|p| p.dev));
    assert_fast("20k pnpm", start);
}
