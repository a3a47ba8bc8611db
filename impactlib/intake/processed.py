"""Processed tables: the waves linked, pseudonymized and reshaped tidy.

:func:`clean_study` reads a study and returns a :class:`Processed` bundle of
tidy tables (see ``docs/tidy-tables.md``); :meth:`Processed.write` stores them
in a folder (Parquet, plus CSV files for people), all at once or not at all;
:func:`load_processed` reads them back for the statistics and the notebooks.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import platform
import re
import secrets
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from impactlib.intake.codebook import Codebook, read_codebook
from impactlib.intake.dates import parse_dates
from impactlib.errors import FileInUseError, StudyError
from impactlib.intake.ingest import STATUSES, WaveData, normalize_ids, read_wave
from impactlib.intake.pseudonym import load_key, pseudonymize
from impactlib.intake.readers import fold_key, normalize_key, read_table
from impactlib.intake.scores import dimension_scores
from impactlib.intake.study import Study, load_study
from impactlib.safe_csv import write_csv

__all__ = ["Processed", "clean_study", "load_processed", "restrict_period", "PARQUET_TABLES", "INTERNAL_FILES",
           "processed_lock", "lock_path", "new_folder_beside", "replace_folder", "pid_alive",
           "sweep_leftovers", "files_in_use"]

log = logging.getLogger(__name__)

PARQUET_TABLES = ("responses", "scores", "questionnaires", "candidates", "items", "scales")
# Columns that hold text, typed as such even in an empty table.
TEXT_COLUMNS = {"candidate", "id", "pattern", "column", "file", "reason",
                "source_file"}
# Files of the processed folder that hold raw ids or raw cell texts: never shared.
INTERNAL_FILES = ("pseudonyms.csv", "rejected_rows.csv", "invalid_cells.csv")
# Folders written into the processed folder by other commands (the follow-up
# workbooks of `impactlib due`), carried over when the folder is rebuilt.
KEPT_FOLDERS = ("followup",)


@dataclass
class Processed:
    """The tidy tables of one study (see ``docs/tidy-tables.md``)."""

    responses: pd.DataFrame
    scores: pd.DataFrame
    questionnaires: pd.DataFrame
    candidates: pd.DataFrame
    items: pd.DataFrame
    scales: pd.DataFrame
    quality: pd.DataFrame
    rejected_rows: pd.DataFrame
    invalid_cells: pd.DataFrame
    pseudonyms: pd.DataFrame

    @property
    def waves(self) -> list[str]:
        """Wave keys in study order."""
        return list(self.questionnaires["wave"].cat.categories)

    def write(self, folder: str | Path) -> Path:
        """Write every table into ``folder``, replacing it whole.

        The tables are written to a temporary folder beside it first, so a
        failure never leaves a half-written folder behind.
        """
        from impactlib.intake.schemas import validate

        validate(self)
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
        folder.parent.mkdir(parents=True, exist_ok=True)
        with processed_lock(folder):
            sweep_leftovers(folder)
            tmp = new_folder_beside(folder, mode=0o700)
            try:
                for name in PARQUET_TABLES:
                    getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
                write_csv(self.quality, tmp / "quality.csv")
                write_csv(self.rejected_rows, tmp / "rejected_rows.csv")
                write_csv(self.invalid_cells, tmp / "invalid_cells.csv")
                write_csv(self.pseudonyms, tmp / "pseudonyms.csv")
                (tmp / "README.txt").write_text(
                    "INTERNAL - do not share. pseudonyms.csv, rejected_rows.csv and "
                    "invalid_cells.csv hold raw candidate ids and answers.\n", encoding="utf-8")
                for kept in KEPT_FOLDERS:        # copied: the old folder stays whole
                    if (folder / kept).is_dir():  # until the swap
                        shutil.copytree(folder / kept, tmp / kept)
                os.chmod(tmp, 0o700)
                replace_folder(tmp, folder)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        return folder


def load_processed(folder: str | Path) -> Processed:
    """Read the tables written by :meth:`Processed.write`."""
    folder = Path(folder)
    if not (folder / "responses.parquet").exists():
        raise StudyError("no processed tables here (run 'impactlib clean' first)", folder)
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in PARQUET_TABLES}
    csv = {name: pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
           for name in ("rejected_rows", "invalid_cells", "pseudonyms")}
    quality = pd.read_csv(folder / "quality.csv", keep_default_na=False)
    return Processed(quality=quality, **tables, **csv)


def _wave_categorical(values, waves: list[str]) -> pd.Categorical:
    return pd.Categorical(values, categories=waves, ordered=True)


def clean_study(study: Study | str | Path, key: bytes | None = None) -> Processed:
    """Read, check, link and reshape every wave of a study.

    Parameters
    ----------
    study : Study or path to ``study.yml``
    key : bytes, optional
        Pseudonymization key (default: :func:`impactlib.intake.pseudonym.load_key`
        of this study, found from its location, never from the current folder).

    Returns
    -------
    Processed

    Raises
    ------
    StudyError
        For any study-level problem; nothing is written.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    codebook = read_codebook(study.codebook)
    waves = [read_wave(study, w, codebook) for w in study.waves]
    key = load_key(study) if key is None else key
    keys = study.wave_keys
    registry, registry_invalid = _read_registry(study) if study.registry else (None, None)
    _check_job_search_dimension(study, codebook)

    kept = pd.concat([w.kept for w in waves], ignore_index=True)
    all_ids = pd.concat([kept["id_key"]] + ([registry["id_key"]] if registry is not None else []),
                        ignore_index=True)
    pseudo = dict(zip(all_ids, pseudonymize(all_ids, key)))
    kept["candidate"] = kept["id_key"].map(pseudo)
    questionnaires = pd.DataFrame({
        "candidate": kept["candidate"],
        "wave": _wave_categorical(kept["wave"], keys),
        "date": pd.to_datetime(kept["date"]),
        "n_answered": kept["n_answered"].astype("int64"),
        "source_file": kept["source_file"], "source_line": kept["source_line"].astype("int64"),
    })
    responses = _responses(waves, kept, codebook, keys)
    scores = dimension_scores(responses, codebook.items, study.min_items_answered)
    candidates = _candidates(study, waves, kept, registry, pseudo, keys)

    first_seen = kept.drop_duplicates("id_key")
    pseudonyms = pd.DataFrame({"candidate": first_seen["candidate"], "id": first_seen["id"]})
    if registry is not None:
        # (isin of text ids compares in Python in pandas 3: a hash look-up instead)
        extra = registry[pd.Index(pd.unique(kept["id_key"])).get_indexer(registry["id_key"]) < 0]
        pseudonyms = pd.concat([pseudonyms, pd.DataFrame({
            "candidate": extra["id_key"].map(pseudo), "id": extra["id"]})])
    invalid = pd.concat([w.invalid for w in waves]
                        + ([registry_invalid] if registry_invalid is not None
                           and len(registry_invalid) else []), ignore_index=True)
    invalid.insert(len(invalid.columns) - 1, "candidate", invalid["id_key"].map(pseudo))
    invalid = invalid.drop(columns="id_key")
    quality = pd.DataFrame([w.quality for w in waves])
    # A rejection count that only some waves can have (rejected_incomplete for
    # waves with complete_column...) is 0 for the others: none was rejected so.
    counts = [c for c in quality.columns if c.startswith("rejected_")]
    quality[counts] = quality[counts].fillna(0).astype("int64")
    items = codebook.items.copy()
    scales = codebook.scales.drop(columns="key").copy()
    for table in (questionnaires, responses, scores, candidates, pseudonyms, invalid):
        _text_columns(table)
    return Processed(
        responses=responses, scores=scores,
        questionnaires=questionnaires.sort_values(["wave", "candidate"]).reset_index(drop=True),
        candidates=candidates, items=items, scales=scales, quality=quality,
        rejected_rows=pd.concat([w.rejected for w in waves], ignore_index=True),
        invalid_cells=invalid,
        pseudonyms=pseudonyms.sort_values("candidate").reset_index(drop=True))


