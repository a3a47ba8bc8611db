"""``impactlib init``: a study drafted from a folder of exports.

:func:`draft_study` inspects every export of a folder (CSV/TXT/TSV, every
visible sheet of a workbook, SPSS), decides what each column is, and writes
``study.yml`` and ``codebook.xlsx`` into the folder, valid as they are, so
that ``impactlib clean`` and ``impactlib report`` run on them at once. Each
decision is either certain by a rule written below or **flagged**: a
``# VÉRIFIER`` comment in ``study.yml``, a ``check`` column in the codebook,
and a line of the summary (:meth:`DraftSummary.text`).

The rules, in order
-------------------
1. **Exports.** Every readable table of the folder (sub-folders included,
   except ``processed/``, ``reports/`` and ``codebook/``); a table without answer columns is
   listed and left out. None readable: one :class:`StudyError`.
2. **Shape.** A column whose values all name moments (entrée, T2, sortie...)
   makes one file hold several waves (``wave_column``); columns named
   ``T1_...``, ``T2_...`` with the same endings make a file with one row per
   candidate (``columns: "T1_{item}"``); otherwise each table is one wave.
3. **Order of the waves.** From the file, sheet or value names (entrée /
   entry / début / T1 / 1; mi-parcours / mid / T2 / 2; sortie / exit / fin /
   T3 / 3), when they give each wave its own rank; else by the median answer
   date (flagged).
4. **Survey tools' own columns** (``_uuid``, ``submitdate``, ``Heure de
   début``, ``ID``...) are ignored unless used below; **personal data**
   (e-mail addresses, names) are never used, and listed in a warning.
5. **Id column.** Values mostly unique in each wave and shared across waves,
   a name such as dossier / id / numéro / code preferred; a close second
   candidate is flagged.
6. **Date column.** Most cells readable as dates
   (:func:`impactlib.intake.dates.parse_dates`); a completion time stamp
   preferred (``submitdate``, ``Heure de fin``, ``end``, ``Horodateur``...).
7. **Items.** The other columns with few distinct answers, matched across
   waves by their folded question text (or code), coded ``Q01``... in order
   of first appearance; each wave's ``rename`` maps its export names to them.
8. **Scales.** Items sharing one set of answers share a scale, ordered by the
   catalogue of common scales (:mod:`impactlib.intake.scale_catalogue`);
   numbers: a numeric scale over the observed range (flagged); an unknown or
   conflicting set: first-seen order (flagged).
9. **Dimensions.** From a section prefix of the headers (a Google Forms grid
   ``Section [question]``, a Kobo group ``groupe/question``, a LimeSurvey
   group ``G01Q01``); otherwise one dimension, flagged, and the summary
   suggests a grouping from an exploratory factor analysis of the first wave
   (eigenvalues of the correlation matrix above 1, varimax rotation; Kaiser,
   H. F. (1958). The varimax criterion for analytic rotation in factor
   analysis. *Psychometrika*, 23(3), 187-200).
10. **Reverse items** are suggested, never applied: an item correlating
    negatively with the rest of its dimension at the first wave is flagged
    with that correlation.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impactlib.errors import StudyError
from impactlib.intake.dates import parse_dates
from impactlib.intake.readers import (CSV_SUFFIXES, EXCEL_SUFFIXES, SPSS_SUFFIXES, RawTable,
                                      normalize_key, read_table)
from impactlib.intake.scale_catalogue import is_missing_label, match_scale

__all__ = ["draft_study", "DraftSummary", "varimax", "factor_groups", "wave_rank",
           "METADATA_COLUMNS"]

# Columns that survey tools add on their own (folded names): never items.
METADATA_COLUMNS = frozenset(normalize_key(pd.Series([
    "_uuid", "_submission_time", "_id", "_index", "_validation_status", "_notes", "_status",
    "_submitted_by", "__version__", "_tags", "_parent_index", "_submission__id",
    "_submission__uuid", "start", "end", "today", "deviceid", "username", "phonenumber",
    "simserial", "subscriberid", "audit", "instanceID", "meta/instanceID",
    "ID", "Start time", "Completion time", "Last modified time", "Heure de début",
    "Heure de fin", "Heure de la dernière modification", "Email", "E-mail",
    "Adresse de messagerie", "Adresse e-mail", "Adresse email", "Email Address", "Name",
    "Nom", "Timestamp", "Horodateur", "Tijdstempel", "id", "submitdate", "lastpage",
    "startlanguage", "seed", "startdate", "datestamp", "token", "refurl", "ipaddr",
    "interviewtime", "Total time", "Temps total"])))
_PERSONAL_NAME = re.compile(r"(^|\b)(e ?mail|courriel|messagerie|adresse e|nom|name|naam|"
                            r"prenom|first name|last name|voornaam|achternaam|telephone|"
                            r"phone|gsm|adresse|address)(\b|$)")
_ID_NAME = re.compile(r"(dossier|\bid\b|identifiant|numero|\bnum\b|\bno\b|\bn°|code|"
                      r"matricule|nummer|number|candidat|participant|beneficiaire)")
_DATE_PREFERENCE = ["submitdate", "heure de fin", "completion time", "end",
                    "_submission_time", "horodateur", "timestamp", "tijdstempel",
                    "date de passation", "date", "datum", "datestamp", "heure de debut",
                    "start time", "start", "startdate"]
# Words naming moments, by rank (folded, matched as whole words).
_WAVE_WORDS = {
    1: r"entree|entry|debut|start|intake|instroom|begin|initial|pre|avant|t1|t0|w1|temps 1|vague 1",
    2: r"mi parcours|mid|midterm|intermediaire|tussentijds|midden|suivi|t2|w2|temps 2|vague 2",
    3: r"sortie|exit|fin|final|end|einde|uitstroom|post|apres|cloture|t3|w3|temps 3|vague 3",
}
_WIDE = re.compile(r"^((?:T|W|M|V|Wave|Vague|Temps|Moment)\s?\d{1,2})[_\-. :]+(.+)$", re.I)
MAX_ANSWERS = 12          # an item column has at most this many distinct answers
LABELS = {"fr": ["Entrée", "Mi-parcours", "Sortie"], "en": ["Entry", "Mid-course", "Exit"]}


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
@dataclass
class DraftSummary:
    """What :func:`draft_study` decided, and what a person should check.

    Attributes
    ----------
    folder, study_file, codebook_file : Path
    decisions : list of str
        What was decided by rule.
    checks : list of str
        Every flagged decision (also marked in the drafts).
    warnings : list of str
        Personal data found, files left out.
    suggestion : list of str
        The grouping suggested by the factor analysis, when dimensions are not
        known (a suggestion only: not written in the codebook).
    """

    folder: Path
    study_file: Path
    codebook_file: Path
    decisions: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    suggestion: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The summary printed by ``impactlib init`` (French)."""
        out = [f"Brouillon écrit : {self.study_file} et {self.codebook_file}", "",
               "Décidé :"]
        out += [f"  - {d}" for d in self.decisions]
        if self.warnings:
            out += ["", "Attention :"] + [f"  - {w}" for w in self.warnings]
        if self.suggestion:
            out += ["", "Suggestion (analyse factorielle exploratoire de la première vague, "
                    "non appliquée) :"] + [f"  - {s}" for s in self.suggestion]
        out += ["", f"À vérifier ({len(self.checks)}, marqué VÉRIFIER dans study.yml et dans "
                "la colonne check du codebook) :"]
        out += [f"  {i}. {c}" for i, c in enumerate(self.checks, 1)] or ["  (rien)"]
        out += ["", "Ensuite : impactlib clean " + str(self.study_file)]
        return "\n".join(out)


