//! The order of the domains: the README lists the server's modules lowest first, and no
//! module may import one on its own line or below. New modules must be placed in the list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The README's numbered list of layers, each a set of module names.
fn layers() -> Vec<BTreeSet<String>> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let section = readme.split("- **Which domain may call which.**").nth(1).expect("the README's dependency order");
    let mut layers = Vec::new();
    for line in section.lines().skip(1) {
        let line = line.trim();
        if line.is_empty() || !line.chars().next().unwrap().is_ascii_digit() {
            if !layers.is_empty() && !line.is_empty() {
                break;
            }
            continue;
        }
        let names = line.split('`').skip(1).step_by(2).map(str::to_owned).collect();
        layers.push(names);
    }
    assert!(layers.len() > 3, "no layers found in the README");
    layers
}

/// Each top-level module of the server crate and the modules of the crate it imports.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if path.is_dir() {
            let mut stack = vec![path.clone()];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(dir).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "rs") {
                        files.entry(name.clone()).or_default().push(p);
                    }
                }
            }
        } else if path.extension().is_some_and(|x| x == "rs") && name != "lib" {
            files.entry(name).or_default().push(path);
        }
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    let mut out = BTreeMap::new();
    for (module, paths) in &files {
        let mut deps = BTreeSet::new();
        for path in paths {
            let text = std::fs::read_to_string(path).unwrap();
            // Comments name modules without importing them.
            let code: String = text.lines().map(|l| l.split("//").next().unwrap()).collect::<Vec<_>>().join("\n");
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group[..group.find('}').unwrap_or(group.len())]
                        .split(',')
                        .map(|part| part.trim().split("::").next().unwrap().trim())
                        .collect(),
                    None => vec![rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap()],
                };
                deps.extend(names.into_iter().filter(|n| modules.contains(*n) && *n != module).map(str::to_owned));
            }
        }
        out.insert(module.clone(), deps);
    }
    out
}

#[test]
fn domains_depend_only_downwards() {
    let layers = layers();
    let level: BTreeMap<&str, usize> =
        layers.iter().enumerate().flat_map(|(i, names)| names.iter().map(move |n| (n.as_str(), i))).collect();
    let mut wrong = Vec::new();
    for (module, deps) in imports() {
        let Some(&mine) = level.get(module.as_str()) else {
            wrong.push(format!("{module} is not in the README's dependency order"));
            continue;
        };
        for dep in deps {
            match level.get(dep.as_str()) {
                Some(&theirs) if theirs < mine => {}
                _ => wrong.push(format!("{module} (line {}) imports {dep}, which is not below it", mine + 1)),
            }
        }
    }
    assert!(wrong.is_empty(), "the domains' order is broken:\n{}", wrong.join("\n"));
}
