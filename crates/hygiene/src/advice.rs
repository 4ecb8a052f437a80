//! Package classification for the multi-stage and minimal-base advice, and the layer-order
//! heuristics. Name-based, documented in `docs/hygiene.md`.

use drydock_inventory::PackageKind;

/// What a build-only package is, or `None` for a runtime package.
pub fn build_tool_kind(kind: PackageKind, name: &str) -> Option<&'static str> {
    if !kind.is_os() {
        return None;
    }
    let n = name.to_ascii_lowercase();
    let versioned = |stem: &str| {
        n == stem
            || n.strip_prefix(stem)
                .and_then(|r| r.strip_prefix('-'))
                .is_some_and(|v| {
                    !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit() || c == b'.')
                })
    };
    const COMPILERS: &[&str] = &[
        "gcc",
        "g++",
        "cpp",
        "c++",
        "clang",
        "gfortran",
        "gccgo",
        "tcc",
        "nasm",
        "yasm",
        "rustc",
        "cargo",
        "golang",
        "golang-go",
        "go",
        "llvm",
    ];
    if COMPILERS.iter().any(|c| versioned(c))
        || (n.starts_with("golang-") && n.ends_with("-go"))
        || (n.starts_with("openjdk") && (n.ends_with("-jdk") || n.ends_with("-jdk-headless")))
        || (n.starts_with("java-") && n.ends_with("-devel"))
    {
        return Some("compiler");
    }
    const BUILD: &[&str] = &[
        "build-essential",
        "build-base",
        "make",
        "cmake",
        "automake",
        "autoconf",
        "libtool",
        "libtool-bin",
        "pkg-config",
        "pkgconf",
        "ninja-build",
        "ninja",
        "meson",
        "bison",
        "flex",
        "m4",
        "dpkg-dev",
        "binutils",
        "ccache",
        "libc-dev-bin",
    ];
    if BUILD.contains(&n.as_str()) || n.starts_with("binutils-") {
        return Some("build tool");
    }
    if n.ends_with("-dev")
        || n.ends_with("-devel")
        || n == "linux-headers"
        || n.starts_with("linux-headers-")
    {
        return Some("headers");
    }
    const VCS: &[&str] = &["git", "git-man", "subversion", "mercurial", "bzr", "cvs"];
    if VCS.contains(&n.as_str()) {
        return Some("version control");
    }
    None
}

/// Is this package a shell?
pub fn is_shell(kind: PackageKind, name: &str) -> bool {
    kind.is_os()
        && matches!(
            name,
            "bash"
                | "dash"
                | "zsh"
                | "mksh"
                | "ksh"
                | "tcsh"
                | "csh"
                | "fish"
                | "busybox"
                | "busybox-binsh"
                | "busybox-static"
        )
}

/// Is this package a package manager (OS, or a language one installed in the image)?
pub fn is_package_manager(kind: PackageKind, name: &str) -> bool {
    match kind {
        PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm => matches!(
            name,
            "apt"
                | "dpkg"
                | "apk-tools"
                | "rpm"
                | "dnf"
                | "yum"
                | "microdnf"
                | "zypper"
                | "tdnf"
                | "python3-pip"
                | "py3-pip"
                | "npm"
        ),
        PackageKind::Pypi => name.eq_ignore_ascii_case("pip"),
        PackageKind::Npm => name == "npm",
        _ => false,
    }
}

/// Paths that show a shell even without a package database entry.
pub const SHELL_PATHS: &[&str] = &[
    "bin/sh",
    "usr/bin/sh",
    "bin/bash",
    "usr/bin/bash",
    "bin/ash",
    "bin/busybox",
];

/// OS packages a distroless/minimal base of the same family keeps (libc, TLS, CA
/// certificates, time zones, the C/C++ runtime): never counted as removable.
pub fn distroless_keeps(name: &str) -> bool {
    const KEEP: &[&str] = &[
        // Debian (distroless static/base/cc)
        "base-files",
        "netbase",
        "tzdata",
        "ca-certificates",
        "media-types",
        "libc6",
        "libgcc-s1",
        "libstdc++6",
        "libgomp1",
        "libssl3",
        "libssl3t64",
        "libssl1.1",
        "zlib1g",
        // Alpine
        "musl",
        "ca-certificates-bundle",
        "alpine-baselayout-data",
        "libssl3",
        "libcrypto3",
        "libssl1.1",
        "libcrypto1.1",
        "zlib",
        "libgcc",
        "libstdc++",
        // RPM families
        "glibc",
        "openssl-libs",
        "filesystem",
        "setup",
        "glibc-minimal-langpack",
        "libstdc++",
    ];
    KEEP.contains(&name) || (name.starts_with("gcc-") && name.ends_with("-base"))
}

