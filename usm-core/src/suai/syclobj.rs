//! `syclobj`: how a dict names the context (and device) its memory belongs to, so that a
//! consumer in the same process can find that context again.

use serde::{Deserialize, Serialize};

use super::error::SuaiError;
use crate::context::Context;
use crate::error::Error;
use crate::names::Device;
use crate::queue::Queue;

/// The name of a context (and device) in a dict's `syclobj` entry.
///
/// In Python, `syclobj` is a live `SyclQueue` or `SyclContext` object. Across a Rust API
/// (or a JSON text) a live object cannot travel, so usm-core names the context instead:
///
/// ```json
/// {"context_id": 3, "context_handle": 94625490780688, "device_handle": 94625490781232}
/// ```
///
/// * `context_id`: the number usm-core gives each context when it is made
///   ([`Context::id`]), unique for the life of the process (never reused, unlike handles). `null` when the
///   producer does not know it (a dict written by other code).
/// * `context_handle`: the raw `ze_context_handle_t` as an integer, as usm-core's
///   [`Context::raw`] returns it.
/// * `device_handle`: the raw `ze_device_handle_t` of the device the memory is bound to
///   (for a queue, the queue's device), or `null` for host memory.
///
/// A consumer resolves the name with [`SyclObj::resolve`], which finds the live context
/// in the process-wide registry of live contexts (by id when given, else by handle) and
/// checks that id and handle agree. Or the consumer passes its own context to
/// [`SuaiDict::consume_in`](super::SuaiDict::consume_in), which checks that the dict names
/// that context. The registry holds weak references: it never keeps a context alive, and a
/// dict naming a context that has been destroyed resolves to
/// [`SuaiError::UnknownContext`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyclObj {
    /// usm-core's process-unique id of the context, when the producer knows it.
    #[serde(default)]
    pub context_id: Option<u64>,
    /// The raw context handle as an integer.
    pub context_handle: usize,
    /// The raw handle of the device the memory is bound to; `None` for host memory.
    #[serde(default)]
    pub device_handle: Option<usize>,
}

/// The process-unique id of `context` ([`Context::id`]): every live context is resolvable
/// by [`SyclObj::resolve`] through the registry of live contexts.
pub fn context_id(context: &Context) -> u64 {
    context.id()
}

impl SyclObj {
    /// The name of `context`, with `device` (the device memory is bound to, if any).
    pub fn new(context: &Context, device: Option<&Device>) -> SyclObj {
        SyclObj {
            context_id: Some(context_id(context)),
            context_handle: context.raw() as usize,
            device_handle: device.map(|d| d.raw() as usize),
        }
    }

    /// The name of `queue`: its context and its device (dpctl's memory objects name their
    /// queue this way).
    pub fn of_queue(queue: &Queue) -> SyclObj {
        SyclObj::new(queue.context(), Some(queue.device()))
    }

    /// The live context this names.
    ///
    /// # Errors
    ///
    /// [`SuaiError::UnknownContext`] when no live context has this id (or, without an id,
    /// this handle) in the registry, or when id and handle name different contexts.
    pub fn resolve(&self) -> Result<Context, SuaiError> {
        let unknown = || SuaiError::UnknownContext {
            id: self.context_id,
            handle: self.context_handle,
        };
        Context::find(self.context_id, self.context_handle).ok_or_else(unknown)
    }

    /// Checks that this names `context`: the same handle and, when an id is given, the id
    /// usm-core gave `context`.
    ///
    /// # Errors
    ///
    /// [`SuaiError::ContextMismatch`] otherwise.
    pub fn check_names(&self, context: &Context) -> Result<(), SuaiError> {
        let given = context.raw() as usize;
        let same_id = self.context_id.map_or(true, |id| id == context_id(context));
        if self.context_handle != given || !same_id {
            return Err(SuaiError::ContextMismatch {
                named: self.context_handle,
                given,
            });
        }
        Ok(())
    }

    /// The named device, found among `context`'s devices and their sub-devices.
    ///
    /// # Errors
    ///
    /// [`Error::DeviceNotInContext`] (as [`SuaiError::Usm`]) when the handle is not one of
    /// them.
    pub fn device(&self, context: &Context) -> Result<Option<Device>, SuaiError> {
        let Some(handle) = self.device_handle else {
            return Ok(None);
        };
        let is_named = |d: &Device| d.raw() as usize == handle;
        for device in context.devices() {
            if is_named(device) {
                return Ok(Some(device.clone()));
            }
            if let Some(sub) = device.sub_devices()?.into_iter().find(is_named) {
                return Ok(Some(sub));
            }
        }
        Err(Error::DeviceNotInContext {
            device: handle,
            context: context.raw() as usize,
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syclobj_json_has_three_named_fields() {
        let name = SyclObj {
            context_id: Some(3),
            context_handle: 0x1000,
            device_handle: None,
        };
        let text = serde_json::to_string(&name).unwrap();
        assert_eq!(
            text,
            r#"{"context_id":3,"context_handle":4096,"device_handle":null}"#
        );
        assert_eq!(serde_json::from_str::<SyclObj>(&text).unwrap(), name);
    }

    #[test]
    fn syclobj_id_and_device_may_be_left_out_but_not_the_handle() {
        let name: SyclObj = serde_json::from_str(r#"{"context_handle":7}"#).unwrap();
        assert_eq!(
            name,
            SyclObj {
                context_id: None,
                context_handle: 7,
                device_handle: None
            }
        );
        assert!(serde_json::from_str::<SyclObj>(r#"{"context_id":1}"#).is_err());
        assert!(serde_json::from_str::<SyclObj>(r#"{"context_handle":7,"queue":1}"#).is_err());
    }

    #[test]
    fn unknown_ids_do_not_resolve() {
        let name = SyclObj {
            context_id: Some(u64::MAX),
            context_handle: 0x1000,
            device_handle: None,
        };
        assert!(matches!(
            name.resolve(),
            Err(SuaiError::UnknownContext {
                id: Some(u64::MAX),
                handle: 0x1000
            })
        ));
    }
}
