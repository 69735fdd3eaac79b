//! Generates and checks `docs/c-map.md`: for every function of the Redis
//! 5.0.14 C files in scope, where its Rust port is (from the
//! `/// C: file.c name()` markers in `src/`), or why it is deliberately not
//! replaced by design or not yet ported, with the reason (both from the
//! hand-maintained `docs/c-map-omissions.md`), or plainly not yet ported.
//!
//! The function list is `docs/redis-5.0.14-functions.tsv`, the repo's own
//! copy of the fact list (every function of the C files with its line).
//!
//! Regenerate the map after adding or moving markers:
//!
//! ```text
//! UPDATE_C_MAP=1 cargo test --test c_map
//! ```
//!
//! The up-to-date check ignores the line numbers of the Rust locations, so
//! that an edit which only shifts lines does not fail it; regenerate to
//! refresh them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// The C files the map lists first, in this order; the other files of the
/// tsv follow in its order.
const FIRST_FILES: &[&str] = &[
    "ae.c",
    "ae_epoll.c",
    "anet.c",
    "networking.c",
    "replication.c",
    "rdb.c",
    "rio.c",
    "server.c",
    "db.c",
    "dict.c",
];

/// Files whose every function must be ported or omitted with a reason.
const FULL_COVERAGE: &[&str] = &["ae.c", "ae_epoll.c", "anet.c"];

const MAP: &str = "docs/c-map.md";
const OMISSIONS: &str = "docs/c-map-omissions.md";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One function of the tsv: C file, line, name.
struct CFunction {
    file: String,
    line: u32,
    name: String,
}

/// Reads `redis-5.0.14-functions.tsv` (header `c_file line function`).
fn read_tsv() -> Vec<CFunction> {
    let path = root().join("docs/redis-5.0.14-functions.tsv");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the C function list {}: {e}. It ships in \
             docs/; the C map cannot be checked without it.",
            path.display()
        )
    });
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            assert!(
                line.starts_with("c_file\t"),
                "unexpected tsv header: {line}"
            );
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "bad tsv line {}: {line:?}", i + 1);
        let line_no = cols[1].parse().unwrap_or_else(|_| {
            panic!("bad line number in tsv line {}", i + 1)
        });
        if seen.insert((cols[0].to_string(), cols[2].to_string())) {
            out.push(CFunction {
                file: cols[0].to_string(),
                line: line_no,
                name: cols[2].to_string(),
            });
        }
    }
    assert!(!out.is_empty(), "the C function list is empty");
    out
}

/// Finds every `C: file.c name()` on a line: the pattern
/// `C: *[A-Za-z0-9_]+\.c +[A-Za-z_][A-Za-z0-9_]*\(\)` of the check script.
fn markers_in_line(line: &str) -> Vec<(String, String)> {
    fn is_word(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'_'
    }
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(off) = line[start..].find("C:") {
        let at = start + off;
        start = at + 2;
        let mut i = at + 2;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        // The file name: word characters ending in ".c".
        let f0 = i;
        while i < b.len() && (is_word(b[i]) || b[i] == b'.') {
            i += 1;
        }
        let file = &line[f0..i];
        let Some(stem) = file.strip_suffix(".c") else { continue };
        if stem.is_empty() || !stem.bytes().all(is_word) {
            continue;
        }
        let s0 = i;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i == s0
            || i >= b.len()
            || !(b[i].is_ascii_alphabetic() || b[i] == b'_')
        {
            continue;
        }
        let n0 = i;
        while i < b.len() && is_word(b[i]) {
            i += 1;
        }
        if line[i..].starts_with("()") {
            out.push((file.to_string(), line[n0..i].to_string()));
            start = i + 2;
        }
    }
    out
}

/// Every marker under `src/`: (C file, function) -> ["src/x.rs:line"].
fn read_markers() -> BTreeMap<(String, String), Vec<String>> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, files);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let root = root();
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for path in files {
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let rel = path.strip_prefix(&root).expect("under the crate root");
        let rel = rel.to_string_lossy().replace('\\', "/");
        for (n, line) in text.lines().enumerate() {
            for key in markers_in_line(line) {
                out.entry(key).or_default().push(format!("{rel}:{}", n + 1));
            }
        }
    }
    out
}

/// Which table of the omissions file a row is in.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// The Rust shape makes the function unnecessary; it will not be ported.
    Design,
    /// Its subsystem is not there yet; the reason names it.
    NotYet,
}

/// A row of the omissions file.
struct Omission {
    kind: Kind,
    reason: String,
}

