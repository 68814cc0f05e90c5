"""`make bench`: run every bench/bench_*.py module (or those named), then one JSON line of the core ratios.

BENCH_QUICK=1 runs only the core comparison (bench_core). The last line a run prints is always a JSON object with
at least `lifecycle_ratio` and `intake_ratio` (casework as deployed, to the raw sqlite3 baseline of that run), so a
script can read the result with `tail -1`.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys

import bench


def main(argv: list[str]) -> int:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    names = argv or (
        ["bench_core"]
        if quick
        else sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    )
    if "bench_core" not in names:
        names = ["bench_core", *names]  # every run ends with the core ratios
    summary: dict = {}
    for name in names:
        module = importlib.import_module(f"bench.{name.removeprefix('bench.')}")
        print(f"\n== {module.__name__}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
        result = module.main()
        if name == "bench_core":
            summary = result
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