def _text_columns(table: pd.DataFrame) -> None:
    """Give text columns the text dtype, also when the table is empty."""
    for col in table.columns:
        dtype = table[col].dtype
        if ((dtype == object and pd.api.types.infer_dtype(table[col]) in ("string", "empty"))
                or (len(table) == 0 and col in TEXT_COLUMNS and dtype != "category")):
            table[col] = table[col].astype(str)


def _responses(waves: list[WaveData], kept: pd.DataFrame, codebook: Codebook,
               keys: list[str]) -> pd.DataFrame:
    """One row per kept questionnaire x codebook item, by wave, candidate and item.

    Built in that order: the questionnaires are ordered (at most one per
    candidate and wave), then each gives its items in codebook order, so the
    long table is never sorted, and its text and category columns are taken
    from codes, not built from repeated texts.
    """
    items = codebook.items
    k, n = len(items), len(kept)
    wave = pd.Categorical(kept["wave"], categories=keys, ordered=True)
    cand_codes, cands = pd.factorize(kept["candidate"], sort=True)
    order = np.lexsort((cand_codes, wave.codes))
    rows = (order[:, None] * k + np.arange(k)).ravel()
    cells = pd.concat([w.cells for w in waves], ignore_index=True)
    for w in waves:  # taken in order below: the waves' copies are no longer needed
        w.cells = None
    raw_value = cells["raw_value"].array.take(rows)
    reverse = np.tile(items["reverse"].to_numpy(dtype=bool), n)
    lo = np.tile(items["min"].to_numpy(), n)
    hi = np.tile(items["max"].to_numpy(), n)
    value = pd.Series(raw_value).where(~reverse, lo + hi - pd.Series(raw_value))
    del lo, hi, reverse
    dimensions = list(dict.fromkeys(items["dimension"]))
    dimension_codes = pd.Categorical(items["dimension"], categories=dimensions).codes
    labels = list(dict.fromkeys(codebook.scales["label"]))
    out = pd.DataFrame({
        "candidate": pd.Series(cands).take(np.repeat(cand_codes[order], k)).reset_index(drop=True),
        "wave": pd.Categorical.from_codes(np.repeat(wave.codes[order], k), dtype=wave.dtype),
        "item": pd.Categorical.from_codes(np.tile(np.arange(k, dtype=np.int32), n),
                                          categories=list(items["item"])),
        "dimension": pd.Categorical.from_codes(np.tile(dimension_codes, n),
                                               categories=dimensions),
        "raw_value": raw_value,
        "value": value.astype("Int64").array,
        "status": pd.Categorical(cells["status"], categories=STATUSES).take(rows),
        "label": pd.Categorical(cells["label"], categories=labels).take(rows),
    })
    return out


