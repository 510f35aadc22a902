//! Why a copy, fill or queue request was refused before anything was submitted.

use std::fmt;

/// Which side of a transfer an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operand {
    /// The memory written.
    Destination,
    /// The memory read.
    Source,
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operand::Destination => "destination",
            Operand::Source => "source",
        })
    }
}

/// Why a fill pattern was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternRule {
    /// The pattern is empty.
    Empty,
    /// The pattern's length is not a power of two.
    NotPowerOfTwo,
    /// The pattern is longer than the queue group's `maxMemoryFillPatternSize`.
    TooLong,
}

/// A transfer request that usm-core refused before submitting it to the driver.
///
/// Every variant names the sizes involved, so the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// A range does not fit inside the memory it should be part of.
    #[error("{operand} range of {len} bytes at offset {offset} lies outside its {size} bytes")]
    OutOfBounds {
        /// Which side.
        operand: Operand,
        /// Offset of the range, in bytes.
        offset: usize,
        /// Length of the range, in bytes.
        len: usize,
        /// Size of the memory, in bytes.
        size: usize,
    },
    /// Source and destination sizes differ where they must be equal.
    #[error("size mismatch: destination has {dst_len} bytes, source has {src_len} bytes")]
    SizeMismatch {
        /// Bytes of the destination.
        dst_len: usize,
        /// Bytes of the source.
        src_len: usize,
    },
    /// Source and destination ranges share bytes (copies must not overlap).
    #[error(
        "source {src:#x}..{src_end:#x} and destination {dst:#x}..{dst_end:#x} overlap",
        src_end = src + len,
        dst_end = dst + len
    )]
    Overlap {
        /// Start address of the destination range.
        dst: usize,
        /// Start address of the source range.
        src: usize,
        /// Length of the ranges (for regions: of their bounding ranges).
        len: usize,
    },
    /// The memory belongs to another context than the queue.
    #[error("{operand} memory at {addr:#x} belongs to context {memory_context:#x}, the queue to {queue_context:#x}")]
    ForeignContext {
        /// Which side (for fills: the destination).
        operand: Operand,
        /// Start address of the memory.
        addr: usize,
        /// Raw handle of the memory's context.
        memory_context: usize,
        /// Raw handle of the queue's context.
        queue_context: usize,
    },
    /// A fill pattern breaks the specification's rules.
    #[error(
        "fill pattern of {len} bytes refused ({rule:?}): it must be a power of two of at most \
         {max} bytes on this queue's engine (a queue on the compute engine may take longer ones)"
    )]
    BadPattern {
        /// The pattern's length.
        len: usize,
        /// The queue group's `maxMemoryFillPatternSize`.
        max: usize,
        /// The rule it breaks.
        rule: PatternRule,
    },
    /// A copy region is malformed (empty, wider than its pitch, beyond 32-bit sizes).
    #[error("bad {operand} copy region: {reason}")]
    BadRegion {
        /// Which side.
        operand: Operand,
        /// What is wrong.
        reason: String,
    },
    /// The device has no engine of the requested kind, or not that many engines.
    #[error("no {engine} engine (index {index}) on this device; its queue groups: {groups}")]
    NoSuchEngine {
        /// The engine asked for.
        engine: String,
        /// The engine index asked for.
        index: u32,
        /// The device's queue groups, described.
        groups: String,
    },
    /// An event of another context was given as a dependency.
    #[error(
        "a dependency event belongs to context {event_context:#x}, the queue to \
         {queue_context:#x}"
    )]
    ForeignEvent {
        /// Raw handle of the event's context.
        event_context: usize,
        /// Raw handle of the queue's context.
        queue_context: usize,
    },
}
