//! `zeDriver*`: discovery and properties of drivers.

use level_zero_sys::{
    ze_api_version_t, ze_driver_extension_properties_t, ze_driver_handle_t, ze_driver_properties_t,
    ze_structure_type_t, Api,
};

use super::enumerate;
use crate::error::{check, Result};

/// `zeDriverGet`: every driver the initialised loader found.
pub(crate) fn get(api: &Api) -> Result<Vec<ze_driver_handle_t>> {
    let query = |count: &mut u32, array| {
        let c = *count;
        // SAFETY: `enumerate` passes a live count and a null array or one of `count`
        // handles, as zeDriverGet asks.
        let outcome = unsafe { api.zeDriverGet(count, array) };
        check("zeDriverGet", outcome, move || format!("pCount={c}"))
    };
    // SAFETY: the query makes the enumeration call, as `enumerate` asks.
    unsafe { enumerate(std::ptr::null_mut(), query) }
}

/// `zeDriverGetProperties`.
///
/// # Safety
///
/// `driver` is a driver handle of the initialised loader.
pub(crate) unsafe fn properties(
    api: &Api,
    driver: ze_driver_handle_t,
) -> Result<ze_driver_properties_t> {
    let mut props = ze_driver_properties_t {
        stype: ze_structure_type_t::ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES,
        ..Default::default()
    };
    // SAFETY: valid handle per the caller; `props` is a live, typed out-struct.
    let outcome = unsafe { api.zeDriverGetProperties(driver, &mut props) };
    check("zeDriverGetProperties", outcome, move || {
        format!("hDriver={driver:p}")
    })?;
    Ok(props)
}

/// `zeDriverGetApiVersion`.
///
/// # Safety
///
/// As [`properties`].
pub(crate) unsafe fn api_version(api: &Api, driver: ze_driver_handle_t) -> Result<u32> {
    let mut version = ze_api_version_t(0);
    // SAFETY: valid handle per the caller, live out-parameter.
    let outcome = unsafe { api.zeDriverGetApiVersion(driver, &mut version) };
    check("zeDriverGetApiVersion", outcome, move || {
        format!("hDriver={driver:p}")
    })?;
    Ok(version.0)
}

/// `zeDriverGetExtensionProperties`: every extension of `driver`.
///
/// # Safety
///
/// As [`properties`].
pub(crate) unsafe fn extensions(
    api: &Api,
    driver: ze_driver_handle_t,
) -> Result<Vec<ze_driver_extension_properties_t>> {
    let query = |count: &mut u32, array| {
        let c = *count;
        // SAFETY: as the caller promises (see the function); `enumerate` passes a null
        // array or one of `count` elements.
        let outcome = unsafe { api.zeDriverGetExtensionProperties(driver, count, array) };
        check("zeDriverGetExtensionProperties", outcome, move || {
            format!("hDriver={driver:p}, pCount={c}")
        })
    };
    // SAFETY: valid handle per the caller; the array contract is `enumerate`'s.
    unsafe { enumerate(Default::default(), query) }
}