#: Outcome columns of the registry (all optional): the six-month employment
#: status as recorded, the day a job started, the day the outcome was checked.
OUTCOME_COLUMNS = ("employment_6m", "job_start_date", "outcome_date")
#: Texts of ``employment_6m`` (compared ignoring case, accents and spaces).
EMPLOYMENT_WORDS = {
    "yes": ("oui", "o", "yes", "y", "1", "true", "vrai", "en emploi", "employed"),
    "no": ("non", "n", "no", "0", "false", "faux", "sans emploi", "not employed"),
    "unknown": ("inconnu", "inconnue", "ne sait pas", "nsp", "unknown", "don't know",
                "dont know", "?"),
}
REASON_EMPLOYMENT = "not a six-month employment status (oui/non/inconnu, yes/no/unknown, 1/0)"
REASON_DATE = "unreadable date (use dd/mm/yyyy or yyyy-mm-dd)"


def _read_registry(study: Study) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The registry: one row per candidate, with entry/exit dates, exit status,
    outcomes and covariates; and its unreadable outcome cells.

    An unreadable ``entry_date`` or ``exit_date`` stops the run with its line
    (every due date depends on them). An unreadable outcome cell
    (``employment_6m``, ``job_start_date``, ``outcome_date``) is a cell
    problem, as an unreadable answer is: the value is made missing and the
    cell recorded (``invalid_cells.csv``, with no wave), counted in a log line
    (shown unless ``-q``, as the unreadable answers of a wave are counted in
    ``quality.csv`` without a warning) and in ``n_unreadable`` of
    ``results/outcomes.csv``, which the report shows. An outcome column the
    registry does not have is not added.
    """
    table = read_table(study.registry)
    file = study.registry
    cols = dict(zip(normalize_key(pd.Series(list(table.data.columns), dtype=object)),
                    table.data.columns))
    id_col = cols.get(fold_key(study.id_column)) or cols.get("id")
    if id_col is None:
        raise StudyError(f"no id column ('{study.id_column}' or 'id')", file, 1, study.id_column)
    data = table.data
    ids = normalize_ids(data[id_col])
    empty = (ids == "").to_numpy() & (data != "").any(axis=1).to_numpy()
    if empty.any():
        raise StudyError("empty id in the registry", file, int(table.lines[empty][0]), id_col)
    rows = (data != "").any(axis=1).to_numpy()
    dup = ids[rows].duplicated()
    if dup.any():
        raise StudyError("this id appears twice in the registry", file,
                         int(table.lines[rows][dup.to_numpy()][0]), id_col)
    out = pd.DataFrame({"id_key": ids[rows].to_numpy(),
                        "id": data[id_col][rows].str.strip().to_numpy()})
    for name in ("entry_date", "exit_date"):
        col = cols.get(name)
        if col is None:
            out[name] = pd.NaT
            continue
        text = data[col][rows]
        parsed = parse_dates(text, timezone=study.timezone)
        bad = parsed.isna().to_numpy() & (text.str.strip() != "").to_numpy()
        if bad.any():
            raise StudyError(f"unreadable date '{text[bad].iloc[0]}' (use dd/mm/yyyy or "
                             "yyyy-mm-dd)", file, int(table.lines[rows][bad][0]), col)
        out[name] = parsed.to_numpy()
    col = cols.get("exit_status")
    out["exit_status"] = (data[col][rows].str.strip().replace("", None).to_numpy()
                          if col else None)
    invalid = []
    shown_file = _shown(study, file)
    for name in OUTCOME_COLUMNS:
        col = cols.get(name)
        if col is None:
            continue
        text = data[col][rows].str.strip()
        if name == "employment_6m":
            spelled = [(w, value) for value, ws in EMPLOYMENT_WORDS.items() for w in ws]
            words = dict(zip(normalize_key(pd.Series([w for w, _ in spelled], dtype=object)),
                             (value for _, value in spelled)))
            values = normalize_key(text).map(words)
            reason = REASON_EMPLOYMENT
        else:
            values = parse_dates(text, timezone=study.timezone)
            reason = REASON_DATE
        bad = values.isna().to_numpy() & (text != "").to_numpy()
        out[name] = (values.astype(object).where(values.notna(), None).to_numpy()
                     if name == "employment_6m" else values.to_numpy())
        if bad.any():
            invalid.append(pd.DataFrame({
                "wave": None, "file": shown_file, "line": table.lines[rows][bad],
                "column": col, "item": None, "raw_value": text[bad].to_numpy(),
                "reason": reason, "id_key": out["id_key"].to_numpy()[bad]}))
    invalid = (pd.concat(invalid, ignore_index=True).sort_values(["line", "column"],
                                                                 kind="stable")
               .reset_index(drop=True) if invalid else None)
    if invalid is not None:
        log.info("%s: %d outcome cell(s) could not be read and are left missing "
                    "(invalid_cells.csv lists them)", shown_file, len(invalid))
    for cov in study.covariates:
        col = cols.get(fold_key(cov))
        if col is not None:
            out["cov:" + cov] = data[col][rows].str.strip().to_numpy()
    return out, invalid


def _shown(study: Study, file: Path) -> str:
    """A file as the study names it: relative to the study's folder when inside it."""
    try:
        return file.relative_to(study.folder).as_posix()
    except ValueError:
        return file.name


