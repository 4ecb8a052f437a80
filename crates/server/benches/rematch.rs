//! Re-match benchmark: 10,000 stored inventories (the real package sets of an Alpine 3.20.3
//! image and of a Debian 12 minbase system, with varied versions), then a DB update that
//! changes two advisory keys (`alpine:3.20/busybox`, `debian:12/glibc`): time of the diff
//! re-match (inverted index → only the touched packages) against a full re-match of every
//! stored inventory. No image is pulled or read again in either.
//!
//! `cargo bench -p drydock-server --bench rematch` (release), or quicker in the dev profile:
//! `cargo test -p drydock-server --bench rematch`. `DRYDOCK_BENCH_IMAGES` sets the count,
//! `DRYDOCK_BENCH_DATABASE` a PostgreSQL URL (default: SQLite in a temp dir).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use drydock_inventory::Inventory;
use drydock_server::store::{CiContext, ImageMeta};
use drydock_testkit as tk;

fn debian_inventory() -> Inventory {
    let status =
        std::fs::read(tk::shared_dir().join("rootfs/debian-bookworm-minbase/dpkg-status")).unwrap();
    let layer = tk::layer_tar(&[
        tk::Entry::file(
            "etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
        ),
        tk::Entry::file("var/lib/dpkg/status", status),
    ]);
    inventory_of(vec![layer])
}

fn inventory_of(layers: Vec<Vec<u8>>) -> Inventory {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("i.tar");
    tk::write_docker_archive(
        &out,
        &layers,
        &tk::ImageConfig::default(),
        tk::Compression::None,
        None,
    );
    let image = drydock_image::Image::open(&out, &Default::default()).unwrap();
    let l = drydock_image::analyze_image(
        &image,
        &drydock_inventory::InventoryAnalyzer::image(),
        &Default::default(),
        &|_, _| {},
    )
    .unwrap();
    let ids: Vec<String> = l.iter().map(|x| x.diff_id.clone()).collect();
    drydock_inventory::build_inventory(&drydock_image::MergedView::apply(l), &ids)
}

/// A lower version in the package's own scheme: apk `-rN` → `-r(N-1)`; dpkg `V` → `V~bN`.
fn vary(kind_is_apk: bool, v: &str, n: usize) -> String {
    if kind_is_apk {
        if let Some((base, r)) = v.rsplit_once("-r")
            && let Ok(r) = r.parse::<u64>()
            && r > 0
        {
            return format!("{base}-r{}", r - 1 - (n as u64 % r));
        }
        v.to_string()
    } else {
        format!("{v}~b{n}")
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let count: usize = std::env::var("DRYDOCK_BENCH_IMAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let store_dir = tempfile::tempdir().unwrap();
    let url = std::env::var("DRYDOCK_BENCH_DATABASE").unwrap_or_else(|_| {
        format!(
            "sqlite://{}",
            store_dir.path().join("bench.sqlite").display()
        )
    });
    // feeds: the real Alpine 3.20 secdb and the Debian DSA/DLA lists
    let feeds = common::feed_dir();
    let deb = feeds.path().join("debian");
    std::fs::create_dir_all(&deb).unwrap();
    for f in ["DSA.list", "DLA.list"] {
        std::fs::copy(tk::shared_dir().join("feeds/debian").join(f), deb.join(f)).unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    let store = common::TestStore::new(common::Kind::Sqlite).await.unwrap();
    let url = if url.starts_with("postgres") {
        url
    } else {
        store.url.clone()
    };
    let mut cfg = drydock_server::Config::new(
        &url,
        data.path(),
        drydock_server::DbSource::Feeds(feeds.path().to_path_buf()),
    );
    cfg.db_update_interval = Some(std::time::Duration::ZERO);
    cfg.full_rematch_interval = None;
    let engine = drydock_server::Engine::new(cfg).await.unwrap();
    engine.tick(false).await.unwrap();
    let org = engine
        .store
        .ensure_org("bench", engine.now())
        .await
        .unwrap();

    let (sbom, _) = common::alpine_submission("3.20.3", "bench/alpine", "1");
    let alpine = drydock_inventory::sbom::parse_sbom(&serde_json::to_vec(&sbom).unwrap()).unwrap();
    let debian = debian_inventory();
    eprintln!(
        "base package sets: alpine {} packages, debian {} packages",
        alpine.packages.len(),
        debian.packages.len()
    );

    let t = Instant::now();
    let mut total_pkgs = 0usize;
    for i in 0..count {
        let apk = i % 2 == 0;
        let mut inv = if apk { alpine.clone() } else { debian.clone() };
        for (j, p) in inv.packages.iter_mut().enumerate() {
            if (i + j) % 3 == 0 {
                p.version = vary(apk, &p.version, i);
                p.source_version = vary(apk, &p.source_version, i);
            }
        }
        total_pkgs += inv.packages.len();
        let meta = ImageMeta {
            digest: format!("sha256:{i:064x}"),
            repo: format!("bench/{}", if apk { "alpine" } else { "debian" }),
            tags: vec![format!("v{i}")],
            ..Default::default()
        };
        engine
            .store_inventory(org, &meta, &CiContext::default(), "bench", inv)
            .await
            .unwrap();
        if (i + 1) % 1000 == 0 {
            eprintln!(
                "stored {} inventories ({:.1}s)",
                i + 1,
                t.elapsed().as_secs_f64()
            );
        }
    }
    let setup = t.elapsed();

    // the DB update: two advisories (TEST-ONLY, marked) on packages every image holds
    let osv = feeds.path().join("osv/bench-test");
    std::fs::create_dir_all(&osv).unwrap();
    for (id, eco, name) in [
        ("DRYDOCK-BENCH-0001", "Alpine:v3.20", "busybox"),
        ("DRYDOCK-BENCH-0002", "Debian:12", "glibc"),
    ] {
        let doc = serde_json::json!({
            "id": id, "summary": "TEST ADVISORY for the re-match benchmark — not real",
            "affected": [{"package": {"ecosystem": eco, "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "999"}]}]}]
        });
        std::fs::write(osv.join(format!("{id}.json")), doc.to_string()).unwrap();
    }
    let t = Instant::now();
    let up = engine.db_update().await.unwrap().unwrap();
    let build = t.elapsed();
    let t = Instant::now();
    engine.run_jobs().await.unwrap();
    let diff = t.elapsed();
    let (_, res) = engine
        .store
        .job_state("rematch", &up.update_id)
        .await
        .unwrap()
        .unwrap();
    let res: serde_json::Value = serde_json::from_str(&res.unwrap()).unwrap();

    let t = Instant::now();
    let full = engine
        .run_rematch(
            "bench-full",
            &serde_json::json!({"update_id": up.update_id, "mode": "full", "notify": false})
                .to_string(),
        )
        .await
        .unwrap();
    let full_t = t.elapsed();
    let out = serde_json::json!({
        "store": if url.starts_with("postgres") { "postgres" } else { "sqlite" },
        "images": count,
        "stored_packages": total_pkgs,
        "setup_s": setup.as_secs_f64(),
        "db_build_and_diff_s": build.as_secs_f64(),
        "diff": {"added": up.added, "changed": up.changed, "withdrawn": up.withdrawn, "package_keys": up.pkg_keys},
        "diff_rematch_s": diff.as_secs_f64(),
        "diff_rematch": res,
        "full_rematch_s": full_t.as_secs_f64(),
        "full_rematch": full,
        "ratio_diff_to_full": diff.as_secs_f64() / full_t.as_secs_f64(),
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
    store.cleanup().await;
}
