//! Kubernetes workload rules (DD-K8S-*), per pod and per container, for Pod, Deployment,
//! StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job and CronJob objects in
//! multi-document YAML (including `kind: List` and Helm-rendered output).

use crate::imageref::{ImageRef, registry_allowed};
use crate::yamlpos::{Positions, Seg, key};
use crate::{LintConfig, LintError, Misconfig, Result, sort_findings};
use std::path::Path;
use yaml_serde::Value;

/// One YAML document of a file: its text and the file line it starts on.
pub(crate) struct Doc<'t> {
    pub first_line: usize,
    pub lines: Vec<&'t str>,
}

/// Split a YAML stream into documents at `---` / `...` marker lines.
pub(crate) fn split_documents(text: &str) -> Vec<Doc<'_>> {
    let mut docs = Vec::new();
    let mut cur = Doc {
        first_line: 1,
        lines: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        let marker = |m: &str| {
            line.strip_prefix(m)
                .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
        };
        if marker("---") || marker("...") {
            docs.push(std::mem::replace(
                &mut cur,
                Doc {
                    first_line: n + 2,
                    lines: Vec::new(),
                },
            ));
            // `--- value` on the marker line: keep the value, blanked marker, same columns.
            let rest = &line[3..];
            if !rest.trim().is_empty() && !rest.trim_start().starts_with('#') {
                cur.first_line = n + 1;
                cur.lines.push(rest);
            }
        } else {
            cur.lines.push(line);
        }
    }
    docs.push(cur);
    docs.retain(|d| {
        d.lines.iter().any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
        })
    });
    docs
}

/// Parse one document with `yaml_serde` (alias expansion is bounded there: a "billion
/// laughs" document fails with an error instead of exhausting memory).
pub(crate) fn parse_document(path: &Path, doc: &Doc<'_>) -> Result<Value> {
    let text = doc.lines.join("\n");
    let mut v: Value = yaml_serde::from_str(&text).map_err(|e| {
        let line = doc.first_line + e.location().map(|l| l.line()).unwrap_or(1) - 1;
        let mut msg = e.to_string();
        if let Some(i) = msg.find(" at line ") {
            msg.truncate(i);
        }
        if msg.contains("repetition limit") || msg.contains("recursion limit") {
            msg.push_str(" (too many alias expansions or too deep nesting: a YAML anchor bomb?)");
        }
        LintError::Yaml {
            path: path.to_path_buf(),
            line,
            message: msg,
        }
    })?;
    v.apply_merge().map_err(|e| LintError::Yaml {
        path: path.to_path_buf(),
        line: doc.first_line,
        message: e.to_string(),
    })?;
    Ok(v)
}

/// Whether a value is a Kubernetes object (a mapping with string `apiVersion` and `kind`).
pub(crate) fn is_k8s_object(v: &Value) -> bool {
    v.get("apiVersion").and_then(Value::as_str).is_some()
        && v.get("kind").and_then(Value::as_str).is_some()
}

/// Lint the Kubernetes objects in a (multi-document) YAML text. Documents that are not
/// Kubernetes objects, and kinds without a pod template, are skipped.
pub fn lint_kubernetes(path: &Path, text: &str, cfg: &LintConfig) -> Result<Vec<Misconfig>> {
    lint_kubernetes_counted(path, text, cfg).map(|(_, f)| f)
}

/// [`lint_kubernetes`], also counting the Kubernetes objects (of any kind) seen.
pub(crate) fn lint_kubernetes_counted(
    path: &Path,
    text: &str,
    cfg: &LintConfig,
) -> Result<(usize, Vec<Misconfig>)> {
    if text.len() as u64 > cfg.max_file_size {
        return Err(LintError::TooLarge {
            path: path.to_path_buf(),
            size: text.len() as u64,
            limit: cfg.max_file_size,
        });
    }
    let file = path.display().to_string();
    let mut out = Vec::new();
    let mut objects = 0;
    for doc in split_documents(text) {
        let value = parse_document(path, &doc)?;
        if !is_k8s_object(&value) {
            continue;
        }
        objects += 1;
        let pos = Positions::index(&doc.lines, doc.first_line);
        let mut l = K8sLinter {
            cfg,
            file: &file,
            pos: &pos,
            out: &mut out,
        };
        l.object(&value, &[]);
    }
    sort_findings(&mut out);
    Ok((objects, out))
}

