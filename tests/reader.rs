//! The side-by-side C↔Rust reader (`scripts/reader`) and the headless
//! browser check (`scripts/browser-check`) it is verified with (issue 12).
//!
//! With `REDIS_SRC` set to a Redis 5.0.14 tree, the reader runs on it and
//! the repo's function list; otherwise on the made-up C tree of
//! `tests/assets/reader-src/` (Redis's function names, not its code) and
//! that tree's `functions.tsv`. Either way the pages are loaded in headless
//! Chromium (`/usr/bin/chromium`, installed by scripts/test): no console
//! error, the expected panes in the DOM, a screenshot written.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory under the test target's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("reader-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    dir
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn read(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Runs scripts/reader with `redis_src` (None: unset) and extra args.
fn run_reader(redis_src: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(root().join("scripts/reader"));
    cmd.args(args).env_remove("READER_FUNCTIONS");
    match redis_src {
        Some(p) => cmd.env("REDIS_SRC", p),
        None => cmd.env_remove("REDIS_SRC"),
    };
    cmd.output().expect("run scripts/reader (python3)")
}

fn browser_check(args: &[&str]) -> Output {
    Command::new(root().join("scripts/browser-check"))
        .args(args)
        .output()
        .expect("run scripts/browser-check (python3)")
}

/// The `<section>` of one function on a file page.
fn section<'a>(page: &'a str, name: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{name}\" data-fn="))
        .unwrap_or_else(|| panic!("no section for {name}()"));
    let start = page[..start].rfind("<section").expect("section start");
    let end = page[start..].find("</section>").expect("section end");
    &page[start..start + end]
}

/// The numbers (functions, ported, design, not yet) of one file's row of
/// the index.
fn index_row(index: &str, file: &str) -> [u32; 4] {
    let at = index
        .find(&format!("<tr data-file=\"{file}\">"))
        .unwrap_or_else(|| panic!("no index row for {file}"));
    let row = &index[at..at + index[at..].find("</tr>").expect("row end")];
    let cells: Vec<u32> = row
        .split("<td")
        .skip(2)
        .take(4)
        .map(|c| {
            let v = &c[c.find('>').expect("td")..];
            let v = v.trim_start_matches('>');
            v[..v.find('<').expect("td end")].parse().expect("a count")
        })
        .collect();
    [cells[0], cells[1], cells[2], cells[3]]
}

/// A file's counts in docs/c-map.md's summary (functions, ported, design,
/// not yet), which the reader must agree with.
fn c_map_row(file: &str) -> [u32; 4] {
    let map = read(&root().join("docs/c-map.md"));
    let prefix = format!("| [{file}](#");
    let line = map
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no summary row for {file} in c-map.md"));
    let n: Vec<u32> = line
        .split('|')
        .skip(2)
        .take(4)
        .map(|c| c.trim().parse().expect("a count"))
        .collect();
    [n[0], n[1], n[2], n[3]]
}

fn assert_png(path: &Path) {
    let bytes =
        fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() > 1000 && bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a screenshot ({} bytes)",
        path.display(),
        bytes.len()
    );
}

