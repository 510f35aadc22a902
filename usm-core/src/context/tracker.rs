//! The bookkeeping of one context: live counters per kind and the record of each live
//! allocation with the place it was made (a slab, so recording is a few stores).

use std::panic::Location;
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

use crate::names::UsmKind;

/// Counters of one USM kind in one context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindStats {
    /// Allocations alive now.
    pub live_count: u64,
    /// Bytes alive now.
    pub live_bytes: u64,
    /// Highest `live_count` seen.
    pub peak_count: u64,
    /// Highest `live_bytes` seen.
    pub peak_bytes: u64,
    /// Allocations made since the context was created.
    pub total_allocations: u64,
    /// Allocations freed since the context was created.
    pub total_frees: u64,
}

/// Counters of one context, per USM kind (see [`Context::stats`](crate::Context::stats)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContextStats {
    /// Device memory.
    pub device: KindStats,
    /// Shared memory.
    pub shared: KindStats,
    /// Host memory.
    pub host: KindStats,
}

impl ContextStats {
    /// The counters of `kind`.
    pub fn kind(&self, kind: UsmKind) -> &KindStats {
        match kind {
            UsmKind::Device => &self.device,
            UsmKind::Shared => &self.shared,
            UsmKind::Host => &self.host,
        }
    }

    /// Allocations alive now, over all kinds.
    pub fn live_count(&self) -> u64 {
        self.device.live_count + self.shared.live_count + self.host.live_count
    }

    /// Bytes alive now, over all kinds.
    pub fn live_bytes(&self) -> u64 {
        self.device.live_bytes + self.shared.live_bytes + self.host.live_bytes
    }
}

/// One live allocation, as named by a leak report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAllocation {
    /// Raw handle of the context it was made in, as an address.
    pub context: usize,
    /// Its start address.
    pub addr: usize,
    /// Its kind.
    pub kind: UsmKind,
    /// Its size in bytes.
    pub size: usize,
    /// Its alignment: the one requested, or, when the driver chose (0 was asked), the one
    /// its address has (as [`UsmMemory::alignment`](crate::UsmMemory::alignment) reports).
    pub alignment: usize,
    /// Where in the source it was allocated.
    pub location: &'static Location<'static>,
}

/// The per-context bookkeeping: counters and the live allocations, under one lock (one
/// uncontended lock per allocation and per free is cheaper than several atomics plus a
/// lock).
///
/// Live allocations sit in a slab: each allocation keeps the index of its slot, so that
/// recording and forgetting it are a few stores, whatever the number of live allocations.
/// Looking one up by address is a scan, done only to classify pointers and report leaks.
#[derive(Default)]
pub(crate) struct Tracker {
    state: Mutex<TrackerState>,
}

struct TrackerState {
    counters: [KindStats; 3],
    slots: Vec<Slot>,
    /// The first vacant slot (the head of a list threaded through the vacant slots), or
    /// [`NO_SLOT`]: a vacant slot is found and given back without touching other memory.
    first_vacant: usize,
}

impl Default for TrackerState {
    fn default() -> Self {
        TrackerState {
            counters: Default::default(),
            slots: Vec::new(),
            first_vacant: NO_SLOT,
        }
    }
}

/// The end of the vacant list.
const NO_SLOT: usize = usize::MAX;

/// One slot of the slab: a live allocation, or a vacant slot naming the next vacant one.
enum Slot {
    Live(LiveAllocation),
    Vacant { next: usize },
}

impl Slot {
    fn live(&self) -> Option<&LiveAllocation> {
        match self {
            Slot::Live(a) => Some(a),
            Slot::Vacant { .. } => None,
        }
    }
}

impl TrackerState {
    /// Whether no allocation is alive (the slab may still hold vacant slots).
    fn is_empty(&self) -> bool {
        self.counters.iter().all(|c| c.live_count == 0)
    }
}