/// The rows of the omissions file: (C file, function or "*") -> its kind
/// and reason. The kind is the `## ` section the row is under.
fn read_omissions() -> BTreeMap<(String, String), Omission> {
    let path = root().join(OMISSIONS);
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = BTreeMap::new();
    let mut kind = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(h) = line.strip_prefix("## ") {
            kind = match h.trim() {
                "Replaced by design" => Some(Kind::Design),
                "Not yet ported" => Some(Kind::NotYet),
                other => panic!("{OMISSIONS}: unknown section {other:?}"),
            };
            continue;
        }
        if !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> =
            line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() != 3
            || cells[0] == "C file"
            || cells[0].chars().all(|c| c == '-' || c == ':')
        {
            continue;
        }
        let kind = kind.unwrap_or_else(|| {
            panic!("{OMISSIONS}: a row before any `## ` section: {line}")
        });
        let name = cells[1].trim_matches('`').trim_end_matches("()");
        let key = (cells[0].to_string(), name.to_string());
        assert!(
            !cells[2].is_empty(),
            "{OMISSIONS}: {} {} has no reason",
            key.0,
            key.1
        );
        let row = Omission { kind, reason: cells[2].to_string() };
        assert!(
            out.insert(key.clone(), row).is_none(),
            "{OMISSIONS}: {} {} is listed twice",
            key.0,
            key.1
        );
    }
    out
}

/// What the map says of one C function.
enum Status<'a> {
    Ported(&'a [String]),
    Design(&'a str),
    NotYet(Option<&'a str>),
}

/// A function's status: its marker, else its own row, else its file's `*`
/// row, else plainly not yet ported.
fn status_of<'a>(
    f: &CFunction,
    markers: &'a BTreeMap<(String, String), Vec<String>>,
    omissions: &'a BTreeMap<(String, String), Omission>,
) -> Status<'a> {
    let key = (f.file.clone(), f.name.clone());
    if let Some(locs) = markers.get(&key) {
        return Status::Ported(locs);
    }
    let row = omissions
        .get(&key)
        .or_else(|| omissions.get(&(f.file.clone(), "*".to_string())));
    match row {
        Some(Omission { kind: Kind::Design, reason }) => Status::Design(reason),
        Some(Omission { kind: Kind::NotYet, reason }) => {
            Status::NotYet(Some(reason))
        }
        None => Status::NotYet(None),
    }
}

fn generate(
    funcs: &[CFunction],
    markers: &BTreeMap<(String, String), Vec<String>>,
    omissions: &BTreeMap<(String, String), Omission>,
) -> String {
    // File order: FIRST_FILES, then the rest in tsv order.
    let mut files: Vec<&str> = FIRST_FILES.to_vec();
    for f in funcs {
        if !files.contains(&f.file.as_str()) {
            files.push(&f.file);
        }
    }
    let status = |f: &CFunction| status_of(f, markers, omissions);

    let mut out = String::new();
    out.push_str(
        "# C map: Redis 5.0.14 functions and their Rust ports\n\
         \n\
         <!-- Generated by tests/c_map.rs from the `/// C: file.c name()` \
         markers in src/,\n     the function list \
         docs/redis-5.0.14-functions.tsv and\n     \
         docs/c-map-omissions.md. Do not edit: change those, then run\n     \
         UPDATE_C_MAP=1 cargo test --test c_map -->\n\
         \n\
         Every function of the C files in scope, with where its port is \
         (`file:line`\nof its `/// C:` marker), or why the Rust design \
         replaces it (it will not be\nported), or that it is not yet \
         ported, with the subsystem it waits for when\nthere is one. The \
         reasons are kept by hand in\n\
         [c-map-omissions.md](c-map-omissions.md). Line numbers are \
         refreshed when the\nmap is regenerated; the test that checks the \
         map ignores them.\n\n",
    );

    out.push_str("## Summary\n\n");
    out.push_str(
        "| C file | functions | ported | replaced by design | not yet ported |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|\n");
    let mut totals = [0usize; 4];
    for file in &files {
        let mut n = [0usize; 4];
        for f in funcs.iter().filter(|f| f.file == *file) {
            n[0] += 1;
            match status(f) {
                Status::Ported(_) => n[1] += 1,
                Status::Design(_) => n[2] += 1,
                Status::NotYet(_) => n[3] += 1,
            }
        }
        if n[0] == 0 {
            continue;
        }
        for (t, v) in totals.iter_mut().zip(n) {
            *t += v;
        }
        let _ = writeln!(
            out,
            "| [{file}](#{}) | {} | {} | {} | {} |",
            file.replace('.', ""),
            n[0],
            n[1],
            n[2],
            n[3]
        );
    }
    let _ = writeln!(
        out,
        "| **all** | {} | {} | {} | {} |\n",
        totals[0], totals[1], totals[2], totals[3]
    );

    for file in &files {
        let in_file: Vec<&CFunction> =
            funcs.iter().filter(|f| f.file == *file).collect();
        if in_file.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {file}\n");
        out.push_str("| C function | C line | Rust |\n|---|---:|---|\n");
        for f in in_file {
            let rust = match status(f) {
                Status::Ported(locs) => locs
                    .iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                Status::Design(reason) => {
                    format!("replaced by design: {reason}")
                }
                Status::NotYet(Some(reason)) => {
                    format!("not yet ported: {reason}")
                }
                Status::NotYet(None) => "not yet ported".to_string(),
            };
            let _ = writeln!(out, "| `{}()` | {} | {} |", f.name, f.line, rust);
        }
        out.push('\n');
    }

    // Markers that name no function of the list: macros, helpers from
    // files outside it (sds.c, zmalloc.c), or a marker to correct.
    let listed: BTreeSet<(&str, &str)> =
        funcs.iter().map(|f| (f.file.as_str(), f.name.as_str())).collect();
    let strays: Vec<_> = markers
        .iter()
        .filter(|((f, n), _)| !listed.contains(&(f.as_str(), n.as_str())))
        .collect();
    if !strays.is_empty() {
        out.push_str(
            "## Markers that name no function of the list\n\n\
             Macros, functions of C files outside the list, or markers to \
             correct.\n\n| C | Rust |\n|---|---|\n",
        );
        for ((f, n), locs) in strays {
            let locs: Vec<String> =
                locs.iter().map(|l| format!("`{l}`")).collect();
            let _ = writeln!(out, "| {f} `{n}()` | {} |", locs.join(", "));
        }
        out.push('\n');
    }
    out
}

