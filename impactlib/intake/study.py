"""The study: ``study.yml`` read, checked and resolved against its folder.

See ``docs/study-format.md`` for the format. Paths in ``study.yml`` are relative
to the folder that holds it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from impactlib.config import study_name
from impactlib.errors import StudyError
from impactlib.intake.dates import DEFAULT_TIMEZONE

__all__ = ["Study", "Wave", "CollectionChange", "FunderTarget", "Outcomes", "CHANGE_KINDS",
           "load_study"]

#: Days after exit during which a missing exit questionnaire is still worth
#: chasing (``followup_grace_days`` in ``study.yml``); later it is "missed".
DEFAULT_GRACE_DAYS = 30

TOP_KEYS = {"title", "language", "id_column", "codebook", "min_items_answered",
            "covariates", "registry", "waves", "due_days", "seed", "timezone", "changes",
            "followup_grace_days", "followup_by", "funder_target", "outcomes"}
WAVE_KEYS = {"key", "label", "file", "date_column", "sheet", "rename", "encoding",
             "wave_column", "wave_values", "columns", "complete_column"}
LANGUAGES = {"fr", "en"}
#: Kinds of ``changes`` entries: ``collection`` (how questionnaires are
#: collected: marked on the response-rate trend, default) and the policy
#: kinds, compared before/after on who enters and how they fare:
#: ``selection`` (who is admitted) and ``programme`` (what the coaching offers).
CHANGE_KINDS = ("collection", "selection", "programme")
#: Keys of ``funder_target`` and of ``outcomes`` in study.yml.
FUNDER_TARGET_KEYS = ("share", "months", "label")
OUTCOME_CATEGORIES = ("employment", "training", "dropout", "ongoing")
OUTCOME_KEYS = (*OUTCOME_CATEGORIES, "job_search_dimension")


@dataclass(frozen=True)
class Wave:
    """One questionnaire moment (``T1``, ``T2``...) and its export file."""

    key: str
    label: str
    file: Path
    date_column: str | None = None
    sheet: str | None = None
    rename: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None    # forces a text export's encoding (else detected)
    # Export shapes (see impactlib.intake.shapes and docs/study-format.md):
    wave_column: str | None = None       # one file for several waves: the column naming the wave
    wave_values: tuple[str, ...] = ()    # values of wave_column that mean this wave
    value_waves: dict[str, str] = field(default_factory=dict)  # every value -> wave, same file
    columns: str | None = None           # wide file: this wave's columns, e.g. "T1_{item}"
    other_columns: tuple[str, ...] = ()  # the patterns of the other waves of the same file
    complete_column: str | None = None   # an empty cell here = an incomplete response


@dataclass(frozen=True)
class CollectionChange:
    """A dated change (``changes`` in ``study.yml``), from ``date`` on.

    ``kind`` ``collection`` (the default): a change in how questionnaires are
    collected, marked on the response-rate trend and compared before/after
    on response rates (only these are). Another kind (:data:`CHANGE_KINDS`:
    ``selection``, ``programme``) is a policy change: the candidates who
    entered before and after it are compared (``results/policy_change.csv``).
    """

    date: dt.date
    label: str
    waves: tuple[str, ...] = ()     # the waves it concerns; empty: every wave
    kind: str = "collection"


@dataclass(frozen=True)
class FunderTarget:
    """``funder_target`` in study.yml: the share of exited candidates in employment
    ``months`` after their exit that the funder expects (``share`` None: no target
    given; ``months`` is still the moment the employment outcome is judged at)."""

    share: float | None = None
    months: int = 6
    label: str | None = None


@dataclass(frozen=True)
class Outcomes:
    """``outcomes`` in study.yml: which ``exit_status`` values of the registry mean
    employment, training, dropout or still in the programme (compared ignoring
    case and repeated spaces; any other value is "other"), and the dimension whose
    change is related to employment (default: the one whose name holds "emploi"
    or "job")."""

    employment: tuple[str, ...] = ("emploi",)
    training: tuple[str, ...] = ("formation",)
    dropout: tuple[str, ...] = ("abandon",)
    ongoing: tuple[str, ...] = ("en cours",)
    job_search_dimension: str | None = None

    @property
    def statuses(self) -> dict[str, tuple[str, ...]]:
        """``{category: exit_status values}`` for :mod:`impactlib.stats.outcomes`."""
        return {c: getattr(self, c) for c in OUTCOME_CATEGORIES}


@dataclass(frozen=True)
class Study:
    """A study described by ``study.yml``."""

    path: Path                     # the study.yml file
    title: str
    id_column: str
    codebook: Path
    waves: tuple[Wave, ...]
    language: str = "fr"
    min_items_answered: float = 0.5
    covariates: tuple[str, ...] = ()
    registry: Path | None = None
    due_days: dict[str, int] = field(default_factory=dict)
    seed: int | None = None
    timezone: str = DEFAULT_TIMEZONE
    changes: tuple[CollectionChange, ...] = ()
    followup_grace_days: int = DEFAULT_GRACE_DAYS
    followup_by: str | None = None  # a covariate: follow-up counts per value (antenne...)
    funder_target: FunderTarget = field(default_factory=FunderTarget)
    outcomes: Outcomes = field(default_factory=Outcomes)

    @property
    def collection_changes(self) -> tuple[CollectionChange, ...]:
        """The ``changes`` of kind ``collection`` (how questionnaires are collected)."""
        return tuple(c for c in self.changes if c.kind == "collection")

    @property
    def policy_changes(self) -> tuple[CollectionChange, ...]:
        """The ``changes`` of another kind (``selection``, ``programme``)."""
        return tuple(c for c in self.changes if c.kind != "collection")

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str:
        """A short name for folders: the study folder's name."""
        return study_name(self.folder)

    @property
    def wave_keys(self) -> list[str]:
        return [w.key for w in self.waves]

    def input_files(self) -> list[Path]:
        """Every file the study reads, for the manifest's checksums."""
        files = [self.path]
        files += sorted(self.codebook.glob("*.csv")) if self.codebook.is_dir() else [self.codebook]
        files += [w.file for w in self.waves]
        if self.registry is not None:
            files.append(self.registry)
        return files


