//! Fills: every legal pattern size on every engine, checked byte by byte, at offsets and
//! with lengths that are not multiples of the pattern.

use usm_test_kit::usm as kit;

use usm_core::{Engine, Mode, UsmDevice, UsmShared};
use usm_test_kit::usm::{alloc, bytes, queue, KINDS};

/// What a fill of `len` bytes at `offset` with `pattern` leaves in memory that held `old`.
fn expected_fill(old: &[u8], offset: usize, len: usize, pattern: &[u8]) -> Vec<u8> {
    let mut out = old.to_vec();
    for (i, b) in out[offset..offset + len].iter_mut().enumerate() {
        *b = pattern[i % pattern.len()];
    }
    out
}

#[test]
fn every_pattern_size_fills_every_kind_byte_by_byte() {
    let (context, device) = kit::context();
    for engine in [Engine::Compute, Engine::MainCopy, Engine::LinkCopy] {
        for mode in [Mode::Synchronous, Mode::Asynchronous] {
            let q = queue(&context, &device, engine, mode);
            let max = q.max_fill_pattern_size();
            for kind in KINDS {
                let mut size = 1;
                while size <= max.min(128) {
                    let pattern = bytes(size, size as u8);
                    let n = size * 5;
                    let mut m = alloc(&context, &device, kind, n);
                    q.fill(&mut *m, 0, n, &pattern).unwrap();
                    assert_eq!(
                        q.to_vec(&*m).unwrap(),
                        pattern.repeat(5),
                        "{engine} {mode:?} {kind} pattern {size}"
                    );
                    size *= 2;
                }
            }
        }
    }
}

#[test]
fn the_compute_engine_takes_patterns_up_to_128_bytes() {
    let (context, device) = kit::context();
    let q = queue(&context, &device, Engine::Compute, Mode::Asynchronous);
    assert!(q.max_fill_pattern_size() >= 128);
    let pattern = bytes(128, 9);
    let mut d = UsmDevice::new(&context, &device, 128 * 3).unwrap();
    q.fill(&mut d, 0, 128 * 3, &pattern).unwrap();
    assert_eq!(q.to_vec(&d).unwrap(), pattern.repeat(3));
}

#[test]
fn fills_at_offsets_touch_only_their_range() {
    let (context, device) = kit::context();
    let q = queue(&context, &device, Engine::Compute, Mode::Asynchronous);
    let old = bytes(200, 10);
    for size in [1usize, 2, 4, 8, 16] {
        let pattern = bytes(size, 0x80);
        let mut d = UsmDevice::new(&context, &device, old.len()).unwrap();
        q.write_from_slice(&mut d, &old).unwrap();
        let (offset, len) = (size * 3, size * 7);
        q.fill(&mut d, offset, len, &pattern).unwrap();
        assert_eq!(
            q.to_vec(&d).unwrap(),
            expected_fill(&old, offset, len, &pattern),
            "pattern {size}"
        );
    }
}

#[test]
fn memset_sets_unaligned_ranges() {
    let (context, device) = kit::context();
    let q = queue(&context, &device, Engine::MainCopy, Mode::Asynchronous);
    for kind in KINDS {
        let old = bytes(50, 11);
        let mut m = alloc(&context, &device, kind, old.len());
        q.write_from_slice(&mut *m, &old).unwrap();
        q.memset(&mut *m, 3, 41, 0x5a).unwrap();
        assert_eq!(
            q.to_vec(&*m).unwrap(),
            expected_fill(&old, 3, 41, &[0x5a]),
            "{kind}"
        );
    }
}

#[test]
fn a_fill_not_a_multiple_of_its_pattern_cuts_the_last_copy() {
    let (context, device) = kit::context();
    let q = queue(&context, &device, Engine::Compute, Mode::Synchronous);
    let mut d = UsmDevice::new(&context, &device, 16).unwrap();
    q.memset(&mut d, 0, 16, 0).unwrap();
    q.fill(&mut d, 1, 10, &[1, 2, 3, 4]).unwrap();
    assert_eq!(
        q.to_vec(&d).unwrap(),
        [0, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 0, 0, 0, 0, 0]
    );
}

#[test]
fn every_cut_of_a_large_pattern_is_filled_in_whole_repetitions_and_a_tail() {
    // Each fill the driver sees has a size that is a multiple of its pattern (API 1.17's
    // rule, which its validation layer enforces): the tail is split into power-of-two
    // leading parts of the pattern. Asynchronous, so the tail's barrier is what signals.
    let (context, device) = kit::context();
    let q = queue(&context, &device, Engine::Compute, Mode::Asynchronous);
    let pattern: Vec<u8> = (1..=128).collect();
    for len in [1usize, 127, 128 + 1, 3 * 128 + 77, 1000] {
        let mut d = UsmShared::new(&context, &device, len + 2).unwrap();
        q.memset(&mut d, 0, len + 2, 0xEE).unwrap();
        q.fill(&mut d, 1, len, &pattern).unwrap();
        let got = q.to_vec(&d).unwrap();
        assert_eq!(got[0], 0xEE);
        assert_eq!(got[len + 1], 0xEE, "len {len}: the fill ran past its end");
        assert!(
            got[1..=len]
                .iter()
                .enumerate()
                .all(|(i, &b)| b == pattern[i % 128]),
            "len {len}"
        );
    }
}

#[test]
fn fill_with_repeats_one_value() {
    let (context, device) = kit::context();
    let q = queue(&context, &device, Engine::Compute, Mode::Asynchronous);
    let mut d = UsmDevice::new(&context, &device, 40).unwrap();
    q.fill_with(&mut d, 0, 40, 0x0102_0304_0506_0708u64)
        .unwrap();
    assert_eq!(
        q.to_vec_of::<u64, _>(&d).unwrap(),
        [0x0102_0304_0506_0708u64; 5]
    );
    let e = q.fill_with(&mut d, 0, 40, [0u8; 3]).unwrap_err();
    assert!(matches!(
        e,
        usm_core::Error::Transfer(usm_core::TransferError::BadPattern { len: 3, .. })
    ));
}