/// Drops the `:line` after each `.rs` location, for the up-to-date check.
fn without_line_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(".rs:") {
        out.push_str(&rest[..i + 3]);
        let after = &rest[i + 4..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push(':');
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

#[test]
fn markers_in_line_finds_the_check_script_pattern() {
    assert_eq!(
        markers_in_line("/// C: replication.c replicationCron()"),
        vec![("replication.c".to_string(), "replicationCron".to_string())]
    );
    assert_eq!(
        markers_in_line("// C: ae.c aeDeleteEventLoop() is Drop."),
        vec![("ae.c".to_string(), "aeDeleteEventLoop".to_string())]
    );
    assert_eq!(
        markers_in_line("/// C:networking.c _addReplyToBuffer()"),
        vec![("networking.c".to_string(), "_addReplyToBuffer".to_string())]
    );
    assert!(markers_in_line("/// C: typedef aeFileProc").is_empty());
    assert!(
        markers_in_line("/// C: networking.c PROTO_DUMP_LEN (x)").is_empty()
    );
    assert!(markers_in_line("// C: the error: label").is_empty());
    assert!(markers_in_line("/// C: ae.c aeMain").is_empty());
}

#[test]
fn c_map_is_up_to_date() {
    let funcs = read_tsv();
    let markers = read_markers();
    let omissions = read_omissions();

    // Every row names a listed function (or a listed file, for `*`) that
    // is not also ported.
    for (f, n) in omissions.keys() {
        if n == "*" {
            assert!(
                funcs.iter().any(|c| &c.file == f),
                "{OMISSIONS} has a `*` row for {f}, which is not in the C \
                 function list"
            );
            continue;
        }
        assert!(
            funcs.iter().any(|c| &c.file == f && &c.name == n),
            "{OMISSIONS} lists {f} {n}(), which is not in the C function list"
        );
        assert!(
            !markers.contains_key(&(f.clone(), n.clone())),
            "{OMISSIONS} lists {f} {n}() as not ported, but it has a marker \
             at {:?}",
            markers[&(f.clone(), n.clone())]
        );
    }

    let map = generate(&funcs, &markers, &omissions);
    let path = root().join(MAP);
    if std::env::var_os("UPDATE_C_MAP").is_some() {
        fs::write(&path, &map)
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let old = fs::read_to_string(&path).unwrap_or_default();
    let (want, have) = (without_line_numbers(&map), without_line_numbers(&old));
    if want != have {
        let diff = want
            .lines()
            .zip(have.lines().chain(std::iter::repeat("<end of file>")))
            .find(|(w, h)| w != h)
            .map(|(w, h)| format!("\n  expected: {w}\n  found:    {h}"))
            .unwrap_or_else(|| {
                "\n  (the file has extra lines at the end)".into()
            });
        panic!(
            "{MAP} is out of date; regenerate it with\n  \
             UPDATE_C_MAP=1 cargo test --test c_map\nfirst difference:{diff}"
        );
    }
}

/// Issue 2: the event loop and anet are ported whole. Each of their
/// functions has a marker or is replaced by design, with the reason.
#[test]
fn c_map_ae_and_anet_fully_covered() {
    let funcs = read_tsv();
    let markers = read_markers();
    let omissions = read_omissions();
    let mut missing = Vec::new();
    for f in funcs.iter().filter(|f| FULL_COVERAGE.contains(&f.file.as_str())) {
        if let Status::NotYet(_) = status_of(f, &markers, &omissions) {
            missing.push(format!("{} {}()", f.file, f.name));
        }
    }
    for file in FULL_COVERAGE {
        assert!(
            funcs.iter().any(|f| f.file == *file),
            "the C function list has no {file}"
        );
    }
    assert!(
        missing.is_empty(),
        "these functions need a `/// C: file.c name()` marker on their port, \
         or a row under \"Replaced by design\" in {OMISSIONS}: {missing:?}"
    );
}
