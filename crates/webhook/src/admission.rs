//! `admission.k8s.io/v1` AdmissionReview: reading requests, finding every container of the
//! object (Pods and every workload kind that embeds a pod template), building responses and
//! JSONPatch mutations. Pure functions over `serde_json::Value` (the Kubernetes objects are
//! read leniently: only the fields used here).

use base64::Engine;
use serde::Serialize;
use serde_json::{Value, json};

/// The fields of an AdmissionReview request the webhook uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub uid: String,
    /// `request.kind.kind` (`Pod`, `Deployment`, ...).
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub operation: String,
    pub user_info: Value,
    pub object: Value,
    pub dry_run: bool,
    /// The review's `apiVersion` (echoed in the response).
    pub api_version: String,
}

/// Parse an AdmissionReview body. Errors are messages for an HTTP 400.
pub fn parse_review(body: &[u8]) -> Result<Request, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("kind").and_then(Value::as_str) != Some("AdmissionReview") {
        return Err("not an AdmissionReview".into());
    }
    let api_version = v
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("admission.k8s.io/v1")
        .to_string();
    let r = v
        .get("request")
        .ok_or("AdmissionReview without a request")?;
    let s = |p: &str| {
        r.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let uid = s("/uid");
    if uid.is_empty() {
        return Err("AdmissionReview request without a uid".into());
    }
    let object = r.get("object").cloned().unwrap_or(Value::Null);
    let namespace = match s("/namespace") {
        n if !n.is_empty() => n,
        _ => object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    };
    let name = match s("/name") {
        n if !n.is_empty() => n,
        _ => object
            .pointer("/metadata/name")
            .or_else(|| object.pointer("/metadata/generateName"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    };
    Ok(Request {
        uid,
        kind: s("/kind/kind"),
        namespace,
        name,
        operation: s("/operation"),
        user_info: r.get("userInfo").cloned().unwrap_or(Value::Null),
        object,
        dry_run: r.get("dryRun").and_then(Value::as_bool).unwrap_or(false),
        api_version,
    })
}

/// JSON pointer of the pod spec inside an object of this kind (None: not a kind with pods).
pub fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some("/spec/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerKind {
    Container,
    Init,
    Ephemeral,
}

impl ContainerKind {
    fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// One container of the object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Container {
    pub kind: ContainerKind,
    pub name: String,
    pub image: String,
    /// JSON pointer of its `image` field (for patches).
    pub pointer: String,
    /// Whether it will run as root: effective `runAsUser` 0, or no `runAsUser`, no
    /// `runAsNonRoot: true` and an image whose config user is root (empty, `root`, `0`).
    /// `None` until the image's user is known ([`Container::runs_as_root`]).
    pub run_as_user: Option<i64>,
    pub run_as_non_root: Option<bool>,
    pub security_context: Value,
}

impl Container {
    /// Does it run as root, given the image config's `User`?
    pub fn runs_as_root(&self, image_user: Option<&str>) -> bool {
        if let Some(uid) = self.run_as_user {
            return uid == 0;
        }
        if self.run_as_non_root == Some(true) {
            return false; // the kubelet refuses to start it as root
        }
        let user = image_user.unwrap_or("");
        let name = user.split(':').next().unwrap_or("");
        name.is_empty() || name == "root" || name == "0"
    }
}

/// Every container (regular, init, ephemeral) of an object of `kind`, with the effective
/// security context (container over pod).
pub fn containers(object: &Value, kind: &str) -> Vec<Container> {
    let Some(spec_ptr) = pod_spec_pointer(kind) else {
        return Vec::new();
    };
    let Some(spec) = object.pointer(spec_ptr) else {
        return Vec::new();
    };
    let pod_sc = spec.get("securityContext").cloned().unwrap_or(Value::Null);
    let mut out = Vec::new();
    for ck in [
        ContainerKind::Init,
        ContainerKind::Container,
        ContainerKind::Ephemeral,
    ] {
        let Some(list) = spec.get(ck.field()).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in list.iter().enumerate() {
            let sc = c.get("securityContext").cloned().unwrap_or(Value::Null);
            let pick_i64 = |f: &str| {
                sc.get(f)
                    .and_then(Value::as_i64)
                    .or_else(|| pod_sc.get(f).and_then(Value::as_i64))
            };
            let pick_bool = |f: &str| {
                sc.get(f)
                    .and_then(Value::as_bool)
                    .or_else(|| pod_sc.get(f).and_then(Value::as_bool))
            };
            out.push(Container {
                kind: ck,
                name: c
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                image: c
                    .get("image")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                pointer: format!("{spec_ptr}/{}/{i}/image", ck.field()),
                run_as_user: pick_i64("runAsUser"),
                run_as_non_root: pick_bool("runAsNonRoot"),
                security_context: sc,
            });
        }
    }
    out
}

/// Is the image reference pinned by digest (`…@sha256:<64 hex>`)?
pub fn is_pinned(image: &str) -> bool {
    image
        .rsplit_once("@sha256:")
        .is_some_and(|(_, h)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `repo:tag` → `repo:tag@sha256:…` (a reference already pinned is returned unchanged).
pub fn pin(image: &str, digest: &str) -> String {
    if image.contains('@') {
        image.to_string()
    } else {
        format!("{image}@{digest}")
    }
}

/// The workload that owns a pod: its first controller owner reference (kind, name), else the
/// pod itself.
pub fn workload_of(object: &Value, kind: &str, fallback_name: &str) -> (String, String) {
    if let Some(owners) = object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        && let Some(o) = owners
            .iter()
            .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
            .or_else(|| owners.first())
    {
        let k = o.get("kind").and_then(Value::as_str).unwrap_or(kind);
        let n = o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(fallback_name);
        return (k.to_string(), n.to_string());
    }
    (kind.to_string(), fallback_name.to_string())
}

/// What the webhook answers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    pub allowed: bool,
    /// `status.message` (when denied).
    pub message: Option<String>,
    /// HTTP-like status code for a denial (403).
    pub code: Option<u16>,
    pub warnings: Vec<String>,
    /// JSONPatch operations (mutation).
    pub patch: Vec<Value>,
    pub audit_annotations: Vec<(String, String)>,
}

/// The AdmissionReview JSON answering `req`.
pub fn review_response(api_version: &str, uid: &str, r: &Response) -> Value {
    let mut resp = json!({"uid": uid, "allowed": r.allowed});
    if let Some(m) = &r.message {
        resp["status"] =
            json!({"message": m, "code": r.code.unwrap_or(403), "reason": "Forbidden"});
    }
    if !r.warnings.is_empty() {
        resp["warnings"] = json!(r.warnings);
    }
    if !r.patch.is_empty() {
        let bytes = serde_json::to_vec(&r.patch).unwrap_or_default();
        resp["patchType"] = json!("JSONPatch");
        resp["patch"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
    if !r.audit_annotations.is_empty() {
        resp["auditAnnotations"] = Value::Object(
            r.audit_annotations
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect(),
        );
    }
    json!({"apiVersion": api_version, "kind": "AdmissionReview", "response": resp})
}

/// The API server truncates a warning longer than 256 characters (and drops warnings past
/// 4 KiB in total): clip ours at that length ourselves, with an ellipsis.
pub fn clip_warning(s: &str) -> String {
    const MAX: usize = 256;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod_spec() -> Value {
        json!({
            "securityContext": {"runAsNonRoot": true},
            "initContainers": [{"name": "init", "image": "r/init:1"}],
            "containers": [
                {"name": "app", "image": "r/app:1", "securityContext": {"runAsUser": 0}},
                {"name": "side", "image": "r/side@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
            ],
            "ephemeralContainers": [{"name": "debug", "image": "busybox"}]
        })
    }

    #[test]
    fn containers_of_every_kind() {
        let spec = pod_spec();
        let cases = [
            ("Pod", json!({"spec": spec})),
            ("Deployment", json!({"spec": {"template": {"spec": spec}}})),
            ("StatefulSet", json!({"spec": {"template": {"spec": spec}}})),
            ("DaemonSet", json!({"spec": {"template": {"spec": spec}}})),
            ("ReplicaSet", json!({"spec": {"template": {"spec": spec}}})),
            ("Job", json!({"spec": {"template": {"spec": spec}}})),
            (
                "CronJob",
                json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
            ),
        ];
        for (kind, obj) in cases {
            let cs = containers(&obj, kind);
            let names: Vec<_> = cs.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, ["init", "app", "side", "debug"], "{kind}");
            for c in &cs {
                assert_eq!(obj.pointer(&c.pointer).unwrap(), &json!(c.image), "{kind}");
            }
            // container-level runAsUser 0 wins over the pod's runAsNonRoot
            assert!(cs[1].runs_as_root(Some("1000")));
            assert!(!cs[0].runs_as_root(None));
        }
        assert!(containers(&json!({"spec": {}}), "Service").is_empty());
    }

    #[test]
    fn root_from_the_image_user() {
        let c = |uid: Option<i64>, nonroot: Option<bool>| Container {
            kind: ContainerKind::Container,
            name: "c".into(),
            image: "i".into(),
            pointer: String::new(),
            run_as_user: uid,
            run_as_non_root: nonroot,
            security_context: Value::Null,
        };
        assert!(c(None, None).runs_as_root(None));
        assert!(c(None, None).runs_as_root(Some("")));
        assert!(c(None, None).runs_as_root(Some("root:root")));
        assert!(c(None, None).runs_as_root(Some("0")));
        assert!(!c(None, None).runs_as_root(Some("1000:1000")));
        assert!(!c(None, None).runs_as_root(Some("app")));
        assert!(!c(Some(1000), None).runs_as_root(None));
        assert!(c(Some(0), Some(true)).runs_as_root(Some("app")));
    }

    #[test]
    fn pinning() {
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert!(!is_pinned("r/app:1"));
        assert!(is_pinned(&pin("r/app:1", d)));
        assert_eq!(pin("r/app:1", d), format!("r/app:1@{d}"));
        assert_eq!(pin(&format!("r/app@{d}"), d), format!("r/app@{d}"));
        assert!(!is_pinned("r/app@sha256:abc"));
    }

    #[test]
    fn parse_and_answer() {
        let body = json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "namespace": "prod", "operation": "CREATE",
                        "userInfo": {"username": "alice"},
                        "object": {"metadata": {"generateName": "web-"}, "spec": {"containers": []}}}
        });
        let r = parse_review(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(
            (
                r.uid.as_str(),
                r.kind.as_str(),
                r.namespace.as_str(),
                r.name.as_str()
            ),
            ("u-1", "Pod", "prod", "web-")
        );
        let out = review_response(
            &r.api_version,
            &r.uid,
            &Response {
                allowed: false,
                message: Some("no".into()),
                warnings: vec!["w".into()],
                patch: vec![
                    json!({"op": "replace", "path": "/spec/containers/0/image", "value": "x"}),
                ],
                ..Default::default()
            },
        );
        assert_eq!(out["response"]["uid"], "u-1");
        assert_eq!(out["response"]["allowed"], false);
        assert_eq!(out["response"]["status"]["code"], 403);
        assert_eq!(out["response"]["warnings"][0], "w");
        assert_eq!(out["response"]["patchType"], "JSONPatch");
        assert!(parse_review(b"{}").is_err());
    }

    #[test]
    fn workload_from_owner() {
        let obj = json!({"metadata": {"ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d4f", "controller": true}]}});
        assert_eq!(
            workload_of(&obj, "Pod", "web-5d4f-x"),
            ("ReplicaSet".to_string(), "web-5d4f".to_string())
        );
        assert_eq!(
            workload_of(&json!({}), "Pod", "p"),
            ("Pod".to_string(), "p".to_string())
        );
    }
}