/// A `created_by` without the shell/buildkit decoration.
pub fn step(created_by: &str) -> &str {
    let c = created_by.trim();
    let c = c.strip_prefix("RUN ").unwrap_or(c).trim();
    let c = c.strip_prefix("/bin/sh -c ").unwrap_or(c).trim();
    let c = c.strip_prefix("#(nop)").unwrap_or(c).trim();
    c.strip_suffix("# buildkit").unwrap_or(c).trim()
}

/// Dependency manifests: copying only these before installing is the right order.
const MANIFESTS: &[&str] = &[
    "requirements",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock",
    "go.mod",
    "go.sum",
    "cargo.toml",
    "cargo.lock",
    "pom.xml",
    "build.gradle",
    "gemfile",
    "composer.",
    "pipfile",
    "poetry.lock",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    ".csproj",
    "uv.lock",
];

/// Is this step a copy of application files (not only dependency manifests)? `files` is the
/// number of regular files the layer holds.
pub fn is_app_copy(created_by: &str, files: u64) -> bool {
    let s = step(created_by);
    let lower = s.to_ascii_lowercase();
    let is_copy = lower.starts_with("copy ") || lower.starts_with("add ");
    if !is_copy || crate::base::is_rootfs_add(created_by) || lower.contains("--from=") {
        return false;
    }
    if MANIFESTS.iter().any(|m| lower.contains(m)) {
        return false;
    }
    files > 2 || lower.contains("dir:") || lower.contains(" . ") || lower.starts_with("copy . ")
}

/// Is this step a dependency install?
pub fn is_dependency_install(created_by: &str) -> bool {
    let s = step(created_by).to_ascii_lowercase();
    const INSTALLS: &[&str] = &[
        "apt-get install",
        "apt install",
        "apk add",
        "dnf install",
        "yum install",
        "microdnf install",
        "zypper install",
        "zypper in ",
        "pip install",
        "pip3 install",
        "npm install",
        "npm ci",
        "yarn install",
        "pnpm install",
        "bundle install",
        "go mod download",
        "mvn ",
        "gradle ",
        "composer install",
        "cargo fetch",
        "poetry install",
        "uv sync",
        "uv pip install",
    ];
    INSTALLS.iter().any(|i| s.contains(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_tools_by_name() {
        let d = PackageKind::Deb;
        for (n, k) in [
            ("gcc-12", "compiler"),
            ("gcc", "compiler"),
            ("cpp-12", "compiler"),
            ("g++-12", "compiler"),
            ("openjdk-17-jdk-headless", "compiler"),
            ("build-essential", "build tool"),
            ("binutils-x86-64-linux-gnu", "build tool"),
            ("libc6-dev", "headers"),
            ("linux-libc-dev", "headers"),
            ("git", "version control"),
        ] {
            assert_eq!(build_tool_kind(d, n), Some(k), "{n}");
        }
        for n in [
            "gcc-12-base",
            "libgcc-s1",
            "libstdc++6",
            "openjdk-17-jre-headless",
            "git-lfs-runtime",
            "libgit2-1.5",
            "golang-github-foo-dev-data",
            "make-doc",
        ] {
            assert_eq!(build_tool_kind(d, n), None, "{n}");
        }
        // language packages never: a pip package called gcc is not a compiler
        assert_eq!(build_tool_kind(PackageKind::Pypi, "gcc"), None);
    }

    #[test]
    fn order_heuristics() {
        assert!(is_app_copy("COPY . /app # buildkit", 40));
        assert!(is_app_copy("/bin/sh -c #(nop) COPY dir:4a3b in /app ", 1));
        assert!(!is_app_copy("COPY requirements.txt /app/ # buildkit", 1));
        assert!(!is_app_copy("COPY package.json package-lock.json ./", 2));
        assert!(!is_app_copy("COPY --from=build /out/app /app", 1));
        assert!(!is_app_copy("/bin/sh -c #(nop) ADD file:abc in / ", 3000));
        assert!(is_dependency_install(
            "RUN /bin/sh -c apt-get update && apt-get install -y gcc # buildkit"
        ));
        assert!(is_dependency_install(
            "/bin/sh -c pip install -r requirements.txt"
        ));
        assert!(!is_dependency_install("/bin/sh -c make all"));
    }
}
