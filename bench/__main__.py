"""Run the benchmarks: `python -m bench [--only NAME]` (NAME: a module or a benchmark name)."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path


def emit(name: str, value: float, unit: str, **extra: object) -> None:
    """Print one figure as a `BENCH {json}` line."""
    print("BENCH " + json.dumps({"name": name, "value": round(value, 3), "unit": unit, **extra}))
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", help="run one module or one benchmark by name")
    args = parser.parse_args()
    here = Path(__file__).parent
    modules = sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_")
    )
    ran = 0
    for module_name in modules:
        module = importlib.import_module(f"bench.{module_name}")
        for name, func in module.BENCHMARKS.items():
            wanted = args.only
            if wanted and wanted not in (module_name, name) and not name.startswith(f"{wanted}."):
                continue
            func(emit)
            ran += 1
    if not ran:
        print(
            f"no benchmark called {args.only!r}; there are: {', '.join(modules)}", file=sys.stderr
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