struct K8sLinter<'a, 'c> {
    cfg: &'a LintConfig<'c>,
    file: &'a str,
    pos: &'a Positions,
    out: &'a mut Vec<Misconfig>,
}

/// Capabilities the Baseline profile allows to be added (the runtime's default set).
const BASELINE_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

const RUNTIME_SOCKETS: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "cri-dockerd.sock",
    "dockershim.sock",
    "podman.sock",
];

fn get<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    Some(cur)
}

fn join(base: &[Seg], extra: &[&str]) -> Vec<Seg> {
    let mut p = base.to_vec();
    p.extend(extra.iter().map(|s| key(s)));
    p
}

impl K8sLinter<'_, '_> {
    fn emit(&mut self, id: &str, path: &[Seg], resource: &str, message: String) {
        let line = self.pos.line(path);
        if let Some(m) = self.cfg.finding(
            id,
            self.file,
            Some(line),
            Some(resource.to_string()),
            message,
        ) {
            self.out.push(m);
        }
    }

    fn object(&mut self, v: &Value, base: &[Seg]) {
        let Some(kind) = v.get("kind").and_then(Value::as_str) else {
            return;
        };
        if kind == "List" || kind.ends_with("List") {
            if let Some(items) = v.get("items").and_then(Value::as_sequence) {
                for (i, item) in items.iter().enumerate() {
                    let mut p = base.to_vec();
                    p.push(key("items"));
                    p.push(Seg::Idx(i));
                    self.object(item, &p);
                }
            }
            return;
        }
        let (spec_path, meta_path): (&[&str], &[&str]) = match kind {
            "Pod" => (&["spec"], &["metadata"]),
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job" => (
                &["spec", "template", "spec"],
                &["spec", "template", "metadata"],
            ),
            "CronJob" => (
                &["spec", "jobTemplate", "spec", "template", "spec"],
                &["spec", "jobTemplate", "spec", "template", "metadata"],
            ),
            _ => return,
        };
        let Some(spec) = get(v, spec_path) else {
            return;
        };
        let name = get(v, &["metadata", "name"])
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)");
        let resource = match get(v, &["metadata", "namespace"]).and_then(Value::as_str) {
            Some(ns) => format!("{kind} {ns}/{name}"),
            None => format!("{kind} {name}"),
        };
        let sp = join(base, spec_path);
        let mp = join(base, meta_path);
        let annotations = get(v, meta_path).and_then(|m| m.get("annotations"));
        self.pod(spec, &sp, annotations, &mp, &resource);
    }

    fn pod(
        &mut self,
        spec: &Value,
        sp: &[Seg],
        annotations: Option<&Value>,
        mp: &[Seg],
        resource: &str,
    ) {
        for (field, id, what) in [
            ("hostNetwork", "DD-K8S-014", "the host's network namespace"),
            ("hostPID", "DD-K8S-015", "the host's process namespace"),
            ("hostIPC", "DD-K8S-016", "the host's IPC namespace"),
        ] {
            if spec.get(field).and_then(Value::as_bool) == Some(true) {
                self.emit(
                    id,
                    &join(sp, &[field]),
                    resource,
                    format!("{field}: true shares {what} with the pod"),
                );
            }
        }
        match spec
            .get("automountServiceAccountToken")
            .and_then(Value::as_bool)
        {
            Some(false) => {}
            Some(true) => self.emit(
                "DD-K8S-022",
                &join(sp, &["automountServiceAccountToken"]),
                resource,
                "automountServiceAccountToken: true mounts an API token into every container"
                    .to_string(),
            ),
            None => self.emit(
                "DD-K8S-022",
                sp,
                resource,
                "automountServiceAccountToken is not set to false: an API token is mounted into \
                 every container"
                    .to_string(),
            ),
        }
        if let Some(vols) = spec.get("volumes").and_then(Value::as_sequence) {
            for (i, vol) in vols.iter().enumerate() {
                let Some(hp) = vol.get("hostPath") else {
                    continue;
                };
                let host = hp.get("path").and_then(Value::as_str).unwrap_or("");
                let vname = vol.get("name").and_then(Value::as_str).unwrap_or("?");
                let mut p = join(sp, &["volumes"]);
                p.push(Seg::Idx(i));
                p.push(key("hostPath"));
                let socket = RUNTIME_SOCKETS.iter().any(|s| host.ends_with(s));
                if socket {
                    p.push(key("path"));
                    self.emit(
                        "DD-K8S-013",
                        &p,
                        resource,
                        format!("volume {vname} mounts the container runtime socket {host}"),
                    );
                } else {
                    self.emit(
                        "DD-K8S-012",
                        &p,
                        resource,
                        format!("volume {vname} mounts host path {host}"),
                    );
                }
            }
        }
        let psc = spec.get("securityContext");
        let psc_path = join(sp, &["securityContext"]);
        for field in ["initContainers", "containers", "ephemeralContainers"] {
            let Some(list) = spec.get(field).and_then(Value::as_sequence) else {
                continue;
            };
            for (i, c) in list.iter().enumerate() {
                let mut cp = join(sp, &[field]);
                cp.push(Seg::Idx(i));
                let ctx = Ctr {
                    c,
                    cp: &cp,
                    field,
                    psc,
                    psc_path: &psc_path,
                    annotations,
                    mp,
                    resource,
                };
                self.container(&ctx);
            }
        }
    }

    fn container(&mut self, x: &Ctr<'_>) {
        let c = x.c;
        let cname = c.get("name").and_then(Value::as_str).unwrap_or("?");
        let kind = match x.field {
            "initContainers" => "init container",
            "ephemeralContainers" => "ephemeral container",
            _ => "container",
        };
        let res = format!("{} {kind} {cname}", x.resource);
        let res = res.as_str();
        let sc = c.get("securityContext");
        let scp = join(x.cp, &["securityContext"]);
        let sc_get = |f: &str| sc.and_then(|s| s.get(f));
        let here = |f: &[&str]| join(&scp, f);

        // DD-K8S-001 privileged
        if sc_get("privileged").and_then(Value::as_bool) == Some(true) {
            self.emit(
                "DD-K8S-001",
                &here(&["privileged"]),
                res,
                format!("{kind} {cname} runs privileged"),
            );
        }
        // DD-K8S-002 allowPrivilegeEscalation
        match sc_get("allowPrivilegeEscalation").and_then(Value::as_bool) {
            Some(false) => {}
            Some(true) => self.emit(
                "DD-K8S-002",
                &here(&["allowPrivilegeEscalation"]),
                res,
                format!("{kind} {cname} sets allowPrivilegeEscalation: true"),
            ),
            None => self.emit(
                "DD-K8S-002",
                x.cp,
                res,
                format!("{kind} {cname} does not set allowPrivilegeEscalation: false"),
            ),
        }
        // Effective runAsNonRoot / runAsUser: container overrides pod.
        let eff = |f: &str| -> Option<(&Value, Vec<Seg>)> {
            if let Some(v) = sc_get(f) {
                return Some((v, here(&[f])));
            }
            x.psc
                .and_then(|p| p.get(f))
                .map(|v| (v, join(x.psc_path, &[f])))
        };
        let run_as_user = eff("runAsUser");
        let uid = run_as_user.as_ref().and_then(|(v, _)| v.as_i64());
        if let (Some(0), Some((_, p))) = (uid, &run_as_user) {
            self.emit(
                "DD-K8S-004",
                p,
                res,
                format!("{kind} {cname} runs as UID 0 (runAsUser: 0)"),
            );
        }
        match eff("runAsNonRoot") {
            Some((v, _)) if v.as_bool() == Some(true) => {}
            Some((v, p)) if v.as_bool() == Some(false) => self.emit(
                "DD-K8S-003",
                &p,
                res,
                format!("{kind} {cname} sets runAsNonRoot: false"),
            ),
            _ => {
                // A non-zero runAsUser already keeps the process off UID 0.
                if uid.is_none_or(|u| u <= 0) {
                    self.emit(
                        "DD-K8S-003",
                        x.cp,
                        res,
                        format!(
                            "{kind} {cname} may run as root: runAsNonRoot is not true and no \
                             non-zero runAsUser is set"
                        ),
                    );
                }
            }
        }
        // DD-K8S-005 / 006 capabilities
        let caps = sc_get("capabilities");
        let drop: Vec<String> = caps
            .and_then(|c| c.get("drop"))
            .and_then(Value::as_sequence)
            .map(|s| s.iter().filter_map(Value::as_str).map(norm_cap).collect())
            .unwrap_or_default();
        if !drop.iter().any(|d| d == "ALL") {
            let p = if caps.is_some() {
                here(&["capabilities", "drop"])
            } else {
                x.cp.to_vec()
            };
            self.emit(
                "DD-K8S-005",
                &p,
                res,
                format!("{kind} {cname} does not drop ALL capabilities"),
            );
        }
        let added: Vec<String> = caps
            .and_then(|c| c.get("add"))
            .and_then(Value::as_sequence)
            .map(|s| s.iter().filter_map(Value::as_str).map(norm_cap).collect())
            .unwrap_or_default();
        let bad: Vec<&str> = added
            .iter()
            .map(String::as_str)
            .filter(|a| !BASELINE_CAPS.contains(a))
            .collect();
        if !bad.is_empty() {
            self.emit(
                "DD-K8S-006",
                &here(&["capabilities", "add"]),
                res,
                format!("{kind} {cname} adds {}", bad.join(", ")),
            );
        }
        // DD-K8S-007 / 008 seccomp (field, else the legacy annotations)
        let seccomp = eff("seccompProfile")
            .and_then(|(v, p)| {
                v.get("type")
                    .and_then(Value::as_str)
                    .map(|t| (t.to_string(), join(&p, &["type"])))
            })
            .or_else(|| {
                self.annotation(
                    x,
                    &format!("container.seccomp.security.alpha.kubernetes.io/{cname}"),
                )
                .or_else(|| self.annotation(x, "seccomp.security.alpha.kubernetes.io/pod"))
            });
        match seccomp {
            Some((t, p)) if t.eq_ignore_ascii_case("unconfined") => self.emit(
                "DD-K8S-008",
                &p,
                res,
                format!("{kind} {cname} runs with seccomp Unconfined"),
            ),
            Some((t, _))
                if matches!(
                    t.as_str(),
                    "RuntimeDefault" | "Localhost" | "runtime/default" | "docker/default"
                ) || t.starts_with("localhost/") => {}
            _ => self.emit(
                "DD-K8S-007",
                x.cp,
                res,
                format!("{kind} {cname} has no seccomp profile (RuntimeDefault or Localhost)"),
            ),
        }
        // DD-K8S-009 / 010 AppArmor (field, else the annotation)
        let apparmor = eff("appArmorProfile")
            .and_then(|(v, p)| {
                v.get("type")
                    .and_then(Value::as_str)
                    .map(|t| (t.to_string(), join(&p, &["type"])))
            })
            .or_else(|| {
                self.annotation(
                    x,
                    &format!("container.apparmor.security.beta.kubernetes.io/{cname}"),
                )
            });
        match apparmor {
            Some((t, p)) if t.eq_ignore_ascii_case("unconfined") => self.emit(
                "DD-K8S-010",
                &p,
                res,
                format!("{kind} {cname} runs with AppArmor unconfined"),
            ),
            Some(_) => {}
            None => self.emit(
                "DD-K8S-009",
                x.cp,
                res,
                format!("{kind} {cname} has no AppArmor profile"),
            ),
        }
        // DD-K8S-011 readOnlyRootFilesystem
        match sc_get("readOnlyRootFilesystem").and_then(Value::as_bool) {
            Some(true) => {}
            Some(false) => self.emit(
                "DD-K8S-011",
                &here(&["readOnlyRootFilesystem"]),
                res,
                format!("{kind} {cname} sets readOnlyRootFilesystem: false"),
            ),
            None => self.emit(
                "DD-K8S-011",
                x.cp,
                res,
                format!("{kind} {cname} does not set readOnlyRootFilesystem: true"),
            ),
        }
        // DD-K8S-017 hostPort
        if let Some(ports) = c.get("ports").and_then(Value::as_sequence) {
            for (i, p) in ports.iter().enumerate() {
                if let Some(hp) = p
                    .get("hostPort")
                    .and_then(Value::as_i64)
                    .filter(|h| *h != 0)
                {
                    let mut path = join(x.cp, &["ports"]);
                    path.push(Seg::Idx(i));
                    path.push(key("hostPort"));
                    self.emit(
                        "DD-K8S-017",
                        &path,
                        res,
                        format!("{kind} {cname} binds host port {hp}"),
                    );
                }
            }
        }
        // DD-K8S-018 / 019 / 020 image
        if let Some(image) = c.get("image").and_then(Value::as_str) {
            let ip = join(x.cp, &["image"]);
            if let Some(r) = ImageRef::parse(image) {
                if let Some(tag) = r.mutable_tag() {
                    self.emit(
                        "DD-K8S-018",
                        &ip,
                        res,
                        format!("image {image}: tag {tag} can change under the workload"),
                    );
                } else if !r.has_digest() {
                    self.emit(
                        "DD-K8S-019",
                        &ip,
                        res,
                        format!("image {image} is not pinned by @sha256 digest"),
                    );
                }
                if !registry_allowed(&r, &self.cfg.allowed_registries) {
                    self.emit(
                        "DD-K8S-020",
                        &ip,
                        res,
                        format!(
                            "image {image}: registry {} is not in the allowed list ({})",
                            r.registry,
                            self.cfg.allowed_registries.join(", ")
                        ),
                    );
                }
            }
        }
        // DD-K8S-021 limits (ephemeral containers cannot have resources)
        if x.field != "ephemeralContainers" {
            let limits = c.get("resources").and_then(|r| r.get("limits"));
            let missing: Vec<&str> = ["cpu", "memory"]
                .into_iter()
                .filter(|k| limits.and_then(|l| l.get(*k)).is_none())
                .collect();
            if !missing.is_empty() {
                let p = if limits.is_some() {
                    join(x.cp, &["resources", "limits"])
                } else if c.get("resources").is_some() {
                    join(x.cp, &["resources"])
                } else {
                    x.cp.to_vec()
                };
                self.emit(
                    "DD-K8S-021",
                    &p,
                    res,
                    format!("{kind} {cname} has no {} limit", missing.join(" or ")),
                );
            }
        }
    }

    /// A pod annotation's value and path.
    fn annotation(&self, x: &Ctr<'_>, name: &str) -> Option<(String, Vec<Seg>)> {
        let v = x.annotations?.get(name)?.as_str()?;
        let mut p = x.mp.to_vec();
        p.push(key("annotations"));
        p.push(key(name));
        Some((v.to_string(), p))
    }
}

/// What a container check needs to know about its pod.
struct Ctr<'v> {
    c: &'v Value,
    cp: &'v [Seg],
    field: &'v str,
    psc: Option<&'v Value>,
    psc_path: &'v [Seg],
    annotations: Option<&'v Value>,
    mp: &'v [Seg],
    resource: &'v str,
}

fn norm_cap(s: &str) -> String {
    let u = s.trim().to_ascii_uppercase();
    u.strip_prefix("CAP_").map(str::to_string).unwrap_or(u)
}