#[test]
fn reader_writes_side_by_side_pages_that_load_in_a_browser() {
    let out_dir = scratch("site");
    let fixture = root().join("tests/assets/reader-src");
    let redis_src = std::env::var_os("REDIS_SRC").map(PathBuf::from);
    let out_arg = out_dir.to_str().expect("utf-8 path");
    let tsv = fixture.join("functions.tsv");
    let out = match &redis_src {
        Some(src) => run_reader(Some(src), &[out_arg]),
        None => run_reader(
            Some(&fixture),
            &["--functions", tsv.to_str().expect("utf-8 path"), out_arg],
        ),
    };
    assert!(out.status.success(), "scripts/reader failed: {}", show(&out));
    // Every definition was found where the list says.
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{}",
        show(&out)
    );

    let index = read(&out_dir.join("index.html"));
    let ae = read(&out_dir.join("ae.c.html"));
    let anet = read(&out_dir.join("anet.c.html"));

    // Coverage per file, linking to the page and each function's anchor.
    if redis_src.is_some() {
        for file in [
            "ae.c",
            "anet.c",
            "networking.c",
            "replication.c",
            "rdb.c",
            "server.c",
        ] {
            assert!(out_dir.join(format!("{file}.html")).is_file(), "{file}");
            assert_eq!(index_row(&index, file), c_map_row(file), "{file}");
        }
    } else {
        assert_eq!(index_row(&index, "ae.c"), [5, 4, 0, 1]);
        assert_eq!(index_row(&index, "anet.c"), [2, 1, 1, 0]);
        assert!(index.contains("<td id=\"total-ported\">5</td>"), "{index}");
    }
    assert!(index.contains("href=\"ae.c.html\""));
    assert!(index.contains("href=\"ae.c.html#aeMain\""));
    assert!(index.contains("href=\"anet.c.html#anetSetError\""));

    // A ported function: its C on the left, its Rust (doc and body) on the
    // right.
    let main = section(&ae, "aeMain");
    let c_at = main.find("class=\"pane c\"").expect("a C pane");
    let rust_at = main.find("class=\"pane rust\"").expect("a Rust pane");
    assert!(c_at < rust_at);
    assert!(main[c_at..rust_at].contains("aeMain(aeEventLoop *eventLoop)"));
    assert!(main[rust_at..].contains("C: ae.c aeMain()"));
    assert!(main[rust_at..].contains("fn ae_main"));
    assert!(main[rust_at..].contains("while !ctx.el().stop"));

    // Replaced by design: the reason from docs/c-map-omissions.md and the
    // C only.
    let set_error = section(&anet, "anetSetError");
    assert!(set_error.contains("replaced by design"));
    assert!(set_error.contains("Replaced by `AnetErr`"), "{set_error}");
    assert!(set_error.contains("class=\"pane c\""));
    assert!(!set_error.contains("class=\"pane rust\""));

    if redis_src.is_none() {
        // Not in the map at all: not yet ported, no reason row.
        let clamp = section(&ae, "aeFixtureClamp");
        assert!(clamp.contains("not yet ported"));
        // Its C from the comment above it, over the return type's own
        // line, to the closing brace.
        for line in [
            "ln\">48</span><span class=\"cm\">/* Only in the fixture",
            "ln\">50</span>static int</span>",
            "ln\">51</span>aeFixtureClamp(int value, int limit)</span>",
            "ln\">55</span>}</span>",
        ] {
            assert!(clamp.contains(line), "{line} not in {clamp}");
        }
        // The C is escaped.
        let main_c = &main[c_at..rust_at];
        assert!(main_c.contains("&quot;&lt;b&gt;&amp;amp;&lt;/b&gt;&quot;"));
        assert!(!main_c.contains("<b>"));
    }

    // A divergence comment is highlighted (the Rust of aeProcessEvents
    // carries several).
    assert!(
        ae.contains("<span class=\"dv\">// Divergence from C:")
            || ae.contains("<span class=\"dv\">/// Divergence from C:"),
        "no highlighted divergence comment on ae.c's page"
    );

    // In the browser: no console error, the panes there, screenshots.
    let shot = out_dir.join("index.png");
    let index_path = out_dir.join("index.html");
    let out = browser_check(&[
        index_path.to_str().expect("utf-8"),
        "--screenshot",
        shot.to_str().expect("utf-8"),
        "--expect",
        "table#coverage",
        "tr[data-file=\"ae.c\"] td.n-ported",
        "a[href=\"ae.c.html#aeMain\"]",
        "#filter",
    ]);
    assert!(out.status.success(), "index.html: {}", show(&out));
    assert_png(&shot);

    let shot = out_dir.join("ae.png");
    let ae_path = out_dir.join("ae.c.html");
    let out = browser_check(&[
        &format!("{}#aeMain", ae_path.display()),
        "--screenshot",
        shot.to_str().expect("utf-8"),
        "--expect",
        "section#aeMain .pane.c pre",
        "section#aeMain .pane.rust pre",
        "#aeProcessEvents .pane.rust .dv",
    ]);
    assert!(out.status.success(), "ae.c.html: {}", show(&out));
    assert_png(&shot);

    let anet_path = out_dir.join("anet.c.html");
    let out = browser_check(&[
        anet_path.to_str().expect("utf-8"),
        "--expect",
        "section#anetSetError .pane.c",
        "section#anetSetError .pane.reason",
    ]);
    assert!(out.status.success(), "anet.c.html: {}", show(&out));

    // An expected pane that is not there fails the check.
    let out = browser_check(&[
        anet_path.to_str().expect("utf-8"),
        "--expect",
        "section#anetSetError .pane.rust",
    ]);
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "expected 'section#anetSetError .pane.rust' in the DOM, found none"
        ),
        "{}",
        show(&out)
    );
    let _ = fs::remove_dir_all(&out_dir);
}

