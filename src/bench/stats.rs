//! Repeated timing: warm-up, repetitions, median and spread.

use std::time::{Duration, Instant};

/// Summary of repeated measurements of one operation, in seconds per operation.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Timing {
    /// Median seconds per operation.
    pub median_s: f64,
    /// Fastest repetition.
    pub min_s: f64,
    /// Slowest repetition.
    pub max_s: f64,
    /// Repetitions measured (after warm-up).
    pub reps: usize,
}

impl Timing {
    /// `(max - min) / median`, in percent: how much the repetitions disagreed.
    pub fn spread_percent(&self) -> f64 {
        if self.median_s > 0.0 {
            (self.max_s - self.min_s) / self.median_s * 100.0
        } else {
            0.0
        }
    }

    /// Bytes per second at the median for `bytes` per operation, in GB/s (10^9).
    pub fn gbps(&self, bytes: usize) -> f64 {
        if self.median_s > 0.0 {
            bytes as f64 / self.median_s / 1e9
        } else {
            0.0
        }
    }
}

/// How many times to run each operation.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Untimed runs first.
    pub warmup: usize,
    /// Timed repetitions.
    pub reps: usize,
    /// Each repetition repeats the operation until at least this long has passed, so that
    /// microsecond operations are not measured one at a time.
    pub min_rep_time: Duration,
}

/// Times `op` according to `plan`. `op` is called once per operation; the first error
/// stops the measurement.
pub fn measure<E>(plan: Plan, mut op: impl FnMut() -> Result<(), E>) -> Result<Timing, E> {
    for _ in 0..plan.warmup {
        op()?;
    }
    let mut samples = Vec::with_capacity(plan.reps);
    for _ in 0..plan.reps.max(1) {
        let start = Instant::now();
        let mut n = 0u32;
        loop {
            op()?;
            n += 1;
            if start.elapsed() >= plan.min_rep_time {
                break;
            }
        }
        samples.push(start.elapsed().as_secs_f64() / f64::from(n));
    }
    Ok(summarize(&mut samples))
}

/// Median, min and max of `samples` (sorted in place).
pub fn summarize(samples: &mut [f64]) -> Timing {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let median_s = if n == 0 {
        0.0
    } else if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    };
    Timing {
        median_s,
        min_s: samples.first().copied().unwrap_or(0.0),
        max_s: samples.last().copied().unwrap_or(0.0),
        reps: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(summarize(&mut [3.0, 1.0, 2.0]).median_s, 2.0);
        assert_eq!(summarize(&mut [4.0, 1.0, 3.0, 2.0]).median_s, 2.5);
    }

    #[test]
    fn spread_and_bandwidth() {
        let t = summarize(&mut [1.0, 2.0, 3.0]);
        assert_eq!(t.min_s, 1.0);
        assert_eq!(t.max_s, 3.0);
        assert_eq!(t.spread_percent(), 100.0);
        assert_eq!(t.gbps(4_000_000_000), 2.0);
    }

    #[test]
    fn measure_runs_warmup_and_every_repetition() {
        let mut calls = 0;
        let plan = Plan {
            warmup: 2,
            reps: 3,
            min_rep_time: Duration::ZERO,
        };
        let t = measure::<()>(plan, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(calls, 5);
        assert_eq!(t.reps, 3);
    }

    #[test]
    fn measure_stops_at_the_first_error() {
        let mut calls = 0;
        let plan = Plan {
            warmup: 0,
            reps: 5,
            min_rep_time: Duration::ZERO,
        };
        let r = measure(plan, || {
            calls += 1;
            if calls == 2 {
                Err("boom")
            } else {
                Ok(())
            }
        });
        assert_eq!(r.unwrap_err(), "boom");
        assert_eq!(calls, 2);
    }
}
