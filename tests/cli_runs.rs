//! The `usm` tool on the software driver: `info`, `demo` and `bench` run, print what they
//! promise, and their JSON parses.

use std::process::{Command, Output};

use serde_json::Value;

fn usm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_usm"))
        .args(["--driver", "soft"])
        .args(args)
        .env_remove("ZE_ENABLE_ALT_DRIVERS")
        .env_remove("RUST_LOG")
        .output()
        .expect("the usm binary runs")
}

fn success(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

#[test]
fn info_lists_the_software_device_with_its_queue_groups() {
    let text = success(&usm(&["info"]));
    assert!(text.contains("Driver selection: software driver"), "{text}");
    assert!(text.contains("Header API version: 1."), "{text}");
    assert!(text.contains("Driver 0:"), "{text}");
    assert!(text.contains("Device 0:"), "{text}");
    assert!(text.contains("(gpu)"), "{text}");
    assert!(text.contains("vendor 0x8086"), "{text}");
    assert!(text.contains("queue group 0:"), "{text}");
    assert!(text.contains("compute+copy"), "{text}");
}

#[test]
fn info_json_has_drivers_devices_and_engines() {
    let text = success(&usm(&["info", "--json"]));
    let v: Value = serde_json::from_str(&text).expect("info --json is JSON");
    assert!(v["selection"]
        .as_str()
        .unwrap()
        .starts_with("software driver"));
    assert!(v["loader"]["path"]
        .as_str()
        .unwrap()
        .contains("libze_loader"));
    let drivers = v["drivers"].as_array().unwrap();
    assert_eq!(drivers.len(), 1);
    let devices = drivers[0]["devices"].as_array().unwrap();
    assert!(!devices.is_empty());
    let d = &devices[0];
    assert_eq!(d["device_type"], "gpu");
    assert_eq!(d["vendor_id"], 0x8086);
    assert_eq!(d["uuid"].as_str().unwrap().len(), 36);
    assert!(d["total_memory"].as_u64().unwrap() > 0);
    assert!(d["max_mem_alloc_size"].as_u64().unwrap() <= d["total_memory"].as_u64().unwrap());
    let groups = d["queue_groups"].as_array().unwrap();
    assert!(groups.iter().any(|g| g["capabilities"]
        .as_array()
        .unwrap()
        .contains(&"compute".into())));
    assert!(groups.iter().all(|g| g["engines"].as_u64().unwrap() >= 1));
}

#[test]
fn demo_verifies_every_step_and_exits_zero() {
    let out = usm(&["demo"]);
    let text = success(&out);
    for line in [
        "1. Allocated 1.0 MiB of each USM kind:",
        "all 1048576 bytes verified",
        "the fill and the untouched bytes verified",
        "4. Asynchronous chain",
        "5. Classified device base + 4096: device memory",
        "offset 4096",
        "__sycl_usm_array_interface__ of the shared allocation:",
        "\"typestr\":\"|u1\"",
        "after drop: 0 live allocations, no leaks.",
        "Demo passed.",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    // The allocation diagnostics are on stderr by default.
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(log.matches("usm alloc").count(), 3, "{log}");
    assert_eq!(log.matches("usm free").count(), 3, "{log}");
}

#[test]
fn ipc_demo_shares_memory_with_a_child_process_and_verifies_both_sides() {
    let text = success(&usm(&["ipc-demo"]));
    for line in [
        "exported 1.0 MiB of device memory",
        "child: process",
        "(device memory of its own context)",
        "child: verified the parent's bytes, wrote the second half",
        "child: closed",
        "parent: the child's 512.0 KiB are here; both halves verified",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    let pids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split("process ").nth(1)?.split(' ').next())
        .collect();
    assert_eq!(pids.len(), 2, "{text}");
    assert_ne!(pids[0], pids[1], "two processes: {text}");
}

#[test]
fn bench_tiny_sweep_json_has_rows_with_baselines() {
    let text = success(&usm(&[
        "bench",
        "--sizes",
        "4K,64K",
        "--directions",
        "h2d,d2d",
        "--modes",
        "sync,async",
        "--engines",
        "main-copy",
        "--alloc-sizes",
        "4K",
        "--reps",
        "2",
        "--warmup",
        "1",
        "--min-rep-ms",
        "1",
        "--json",
    ]));
    let v: Value = serde_json::from_str(&text).expect("bench --json is JSON");
    let copies = v["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 2 * 2 * 2);
    for row in copies {
        assert!(row["gbps"].as_f64().unwrap() > 0.0, "{row}");
        assert!(row["memcpy_gbps"].as_f64().unwrap() > 0.0, "{row}");
        assert_eq!(row["timing"]["reps"], 2);
        assert_eq!(row["engine"], "main copy");
        match row["mode"].as_str().unwrap() {
            "sync" => assert!(row["vs_raw"].as_f64().unwrap() > 0.0, "{row}"),
            "async" => assert!(row["vs_raw"].is_null(), "{row}"),
            other => panic!("mode {other}"),
        }
    }
    let allocs = v["allocations"].as_array().unwrap();
    let kinds: Vec<&str> = allocs.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["device", "shared", "host"]);
    assert!(allocs
        .iter()
        .all(|r| r["raw_median_s"].as_f64().unwrap() > 0.0));
}

#[test]
fn bench_csv_has_a_header_and_one_line_per_row() {
    let text = success(&usm(&[
        "bench",
        "--sizes",
        "4K",
        "--directions",
        "d2h",
        "--modes",
        "sync",
        "--engines",
        "compute",
        "--no-alloc",
        "--reps",
        "1",
        "--warmup",
        "0",
        "--min-rep-ms",
        "0",
        "--csv",
    ]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("op,direction,engine,mode,"));
    assert!(
        lines[1].starts_with("copy,d2h,compute,sync,,4096,"),
        "{}",
        lines[1]
    );
}

#[test]
fn bench_rejects_a_zero_size() {
    let out = usm(&["bench", "--sizes", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("greater than zero"));
}

#[test]
fn info_reports_the_api_versions_of_headers_loader_and_driver() {
    let text = success(&usm(&["info", "--json"]));
    let v: Value = serde_json::from_str(&text).expect("info --json is JSON");
    let parse = |s: &str| -> (u32, u32) {
        let (major, minor) = s.split_once('.').expect("major.minor");
        (major.parse().unwrap(), minor.parse().unwrap())
    };
    let headers = level_zero_sys::version_parts(level_zero_sys::HEADER_API_VERSION.0);
    assert_eq!(parse(v["header_api_version"].as_str().unwrap()), headers);
    let components = v["loader"]["components"].as_array().unwrap();
    let loader = components
        .iter()
        .find(|c| c["name"] == "loader")
        .expect("the loader reports itself");
    let loader_api = parse(loader["api_version"].as_str().unwrap());
    assert!(loader_api >= (1, 4), "{loader}");
    // The software driver implements the headers' version, or the loader's when older.
    let driver_api = parse(v["drivers"][0]["api_version"].as_str().unwrap());
    assert_eq!(driver_api, headers.min(loader_api), "{text}");
}
