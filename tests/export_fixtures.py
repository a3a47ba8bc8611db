"""Synthetic exports shaped like each survey tool's, for ``impactlib init``.

Usage::

    python tests/export_fixtures.py DIR [NAME ...]

writes one folder per fixture under ``DIR`` (all of them by default), each
holding only exports: no ``study.yml``, no codebook, until ``impactlib init``
drafts them. Everything comes from one ``numpy.random.default_rng(SEED)``:
the same seed gives the same answers (and the same bytes for the text
exports). Never real data.

The questionnaire (the same in every fixture):

* 30 candidates; T1 (entry) 30, T2 (mid-course) 20, T3 (exit) 14: patterns
  T1 8, T1+T2 8, T1+T2+T3 12, T1+T3 2 (:data:`PATTERNS`);
* 8 items in 2 sections of 4 ("Confiance en soi", "Recherche d'emploi"),
  the third of each worded negatively (reverse-keyed);
* a 5-point French agreement scale, "Pas du tout d'accord" .. "Tout à fait
  d'accord", with "Ne sait pas" (about 4 %) and empty cells (about 3 %).

The fixtures, and what each follows:

``google_forms``
    Google Forms' "Download responses (.csv)", one form per moment
    (``Questionnaire d'impact - Entrée.csv``...): comma-delimited UTF-8, a
    French ``Horodateur`` first with Google's CSV time stamp
    (``2025/03/01 10:15:00 AM GMT+1``), ``Adresse e-mail`` when the form
    collects addresses, then one column per question titled with its text;
    a grid ("multiple-choice grid") gives one column per row titled
    ``Grid title [Row text]``, so the grid titles are the sections. Answers
    are the labels.
``microsoft_forms``
    Microsoft Forms' "Open in Excel" workbook, one form per moment
    (``Questionnaire T1(1-30).xlsx``...), sheet ``Sheet1``: ``ID``,
    ``Heure de début``, ``Heure de fin`` (date-time cells),
    ``Adresse de messagerie``, ``Nom``, then one column per question titled
    with its text (a Likert question gives one column per statement); no
    sections. Answers are the labels.
``limesurvey``
    LimeSurvey's "Export results" to CSV (``results-survey<sid>.csv``, one
    survey per moment, file names saying nothing of the moment): headings
    "Question code", responses "Full answers", comma-delimited, every field
    quoted; the response table's own columns ``id``, ``submitdate``,
    ``lastpage``, ``startlanguage``, ``seed``, ``startdate``, ``datestamp``;
    a free-text question ``NUMDOSSIER``; array questions ``G01Q02`` and
    ``G02Q03`` whose sub-questions give ``G01Q02[SQ001]`` headers (the group
    code is the section). Two incomplete responses at T1 (``submitdate``
    empty, ``lastpage`` 1).
``kobo``
    KoboToolbox's XLS export ("Labels", "Include groups in headers", group
    separator ``/``), one form per moment
    (``Questionnaire_entree_-_latest_version_-_labels_-_2025-09-30.xlsx``...):
    ``start``, ``end``, the questions as ``Group label/Question label``, then
    ``_id``, ``_uuid``, ``_submission_time`` (ISO text), ``_validation_status``,
    ``_notes``, ``_status``, ``_submitted_by``, ``__version__``, ``_tags``,
    ``_index``.
``workbook_sheets``
    An evaluator's own workbook ``Suivi questionnaires.xlsx``, one sheet per
    moment (``Entrée``, ``Mi-parcours``, ``Sortie``): ``N° dossier``,
    ``Nom``, ``Date`` (date cells), then the questions as short texts with
    the answers typed as numbers 1 to 5 (no sections).
``workbook_moment``
    The same, one sheet with a ``Moment`` column (``Entrée``,
    ``Mi-parcours``, ``Sortie``), rows of all moments mixed.
``workbook_wide``
    One row per candidate: ``N° dossier``, ``Nom``, then ``T1_Date``,
    ``T1_Q1`` .. ``T1_Q8``, ``T2_...``, ``T3_...`` (item codes as headers,
    numbers as answers); a moment not answered is left empty.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from impactlib.stable_xlsx import write_stable_xlsx

__all__ = ["SEED", "FIXTURES", "PATTERNS", "ITEMS", "SECTIONS", "LABELS", "DONT_KNOW",
           "truth", "write_fixture", "write_all"]

SEED = 20251130
N = 30
PATTERNS = {"T1": 8, "T1+T2": 8, "T1+T2+T3": 12, "T1+T3": 2}
SECTIONS = ["Confiance en soi", "Recherche d'emploi"]
# (section, text, reverse-keyed)
ITEMS = [
    (0, "Je me sens capable de réussir ce que j'entreprends.", False),
    (0, "Je connais mes qualités et je peux en parler.", False),
    (0, "Je doute souvent de moi face à un employeur.", True),
    (0, "Je suis fier(e) de ce que j'ai déjà accompli.", False),
    (1, "Je sais où chercher des offres d'emploi.", False),
    (1, "Mon CV est à jour.", False),
    (1, "Je me décourage vite quand je ne reçois pas de réponse.", True),
    (1, "Je me sens prêt(e) pour un entretien d'embauche.", False),
]
LABELS = ["Pas du tout d'accord", "Pas d'accord", "Ni d'accord ni pas d'accord",
          "D'accord", "Tout à fait d'accord"]
DONT_KNOW = "Ne sait pas"
WAVES = ["T1", "T2", "T3"]
FIRST_NAMES = ["Alex", "Camille", "Dominique", "Sacha", "Charlie", "Noa", "Maxime", "Lou"]
LAST_NAMES = ["Martin", "Dubois", "Peeters", "Janssens", "Lambert", "Dupont", "Claes", "Mertens"]


def truth(seed: int = SEED) -> dict:
    """The answers behind every fixture.

    Returns
    -------
    dict
        ``ids`` (30 dossier numbers), ``names``, ``emails``, ``present``
        (wave -> boolean array), ``dates`` (wave -> DatetimeIndex of the
        answer time stamps), ``values`` (wave -> 30 x 8 array: 1..5, 0 for
        "Ne sait pas", -1 for an empty cell; the value answered, before any
        reverse-keying).
    """
    rng = np.random.default_rng(seed)
    ids = np.array([f"2025-{101 + i:04d}" for i in range(N)])
    names = np.array([f"{FIRST_NAMES[i % 8]} {LAST_NAMES[(i * 3) % 8]}" for i in range(N)])
    emails = np.array([n.lower().replace(" ", ".") + "@example.org" for n in names])
    order = rng.permutation(N)
    n1, n12, n123, n13 = (PATTERNS[p] for p in ("T1", "T1+T2", "T1+T2+T3", "T1+T3"))
    present = {w: np.zeros(N, bool) for w in WAVES}
    present["T1"][:] = True
    present["T2"][order[n1: n1 + n12 + n123]] = True
    present["T3"][order[n1 + n12:]] = True
    entry = pd.Timestamp("2025-01-06") + pd.to_timedelta(np.sort(rng.integers(0, 80, N)), unit="D")
    seconds = [pd.to_timedelta(rng.integers(9 * 3600, 17 * 3600, N), unit="s") for _ in range(3)]
    dates = {"T1": entry + seconds[0],
             "T2": entry + pd.to_timedelta(rng.integers(85, 100, N), unit="D") + seconds[1],
             "T3": entry + pd.to_timedelta(rng.integers(170, 190, N), unit="D") + seconds[2]}
    level = rng.normal(0, 1, (N, 2))
    reverse = np.array([r for _, _, r in ITEMS])
    section = np.array([s for s, _, _ in ITEMS])
    values = {}
    for j, w in enumerate(WAVES):
        latent = level[:, section] + 0.35 * j + rng.normal(0, 0.7, (N, len(ITEMS)))
        v = np.digitize(latent, [-1.3, -0.4, 0.4, 1.3]) + 1
        v = np.where(reverse, 6 - v, v)
        u = rng.uniform(0, 1, v.shape)
        v = np.where(u < 0.04, 0, np.where(u < 0.07, -1, v))
        v[:, 0] = np.where(v[:, 0] <= 0, 3, v[:, 0])   # every questionnaire answers item 1
        values[w] = v
    return {"ids": ids, "names": names, "emails": emails, "present": present,
            "dates": dates, "values": values}


def _labels(v: np.ndarray) -> np.ndarray:
    lab = np.array([""] + LABELS, dtype=object)[np.clip(v, 0, 5)]
    lab = np.where(v == 0, DONT_KNOW, lab)
    return np.where(v < 0, "", lab)


def _numbers(v: np.ndarray) -> np.ndarray:
    out = v.astype(object)
    out[v == 0] = DONT_KNOW
    out[v < 0] = None
    return out


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """A workbook whose bytes depend only on its content."""
    write_stable_xlsx(path, sheets, day="2025-01-01", creator="impactlib tests")


def _google_stamp(t: pd.DatetimeIndex) -> list[str]:
    # Google Forms' CSV: year first, 12-hour clock, the form's zone offset.
    return [f"{x:%Y/%m/%d} {(x.hour % 12) or 12:02d}:{x:%M:%S} {'AM' if x.hour < 12 else 'PM'} "
            f"GMT+{1 if x.month in (1, 2, 3, 11, 12) else 2}" for x in t]


def google_forms(folder: Path, t: dict) -> None:
    names = {"T1": "Entrée", "T2": "Mi-parcours", "T3": "Sortie"}
    for w in WAVES:
        p = t["present"][w]
        order = np.argsort(t["dates"][w][p].to_numpy(), kind="stable")
        frame = pd.DataFrame({
            "Horodateur": np.array(_google_stamp(t["dates"][w][p]))[order],
            "Adresse e-mail": t["emails"][p][order],
            "Numéro de dossier": t["ids"][p][order]})
        lab = _labels(t["values"][w][p])[order]
        for j, (s, text, _) in enumerate(ITEMS):
            frame[f"{SECTIONS[s]} [{text}]"] = lab[:, j]
        frame.to_csv(folder / f"Questionnaire d'impact - {names[w]}.csv", index=False,
                     encoding="utf-8", lineterminator="\n")


def microsoft_forms(folder: Path, t: dict) -> None:
    for w in WAVES:
        p = t["present"][w]
        order = np.argsort(t["dates"][w][p].to_numpy(), kind="stable")
        start = t["dates"][w][p][order]
        frame = pd.DataFrame({
            "ID": np.arange(1, p.sum() + 1),
            "Heure de début": start.to_pydatetime(),
            "Heure de fin": (start + pd.Timedelta(minutes=7)).to_pydatetime(),
            "Adresse de messagerie": t["emails"][p][order],
            "Nom": t["names"][p][order],
            "Votre numéro de dossier": t["ids"][p][order]})
        lab = _labels(t["values"][w][p])[order]
        for j, (_, text, _) in enumerate(ITEMS):
            frame[text] = lab[:, j]
        _write_xlsx(folder / f"Questionnaire {w}(1-{int(p.sum())}).xlsx", {"Sheet1": frame})


def limesurvey(folder: Path, t: dict) -> None:
    codes = [f"G01Q02[SQ{j + 1:03d}]" for j in range(4)] + \
            [f"G02Q03[SQ{j + 1:03d}]" for j in range(4)]
    for k, w in enumerate(WAVES):
        p = t["present"][w]
        order = np.argsort(t["dates"][w][p].to_numpy(), kind="stable")
        end = t["dates"][w][p][order]
        n = int(p.sum())
        submit = pd.Series(end.strftime("%Y-%m-%d %H:%M:%S"))
        lastpage = np.full(n, "2", dtype=object)
        ids = t["ids"][p][order]
        lab = _labels(t["values"][w][p])[order]
        frame = pd.DataFrame({
            "id": np.arange(1, n + 1).astype(str), "submitdate": submit,
            "lastpage": lastpage, "startlanguage": "fr",
            "seed": [str(100000 + 7919 * i % 900000) for i in range(n)],
            "startdate": (end - pd.Timedelta(minutes=6)).strftime("%Y-%m-%d %H:%M:%S"),
            "datestamp": submit, "NUMDOSSIER": ids})
        for j, code in enumerate(codes):
            frame[code] = lab[:, j]
        if w == "T1":  # two questionnaires started and never submitted
            extra = frame.iloc[[3, 10]].copy()
            extra["submitdate"] = ""
            extra["lastpage"] = "1"
            extra.loc[:, codes[4:]] = ""
            extra["id"] = [str(n + 1), str(n + 2)]
            frame = pd.concat([frame, extra], ignore_index=True)
        frame.to_csv(folder / f"results-survey{[482913, 517264, 639851][k]}.csv", index=False,
                     encoding="utf-8", lineterminator="\n", quoting=1)


def kobo(folder: Path, t: dict) -> None:
    files = {"T1": "entree", "T2": "mi-parcours", "T3": "sortie"}
    for w in WAVES:
        p = t["present"][w]
        order = np.argsort(t["dates"][w][p].to_numpy(), kind="stable")
        end = t["dates"][w][p][order]
        n = int(p.sum())
        frame = pd.DataFrame({
            "start": (end - pd.Timedelta(minutes=9)).strftime("%Y-%m-%dT%H:%M:%S.000+01:00"),
            "end": end.strftime("%Y-%m-%dT%H:%M:%S.000+01:00"),
            "Identification/Numéro de dossier": t["ids"][p][order]})
        lab = _labels(t["values"][w][p])[order]
        for j, (s, text, _) in enumerate(ITEMS):
            frame[f"{SECTIONS[s]}/{text}"] = lab[:, j]
        frame["_id"] = np.arange(1, n + 1) + 1000 * WAVES.index(w)
        frame["_uuid"] = [f"{w.lower()}{i:04x}-5c1e-4d2a-9f3b-{i:012x}" for i in range(n)]
        frame["_submission_time"] = (end + pd.Timedelta(minutes=1) - pd.Timedelta(hours=1)
                                     ).strftime("%Y-%m-%dT%H:%M:%S")
        frame["_validation_status"] = ""
        frame["_notes"] = ""
        frame["_status"] = "submitted_via_web"
        frame["_submitted_by"] = ""
        frame["__version__"] = "vQ8mZr3nKfd2aX"
        frame["_tags"] = ""
        frame["_index"] = np.arange(1, n + 1)
        name = f"Questionnaire_{files[w]}_-_latest_version_-_labels_-_2025-09-30-08-00-00.xlsx"
        _write_xlsx(folder / name, {f"Questionnaire {files[w]}"[:31]: frame})


SHORT = ["Capable de réussir", "Connaît ses qualités", "Doute face à un employeur",
         "Fier(e) de ce qui est accompli", "Sait où chercher des offres", "CV à jour",
         "Se décourage sans réponse", "Prêt(e) pour un entretien"]


def _own_sheet(t: dict, w: str) -> pd.DataFrame:
    p = t["present"][w]
    frame = pd.DataFrame({"N° dossier": t["ids"][p], "Nom": t["names"][p],
                          "Date": t["dates"][w][p].normalize().to_pydatetime()})
    num = _numbers(t["values"][w][p])
    for j, text in enumerate(SHORT):
        frame[text] = num[:, j]
    return frame


def workbook_sheets(folder: Path, t: dict) -> None:
    _write_xlsx(folder / "Suivi questionnaires.xlsx",
                {"Entrée": _own_sheet(t, "T1"), "Mi-parcours": _own_sheet(t, "T2"),
                 "Sortie": _own_sheet(t, "T3")})


def workbook_moment(folder: Path, t: dict) -> None:
    moments = {"T1": "Entrée", "T2": "Mi-parcours", "T3": "Sortie"}
    parts = []
    for w in WAVES:
        frame = _own_sheet(t, w)
        frame.insert(1, "Moment", moments[w])
        parts.append(frame)
    rows = pd.concat(parts, ignore_index=True).sort_values(["Date", "N° dossier"], kind="stable")
    _write_xlsx(folder / "Suivi questionnaires.xlsx", {"Réponses": rows})


def workbook_wide(folder: Path, t: dict) -> None:
    frame = pd.DataFrame({"N° dossier": t["ids"], "Nom": t["names"]})
    for w in WAVES:
        p = t["present"][w]
        frame[f"{w}_Date"] = np.where(p, t["dates"][w].strftime("%d/%m/%Y"), "")
        num = _numbers(t["values"][w])
        for j in range(len(ITEMS)):
            frame[f"{w}_Q{j + 1}"] = np.where(p, num[:, j], None)
    _write_xlsx(folder / "Suivi par candidat.xlsx", {"Candidats": frame})


FIXTURES = {"google_forms": google_forms, "microsoft_forms": microsoft_forms,
            "limesurvey": limesurvey, "kobo": kobo, "workbook_sheets": workbook_sheets,
            "workbook_moment": workbook_moment, "workbook_wide": workbook_wide}


def write_fixture(name: str, folder: str | Path, seed: int = SEED) -> Path:
    """Write the exports of fixture ``name`` into ``folder`` (created) and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    FIXTURES[name](folder, truth(seed))
    return folder


def write_all(root: str | Path, names=None) -> dict[str, Path]:
    """Write every fixture (or ``names``) into ``root/<name>/``."""
    root = Path(root)
    return {n: write_fixture(n, root / n) for n in (names or FIXTURES)}


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python tests/export_fixtures.py DIR [NAME ...]")
    for name, path in write_all(sys.argv[1], sys.argv[2:] or None).items():
        print(path)
