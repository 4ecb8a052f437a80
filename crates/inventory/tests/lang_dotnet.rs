//! .NET (NuGet) cataloger: hand-written deps.json, packages.lock.json and packages.config, the
//! peer scanners' real fixtures from `../shared/fixtures` (read straight out of the tar.gz
//! bundles into memory, never copied into the repository), and hostile inputs.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use drydock_inventory::lang::{Ecosystem, LangPackage, Scope, dotnet};

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

const SCALIBR_DOTNET: &str = "extractor/filesystem/language/dotnet/";
const OSV_SCALIBR_LOCKS: &str = "cmd/osv-scanner/scan/source/testdata/locks-scalibr/";

fn scalibr() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| load_bundle("osv-scalibr-extractor-testdata.tar.gz", &[SCALIBR_DOTNET]))
}

fn osv_scanner() -> &'static BTreeMap<String, Vec<u8>> {
    static FILES: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| load_bundle("osv-scanner-lockfile-fixtures.tar.gz", &[OSV_SCALIBR_LOCKS]))
}

fn render(pkgs: &[LangPackage], warnings: &[String]) -> String {
    let mut s = String::new();
    for p in pkgs {
        assert_eq!(p.ecosystem, Ecosystem::Nuget);
        assert!(p.inner_path.is_none() && p.license.is_none());
        s.push_str(&format!("{} {}", p.name, p.version));
        if p.dev {
            s.push_str(" dev");
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
    let p = dotnet::parse(path, content, &mut w);
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

/// Hand-written deps.json of a self-contained app: project, package, reference, runtimepack
/// entries, a BOM, a key without a version, a non-string type.
const DEPS_JSON: &str = "\u{feff}{
  \"runtimeTarget\": {\"name\": \".NETCoreApp,Version=v8.0/linux-x64\", \"signature\": \"\"},
  \"targets\": {
    \".NETCoreApp,Version=v8.0\": {},
    \".NETCoreApp,Version=v8.0/linux-x64\": {
      \"MyApp/1.0.0\": {\"dependencies\": {\"Newtonsoft.Json\": \"13.0.1\"}, \"runtime\": {\"MyApp.dll\": {}}},
      \"Newtonsoft.Json/13.0.1\": {\"runtime\": {\"lib/net6.0/Newtonsoft.Json.dll\": {}}}
    }
  },
  \"libraries\": {
    \"MyApp/1.0.0\": {\"type\": \"project\", \"serviceable\": false, \"sha512\": \"\"},
    \"Shared.Lib/2.0.0\": {\"type\": \"project\"},
    \"Newtonsoft.Json/13.0.1\": {\"type\": \"package\", \"serviceable\": true, \"sha512\": \"sha512-x\", \"path\": \"newtonsoft.json/13.0.1\"},
    \"System.Text.Json/6.0.0\": {\"type\": \"package\", \"serviceable\": true},
    \"Microsoft.NETCore.App.Ref/8.0.0\": {\"type\": \"reference\"},
    \"runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.1\": {\"type\": \"runtimepack\", \"serviceable\": false},
    \"NoVersion\": {\"type\": \"package\"},
    \"Odd/1.0\": {\"type\": 7}
  }
}";

/// Hand-written packages.lock.json: two frameworks (one with a RID), Project entries,
/// CentralTransitive, a dependency locked in both frameworks, one at another version.
const PACKAGES_LOCK: &str = r#"{
  "version": 2,
  "dependencies": {
    "net6.0": {
      "Serilog": {"type": "Direct", "requested": "[2.10.0, )", "resolved": "2.10.0", "contentHash": "x"},
      "Serilog.Sinks.File": {"type": "CentralTransitive", "requested": "[5.0.0, )", "resolved": "5.0.0"},
      "System.Memory": {"type": "Transitive", "resolved": "4.5.4"},
      "my.library": {"type": "Project", "dependencies": {"Serilog": "[2.10.0, )"}},
      "Broken": {"type": "Transitive"}
    },
    "net8.0": {
      "Serilog": {"type": "Direct", "requested": "[2.10.0, )", "resolved": "2.10.0"},
      "System.Memory": {"type": "Transitive", "resolved": "4.5.5"}
    },
    "net8.0/linux-x64": {
      "runtime.linux-x64.Microsoft.DotNet.ILCompiler": {"type": "Direct", "resolved": "8.0.1"}
    }
  }
}"#;

/// Hand-written packages.config: comments, single quotes, entities, dev dependency.
const PACKAGES_CONFIG: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<!-- <package id="Commented.Out" version="9.9.9" /> -->
<packages>
  <package id="EntityFramework" version="6.4.4" targetFramework="net472" />
  <package id='jQuery' version='3.5.1' targetFramework='net472'/>
  <package id="A&amp;B" version="1.0.0"></package>
  <package
      id="StyleCop.Analyzers"
      version="1.1.118"
      developmentDependency="true" />
  <package id="NoVersion" />
  <packageSource id="not-a-package" version="1" />
