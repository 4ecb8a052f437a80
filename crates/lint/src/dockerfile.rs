//! Dockerfile rules (DD-DF-*). Parsing is done by the `parse-dockerfile` crate (heredocs,
//! line continuations, JSON and shell forms, parser directives including `escape`, stage names);
//! this module adds what the rules need on top: `ARG`/`ENV` substitution in `FROM`, `USER`
//! and `EXPOSE`, stage ancestry (`FROM <stage>`), and a reading of `RUN` scripts as shell.

use crate::dockerignore::{DockerIgnore, missing_exclusions};
use crate::imageref::{ImageRef, registry_allowed};
use crate::secrets::{is_literal_secret_value, is_secret_name, redact};
use crate::shell::{self, Script, SimpleCommand, split_options};
use crate::{LineIndex, LintConfig, LintError, Misconfig, Result, sort_findings};
use parse_dockerfile::{Command, Instruction, Source};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// What is known about the build context of a Dockerfile (for DD-DF-010).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildContext {
    /// Not known (a Dockerfile text on its own): context rules are not evaluated.
    Unknown,
    /// The context has no `.dockerignore`.
    NoDockerignore,
    /// The text of the `.dockerignore` that applies (`<Dockerfile>.dockerignore` or the
    /// context's `.dockerignore`).
    Dockerignore(String),
}

/// Lint one Dockerfile's text. The build context is unknown, so DD-DF-010 is not evaluated;
/// use [`lint_dockerfile_in_context`] (as [`crate::scan_config_path`] does) to include it.
pub fn lint_dockerfile(path: &Path, text: &str, cfg: &LintConfig) -> Result<Vec<Misconfig>> {
    lint_dockerfile_in_context(path, text, &BuildContext::Unknown, cfg)
}

/// Lint one Dockerfile's text with what is known of its build context.
pub fn lint_dockerfile_in_context(
    path: &Path,
    text: &str,
    ctx: &BuildContext,
    cfg: &LintConfig,
) -> Result<Vec<Misconfig>> {
    if text.len() as u64 > cfg.max_file_size {
        return Err(LintError::TooLarge {
            path: path.to_path_buf(),
            size: text.len() as u64,
            limit: cfg.max_file_size,
        });
    }
    let df = parse_dockerfile::parse(text).map_err(|e| {
        let msg = e.to_string();
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        LintError::Dockerfile {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: msg,
        }
    })?;
    let escape = df
        .parser_directives
        .escape
        .as_ref()
        .map(|d| d.value.value)
        .unwrap_or('\\');
    let mut l = Linter {
        cfg,
        file: path.display().to_string(),
        lines: LineIndex::new(text),
        escape,
        out: Vec::new(),
    };
    l.run(&df, ctx);
    let mut out = l.out;
    sort_findings(&mut out);
    Ok(out)
}

struct StageInfo {
    name: Option<String>,
    from_line: usize,
    /// The base as written, and after ARG substitution (None when a variable stayed unresolved).
    base_raw: String,
    base: Option<String>,
    /// Index of the earlier stage this one is built FROM.
    parent: Option<usize>,
}

struct Linter<'c, 'a> {
    cfg: &'c LintConfig<'a>,
    file: String,
    lines: LineIndex,
    escape: char,
    out: Vec<Misconfig>,
}

/// A package-manager install found in a RUN.
struct Install {
    manager: &'static str,
    packages: Vec<String>,
    options: Vec<String>,
}

const ADMIN_PORTS: &[(u32, &str)] = &[
    (22, "SSH"),
    (23, "telnet"),
    (2375, "Docker API without TLS"),
    (2376, "Docker API"),
    (3389, "RDP"),
];

impl Linter<'_, '_> {
    fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    fn emit(&mut self, id: &str, line: usize, resource: Option<String>, message: String) {
        if let Some(m) = self
            .cfg
            .finding(id, &self.file, Some(line), resource, message)
        {
            self.out.push(m);
        }
    }

