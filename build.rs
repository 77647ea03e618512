//! Embeds the web console's files (`src/console/assets/`) in the binary: writes
//! `$OUT_DIR/console_assets.rs`, a table of (path, bytes) built with `include_bytes!`,
//! so that `cargo run --release` stays the whole set-up (no Node.js, no bundler).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        // Hidden files and directories (editor swap files, .git) are not the console's;
        // symbolic links are not followed.
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            walk(&path, out);
        } else if meta.is_file() {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("src/console/assets");
    println!("cargo:rerun-if-changed=src/console/assets");
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut table =
        String::from("/// The console's files: (path under the assets directory, contents).\npub static FILES: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let name = file.strip_prefix(&root).expect("under the root").to_string_lossy().replace('\\', "/");
        println!("cargo:rerun-if-changed={}", file.display());
        writeln!(table, "    ({name:?}, include_bytes!({:?})),", file.display().to_string()).expect("writing to a String");
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("console_assets.rs");
    std::fs::write(out, table).expect("OUT_DIR is writable");
}