def _need(mapping: dict, key: str, file: Path, where: str = "") -> object:
    if key not in mapping or mapping[key] in (None, ""):
        raise StudyError(f"'{key}' is required{where}", file)
    return mapping[key]


def _text(value: object, key: str, file: Path) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise StudyError(f"'{key}' must be a text, not {type(value).__name__}", file)
    return str(value).strip()


def load_study(path: str | Path) -> Study:
    """Read ``study.yml`` (or a folder that holds one) and check it.

    Raises
    ------
    StudyError
        Unreadable YAML (with its line), a missing or unknown key, a wave key
        used twice, a file that does not exist.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "study.yml"
    if not path.exists():
        raise StudyError("study file not found", path)
    doc = _read_yaml(path)
    if not isinstance(doc, dict):
        raise StudyError("expected keys such as title, id_column, codebook, waves", path)
    unknown = sorted(set(map(str, doc)) - TOP_KEYS)
    if unknown:
        raise StudyError(f"unknown key '{unknown[0]}' (known: {', '.join(sorted(TOP_KEYS))})", path)
    folder = path.parent
    id_column = _text(_need(doc, "id_column", path), "id_column", path)
    codebook = folder / _text(_need(doc, "codebook", path), "codebook", path)
    if not codebook.exists():
        raise StudyError(f"codebook '{doc['codebook']}' not found", path)
    language = str(doc.get("language") or "fr").lower()
    if language not in LANGUAGES:
        raise StudyError(f"language must be one of {sorted(LANGUAGES)}, not '{language}'", path)
    try:
        share = float(doc.get("min_items_answered", 0.5))
    except (TypeError, ValueError):
        share = -1.0
    if not 0 < share <= 1:
        raise StudyError("min_items_answered must be a share between 0 (excluded) and 1", path)
    covariates = doc.get("covariates") or []
    if isinstance(covariates, str):
        covariates = [covariates]
    if not isinstance(covariates, list):
        raise StudyError("covariates must be a list of column names", path)
    registry = None
    if doc.get("registry"):
        registry = folder / _text(doc["registry"], "registry", path)
        if not registry.exists():
            raise StudyError(f"registry '{doc['registry']}' not found", path)
    waves_doc = _need(doc, "waves", path)
    if not isinstance(waves_doc, list):
        raise StudyError("'waves' must be a list of waves (key, label, file)", path)
    waves: list[Wave] = []
    for i, w in enumerate(waves_doc, start=1):
        where = f" in wave {i}"
        if not isinstance(w, dict):
            raise StudyError(f"wave {i} must have keys key, label, file", path)
        unknown = sorted(set(map(str, w)) - WAVE_KEYS)
        if unknown:
            raise StudyError(f"unknown key '{unknown[0]}'{where} (known: "
                             f"{', '.join(sorted(WAVE_KEYS))})", path)
        key = _text(_need(w, "key", path, where), "key", path)
        if "+" in key:
            raise StudyError(f"wave key '{key}' must not contain '+'", path)
        if key in {x.key for x in waves}:
            raise StudyError(f"wave key '{key}' is used twice", path)
        file = folder / _text(_need(w, "file", path, where), "file", path)
        if not file.exists():
            raise StudyError(f"file of wave {key} not found: {w['file']}", path)
        rename = w.get("rename") or {}
        if not isinstance(rename, dict):
            raise StudyError(f"'rename'{where} must map export columns to names", path)
        sheet = w.get("sheet")
        encoding = _encoding(w.get("encoding"), key, path)
        waves.append(Wave(
            key=key, label=str(w.get("label") or key), file=file,
            date_column=str(w["date_column"]).strip() if w.get("date_column") else None,
            sheet=None if sheet is None else str(sheet),
            rename={str(k).strip(): str(v).strip() for k, v in rename.items()},
            encoding=encoding, **_shape(w, key, path)))
    waves = _link_shared_files(waves, path)
    due = doc.get("due_days") or {}
    if not isinstance(due, dict) or not all(isinstance(v, int) and not isinstance(v, bool)
                                            for v in due.values()):
        raise StudyError("due_days must map wave keys to whole numbers of days", path)
    _check_wave_references("due_days", due, [w.key for w in waves], path)
    if len(waves) > 1 and waves[-1].key in map(str, due):
        raise StudyError(f"due_days names the last wave '{waves[-1].key}', which is due at exit "
                         "(the registry's exit_date): leave it out", path)
    changes = _changes(doc.get("changes"), path)
    for change in changes:
        _check_wave_references(f"changes entry '{change.label}'", dict.fromkeys(change.waves),
                               [w.key for w in waves], path)
    return Study(path=path, title=str(doc.get("title") or folder.name), id_column=id_column,
                 codebook=codebook, waves=tuple(waves), language=language,
                 min_items_answered=share, covariates=tuple(str(c) for c in covariates),
                 registry=registry, due_days={str(k): v for k, v in due.items()},
                 seed=_seed(doc.get("seed"), path),
                 timezone=_timezone(doc.get("timezone"), path),
                 changes=changes,
                 followup_grace_days=_grace(doc.get("followup_grace_days"), path),
                 followup_by=_followup_by(doc.get("followup_by"), covariates, path),
                 funder_target=_funder_target(doc.get("funder_target"), path),
                 outcomes=_outcomes(doc.get("outcomes"), path))


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in the same mapping."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep=False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.setdefault(key, key_node.start_mark.line + 1)
        except TypeError:  # an unhashable key: let the constructor say so
            continue
        line = key_node.start_mark.line + 1
        if first != line:
            raise StudyError(f"key '{key}' is written twice (lines {first} and {line}); "
                             "keep one", loader.name, line)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_unique_mapping)


def _read_yaml(path: Path) -> object:
    """Parse ``study.yml``: UTF-8 (with or without BOM), no key written twice.

    A file that is not UTF-8 (Notepad's "ANSI", for instance) is refused with
    the first line holding a byte that is not UTF-8.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise StudyError(f"cannot be read: {err.strerror or err}", path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise StudyError("is not saved as UTF-8 (a character such as an accent is written "
                         "in another encoding); save it again as UTF-8", path, line) from None
    loader = _UniqueKeyLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else None
        raise StudyError(f"not valid YAML: {err.problem}", path, line) from None
    except yaml.YAMLError as err:
        raise StudyError(f"not valid YAML: {err}", path) from None
    finally:
        loader.dispose()


def _check_wave_references(setting: str, mapping: dict, wave_keys: list[str], path: Path) -> None:
    """Every key of ``mapping`` (a setting keyed by wave) must name a wave of the study."""
    unknown = [str(k) for k in mapping if str(k) not in wave_keys]
    if unknown:
        raise StudyError(f"{setting} names wave '{unknown[0]}', which is not a wave of the "
                         f"study (waves: {', '.join(wave_keys)})", path)


def _shape(w: dict, key: str, path: Path) -> dict:
    """The export-shape keys of one wave (``wave_column``, ``wave_values``,
    ``columns``, ``complete_column``), checked."""
    out: dict = {}
    for name in ("wave_column", "columns", "complete_column"):
        if w.get(name) not in (None, ""):
            out[name] = _text(w[name], name, path)
    values = w.get("wave_values")
    if isinstance(values, (str, int, float)) and not isinstance(values, bool):
        values = [values]
    if values is not None and (not isinstance(values, list) or not values or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values)):
        raise StudyError(f"wave_values of wave {key} must be a value or a list of values of "
                         "its wave_column", path)
    if values and "wave_column" not in out:
        raise StudyError(f"wave {key} has wave_values but no wave_column", path)
    if "wave_column" in out:
        if not values:
            raise StudyError(f"wave {key} has a wave_column but no wave_values (the values "
                             "of that column that mean this wave)", path)
        out["wave_values"] = tuple(str(v).strip() for v in values)
    pattern = out.get("columns")
    if pattern is not None and pattern.count("{item}") != 1:
        raise StudyError(f"columns of wave {key} must hold '{{item}}' once, as in "
                         f"'{key}_{{item}}' (it is '{pattern}')", path)
    return out


def _link_shared_files(waves: list[Wave], path: Path) -> list[Wave]:
    """Tell the waves that share a file about each other.

    A wave with a ``wave_column`` gets the whole value -> wave mapping of its
    file, in study order (a value claimed by two waves, or waves of one file
    that name different columns, are refused); a wave with ``columns`` gets
    the other waves' column patterns of its file.
    """
    from dataclasses import replace

    import pandas as pd

    from impactlib.intake.readers import fold_key

    wide: dict[tuple, list[int]] = {}
    for i, w in enumerate(waves):
        if w.columns is not None:
            wide.setdefault((w.file, w.sheet), []).append(i)
    for members in wide.values():
        patterns = [waves[i].columns for i in members]
        for i in members:
            waves[i] = replace(waves[i], other_columns=tuple(
                p for p in patterns if p != waves[i].columns))
    groups: dict[tuple, list[int]] = {}
    for i, w in enumerate(waves):
        if w.wave_column is not None:
            groups.setdefault((w.file, w.sheet), []).append(i)
    for (file, sheet), members in groups.items():
        columns = {waves[i].wave_column for i in members}
        if len(columns) > 1:
            raise StudyError("waves reading the same file must name the same wave_column "
                             f"({', '.join(sorted(columns))})", path)
        mapping: dict[str, str] = {}
        seen: dict[str, str] = {}
        for i in members:
            for value in waves[i].wave_values:
                folded = fold_key(value)
                if folded in seen and seen[folded] != waves[i].key:
                    raise StudyError(f"wave value '{value}' is claimed by waves "
                                     f"{seen[folded]} and {waves[i].key}", path)
                seen[folded] = waves[i].key
                mapping[value] = waves[i].key
        for i in members:
            waves[i] = replace(waves[i], value_waves=dict(mapping))
    return waves


def _encoding(value: object, wave: str, path: Path) -> str | None:
    """A text encoding's name (``cp1252``, ``mac_roman``, ``utf-8``...), checked."""
    if value is None:
        return None
    import codecs

    name = str(value).strip()
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise StudyError(f"encoding '{name}' of wave {wave} is not an encoding name such as "
                         "utf-8, cp1252 or mac_roman", path) from None


def _timezone(value: object, path: Path) -> str:
    """An IANA time zone name (``Europe/Brussels``), checked against the zone database."""
    if value is None:
        return DEFAULT_TIMEZONE
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = str(value).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise StudyError(f"timezone '{name}' is not a time zone name such as "
                         f"'{DEFAULT_TIMEZONE}'", path) from None
    return name


def _seed(value: object, path: Path) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise StudyError("seed must be a whole number", path)
    return value


def _changes(value: object, path: Path) -> tuple[CollectionChange, ...]:
    """``changes``: a list of ``{date: YYYY-MM-DD, label: text, waves: [...], kind: ...}``,
    sorted by date (``waves`` and ``kind`` optional; ``waves`` only for kind
    ``collection``).

    Whether each date falls in the study's period is checked once the data
    are read (:func:`impactlib.intake.processed.clean_study`)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise StudyError("changes must be a list of {date: YYYY-MM-DD, label: text}", path)
    out: list[CollectionChange] = []
    for i, entry in enumerate(value, start=1):
        if not isinstance(entry, dict) or set(map(str, entry)) - {"date", "label", "waves",
                                                                  "kind"}:
            raise StudyError(f"changes entry {i} must have the keys date, label and (optional) "
                             "waves and kind only", path)
        label = _text(_need(entry, "label", path, f" in changes entry {i}"), "label", path)
        raw = _need(entry, "date", path, f" in changes entry {i} ('{label}')")
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if not isinstance(raw, dt.date):
            try:
                raw = dt.date.fromisoformat(str(raw).strip())
            except ValueError:
                raise StudyError(f"changes entry {i} ('{label}'): date '{raw}' is not a date "
                                 "written YYYY-MM-DD", path) from None
        waves = entry.get("waves") or []
        if isinstance(waves, (str, int)) and not isinstance(waves, bool):
            waves = [waves]
        if not isinstance(waves, list):
            raise StudyError(f"changes entry {i} ('{label}'): waves must be a list of wave keys",
                             path)
        kind = "collection" if entry.get("kind") in (None, "") else \
            _text(entry["kind"], "kind", path).casefold()
        if kind not in CHANGE_KINDS:
            raise StudyError(f"changes entry {i} ('{label}'): kind '{entry['kind']}' is not one "
                             f"of {', '.join(CHANGE_KINDS)}", path)
        if waves and kind != "collection":
            raise StudyError(f"changes entry {i} ('{label}'): waves apply to kind collection "
                             f"only, not to a {kind} change", path)
        out.append(CollectionChange(raw, label, tuple(str(w) for w in waves), kind))
    dates = [(c.date, c.kind) for c in out]
    if len(set(dates)) != len(dates):
        raise StudyError("two changes entries of the same kind have the same date; describe "
                         "them in one label", path)
    return tuple(sorted(out, key=lambda c: c.date))


def _grace(value: object, path: Path) -> int:
    if value is None:
        return DEFAULT_GRACE_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StudyError("followup_grace_days must be a whole number of days (0 or more)", path)
    return value


def _followup_by(value: object, covariates: list, path: Path) -> str | None:
    """``followup_by``: one of the study's covariates (follow-up counts per value)."""
    if value in (None, ""):
        return None
    name = _text(value, "followup_by", path)
    if name not in map(str, covariates):
        raise StudyError(f"followup_by '{name}' must be one of the covariates "
                         f"({', '.join(map(str, covariates)) or 'none listed'})", path)
    return name


def _funder_target(value: object, path: Path) -> FunderTarget:
    """``funder_target``: ``{share: 0.5, months: 6, label: text}`` (all optional)."""
    if value is None:
        return FunderTarget()
    if not isinstance(value, dict):
        raise StudyError("funder_target must have the keys share, months and label, as in "
                         "{share: 0.5, months: 6, label: \"Emploi 6 mois après la sortie\"}", path)
    unknown = sorted(set(map(str, value)) - set(FUNDER_TARGET_KEYS))
    if unknown:
        raise StudyError(f"unknown key '{unknown[0]}' in funder_target (known: "
                         f"{', '.join(FUNDER_TARGET_KEYS)})", path)
    share = value.get("share")
    if share is not None:
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
            raise StudyError(f"funder_target share must be a share between 0 and 1 (excluded), "
                             f"such as 0.5 for 50%, not '{share}'", path)
        share = float(share)
    months = value.get("months", 6)
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 60:
        raise StudyError(f"funder_target months must be a whole number of months from 1 to 60, "
                         f"not '{months}'", path)
    label = value.get("label")
    label = None if label in (None, "") else _text(label, "label", path)
    return FunderTarget(share, months, label)


def _outcomes(value: object, path: Path) -> Outcomes:
    """``outcomes``: which exit_status values mean employment, training, dropout and
    still in the programme, and the job-search dimension; unset keys keep their default."""
    if value is None:
        return Outcomes()
    if not isinstance(value, dict):
        raise StudyError("outcomes must map employment, training, dropout and ongoing to "
                         "lists of exit_status values, as in {employment: [emploi, CDI]}", path)
    unknown = sorted(set(map(str, value)) - set(OUTCOME_KEYS))
    if unknown:
        raise StudyError(f"unknown key '{unknown[0]}' in outcomes (known: "
                         f"{', '.join(OUTCOME_KEYS)})", path)
    lists: dict[str, tuple[str, ...]] = {}
    for name in OUTCOME_CATEGORIES:
        if name not in value:
            continue
        values = value[name]
        if values is None:
            values = []
        if isinstance(values, (str, int, float)) and not isinstance(values, bool):
            values = [values]
        if not isinstance(values, list) or not all(
                isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
            raise StudyError(f"outcomes {name} must be a list of exit_status values", path)
        lists[name] = tuple(str(v).strip() for v in values if str(v).strip())
    seen: dict[str, str] = {}
    for name, statuses in lists.items():
        for status in statuses:
            folded = " ".join(status.split()).casefold()
            if folded in seen and seen[folded] != name:
                raise StudyError(f"outcomes: exit status '{status}' is listed under both "
                                 f"{seen[folded]} and {name}", path)
            seen[folded] = name
    # A default list (emploi, formation...) loses the values given under another key.
    default = Outcomes()
    for name in OUTCOME_CATEGORIES:
        if name not in lists:
            lists[name] = tuple(v for v in getattr(default, name)
                                if " ".join(v.split()).casefold() not in seen)
    outcomes = Outcomes(**lists)
    dimension = value.get("job_search_dimension")
    if dimension not in (None, ""):
        from dataclasses import replace

        outcomes = replace(outcomes, job_search_dimension=_text(dimension,
                                                                "job_search_dimension", path))
    return outcomes