def _check_job_search_dimension(study: Study, codebook: Codebook) -> None:
    """``outcomes: {job_search_dimension: ...}`` must name a dimension of the codebook."""
    name = study.outcomes.job_search_dimension
    if name is None:
        return
    dimensions = list(dict.fromkeys(codebook.items["dimension"].astype(str)))
    if name not in dimensions:
        raise StudyError(f"outcomes job_search_dimension '{name}' is not a dimension of the "
                         f"codebook ({', '.join(dimensions)})", study.path)


def _presence_columns(flags: np.ndarray, keys: list[str]) -> pd.DataFrame:
    """``pattern``, ``n_waves`` and ``in_<key>`` from a candidates x waves boolean array."""
    pattern = pd.Series("", index=range(len(flags)), dtype=object)
    for j, key in enumerate(keys):  # a loop over waves, not rows
        sep = np.where(pattern == "", "", "+")
        pattern = pattern.where(~flags[:, j], pattern + sep + key)
    out = pd.DataFrame({"pattern": pattern, "n_waves": flags.sum(axis=1).astype("int64")})
    for j, key in enumerate(keys):
        out[f"in_{key}"] = flags[:, j]
    return out


def restrict_period(processed: Processed, since=None, until=None) -> Processed:
    """Keep the candidates whose first questionnaire falls in [since, until].

    ``until`` also cuts the data to what was known then: questionnaires dated
    after it are left out, and the candidates' patterns are recomputed.
    Candidates whose first questionnaire has no date are left out when a
    period is given. File-level accounting (``quality``) is not restricted.
    """
    if since is None and until is None:
        return processed
    since = pd.Timestamp(since) if since is not None else None
    until = pd.Timestamp(until) if until is not None else None
    q = processed.questionnaires
    if until is not None:
        q = q[~(q["date"] > until)]
    first = q.groupby("candidate", observed=True)["date"].min()
    inside = first.notna()
    if since is not None:
        inside &= first >= since
    if until is not None:
        inside &= first <= until
    chosen = set(first.index[inside])
    q = q[q["candidate"].isin(chosen)].reset_index(drop=True)
    keys = processed.waves
    pairs = set(zip(q["candidate"], q["wave"].astype(str)))

    def _cut(table: pd.DataFrame) -> pd.DataFrame:
        index = pd.MultiIndex.from_arrays([table["candidate"], table["wave"].astype(str)])
        return table[index.isin(pairs)].reset_index(drop=True)

    cand = processed.candidates[processed.candidates["candidate"].isin(chosen)].reset_index(drop=True)
    presence = (pd.crosstab(q["candidate"], q["wave"], dropna=False)
                .reindex(index=cand["candidate"], columns=keys, fill_value=0) > 0)
    fresh = _presence_columns(presence.to_numpy(), keys)
    for col in fresh.columns:
        cand[col] = fresh[col].to_numpy()
    return replace(processed, questionnaires=q, responses=_cut(processed.responses),
                   scores=_cut(processed.scores), candidates=cand)