    fn run(&mut self, df: &parse_dockerfile::Dockerfile<'_>, ctx: &BuildContext) {
        // Global ARGs (before the first FROM): defaults visible to FROM lines.
        let mut global: HashMap<String, String> = HashMap::new();
        for arg in df.global_args() {
            let line = self.line(arg.arg.span.start);
            for (k, v) in parse_arg(&arg.arguments.value) {
                if let Some(v) = &v {
                    self.check_secret_kv("ARG", &k, v, line, None);
                    global.insert(k, v.clone());
                } else {
                    global.entry(k).or_default();
                }
            }
        }

        let stages: Vec<parse_dockerfile::Stage<'_, '_>> = df.stages().collect();
        let mut infos: Vec<StageInfo> = Vec::new();
        for (i, st) in stages.iter().enumerate() {
            let raw = st.from.image.value.to_string();
            let (expanded, resolved) = expand(&raw, &global);
            let name = st.from.as_.as_ref().map(|(_, n)| n.value.to_string());
            let parent = infos
                .iter()
                .position(|s: &StageInfo| {
                    s.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&expanded))
                })
                .or_else(|| {
                    // `FROM 0` (stage index) is accepted by BuildKit too.
                    expanded.parse::<usize>().ok().filter(|n| *n < i)
                });
            infos.push(StageInfo {
                name,
                from_line: self.line(st.from.from.span.start),
                base_raw: raw,
                base: resolved.then_some(expanded),
                parent,
            });
        }
        let last = stages.len() - 1;
        // The final stage and the stages it is built FROM: what ships.
        let mut shipping = BTreeSet::new();
        let mut cur = Some(last);
        while let Some(i) = cur {
            if !shipping.insert(i) {
                break;
            }
            cur = infos[i].parent;
        }

        // Per-stage variables (global defaults + the stage's ARG/ENV), inherited from parents.
        let mut stage_vars: Vec<HashMap<String, String>> = Vec::new();
        for (i, st) in stages.iter().enumerate() {
            let mut vars = match infos[i].parent {
                Some(p) => stage_vars[p].clone(),
                None => HashMap::new(),
            };
            let resource = Some(stage_label(i, &infos[i]));
            self.check_base(&infos[i], resource.clone());
            let ships = shipping.contains(&i);
            let mut posix_shell = true;
            for inst in st.instructions {
                self.instruction(
                    inst,
                    &global,
                    &mut vars,
                    &mut posix_shell,
                    ships,
                    i,
                    &infos,
                    ctx,
                    resource.clone(),
                );
            }
            stage_vars.push(vars);
        }

        self.check_final_stage(&stages, &infos, last, &stage_vars);
        self.check_toolchain_base(&infos, last);
    }

    fn check_base(&mut self, info: &StageInfo, resource: Option<String>) {
        if info.parent.is_some() {
            return;
        }
        let Some(base) = info.base.as_deref() else {
            return; // a variable without a default: unknown at lint time
        };
        if base.eq_ignore_ascii_case("scratch") {
            return;
        }
        let Some(r) = ImageRef::parse(base) else {
            return;
        };
        let shown = if info.base_raw == base {
            base.to_string()
        } else {
            format!("{} (= {base})", info.base_raw)
        };
        if let Some(tag) = r.mutable_tag() {
            self.emit(
                "DD-DF-011",
                info.from_line,
                resource.clone(),
                format!("FROM {shown}: tag {tag} can point at a different image tomorrow"),
            );
        } else if !r.has_digest() {
            self.emit(
                "DD-DF-012",
                info.from_line,
                resource.clone(),
                format!("FROM {shown} is not pinned by @sha256 digest"),
            );
        }
        if !registry_allowed(&r, &self.cfg.allowed_registries) {
            self.emit(
                "DD-DF-013",
                info.from_line,
                resource,
                format!(
                    "FROM {shown}: registry {} is not in the allowed list ({})",
                    r.registry,
                    self.cfg.allowed_registries.join(", ")
                ),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn instruction(
        &mut self,
        inst: &Instruction<'_>,
        global: &HashMap<String, String>,
        vars: &mut HashMap<String, String>,
        posix_shell: &mut bool,
        ships: bool,
        stage: usize,
        infos: &[StageInfo],
        ctx: &BuildContext,
        resource: Option<String>,
    ) {
        match inst {
            Instruction::Arg(a) => {
                let line = self.line(a.arg.span.start);
                for (k, v) in parse_arg(&a.arguments.value) {
                    match v {
                        Some(v) => {
                            self.check_secret_kv("ARG", &k, &v, line, resource.clone());
                            vars.insert(k, v);
                        }
                        None => {
                            // `ARG NAME` inside a stage re-imports the global default.
                            if let Some(g) = global.get(&k) {
                                vars.insert(k, g.clone());
                            }
                        }
                    }
                }
            }
            Instruction::Env(e) => {
                let line = self.line(e.env.span.start);
                for (k, v) in parse_env(&e.arguments.value) {
                    self.check_secret_kv("ENV", &k, &v, line, resource.clone());
                    let (v, _) = expand(&v, vars);
                    vars.insert(k, v);
                }
            }
            Instruction::Label(lb) => {
                let line = self.line(lb.label.span.start);
                for (k, v) in parse_env(&lb.arguments.value) {
                    self.check_secret_kv("LABEL", &k, &v, line, resource.clone());
                }
            }
            Instruction::Shell(sh) => {
                let first = sh
                    .arguments
                    .first()
                    .map(|a| a.value.to_ascii_lowercase())
                    .unwrap_or_default();
                let base = first.rsplit(['/', '\\']).next().unwrap_or("").to_string();
                *posix_shell = !(base.starts_with("powershell")
                    || base.starts_with("pwsh")
                    || base.starts_with("cmd"));
            }
            Instruction::Run(r) => {
                let line = self.line(r.run.span.start);
                let (text, script) = match &r.arguments {
                    Command::Shell(s) => {
                        let t = self.join_continuations(s.value);
                        let sc = shell::parse(&t);
                        (t, sc)
                    }
                    Command::Exec(v) => {
                        let words: Vec<String> =
                            v.value.iter().map(|w| w.value.to_string()).collect();
                        let t = words.join(" ");
                        let quoted: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
                        (t, shell::parse(&quoted.join(" ")))
                    }
                    _ => (String::new(), Script::default()),
                };
                let mut scripts = vec![script];
                let mut all_text = text.clone();
                let runs_shell = match &r.arguments {
                    Command::Shell(_) => {
                        let first = text.split_whitespace().next().unwrap_or("");
                        first.is_empty() || shell::is_shell(first.rsplit('/').next().unwrap_or(""))
                    }
                    _ => false,
                };
                for hd in &r.here_docs {
                    all_text.push('\n');
                    all_text.push_str(&hd.value);
                    if runs_shell {
                        scripts.push(shell::parse(&hd.value));
                    }
                }
                let cache_mount = r.options.iter().any(|f| {
                    f.name.value == "mount"
                        && f.value
                            .as_ref()
                            .is_some_and(|v| v.value.contains("type=cache"))
                });
                self.check_run_secrets(&all_text, line, resource.clone());
                if *posix_shell {
                    self.check_run(
                        &scripts,
                        line,
                        ships,
                        stage,
                        infos,
                        vars,
                        cache_mount,
                        resource,
                    );
                }
            }
            Instruction::Copy(c) => {
                let line = self.line(c.copy.span.start);
                let from = c.options.iter().any(|f| f.name.value == "from");
                self.check_chmod_flag(&c.options, line, ships, resource.clone());
                if !from && ships {
                    let srcs: Vec<&str> = c
                        .src
                        .iter()
                        .filter_map(|s| match s {
                            Source::Path(p) => Some(p.value.as_ref()),
                            _ => None,
                        })
                        .collect();
                    self.check_whole_context("COPY", &srcs, line, ctx, resource);
                }
            }
            Instruction::Add(a) => {
                let line = self.line(a.add.span.start);
                self.check_chmod_flag(&a.options, line, ships, resource.clone());
                let checksum = a.options.iter().any(|f| f.name.value == "checksum");
                let mut srcs: Vec<&str> = Vec::new();
                let mut heredoc = false;
                for s in &a.src {
                    match s {
                        Source::Path(p) => srcs.push(p.value.as_ref()),
                        _ => heredoc = true,
                    }
                }
                let dest = a.dest.value.trim_end_matches('/');
                let scratch_root = infos[stage]
                    .base
                    .as_deref()
                    .is_some_and(|b| b.eq_ignore_ascii_case("scratch"))
                    && dest.is_empty();
                let mut plain = heredoc;
                for src in &srcs {
                    if is_url(src) {
                        if !checksum {
                            self.emit(
                                "DD-DF-007",
                                line,
                                resource.clone(),
                                format!("ADD {src}: downloaded without a checksum"),
                            );
                        }
                    } else if is_archive(src) {
                        if !scratch_root {
                            self.emit(
                                "DD-DF-009",
                                line,
                                resource.clone(),
                                format!("ADD {src} extracts the archive into {}", a.dest.value),
                            );
                        }
                    } else {
                        plain = true;
                    }
                }
                if plain {
                    let what = if srcs.is_empty() {
                        "a here-document".to_string()
                    } else {
                        srcs.iter()
                            .filter(|s| !is_url(s) && !is_archive(s))
                            .copied()
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    self.emit(
                        "DD-DF-008",
                        line,
                        resource.clone(),
                        format!("ADD {what}: local files, COPY does the same without surprises"),
                    );
                }
                if ships {
                    let local: Vec<&str> = srcs.iter().copied().filter(|s| !is_url(s)).collect();
                    self.check_whole_context("ADD", &local, line, ctx, resource);
                }
            }
            Instruction::Expose(e) if ships => {
                let line = self.line(e.expose.span.start);
                for a in &e.arguments {
                    let (v, _) = expand(&a.value, vars);
                    for (port, proto) in admin_ports(&v) {
                        self.emit(
                            "DD-DF-003",
                            line,
                            resource.clone(),
                            format!("EXPOSE {v}: port {port} is {proto}"),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// Remove line continuations (escape + newline) and the comment lines BuildKit drops
    /// inside a continued instruction.
    fn join_continuations(&self, raw: &str) -> String {
        let mut out = String::with_capacity(raw.len());
        for (i, line) in raw.split('\n').enumerate() {
            if i > 0 && line.trim_start().starts_with('#') {
                continue;
            }
            let t = line.trim_end();
            if let Some(body) = t.strip_suffix(self.escape) {
                out.push_str(body);
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    fn check_secret_kv(
        &mut self,
        instr: &str,
        key: &str,
        value: &str,
        line: usize,
        resource: Option<String>,
    ) {
        let mut reported = false;
        if is_secret_name(key) && is_literal_secret_value(value) {
            self.emit(
                "DD-DF-004",
                line,
                resource.clone(),
                format!(
                    "{instr} {key} holds a literal credential ({})",
                    redact(value)
                ),
            );
            reported = true;
        }
        if !reported {
            let found = self.cfg.secrets(value);
            if let Some(m) = found.first() {
                self.emit(
                    "DD-DF-004",
                    line,
                    resource,
                    format!(
                        "{instr} {key} contains a secret ({}: {})",
                        m.kind,
                        redact(&value[m.start..m.end])
                    ),
                );
            }
        }
    }

    fn check_run_secrets(&mut self, text: &str, line: usize, resource: Option<String>) {
        let mut seen = BTreeSet::new();
        for m in self.cfg.secrets(text) {
            let secret = &text[m.start..m.end];
            if seen.insert((m.kind.clone(), secret.to_string())) {
                self.emit(
                    "DD-DF-005",
                    line,
                    resource.clone(),
                    format!("RUN contains a secret ({}: {})", m.kind, redact(secret)),
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_run(
        &mut self,
        scripts: &[Script],
        line: usize,
        ships: bool,
        stage: usize,
        infos: &[StageInfo],
        vars: &HashMap<String, String>,
        cache_mount: bool,
        resource: Option<String>,
    ) {
        let cmds: Vec<&SimpleCommand> = scripts.iter().flat_map(|s| s.commands()).collect();

        // DD-DF-002 sudo
        if let Some(c) = cmds.iter().find(|c| c.sudo || c.name() == "sudo") {
            self.emit(
                "DD-DF-002",
                line,
                resource.clone(),
                format!("RUN uses sudo (sudo {})", abbreviate(&c.words.join(" "))),
            );
        }

        // DD-DF-006 remote script into a shell
        for s in scripts {
            if let Some(desc) = pipe_to_shell(s) {
                self.emit("DD-DF-006", line, resource.clone(), desc);
            }
        }

        let installs: Vec<Install> = cmds.iter().filter_map(|c| install_of(c)).collect();

        // DD-DF-020 update alone
        let updates = cmds.iter().any(|c| {
            let (_, ops) = split_options(c.args(), &[]);
            matches!(c.name(), "apt-get" | "apt" | "apk") && ops.first() == Some(&"update")
        });
        if updates && installs.is_empty() {
            let upgrade = cmds.iter().any(|c| {
                let (_, ops) = split_options(c.args(), &[]);
                matches!(
                    ops.first().copied(),
                    Some("upgrade" | "dist-upgrade" | "full-upgrade")
                )
            });
            if !upgrade {
                self.emit(
                    "DD-DF-020",
                    line,
                    resource.clone(),
                    "RUN updates the package index without installing in the same RUN".to_string(),
                );
            }
        }

        // DD-DF-018 unpinned versions (every stage: builders produce what ships)
        for ins in &installs {
            let unpinned: Vec<&str> = ins
                .packages
                .iter()
                .map(String::as_str)
                .filter(|p| !is_pinned(ins.manager, p))
                .collect();
            if !unpinned.is_empty() {
                self.emit(
                    "DD-DF-018",
                    line,
                    resource.clone(),
                    format!(
                        "{} installs without a version: {}",
                        ins.manager,
                        list(&unpinned)
                    ),
                );
            }
        }

        if !ships {
            return;
        }
        let has_rm = |needle: &str| {
            cmds.iter()
                .any(|c| c.name() == "rm" && c.args().iter().any(|a| a.contains(needle)))
        };
        for ins in &installs {
            match ins.manager {
                "apt-get" | "apt" | "aptitude" => {
                    let recommends_off = ins.options.iter().any(|o| {
                        o == "--no-install-recommends"
                            || o.contains("Install-Recommends=false")
                            || o.contains("Install-Recommends=0")
                            || o.contains("Install-Recommends \"false\"")
                    });
                    if !recommends_off {
                        self.emit(
                            "DD-DF-015",
                            line,
                            resource.clone(),
                            format!("{} install without --no-install-recommends", ins.manager),
                        );
                    }
                }
                "apk"
                    if !ins.options.iter().any(|o| o == "--no-cache")
                        && !has_rm("/var/cache/apk")
                        && !cache_mount =>
                {
                    self.emit(
                        "DD-DF-017",
                        line,
                        resource.clone(),
                        "apk add without --no-cache keeps the package index in the layer"
                            .to_string(),
                    );
                }
                _ => {}
            }
        }
        let apt = installs
            .iter()
            .any(|i| matches!(i.manager, "apt-get" | "apt" | "aptitude"));
        if apt && !has_rm("/var/lib/apt/lists") && !cache_mount {
            self.emit(
                "DD-DF-016",
                line,
                resource.clone(),
                "RUN installs with apt but does not remove /var/lib/apt/lists/*".to_string(),
            );
        }
        if let Some(ins) = installs
            .iter()
            .find(|i| matches!(i.manager, "yum" | "dnf" | "microdnf" | "tdnf" | "zypper"))
        {
            let cleaned = cmds.iter().any(|c| {
                matches!(c.name(), "yum" | "dnf" | "microdnf" | "tdnf" | "zypper")
                    && c.args().iter().any(|a| a == "clean" || a == "cc")
            }) || has_rm("/var/cache/yum")
                || has_rm("/var/cache/dnf")
                || has_rm("/var/cache/zypp");
            if !cleaned && !cache_mount {
                self.emit(
                    "DD-DF-019",
                    line,
                    resource.clone(),
                    format!(
                        "{} install without cleaning its cache in the same RUN",
                        ins.manager
                    ),
                );
            }
        }

        // DD-DF-014 build tools / caches in what ships
        let mut tools: Vec<String> = Vec::new();
        for ins in &installs {
            for p in &ins.packages {
                let name = package_base_name(ins.manager, p);
                if is_build_tool(&name) && !tools.contains(&name) {
                    tools.push(name);
                }
            }
        }
        let ssh_client = installs.iter().any(|i| {
            i.packages.iter().any(|p| {
                let n = package_base_name(i.manager, p);
                n == "openssh-client" || n == "openssh-clients" || n == "openssh"
            })
        });
        if ssh_client
            && cmds
                .iter()
                .any(|c| c.name() == "ssh-keygen" || c.args().iter().any(|a| is_ssh_key_path(a)))
        {
            tools.push("openssh-client with SSH keys".to_string());
        }
        if !cache_mount {
            for c in &cmds {
                let (opts, ops) = split_options(c.args(), &["-r", "-c", "-e", "--requirement"]);
                match c.name() {
                    "npm" if matches!(ops.first().copied(), Some("install" | "i" | "ci")) => {
                        let cleaned = cmds
                            .iter()
                            .any(|d| d.name() == "npm" && d.args().iter().any(|a| a == "cache"))
                            || has_rm(".npm");
                        if !cleaned && !tools.iter().any(|t| t == "npm cache") {
                            tools.push("npm cache".to_string());
                        }
                    }
                    "pip" | "pip3" if ops.first() == Some(&"install") => {
                        let off = opts.contains(&"--no-cache-dir")
                            || vars
                                .get("PIP_NO_CACHE_DIR")
                                .is_some_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
                        if !off && !tools.iter().any(|t| t == "pip cache") {
                            tools.push("pip cache".to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        if !tools.is_empty() {
            let single = infos.len() == 1;
            let stage_desc = if single {
                "single-stage build".to_string()
            } else {
                format!(
                    "{} (ships in the final image)",
                    stage_label(stage, &infos[stage])
                )
            };
            self.emit(
                "DD-DF-014",
                line,
                resource.clone(),
                format!(
                    "{stage_desc} leaves build tools or caches in the image: {}",
                    list(&tools.iter().map(String::as_str).collect::<Vec<_>>())
                ),
            );
        }

        // DD-DF-022 / DD-DF-023 chmod
        for c in &cmds {
            if c.name() != "chmod" {
                continue;
            }
            let (_, ops) = split_options(c.args(), &["--reference"]);
            let Some(mode) = ops.first() else { continue };
            let targets = list(ops.get(1..).unwrap_or(&[]));
            self.check_mode(
                mode,
                &format!("chmod {mode} {targets}"),
                line,
                resource.clone(),
            );
        }
    }

    fn check_mode(&mut self, mode: &str, what: &str, line: usize, resource: Option<String>) {
        let m = Mode::parse(mode);
        if m.world_writable {
            self.emit(
                "DD-DF-022",
                line,
                resource.clone(),
                format!("{what}: makes files writable by every user"),
            );
        }
        if m.setid {
            self.emit(
                "DD-DF-023",
                line,
                resource,
                format!("{what}: sets the setuid/setgid bit"),
            );
        }
    }

    fn check_chmod_flag(
        &mut self,
        options: &[parse_dockerfile::Flag<'_>],
        line: usize,
        ships: bool,
        resource: Option<String>,
    ) {
        if !ships {
            return;
        }
        for f in options {
            if f.name.value == "chmod"
                && let Some(v) = &f.value
            {
                self.check_mode(
                    &v.value,
                    &format!("--chmod={}", v.value),
                    line,
                    resource.clone(),
                );
            }
        }
    }

    fn check_whole_context(
        &mut self,
        instr: &str,
        srcs: &[&str],
        line: usize,
        ctx: &BuildContext,
        resource: Option<String>,
    ) {
        let whole = srcs
            .iter()
            .any(|s| matches!(s.trim_end_matches('/'), "." | "" | "./" | "*" | "./*"));
        if !whole {
            return;
        }
        match ctx {
            BuildContext::Unknown => {}
            BuildContext::NoDockerignore => self.emit(
                "DD-DF-010",
                line,
                resource,
                format!(
                    "{instr} copies the whole build context and there is no .dockerignore: \
                     .git, .env files and keys end up in the image"
                ),
            ),
            BuildContext::Dockerignore(text) => {
                let missing = missing_exclusions(&DockerIgnore::parse(text));
                if !missing.is_empty() {
                    self.emit(
                        "DD-DF-010",
                        line,
                        resource,
                        format!(
                            "{instr} copies the whole build context and .dockerignore does not \
                             exclude {}",
                            missing.join(", ")
                        ),
                    );
                }
            }
        }
    }

    /// DD-DF-014 for a final stage built directly on a toolchain image (golang, maven, …).
    fn check_toolchain_base(&mut self, infos: &[StageInfo], last: usize) {
        let root = {
            let mut i = last;
            let mut seen = 0;
            while let Some(p) = infos[i].parent {
                i = p;
                seen += 1;
                if seen > infos.len() {
                    break;
                }
            }
            i
        };
        let Some(base) = infos[root].base.as_deref() else {
            return;
        };
        let Some(r) = ImageRef::parse(base) else {
            return;
        };
        let repo = r.repository.to_ascii_lowercase();
        let last_part = repo.rsplit('/').next().unwrap_or("");
        let toolchain = matches!(
            last_part,
            "golang" | "maven" | "gradle" | "rust" | "gcc" | "buildpack-deps" | "clojure"
        ) || repo.ends_with("dotnet/sdk");
        if toolchain {
            let stage_desc = if infos.len() == 1 {
                "single-stage build".to_string()
            } else {
                "the final stage".to_string()
            };
            self.emit(
                "DD-DF-014",
                infos[last].from_line,
                Some(stage_label(last, &infos[last])),
                format!("{stage_desc} ships the {last_part} toolchain image {base}"),
            );
        }
    }

    fn check_final_stage(
        &mut self,
        stages: &[parse_dockerfile::Stage<'_, '_>],
        infos: &[StageInfo],
        last: usize,
        stage_vars: &[HashMap<String, String>],
    ) {
        // Walk the final stage and its ancestors, newest first.
        let mut chain = Vec::new();
        let mut cur = Some(last);
        while let Some(i) = cur {
            if chain.contains(&i) {
                break;
            }
            chain.push(i);
            cur = infos[i].parent;
        }
        let resource = Some(stage_label(last, &infos[last]));
        let root = *chain.last().expect("chain has the final stage");

        // DD-DF-001: the USER in effect at the end of the final stage.
        let mut user: Option<(String, usize)> = None;
        'outer: for &i in &chain {
            for inst in stages[i].instructions.iter().rev() {
                if let Instruction::User(u) = inst {
                    let (v, _) = expand(&u.arguments.value, &stage_vars[i]);
                    user = Some((v, self.line(u.user.span.start)));
                    break 'outer;
                }
            }
        }
        match user {
            Some((u, line)) => {
                let name = u.split(':').next().unwrap_or("").trim();
                if name == "root" || name == "0" {
                    self.emit(
                        "DD-DF-001",
                        line,
                        resource.clone(),
                        format!("USER {u}: the container runs as root"),
                    );
                }
            }
            None => {
                let base = infos[root].base.as_deref().unwrap_or(&infos[root].base_raw);
                let nonroot_base = ImageRef::parse(base)
                    .and_then(|r| r.tag)
                    .is_some_and(|t| t.contains("nonroot"));
                if !nonroot_base {
                    self.emit(
                        "DD-DF-001",
                        infos[last].from_line,
                        resource.clone(),
                        format!(
                            "the final stage sets no USER: the container runs as root unless \
                             the base image {base} sets a non-root user"
                        ),
                    );
                }
            }
        }

        // DD-DF-021: HEALTHCHECK somewhere in the chain (HEALTHCHECK NONE counts as a choice).
        let has_hc = chain.iter().any(|&i| {
            stages[i]
                .instructions
                .iter()
                .any(|inst| matches!(inst, Instruction::Healthcheck(_)))
        });
        if !has_hc {
            self.emit(
                "DD-DF-021",
                infos[last].from_line,
                resource,
                "the final stage has no HEALTHCHECK".to_string(),
            );
        }
    }
}

fn stage_label(i: usize, info: &StageInfo) -> String {
    match &info.name {
        Some(n) => format!("stage {n}"),
        None => format!("stage {i}"),
    }
}

/// `${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`
/// substitution. Returns the text and whether every variable had a value.
pub(crate) fn expand(s: &str, vars: &HashMap<String, String>) -> (String, bool) {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut resolved = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            let Some(end) = chars[i + 2..].iter().position(|&c| c == '}') else {
                out.extend(&chars[i..]);
                break;
            };
            let inner: String = chars[i + 2..i + 2 + end].iter().collect();
            i += end + 3;
            let (name, op, word) = match inner.find([':', '-', '+']) {
                Some(p) => {
                    let (n, rest) = inner.split_at(p);
                    if let Some(w) = rest.strip_prefix(":-") {
                        (n.to_string(), "-", w.to_string())
                    } else if let Some(w) = rest.strip_prefix(":+") {
                        (n.to_string(), "+", w.to_string())
                    } else if let Some(w) = rest.strip_prefix('-') {
                        (n.to_string(), "-", w.to_string())
                    } else if let Some(w) = rest.strip_prefix('+') {
                        (n.to_string(), "+", w.to_string())
                    } else {
                        (inner.clone(), "", String::new())
                    }
                }
                None => (inner.clone(), "", String::new()),
            };
            let val = vars.get(&name).filter(|v| !v.is_empty());
            match op {
                "-" => out.push_str(val.map(String::as_str).unwrap_or(&word)),
                "+" => {
                    if val.is_some() {
                        out.push_str(&word)
                    }
                }
                _ => match val {
                    Some(v) => out.push_str(v),
                    None => {
                        resolved = false;
                        out.push_str(&format!("${{{name}}}"));
                    }
                },
            }
        } else {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            if j == i + 1 {
                out.push('$');
                i += 1;
                continue;
            }
            let name: String = chars[i + 1..j].iter().collect();
            match vars.get(&name).filter(|v| !v.is_empty()) {
                Some(v) => out.push_str(v),
                None => {
                    resolved = false;
                    out.push('$');
                    out.push_str(&name);
                }
            }
            i = j;
        }
    }
    (out, resolved)
}

/// Split on whitespace outside quotes, removing the quotes (`\` escapes the next character).
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => {
                in_word = true;
                if let Some(n) = chars.next()
                    && n != '\n'
                {
                    cur.push(n);
                }
            }
            (_, c) => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// `ARG A=1 B` → [(A, Some(1)), (B, None)].
fn parse_arg(s: &str) -> Vec<(String, Option<String>)> {
    words(s)
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// `ENV A=1 B="x y"` or the legacy `ENV A value with spaces`.
fn parse_env(s: &str) -> Vec<(String, String)> {
    let ws = words(s);
    let Some(first) = ws.first() else {
        return Vec::new();
    };
    if !first.contains('=') {
        // legacy form: key, then the rest of the line verbatim
        let rest = s.trim_start()[first.len()..].trim();
        let v = words(rest).join(" ");
        return vec![(first.clone(), v)];
    }
    ws.into_iter()
        .filter_map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn shell_quote(w: &str) -> String {
    format!("'{}'", w.replace('\'', "'\\''"))
}

fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://")
        || l.starts_with("https://")
        || l.starts_with("ftp://")
        || l.starts_with("git@")
        || l.starts_with("git://")
        || l.starts_with("ssh://")
}

fn is_archive(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    [
        ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
        ".tzst",
    ]
    .iter()
    .any(|e| l.ends_with(e))
}

fn is_ssh_key_path(s: &str) -> bool {
    ["id_rsa", "id_ed25519", "id_ecdsa", "id_dsa", ".ssh/"]
        .iter()
        .any(|k| s.contains(k))
}

/// Ports in one EXPOSE argument (`22`, `22/tcp`, `2375-2376/tcp`) that are admin ports.
fn admin_ports(arg: &str) -> Vec<(u32, &'static str)> {
    let spec = arg.split('/').next().unwrap_or("");
    let (lo, hi) = match spec.split_once('-') {
        Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
        None => (spec.trim().parse::<u32>(), spec.trim().parse::<u32>()),
    };
    let (Ok(lo), Ok(hi)) = (lo, hi) else {
        return Vec::new();
    };
    ADMIN_PORTS
        .iter()
        .filter(|(p, _)| (lo..=hi).contains(p))
        .copied()
        .collect()
}

/// The install command a simple command runs, if any.
fn install_of(c: &SimpleCommand) -> Option<Install> {
    let name = c.name();
    let (manager, takes_value, verbs): (&'static str, &[&str], &[&str]) = match name {
        "apt-get" => (
            "apt-get",
            &["-o", "-t", "-c", "--target-release", "--option"],
            &["install"],
        ),
        "apt" => (
            "apt",
            &["-o", "-t", "-c", "--target-release", "--option"],
            &["install"],
        ),
        "aptitude" => ("aptitude", &["-o", "-t"], &["install"]),
        "apk" => (
            "apk",
            &[
                "-t",
                "--virtual",
                "-X",
                "--repository",
                "-p",
                "--root",
                "--arch",
                "--repositories-file",
            ],
            &["add"],
        ),
        "yum" | "dnf" | "microdnf" | "tdnf" => (
            match name {
                "yum" => "yum",
                "dnf" => "dnf",
                "microdnf" => "microdnf",
                _ => "tdnf",
            },
            &[
                "-c",
                "--config",
                "--installroot",
                "--releasever",
                "--enablerepo",
                "--disablerepo",
                "--setopt",
                "-x",
                "--exclude",
            ],
            &["install", "groupinstall", "reinstall"],
        ),
        "zypper" => (
            "zypper",
            &["-r", "--repo", "--from", "-t", "--type"],
            &["install", "in"],
        ),
        _ => return None,
    };
    let (opts, ops) = split_options(c.args(), takes_value);
    let verb = ops.first()?;
    if !verbs.contains(verb) {
        return None;
    }
    Some(Install {
        manager,
        packages: ops[1..]
            .iter()
            .filter(|p| {
                !p.contains('$')
                    && !p.ends_with(".deb")
                    && !p.ends_with(".rpm")
                    && !p.ends_with(".apk")
                    && !p.starts_with('@')
                    && !p.contains('/')
            })
            .map(|s| s.to_string())
            .collect(),
        options: opts.into_iter().map(str::to_string).collect(),
    })
}

fn is_pinned(manager: &str, pkg: &str) -> bool {
    match manager {
        "apt-get" | "apt" | "aptitude" => pkg.contains('='),
        "apk" => pkg.contains(['=', '~', '<', '>']),
        "zypper" => pkg.contains(['=', '<', '>']),
        _ => {
            // name-1.2.3[-release]: a '-' followed by a digit
            let b = pkg.as_bytes();
            b.windows(2).any(|w| w[0] == b'-' && w[1].is_ascii_digit())
        }
    }
}

/// The package name without version or architecture: `gcc=4:12.2` → `gcc`, `gcc:amd64` →
/// `gcc`, and for rpm managers `gcc-12.2.1` → `gcc` (the version starts at the first `-`
/// followed by a digit; Debian names like `gcc-12` keep theirs).
fn package_base_name(manager: &str, pkg: &str) -> String {
    let mut p = pkg.split(['=', '<', '>', '~']).next().unwrap_or(pkg);
    p = p.split(':').next().unwrap_or(p);
    if matches!(manager, "yum" | "dnf" | "microdnf" | "tdnf")
        && let Some(i) = p
            .as_bytes()
            .windows(2)
            .position(|w| w[0] == b'-' && w[1].is_ascii_digit())
    {
        p = &p[..i];
    }
    p.to_ascii_lowercase()
}

fn is_build_tool(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "gcc",
        "g++",
        "gcc-c++",
        "cpp",
        "clang",
        "llvm",
        "make",
        "cmake",
        "ninja-build",
        "automake",
        "autoconf",
        "libtool",
        "build-essential",
        "build-base",
        "alpine-sdk",
        "git",
        "golang",
        "golang-go",
        "go",
        "maven",
        "gradle",
        "ant",
        "rust",
        "rustc",
        "cargo",
        "default-jdk",
        "default-jdk-headless",
        "binutils",
        "gdb",
        "pkg-config",
        "pkgconf",
        "musl-dev",
        "libc-dev",
        "libc6-dev",
        "linux-headers",
    ];
    EXACT.contains(&name)
        || (name.starts_with("gcc-") && name[4..].starts_with(|c: char| c.is_ascii_digit()))
        || (name.starts_with("g++-") && name[4..].starts_with(|c: char| c.is_ascii_digit()))
        || (name.starts_with("clang-") && name[6..].starts_with(|c: char| c.is_ascii_digit()))
        || (name.starts_with("openjdk")
            && (name.ends_with("-jdk") || name.ends_with("-jdk-headless")))
        || (name.starts_with("java-") && name.ends_with("-devel"))
        || name.ends_with("-dev")
        || name.ends_with("-devel")
}

/// Detect a downloaded script handed to a shell: `curl … | sh`, `wget -O- … | sudo bash`,
/// `sh -c "$(curl …)"`, `bash <(curl …)`, `. <(wget …)`, `eval "$(curl …)"`.
fn pipe_to_shell(s: &Script) -> Option<String> {
    let fetchers = ["curl", "wget", "fetch"];
    let runners = |n: &str| {
        shell::is_shell(n)
            || matches!(
                n,
                "python" | "python3" | "perl" | "ruby" | "node" | "php" | "source" | "." | "eval"
            )
    };
    for p in &s.pipelines {
        for (i, c) in p.commands.iter().enumerate() {
            if fetchers.contains(&c.name())
                && let Some(r) = p.commands[i + 1..].iter().find(|r| runners(r.name()))
                && reads_stdin(r)
            {
                return Some(format!("RUN pipes {} into {}", c.name(), r.words.join(" ")));
            }
            if runners(c.name()) {
                for a in c.args() {
                    for f in fetchers {
                        if a.contains(&format!("$({f}"))
                            || a.contains(&format!("<({f}"))
                            || a.contains(&format!("`{f}"))
                        {
                            return Some(format!("RUN runs the output of {f} with {}", c.name()));
                        }
                    }
                }
            }
        }
    }
    None
}

/// A script runner reading its program from stdin: no operand, or `-s` / `-`.
fn reads_stdin(r: &SimpleCommand) -> bool {
    let (_, ops) = split_options(r.args(), &["-o", "-O", "-c"]);
    ops.is_empty() || r.args().iter().any(|a| a == "-s" || a == "-")
}

/// File mode bits a chmod mode sets that matter here.
#[derive(Debug, Default, PartialEq, Eq)]
struct Mode {
    world_writable: bool,
    setid: bool,
}

impl Mode {
    fn parse(mode: &str) -> Mode {
        let mut m = Mode::default();
        if !mode.is_empty() && mode.chars().all(|c| c.is_digit(8)) {
            let Ok(v) = u32::from_str_radix(mode, 8) else {
                return m;
            };
            let sticky = v & 0o1000 != 0;
            m.world_writable = v & 0o002 != 0 && !sticky;
            m.setid = v & 0o6000 != 0;
            return m;
        }
        for clause in mode.split(',') {
            let Some(op_at) = clause.find(['+', '=', '-']) else {
                continue;
            };
            let who = &clause[..op_at];
            let rest = &clause[op_at..];
            // A clause can hold several op+perm groups: u+x-w
            let mut op = ' ';
            for ch in rest.chars() {
                match ch {
                    '+' | '=' | '-' => op = ch,
                    'w' if op != '-'
                        && (who.contains('o') || who.contains('a'))
                        && !clause.contains('t') =>
                    {
                        m.world_writable = true;
                    }
                    's' if op != '-' && (who.is_empty() || who.contains(['u', 'g', 'a'])) => {
                        m.setid = true;
                    }
                    _ => {}
                }
            }
        }
        m
    }
}

fn list(items: &[&str]) -> String {
    const MAX: usize = 8;
    if items.len() <= MAX {
        items.join(", ")
    } else {
        format!("{}, … ({} in all)", items[..MAX].join(", "), items.len())
    }
}

fn abbreviate(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_variables() {
        let vars: HashMap<String, String> = [("V".to_string(), "3.20".to_string())].into();
        assert_eq!(
            expand("alpine:${V}", &vars),
            ("alpine:3.20".to_string(), true)
        );
        assert_eq!(
            expand("alpine:$V", &vars),
            ("alpine:3.20".to_string(), true)
        );
        assert_eq!(
            expand("${REG:-docker.io}/x:${T:-1}", &vars),
            ("docker.io/x:1".to_string(), true)
        );
        assert_eq!(expand("x:${NOPE}", &vars), ("x:${NOPE}".to_string(), false));
    }

    #[test]
    fn env_forms() {
        assert_eq!(
            parse_env("A=1 B=\"two words\" C='x'"),
            vec![
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "two words".to_string()),
                ("C".to_string(), "x".to_string())
            ]
        );
        assert_eq!(
            parse_env("KEY some value"),
            vec![("KEY".to_string(), "some value".to_string())]
        );
    }

    #[test]
    fn modes() {
        assert_eq!(
            Mode::parse("777"),
            Mode {
                world_writable: true,
                setid: false
            }
        );
        assert_eq!(Mode::parse("1777"), Mode::default());
        assert_eq!(
            Mode::parse("4755"),
            Mode {
                world_writable: false,
                setid: true
            }
        );
        assert_eq!(Mode::parse("0755"), Mode::default());
        assert_eq!(
            Mode::parse("u+s"),
            Mode {
                world_writable: false,
                setid: true
            }
        );
        assert_eq!(
            Mode::parse("a+rwx"),
            Mode {
                world_writable: true,
                setid: false
            }
        );
        assert_eq!(Mode::parse("o-w"), Mode::default());
        assert_eq!(
            Mode::parse("u+rwx,g+rx,o+w"),
            Mode {
                world_writable: true,
                setid: false
            }
        );
        assert_eq!(Mode::parse("+x"), Mode::default());
    }

    #[test]
    fn package_names() {
        assert_eq!(package_base_name("apt-get", "gcc=4:12.2.0-3"), "gcc");
        assert_eq!(package_base_name("apt-get", "gcc-12"), "gcc-12");
        assert_eq!(package_base_name("dnf", "gcc-11.4.1"), "gcc");
        assert_eq!(package_base_name("apk", "build-base~0.5"), "build-base");
        assert!(is_build_tool(&package_base_name("yum", "gcc-c++-8.5.0")));
        assert!(is_build_tool("openjdk-17-jdk-headless"));
        assert!(!is_build_tool("openjdk-17-jre-headless"));
    }

    #[test]
    fn admin_port_specs() {
        assert_eq!(admin_ports("22/tcp"), vec![(22, "SSH")]);
        assert_eq!(
            admin_ports("2375-2376"),
            vec![(2375, "Docker API without TLS"), (2376, "Docker API")]
        );
        assert!(admin_ports("80/tcp").is_empty());
        assert!(admin_ports("${PORT}").is_empty());
    }
}
