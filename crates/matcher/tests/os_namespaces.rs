//! OS detection → DB namespace on real release files (the claircore fixture bundle's
//! `{debian,ubuntu,alpine}/testdata/**/etc/os-release`, one directory per release). The
//! directory name is the independent truth for the expected namespace.

use drydock_inventory::OsInfo;
use drydock_vulndb::namespace::distro_namespace;
use std::path::Path;

fn extract() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let st = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(drydock_testkit::shared_dir().join("fixtures/claircore-testdata.tar.gz"))
        .arg("-C")
        .arg(dir.path())
        .args(["--wildcards", "*/testdata/*etc/os-release"])
        .status()
        .unwrap();
    assert!(st.success());
    dir
}

fn namespace_of(path: &Path) -> Option<String> {
    let os = OsInfo::from_os_release(&std::fs::read_to_string(path).unwrap(), "/etc/os-release")?;
    distro_namespace(
        &os.id,
        os.version_id.as_deref().unwrap_or(""),
        os.codename.as_deref(),
    )
}

#[test]
fn real_release_files_map_to_namespaces() {
    let dir = extract();
    let mut checked = 0;
    for (distro, sub) in [
        ("debian", "debian/testdata/dist"),
        ("ubuntu", "ubuntu/testdata/dist"),
        ("alpine", "alpine/testdata"),
    ] {
        let base = dir.path().join(sub);
        for e in std::fs::read_dir(&base).unwrap() {
            let e = e.unwrap();
            let release = e.file_name().to_string_lossy().to_string();
            let path = e.path().join("etc/os-release");
            if !path.is_file() {
                continue;
            }
            let want = match distro {
                "alpine" if release == "edge" => "alpine:edge".to_string(),
                // claircore's negative cases: Debian files among the Ubuntu ones
                "ubuntu" if !release.contains('.') => format!("debian:{release}"),
                d => format!("{d}:{release}"),
            };
            assert_eq!(
                namespace_of(&path).as_deref(),
                Some(want.as_str()),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "checked {checked} release files");
}
