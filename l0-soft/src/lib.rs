//! A software Level Zero driver (skeleton).
