//! Property tests: any size, alignment and kind allocates aligned memory that the driver
//! classifies the same way from every interior address, and host-accessible memory keeps
//! what is written to it.

use usm_test_kit::usm as kit;

use proptest::prelude::*;
use usm_core::{AllocOptions, UsmDevice, UsmHost, UsmKind, UsmMemory, UsmShared};

fn kind() -> impl Strategy<Value = UsmKind> {
    prop_oneof![
        Just(UsmKind::Device),
        Just(UsmKind::Shared),
        Just(UsmKind::Host)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_allocation_is_aligned_classified_and_keeps_its_bytes(
        kind in kind(),
        size in 1usize..(1 << 20),
        align_log2 in 0u32..17,
        default_alignment in any::<bool>(),
        offset_fraction in 0.0f64..1.0,
        seed in any::<u8>(),
    ) {
        let (context, device) = kit::context();
        let alignment = if default_alignment { 0 } else { 1usize << align_log2 };
        let options = AllocOptions::new().alignment(alignment);
        let mut host_bytes: Option<Vec<u8>> = None;
        let memory: Box<dyn UsmMemory> = match kind {
            UsmKind::Device => Box::new(UsmDevice::with_options(&context, &device, size, &options).unwrap()),
            UsmKind::Shared => {
                let mut m = UsmShared::with_options(&context, &device, size, &options).unwrap();
                for (i, b) in m.as_mut_slice().iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(31).wrapping_add(seed);
                }
                host_bytes = Some(m.as_slice().to_vec());
                Box::new(m)
            }
            UsmKind::Host => {
                let mut m = UsmHost::with_options(&context, size, &options).unwrap();
                for (i, b) in m.as_mut_slice().iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(31).wrapping_add(seed);
                }
                host_bytes = Some(m.as_slice().to_vec());
                Box::new(m)
            }
        };
        let base = memory.as_ptr() as usize;
        prop_assert_eq!(memory.len(), size);
        if alignment > 0 {
            prop_assert_eq!(base % alignment, 0);
        }
        let offset = ((size as f64) * offset_fraction) as usize % size;
        let info = context.classify((base + offset) as *const _).unwrap();
        prop_assert_eq!((info.kind, info.base, info.offset), (kind, base, offset));
        prop_assert!(info.size >= size);
        if let Some(expected) = host_bytes {
            let expected_at = (offset as u8).wrapping_mul(31).wrapping_add(seed);
            prop_assert_eq!(expected[offset], expected_at);
            // SAFETY: `memory` outlives the view and is not written while it lives.
            let view = unsafe { usm_core::as_usm_memory(&context, (base + offset) as *const _, None) }
                .unwrap();
            prop_assert_eq!(view.as_slice().unwrap(), &expected[offset..]);
        }
        drop(memory);
        prop_assert_eq!(context.stats().live_count(), 0);
    }
}
