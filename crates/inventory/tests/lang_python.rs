//! Python cataloger: hand-written fixtures for every format, the peer scanners' real fixtures
//! from `../shared/fixtures` (read straight out of the tar.gz bundles into memory, never copied
//! into the repository), and hostile inputs.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use drydock_inventory::lang::{LangPackage, Scope, python};

// ------------------------------------------------------------------------------------------------
// helpers

/// Files of a fixture bundle under the given prefixes, by path inside the bundle.
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

const SCALIBR_PY: &str = "extractor/filesystem/language/python/";
const OSV_SCANNER: &str = "cmd/osv-scanner/scan/source/testdata/";

fn scalibr() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| load_bundle("osv-scalibr-extractor-testdata.tar.gz", &[SCALIBR_PY]))
}

fn osv_scanner() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        load_bundle(
            "osv-scanner-lockfile-fixtures.tar.gz",
            &[
                "cmd/osv-scanner/scan/source/testdata/locks-requirements/",
                "cmd/osv-scanner/scan/source/testdata/locks-scalibr/uv.lock",
            ],
        )
    })
}

/// One package per line: `name version [dev] [license=…]`, then `! warning` lines.
fn render(pkgs: &[LangPackage], warnings: &[String]) -> String {
    let mut s = String::new();
    for p in pkgs {
        s.push_str(&p.name);
        s.push(' ');
        s.push_str(&p.version);
        if p.dev {
            s.push_str(" dev");
        }
        if let Some(l) = &p.license {
            s.push_str(&format!(" license={l}"));
        }
        assert_eq!(p.ecosystem, drydock_inventory::lang::Ecosystem::Pypi);
        assert!(p.inner_path.is_none());
        s.push('\n');
    }
    for w in warnings {
        s.push_str(&format!("! {w}\n"));
    }
    s
}

fn run(path: &str, content: &[u8]) -> String {
    let mut warnings = Vec::new();
    let pkgs = python::parse(path, content, &mut warnings);
    render(&pkgs, &warnings)
}

/// Parse every bundle file under `dir` as if it were at `as_path` (the file-name based
/// dispatch needs the real name); one section per file.
fn run_dir(
    files: &BTreeMap<String, Vec<u8>>,
    dir: &str,
    as_path: impl Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    let mut n = 0;
    for (name, content) in files.range(dir.to_string()..) {
        let Some(rel) = name.strip_prefix(dir) else {
            break;
        };
        n += 1;
        out.push_str(&format!("== {rel}\n{}", run(&as_path(rel), content)));
    }
    assert!(n > 0, "no fixtures under {dir}");
    out
}

// ------------------------------------------------------------------------------------------------
// installed metadata

/// Hand-written: a wheel METADATA 2.4 with License-Expression, duplicated headers, a body.
const METADATA_24: &str = "Metadata-Version: 2.4\r\n\
Name: Django\r\n\
Version: 4.2.7\r\n\
Summary: A high-level Python web framework\r\n\
License-Expression: BSD-3-Clause\r\n\
License: BSD\r\n\
Name: not-this-one\r\n\
Requires-Dist: asgiref<4,>=3.6.0\r\n\
\r\n\
Name: body-is-not-headers\r\n\
Version: 0\r\n";

/// Hand-written: old distutils PKG-INFO (metadata 1.0) whose License field is the licence
/// text over several lines, and continuation lines in Description.
const PKG_INFO_10: &str = "Metadata-Version: 1.0
Name: python-apt
Version: 2.4.0+ubuntu1
License: Copyright (c) 2005 Foo
        Permission is hereby granted, free of charge
Description: first line
        second line
        Version: 9.9 (inside a continuation)
Platform: UNKNOWN
";

