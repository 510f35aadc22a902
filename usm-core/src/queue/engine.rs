//! Which engine (queue group and index) a queue submits to.
//!
//! # Policy
//!
//! A device lists its engines as queue groups. usm-core names three of them:
//!
//! * the **compute** group: the first group with the compute flag (it also copies);
//! * the **main copy** group: the first copy-only group (no compute flag);
//! * the **link copy** group: the second copy-only group, when there is one (on Intel
//!   data-center GPUs, the several link copy engines).
//!
//! [`Engine::Auto`], the default, takes the main copy engine when the device has one (a
//! device with link copy engines always has a main one), else the compute group: copies then run beside compute work, as
//! Level Zero recommends. Fills run on the queue's engine too; a copy engine may accept
//! smaller fill patterns than the compute engine (see
//! [`Queue::max_fill_pattern_size`](crate::Queue::max_fill_pattern_size)), so patterns
//! longer than that need a queue on [`Engine::Compute`].

use std::fmt;

use crate::device::QueueGroup;
use crate::transfer::TransferError;

/// The engine a [`Queue`](crate::Queue) submits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Engine {
    /// A copy engine when the device has one, else the compute engine (see the module docs).
    #[default]
    Auto,
    /// The compute group.
    Compute,
    /// The main copy group.
    MainCopy,
    /// The link copy group.
    LinkCopy,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Auto => "auto",
            Engine::Compute => "compute",
            Engine::MainCopy => "main copy",
            Engine::LinkCopy => "link copy",
        })
    }
}

/// The engine a queue ended up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChosenEngine {
    /// Compute, main copy or link copy (never [`Engine::Auto`]).
    pub engine: Engine,
    /// The queue group.
    pub group: QueueGroup,
    /// The engine's index within the group.
    pub index: u32,
}

impl Engine {
    /// The explicit engines (compute, main copy, link copy, in that order; never
    /// [`Engine::Auto`]) that a device with these queue groups has, as the module's policy
    /// names them.
    ///
    /// ```
    /// use usm_core::{Engine, QueueGroup};
    /// let compute = QueueGroup { ordinal: 0, flags: 0b11, engine_count: 1, max_memory_fill_pattern_size: 128 };
    /// assert_eq!(Engine::available(&[compute]), [Engine::Compute]);
    /// ```
    pub fn available(groups: &[QueueGroup]) -> Vec<Engine> {
        [Engine::Compute, Engine::MainCopy, Engine::LinkCopy]
            .into_iter()
            .filter(|&e| choose(groups, e, 0).is_ok())
            .collect()
    }
}

/// Picks the group for `wanted` among `groups` and checks `index` against its engine count.
pub(crate) fn choose(
    groups: &[QueueGroup],
    wanted: Engine,
    index: u32,
) -> Result<ChosenEngine, TransferError> {
    let compute = groups.iter().find(|g| g.is_compute());
    let mut copy_only = groups.iter().filter(|g| g.is_copy_only());
    let main_copy = copy_only.next();
    let link_copy = copy_only.next();
    let found = match wanted {
        Engine::Compute => compute.map(|g| (Engine::Compute, g)),
        Engine::MainCopy => main_copy.map(|g| (Engine::MainCopy, g)),
        Engine::LinkCopy => link_copy.map(|g| (Engine::LinkCopy, g)),
        Engine::Auto => main_copy
            .map(|g| (Engine::MainCopy, g))
            .or(compute.map(|g| (Engine::Compute, g))),
    };
    match found {
        Some((engine, group)) if index < group.engine_count.max(1) => Ok(ChosenEngine {
            engine,
            group: *group,
            index,
        }),
        _ => Err(TransferError::NoSuchEngine {
            engine: wanted.to_string(),
            index,
            groups: describe(groups),
        }),
    }
}

fn describe(groups: &[QueueGroup]) -> String {
    if groups.is_empty() {
        return "none".to_string();
    }
    groups
        .iter()
        .map(|g| {
            let what = if g.is_compute() {
                "compute"
            } else if g.is_copy() {
                "copy"
            } else {
                "other"
            };
            format!("#{} {what} x{}", g.ordinal, g.engine_count)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use level_zero_sys::ze_command_queue_group_property_flag_t as F;

    fn group(ordinal: u32, flags: u32, engine_count: u32) -> QueueGroup {
        QueueGroup {
            ordinal,
            flags,
            engine_count,
            max_memory_fill_pattern_size: 128,
        }
    }

    fn discrete() -> Vec<QueueGroup> {
        let compute = F::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE.0
            | F::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY.0;
        let copy = F::ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY.0;
        vec![group(0, compute, 4), group(1, copy, 1), group(2, copy, 7)]
    }

    #[test]
    fn auto_prefers_the_main_copy_engine() {
        let c = choose(&discrete(), Engine::Auto, 0).unwrap();
        assert_eq!(
            (c.engine, c.group.ordinal, c.index),
            (Engine::MainCopy, 1, 0)
        );
    }

    #[test]
    fn explicit_choices_map_to_their_groups() {
        let g = discrete();
        assert_eq!(choose(&g, Engine::Compute, 3).unwrap().group.ordinal, 0);
        assert_eq!(choose(&g, Engine::MainCopy, 0).unwrap().group.ordinal, 1);
        assert_eq!(choose(&g, Engine::LinkCopy, 6).unwrap().group.ordinal, 2);
    }

    #[test]
    fn an_index_beyond_the_group_is_refused() {
        let e = choose(&discrete(), Engine::LinkCopy, 7).unwrap_err();
        assert!(
            matches!(e, TransferError::NoSuchEngine { index: 7, .. }),
            "{e}"
        );
    }

    #[test]
    fn auto_falls_back_to_compute_without_copy_engines() {
        let g = vec![discrete()[0]];
        let c = choose(&g, Engine::Auto, 0).unwrap();
        assert_eq!((c.engine, c.group.ordinal), (Engine::Compute, 0));
        assert!(choose(&g, Engine::MainCopy, 0).is_err());
        assert!(choose(&g, Engine::LinkCopy, 0).is_err());
    }

    #[test]
    fn a_lone_copy_only_group_is_the_main_copy_group() {
        let mut g = discrete();
        g.remove(1);
        // The first copy-only group is the main copy group by definition.
        let c = choose(&g, Engine::Auto, 0).unwrap();
        assert_eq!((c.engine, c.group.ordinal), (Engine::MainCopy, 2));
    }
}
