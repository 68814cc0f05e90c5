"""Benchmarks: each bench_*.py measures casework against a baseline taken in the same run."""