fn index(kind: UsmKind) -> usize {
    match kind {
        UsmKind::Device => 0,
        UsmKind::Shared => 1,
        UsmKind::Host => 2,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold plain data that stays consistent even if a holder panicked.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The lock if no other thread holds it.
fn try_lock<T>(m: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match m.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

impl Tracker {
    /// Records a new allocation; returns its slot, to give back to [`Tracker::on_free`].
    #[inline]
    pub(crate) fn on_alloc(&self, record: LiveAllocation) -> usize {
        let mut state = lock(&self.state);
        let c = &mut state.counters[index(record.kind)];
        c.live_count += 1;
        c.live_bytes += record.size as u64;
        c.peak_count = c.peak_count.max(c.live_count);
        c.peak_bytes = c.peak_bytes.max(c.live_bytes);
        c.total_allocations += 1;
        let slot = state.first_vacant;
        match state.slots.get_mut(slot) {
            Some(vacant) => {
                let Slot::Vacant { next } = *vacant else {
                    unreachable!("the vacant list holds only vacant slots")
                };
                *vacant = Slot::Live(record);
                state.first_vacant = next;
                slot
            }
            None => {
                state.slots.push(Slot::Live(record));
                state.slots.len() - 1
            }
        }
    }

    /// Forgets the allocation recorded in `slot`.
    #[inline]
    pub(crate) fn on_free(&self, slot: usize) {
        let mut state = lock(&self.state);
        let next = state.first_vacant;
        let Some(entry) = state
            .slots
            .get_mut(slot)
            .filter(|e| matches!(e, Slot::Live(_)))
        else {
            return;
        };
        let Slot::Live(record) = std::mem::replace(entry, Slot::Vacant { next }) else {
            unreachable!("the slot was checked to be live")
        };
        state.first_vacant = slot;
        let c = &mut state.counters[index(record.kind)];
        c.live_count = c.live_count.saturating_sub(1);
        c.live_bytes = c.live_bytes.saturating_sub(record.size as u64);
        c.total_frees += 1;
    }

    pub(crate) fn stats(&self) -> ContextStats {
        let state = lock(&self.state);
        ContextStats {
            device: state.counters[0],
            shared: state.counters[1],
            host: state.counters[2],
        }
    }

    /// The live allocations, by address.
    pub(crate) fn live(&self) -> Vec<LiveAllocation> {
        let mut all: Vec<_> = lock(&self.state)
            .slots
            .iter()
            .filter_map(Slot::live)
            .cloned()
            .collect();
        all.sort_by_key(|a| a.addr);
        all
    }

    /// As [`Tracker::live`], or `None` when another thread holds the lock.
    pub(crate) fn try_live(&self) -> Option<Vec<LiveAllocation>> {
        let state = try_lock(&self.state)?;
        let mut all: Vec<_> = state.slots.iter().filter_map(Slot::live).cloned().collect();
        drop(state);
        all.sort_by_key(|a| a.addr);
        Some(all)
    }

    /// The live allocation starting at `base`, if usm-core made it.
    pub(crate) fn starting_at(&self, base: usize) -> Option<LiveAllocation> {
        self.find(|a| a.addr == base)
    }

    /// The live allocation containing `addr`, if usm-core made it.
    pub(crate) fn containing(&self, addr: usize) -> Option<LiveAllocation> {
        self.find(|a| a.addr <= addr && addr - a.addr < a.size.max(1))
    }

    /// The first live allocation that `matches` (a scan: for classification, not for the
    /// allocation path).
    fn find(&self, matches: impl Fn(&LiveAllocation) -> bool) -> Option<LiveAllocation> {
        let state = lock(&self.state);
        if state.is_empty() {
            return None;
        }
        state
            .slots
            .iter()
            .filter_map(Slot::live)
            .find(|a| matches(a))
            .cloned()
    }
}

/// One line naming a live allocation and where it was made.
pub(crate) fn describe(a: &LiveAllocation) -> String {
    format!(
        "{} bytes of {} memory at {:#x} (context {:#x}), allocated at {}",
        a.size, a.kind, a.addr, a.context, a.location
    )
}

/// Reports one live allocation as a `warn` event (target `usm_core::leak`).
pub(crate) fn warn_leak(a: &LiveAllocation, why: &str) {
    tracing::warn!(
        target: "usm_core::leak",
        kind = %a.kind,
        bytes = a.size,
        alignment = a.alignment,
        ptr = format_args!("{:#x}", a.addr),
        context = format_args!("{:#x}", a.context),
        allocated_at = %a.location,
        "{why}: {}",
        describe(a)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(addr: usize, kind: UsmKind, size: usize) -> LiveAllocation {
        LiveAllocation {
            context: 0x10,
            addr,
            kind,
            size,
            alignment: 0,
            location: Location::caller(),
        }
    }

    #[test]
    fn slots_are_reused_and_counters_follow() {
        let t = Tracker::default();
        let a = t.on_alloc(record(0x3000, UsmKind::Device, 100));
        let b = t.on_alloc(record(0x1000, UsmKind::Device, 50));
        let c = t.on_alloc(record(0x2000, UsmKind::Host, 10));
        assert_eq!((a, b, c), (0, 1, 2));
        t.on_free(b);
        assert_eq!(t.on_alloc(record(0x5000, UsmKind::Shared, 7)), b);
        let s = t.stats();
        assert_eq!((s.device.live_count, s.device.live_bytes), (1, 100));
        assert_eq!((s.device.peak_count, s.device.peak_bytes), (2, 150));
        assert_eq!((s.device.total_allocations, s.device.total_frees), (2, 1));
        assert_eq!((s.shared.live_count, s.host.live_bytes), (1, 10));
        let addrs: Vec<usize> = t.live().iter().map(|a| a.addr).collect();
        assert_eq!(addrs, [0x2000, 0x3000, 0x5000]);
    }

    #[test]
    fn freeing_a_slot_twice_changes_nothing() {
        let t = Tracker::default();
        let a = t.on_alloc(record(0x1000, UsmKind::Host, 8));
        t.on_free(a);
        t.on_free(a);
        let s = t.stats();
        assert_eq!((s.host.live_count, s.host.total_frees), (0, 1));
        assert!(t.live().is_empty());
    }

    #[test]
    fn a_second_free_of_a_slot_leaves_the_vacant_list_whole() {
        let t = Tracker::default();
        let a = t.on_alloc(record(0x1000, UsmKind::Host, 8));
        let b = t.on_alloc(record(0x2000, UsmKind::Host, 8));
        t.on_free(a);
        t.on_free(a);
        t.on_free(99);
        // The one vacant slot is handed out once; the next record gets a new slot, so two
        // live allocations never share one.
        let c = t.on_alloc(record(0x3000, UsmKind::Host, 8));
        let d = t.on_alloc(record(0x4000, UsmKind::Host, 8));
        assert_eq!(c, a);
        assert!(d != a && d != b && d != c, "slots {a} {b} {c} {d}");
        let addrs: Vec<usize> = t.live().iter().map(|l| l.addr).collect();
        assert_eq!(addrs, [0x2000, 0x3000, 0x4000]);
        assert_eq!(t.stats().host.live_count, 3);
    }

    #[test]
    fn lookups_find_bases_and_interior_addresses() {
        let t = Tracker::default();
        t.on_alloc(record(0x1000, UsmKind::Device, 0x100));
        assert_eq!(t.starting_at(0x1000).map(|a| a.size), Some(0x100));
        assert_eq!(t.starting_at(0x1001), None);
        assert_eq!(t.containing(0x10ff).map(|a| a.addr), Some(0x1000));
        assert_eq!(t.containing(0x1100), None);
        assert_eq!(t.containing(0xfff), None);
    }
}
