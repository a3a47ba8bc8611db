"""Write the synthetic study of the R cross-check (tests/test_against_r.py).

Usage::

    python tests/r_reference/make_study.py DIR

writes ``DIR/study.yml``, ``DIR/codebook/{items,scales}.csv`` and
``DIR/exports/{T1,T2,T3}.csv``. Everything comes from one
``numpy.random.default_rng(SEED)``: the same seed gives the same bytes.

The study (clean on purpose: this study checks the statistics, not the
ingestion rules):

* 20 items ``Q01``..``Q20`` in 4 dimensions of 5 items, 10 of them
  reverse-keyed, on a 4-point scale ("Pas du tout" 1 .. "Tout à fait" 4)
  with "Je ne sais pas" as a missing-value label;
* 309 candidates: 160 answer at T1 only, 111 at T1 and T2, 38 at T1, T2
  and T3; a modest improvement (about 0.25 SD at T2, 0.45 SD at T3);
* about 3 % empty cells and 2 % "Je ne sais pas" (every questionnaire keeps
  at least one answered item, so no row is rejected);
* T1: UTF-8 ``;`` CSV with labels; T2: ``;`` CSV with numeric codes
  ("Je ne sais pas" written as the label); T3: ``;`` CSV with labels. Rows of
  each export are shuffled, so linking goes through the ids.
* ``min_items_answered: 0.6`` (3 answered items of 5 for a score).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

SEED = 20250317
N_T1_ONLY, N_T1_T2, N_T1_T2_T3 = 160, 111, 38
P_EMPTY, P_DONT_KNOW = 0.03, 0.02
MIN_ITEMS_ANSWERED = 0.6

DIMENSIONS = ["Confiance en soi", "Relations sociales", "Projet professionnel", "Bien-être"]
# (text, reverse) per item, 5 per dimension in DIMENSIONS order.
ITEMS = [
    ("Je me sens capable de trouver un emploi.", False),
    ("J'ai peur de ne pas être à la hauteur.", True),
    ("Je connais mes points forts.", False),
    ("Je doute de moi quand je dois me présenter, même à l'oral.", True),
    ("Je me décourage facilement après un refus.", True),
    ("Je peux compter sur des personnes de mon entourage.", False),
    ("Je me sens seul(e) dans mes démarches.", True),
    ("Je parle facilement avec des personnes que je ne connais pas.", False),
    ("J'évite les situations où je dois parler en groupe.", True),
    ("Je sais demander de l'aide quand j'en ai besoin.", False),
    ("J'ai une idée claire du métier que je veux exercer.", False),
    ("Je ne sais pas par où commencer pour chercher un emploi.", True),
    ("Mon projet professionnel me paraît irréaliste.", True),
    ("Je sais rédiger un CV et une lettre de motivation.", False),
    ("Je me sens perdu(e) face aux offres d'emploi.", True),
    ("Je me sens bien dans ma vie en ce moment.", False),
    ("J'ai de l'énergie pour mes démarches.", False),
    ("Je suis souvent stressé(e).", True),
    ("Je dors bien.", False),
    ("Je me sens découragé(e) en fin de semaine.", True),
]
LABELS = ["Pas du tout", "Plutôt pas", "Plutôt", "Tout à fait"]  # values 1..4
DONT_KNOW = "Je ne sais pas"
WAVES = ["T1", "T2", "T3"]
SHIFT = {"T1": 0.0, "T2": 0.25, "T3": 0.45}
ID_COLUMN = "Identifiant"
DATE_COLUMN = "Date de passation"


def _write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_study(folder: str | Path, seed: int = SEED) -> Path:
    """Write the study into ``folder`` (created) and return its ``study.yml``."""
    folder = Path(folder)
    (folder / "exports").mkdir(parents=True, exist_ok=True)
    (folder / "codebook").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    codes = [f"Q{i + 1:02d}" for i in range(len(ITEMS))]
    dim_of = np.repeat(np.arange(len(DIMENSIONS)), 5)
    reverse = np.array([r for _, r in ITEMS])
    n_items = len(ITEMS)
    n = N_T1_ONLY + N_T1_T2 + N_T1_T2_T3

    # Candidates, in a random order of pattern.
    ids = np.array([f"C{i + 1:04d}" for i in range(n)])
    waves_of = np.array([1] * N_T1_ONLY + [2] * N_T1_T2 + [3] * N_T1_T2_T3)
    waves_of = waves_of[rng.permutation(n)]
    entry = np.datetime64("2024-01-08") + rng.integers(0, 300, n).astype("timedelta64[D]")

    # Latent level per dimension (general + specific factor), individual gain.
    general = rng.normal(0.0, 1.0, n)
    level = 0.6 * general[:, None] + 0.8 * rng.normal(0.0, 1.0, (n, len(DIMENSIONS)))
    gain = rng.normal(1.0, 0.5, n)
    loading = rng.uniform(0.8, 1.4, n_items)
    intercept = rng.normal(0.3, 0.3, n_items)
    thresholds = np.array([-1.0, 0.0, 1.0])

    scale_values = np.arange(1, len(LABELS) + 1)
    header = [ID_COLUMN, DATE_COLUMN] + codes
    for k, wave in enumerate(WAVES):
        who = np.flatnonzero(waves_of >= k + 1)
        latent = (loading * (level[who][:, dim_of] + SHIFT[wave] * gain[who, None])
                  + intercept + rng.normal(0.0, 0.9, (who.size, n_items)))
        value = 1 + (latent[:, :, None] > thresholds).sum(axis=2)       # recoded, 1..4
        raw = np.where(reverse, scale_values.min() + scale_values.max() - value, value)
        u = rng.uniform(size=raw.shape)
        empty = u < P_EMPTY
        dont_know = (u >= P_EMPTY) & (u < P_EMPTY + P_DONT_KNOW)
        # Keep at least one answered item per questionnaire.
        none = ~(~empty & ~dont_know).any(axis=1)
        empty[none, 0] = dont_know[none, 0] = False
        days = entry[who] + np.timedelta64(150 * k, "D") + rng.integers(0, 30, who.size).astype(
            "timedelta64[D]")
        rows = []
        for r in range(who.size):
            date = str(days[r])
            date = f"{date[8:10]}/{date[5:7]}/{date[:4]}" if wave != "T2" else date
            cells = []
            for j in range(n_items):
                if empty[r, j]:
                    cells.append("")
                elif dont_know[r, j]:
                    cells.append(DONT_KNOW)
                elif wave == "T2":
                    cells.append(str(int(raw[r, j])))
                else:
                    cells.append(LABELS[raw[r, j] - 1])
            rows.append([ids[who[r]], date] + cells)
        order = rng.permutation(len(rows))
        _write_csv(folder / "exports" / f"{wave}.csv", header, [rows[i] for i in order], ";")

    _write_csv(folder / "codebook" / "items.csv", ["item", "text", "dimension", "scale", "reverse"],
               [[c, t, DIMENSIONS[d], "accord4", "oui" if r else "non"]
                for c, (t, r), d in zip(codes, ITEMS, dim_of)], ",")
    _write_csv(folder / "codebook" / "scales.csv", ["scale", "value", "label"],
               [["accord4", str(v), lab] for v, lab in zip(scale_values, LABELS)]
               + [["accord4", "", DONT_KNOW]], ",")

    lines = [
        'title: "Contrôle croisé R - étude synthétique"',
        "language: fr",
        f'id_column: "{ID_COLUMN}"',
        "codebook: codebook",
        f"min_items_answered: {MIN_ITEMS_ANSWERED}",
        "waves:",
    ]
    for wave, label in zip(WAVES, ["Entrée", "Mi-parcours", "Sortie"]):
        lines += [f"  - key: {wave}", f'    label: "{label}"', f"    file: exports/{wave}.csv",
                  f'    date_column: "{DATE_COLUMN}"']
    path = folder / "study.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def input_files(folder: str | Path) -> list[Path]:
    """The files of the study, as recorded in ``expected/inputs.md5``."""
    folder = Path(folder)
    return [folder / p for p in ("study.yml", "codebook/items.csv", "codebook/scales.csv",
                                 "exports/T1.csv", "exports/T2.csv", "exports/T3.csv")]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/r_reference/make_study.py DIR")
    print(write_study(sys.argv[1]))
