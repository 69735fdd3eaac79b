//! The replication lab (`scripts/lab`, issue 12): runs it with the server
//! cargo built for this test run, into a temp dir, and checks the page it
//! writes: one `.lane` per node in every scene, the six scenes, and in each
//! scene a master's decision of the kind the scene causes, with its reason
//! (a full resync in scenes 1, 2 and 4, a partial one in 3, 5 and 6); then
//! loads the page in headless Chromium, which must run its script without
//! a console error and find the same elements. The same run draws the
//! walkthroughs' diagrams (`--docs`) into the temp dir, checked too.

mod util;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use util::{make_temp_dir, OXREDIS_BIN};

const SCENES: &[(&str, &str)] = &[
    ("full-sync-disk", "fullresync"),
    ("full-sync-diskless", "fullresync"),
    ("partial-resync", "continue"),
    ("backlog-overflow", "fullresync"),
    ("promotion-psync2", "continue"),
    ("restart-from-rdb", "continue"),
];

const LANES: &[&str] = &["master", "replica-a", "replica-b"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs scripts/lab into `dir`; returns the page's text.
fn run_lab(dir: &Path) -> String {
    let page = dir.join("index.html");
    let out = Command::new("python3")
        .arg(repo().join("scripts/lab"))
        .arg("--quiet")
        .arg("--out")
        .arg(&page)
        .arg("--docs")
        .arg("--docs-dir")
        .arg(dir.join("img"))
        .env("OXREDIS_BIN", OXREDIS_BIN)
        .output()
        .expect("run python3 scripts/lab");
    assert!(
        out.status.success(),
        "scripts/lab failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    fs::read_to_string(&page).expect("the lab's page")
}

/// The text of each `<section class="scene" ...>` by its data-scene name.
fn scene_sections(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chunk in page.split("<section class=\"scene\"").skip(1) {
        let section = chunk.split("</section>").next().unwrap_or("");
        let name = section
            .split("data-scene=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("")
            .to_string();
        out.push((name, section.to_string()));
    }
    out
}

/// The reasons of the master-side decisions of `kind` in a scene's html.
fn master_reasons(section: &str, kind: &str) -> Vec<String> {
    let open = format!(
        "<div class=\"decision\" data-side=\"master\" data-decision=\"{kind}\">"
    );
    section
        .split(&open)
        .skip(1)
        .filter_map(|d| {
            d.split("<span class=\"reason\">")
                .nth(1)
                .and_then(|r| r.split("</span>").next())
                .map(|r| r.trim().to_string())
        })
        .collect()
}

#[test]
fn lab_page_has_every_scene_lane_and_decision() {
    let dir = make_temp_dir();
    let page = run_lab(&dir);

    let sections = scene_sections(&page);
    let names: Vec<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
    let want: Vec<&str> = SCENES.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, want, "the scenes, in order");

    for ((name, section), (_, kind)) in sections.iter().zip(SCENES) {
        for lane in LANES {
            assert!(
                section.contains(&format!(
                    "<div class=\"lane\" data-node=\"{lane}\">"
                )),
                "scene {name}: no lane for {lane}"
            );
        }
        let reasons = master_reasons(section, kind);
        assert!(
            reasons.iter().any(|r| !r.is_empty()),
            "scene {name}: no master decision {kind} with a reason"
        );
        // The other kind does not appear where the scene is clean: a scene
        // that expects a partial resync has no full one, and the reverse.
        let other = if *kind == "continue" { "fullresync" } else { "continue" };
        assert!(
            master_reasons(section, other).is_empty(),
            "scene {name}: a master decision {other} where only {kind} is expected"
        );
        // Each scene links at least one Rust function into src/.
        assert!(
            section.contains("class=\"fn\" href=\""),
            "scene {name}: no code links"
        );
        assert!(
            section.contains("<svg class=\"offsets\""),
            "scene {name}: no chart"
        );
    }
    // Why each full sync happened, in words: the first syncs because the
    // replica's replid is unknown, the overflow because its offset is not in
    // the backlog.
    let reasons =
        |i: usize| master_reasons(&sections[i].1, SCENES[i].1).join(" | ");
    assert!(reasons(0).contains("replid"), "scene 1 reason: {}", reasons(0));
    assert!(reasons(3).contains("backlog"), "scene 4 reason: {}", reasons(3));

    // Self-contained: nothing fetched from the network.
    for bad in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(bad), "the page refers to the network: {bad}");
    }

    // The walkthroughs' diagrams, drawn from the same run: every sequence
    // diagram has the replica's PSYNC and the master's decision in it.
    for name in [
        "handshake",
        "full-sync-disk",
        "full-sync-diskless",
        "partial-resync",
        "backlog-overflow",
        "psync2-promotion",
        "restart-from-rdb",
    ] {
        let svg =
            fs::read_to_string(dir.join("img").join(format!("{name}.svg")))
                .unwrap_or_else(|e| panic!("{name}.svg: {e}"));
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}.svg"
        );
        assert!(svg.contains("PSYNC"), "{name}.svg has no PSYNC");
        assert!(
            svg.contains("decides for"),
            "{name}.svg has no master decision"
        );
    }
    for name in ["cron", "event-loop"] {
        let svg =
            fs::read_to_string(dir.join("img").join(format!("{name}.svg")))
                .unwrap_or_else(|e| panic!("{name}.svg: {e}"));
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}.svg"
        );
    }

    browser_check(&dir, &dir.join("index.html"));
    let _ = fs::remove_dir_all(&dir);
}

/// Loads the page in headless Chromium with `scripts/browser-check`: no
/// console error, every expected element in the DOM, a screenshot written.
fn browser_check(dir: &Path, page: &Path) {
    let shot = dir.join("lab.png");
    let mut cmd = Command::new("python3");
    cmd.arg(repo().join("scripts/browser-check"))
        .arg(page)
        .arg("--screenshot")
        .arg(&shot)
        .arg("--expect")
        .arg("body[data-ready=\"1\"]");
    for lane in LANES {
        cmd.arg("--expect").arg(format!(".scene .lane[data-node=\"{lane}\"]"));
    }
    for (name, kind) in SCENES {
        cmd.arg("--expect").arg(format!(
            ".scene[data-scene=\"{name}\"] .decision[data-decision=\"{kind}\"] .reason"
        ));
    }
    let out = cmd.output().expect("run scripts/browser-check");
    assert!(
        out.status.success(),
        "browser-check failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let png = fs::read(&shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
}
