"""Best-of-n wall-clock timing shared by the benchmarks."""
from __future__ import annotations

import time


def best_of(fn, repeats: int = 3):
    """Run ``fn`` ``repeats`` times; return its last result and the fastest time in seconds."""
    result, times = None, []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, min(times)
