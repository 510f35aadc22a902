//! Sets `cfg(ze_api = "1.N")` for every Level Zero API version up to that of the headers
//! level-zero-sys was built with (`DEP_LEVEL_ZERO_HEADERS_API_VERSION`), so that calls of
//! newer entry points (`zeMemPutIpcHandle`, API 1.6) exist only where the bindings have them.

/// The highest minor version `cfg(ze_api = ...)` may name (declared for check-cfg).
const HIGHEST_KNOWN_MINOR: u32 = 63;

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_LEVEL_ZERO_HEADERS_API_VERSION");
    let version = std::env::var("DEP_LEVEL_ZERO_HEADERS_API_VERSION").unwrap_or_default();
    let parsed = version
        .split_once('.')
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)));
    let Some((major, minor)) = parsed else {
        eprintln!("level-zero-sys did not publish its headers' API version (got {version:?})");
        std::process::exit(1);
    };
    let values: Vec<String> = (0..=HIGHEST_KNOWN_MINOR.max(minor))
        .map(|m| format!("\"{major}.{m}\""))
        .collect();
    println!(
        "cargo:rustc-check-cfg=cfg(ze_api, values({}))",
        values.join(", ")
    );
    for m in 0..=minor {
        println!("cargo:rustc-cfg=ze_api=\"{major}.{m}\"");
    }
}