#[test]
fn metadata_hand_written() {
    insta::assert_snapshot!(
        "metadata_hand_written",
        [
            run(
                "usr/lib/python3/dist-packages/Django-4.2.7.dist-info/METADATA",
                METADATA_24.as_bytes()
            ),
            run(
                "usr/lib/python3/dist-packages/python_apt-2.4.0.egg-info",
                PKG_INFO_10.as_bytes()
            ),
            // Hand-written: License: UNKNOWN is no licence; lowercase keys; UTF-8 BOM.
            run(
                "usr/lib/python3/site-packages/foo-1.0-py3.8.egg/EGG-INFO/PKG-INFO",
                "\u{feff}metadata-version: 2.1\nname: foo\nversion: 1.0\nlicense: UNKNOWN\n"
                    .as_bytes()
            ),
            // Hand-written: no version header.
            run(
                "x/foo.egg-info/PKG-INFO",
                b"Metadata-Version: 2.1\nName: foo\n\nVersion: 1\n"
            ),
            // Hand-written: a header line without a colon ends the headers (as in Python's email).
            run(
                "x/bar.dist-info/METADATA",
                b"Name: bar\nnot a header\nVersion: 1.0\n"
            ),
            // Hand-written: Latin-1 bytes in a header do not stop the parse.
            run(
                "x/baz.dist-info/METADATA",
                b"Name: baz\nAuthor: Fran\xe7ois\nVersion: 0.1\n"
            ),
        ]
        .join("--\n")
    );
}

#[test]
fn metadata_real_fixtures() {
    let dir = format!("{SCALIBR_PY}wheelegg/testdata/");
    let out = run_dir(scalibr(), &dir, |rel| {
        if rel.ends_with(".whl") || rel.ends_with(".egg") {
            // zipped archives are not installed metadata: make sure they are not mistaken for it
            format!("x/{rel}")
        } else {
            format!("usr/lib/python3/site-packages/{rel}.dist-info/METADATA")
        }
    });
    insta::assert_snapshot!("metadata_real_fixtures", out);
}

// ------------------------------------------------------------------------------------------------
// requirements.txt

/// Hand-written: every rule of the requirements format we implement.
const REQUIREMENTS: &str = r#"# comment line
--index-url https://example.invalid/simple
-r base.txt
-c constraints.txt
-e git+https://example.invalid/repo.git#egg=editable
Flask==2.0.1 # trailing comment
requests[security,socks] == 2.25.1 ; python_version >= "3"
Django===4.2.post1
numpy==1.21.* # wildcard: not pinned
pandas>=1.3,<2
scipy
urllib3 @ https://example.invalid/urllib3-1.26.8.zip
./local/pkg
/abs/path/pkg-1.0.tar.gz
pkg-1.0-py3-none-any.whl
http://example.invalid/x-1.0.whl
six==1.16.0 \
    --hash=sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926 \
    --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254
attrs \
    ==21.2.0
PyYAML==${PYYAML_VERSION}
Jinja2 (==3.0.1)
MarkupSafe>=2.0,==2.0.1
idna==3.2; python_version < "3.10" --hash=sha256:abc
bogus line here
==1.0
foo==
Flask==2.0.1
"#;

#[test]
fn requirements_hand_written() {
    insta::assert_snapshot!(
        "requirements_hand_written",
        run("app/requirements.txt", REQUIREMENTS.as_bytes())
    );
}

#[test]
fn requirements_real_fixtures() {
    let dir = format!("{SCALIBR_PY}requirements/testdata/");
    let mut out = run_dir(scalibr(), &dir, |rel| format!("app/requirements/{rel}"));
    out.push_str(&run_dir(
        osv_scanner(),
        &format!("{OSV_SCANNER}locks-requirements/"),
        |rel| format!("app/{rel}"),
    ));
    insta::assert_snapshot!("requirements_real_fixtures", out);
}

// ------------------------------------------------------------------------------------------------
// poetry.lock

/// Hand-written: lock format 1.x (`category`) next to a 2.x package (`groups`).
const POETRY_MIXED: &str = r#"
[[package]]
name = "certifi"
version = "2021.10.8"
category = "main"
optional = false

[[package]]
name = "pytest"
version = "6.2.5"
category = "dev"
optional = false

[[package]]
name = "black"
version = "23.1.0"
groups = ["lint", "dev"]

[[package]]
name = "six"
version = "1.16.0"
groups = ["main", "dev"]

[[package]]
name = "weird"
version = 1.0

[[package]]
name = "mypackage"
version = "0.1.0"
develop = true

[package.source]
type = "directory"
url = "../mypackage"

[metadata]
lock-version = "1.1"
"#;

#[test]
fn poetry_hand_written() {
    insta::assert_snapshot!(
        "poetry_hand_written",
        run("poetry.lock", POETRY_MIXED.as_bytes())
    );
}

