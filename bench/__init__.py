"""Benchmarks: each prints `BENCH {json}` lines, its figure next to a limit measured alongside."""