def _candidates(study: Study, waves: list[WaveData], kept: pd.DataFrame,
                registry: pd.DataFrame | None, pseudo: dict, keys: list[str]) -> pd.DataFrame:
    """One row per candidate: pattern, presence per wave, covariates, registry."""
    # Candidates (sorted) x waves: who answered which wave. Set from integer
    # codes: a crosstab of text ids aggregated group by group in Python.
    index = pd.Index(pd.unique(kept["candidate"])).sort_values()
    if registry is not None:
        reg_cands = registry["id_key"].map(pseudo)
        index = index.union(pd.Index(reg_cands))
    flags = np.zeros((len(index), len(keys)), dtype=bool)
    flags[index.get_indexer(kept["candidate"]),
          pd.Categorical(kept["wave"], categories=keys).codes] = True
    out = pd.DataFrame({"candidate": index.rename("candidate")})
    out = pd.concat([out, _presence_columns(flags, keys)], axis=1)
    first = None  # the questionnaires by candidate and wave: only for a covariate of the waves
    at = (pd.Index(reg_cands.to_numpy()).get_indexer(out["candidate"]) if registry is not None
          else None)  # where each candidate is in the registry, looked up once
    for cov in study.covariates:
        if first is None and not (registry is not None and "cov:" + cov in registry):
            first = kept.assign(order=kept["wave"].map({k: i for i, k in enumerate(keys)}))
            first = first.sort_values(["candidate", "order"], kind="stable")
        values, where = None, None
        if registry is not None and "cov:" + cov in registry:
            values = pd.Series(registry["cov:" + cov].to_numpy(), index=reg_cands.to_numpy())
            where = at
        elif "cov:" + cov in first:
            have = first[first["cov:" + cov].notna() & (first["cov:" + cov] != "")]
            values = have.drop_duplicates("candidate").set_index("candidate")["cov:" + cov]
        if values is None:
            raise StudyError(f"covariate '{cov}' is a column of neither the registry nor "
                             "any wave export", study.path)
        out[cov] = _map(out["candidate"], values, where).replace("", None)
    if registry is not None:
        reg = registry.assign(candidate=reg_cands).set_index("candidate")
        for col in ("entry_date", "exit_date", "exit_status"):
            out[col] = _map(out["candidate"], reg[col], at)
        for col in OUTCOME_COLUMNS:
            if col in reg.columns:
                out[col] = _map(out["candidate"], reg[col], at)
        out["in_registry"] = at >= 0
        orphans = int((~out["in_registry"]).sum())
        if orphans:
            log.warning("%d candidate(s) answered a questionnaire but are not in the registry",
                        orphans)
    return out.sort_values("candidate").reset_index(drop=True)