#[test]
fn poetry_real_fixtures() {
    let dir = format!("{SCALIBR_PY}poetrylock/testdata/");
    insta::assert_snapshot!(
        "poetry_real_fixtures",
        run_dir(scalibr(), &dir, |_| "src/poetry.lock".into())
    );
}

// ------------------------------------------------------------------------------------------------
// Pipfile.lock

/// Hand-written: default + develop, a VCS entry, an unpinned entry, a non-string version.
const PIPFILE_LOCK: &str = r#"{
  "_meta": {"pipfile-spec": 6},
  "default": {
    "requests": {"version": "==2.26.0", "hashes": ["sha256:x"]},
    "pkg-git": {"git": "https://example.invalid/pkg.git", "ref": "abc", "editable": true},
    "star": {"version": "*"},
    "num": {"version": 3},
    "urllib3": {"version": "==1.26.7", "markers": "python_version >= '2.7'"}
  },
  "develop": {
    "pytest": {"version": "==6.2.5"},
    "urllib3": {"version": "==1.26.7"}
  }
}"#;

#[test]
fn pipfile_lock_hand_written() {
    insta::assert_snapshot!(
        "pipfile_lock_hand_written",
        run("Pipfile.lock", PIPFILE_LOCK.as_bytes())
    );
}

#[test]
fn pipfile_lock_real_fixtures() {
    let dir = format!("{SCALIBR_PY}pipfilelock/testdata/");
    insta::assert_snapshot!(
        "pipfile_lock_real_fixtures",
        run_dir(scalibr(), &dir, |_| "src/Pipfile.lock".into())
    );
}

// ------------------------------------------------------------------------------------------------
// uv.lock

/// Hand-written: a workspace (virtual root + editable member), dev groups, an extra, a package
/// locked at two versions, a dependency pinned to one of them.
const UV_LOCK: &str = r#"
version = 1
requires-python = ">=3.9"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "lib" }, { name = "httpx" }]

[package.optional-dependencies]
socks = [{ name = "socksio" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }, { name = "httpx" }]
lint = [{ name = "ruff" }]

[[package]]
name = "lib"
version = "0.2.0"
source = { editable = "packages/lib" }
dependencies = [{ name = "numpy", version = "2.0.0", marker = "python_version >= '3.10'" }]

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://example.invalid/simple" }
dependencies = [{ name = "idna" }]

[[package]]
name = "idna"
version = "3.7"
source = { registry = "https://example.invalid/simple" }

[[package]]
name = "socksio"
version = "1.0.0"
source = { registry = "https://example.invalid/simple" }

[[package]]
name = "pytest"
version = "8.2.0"
source = { registry = "https://example.invalid/simple" }
dependencies = [{ name = "pluggy" }, { name = "idna" }]

[[package]]
name = "pluggy"
version = "1.5.0"
source = { registry = "https://example.invalid/simple" }

