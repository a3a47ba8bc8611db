"""Compare two results folders file by file, byte for byte.

    python scripts/compare_results.py BEFORE/results AFTER/results

Prints one line per CSV (``same`` or ``DIFFERENT``) and exits 1 when any file
differs or is missing on one side. Used to check that a refactoring leaves
every ``results/*.csv`` of the demo study byte-identical.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    before, after = (Path(a) for a in argv)
    names = sorted({p.name for p in before.glob("*.csv")} | {p.name for p in after.glob("*.csv")})
    differ = 0
    for name in names:
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            print(f"MISSING   {name} ({'before' if not a.exists() else 'after'})")
            differ += 1
        elif a.read_bytes() != b.read_bytes():
            print(f"DIFFERENT {name}")
            differ += 1
        else:
            print(f"same      {name}")
    print(f"{len(names) - differ} of {len(names)} files byte-identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