def _map(keys: pd.Series, values: pd.Series, at: np.ndarray | None = None) -> pd.Series:
    """``keys.map(values)`` (``values`` with a unique index), the same take.

    ``Series.map`` with a Series looks each key up in its index and takes the
    values there (missing where absent); ``at``, the positions of the keys
    in ``values.index`` (``get_indexer``), can be given to look up once for
    several columns with the same index.
    """
    if at is None:
        at = values.index.get_indexer(keys)
    taken = pd.api.extensions.take(values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype)
                                   else values.to_numpy(), at, allow_fill=True)
    return pd.Series(taken, index=keys.index)


# --- Folders replaced whole, and one run at a time ----------------------------
#
# A processed folder (and a report folder, see impactlib.report.build) is
# built in a new folder beside it, with a unique name, and swapped in only
# when complete: the previous folder survives any failure, Ctrl-C included.
# Windows cannot rename a folder over an existing one, so the swap is: the old
# folder renamed aside (unique name), the new one renamed in, the old one
# deleted; the old one is put back if the second rename fails.
#
# A run that writes a processed folder holds ``.<name>.lock`` beside it (in
# its parent folder) from start to end; ``impactlib report`` holds it for the
# whole run, since the notebooks read the processed tables. The lock file is
# created with O_CREAT | O_EXCL (atomic on every local file system) and holds
# the pid, host and start time of its owner. A second run finding it stops
# with one line, unless its owner is gone (same host, no such process): then
# the lock is stale (a run killed outright) and is taken over. Liveness: on
# POSIX ``os.kill(pid, 0)``; on Windows OpenProcess/GetExitCodeProcess (best
# effort: a reused pid counts as alive, and the message says to delete the
# lock when no run is going on).

_HELD_LOCKS: dict[tuple[int, str], int] = {}


def _unique_name(folder: Path, tag: str) -> Path:
    """A name beside ``folder`` that no other run chooses: ``.<name>.<tag>-<pid>-<random>``."""
    folder = Path(os.path.abspath(folder))
    return folder.with_name(f".{folder.name}.{tag}-{os.getpid()}-{secrets.token_hex(4)}")


def new_folder_beside(folder: str | Path, mode: int = 0o777) -> Path:
    """Create and return an empty folder with a unique hidden name beside ``folder``
    (``mode`` as for :func:`os.mkdir`, less the umask)."""
    folder = Path(folder)
    while True:
        tmp = _unique_name(folder, "tmp")
        try:
            os.mkdir(tmp, mode)
            return tmp
        except FileExistsError:
            continue


