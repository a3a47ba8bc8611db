"""The demo study: synthetic, shaped like the real one, with the real mess.

By default 309 candidates: 160 answer only at entry (T1), 111 at entry and
mid-course (T1+T2), 38 at all three moments, as in the real evaluation. The
questionnaire has 30 items in 6 dimensions on a 5-point agreement scale, one
negatively worded (reverse) item per dimension. Candidates improve modestly
(about 0.25 SD at T2 and 0.45 SD at T3), and those with lower baseline scores
are more likely to drop out.

The three exports carry what real exports carry:

* ``exports/T1_entree.csv``: French Excel CSV (``;``, Windows-1252), text
  labels in irregular case and spacing, "Ne sait pas", empty cells, exact
  duplicate rows, a row without id, a second, partial questionnaire of one
  candidate, a typo in a label.
* ``exports/T2_mi-parcours.xlsx``: a workbook (sheet "Réponses") with numeric
  codes, other column names (mapped by ``rename`` in ``study.yml``), "NSP",
  ids in other case, a duplicate, a value outside the scale.
* ``exports/T3_sortie.csv``: a survey tool's UTF-8 CSV with a BOM, ``,``
  delimiter and ISO time stamps.

The registry (``registry.csv``) holds entry and exit dates, the exit status,
the covariates and the outcome six months after exit: ``employment_6m``
(oui / non in mixed case, unknown for about a quarter of the candidates who
left: an empty cell, "inconnu", "Ne sait pas", and one unreadable "à vérifier")
with the day it was checked (``outcome_date``), known only once the six-month
point has passed. Employment goes with progress in the job-search dimension
("Recherche d'emploi") and with an exit into employment.

``study.yml`` records two changes: on 2024-03-01 the exit questionnaire is
filled in at the last interview (kind ``collection``: more T3 answers after
it), and on 2024-01-01 the selection of candidates stops (kind ``selection``:
candidates entering after it start lower, with lower diplomas, and find work
less often), with the funder's target of 50% in employment six months after
exit.

Everything is drawn from one seeded random generator: the same seed gives the
same files, byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from impactlib.stable_xlsx import write_stable_xlsx

__all__ = ["write_demo", "DIMENSIONS", "SCALE_LABELS", "REAL_PATTERNS"]

REAL_PATTERNS = {"T1": 160, "T1+T2": 111, "T1+T2+T3": 38}
SCALE_LABELS = ["Pas du tout d'accord", "Pas d'accord", "Ni d'accord ni pas d'accord",
                "D'accord", "Tout à fait d'accord"]
# (text, reverse) per dimension; the reverse item is worded negatively.
DIMENSIONS = {
    "Confiance en soi": [
        ("Je me sens capable de réussir ce que j'entreprends.", False),
        ("Je connais mes qualités et je peux en parler.", False),
        ("Je doute souvent de moi face à un employeur.", True),
        ("Je me sens à l'aise pour prendre la parole en groupe.", False),
        ("Je suis fier(e) de ce que j'ai déjà accompli.", False)],
    "Projet professionnel": [
        ("Je sais quel métier je veux exercer.", False),
        ("Je connais les étapes pour atteindre mon objectif professionnel.", False),
        ("Mon projet professionnel me paraît flou.", True),
        ("Je connais les formations utiles pour mon projet.", False),
        ("Mon projet tient compte de mes contraintes (garde, mobilité, santé).", False)],
    "Compétences relationnelles": [
        ("Je travaille facilement avec d'autres personnes.", False),
        ("Je sais demander de l'aide quand j'en ai besoin.", False),
        ("J'ai du mal à gérer un désaccord avec quelqu'un.", True),
        ("Je respecte les règles d'un collectif (horaires, consignes).", False),
        ("Je sais me présenter de manière adaptée à un employeur.", False)],
    "Autonomie et organisation": [
        ("Je sais organiser mes journées.", False),
        ("Je me déplace seul(e) vers un lieu inconnu.", False),
        ("Je gère mes démarches administratives sans aide.", False),
        ("J'oublie souvent mes rendez-vous.", True),
        ("J'utilise un ordinateur ou un smartphone pour mes démarches.", False)],
    "Bien-être": [
        ("Je me sens bien dans ma vie en ce moment.", False),
        ("Je dors et je mange correctement.", False),
        ("Je me sens souvent seul(e).", True),
        ("J'ai des personnes sur qui compter.", False),
        ("Je regarde l'avenir avec confiance.", False)],
    "Recherche d'emploi": [
        ("Je sais où chercher des offres d'emploi.", False),
        ("Mon CV est à jour.", False),
        ("Je sais rédiger une lettre de motivation.", False),
        ("Je me sens prêt(e) pour un entretien d'embauche.", False),
        ("Je me décourage vite quand je ne reçois pas de réponse.", True)],
}
COVARIATES = {
    "Genre": (["Femme", "Homme"], [0.52, 0.48]),
    "Tranche d'âge": (["18-25 ans", "26-35 ans", "36-45 ans", "46 ans et plus"], [0.3, 0.3, 0.25, 0.15]),
    "Niveau de diplôme": (["Primaire", "Secondaire inférieur", "Secondaire supérieur", "Supérieur"],
                          [0.2, 0.35, 0.35, 0.1]),
    "Durée d'inoccupation": (["Moins d'un an", "1 à 2 ans", "Plus de 2 ans"], [0.35, 0.3, 0.35]),
    "Antenne": (["Namur", "Dinant", "Philippeville"], [0.5, 0.3, 0.2]),
}
AS_OF = pd.Timestamp("2025-06-30")
FIRST_ENTRY, LAST_ENTRY = pd.Timestamp("2023-01-09"), pd.Timestamp("2025-03-31")
#: The demo's change to how questionnaires are collected, and how much it helps
#: (added to the latent score that decides who answers T3).
CHANGE_DATE = pd.Timestamp("2024-03-01")
CHANGE_LABEL = "Questionnaire de sortie rempli lors du dernier entretien"
CHANGE_EFFECT = 2.0
#: The demo's change of selection policy: from POLICY_DATE on, almost everyone of
#: the target public enters; entrants start POLICY_SHIFT lower (latent scale),
#: more often without a diploma, and find work less often.
POLICY_DATE = pd.Timestamp("2024-01-01")
POLICY_LABEL = "Fin de la sélection : tout le public cible est accueilli"
POLICY_SHIFT = 0.35
POLICY_DIPLOMA = [0.35, 0.4, 0.2, 0.05]
FUNDER_TARGET = {"share": 0.5, "months": 6, "label": "Emploi 6 mois après la sortie"}


def _pattern_sizes(n: int) -> tuple[int, int, int]:
    total = sum(REAL_PATTERNS.values())
    n3 = round(n * REAL_PATTERNS["T1+T2+T3"] / total)
    n1 = round(n * REAL_PATTERNS["T1"] / total)
    return n1, n - n1 - n3, n3


def write_demo(folder: str | Path, candidates: int = 309, seed: int = 20240601) -> Path:
    """Write the demo study into ``folder`` and return the path of its ``study.yml``.

    Parameters
    ----------
    folder : path
        Created if needed; existing demo files are overwritten.
    candidates : int
        Number of candidates (at least 12); the 160/111/38 proportions are kept.
    seed : int
        Seed of the random generator; recorded in ``study.yml``.
    """
    if candidates < 12:
        raise ValueError("the demo needs at least 12 candidates")
    folder = Path(folder)
    (folder / "exports").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    items = [(f"Q{i + 1:02d}", dim, text, rev)
             for i, (dim, text, rev) in enumerate((d, t, r) for d, lst in DIMENSIONS.items()
                                                  for t, r in lst)]
    codes = np.array([i[0] for i in items])
    dim_of = np.array([list(DIMENSIONS).index(i[1]) for i in items])
    reverse = np.array([i[3] for i in items])
    n_dim, n_items, n = len(DIMENSIONS), len(items), candidates
    n1, n2, n3 = _pattern_sizes(n)

    # People: ids, covariates, entry dates.
    span = (LAST_ENTRY - FIRST_ENTRY).days
    entry = FIRST_ENTRY + pd.to_timedelta(np.sort(rng.integers(0, span, n)), unit="D")
    ids = np.array([f"D{d.year}-{i + 1:04d}" for i, d in enumerate(entry)])
    cov = {name: rng.choice(levels, size=n, p=p) for name, (levels, p) in COVARIATES.items()}

    # Latent levels per dimension: a general factor plus a specific one.
    general = rng.normal(0, 1, n)
    level = 0.6 * general[:, None] + 0.8 * rng.normal(0, 1, (n, n_dim))
    gain = rng.normal(1.0, 0.5, n)           # individual responsiveness
    intercept = rng.normal(0.2, 0.3, n_items)

    # Who stays: lower baseline, more dropout (ranks keep the real counts exact).
    stay2 = np.argsort(-(level.mean(axis=1) + rng.normal(0, 1.0, n)), kind="stable")
    in2 = np.zeros(n, bool)
    in2[stay2[: n2 + n3]] = True
    stay3 = np.argsort(-(np.where(in2, gain + rng.normal(0, 1.0, n), -np.inf)), kind="stable")
    in3 = np.zeros(n, bool)
    in3[stay3[:n3]] = True
    # Candidates still in the programme must be recent: reorder entry dates so.
    order = np.argsort(np.where(in3, 0, np.where(in2, 1, 2)) + rng.uniform(0, 2.5, n), kind="stable")
    entry = pd.DatetimeIndex(np.sort(entry.to_numpy()))[np.argsort(order, kind="stable")]

    # The change of selection policy: who enters from POLICY_DATE on (own stream,
    # so that every other draw stays as it was).
    policy_rng = np.random.default_rng([seed, 2])
    after_policy = np.asarray(entry >= POLICY_DATE)
    level = level - POLICY_SHIFT * after_policy[:, None]
    diploma = policy_rng.choice(COVARIATES["Niveau de diplôme"][0], size=n, p=POLICY_DIPLOMA)
    cov["Niveau de diplôme"] = np.where(after_policy, diploma, cov["Niveau de diplôme"])

    shift = {"T1": 0.0, "T2": 0.25, "T3": 0.45}
    answers = {w: _item_answers(rng, level + s * gain[:, None], dim_of, intercept, reverse)
               for w, s in shift.items()}

    d1 = entry + pd.to_timedelta(rng.integers(0, 15, n), unit="D")
    d2 = entry + pd.to_timedelta(rng.integers(75, 121, n), unit="D")
    d2 = d2.where(d2 <= AS_OF, AS_OF)
    exit_date = entry + pd.to_timedelta(rng.integers(150, 241, n), unit="D")
    # From CHANGE_DATE the exit questionnaire is filled in at the last interview
    # (``changes`` in study.yml): candidates who leave after it answer T3 more
    # often. The T3 respondents are drawn among the T2 ones who have left by
    # AS_OF, favouring exits after the change (noisily), the real counts kept.
    change_rng = np.random.default_rng([seed, 1])
    left = in2 & (exit_date <= AS_OF)
    score = gain + change_rng.normal(0, 1.0, n) + CHANGE_EFFECT * (exit_date >= CHANGE_DATE)
    in3 = np.zeros(n, bool)
    in3[np.argsort(-np.where(left, score, -np.inf), kind="stable")[:n3]] = True
    exit_date = exit_date.where(~in3 | (exit_date <= AS_OF), AS_OF)
    d3 = exit_date - pd.to_timedelta(rng.integers(0, 8, n), unit="D")
    ongoing = (exit_date > AS_OF) & ~in3
    improvement = (answers["T3"] - answers["T1"]).mean(axis=1)
    p_job = np.clip(0.25 + 0.15 * in2 + 0.15 * in3 + 0.2 * improvement, 0.05, 0.9)
    u = rng.uniform(0, 1, n)
    status = np.where(u < p_job, "emploi", np.where(u < p_job + 0.2, "formation", "abandon"))
    status = np.where(ongoing, "en cours", status)
    employment_6m, outcome_date = _six_month_outcomes(
        np.random.default_rng([seed, 3]), answers, dim_of, reverse, in2, in3, status,
        exit_date, ongoing, after_policy)

    _write_codebook(folder / "codebook.xlsx", items)
    registry = pd.DataFrame({"N° dossier": ids,
                             "entry_date": entry.strftime("%d/%m/%Y"),
                             "exit_date": np.where(ongoing, "", exit_date.strftime("%d/%m/%Y")),
                             "exit_status": status, "employment_6m": employment_6m,
                             "outcome_date": outcome_date, **cov})
    registry.to_csv(folder / "registry.csv", sep=";", index=False, encoding="utf-8", lineterminator="\n")

    # T1: French Excel CSV, labels, irregular case and spaces, and the usual mess.
    t1 = _labels(rng, answers["T1"], missing_label="Ne sait pas")
    t1 = pd.DataFrame(t1, columns=codes)
    t1.insert(0, "Antenne", cov["Antenne"])
    t1.insert(0, "Date de passation", d1.strftime("%d/%m/%Y"))
    t1.insert(0, "N° dossier", ids)
    t1.iloc[1, 4] = "D'acord"                       # a typo: an invalid cell
    partial = t1.iloc[[5]].copy()
    partial.iloc[0, 13:] = ""                       # a second, partial questionnaire
    partial.iloc[0, 1] = (d1[5] + pd.Timedelta(days=2)).strftime("%d/%m/%Y")
    empty_id = t1.iloc[[7]].copy()
    empty_id.iloc[0, 0] = ""
    dups = t1.iloc[rng.choice(len(t1), 3, replace=False)]
    t1 = pd.concat([t1, dups, partial, empty_id], ignore_index=True)
    t1 = t1.iloc[rng.permutation(len(t1))].sort_values("Date de passation", key=_dmy, kind="stable")
    t1.to_csv(folder / "exports" / "T1_entree.csv", sep=";", index=False, encoding="cp1252",
              lineterminator="\r\n")

    # T2: workbook with numeric codes and its own column names.
    t2 = pd.DataFrame(_codes(rng, answers["T2"][in2], missing="NSP"),
                      columns=[f"T2_{c}" for c in codes])
    ids2 = ids[in2].copy()
    ids2[::9] = np.char.lower(ids2[::9])            # ids typed in lower case
    t2.insert(0, "Date", d2[in2].to_pydatetime())
    t2.insert(0, "dossier", ids2)
    t2.iloc[2, 5] = 9                                # outside the scale
    t2 = pd.concat([t2, t2.iloc[rng.choice(len(t2), 2, replace=False)]], ignore_index=True)
    _write_xlsx(folder / "exports" / "T2_mi-parcours.xlsx", {"Réponses": t2})

    # T3: a survey tool's UTF-8 CSV, comma, ISO time stamps.
    t3 = pd.DataFrame(_labels(rng, answers["T3"][in3], missing_label="Ne sait pas", tidy=True),
                      columns=codes)
    stamps = d3[in3] + pd.to_timedelta(rng.integers(8 * 3600, 18 * 3600, int(in3.sum())), unit="s")
    t3.insert(0, "Horodateur", stamps.strftime("%Y-%m-%d %H:%M:%S"))
    t3.insert(0, "Identifiant", ids[in3])
    t3 = pd.concat([t3, t3.iloc[[0]]], ignore_index=True)
    t3.to_csv(folder / "exports" / "T3_sortie.csv", index=False, encoding="utf-8-sig",
              lineterminator="\n")

    study = {
        "title": "Démo - questionnaire d'impact social (données fictives)",
        "language": "fr",
        "id_column": "N° dossier",
        "codebook": "codebook.xlsx",
        "min_items_answered": 0.5,
        "covariates": list(COVARIATES),
        "registry": "registry.csv",
        "due_days": {"T2": 120},
        "seed": seed,
        "changes": [{"date": POLICY_DATE.date().isoformat(), "label": POLICY_LABEL,
                     "kind": "selection"},
                    {"date": CHANGE_DATE.date().isoformat(), "label": CHANGE_LABEL,
                     "waves": ["T3"], "kind": "collection"}],
        "funder_target": dict(FUNDER_TARGET),
        "outcomes": {"employment": ["emploi"], "training": ["formation"],
                     "dropout": ["abandon"], "ongoing": ["en cours"],
                     "job_search_dimension": "Recherche d'emploi"},
        "followup_by": "Antenne",
        "waves": [
            {"key": "T1", "label": "Entrée", "file": "exports/T1_entree.csv",
             "date_column": "Date de passation"},
            {"key": "T2", "label": "Mi-parcours", "file": "exports/T2_mi-parcours.xlsx",
             "sheet": "Réponses", "date_column": "Date de passation",
             "rename": {"dossier": "N° dossier", "Date": "Date de passation",
                        **{f"T2_{c}": str(c) for c in codes}}},
            {"key": "T3", "label": "Sortie", "file": "exports/T3_sortie.csv",
             "date_column": "Horodateur", "rename": {"Identifiant": "N° dossier"}},
        ],
    }
    path = folder / "study.yml"
    path.write_text("# Demo study generated by `impactlib demo` (synthetic data).\n"
                    + yaml.safe_dump(study, allow_unicode=True, sort_keys=False, width=100),
                    encoding="utf-8")
    return path


def _six_month_outcomes(rng, answers, dim_of, reverse, in2, in3, status, exit_date, ongoing,
                        after_policy):
    """``employment_6m`` and ``outcome_date`` of the registry (text cells).

    Known only for the candidates who left at least six months before AS_OF.
    The odds of employment rise with an exit into employment, with the
    progress in "Recherche d'emploi" seen from the first to the last
    questionnaire answered, and fall after the change of selection policy;
    about a quarter of the statuses are unknown (more among dropouts), written
    as real registries write them.
    """
    n = len(status)
    point = exit_date + pd.DateOffset(months=FUNDER_TARGET["months"])
    due = ~ongoing & (point <= AS_OF)
    # Answers recoded so that higher is better (reverse items turned round).
    recoded = {w: np.where(reverse[None, :], 6 - a, a) for w, a in answers.items()}
    js = dim_of == list(DIMENSIONS).index("Recherche d'emploi")
    last = np.where(in3[:, None], recoded["T3"], recoded["T2"])
    progress = np.where(in2, (last - recoded["T1"])[:, js].mean(axis=1), 0.0)
    logit = (-0.6 + 2.0 * (status == "emploi") - 0.8 * (status == "abandon")
             + 2.0 * progress - 0.6 * after_policy)
    employed = rng.uniform(0, 1, n) < 1 / (1 + np.exp(-logit))
    p_unknown = np.select([status == "emploi", status == "abandon"], [0.10, 0.40], 0.22)
    unknown = rng.uniform(0, 1, n) < p_unknown
    spelled = {True: ["oui", "Oui", "OUI", "1"], False: ["non", "Non", "NON", "0"]}
    style = rng.integers(0, 4, n)
    said = np.where(employed, np.array(spelled[True], dtype=object)[style],
                    np.array(spelled[False], dtype=object)[style])
    blank = rng.choice(np.array(["", "", "", "inconnu", "Ne sait pas"], dtype=object), n)
    said = np.where(unknown, blank, said)
    lost = np.flatnonzero(due & unknown)
    if len(lost):
        said[lost[0]] = "à vérifier"                    # an unreadable cell
    checked = (point + pd.to_timedelta(rng.integers(0, 31, n), unit="D"))
    checked = checked.where(checked <= AS_OF, AS_OF)
    checked_text = np.where(due & (said != ""), checked.strftime("%d/%m/%Y"), "")
    return np.where(due, said, ""), checked_text


def _item_answers(rng, level, dim_of, intercept, reverse):
    latent = level[:, dim_of]
    y = latent + intercept[None, :] + rng.normal(0, 0.8, latent.shape)
    values = np.digitize(y, [-1.6, -0.6, 0.3, 1.2]) + 1
    return np.where(reverse[None, :], 6 - values, values)


def _dmy(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%d/%m/%Y")


def _holes(rng, shape, p_missing=0.02, p_dont_know=0.02):
    u = rng.uniform(0, 1, shape)
    return u < p_missing, (u >= p_missing) & (u < p_missing + p_dont_know)


def _labels(rng, values, missing_label, tidy=False):
    """Answers as text labels; untidy: irregular case and spaces."""
    labels = np.array(SCALE_LABELS, dtype=object)[values - 1]
    if not tidy:
        style = rng.integers(0, 10, values.shape)
        labels = np.where(style == 0, np.char.upper(labels.astype(str)).astype(object), labels)
        labels = np.where(style == 1, np.char.lower(labels.astype(str)).astype(object), labels)
        labels = np.where(style == 2, ("  " + labels.astype(str) + " ").astype(object), labels)
    empty, dont_know = _holes(rng, values.shape)
    labels = np.where(dont_know, missing_label, labels)
    return np.where(empty, "", labels)


def _codes(rng, values, missing):
    empty, dont_know = _holes(rng, values.shape)
    out = values.astype(object)
    out[dont_know] = missing
    out[empty] = None
    return out


def _write_codebook(path: Path, items) -> None:
    it = pd.DataFrame({"item": [i[0] for i in items], "text": [i[2] for i in items],
                       "dimension": [i[1] for i in items],
                       "scale": "accord5", "reverse": ["oui" if i[3] else "non" for i in items]})
    sc = pd.DataFrame({"scale": "accord5",
                       "value": [1, 2, 3, 4, 5, None, None],
                       "label": SCALE_LABELS + ["Ne sait pas", "NSP"]})
    sc["value"] = sc["value"].astype("Int64")
    _write_xlsx(path, {"items": it, "scales": sc})


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """Write a workbook whose bytes depend only on its content."""
    write_stable_xlsx(path, sheets, day="2025-01-01", creator="impactlib demo")
