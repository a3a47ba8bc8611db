"""Which sentence says what: the choices of impactlib.report.narrative, checked by hand."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from impactlib.report import narrative
from impactlib.report.i18n import Translator


@pytest.mark.parametrize("low, high, expected", [
    (0.1, 0.5, "improved"), (-0.5, -0.1, "worsened"), (-0.1, 0.3, "unclear"),
    (0.0, 0.3, "unclear"),            # touching zero is not shown to differ from zero
    (np.nan, np.nan, "unclear")])
def test_classify_change(low, high, expected):
    assert narrative.classify_change(low, high) == expected


def _view(results, lang="fr"):
    study = SimpleNamespace(waves=[SimpleNamespace(key="T1", label="Entrée"),
                                   SimpleNamespace(key="T2", label="Sortie")],
                            wave_keys=["T1", "T2"], due_days={})
    view = SimpleNamespace(results=results, tr=Translator(lang), study=study,
                           waves=["T1", "T2"])
    view.label = lambda w: {"T1": "Entrée", "T2": "Sortie"}[str(w)]
    view.t = view.tr.t
    return view


def _results():
    model = pd.DataFrame({"dimension": ["A", "B", "C"], "from_wave": "T1", "to_wave": "T2",
                          "estimate": [0.5, -0.4, 0.1], "ci_low": [0.2, -0.7, -0.2],
                          "ci_high": [0.8, -0.1, 0.4], "n_candidates": [40, 40, 40]})
    completers = model.rename(columns={"estimate": "mean_diff"}).assign(
        ci_low=[0.1, -0.6, 0.05], ci_high=[0.9, -0.2, 0.5])          # C: up instead of unclear
    rci = pd.DataFrame({"dimension": ["A", "B", "C"], "from_wave": "T1", "to_wave": "T2",
                        "pct_reliable_improvement": [25.0, 5.0, 10.0]})
    power = pd.DataFrame({"from_wave": ["T1"], "to_wave": ["T2"], "n_pairs": [20],
                          "mdes": [0.6604], "n_for_d_0.3": [90], "entrants_for_d_0.3": [180]})
    funnel = pd.DataFrame({"wave": ["T1", "T2"], "n_candidates": [40, 20],
                           "retention_from_first": [1.0, 0.5]})
    attrition = pd.DataFrame({"kind": ["dimension", "dimension", "covariate"],
                              "smd": [0.3, 0.5, 2.0], "suppressed": [False, False, False]})
    return {"dimension_model": model, "completers_change": completers, "imputed_change": model,
            "rci": rci, "power": power, "funnel": funnel, "attrition": attrition}


def test_change_sentences_say_up_down_or_cannot_conclude():
    s = narrative.change_sentences(_view(_results()), "T1", "T2")
    assert s[0].startswith("**A** : amélioration de 0,50 point (marge : 0,20 à 0,80), 25\u00a0%")
    assert s[1].startswith("**B** : baisse de 0,40 point")
    assert "pas d'évolution démontrée" in s[2] and "ne permet pas de conclure" in s[2]


def test_sample_text_uses_the_power_table():
    text = narrative.sample_text(_view(_results()), "T1", "T2")
    assert "20 candidats" in text and "0,66 écart-type" in text
    assert "il faudrait 90 candidats" in text and "180 entrants" in text


def test_caveats_name_attrition_and_fragile_conclusions():
    lines = narrative.caveats(_view(_results()))
    text = "\n".join(lines)
    assert "pas de groupe de comparaison" in text
    # retention 50 %; mean SMD of the two dimension rows (0.3 + 0.5) / 2 = 0.40, returners higher
    assert "Seuls 50\u00a0% des entrants" in text and "scores plus élevés" in text and "0,40" in text
    # C is "unclear" by the mixed model and "improved" among completers: 1 dimension differs
    assert "Pour 1 dimension(s), la conclusion change selon la méthode" in text


def test_main_pair_needs_two_pairs():
    results = _results()
    assert narrative.main_pair(_view(results)) == ("T1", "T2")
    results["power"] = results["power"].assign(n_pairs=[1])
    assert narrative.main_pair(_view(results)) is None


def test_interval_is_written_the_local_way():
    assert narrative.interval(_view({}), 0.2, 0.8) == "[0,20 ; 0,80]"
    assert narrative.interval(_view({}, "en"), 0.2, 0.8) == "[0.20, 0.80]"
    assert narrative.interval(_view({}), np.nan, 0.8) == "–"


def test_quality_alerts_name_a_misread_wave_and_the_sheets_read():
    # T1: 3 invalid of 10 kept x 4 items = 40 cells (7.5% > 5%): named.
    # T2: 2 of 10 x 4 = 40 (5.0%, not above 5%): not named. Only T2 came from a workbook.
    quality = pd.DataFrame({"wave": ["T1", "T2"], "file": ["T1.csv", "T2.xlsx"],
                            "rows_kept": [10, 10], "items_found": [4, 4],
                            "cells_invalid": [3, 2], "sheet": ["", "Réponses <b>"]})
    lines = narrative.quality_alerts(_view({"quality": quality}))
    assert lines == [
        "**Attention, Entrée** : 8\u00a0% des réponses n'ont pas pu être lues (3 sur 40). "
        "C'est souvent le signe d'un export mal lu (encodage, étiquettes différentes de "
        "celles du livre de codes) : à vérifier avant de tirer une conclusion sur ce "
        "questionnaire.",
        "Sortie : feuille « Réponses &lt;b&gt; » du classeur T2.xlsx."]
    assert narrative.quality_alerts(_view({"quality": quality.drop(columns="sheet")
                                           .assign(cells_invalid=[0, 0])})) == []