def sweep_leftovers(folder: str | Path) -> None:
    """Tidy what a run killed outright (no chance to clean up) left beside
    ``folder``: its work folders are deleted, and its aside folder is put back
    if ``folder`` is missing (killed between the two renames of a swap).
    Only names of a process no longer running on this machine are touched."""
    folder = Path(os.path.abspath(folder))
    pattern = re.compile(rf"\.{re.escape(folder.name)}\.(tmp|old)-(\d+)-[0-9a-f]+")
    try:
        entries = sorted(folder.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match or int(match[2]) == os.getpid() or pid_alive(int(match[2])):
            continue
        if match[1] == "old" and not os.path.lexists(folder):
            log.warning("%s put back: the run replacing it was stopped", folder)
            entry.rename(folder)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def replace_folder(new: str | Path, folder: str | Path) -> None:
    """Put the folder ``new`` in the place of ``folder`` (which may not exist).

    Rename-aside, rename-in, delete-old (works on Windows, where a rename over
    an existing folder fails); if renaming ``new`` in fails, the old folder is
    put back. Ctrl-C and SIGTERM are held back during the swap (POSIX).

    Windows refuses to rename a folder while a program holds one of its files
    open (a results CSV open in Excel): that raises
    :class:`~impactlib.errors.FileInUseError` naming the file (see
    :func:`files_in_use`), and nothing is changed."""
    new, folder = Path(new), Path(folder)
    blocked = _block_signals()
    try:
        if not os.path.lexists(folder):
            new.rename(folder)
            return
        if not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
        old = _unique_name(folder, "old")
        try:
            folder.rename(old)
        except PermissionError as err:      # Windows: a file inside is open in Excel...
            raise _in_use(folder, err) from None
        try:
            new.rename(folder)
        except BaseException:
            old.rename(folder)
            raise
    finally:
        _unblock_signals(blocked)
    shutil.rmtree(old, ignore_errors=True)


def _in_use(folder: Path, err: PermissionError) -> PermissionError:
    """What a folder that cannot be renamed aside raises: on Windows (or for
    an error that says "in use"), a :class:`FileInUseError` naming the first
    file another program holds open, or the folder when none is found;
    elsewhere ``err`` itself (a folder one may not write to)."""
    if os.name != "nt" and getattr(err, "winerror", None) not in (5, 32, 33):
        return err
    found = files_in_use(folder, limit=1)
    return FileInUseError(found[0], folder=False) if found else FileInUseError(folder, folder=True)


def files_in_use(folder: str | Path, limit: int | None = None) -> list[Path]:
    """The files under ``folder`` that another program holds open (Windows).

    Each file is opened for reading and writing, and closed at once (nothing
    is written, the file's time is kept): Windows refuses that with a
    sharing violation (``winerror`` 32 or 33) when Excel, say, has the file
    open. Elsewhere nothing is ever found (a Linux or macOS program does not
    lock a file so).
    """
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if _held_open(path):
                found.append(path)
                if limit is not None and len(found) >= limit:
                    return found
    return found


def _held_open(path: Path) -> bool:
    try:
        with open(path, "r+b"):
            return False
    except PermissionError as err:
        return getattr(err, "winerror", None) in (32, 33)
    except OSError:
        return False


def _block_signals():
    import signal
    import threading

    if (not hasattr(signal, "pthread_sigmask")
            or threading.current_thread() is not threading.main_thread()):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _unblock_signals(previous) -> None:
    import signal

    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (best effort on Windows)."""
    if pid <= 0:
        return False
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.OpenProcess.restype = ctypes.c_void_p
        kernel32.GetExitCodeProcess.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_ulong)]
        kernel32.CloseHandle.argtypes = [ctypes.c_void_p]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5              # access denied: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259                         # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:                                  # another user's process
        return True
    return True


def lock_path(folder: str | Path) -> Path:
    """The lock file of a processed folder: ``.<name>.lock`` in its parent."""
    folder = Path(os.path.abspath(folder))
    return folder.with_name(f".{folder.name}.lock")


@contextmanager
def processed_lock(folder: str | Path):
    """Hold the lock of the processed ``folder`` (see the notes above); a
    :class:`StudyError` if another run holds it. Re-entrant within a thread."""
    lock = lock_path(folder)
    key = (threading.get_ident(), os.path.normcase(lock))   # re-entrant in one thread
    if key in _HELD_LOCKS:
        _HELD_LOCKS[key] += 1
        try:
            yield lock
        finally:
            _HELD_LOCKS[key] -= 1
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    token = _acquire(lock)
    _HELD_LOCKS[key] = 1
    try:
        yield lock
    finally:
        del _HELD_LOCKS[key]
        _release(lock, token)


def _acquire(lock: Path) -> str:
    token = secrets.token_hex(8)
    info = {"pid": os.getpid(), "host": platform.node(),
            "started": dt.datetime.now().isoformat(timespec="seconds"), "token": token}
    for _ in range(5):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _read_lock(lock)
            if owner == {}:                      # released meanwhile: try again
                continue
            if owner is None:                    # being written this instant, or unreadable
                try:
                    age = time.time() - lock.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age < 10:
                    time.sleep(0.2)
                    continue
            elif owner.get("host") != platform.node() or pid_alive(int(owner.get("pid", 0))):
                raise StudyError(
                    f"another run is using this processed folder (process {owner.get('pid')} "
                    f"on {owner.get('host')}, started {owner.get('started')}): wait for it to "
                    "end and run again; if no run is going on, delete this lock file",
                    lock) from None
            # Stale. Deleted only if it still is the one read (another run
            # taking it over at the same instant may have replaced it).
            if _read_lock(lock) == owner:
                log.warning("taking over the lock of a run that ended without releasing it: %s",
                            lock)
                try:
                    lock.unlink()
                except FileNotFoundError:
                    pass
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(info, fh)
        return token
    raise StudyError("could not take the lock of this processed folder: if no run is going "
                     "on, delete this lock file and run again", lock)


def _read_lock(lock: Path) -> dict | None:
    try:
        owner = json.loads(lock.read_text(encoding="utf-8"))
        int(owner["pid"])
        return owner
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _release(lock: Path, token: str) -> None:
    """Delete the lock if it is still ours."""
    try:
        if json.loads(lock.read_text(encoding="utf-8")).get("token") == token:
            lock.unlink()
    except (OSError, ValueError):
        pass
