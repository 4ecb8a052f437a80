//! Listings: a repository's tags and a registry's catalog, following `Link: <…>; rel="next"`.

use crate::error::{Error, Result};
use crate::http::{ApiRequest, Inner, Subject, chain};
use crate::manifest::pull_scope;
use crate::reference::Reference;
use reqwest::Url;
use serde::Deserialize;
use std::collections::HashSet;
use std::io::Read;

/// A listing page above this is refused.
const MAX_PAGE_BYTES: u64 = 32 << 20;
/// Stop after this many pages (a registry that never stops paginating).
const MAX_PAGES: usize = 100_000;

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Catalog {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

/// The `rel="next"` target of `Link` header values.
pub fn next_link(values: &[&str]) -> Option<String> {
    for v in values {
        for part in v.split(',') {
            let part = part.trim();
            let Some(rest) = part.strip_prefix('<') else {
                continue;
            };
            let Some((url, params)) = rest.split_once('>') else {
                continue;
            };
            let is_next = params.split(';').any(|p| {
                let p = p.trim();
                p.strip_prefix("rel=")
                    .map(|r| r.trim_matches('"').split(' ').any(|x| x == "next"))
                    .unwrap_or(false)
            });
            if is_next {
                return Some(url.trim().to_string());
            }
        }
    }
    None
}

/// GET every page of a listing; `items` pulls the entries out of one page's JSON.
fn paginate(
    inner: &Inner,
    registry: &str,
    first: String,
    scope: String,
    what: &str,
    items: impl Fn(&[u8]) -> Result<Vec<String>>,
) -> Result<Vec<String>> {
    let base = Url::parse(&inner.base_url(registry)).map_err(|e| Error::InvalidResponse {
        what: "registry URL".into(),
        reason: e.to_string(),
    })?;
    let mut target = first;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for _ in 0..MAX_PAGES {
        let current = base.join(&target).map_err(|e| Error::InvalidResponse {
            what: format!("{what} URL"),
            reason: format!("{target}: {e}"),
        })?;
        if !seen.insert(current.to_string()) {
            break; // the registry sent us back to a page we have read
        }
        let req = ApiRequest {
            registry,
            target: current.to_string(),
            scope: scope.clone(),
            accept: Some("application/json"),
            range_from: None,
            subject: Subject::Other(what.to_string()),
        };
        let resp = inner.send(&req)?;
        let links: Vec<String> = resp
            .headers()
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let mut body = Vec::new();
        resp.take(MAX_PAGE_BYTES + 1)
            .read_to_end(&mut body)
            .map_err(|e| Error::Transport {
                url: current.to_string(),
                message: chain(&e),
            })?;
        if body.len() as u64 > MAX_PAGE_BYTES {
            return Err(Error::TooLarge {
                what: format!("{what} page"),
                limit: MAX_PAGE_BYTES,
            });
        }
        let page = items(&body)?;
        let empty = page.is_empty();
        out.extend(page);
        let refs: Vec<&str> = links.iter().map(String::as_str).collect();
        let Some(next) = next_link(&refs) else {
            break;
        };
        if empty {
            break;
        }
        let next_url = current.join(&next).map_err(|e| Error::InvalidResponse {
            what: format!("{what} Link header"),
            reason: format!("{next}: {e}"),
        })?;
        // credentials go with the request: never follow a Link to another server
        if next_url.origin() != base.origin() {
            return Err(Error::InvalidResponse {
                what: format!("{what} Link header"),
                reason: format!("next page {next_url} is on another server than {base}"),
            });
        }
        target = next_url.to_string();
    }
    Ok(out)
}

pub(crate) fn list_tags(inner: &Inner, repo: &Reference) -> Result<Vec<String>> {
    let what = format!("tag list of {}", repo.name());
    let mut tags = paginate(
        inner,
        repo.registry(),
        format!(
            "/v2/{}/tags/list?n={}",
            repo.repository(),
            inner.opts.page_size.max(1)
        ),
        pull_scope(repo),
        &what,
        |body| {
            let l: TagList = serde_json::from_slice(body).map_err(|e| Error::InvalidResponse {
                what: what.clone(),
                reason: e.to_string(),
            })?;
            Ok(l.tags.unwrap_or_default())
        },
    )?;
    // the spec has them in lexical order; not every registry does (docker-registry 2.8)
    tags.sort();
    tags.dedup();
    Ok(tags)
}

pub(crate) fn catalog(inner: &Inner, registry: &str) -> Result<Vec<String>> {
    let what = format!("catalog of {registry}");
    let r = paginate(
        inner,
        registry,
        format!("/v2/_catalog?n={}", inner.opts.page_size.max(1)),
        "registry:catalog:*".into(),
        &what,
        |body| {
            let c: Catalog = serde_json::from_slice(body).map_err(|e| Error::InvalidResponse {
                what: what.clone(),
                reason: e.to_string(),
            })?;
            Ok(c.repositories.unwrap_or_default())
        },
    );
    match r {
        Ok(mut repos) => {
            repos.sort();
            repos.dedup();
            Ok(repos)
        }
        Err(e @ Error::Denied { .. }) => Err(Error::CatalogUnavailable {
            registry: registry.to_string(),
            reason: format!("not allowed for these credentials ({e})"),
        }),
        Err(Error::NotFound { .. }) => Err(Error::CatalogUnavailable {
            registry: registry.to_string(),
            reason: "the registry does not serve /v2/_catalog (HTTP 404)".into(),
        }),
        Err(Error::Http {
            status: status @ (400 | 405 | 501),
            code,
            message,
            ..
        }) => Err(Error::CatalogUnavailable {
            registry: registry.to_string(),
            reason: format!("HTTP {status} {code} {message}").trim().to_string(),
        }),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        // as sent by docker-registry 2.8 for /v2/_catalog?n=2 (captured)
        assert_eq!(
            next_link(&[r#"</v2/_catalog?last=test%2Fb&n=2>; rel="next""#]),
            Some("/v2/_catalog?last=test%2Fb&n=2".to_string())
        );
        assert_eq!(
            next_link(&[
                r#"<https://r.local/v2/x/tags/list?n=1&last=a>; rel="prev", <https://r.local/v2/x/tags/list?n=1&last=b>; rel=next"#
            ]),
            Some("https://r.local/v2/x/tags/list?n=1&last=b".to_string())
        );
        assert_eq!(next_link(&[r#"</v2/_catalog?n=2>; rel="prev""#]), None);
        assert_eq!(next_link(&[]), None);
    }
}
