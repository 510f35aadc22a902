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

/// Times several operations in alternation: after their warm-ups, each repetition takes one
/// sample of every operation in turn, so that all of them see the same machine conditions
/// (load, frequency, cache). Returns the samples (seconds per operation) of each operation,
/// index `i` of every list from the same repetition.
pub fn measure_interleaved<E>(
    plan: Plan,
    ops: &mut [&mut dyn FnMut() -> Result<(), E>],
) -> Result<Vec<Vec<f64>>, E> {
    for op in ops.iter_mut() {
        for _ in 0..plan.warmup {
            op()?;
        }
    }
    let mut samples = vec![Vec::with_capacity(plan.reps); ops.len()];
    for _ in 0..plan.reps.max(1) {
        for (op, out) in ops.iter_mut().zip(samples.iter_mut()) {
            let start = Instant::now();
            let mut n = 0u32;
            loop {
                op()?;
                n += 1;
                if start.elapsed() >= plan.min_rep_time {
                    break;
                }
            }
            out.push(start.elapsed().as_secs_f64() / f64::from(n));
        }
    }
    Ok(samples)
}

/// The median over repetitions of `a[i] / b[i]`: a ratio robust to conditions that drift
/// between repetitions.
pub fn median_ratio(a: &[f64], b: &[f64]) -> f64 {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(_, &b)| b > 0.0)
        .map(|(a, b)| a / b)
        .collect();
    summarize(&mut ratios).median_s
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
    fn interleaved_samples_every_operation_once_per_repetition() {
        let order = std::cell::RefCell::new(Vec::new());
        let plan = Plan {
            warmup: 1,
            reps: 2,
            min_rep_time: Duration::ZERO,
        };
        let mut a = || -> Result<(), ()> {
            order.borrow_mut().push('a');
            Ok(())
        };
        let mut b = || -> Result<(), ()> {
            order.borrow_mut().push('b');
            Ok(())
        };
        let samples = measure_interleaved(plan, &mut [&mut a, &mut b]).unwrap();
        assert_eq!(samples.len(), 2);
        assert!(samples.iter().all(|s| s.len() == 2));
        assert_eq!(order.into_inner(), ['a', 'b', 'a', 'b', 'a', 'b']);
    }

    #[test]
    fn median_ratio_pairs_repetitions() {
        assert_eq!(median_ratio(&[2.0, 4.0, 9.0], &[1.0, 2.0, 3.0]), 2.0);
        assert_eq!(median_ratio(&[1.0], &[0.0]), 0.0);
    }

    #[test]
    fn measurement_stops_at_the_first_error() {
        let mut calls = 0;
        let plan = Plan {
            warmup: 0,
            reps: 5,
            min_rep_time: Duration::ZERO,
        };
        let mut op = || {
            calls += 1;
            if calls == 2 {
                Err("boom")
            } else {
                Ok(())
            }
        };
        let r = measure_interleaved(plan, &mut [&mut op]);
        assert_eq!(r.unwrap_err(), "boom");
        assert_eq!(calls, 2);
    }
}
