"""In-process evaluation time of the six managed groups on the benign corpus: the engine's share of the added latency.

    PYTHONPATH=src python -m bench.waf_speed [--requests N] [--batches K] [--profile]

Common + SQLi + KnownBadInputs + Linux + Unix + PHP (as bench/waf_detection.py) evaluate the first N benign
requests (bench/waf_benign.py) in order, K times, each batch with a new evaluator: its per-value result cache
(waf/scan.py) starts empty, so a request is never answered from its own earlier run, only from values earlier
requests of the stream shared (RE2 sets, cached by content, stay warm as in a long-running process).
``--no-cache`` turns the result cache off. The machine is shared, so noise only ever adds time: printed are each
batch's p50 / p99 and, steadier, the percentiles of every request's fastest run over the batches ("min of
batches"). ``--profile`` runs one batch under cProfile instead.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

from bench.waf_benign import benign_requests
from bench.waf_detection import GROUPS, web_acl
from strongroom.waf import WebAclEvaluator, scan


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--batches", type=int, default=7)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--no-cache", action="store_true")
    args = ap.parse_args()
    scan.RESULT_CACHE = not args.no_cache
    reqs = benign_requests()[: args.requests]
    ev = WebAclEvaluator(web_acl(GROUPS))
    for r in benign_requests(200, seed=7):  # warm the RE2 sets' DFAs on other requests
        ev.evaluate(r, now=1_700_000_000.0)
    ev = WebAclEvaluator(web_acl(GROUPS))
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for r in reqs:
            ev.evaluate(r, now=1_700_000_000.0)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return 0
    best = [float("inf")] * len(reqs)
    for b in range(args.batches):
        ev = WebAclEvaluator(web_acl(GROUPS))
        times = []
        for i, r in enumerate(reqs):
            t0 = time.perf_counter()
            ev.evaluate(r, now=1_700_000_000.0)
            dt = (time.perf_counter() - t0) * 1000
            times.append(dt)
            best[i] = min(best[i], dt)
        print(
            f"batch {b}: p50 {statistics.median(times):.3f} ms  p99 {_pct(times, 0.99):.3f} ms  "
            f"mean {statistics.fmean(times):.3f} ms"
        )
    print(
        f"min of {args.batches} batches over {len(reqs)} requests: p50 {statistics.median(best):.3f} ms  "
        f"p99 {_pct(best, 0.99):.3f} ms  max {max(best):.3f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
