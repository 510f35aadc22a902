//! Safe Unified Shared Memory over Level Zero (skeleton).
