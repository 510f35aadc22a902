//! A downstream crate's own code: typed device memory and views through usm-core.

use usm_core::{Queue, UsmDevice, UsmViewMut};

/// Doubles every element of `values` on the device and reads them back.
pub fn doubled(queue: &Queue, values: &[f32]) -> Result<Vec<f32>, usm_core::Error> {
    let on_device = UsmDevice::from_slice(queue, values)?;
    let doubled: Vec<f32> = on_device.download(queue)?.iter().map(|v| v * 2.0).collect();
    Ok(doubled)
}

/// Fills the first half of `memory` with `value` through a mutable view.
pub fn fill_low_half(
    queue: &Queue,
    memory: &mut UsmDevice<f32>,
    value: f32,
) -> Result<(), usm_core::Error> {
    let half = memory.len() / 2;
    let mut low: UsmViewMut<'_, f32> = memory.slice_mut(..half)?;
    queue.fill_with(&mut low, 0, half * 4, value)
}
