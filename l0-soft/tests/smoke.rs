mod common;
use common::*;

#[test]
fn smoke() {
    let l = loader();
    let rc = unsafe { l.zeInit(0).unwrap() };
    eprintln!(
        "zeInit {:?} {:?}",
        rc.name(),
        std::env::var("ZE_ENABLE_ALT_DRIVERS")
    );
    let mut n = 0u32;
    let rc = unsafe { l.zeDriverGet(&mut n, std::ptr::null_mut()).unwrap() };
    eprintln!("zeDriverGet {:?} n={n}", rc.name());
    eprintln!("{:?}", l.versions());
}
