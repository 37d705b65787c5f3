//! Layers only look down: every `crate::` (and, in the binary, `signpost::`) path in
//! `src/` must name a layer below the file's own, as the table in ARCHITECTURE.md says.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Layer numbers by top-level module, from the `layers` block in ARCHITECTURE.md.
fn layers(doc: &str) -> HashMap<String, u32> {
    let block = doc
        .split("```layers")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("ARCHITECTURE.md has a ```layers block");
    let mut out = HashMap::new();
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let mut words = line.split_whitespace();
        let n: u32 = words.next().unwrap().parse().expect("a layer number");
        for m in words {
            out.insert(m.to_string(), n);
        }
    }
    out
}

/// The module a file under `src/` belongs to: its first folder, or its file stem.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().unwrap().as_os_str();
    let first = first.to_string_lossy();
    match first.trim_end_matches(".rs") {
        "lib" => "app".into(),
        "main" => "cli".into(),
        m => m.to_string(),
    }
}

/// The code of a file without its `#[cfg(test)]` modules (tests may use anything),
/// private or shared with other tests (`pub(super) mod tests`).
fn without_tests(code: &str) -> &str {
    let mut from = 0;
    while let Some(i) = code[from..].find("#[cfg(test)]\n") {
        let at = from + i;
        let next = &code[at + "#[cfg(test)]\n".len()..];
        let item = next.strip_prefix("pub").map_or(next, |rest| {
            rest.trim_start_matches(|c: char| c != ' ').trim_start()
        });
        if item.starts_with("mod ") {
            return &code[..at];
        }
        from = at + 1;
    }
    code
}

/// The top-level modules a piece of code names through `crate::` or `signpost::`.
fn modules_named(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["crate::", "signpost::"] {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().next_back();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                out.extend(
                    group
                        .split(',')
                        .map(|item| item.trim().split("::").next().unwrap_or("").to_string()),
                );
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        }
    }
    out.into_iter()
        .filter(|m| !m.is_empty() && m != "self")
        .map(|m| {
            // Items of lib.rs itself (`crate::App`) are the `app` layer.
            if m.starts_with(char::is_uppercase) {
                "app".to_string()
            } else {
                m
            }
        })
        .collect()
}

/// Every use of a layer at or above the file's own, as "file: names module".
fn violations(files: &[(PathBuf, String)], table: &HashMap<String, u32>) -> Vec<String> {
    let mut out = Vec::new();
    for (path, code) in files {
        let own = module_of(path);
        let Some(&level) = table.get(&own) else {
            out.push(format!(
                "{}: module '{own}' has no layer in ARCHITECTURE.md",
                path.display()
            ));
            continue;
        };
        for used in modules_named(without_tests(code)) {
            if used == own {
                continue;
            }
            match table.get(&used) {
                Some(&l) if l < level => {}
                Some(&l) => out.push(format!(
                    "{}: '{own}' (layer {level}) uses '{used}' (layer {l})",
                    path.display()
                )),
                None => out.push(format!(
                    "{}: uses '{used}', which has no layer in ARCHITECTURE.md",
                    path.display()
                )),
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn rust_files(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let code = std::fs::read_to_string(&path).unwrap();
            out.push((path.strip_prefix(root).unwrap().to_path_buf(), code));
        }
    }
}

#[test]
fn layers_only_look_down() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = layers(&std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap());
    let mut files = Vec::new();
    rust_files(&root.join("src"), &root.join("src"), &mut files);
    assert!(files.len() > 50, "read {} files", files.len());
    let found = violations(&files, &table);
    assert!(
        found.is_empty(),
        "layers that look up or sideways:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_a_layer_that_looks_up() {
    let table = layers("```layers\n0 clock\n1 listing\n3 store\n8 web\n7 app\n```");
    let file = |p: &str, code: &str| (PathBuf::from(p), code.to_string());
    let files = vec![
        file(
            "listing/model.rs",
            "use crate::clock::uk_now;\nuse crate::store::Store;\n",
        ),
        file(
            "store/mod.rs",
            "fn f(a: &crate::App) {}\nuse crate::{listing::Listing, web};\n",
        ),
        file(
            "web/mod.rs",
            "use crate::{App, store::Store};\nuse super::x;\n",
        ),
        file(
            "store/groups.rs",
            "fn ok() {}\n#[cfg(test)]\nmod tests {\n    use crate::web::x;\n}\n",
        ),
        file(
            "store/feeds.rs",
            "#[cfg(test)]\nfn helper() {}\nfn ok() {}\n#[cfg(test)]\npub(super) mod tests {\n    use crate::web::x;\n}\n",
        ),
    ];
    assert_eq!(
        violations(&files, &table),
        vec![
            "listing/model.rs: 'listing' (layer 1) uses 'store' (layer 3)",
            "store/mod.rs: 'store' (layer 3) uses 'app' (layer 7)",
            "store/mod.rs: 'store' (layer 3) uses 'web' (layer 8)",
        ]
    );
}
