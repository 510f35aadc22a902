//! The loader is opened at run time, through the real Debian loader.

use level_zero_sys::{ze_result_t, LoadError, Loader, FUNCTION_NAMES, HEADER_API_VERSION};

#[test]
fn opening_a_missing_library_names_it_and_the_system_message() {
    // SAFETY: nothing is opened: the library does not exist.
    let err = unsafe { Loader::open_path("libze_loader_that_does_not_exist.so.7") }.unwrap_err();
    let LoadError::Library { name, message } = &err;
    assert_eq!(name.to_str(), Some("libze_loader_that_does_not_exist.so.7"));
    assert!(
        message.contains("libze_loader_that_does_not_exist.so.7"),
        "{message}"
    );
    let text = err.to_string();
    assert!(
        text.contains("libze1"),
        "the error says what to install: {text}"
    );
}

#[test]
fn a_library_that_is_not_a_loader_leaves_every_function_missing() {
    // libc is a real library with none of the ze* symbols.
    // SAFETY: libc's initialisers already ran in this process, and it exports no `ze*`
    // symbol whose signature could differ: every call below is refused before C.
    let loader = unsafe { Loader::open_path("libc.so.6") }.expect("libc opens");
    assert!(loader.zeInit.is_none());
    // SAFETY: the call never reaches C: the function is absent.
    let missing = unsafe { loader.zeInit(0) }.unwrap_err();
    assert_eq!(missing.name, "zeInit");
    assert!(missing.to_string().contains("zeInit"));
}

#[test]
fn the_debian_loader_exports_every_core_entry_point() {
    let loader = Loader::open().expect("libze_loader.so.1 is installed by ci/deps");
    for name in [
        "zeInit",
        "zeDriverGet",
        "zeMemAllocDevice",
        "zeMemFree",
        "zeCommandListCreateImmediate",
    ] {
        assert!(FUNCTION_NAMES.contains(&name), "{name} is in the table");
    }
    assert!(loader.zeInit.is_some());
    assert!(loader.zeMemAllocShared.is_some());
    assert!(loader.zelLoaderGetVersions.is_some());
}

#[test]
fn zeinit_through_the_loader_returns_a_result_code() {
    let loader = Loader::global().expect("loader");
    // SAFETY: zeInit takes flags by value.
    let rc = unsafe { loader.zeInit(0) }.expect("zeInit exported");
    // With or without a driver, the loader answers with a code the headers define.
    assert!(rc.name().is_some(), "{rc:?}");
    let versions = loader.versions().expect("zelLoaderGetVersions exported");
    if rc.is_success() {
        assert!(
            versions.iter().any(|v| v.component == "loader"),
            "{versions:?}"
        );
    }
}

#[test]
fn result_codes_have_their_specification_names() {
    assert_eq!(
        ze_result_t::ZE_RESULT_SUCCESS.name(),
        Some("ZE_RESULT_SUCCESS")
    );
    assert_eq!(
        ze_result_t::ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT.name(),
        Some("ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT")
    );
    assert_eq!(ze_result_t(0x1234_5678).name(), None);
    assert!(ze_result_t::ZE_RESULT_SUCCESS.is_success());
}

/// `ZE_API_VERSION_CURRENT = ZE_MAKE_VERSION( 1, 17 )` in a `ze_api.h`, as `(1, 17)`.
fn current_version_in(header: &str) -> (u32, u32) {
    let line = header
        .lines()
        .find(|l| l.trim_start().starts_with("ZE_API_VERSION_CURRENT ="))
        .expect("ze_api.h defines ZE_API_VERSION_CURRENT");
    let args = line
        .split_once("ZE_MAKE_VERSION(")
        .and_then(|(_, rest)| rest.split_once(')'))
        .expect("ZE_MAKE_VERSION( major, minor )")
        .0;
    let (major, minor) = args.split_once(',').expect("two arguments");
    (major.trim().parse().unwrap(), minor.trim().parse().unwrap())
}

#[test]
fn the_header_api_version_is_the_one_of_the_headers_the_build_found() {
    // The folder the build found the headers in (LEVEL_ZERO_INCLUDE_DIR or pkg-config).
    let dir = env!("LEVEL_ZERO_SYS_INCLUDE_DIR");
    let header = std::fs::read_to_string(format!("{dir}/ze_api.h")).expect("ze_api.h");
    assert_eq!(
        level_zero_sys::version_parts(HEADER_API_VERSION.0),
        current_version_in(&header)
    );
}
