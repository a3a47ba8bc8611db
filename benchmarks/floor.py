"""The reading floor of ``impactlib clean``: read a study's files, write them to Parquet.

    python benchmarks/floor.py STUDY.yml OUT_DIR

Reads every file ``impactlib clean`` reads (each wave's export, the codebook,
the registry) with the fastest readers at hand, and writes each table as it
was read to ``OUT_DIR/<n>.parquet``, nothing else: no checks, no matching, no
reshaping. It is what cleaning could not go below, the "floor" that
``benchmarks/pipeline.py`` runs in turn with ``impactlib clean``.

* CSV and text exports: pandas' pyarrow engine (multithreaded), all columns as
  text. pyarrow reads UTF-8 only: other bytes are decoded first (UTF-8 with or
  without byte-order mark, UTF-16 with one, else Windows-1252), the same
  work impactlib's reader has to do. The delimiter is the one most used in the
  first line (``;``, ``,`` or tab).
* Workbooks: pandas' ``engine="calamine"`` (python-calamine), the sheet the
  study names or the first one, as text.

Only pandas, pyarrow, python-calamine and PyYAML are imported: not impactlib.
"""

from __future__ import annotations

import codecs
import io
import sys
from pathlib import Path

import pandas as pd
import yaml


def study_files(study_path: Path) -> list[tuple[Path, str | None]]:
    """The files ``impactlib clean`` reads for the study: ``(path, sheet)``."""
    study = yaml.safe_load(study_path.read_text(encoding="utf-8"))
    base = study_path.parent
    files: list[tuple[Path, str | None]] = []
    codebook = base / study["codebook"]
    if codebook.is_dir():
        files += [(p, None) for p in sorted(codebook.glob("*.csv"))]
    elif codebook.suffix.lower() in (".xlsx", ".xlsm"):
        files += [(codebook, "items"), (codebook, "scales")]
    else:
        files.append((codebook, None))
    for wave in study["waves"]:
        files.append((base / wave["file"], wave.get("sheet")))
    if study.get("registry"):
        files.append((base / study["registry"], None))
    return files


def _text(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        data = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
    except UnicodeDecodeError:
        data = _text(raw).encode("utf-8")
    header = data[:data.find(b"\n")].decode("utf-8", errors="replace")
    sep = max((";", ",", "\t"), key=header.count)
    return pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, engine="pyarrow",
                       keep_default_na=False)


def read_workbook(path: Path, sheet: str | None) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=sheet or 0, dtype=str, header=None,
                         engine="calamine", keep_default_na=False, na_filter=False)


def main(argv: list[str]) -> int:
    study_path, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for i, (path, sheet) in enumerate(study_files(study_path)):
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            table = read_workbook(path, sheet)
        else:
            table = read_csv(path)
        table.columns = [str(c) for c in table.columns]
        table.to_parquet(out / f"{i}.parquet", index=False)
        rows += len(table)
    print(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
