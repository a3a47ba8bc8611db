"""Which sentence says what: the choices of impactlib.report.narrative, checked by hand."""

from __future__ import annotations

import html
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
    assert "Pour 1 dimension, la conclusion change selon la méthode" in text
    assert "ce résultat est fragile" in text


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


def _nbsp(text: str) -> str:
    """Markdown or HTML text as read: entities decoded, no-break spaces as spaces."""
    return html.unescape(text).replace("\u00a0", " ").replace("\u202f", " ")


def test_p_values_below_0_001_are_a_bound_in_every_table_and_sentence():
    # 0.0004 < 0.001: "< 0,001", never "0,000"; 0.001 itself is not below the bound
    model = pd.DataFrame({"dimension": ["A", "B"], "from_wave": "T1", "to_wave": "T2",
                          "estimate": [0.5, 0.1], "ci_low": [0.2, -0.1], "ci_high": [0.8, 0.3],
                          "p_value": [0.0004, 0.001], "n_candidates": [1234, 40]})
    attrition = pd.DataFrame({"from_wave": "T1", "to_wave": "T2", "variable": ["A", "B"],
                              "level": [None, None], "n_returned": [1500, 3],
                              "n_dropped": [40, 2], "mean_returned": [3.1, 2.0],
                              "mean_dropped": [2.8, 1.0], "smd": [0.3, 0.1],
                              "p_value": [1e-12, 0.5], "suppressed": [False, True]})
    items = pd.DataFrame({"from_wave": "T1", "to_wave": "T2", "item": ["Q1"], "n_pairs": [1200],
                          "mean_from": [3.0], "mean_to": [3.5], "pct_improved": [40.0],
                          "pct_stable": [40.0], "pct_worsened": [20.0], "effect_size": [0.4],
                          "p_adjusted": [0.00099]})
    mcar = pd.DataFrame({"wave": ["T1"], "chi2": [3946.9], "df": [3946], "p_value": [0.0002]})
    for lang, bound, point, thousands in (("fr", "< 0,001", "0,001", "1 234"),
                                          ("en", "< 0.001", "0.001", "1,234")):
        view = _view({"dimension_model": model, "attrition": attrition, "item_change": items,
                      "mcar": mcar}, lang)
        view.data = SimpleNamespace(items=pd.DataFrame({"item": ["Q1"], "text": ["Q one"]}))
        shown = narrative.model_table(view)
        assert [_nbsp(v) for v in shown["p_value"]] == [bound, point]
        assert _nbsp(shown["n_candidates"].iloc[0]) == thousands
        (_, dropout), = narrative.dropout_tables(view)
        assert _nbsp(dropout["p_value"].iloc[0]) == bound
        assert dropout["p_value"].iloc[1] == view.t("common.suppressed")       # group under 5
        assert _nbsp(narrative.item_table(view, "T1", "T2")["p_adjusted"].iloc[0]) == bound
        text = _nbsp(narrative.mcar_text(view))
        assert f"p {bound}" in text and "0,000" not in text and "0.000" not in text
    fr = _nbsp(narrative.mcar_text(_view({"mcar": mcar})))
    assert "khi² = 3 946,9, 3 946 degrés de liberté, p < 0,001." in fr


def test_item_pair_heading_counts_what_its_bars_count():
    # The demo's bug: the heading took the most candidates answering one item at both
    # waves (146, item_change.n_pairs) while the bars below say n = 149, the candidates
    # who filled in both questionnaires (item_shares.n_candidates). Both now read 149.
    ic = pd.DataFrame({"from_wave": "T1", "to_wave": "T2", "item": ["Q1", "Q2"],
                       "n_pairs": [146, 131]})
    shares = pd.DataFrame({"from_wave": "T1", "to_wave": "T2", "item": ["Q1", "Q1", "Q2"],
                           "n_candidates": [149, 149, 149]})
    view = _view({"item_change": ic, "item_shares": shares})
    [(a, b, n)] = narrative.item_pairs(view)
    assert n == 149
    assert view.tr.t("items.pair_title", from_label=view.label(a), to_label=view.label(b), n=n) \
        == "D'Entrée à Sortie (149 candidats présents aux deux questionnaires)"
    view.results["item_shares"] = shares.assign(n_candidates=[149, 149, 147])
    [(_, _, n)] = narrative.item_pairs(view)
    assert n == "147 à 149"                     # as the figure writes a range
    assert view.tr.t("items.pair_title", from_label="Mi-parcours", to_label="Sortie", n=n) \
        == "De Mi-parcours à Sortie (147 à 149 candidats présents aux deux questionnaires)"


def test_funnel_sentence_agrees_and_elides():
    funnel = pd.DataFrame({"wave": ["T1", "T2"], "n_candidates": [1, 1234],
                           "retention_from_first": [1.0, 0.5]})
    view = _view({"funnel": funnel})
    view.label = lambda w: {"T1": "Entrée", "T2": "Évaluation"}[str(w)]
    assert _nbsp(narrative.funnel_text(view)) == (
        "1 candidat a rempli le questionnaire d'entrée (Entrée). "
        "1 234 ont rempli celui d'Évaluation (50 % des entrants).")
    view.label = lambda w: {"T1": "Entrée", "T2": "Haut"}[str(w)]      # aspirated h
    assert "celui de Haut" in narrative.funnel_text(view)
    en = _view({"funnel": funnel}, "en")
    assert narrative.funnel_text(en) == ("1 candidate filled in the entry questionnaire (Entrée). "
                                         "1,234 filled in the Sortie one (50% of entrants).")


def test_due_days_are_a_local_list():
    view = _view({})
    view.waves = ["T1", "T2", "T3", "T4"]
    view.study = SimpleNamespace(due_days={"T2": 120, "T3": 1500})
    assert _nbsp(narrative.due_days_text(view)) == "120 et 1 500"
    view.tr = Translator("en")
    assert narrative.due_days_text(view) == "120 and 1,500"
