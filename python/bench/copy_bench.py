"""copy_from_host / copy_to_host of level_zero_usm against NumPy's own copy, same run.

For 4 KiB and 64 MiB, times `MemoryUSM*.copy_from_host(src)` and `.copy_to_host(dst)` (NumPy
uint8 arrays, preallocated) and `numpy.copyto(dst, src)` of the same size, and prints the
median time of each, its throughput, and the ratio to NumPy's copy (1.00 = as fast; 2.00 =
twice as long). Run it on the software driver, in a release build for numbers that mean
something (see the README's Python section):

    ZE_ENABLE_ALT_DRIVERS=$PWD/target/release/libze_soft.so python python/bench/copy_bench.py
"""

import argparse
import statistics
import time

import numpy as np

import level_zero_usm as usm

SIZES = {"4 KiB": 4 << 10, "64 MiB": 64 << 20}
CLASSES = {"device": usm.MemoryUSMDevice, "shared": usm.MemoryUSMShared, "host": usm.MemoryUSMHost}


def median_seconds(fn, inner, repeat):
    """The median over `repeat` samples of the time of one call (each sample `inner` calls)."""
    fn()  # warm up (first touch of pages, lazily made lists)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="samples per measurement")
    parser.add_argument("--kinds", default="device,shared,host", help="memory kinds to time")
    args = parser.parse_args()

    print(f"device: {usm.Device().name}")
    print(f"{'kind':<7} {'size':<7} {'operation':<15} {'median':>11} {'GB/s':>8} {'vs numpy':>9}")
    for label, n in SIZES.items():
        inner = max(1, (64 << 20) // n // 64)  # ~1 MiB of copies per sample for small sizes
        src = np.random.default_rng(0).integers(0, 256, size=n, dtype=np.uint8)
        dst = np.empty_like(src)
        base = median_seconds(lambda: np.copyto(dst, src), inner, args.repeat)
        rows = [("-", "numpy.copyto", base)]
        for kind in args.kinds.split(","):
            m = CLASSES[kind](n)
            rows.append((kind, "copy_from_host", median_seconds(lambda: m.copy_from_host(src), inner, args.repeat)))
            rows.append((kind, "copy_to_host", median_seconds(lambda: m.copy_to_host(dst), inner, args.repeat)))
            m.copy_to_host(dst)
            assert np.array_equal(dst, src), "the round trip changed the bytes"
        for kind, op, t in rows:
            print(f"{kind:<7} {label:<7} {op:<15} {t * 1e6:>9.2f}us {n / t / 1e9:>8.2f} {t / base:>8.2f}x")


if __name__ == "__main__":
    main()