[[package]]
name = "ruff"
version = "0.4.4"
source = { git = "https://example.invalid/ruff?rev=abc#abc" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://example.invalid/simple" }

[[package]]
name = "numpy"
version = "2.0.0"
source = { registry = "https://example.invalid/simple" }

[[package]]
name = "orphan"
version = "1.0"
source = { registry = "https://example.invalid/simple" }
"#;

#[test]
fn uv_lock_hand_written() {
    insta::assert_snapshot!("uv_lock_hand_written", run("uv.lock", UV_LOCK.as_bytes()));
}

#[test]
fn uv_lock_real_fixtures() {
    let dir = format!("{SCALIBR_PY}uvlock/testdata/");
    let mut out = run_dir(scalibr(), &dir, |_| "src/uv.lock".into());
    out.push_str(&run_dir(
        osv_scanner(),
        &format!("{OSV_SCANNER}locks-scalibr/"),
        |_| "src/uv.lock".into(),
    ));
    insta::assert_snapshot!("uv_lock_real_fixtures", out);
}

// ------------------------------------------------------------------------------------------------
// pdm.lock

/// Hand-written: default, dev-named groups, an optional (extras) group, several groups.
const PDM_LOCK: &str = r#"
[metadata]
groups = ["default", "test", "socks", "docs"]
lock_version = "4.4"

[[package]]
name = "requests"
version = "2.31.0"
groups = ["default", "test"]

[[package]]
name = "pytest"
version = "8.0.0"
groups = ["test"]

[[package]]
name = "pysocks"
version = "1.7.1"
groups = ["socks"]

[[package]]
name = "sphinx"
version = "7.2.6"
groups = ["docs", "socks"]

[[package]]
name = "nogroups"
version = "0.1"
"#;

#[test]
fn pdm_lock_hand_written() {
    insta::assert_snapshot!(
        "pdm_lock_hand_written",
        run("pdm.lock", PDM_LOCK.as_bytes())
    );
}

#[test]
fn pdm_lock_real_fixtures() {
    let dir = format!("{SCALIBR_PY}pdmlock/testdata/");
    insta::assert_snapshot!(
        "pdm_lock_real_fixtures",
        run_dir(scalibr(), &dir, |_| "src/pdm.lock".into())
    );
}

// ------------------------------------------------------------------------------------------------
// dispatch through the lang module

#[test]
fn dispatch_respects_scope() {
    use drydock_inventory::lang;
    let req = b"flask==2.0.1\n";
    assert!(lang::wants("app/requirements.txt", Scope::Fs));
    assert!(!lang::wants("app/requirements.txt", Scope::Image));
    let mut w = Vec::new();
    let pkgs = lang::parse("app/requirements.txt", req, Scope::Fs, &mut w);
    assert_eq!(
        pkgs,
        vec![LangPackage::new(lang::Ecosystem::Pypi, "flask", "2.0.1")]
    );
    let pkgs = lang::parse("app/requirements.txt", req, Scope::Image, &mut w);
    assert!(pkgs.is_empty());
    assert!(w.is_empty());
}

// ------------------------------------------------------------------------------------------------
// hostile inputs

fn assert_fast(
    what: &str,
    f: impl FnOnce() -> (Vec<LangPackage>, Vec<String>),
) -> (Vec<LangPackage>, Vec<String>) {
    let t = Instant::now();
    let r = f();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "{what} took {:?}",
        t.elapsed()
    );
    r
}

fn parse(path: &str, content: &[u8]) -> (Vec<LangPackage>, Vec<String>) {
    let mut w = Vec::new();
    let p = python::parse(path, content, &mut w);
    (p, w)
}

#[test]
fn hostile_deep_nesting() {
    let deep_toml = format!(
        "[[package]]\nname = \"a\"\nversion = \"1\"\nx = {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    for path in ["poetry.lock", "uv.lock", "pdm.lock"] {
        let (p, w) = assert_fast(path, || parse(path, deep_toml.as_bytes()));
        assert!(p.is_empty(), "{path}");
        assert_eq!(w.len(), 1, "{path}: {w:?}");
    }
    let deep_inline = format!(
        "[[package]]\nname = \"a\"\nversion = \"1\"\nx = {}1{}\n",
        "{a = ".repeat(50_000),
        "}".repeat(50_000)
    );
    let (p, w) = assert_fast("inline tables", || {
        parse("poetry.lock", deep_inline.as_bytes())
    });
    assert!(p.is_empty());
    assert_eq!(w.len(), 1);
    let deep_json = format!(
        "{{\"default\": {{\"a\": {{\"version\": \"==1\", \"x\": {}{}}}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // serde_json skips unknown values without recursing: the package is still read.
    let (p, w) = assert_fast("Pipfile.lock", || {
        parse("Pipfile.lock", deep_json.as_bytes())
    });
    assert_eq!(
        p,
        vec![LangPackage::new(
            drydock_inventory::lang::Ecosystem::Pypi,
            "a",
            "1"
        )]
    );
    assert!(w.is_empty(), "{w:?}");
    // ... but a deep value where a package is expected is an error, not a stack overflow.
    let deep_json = format!(
        "{{\"default\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (p, w) = assert_fast("Pipfile.lock", || {
        parse("Pipfile.lock", deep_json.as_bytes())
    });
    assert!(p.is_empty());
    assert_eq!(w.len(), 1, "{w:?}");
}