</packages>
"#;

#[test]
fn hand_written() {
    let mut utf16 = vec![0xFF, 0xFE];
    for u in PACKAGES_CONFIG.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let out = [
        format!(
            "== deps.json\n{}",
            run("app/MyApp.deps.json", DEPS_JSON.as_bytes())
        ),
        format!(
            "== packages.lock.json\n{}",
            run("src/packages.lock.json", PACKAGES_LOCK.as_bytes())
        ),
        format!(
            "== packages.config\n{}",
            run("src/packages.config", PACKAGES_CONFIG.as_bytes())
        ),
        format!(
            "== packages.config (UTF-16)\n{}",
            run("src/packages.config", &utf16)
        ),
    ];
    insta::assert_snapshot!("hand_written", out.concat());
}

#[test]
fn real_fixtures() {
    let mut out = String::new();
    let as_path = |name: &str| -> Option<&'static str> {
        if name.contains("/depsjson") {
            Some("app/App.deps.json")
        } else if name.contains("packageslockjson/") || name.ends_with("packages.lock.json") {
            Some("src/packages.lock.json")
        } else if name.contains("packagesconfig/") || name.ends_with("packages.config") {
            Some("src/packages.config")
        } else {
            None
        }
    };
    let mut n = 0;
    for (name, content) in scalibr().iter().chain(osv_scanner().iter()) {
        if let Some(path) = as_path(name) {
            n += 1;
            out.push_str(&format!("== {name}\n{}", run(path, content)));
        }
    }
    assert_eq!(n, 13);
    insta::assert_snapshot!("real_fixtures", out);
}

#[test]
fn dispatch_respects_scope() {
    use drydock_inventory::lang;
    let mut w = Vec::new();
    assert!(
        lang::parse(
            "src/packages.lock.json",
            PACKAGES_LOCK.as_bytes(),
            Scope::Image,
            &mut w
        )
        .is_empty()
    );
    assert!(
        lang::parse(
            "src/packages.config",
            PACKAGES_CONFIG.as_bytes(),
            Scope::Image,
            &mut w
        )
        .is_empty()
    );
    let pkgs = lang::parse(
        "app/MyApp.deps.json",
        DEPS_JSON.as_bytes(),
        Scope::Image,
        &mut w,
    );
    assert_eq!(pkgs.len(), 3);
}

#[test]
fn hostile_inputs() {
    for (path, doc) in [
        ("a.deps.json", DEPS_JSON),
        ("packages.lock.json", PACKAGES_LOCK),
        ("packages.config", PACKAGES_CONFIG),
    ] {
        for cut in 1..doc.len() {
            if doc.is_char_boundary(cut) {
                let (_, w) = parse(path, &doc.as_bytes()[..cut]);
                assert!(w.len() <= 3, "{path} cut {cut}: {w:?}");
            }
        }
        let (p, w) = parse(path, b"\x00\xff garbage");
        assert!(p.is_empty() && w.len() == 1, "{path}: {w:?}");
    }
    // Odd-length UTF-16 and lone surrogates.
    let (p, _) = parse("packages.config", b"\xFF\xFE<\x00p\x00\x00\xD8");
    assert!(p.is_empty());
    // Deep nesting under `targets` (ignored) and in `libraries`.
    let deep = format!(
        r#"{{"targets": {}{}, "libraries": {{"A/1": {{"type": "package"}}}}}}"#,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    let (p, w) = parse("a.deps.json", deep.as_bytes());
    assert_eq!(p.len(), 1);
    assert!(w.is_empty());
    let deep = format!(
        r#"{{"libraries": {}{}}}"#,
        "{\"a\":".repeat(200_000),
        "}".repeat(200_000)
    );
    let (p, w) = parse("a.deps.json", deep.as_bytes());
    assert!(p.is_empty() && w.len() == 1);
    // A huge packages.config: 200k packages, an unterminated tag, a never-closed comment.
    let many: String = (0..200_000)
        .map(|i| format!("<package id=\"P{i}\" version=\"1.{i}\"/>\n"))
        .collect();
    let (p, w) = parse(
        "packages.config",
        format!("<packages>\n{many}</packages>").as_bytes(),
    );
    assert_eq!(p.len(), 200_000);
    assert!(w.is_empty());
    let (p, w) = parse(
        "packages.config",
        format!("<packages><package id=\"{}", "x".repeat(10_000_000)).as_bytes(),
    );
    assert!(p.is_empty() && w.len() == 1, "{w:?}");
    let (p, _) = parse(
        "packages.config",
        format!(
            "<packages><!-- {}",
            "<package id=\"a\" version=\"1\"/>".repeat(100_000)
        )
        .as_bytes(),
    );
    assert!(p.is_empty());
    let (p, _) = parse("packages.config", "<".repeat(1_000_000).as_bytes());
    assert!(p.is_empty());
}
