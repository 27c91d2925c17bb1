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


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM, in MB). Not ``ru_maxrss``: on Linux that
    keeps the high-water mark of the parent a child was forked from, across ``exec``."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _limited_child(queue, fn, args, memory_bytes):
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    start = time.perf_counter()
    try:
        result = fn(*args)
    except MemoryError:
        queue.put(("memory", None, time.perf_counter() - start))
        return
    queue.put(("ok", result, time.perf_counter() - start))


def run_limited(fn, args=(), memory_gb: float = 16.0, timeout_s: float = 3600.0):
    """Run ``fn(*args)`` once in a child process whose address space is capped at ``memory_gb``
    and whose wall time is capped at ``timeout_s``, so that a peer that cannot fit or finish on
    this machine is reported, not left to the kernel's OOM killer (which would take the whole
    benchmark down). Returns ``(status, result, seconds)``: status ``ok``, ``memory`` (the cap
    was hit after ``seconds``) or ``timeout``. ``fn`` must be importable (module level)."""
    import multiprocessing as mp
    import queue as queues

    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_limited_child, args=(queue, fn, args, int(memory_gb * 2**30)))
    start = time.perf_counter()
    child.start()
    answer = None
    while answer is None and time.perf_counter() - start < timeout_s:
        try:  # read before joining: a child blocks on exit until its queued answer is read
            answer = queue.get(timeout=1.0)
        except queues.Empty:
            if not child.is_alive() and queue.empty():
                break
    if answer is None and child.is_alive():
        child.kill()
        child.join()
        return "timeout", None, time.perf_counter() - start
    child.join()
    if answer is None:  # died without a word (OOM kill, a C library abort on allocation)
        return f"exit code {child.exitcode}", None, time.perf_counter() - start
    return answer


def run_paths(paths, args=(), memory_gb: float = 16.0, unit: str = "rows") -> dict | None:
    """Each ``(name, fn)`` of ``paths`` once in its own :func:`run_limited` child, ``fn(*args)``
    returning ``(frame, peak_rss_mb)``; prints a line per path. Returns ``name -> (frame, peak
    RSS MB, seconds)``, or None when a path did not finish (said in its line)."""
    results = {}
    width = max(len(name) for name, _ in paths)
    for name, fn in paths:
        status, answer, seconds = run_limited(fn, args, memory_gb=memory_gb)
        if status != "ok":
            print(f"  {name}: {status} after {seconds:.1f} s")
            return None
        results[name] = (answer[0], answer[1], seconds)
        print(f"  {name:{width}s} {seconds:6.2f} s  peak RSS {answer[1]:7.0f} MB  ({len(answer[0]):,} {unit})")
    return results