#[test]
fn reader_fails_clearly_without_a_5_0_14_tree() {
    let dir = scratch("bad-src");
    let out = run_reader(None, &[dir.join("site").to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("REDIS_SRC is not set"),
        "{}",
        show(&out)
    );

    let out =
        run_reader(Some(&dir), &[dir.join("site").to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("not a Redis source tree"),
        "{}",
        show(&out)
    );

    fs::create_dir_all(dir.join("src")).expect("mkdir src");
    fs::write(dir.join("src/version.h"), "#define REDIS_VERSION \"6.0.9\"\n")
        .expect("write version.h");
    let out =
        run_reader(Some(&dir), &[dir.join("site").to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("is Redis 6.0.9, not 5.0.14"),
        "{}",
        show(&out)
    );
    assert!(!dir.join("site/index.html").exists());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn browser_check_fails_on_console_errors_and_passes_a_clean_page() {
    let dir = scratch("browser-check");
    let page = |name: &str, script: &str| {
        let path = dir.join(name);
        fs::write(
            &path,
            format!(
                "<!doctype html><html><head><meta charset=\"utf-8\">\
                 <title>t</title></head><body><div id=\"pane\" \
                 class=\"pane c\">x</div><script>{script}</script>\
                 </body></html>\n"
            ),
        )
        .expect("write a page");
        path
    };
    let clean = page(
        "clean.html",
        "document.body.appendChild(document.createElement('section'));",
    );
    let throws = page("throws.html", "throw new Error('injected failure');");
    let late = page(
        "late.html",
        "window.addEventListener('load', function () { null.x; });",
    );
    let logs = page("logs.html", "console.error('injected console error');");
    let worker = page(
        "worker.html",
        "new Worker(URL.createObjectURL(new Blob(\
         [\"throw new Error('injected in a worker')\"])));",
    );
    let dialog = page("dialog.html", "alert('injected alert');");
    // Nothing listens there: the request is refused, and it is reported
    // as a request to the network, which self-contained pages never make.
    let network = page(
        "network.html",
        "var i = new Image(); i.src = 'http://127.0.0.1:9/x.png'; \
         document.body.appendChild(i);",
    );

    // The clean page passes, with a selector its script added, and writes
    // its screenshot.
    let shot = dir.join("clean.png");
    let out = browser_check(&[
        clean.to_str().expect("utf-8"),
        "--screenshot",
        shot.to_str().expect("utf-8"),
        "--expect",
        "#pane",
        ".pane.c",
        "section",
        "div[id=pane]",
    ]);
    assert!(out.status.success(), "clean page: {}", show(&out));
    assert_png(&shot);

    for (path, what) in [
        (&throws, "Error: injected failure"),
        (&late, "TypeError"),
        (&logs, "console.error: injected console error"),
        (&worker, "Uncaught Error: injected in a worker"),
        (&dialog, "dialog alert() opened: injected alert"),
        (
            &network,
            "network request (pages must be self-contained): \
             http://127.0.0.1:9/x.png",
        ),
    ] {
        let out = browser_check(&[
            path.to_str().expect("utf-8"),
            "--expect",
            "#pane",
        ]);
        assert!(!out.status.success(), "{}: {}", path.display(), show(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("browser-check: FAIL") && err.contains(what),
            "{}: {}",
            path.display(),
            show(&out)
        );
    }

    // A missing page, and a selector the browser rejects.
    let out = browser_check(&[dir.join("nope.html").to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such page"));
    let out =
        browser_check(&[clean.to_str().expect("utf-8"), "--expect", "div["]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not valid CSS"));
    let _ = fs::remove_dir_all(&dir);
}