#[test]
fn hostile_truncated_and_garbage() {
    let poetry = POETRY_MIXED.as_bytes();
    for path in ["poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock"] {
        for cut in [1, 10, 57, 200] {
            let (_, w) = parse(path, &poetry[..cut.min(poetry.len())]);
            assert!(w.len() <= 1, "{path}: {w:?}");
        }
        let (p, w) = parse(path, b"\x00\xff\xfe garbage \x01");
        assert!(p.is_empty());
        assert_eq!(w.len(), 1, "{path}: {w:?}");
    }
    let pipfile = PIPFILE_LOCK.as_bytes();
    let (p, w) = parse("Pipfile.lock", &pipfile[..pipfile.len() / 2]);
    assert!(p.is_empty());
    assert_eq!(w.len(), 1);
    // Truncated metadata keeps what was read.
    let (p, w) = parse("x/a.dist-info/METADATA", &METADATA_24.as_bytes()[..49]);
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].name.as_str(), p[0].version.as_str()),
        ("Django", "4.2")
    );
    assert!(w.is_empty());
    let (p, w) = parse("x/a.dist-info/METADATA", b"\x00\x01\x02");
    assert!(p.is_empty());
    assert_eq!(w.len(), 1);
}

#[test]
fn hostile_huge_inputs() {
    // 200k invalid requirement lines: warnings are capped.
    let many_bad = "this is not a requirement\n".repeat(200_000);
    let (p, w) = assert_fast("bad requirements", || {
        parse("requirements.txt", many_bad.as_bytes())
    });
    assert!(p.is_empty());
    assert_eq!(w.len(), 21);
    assert_eq!(
        w.last().unwrap(),
        "further warnings for this file suppressed"
    );
    // One 5 MB line, and a 2 MB continuation chain.
    let huge = format!("flask=={}\n", "1".repeat(5_000_000));
    let (p, _) = assert_fast("huge line", || parse("requirements.txt", huge.as_bytes()));
    assert_eq!(p.len(), 1);
    let chain = "\\\n".repeat(1_000_000);
    let (p, w) = assert_fast("continuations", || {
        parse("requirements.txt", chain.as_bytes())
    });
    assert!(p.is_empty() && w.is_empty());
    // Many packages: 100k distinct ones in a poetry.lock.
    let mut big = String::new();
    for i in 0..100_000 {
        big.push_str(&format!(
            "[[package]]\nname = \"p{i}\"\nversion = \"1.{i}\"\ncategory = \"main\"\n\n"
        ));
    }
    let (p, w) = assert_fast("big poetry.lock", || parse("poetry.lock", big.as_bytes()));
    assert_eq!(p.len(), 100_000);
    assert!(w.is_empty());
    // A metadata file whose header block never ends.
    let endless = format!(
        "Name: x\nVersion: 1\n{}",
        "Classifier: y\n".repeat(1_000_000)
    );
    let (p, _) = assert_fast("endless headers", || {
        parse("x/x.dist-info/METADATA", endless.as_bytes())
    });
    assert_eq!(p.len(), 1);
}

#[test]
fn uv_dependency_cycles_terminate() {
    // Hand-written: a cycle between packages reachable only from dev.
    let lock = r#"
[[package]]
name = "root"
version = "0"
source = { editable = "." }
[package.dev-dependencies]
dev = [{ name = "a" }]

[[package]]
name = "a"
version = "1"
dependencies = [{ name = "b" }]

[[package]]
name = "b"
version = "1"
dependencies = [{ name = "a" }, { name = "missing" }]
"#;
    let (p, w) = parse("uv.lock", lock.as_bytes());
    assert!(w.is_empty());
    let got: Vec<_> = p.iter().map(|p| (p.name.as_str(), p.dev)).collect();
    assert_eq!(got, vec![("a", true), ("b", true)]);

    // Hand-written, generated: 20k versions of one name, each depending on the name without a
    // version and on the next version — resolution stays linear.
    let mut big = String::from(
        "[[package]]\nname = \"root\"\nversion = \"0\"\nsource = { virtual = \".\" }\n\
         [package.dev-dependencies]\ndev = [{ name = \"a\", version = \"0\" }]\n\n",
    );
    for i in 0..20_000 {
        big.push_str(&format!(
            "[[package]]\nname = \"a\"\nversion = \"{i}\"\n\
             dependencies = [{{ name = \"a\" }}, {{ name = \"a\", version = \"{}\" }}]\n\n",
            i + 1
        ));
    }
    let (p, w) = assert_fast("uv fan-out", || parse("uv.lock", big.as_bytes()));
    assert!(w.is_empty());
    assert_eq!(p.len(), 20_000);
    assert!(p.iter().all(|p| p.dev));
}
