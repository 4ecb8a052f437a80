//! Language package catalogers: Python, npm, Java, Go, Rust, Ruby, PHP, .NET.
//!
//! Each submodule is a set of pure functions over one file's bytes: `wants(path, scope)` says
//! whether the image walker should hand it a file, `parse(path, content, warnings)` lists the
//! packages in it. Binaries (Go build info, cargo-auditable) are recognised by content, not
//! path: [`parse_executable`]. Nothing here touches the filesystem.
//!
//! Paths are image paths without the leading `/` (`usr/lib/python3/dist-packages/...`), as
//! [`drydock_image::ImagePath::as_str`] gives them.

mod common;
pub mod dotnet;
pub mod golang;
pub mod java;
pub mod npm;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;

use serde::{Deserialize, Serialize};

/// Which files a scan looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// A container image: installed packages only (`*.dist-info`, `node_modules/**/package.json`,
    /// jars, binaries, gemspecs, `installed.json`, `*.deps.json`). Lockfiles left in an image
    /// describe what a build *would* install, not what is there.
    Image,
    /// A source tree (`drydock fs`): installed packages plus lockfiles and manifests.
    Fs,
}

/// A language package ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Pypi,
    Npm,
    Maven,
    Go,
    Cargo,
    Gem,
    Composer,
    Nuget,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 8] = [
        Ecosystem::Pypi,
        Ecosystem::Npm,
        Ecosystem::Maven,
        Ecosystem::Go,
        Ecosystem::Cargo,
        Ecosystem::Gem,
        Ecosystem::Composer,
        Ecosystem::Nuget,
    ];

    /// The purl type (`pkg:<type>/...`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Maven => "maven",
            Ecosystem::Go => "golang",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
        }
    }

    /// The advisory DB namespace (the lowercased OSV ecosystem name).
    pub fn namespace(self) -> &'static str {
        match self {
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Maven => "maven",
            Ecosystem::Go => "go",
            Ecosystem::Cargo => "crates.io",
            Ecosystem::Gem => "rubygems",
            Ecosystem::Composer => "packagist",
            Ecosystem::Nuget => "nuget",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Maven => "maven",
            Ecosystem::Go => "go",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::Nuget => "nuget",
        }
    }
}

/// One language package found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LangPackage {
    pub ecosystem: Ecosystem,
    /// The name as the ecosystem's advisories spell it:
    /// PyPI — the project name as written in the metadata (PEP 503 normalisation happens at
    /// matching); npm — `name` or `@scope/name`; Maven — `groupId:artifactId`; Go — the module
    /// path, `stdlib` for the Go toolchain itself; Cargo — the crate name; Gem — the gem name;
    /// Composer — `vendor/name`; NuGet — the package id as written.
    pub name: String,
    pub version: String,
    /// A development-only dependency (npm `dev`, poetry/pdm dev groups, composer
    /// `packages-dev`, Pipfile `develop`, ...).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// For packages inside a nested archive: the chain of archive members leading to it,
    /// joined with `!/` (`WEB-INF/lib/spring-core-5.3.0.jar`), relative to the scanned file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

impl LangPackage {
    pub fn new(ecosystem: Ecosystem, name: impl Into<String>, version: impl Into<String>) -> Self {
        LangPackage {
            ecosystem,
            name: name.into(),
            version: version.into(),
            dev: false,
            inner_path: None,
            license: None,
        }
    }
}

/// Does some cataloger want the file at `path` (by name)?
pub fn wants(path: &str, scope: Scope) -> bool {
    python::wants(path, scope)
        || npm::wants(path, scope)
        || java::wants(path, scope)
        || golang::wants(path, scope)
        || rust::wants(path, scope)
        || ruby::wants(path, scope)
        || php::wants(path, scope)
        || dotnet::wants(path, scope)
}

/// Parse a file some cataloger wants by name. Problems go to `warnings` (without the path:
/// the caller prefixes it); what could be read is returned.
pub fn parse(
    path: &str,
    content: &[u8],
    scope: Scope,
    warnings: &mut Vec<String>,
) -> Vec<LangPackage> {
    if python::wants(path, scope) {
        python::parse(path, content, warnings)
    } else if npm::wants(path, scope) {
        npm::parse(path, content, warnings)
    } else if java::wants(path, scope) {
        java::parse(path, content, warnings)
    } else if golang::wants(path, scope) {
        golang::parse(path, content, warnings)
    } else if rust::wants(path, scope) {
        rust::parse(path, content, warnings)
    } else if ruby::wants(path, scope) {
        ruby::parse(path, content, warnings)
    } else if php::wants(path, scope) {
        php::parse(path, content, warnings)
    } else if dotnet::wants(path, scope) {
        dotnet::parse(path, content, warnings)
    } else {
        Vec::new()
    }
}

/// An executable file (any path): Go build info or a cargo-auditable dependency list.
/// `None` when it is neither (the common case: checked from the first bytes).
pub fn parse_executable(content: &[u8], warnings: &mut Vec<String>) -> Option<Vec<LangPackage>> {
    if let Some(pkgs) = golang::parse_binary(content, warnings) {
        return Some(pkgs);
    }
    rust::parse_binary(content, warnings)
}
