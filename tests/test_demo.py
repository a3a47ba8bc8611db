"""The demo study: the real shape (160/111/38), the real mess, deterministic."""

from __future__ import annotations

import hashlib

import pandas as pd

from impactlib.intake.demo import write_demo
from impactlib.intake.processed import clean_study
from impactlib.intake.readers import read_table


def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_reproduces_the_real_patterns(demo_processed):
    counts = demo_processed.candidates["pattern"].value_counts().to_dict()
    assert counts == {"T1": 160, "T1+T2": 111, "T1+T2+T3": 38}
    assert len(demo_processed.questionnaires) == 496
    q = demo_processed.quality
    assert (q["rows_read"] == q["rows_kept"] + q["rows_rejected"] + q["duplicates_dropped"]).all()


def test_demo_carries_the_mess_of_real_exports(demo_study, demo_processed):
    folder = demo_study.parent
    t1 = read_table(folder / "exports" / "T1_entree.csv")
    assert (t1.encoding, t1.delimiter) == ("cp1252", ";")
    t2 = read_table(folder / "exports" / "T2_mi-parcours.xlsx", "Réponses")
    assert "dossier" in t2.data.columns and "T2_Q01" in t2.data.columns
    assert set(t2.data["T2_Q01"]) <= {"1", "2", "3", "4", "5", "NSP", ""}
    t3 = read_table(folder / "exports" / "T3_sortie.csv")
    assert (t3.encoding, t3.delimiter) == ("utf-8-sig", ",")
    q = demo_processed.quality.set_index("wave")
    assert q["duplicates_dropped"].sum() >= 3 and q["rows_rejected"].sum() >= 2
    assert q["cells_invalid"].sum() >= 2
    status = demo_processed.responses["status"].value_counts()
    assert status["dont_know"] > 0 and status["missing"] > 0
    labels = set(t1.data["Q01"])
    assert any(l.isupper() for l in labels) and any(l != l.strip() for l in labels)
    cand = demo_processed.candidates
    assert set(cand["exit_status"]) == {"emploi", "formation", "abandon", "en cours"}
    assert cand["Antenne"].notna().all()
    items = demo_processed.items
    assert len(items) == 30 and items["dimension"].nunique() == 6 and items["reverse"].sum() == 6


def test_demo_is_deterministic_for_a_seed(tmp_path):
    a = write_demo(tmp_path / "a", candidates=60, seed=7).parent
    b = write_demo(tmp_path / "b", candidates=60, seed=7).parent
    c = write_demo(tmp_path / "c", candidates=60, seed=8).parent
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_demo_scales_with_the_number_of_candidates(tmp_path):
    p = clean_study(write_demo(tmp_path / "big", candidates=1000, seed=1))
    counts = p.candidates["pattern"].value_counts()
    assert counts.sum() == 1000
    assert counts["T1+T2+T3"] == round(1000 * 38 / 309)
    assert counts["T1"] == round(1000 * 160 / 309)


def test_demo_true_change_is_modest_and_positive(demo_processed):
    s = demo_processed.scores.dropna(subset=["score"])
    wide = s.pivot_table(index=["candidate", "dimension"], columns="wave", values="score",
                         observed=True)
    diff = (wide["T3"] - wide["T1"]).dropna()
    assert 0 < diff.mean() < 1.5