@dataclass
class _Source:
    """One table read from the folder."""

    file: Path
    sheet: str | None          # None for a text/SPSS file or a workbook's only sheet
    table: RawTable
    name: str                  # as shown: file, or file [sheet]


@dataclass
class _Wave:
    """One wave as drafted: its table (after its shape) and what was found in it."""

    source: _Source
    table: RawTable            # the wave's rows and columns
    rank: int | None = None    # from names
    value: tuple | None = None  # wave_column values of this wave
    wave_col: str | None = None
    checks: list = field(default_factory=list)
    pattern: str | None = None  # columns pattern
    key: str = ""
    label: str = ""
    id_col: str | None = None
    date_col: str | None = None
    items: dict = field(default_factory=dict)   # column -> item key
    median_date: pd.Timestamp | None = None


@dataclass
class _Item:
    key: str                   # folded question text or code (matching key)
    text: str
    section: str | None
    columns: dict = field(default_factory=dict)   # wave index -> column
    code: str = ""
    scale: str = ""
    dimension: str = ""
    reverse_r: float | None = None
    factor: int | None = None  # group suggested by the factor analysis
    checks: list = field(default_factory=list)


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------
def draft_study(folder: str | Path, force: bool = False) -> DraftSummary:
    """Draft ``study.yml`` and ``codebook.xlsx`` from the exports in ``folder``.

    Parameters
    ----------
    folder : path
        A folder holding the exports (and nothing else of the study yet).
    force : bool
        Replace an existing ``study.yml`` or ``codebook.xlsx``.

    Returns
    -------
    DraftSummary
        What was decided and what to check; :meth:`DraftSummary.text` is the
        summary ``impactlib init`` prints.

    Raises
    ------
    StudyError
        Not a folder; a draft already there (without ``force``); no usable
        export (the message lists what was found and why none is usable).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise StudyError("not a folder", folder)
    study_file, codebook_file = folder / "study.yml", folder / "codebook.xlsx"
    if not force:
        for existing in (study_file, codebook_file):
            if existing.exists():
                raise StudyError("already exists; use --force to replace it", existing)
    summary = DraftSummary(folder, study_file, codebook_file)
    _FACTS.clear()
    _COLUMNS.clear()
    # The readers name each sheet they read: useful when cleaning, noise here.
    quiet = logging.getLogger("impactlib.intake.readers")
    level = quiet.level
    quiet.setLevel(max(level, logging.WARNING))
    try:
        return _draft(folder, study_file, codebook_file, summary)
    finally:
        quiet.setLevel(level)
        _FACTS.clear()
        _COLUMNS.clear()


def _draft(folder: Path, study_file: Path, codebook_file: Path,
           summary: DraftSummary) -> DraftSummary:
    sources = _read_sources(folder, summary)
    waves, shape = _shape_waves(sources, summary)
    language = _language(waves, summary)
    _order_waves(waves, shape, language, summary)
    personal = _personal_columns(waves)
    _choose_ids(waves, personal, summary)
    _choose_dates(waves, personal, summary)
    items = _match_items(waves, personal, summary)
    scales = _draft_scales(items, waves, summary)
    _draft_dimensions(items, waves, scales, summary)
    _suggest_reverse(items, waves, scales, summary)
    _personal_warning(waves, personal, summary)
    text = _study_yaml(folder, waves, items, language, summary)
    codebook = _codebook_tables(items, scales)
    _write_codebook(codebook_file, *codebook)
    study_file.write_text(text, encoding="utf-8")
    _self_check(study_file, codebook_file)
    return summary


# ---------------------------------------------------------------------------
# 1. Exports
# ---------------------------------------------------------------------------
def _read_sources(folder: Path, summary: DraftSummary) -> list[_Source]:
    suffixes = CSV_SUFFIXES | EXCEL_SUFFIXES | SPSS_SUFFIXES
    found, problems, sources = [], [], []
    skip_dirs = {"processed", "reports", "codebook"}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if (not path.is_file() or any(p.startswith(".") or p.startswith("~$") for p in rel.parts)
                or (len(rel.parts) > 1 and rel.parts[0] in skip_dirs)):
            continue
        if rel.as_posix() in ("study.yml", "codebook.xlsx", "registry.csv"):
            continue
        found.append(rel.as_posix())
        if path.suffix.lower() not in suffixes:
            problems.append(f"{rel.as_posix()} (not an export: .csv, .txt, .tsv, .xlsx, .xlsm, .sav)")
            continue
        sheets: list[str | None] = [None]
        if path.suffix.lower() in EXCEL_SUFFIXES:
            try:
                with pd.ExcelFile(path, engine="openpyxl") as book:
                    states = {ws.title: ws.sheet_state for ws in book.book.worksheets}
                    sheets = [s for s in book.sheet_names if states.get(s, "visible") == "visible"]
            except Exception as err:
                problems.append(f"{rel.as_posix()} (cannot open the workbook: {type(err).__name__})")
                continue
        for sheet in sheets:
            name = rel.as_posix() + (f" [{sheet}]" if sheet is not None and len(sheets) > 1 else "")
            try:
                table = read_table(path, sheet)
            except StudyError as err:
                problems.append(f"{name} ({err.message})")
                continue
            if len(table.data) == 0:
                problems.append(f"{name} (no rows)")
                continue
            sources.append(_Source(path, sheet if len(sheets) > 1 else None, table, name))
    usable = [s for s in sources if _answer_columns(s.table.data)]
    for s in sources:
        if s not in usable:
            problems.append(f"{s.name} (no column of answers: few distinct values repeated)")
    if not usable:
        what = ", ".join(found) if found else "nothing"
        why = "; ".join(problems) if problems else "no file"
        raise StudyError(f"no usable export: found {what}; {why}", folder)
    for p in problems:
        summary.warnings.append(f"laissé de côté : {p}")
    return usable


@functools.lru_cache(maxsize=4096)
def _folded(name: str) -> str:
    return normalize_key(pd.Series([name])).iloc[0]


# Per-column facts, computed once per draft: id(series) -> (series, facts).
_FACTS: dict[int, tuple[pd.Series, dict]] = {}


def _col(data: pd.DataFrame, column) -> pd.Series:
    """``data[column]``, the same object each time during a draft (for :func:`_facts`)."""
    key = (id(data), column)
    hit = _COLUMNS.get(key)
    if hit is None or hit[0] is not data:
        hit = _COLUMNS[key] = (data, data[column])
    return hit[1]


_COLUMNS: dict[tuple, tuple[pd.DataFrame, pd.Series]] = {}


def _facts(s: pd.Series) -> dict:
    hit = _FACTS.get(id(s))
    if hit is not None and hit[0] is s:
        return hit[1]
    facts: dict = {}
    _FACTS[id(s)] = (s, facts)
    return facts


def _nonempty(s: pd.Series) -> pd.Series:
    facts = _facts(s)
    if "nonempty" not in facts:
        facts["nonempty"] = s.astype(str).str.strip().loc[lambda x: x != ""]
    return facts["nonempty"]


def _folded_values(s: pd.Series) -> pd.Series:
    """The non-empty cells of a column, folded (:func:`normalize_key`)."""
    facts = _facts(s)
    if "folded" not in facts:
        facts["folded"] = normalize_key(_nonempty(s))
    return facts["folded"]


def _answer_columns(data: pd.DataFrame) -> list[str]:
    """Columns that look like answers: few distinct values, repeated, not metadata."""
    out = []
    for c in data.columns:  # a loop over columns
        if _folded(c) in METADATA_COLUMNS or _folded(c).startswith("_"):
            continue
        values = _nonempty(_col(data, c))
        if len(values) < 2:
            continue
        distinct = _folded_values(_col(data, c)).nunique()
        if distinct <= MAX_ANSWERS and distinct < len(values) and not _is_dates(values, c):
            out.append(c)
    return out


def _is_dates(values: pd.Series, name: str = "") -> bool:
    """Mostly dates; plain numbers only under a date-like name (else they are
    answers or ids, not Excel serial dates)."""
    facts = _facts(values)
    key = ("dates", str(name))
    if key not in facts:
        facts[key] = _is_dates_now(values, str(name))
    return facts[key]


def _is_dates_now(values: pd.Series, name: str) -> bool:
    if not len(values) or values.str.contains(r"\d", regex=True).mean() < 0.9:
        return False
    number = pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")
    datey = bool(re.search(r"date|datum|heure|time|horodateur|tijd|submission|^end$|^start$",
                           _folded(name)))
    readable = parse_dates(values).notna() & (number.isna() | datey)
    return bool(readable.mean() >= 0.9)


# ---------------------------------------------------------------------------
# 2. Shapes
# ---------------------------------------------------------------------------
def wave_rank(name: str, numbers: bool = True) -> int | None:
    """The rank (1 entry, 2 middle, 3 exit) that a file, sheet or value name gives.

    Words are matched whole, after folding (case, accents, separators):
    ``"Questionnaire d'impact - Entrée"`` is 1, ``"T2(1-20)"`` is 2,
    ``"Sortie"`` is 3; a name with words of two ranks, or none, gives None. A
    bare number 1 to 9 counts only when no word does.

    Examples
    --------
    >>> wave_rank("Questionnaire_mi-parcours_-_latest_version"), wave_rank("T3(1-14)")
    (2, 3)
    >>> wave_rank("results-survey482913") is None
    True
    """
    text = " " + re.sub(r"[^a-z0-9]+", " ", _folded(name)) + " "
    ranks = {r for r, words in _WAVE_WORDS.items()
             if re.search(rf" (?:{words}) ", text)}
    # "fin" inside "mi parcours ... fin" or "t1" and "1": words win.
    if len(ranks) == 1:
        return ranks.pop()
    if ranks or not numbers:
        return None
    bare = set(re.findall(r" ([1-9]) ", text))
    return int(bare.pop()) if len(bare) == 1 else None


def _wave_column(data: pd.DataFrame) -> tuple[str, dict[int, list[str]], int] | None:
    """A column whose values name moments: ``(column, {rank: values}, rows unranked)``.

    At least two ranks, named by words (entrée, T2, sortie...; a bare number
    does not count), for at least 90 % of the rows; every spelling of a
    moment is listed (``Entrée``, ``T1``). Rows whose value names no moment
    will be set aside, and are counted.
    """
    for c in data.columns:
        values = _col(data, c).astype(str).str.strip()
        distinct = list(dict.fromkeys(values[values != ""]))
        if not 2 <= len(distinct) <= 12:
            continue
        ranks = {v: wave_rank(v, numbers=False) for v in distinct}
        named = values.map(ranks).notna()
        by_rank: dict[int, list[str]] = {}
        for v, r in ranks.items():
            if r is not None:
                by_rank.setdefault(r, []).append(v)
        if len(by_rank) >= 2 and named.mean() >= 0.9:
            return c, dict(sorted(by_rank.items())), int((~named).sum())
    return None


def _wide_prefixes(data: pd.DataFrame) -> dict[str, list[str]]:
    """``{"T1": [columns]...}`` when columns ``T1_x``, ``T2_x`` share their endings."""
    groups: dict[str, dict[str, str]] = {}
    for c in data.columns:
        m = _WIDE.match(str(c))
        if m:
            groups.setdefault(m.group(1), {})[_folded(m.group(2))] = c
    if len(groups) < 2:
        return {}
    endings = [set(g) for g in groups.values()]
    shared = set.intersection(*endings)
    if len(shared) < 2:
        return {}
    return {p: list(g.values()) for p, g in groups.items()}


def _shape_waves(sources: list[_Source], summary: DraftSummary) -> tuple[list[_Wave], str]:
    from impactlib.intake.shapes import wave_table
    from impactlib.intake.study import Wave

    waves: list[_Wave] = []
    shapes = set()
    for s in sources:
        data = s.table.data
        wide = _wide_prefixes(data)
        moment = None if wide else _wave_column(data)
        if wide:
            prefixes = list(wide)
            sep = {p: _WIDE.match(str(wide[p][0])).group(0)[len(p):-len(
                _WIDE.match(str(wide[p][0])).group(2))] for p in prefixes}
            patterns = {p: f"{p}{sep[p]}{{item}}" for p in prefixes}
            for p in prefixes:
                w = Wave(key=p, label=p, file=s.file, sheet=s.sheet, columns=patterns[p],
                         other_columns=tuple(v for q, v in patterns.items() if q != p))
                table = wave_table(s.table, w)
                if not len(table):
                    summary.warnings.append(f"laissé de côté : {s.name}, colonnes "
                                            f"'{patterns[p]}' (toutes vides)")
                    continue
                waves.append(_Wave(s, table, rank=wave_rank(p), pattern=patterns[p]))
            shapes.add("wide")
            summary.decisions.append(
                f"{s.name} : une ligne par candidat, colonnes par moment "
                + ", ".join(f"'{v}'" for v in patterns.values()))
        elif moment:
            col, by_rank, unranked = moment
            mapping = {v: f"R{r}" for r, vs in by_rank.items() for v in vs}
            for r, vs in by_rank.items():
                w = Wave(key=f"R{r}", label=vs[0], file=s.file, sheet=s.sheet, wave_column=col,
                         wave_values=tuple(vs), value_waves=mapping)
                waves.append(_Wave(s, wave_table(s.table, w), rank=r, value=tuple(vs),
                                   wave_col=col))
            shapes.add("moment")
            summary.decisions.append(
                f"{s.name} : un seul fichier pour plusieurs moments, colonne '{col}' ("
                + ", ".join(f"'{v}'" for vs in by_rank.values() for v in vs) + ")")
            if unranked:
                summary.checks.append(
                    f"{s.name} : {unranked} ligne(s) dont la colonne '{col}' ne nomme aucun "
                    "moment (vide ou inconnu) : mises de côté, avec leur raison, dans la "
                    "première vague ; ajoutez leur valeur à wave_values si c'est un moment")
        else:
            waves.append(_Wave(s, s.table, rank=wave_rank(s.name if s.sheet is None
                                                       else f"{s.sheet}")))
            if s.sheet is None:
                stem_rank = wave_rank(s.file.stem)
                waves[-1].rank = stem_rank
    return waves, ",".join(sorted(shapes)) or "files"


# ---------------------------------------------------------------------------
# 3. Order
# ---------------------------------------------------------------------------
def _order_waves(waves: list[_Wave], shape: str, language: str, summary: DraftSummary) -> None:
    for w in waves:
        dates = _best_dates(w.table.data)
        w.median_date = dates.median() if dates is not None and dates.notna().any() else None
    ranks = [w.rank for w in waves]
    by_name = all(r is not None for r in ranks) and len(set(ranks)) == len(ranks)
    if by_name:
        waves.sort(key=lambda w: w.rank)
        how = "d'après leurs noms"
    else:
        waves.sort(key=lambda w: (w.median_date is None, w.median_date or pd.Timestamp.max))
        how = "d'après la date médiane des réponses"
    words = LABELS.get(language, LABELS["fr"])
    for i, w in enumerate(waves, 1):
        w.key = f"T{i}"
        if by_name and all(x.rank <= 3 for x in waves):
            w.label = words[w.rank - 1]      # the moment its name says
        elif len(waves) == 3:
            w.label = words[i - 1]
        elif len(waves) == 2:
            w.label = words[0 if i == 1 else 2]
        else:
            w.label = f"Temps {i}" if language == "fr" else f"Time {i}"
    listing = ", ".join(f"{w.key} = {_wave_name(w)}" for w in waves)
    summary.decisions.append(f"{len(waves)} vague(s) dans cet ordre, {how} : {listing}")
    if not by_name:
        medians = ", ".join(f"{w.key} {w.median_date:%d/%m/%Y}" if w.median_date is not None
                            else f"{w.key} sans date" for w in waves)
        w_check = (f"ordre des vagues déduit des dates médianes ({medians}) : les noms ne "
                   "disent pas quel fichier est l'entrée, le mi-parcours ou la sortie")
        summary.checks.append(w_check)
        for w in waves:
            w.checks.append("ordre déduit de la date médiane")


def _wave_name(w: _Wave) -> str:
    if w.value is not None:
        return f"{w.source.name} (" + ", ".join(f"'{v}'" for v in w.value) + ")"
    if w.pattern is not None:
        return f"{w.source.name} ({w.pattern})"
    return w.source.name


def _best_dates(data: pd.DataFrame) -> pd.Series | None:
    col = _date_candidates(data)
    return parse_dates(data[col[0]]) if col else None


def _date_candidates(data: pd.DataFrame, exclude=()) -> list[str]:
    """Columns whose non-empty cells are mostly dates, best first."""
    out = []
    for c in data.columns:
        if c in exclude:
            continue
        values = _nonempty(_col(data, c))
        if len(values) < 0.5 * len(data) or not _is_dates(values, c):
            continue
        out.append(c)

    def preference(c):
        f = _folded(c)
        for i, p in enumerate(_DATE_PREFERENCE):
            if f == p or f.endswith("/" + p):
                return i
        return len(_DATE_PREFERENCE) + (0 if "date" in f or "datum" in f else 1)

    return sorted(out, key=preference)


def _language(waves: list[_Wave], summary: DraftSummary | None = None) -> str:
    from impactlib.intake.scale_catalogue import language_words

    votes = {"fr": 0, "en": 0, "nl": 0}
    words = language_words()
    for w in waves:
        for c in _answer_columns(w.table.data):
            keys = set(_folded_values(_col(w.table.data, c)))
            for lang in votes:
                votes[lang] += len(keys & words[lang])
    best = max(votes, key=lambda k: votes[k])
    if best == "nl" and votes["nl"] > votes["fr"] and summary is not None:
        summary.checks.append("libellés en néerlandais : le rapport sera en français "
                              "(language: fr ; en pour l'anglais ; pas de néerlandais)")
    return "en" if best == "en" and votes["en"] > votes["fr"] else "fr"


# ---------------------------------------------------------------------------
# 4-6. Personal data, id, date
# ---------------------------------------------------------------------------
def _personal_columns(waves: list[_Wave]) -> set[tuple[int, str]]:
    out = set()
    for i, w in enumerate(waves):
        data = w.table.data
        for c in data.columns:
            f = re.sub(r"[^a-z0-9 ]+", " ", _folded(c)).strip()
            values = _nonempty(_col(data, c))
            emails = len(values) and values.str.contains(r"^[^@\s]+@[^@\s]+\.\w+$").mean() > 0.5
            if emails or (_PERSONAL_NAME.search(f) and not _ID_NAME.search(f)):
                out.add((i, c))
    return out


def _id_candidates(w: _Wave, i: int, personal: set) -> list[str]:
    data = w.table.data
    out = []
    for c in data.columns:
        if (i, c) in personal or c == w.wave_col:
            continue
        values = _nonempty(_col(data, c))
        if len(values) < 0.8 * len(data) or not len(values):
            continue
        folded = _folded_values(_col(data, c))
        if folded.nunique() < 0.9 * len(values) or _is_dates(values, c):
            continue
        if values.str.len().max() > 40:      # free text, not an id
            continue
        out.append(c)
    return out


def _id_set(w: _Wave, c: str) -> set:
    from impactlib.intake.ingest import normalize_ids

    facts = _facts(_col(w.table.data, c))
    if "ids" not in facts:
        ids = normalize_ids(_col(w.table.data, c))
        facts["ids"] = set(ids[ids != ""])
    return facts["ids"]


def _choose_ids(waves: list[_Wave], personal: set, summary: DraftSummary) -> None:
    cands = [_id_candidates(w, i, personal) for i, w in enumerate(waves)]
    for i, w in enumerate(waves):
        if not cands[i]:
            raise StudyError(f"{_wave_name(w)}: no column can be the candidate id (values "
                             "mostly unique in the file, not an e-mail or a name)", w.source.file)

    def score(i: int, c: str) -> float:
        f = re.sub(r"[^a-z0-9° ]+", " ", _folded(c))
        name = 1.0 if _ID_NAME.search(f) else 0.0
        meta = -2.0 if _folded(c) in METADATA_COLUMNS or _folded(c).startswith("_") else 0.0
        mine = _id_set(waves[i], c)
        overlaps = []
        for j, other in enumerate(waves):
            if j == i:
                continue
            best = max((len(mine & _id_set(other, d)) / max(1, min(len(mine), len(_id_set(other, d))))
                        for d in cands[j]), default=0.0)
            overlaps.append(best)
        return name + meta + (2.0 * float(np.mean(overlaps)) if overlaps else 0.0)

    for i, w in enumerate(waves):
        scored = sorted(((score(i, c), c) for c in cands[i]), key=lambda x: -x[0])
        w.id_col = scored[0][1]
        if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.5:
            summary.checks.append(
                f"{w.key} : colonne d'identifiant '{w.id_col}' choisie parmi "
                + ", ".join(f"'{c}'" for _, c in scored[:4]))
            w.checks.append("identifiant à confirmer")
    overlap = []
    for i in range(1, len(waves)):
        a, b = _id_set(waves[0], waves[0].id_col), _id_set(waves[i], waves[i].id_col)
        overlap.append(f"{waves[i].key} {len(a & b)}/{len(b)}")
        if b and len(a & b) < 0.5 * len(b):
            summary.checks.append(
                f"{waves[i].key} : seuls {len(a & b)} de ses {len(b)} identifiants "
                f"('{waves[i].id_col}') se retrouvent en {waves[0].key} : même numérotation "
                "d'une vague à l'autre ? (sinon, pas de suivi des candidats)")
    names = dict.fromkeys(w.id_col for w in waves)
    summary.decisions.append(
        "identifiant : " + " / ".join(f"'{n}'" for n in names)
        + (f" (présents aussi en {waves[0].key} : " + ", ".join(overlap) + ")" if overlap else ""))


def _choose_dates(waves: list[_Wave], personal: set, summary: DraftSummary) -> None:
    for i, w in enumerate(waves):
        cands = [c for c in _date_candidates(w.table.data, exclude={w.id_col})
                 if (i, c) not in personal]
        if not cands:
            summary.checks.append(f"{w.key} : aucune colonne de dates trouvée ; le rapport ne "
                                  "pourra pas dater ces questionnaires (ajoutez date_column)")
            continue
        w.date_col = cands[0]
        known = any(_folded(cands[0]) == p or _folded(cands[0]).endswith("/" + p)
                    for p in _DATE_PREFERENCE)
        if len(cands) > 1 and not known:
            summary.checks.append(f"{w.key} : colonne de date '{w.date_col}' choisie parmi "
                                  + ", ".join(f"'{c}'" for c in cands))
    summary.decisions.append("dates : " + ", ".join(f"{w.key} '{w.date_col}'" for w in waves
                                                   if w.date_col))


# ---------------------------------------------------------------------------
# 7. Items
# ---------------------------------------------------------------------------
_GRID = re.compile(r"^(?P<section>.+?)\s*\[(?P<text>.+)\]\s*$")
_LIME = re.compile(r"^(?P<group>G\d+)(?P<question>Q\d+)(?:\[(?P<sub>[^\]]+)\])?$", re.I)


def _split_header(name: str) -> tuple[str | None, str]:
    """(section, question text) from a header: grid, group path, LimeSurvey code."""
    m = _LIME.match(name)
    if m:
        return m.group("group").upper(), name
    m = _GRID.match(name)
    if m:
        return m.group("section").strip(), m.group("text").strip()
    if "/" in name:
        head, tail = name.rsplit("/", 1)
        if head.strip() and tail.strip():
            return head.split("/")[0].strip(), tail.strip()
    return None, name.strip()


def _match_items(waves: list[_Wave], personal: set, summary: DraftSummary) -> list[_Item]:
    items: dict[str, _Item] = {}
    used = set()
    for i, w in enumerate(waves):
        skip = {w.id_col, w.date_col, w.wave_col}
        columns = [c for c in _answer_columns(w.table.data)
                   if c not in skip and (i, c) not in personal]
        strip = _own_wave_prefix(columns)
        if strip:
            summary.decisions.append(f"{w.key} : préfixe '{strip}' des en-têtes ignoré pour "
                                     "apparier les questions")
        spss = w.table.meta.get("variable_labels") or {}
        for c in columns:
            section, text = _split_header(str(c)[len(strip):] if strip else str(c))
            if spss.get(c):
                # SPSS: variables match by name; the question is the variable label.
                section, text = None, str(c)
            key = _folded(text if section is None or _LIME.match(str(c)) else f"{section}|{text}")
            item = items.setdefault(key, _Item(key=key, text=text, section=section))
            if i in item.columns:      # two columns of one wave fold alike: keep apart
                key = key + f"#{c}"
                item = items.setdefault(key, _Item(key=key, text=text, section=section))
            item.columns[i] = c
            if spss.get(c) and item.text == str(c):
                item.text = str(spss[c]).strip()
            used.add((i, c))
    if not items:
        raise StudyError("no column of answers besides the id and the date", waves[0].source.file)
    taken = {_folded(c) for i, w in enumerate(waves) for c in w.table.data.columns
             if (i, c) not in used}
    prefix = "Q"
    while any(_folded(f"{p}{n:02d}") in taken for p in [prefix] for n in range(1, len(items) + 1)):
        prefix = {"Q": "ITEM", "ITEM": "QQ"}.get(prefix, prefix + "Q")
    coded = []
    for n, item in enumerate(items.values(), 1):
        item.code = f"{prefix}{n:02d}"
        if _LIME.match(item.text) or re.fullmatch(r"[A-Za-z_]{0,6}\d{1,3}", item.text):
            item.checks.append("texte = code de l'export : écrire la question")
            coded.append(item.code)
    if coded:
        summary.checks.append(f"{len(coded)} question(s) sans texte dans les exports (en-têtes "
                              "en codes) : le texte du codebook est le code ; écrire les "
                              "questions (" + ", ".join(coded[:3])
                              + (", ..." if len(coded) > 3 else "") + ")")
    counts = [sum(i in it.columns for it in items.values()) for i in range(len(waves))]
    summary.decisions.append(f"{len(items)} questions ("
                             + ", ".join(f"{w.key} {n}" for w, n in zip(waves, counts))
                             + "), codées " + f"{prefix}01 à {prefix}{len(items):02d}"
                             + " dans l'ordre de première apparition")
    partial = [it for it in items.values() if len(it.columns) < len(waves)]
    for it in partial:
        absent = [w.key for i, w in enumerate(waves) if i not in it.columns]
        it.checks.append("absente de " + ", ".join(absent))
        summary.checks.append(f"{it.code} « {_short(it.text)} » absente de " + ", ".join(absent)
                              + " (question propre à une vague, ou libellé modifié ?)")
    for i, w in enumerate(waves):
        w.items = {c: it for it in items.values() for j, c in it.columns.items() if j == i}
    return list(items.values())


def _own_wave_prefix(columns: list) -> str:
    """A wave prefix that (nearly) every answer column of a one-wave export
    carries (``T2_Q01``, ``T2_Q02``... in the T2 file): left out when matching."""
    hits = [_WIDE.match(str(c)) for c in columns]
    prefixes = [str(c)[: len(str(c)) - len(h.group(2))] for c, h in zip(columns, hits) if h]
    if len(columns) >= 2 and prefixes and len(prefixes) >= 0.8 * len(columns):
        common = max(set(prefixes), key=prefixes.count)
        if prefixes.count(common) >= 0.8 * len(columns):
            return common
    return ""


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------------------
# 8. Scales
# ---------------------------------------------------------------------------
@dataclass
class _Scale:
    name: str
    values: list          # value of each label (None for a missing label)
    labels: list
    check: str = ""
    items: list = field(default_factory=list)


def _observed(item: _Item, waves: list[_Wave]) -> tuple[list[list[str]], list[str], dict, dict]:
    """The answers of an item, as folded labels.

    Returns, per wave, the answers seen (first-seen order); the missing-value
    labels; how often each label was given; and its most frequent wording.
    """
    per_wave, missing = [], []
    counts: dict[str, int] = {}
    spelled: dict[tuple[str, str], int] = {}
    for i, c in item.columns.items():
        col = _col(waves[i].table.data, c)
        frame = pd.DataFrame({"key": _folded_values(col).to_numpy(),
                              "text": _nonempty(col).str.strip().to_numpy()})
        for (key, text), n in frame.groupby(["key", "text"], sort=False).size().items():
            spelled[(key, text)] = spelled.get((key, text), 0) + int(n)
            counts[key] = counts.get(key, 0) + int(n)
        seen = []
        for key in dict.fromkeys(frame["key"]):
            (missing if is_missing_label(key) else seen).append(key)
        per_wave.append(seen)
    wording: dict[str, str] = {}
    for (key, text), n in sorted(spelled.items(), key=lambda x: -x[1]):
        wording.setdefault(key, text)
    return per_wave, list(dict.fromkeys(missing)), counts, wording


def _draft_scales(items: list[_Item], waves: list[_Wave], summary: DraftSummary) -> dict:
    scales: dict[str, _Scale] = {}
    unknown_sets: dict[frozenset, str] = {}
    numeric = []
    mixed: list = []
    for it in items:
        per_wave, missing_keys, counts, wording = _observed(it, waves)
        missing = [wording[k] for k in missing_keys]
        union_keys = list(dict.fromkeys(k for seen in per_wave for k in seen))
        union = [wording[k] for k in union_keys]
        folded_union = union_keys
        numbers = pd.to_numeric(pd.Series(union, dtype=object).str.replace(",", ".", regex=False),
                                errors="coerce")
        if len(union) and numbers.notna().all() and (numbers == np.round(numbers)).all():
            numeric.append((it, numbers.astype(int).tolist(), missing))
            continue
        # Labels in some waves, numbers in others (a workbook of codes): the
        # labels say the scale, the numbers are read as its values.
        number_keys = [k for k in union_keys if re.fullmatch(r"-?\d+", k)]
        label_keys = [k for k in union_keys if k not in number_keys]
        match = match_scale([wording[k] for k in label_keys])
        if match is None:
            # A rare label outside every scale (a typo such as "D'acord") is left
            # out of the scale: clean records its cells as invalid.
            total = sum(counts[k] for k in label_keys)
            common = [k for k in label_keys if counts[k] >= max(2, 0.01 * total)]
            if 0 < len(common) < len(label_keys):
                match = match_scale([wording[k] for k in common])
                if match is not None:
                    rare = [k for k in label_keys if k not in common]
                    shown = ", ".join(f"« {wording[k]} » ({counts[k]} fois)" for k in rare)
                    it.checks.append(f"libellé rare hors échelle, lu comme invalide : {shown}")
                    summary.checks.append(f"{it.code} : libellé rare hors échelle, laissé "
                                          f"invalide (faute de frappe ?) : {shown}")
        if match is not None and number_keys:
            top = len(match.labels)
            outside = [k for k in number_keys if not 1 <= int(k) <= top]
            it.checks.append(f"chiffres lus comme valeurs 1 à {top} de l'échelle"
                             + (f" ; hors échelle (invalides) : {', '.join(outside)}"
                                if outside else ""))
            mixed.append((it, match, outside))
        if match is not None:
            name = match.scale.name
            sc = scales.get(name)
            if sc is None:
                sc = scales[name] = _Scale(name, list(range(1, len(match.labels) + 1)),
                                           list(match.labels))
                notes = []
                if match.ambiguous:
                    notes.append("aussi possible : " + ", ".join(match.ambiguous))
                if match.larger:
                    notes.append(f"{len(match.labels)} libellés vus : vérifier qu'aucun "
                                 "libellé (un milieu d'échelle ?) ne manque")
                if name in ("oui_non", "yes_no", "ja_nee"):
                    notes.append("Non = 0, Oui = 1 : vérifier le sens (plus haut = mieux)")
                    sc.values = [0, 1]
                sc.check = "; ".join(notes)
            _add_missing(sc, missing)
            it.scale = name
            sc.items.append(it)
            continue
        key = frozenset(folded_union)
        name = unknown_sets.get(key)
        conflict = len({frozenset(s) for s in per_wave if s}) > 1
        if name is None:
            name = unknown_sets[key] = f"echelle{len(unknown_sets) + 1}"
            codes = pd.Series(union, dtype=object).str.extract(r"^([A-Za-z]*)(\d+)$")
            if len(union) > 1 and codes[0].notna().all() and codes[0].nunique() == 1:
                # Answer codes (LimeSurvey's A1, AO01...): ordered by their number.
                order = np.argsort(codes[1].astype(int).to_numpy(), kind="stable")
                union = [union[k] for k in order]
                how = "codes de réponse rangés par leur numéro, sens inconnu"
            else:
                how = "ordre inconnu, libellés dans l'ordre vu"
            scales[name] = _Scale(name, list(range(1, len(union) + 1)), union,
                                  check=how.split(",")[0] + " : ordre à vérifier")
            summary.checks.append(
                f"échelle '{name}' : {how} ("
                + " < ".join(f"« {_short(x, 30)} »" for x in union) + ")")
        sc = scales[name]
        _add_missing(sc, missing)
        it.scale = name
        sc.items.append(it)
        if conflict:
            it.checks.append("libellés différents selon la vague : échelle = leur union")
            summary.checks.append(f"{it.code} : libellés différents selon la vague, échelle "
                                  f"'{name}' = leur union")
    if numeric:
        lo = min(min(v) for _, v, _ in numeric)
        hi = max(max(v) for _, v, _ in numeric)
        if lo == hi:
            hi = lo + 1
        name = f"numerique{lo}_{hi}"
        sc = scales[name] = _Scale(name, list(range(lo, hi + 1)),
                                   [str(v) for v in range(lo, hi + 1)],
                                   check=f"échelle numérique {lo} à {hi} d'après les réponses "
                                         "vues : vérifier les bornes réelles")
        summary.checks.append(f"échelle '{name}' : réponses en chiffres, bornes {lo} et {hi} "
                              "d'après les réponses vues (une échelle 1 à 7 dont personne n'a "
                              "choisi 7 ?) ; vérifier, et le sens (plus haut = mieux)")
        for it, _, missing in numeric:
            _add_missing(sc, missing)
            it.scale = name
            sc.items.append(it)
    if mixed:
        labels = mixed[0][1].labels
        outside = sorted({k for _, _, out in mixed for k in out}, key=int)
        summary.checks.append(
            f"{len(mixed)} question(s) répondues en chiffres dans certaines vagues et en "
            f"libellés dans d'autres ({', '.join(it.code for it, _, _ in mixed[:3])}"
            f"{', ...' if len(mixed) > 3 else ''}) : 1 = « {labels[0]} », {len(labels)} = "
            f"« {labels[-1]} » ; vérifier ce sens"
            + (f" ; chiffres hors échelle lus comme invalides : {', '.join(outside)}"
               if outside else ""))
    for sc in scales.values():
        if sc.check and not sc.name.startswith(("echelle", "numerique")):
            summary.checks.append(f"échelle '{sc.name}' : {sc.check}")
    summary.decisions.append("échelles : " + ", ".join(
        f"{sc.name} ({len([v for v in sc.values if v is not None])} points, "
        f"{len(sc.items)} questions)" for sc in scales.values()))
    return scales


def _add_missing(sc: _Scale, missing: list[str]) -> None:
    have = set(normalize_key(pd.Series(sc.labels, dtype=object)))
    for label in missing:
        if _folded(label) not in have:
            sc.labels.append(label)
            sc.values.append(None)
            have.add(_folded(label))


def _values(it: _Item, i: int, waves: list[_Wave], scales: dict) -> pd.Series:
    """The answers of item ``it`` at wave ``i`` as numbers (NaN when missing)."""
    sc = scales[it.scale]
    lookup = {k: v for k, v in zip(normalize_key(pd.Series(sc.labels, dtype=object)), sc.values)
              if v is not None}
    text = waves[i].table.data[it.columns[i]]
    return normalize_key(text).map(lookup).astype(float)


# ---------------------------------------------------------------------------
# 9-10. Dimensions, reverse items
# ---------------------------------------------------------------------------
def varimax(loadings: np.ndarray, max_iter: int = 1000, tol: float = 1e-10) -> np.ndarray:
    """Varimax rotation of a loading matrix (Kaiser, 1958).

    Maximizes the variance of the squared loadings within each factor, by the
    usual singular-value iteration.

    Parameters
    ----------
    loadings : ndarray, items x factors

    Returns
    -------
    ndarray
        The rotated loadings (same shape).

    Examples
    --------
    A simple structure turned by 30 degrees is found again (up to sign):

    >>> turn = np.array([[np.cos(np.pi / 6), -0.5], [0.5, np.cos(np.pi / 6)]])
    >>> L = np.array([[0.9, 0], [0.8, 0], [0, 0.9], [0, 0.8]]) @ turn
    >>> np.round(np.abs(varimax(L)), 2) + 0.0
    array([[0.9, 0. ],
           [0.8, 0. ],
           [0. , 0.9],
           [0. , 0.8]])
    """
    p, k = loadings.shape
    if k < 2:
        return loadings.copy()
    rotation = np.eye(k)
    criterion = 0.0
    for _ in range(max_iter):
        rotated = loadings @ rotation
        u, s, vt = np.linalg.svd(loadings.T @ (rotated ** 3 - rotated
                                               @ np.diag((rotated ** 2).sum(axis=0)) / p))
        rotation = u @ vt
        previous, criterion = criterion, s.sum()
        if previous and criterion / previous < 1 + tol:
            break
    return loadings @ rotation


def factor_groups(values: pd.DataFrame) -> tuple[list[int], np.ndarray]:
    """Items grouped by an exploratory factor analysis (a suggestion only).

    Principal-component loadings of the item correlation matrix (pairwise
    complete answers), as many factors as eigenvalues above 1 (Kaiser's
    rule), varimax rotation (:func:`varimax`); each item goes to the factor
    of its largest absolute loading.

    Parameters
    ----------
    values : DataFrame
        Respondents x items, numbers (NaN when missing).

    Returns
    -------
    groups : list of int
        Factor (0-based) of each item.
    eigenvalues : ndarray
        Of the correlation matrix, largest first.
    """
    corr = values.corr(min_periods=5).fillna(0.0).to_numpy(copy=True)
    np.fill_diagonal(corr, 1.0)
    eigenvalues, vectors = np.linalg.eigh(corr)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, vectors = eigenvalues[order], vectors[:, order]
    k = max(1, int((eigenvalues > 1).sum()))
    loadings = vectors[:, :k] * np.sqrt(np.clip(eigenvalues[:k], 0, None))
    rotated = varimax(loadings)
    return np.abs(rotated).argmax(axis=1).tolist(), eigenvalues


def _draft_dimensions(items: list[_Item], waves: list[_Wave], scales: dict,
                      summary: DraftSummary) -> None:
    sections = list(dict.fromkeys(it.section for it in items if it.section))
    if len(sections) >= 2 and all(it.section for it in items):
        for it in items:
            it.dimension = it.section
        summary.decisions.append(f"{len(sections)} dimensions d'après les sections des "
                                 "en-têtes : " + ", ".join(f"« {s} »" for s in sections))
        if all(_LIME.match(s + "Q1") for s in sections):
            summary.checks.append("dimensions nommées par les codes de groupe LimeSurvey ("
                                  + ", ".join(sections) + ") : leur donner un nom")
            for it in items:
                it.checks.append("dimension = code de groupe")
        return
    name = "Dimension unique"
    for it in items:
        it.dimension = name
        it.checks.append("dimension à définir")
    summary.checks.append("une seule dimension (« Dimension unique ») : les en-têtes n'ont pas de "
                          "sections ; regrouper les questions en dimensions dans le codebook "
                          "(voir la suggestion ci-dessus)")
    first = [it for it in items if 0 in it.columns]
    if len(first) < 3:
        return
    frame = pd.DataFrame({it.code: _values(it, 0, waves, scales) for it in first})
    if frame.dropna(how="all").shape[0] < 10:
        return
    groups, eigen = factor_groups(frame)
    for it, g in zip(first, groups):
        it.factor = g
    k = max(groups) + 1
    summary.suggestion.append(f"{k} facteur(s) (valeurs propres > 1 : "
                              + ", ".join(f"{e:.2f}" for e in eigen if e > 1) + ")")
    for g in range(k):
        members = [it for it, x in zip(first, groups) if x == g]
        summary.suggestion.append(f"facteur {g + 1} : " + ", ".join(
            f"{it.code} « {_short(it.text, 40)} »" for it in members))


def _suggest_reverse(items: list[_Item], waves: list[_Wave], scales: dict,
                     summary: DraftSummary) -> None:
    first = [it for it in items if 0 in it.columns]
    frame = pd.DataFrame({it.code: _values(it, 0, waves, scales) for it in first})
    # Without known dimensions, the factors suggested stand for them.
    group = {it.code: (it.dimension, it.factor if it.dimension == "Dimension unique" else None)
             for it in first}
    for dim in dict.fromkeys(group.values()):
        members = [it for it in first if group[it.code] == dim]
        if len(members) < 3:
            continue
        for it in members:
            rest = frame[[m.code for m in members if m is not it]].mean(axis=1)
            pair = pd.concat([frame[it.code], rest], axis=1).dropna()
            if len(pair) < 5 or pair.iloc[:, 0].std() == 0 or pair.iloc[:, 1].std() == 0:
                continue
            r = float(np.corrcoef(pair.iloc[:, 0], pair.iloc[:, 1])[0, 1])
            if r < 0:
                it.reverse_r = r
                it.checks.append(f"à inverser ? r = {r:.2f} avec le reste de "
                                 + ("sa dimension" if dim[1] is None else "son facteur")
                                 + " en T1 (non appliqué)")
                summary.checks.append(
                    f"{it.code} « {_short(it.text)} » : corrélation {r:.2f} avec le reste de "
                    + ("sa dimension" if dim[1] is None else f"son facteur ({dim[1] + 1})")
                    + " en T1 ; question formulée à l'envers ? (reverse: oui dans le "
                    "codebook si c'est le cas ; non appliqué)")


def _personal_warning(waves: list[_Wave], personal: set, summary: DraftSummary) -> None:
    cols = list(dict.fromkeys(c for i, c in sorted(personal)))
    if cols:
        summary.warnings.append(
            "données personnelles dans les exports (" + ", ".join(f"'{c}'" for c in cols)
            + ") : jamais utilisées, le rapport n'en a pas besoin ; mieux vaut les retirer "
            "des exports")


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


def _study_yaml(folder: Path, waves: list[_Wave], items: list[_Item], language: str,
                summary: DraftSummary) -> str:
    id_name = waves[0].id_col
    id_note = ""
    if any("identifiant à confirmer" in w.checks for w in waves):
        id_note = "  # VÉRIFIER : choisi parmi plusieurs colonnes possibles"
    lines = [
        "# Brouillon écrit par `impactlib init` : à relire. Chaque décision incertaine",
        "# est marquée VÉRIFIER (ici, et dans la colonne check du codebook).",
        f"title: {_q(folder.resolve().name)}",
        f"language: {language}",
        f"id_column: {_q(id_name)}{id_note}",
        "codebook: codebook.xlsx",
        "min_items_answered: 0.5",
        "waves:",
    ]
    order_note = any("ordre déduit de la date médiane" in w.checks for w in waves)
    for i, w in enumerate(waves):
        s = w.source
        lines.append(f"  - key: {w.key}" + ("  # VÉRIFIER : ordre déduit des dates médianes"
                                            if order_note else ""))
        lines.append(f"    label: {_q(w.label)}")
        lines.append(f"    file: {_q(s.file.relative_to(folder).as_posix())}")
        if s.sheet is not None:
            lines.append(f"    sheet: {_q(s.sheet)}")
        if w.value is not None:
            lines.append(f"    wave_column: {_q(w.wave_col)}")
            lines.append("    wave_values: [" + ", ".join(_q(v) for v in w.value) + "]")
        if w.pattern is not None:
            lines.append(f"    columns: {_q(w.pattern)}")
        complete = _complete_column(w)
        if complete:
            lines.append(f"    complete_column: {_q(complete)}   # vide = réponse incomplète, "
                         "mise de côté")
        if w.date_col:
            lines.append(f"    date_column: {_q(w.date_col)}")
        else:
            lines.append("    # VÉRIFIER : aucune colonne de dates trouvée (date_column: ...)")
        rename = {}
        if w.id_col != id_name:
            rename[w.id_col] = id_name
        for c, it in w.items.items():
            if c != it.code:
                rename[c] = it.code
        if rename:
            lines.append("    rename:")
            for old, new in rename.items():
                note = ""
                item = w.items.get(old)
                # Matching decisions are marked here; the codebook's own (text,
                # dimension, reverse) in its check column.
                matching = [c for c in (item.checks if item is not None else [])
                            if c.startswith(("absente", "libellés différents"))]
                if matching:
                    note = "  # VÉRIFIER : " + "; ".join(matching)
                lines.append(f"      {_q(old)}: {_q(new)}{note}")
    if complete_any := [w for w in waves if _complete_column(w)]:
        summary.decisions.append("réponses incomplètes mises de côté : "
                                 + ", ".join(f"{w.key} ('{_complete_column(w)}' vide)"
                                             for w in complete_any))
    return "\n".join(lines) + "\n"


def _complete_column(w: _Wave) -> str | None:
    data = w.table.data
    for c in data.columns:
        if _folded(c) == "submitdate" and (data[c].astype(str).str.strip() == "").any():
            return c
    return None


def _codebook_tables(items: list[_Item], scales: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    it = pd.DataFrame({
        "item": [x.code for x in items], "text": [x.text for x in items],
        "dimension": [x.dimension for x in items], "scale": [x.scale for x in items],
        "reverse": ["non"] * len(items),
        "check": ["; ".join(x.checks) for x in items]})
    rows = []
    for sc in scales.values():
        for k, (v, label) in enumerate(zip(sc.values, sc.labels)):
            rows.append({"scale": sc.name, "value": v, "label": label,
                         "check": sc.check if k == 0 else ""})
    sc = pd.DataFrame(rows, columns=["scale", "value", "label", "check"])
    sc["value"] = sc["value"].astype("Int64")
    return it, sc


def _write_codebook(path: Path, items: pd.DataFrame, scales: pd.DataFrame) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        items.to_excel(writer, sheet_name="items", index=False)
        scales.to_excel(writer, sheet_name="scales", index=False)
        for name, frame in (("items", items), ("scales", scales)):
            ws = writer.sheets[name]
            for j, col in enumerate(frame.columns, 1):
                width = min(60, max([len(str(col))] + [len(str(v)) for v in frame[col]]) + 2)
                ws.column_dimensions[ws.cell(1, j).column_letter].width = width
            ws.freeze_panes = "A2"


def _self_check(study_file: Path, codebook_file: Path) -> None:
    """The drafts must clean as they are: they are cleaned once, in memory.

    Nothing is written (a throwaway pseudonymization key, no processed
    folder); a failure is a bug of the draft, said in one line.
    """
    from impactlib.intake.processed import clean_study

    quiet = [logging.getLogger(n) for n in ("impactlib.intake.ingest",
                                             "impactlib.intake.processed")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.ERROR)
    try:
        clean_study(study_file, key=b"impactlib init: draft check, never used for output")
    except StudyError as err:
        raise StudyError(f"the drafts were written but do not clean yet ({err}); please "
                         "report this, and correct the drafts by hand meanwhile",
                         study_file) from None
    finally:
        for q, level in zip(quiet, levels):
            q.setLevel(level)
