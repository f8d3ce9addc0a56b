"""Benchmarks: each prints `BENCH {json}` lines with its figure next to a limit measured alongside."""
