"""Which sentence says what: the choices of impactlib.report.narrative, checked by hand."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from impactlib.report import narrative
from impactlib.report.i18n import Translator, load_locale


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
    # retention 50 %; dimension SMDs 0.3 and 0.5, both >= 0.2 and positive (the covariate's
    # 2.0 is not a score): those who stay differ, higher, 2 of 2, the largest 0.50
    assert "Seuls 50\u00a0% des entrants" in text and "Ceux qui restent diffèrent" in text
    assert "scores plus élevés (2 comparaisons sur 2, une par dimension" in text and "le plus grand : 0,50" in text
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
                          "p_value": [0.0002, 0.0009], "p_satterthwaite": [0.0004, 0.001],
                          "n_candidates": [1234, 40]})
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


# --- the page "Suivi de la collecte" (issue 12) -------------------------------------------

LABELS3 = {"T1": "Entrée", "T2": "Mi-parcours", "T3": "Sortie"}


def _collection_view(results, lang="fr", covariates=("Antenne",), until=None):
    study = SimpleNamespace(covariates=list(covariates), followup_grace_days=30)
    view = SimpleNamespace(results=results, tr=Translator(lang), study=study, until=until,
                           waves=["T1", "T2", "T3"],
                           data=SimpleNamespace(questionnaires=pd.DataFrame(
                               {"date": pd.to_datetime(["2024-01-05", "2025-03-31"])})))
    view.label = lambda w: LABELS3.get(str(w), str(w))
    view.t = view.tr.t
    return view


def _change(date="2024-03-01", wave="T3", n=(82, 164), answered=(3, 35), diff=(0.176829, 0.09077,
            0.249802), odds=(7.144703, 2.121287, 24.064059), terms="after", suppressed=False,
            label="Questionnaire de sortie au dernier entretien"):
    """One row of collection_changes (the demo's numbers by default)."""
    rates = [a / b for a, b in zip(answered, n)]
    return {"change_date": date, "label": label, "wave": wave, "n_before": n[0],
            "answered_before": answered[0], "rate_before": np.nan if suppressed else rates[0],
            "n_after": n[1], "answered_after": answered[1],
            "rate_after": np.nan if suppressed else rates[1],
            "difference": np.nan if suppressed else diff[0],
            "diff_low": np.nan if suppressed else diff[1],
            "diff_high": np.nan if suppressed else diff[2], "suppressed": suppressed,
            "odds_ratio": odds[0], "or_low": odds[1], "or_high": odds[2],
            "model_n": 246 if terms else 0, "model_terms": terms or np.nan}


def _changes(*rows):
    return {"collection_cohorts": pd.DataFrame(), "collection_changes": pd.DataFrame(list(rows))}


def _plain(text):
    return html.unescape(text).replace("\u00a0", " ")


def test_change_sentence_says_the_rise_with_its_interval_and_the_caution():
    texts = [_plain(t) for t in narrative.change_texts(_collection_view(_changes(_change())))]
    assert len(texts) == 2
    # 3/82 = 3.7 % -> 4 %, 35/164 = 21.3 % -> 21 %; difference and interval in points, signed
    assert texts[0].startswith(
        "Depuis le 1er mars 2024 (Questionnaire de sortie au dernier entretien), le taux de "
        "réponse au questionnaire Sortie est passé de 4 % (3 sur 82) à 21 % (35 sur 164) : "
        "+18 points (IC 95 % : +9 à +25). La hausse est nette")
    # the model has no covariate while the study has one: said, with the ratio (2 digits or so)
    assert "Sans autre ajustement (régression logistique), les chances de répondre sont 7,1 fois " \
           "plus élevées après le changement qu'avant (IC 95 % : 2,1 à 24)." in texts[0]
    assert "trop peu de questionnaires remplis ou manqués pour tenir compte aussi" in texts[0]
    assert "une comparaison avant/après n'est pas une expérience" in texts[1]


def test_a_change_whose_interval_holds_zero_does_not_reassure():
    # 20/82 and 52/164; Newcombe's interval by hand (Wilson limits of each rate, method 10)
    row = _change(answered=(20, 52), diff=(0.0732, -0.0494, 0.1827), odds=(1.4, 0.7, 2.8),
                  terms="after + Antenne")
    texts = [_plain(t) for t in narrative.change_texts(_collection_view(_changes(row)))]
    assert "de 24 % (20 sur 82) à 32 % (52 sur 164) : +7 points (IC 95 % : -5 à +18)" in texts[0]
    assert "l'échantillon ne permet pas de dire si ce changement a aidé" in texts[0]
    assert "nette" not in texts[0]
    assert "En tenant compte des caractéristiques des candidats (Antenne), les chances" in texts[0]
    assert "Cet intervalle contient 1" in texts[0] and "pour tenir compte aussi" not in texts[0]
    # a fall is said as a fall; odds below 1 as "times lower", the interval turned round:
    # 1/0.5 = 2.0, 1/0.8 = 1.25 -> 1,2 (round half to even), 1/0.25 = 4.0
    row = _change(answered=(40, 20), diff=(-0.3659, -0.48, -0.2453), odds=(0.5, 0.25, 0.8))
    text = _plain(narrative.change_texts(_collection_view(_changes(row)))[0])
    assert "-37 points (IC 95 % : -48 à -25). Le taux a baissé" in text
    assert "2,0 fois moins élevées après le changement qu'avant (IC 95 % : 1,2 à 4,0)." in text
    assert "Cet intervalle contient 1" not in text


def test_suppressed_changes_and_unfitted_models_show_no_rate():
    row = _change(n=(3, 40), answered=(1, 12), suppressed=True, odds=(np.nan,) * 3, terms="")
    texts = [_plain(t) for t in narrative.change_texts(_collection_view(_changes(row)))]
    assert "trop peu de questionnaires étaient dus avant ou après ce changement" in texts[0]
    assert "%" not in texts[0] and "1 sur 3" not in texts[0]
    assert "n'est pas une expérience" in texts[1]
    row = _change(odds=(np.nan,) * 3, terms="")
    text = _plain(narrative.change_texts(_collection_view(_changes(row)))[0])
    assert "+18 points" in text and "Trop peu de questionnaires remplis ou manqués pour un modèle" in text


def test_several_changes_are_read_between_their_dates_and_wave_by_wave():
    pooled = _change(date="2025-01-15", wave="T2+T3", label="Rappel par SMS", terms="after + wave")
    t2 = _change(date="2025-01-15", wave="T2", label="Rappel par SMS", n=(30, 40),
                 answered=(12, 20), diff=(0.1, -0.1306, 0.3137))
    t3 = _change(date="2025-01-15", wave="T3", label="Rappel par SMS", suppressed=True)
    texts = [_plain(t) for t in narrative.change_texts(
        _collection_view(_changes(_change(), pooled, t2, t3)))]
    assert texts[0].startswith("Du 1er mars 2024 au 15 janvier 2025 (Questionnaire de sortie")
    assert texts[1].startswith("Depuis le 15 janvier 2025 (Rappel par SMS), le taux de réponse "
                               "aux questionnaires Mi-parcours et Sortie pris ensemble")
    assert "En tenant compte du questionnaire concerné, les chances" in texts[1]
    assert "Questionnaire par questionnaire : Mi-parcours, de 40 % (12 sur 30) à 50 % (20 sur 40), " \
           "+10 points (IC 95 % : -13 à +31) ; Sortie, trop peu de questionnaires dus" in texts[1]
    assert len(texts) == 3


def test_no_change_recorded_says_how_to_record_one():
    view = _collection_view({"collection_cohorts": pd.DataFrame()})
    (text,) = narrative.change_texts(view)
    assert "Aucun changement de la collecte" in text and "changes" in text


def _projection(**kw):
    row = {"from_wave": "T1", "to_wave": "T3", "n_needed": 90, "n_pairs": 38, "n_last_due": 164,
           "p_since": "2024-03-01", "p_pair": 0.213415, "p_pair_low": 0.157643,
           "p_pair_high": 0.282304, "n_pending": 63, "entrants_per_month": 11.674658,
           "window_days": 365, "months_in_programme": 6.472279, "expected_date": "2027-02-22",
           "expected_early": "2026-09-20", "expected_late": "2027-10-05", "verdict": "expected"}
    row.update(kw)
    return {"collection_cohorts": pd.DataFrame(), "collection_projection": pd.DataFrame([row])}


def test_projection_gives_the_month_and_its_range():
    texts = [_plain(t) for t in narrative.projection_texts(_collection_view(_projection()))]
    assert texts[0] == ("Il faut 90 paires complètes (candidats ayant rempli les questionnaires "
                        "Entrée et Sortie) pour détecter un effet de 0,3 écart-type ; il y en a 38.")
    assert texts[1] == ("Au rythme actuel (12 entrées par mois ; depuis le 1er mars 2024, 21 % des "
                        "candidats arrivés en fin de parcours ont rempli les questionnaires Entrée "
                        "et Sortie), ce nombre serait atteint vers février 2027 (entre septembre "
                        "2026 et octobre 2027).")
    assert "les 63 candidats encore en accompagnement comptent" in texts[2]
    assert "environ 6 mois après l'entrée" in texts[2] and "de 16 % à 28 %" in texts[2]
    en = [_plain(t) for t in narrative.projection_texts(_collection_view(_projection(), "en"))]
    assert "would be reached around February 2027 (between September 2026 and October 2027)" in en[1]


def test_projection_reached_never_and_open_ended():
    reached = narrative.projection_texts(_collection_view(_projection(
        n_pairs=95, verdict="reached", expected_date=None, expected_early=None, expected_late=None)))
    assert len(reached) == 2 and "Ce nombre est atteint" in reached[1]
    never = [_plain(t) for t in narrative.projection_texts(_collection_view(_projection(
        p_pair=0.0, p_pair_low=0.0, p_pair_high=0.023, p_since=None, verdict="never",
        expected_date=None, expected_early=None, expected_late=None)))]
    assert "0 % des candidats arrivés en fin de parcours" in never[1]
    assert "depuis le" not in never[1] and "jamais à ce rythme" in never[1]
    assert "serait atteint vers" not in never[1]
    slow = [_plain(t) for t in narrative.projection_texts(_collection_view(_projection(
        entrants_per_month=0.5, expected_late=None)))]
    assert "0,5 entrée par mois" in slow[1]
    assert "au plus tard, peut-être jamais à ce rythme" in slow[1]
    (none,) = narrative.projection_texts(_collection_view({"collection_cohorts": pd.DataFrame()}))
    assert "ne peut pas être estimée" in none


def test_followup_counts_hide_1_to_4_and_name_the_covariate():
    f = pd.DataFrame({"variable": [np.nan, np.nan, "Antenne", "Antenne"],
                      "group": [np.nan, np.nan, "Namur", "Namur"], "wave": ["T2", "T3"] * 2,
                      "overdue": pd.array([29, 9, 9, pd.NA], dtype="Int64"),
                      "due_soon": pd.array([7, 5, 5, pd.NA], dtype="Int64"),
                      "missed": pd.array([1234, 199, 38, 90], dtype="Int64"),
                      "suppressed": [False, False, False, True]})
    view = _collection_view({"collection_cohorts": pd.DataFrame(), "collection_followup": f})
    overall, per_group = narrative.followup_tables(view)
    assert overall.to_dict("list") == {"wave": ["Mi-parcours", "Sortie"], "overdue": ["29", "9"],
                                       "due_soon": ["7", "5"], "missed": ["1\u202f234", "199"]}
    assert list(per_group.columns) == ["Antenne", "wave", "overdue", "due_soon", "missed"]
    assert per_group.iloc[1].tolist() == ["Namur", "Sortie", "<5", "<5", "90"]
    assert narrative.followup_tables(_collection_view(
        {"collection_followup": f.iloc[:2]}))[1] is None
    # a wave with nothing to chase anywhere (T1 here) is in the first table only
    t1 = pd.DataFrame({"variable": [np.nan, "Antenne"], "group": [np.nan, "Namur"], "wave": "T1",
                       "overdue": pd.array([0, 0], dtype="Int64"),
                       "due_soon": pd.array([0, 0], dtype="Int64"),
                       "missed": pd.array([0, 0], dtype="Int64"), "suppressed": False})
    overall, per_group = narrative.followup_tables(_collection_view(
        {"collection_followup": pd.concat([t1, f], ignore_index=True)}))
    assert overall["wave"].tolist() == ["Entrée", "Mi-parcours", "Sortie"]
    assert per_group["wave"].tolist() == ["Mi-parcours", "Sortie"]
    intro = _plain(narrative.followup_intro(view))
    assert intro.startswith("Au 31 mars 2025 (date des dernières données)")
    assert "30 jours au plus" in intro and "14 prochains jours" in intro
    assert _plain(narrative.followup_intro(_collection_view({}, until="2024-12-31"))) \
        .startswith("Au 31 décembre 2024")


def test_cohort_table_never_shows_a_suppressed_rate():
    c = pd.DataFrame({
        "cohort_start": ["2024-01-01"] * 3 + ["2024-04-01"] * 3,
        "cohort_end": ["2024-03-31"] * 3 + ["2024-06-30"] * 3, "period": "quarter",
        "wave": ["T1", "T2", "T3"] * 2, "n_entrants": [36] * 3 + [25] * 3,
        "n_due": [36, 36, 3, 25, 0, 0], "n_answered": [36, 14, 1, 25, 0, 0],
        "n_not_yet_due": [0, 0, 33, 0, 25, 0],
        # a suppressed row's rate is NaN in the table; here a value is left in on purpose
        "response_rate": [1.0, 14 / 36, 1 / 3, 1.0, np.nan, np.nan],
        "ci_low": [0.9036, 0.2478, 0.06, 0.8668, np.nan, np.nan],
        "ci_high": [1.0, 0.5514, 0.79, 1.0, np.nan, np.nan],
        "suppressed": [False, False, True, False, True, True]})
    view = _collection_view({"collection_cohorts": c})
    t = narrative.cohort_table(view)
    assert list(t.columns) == ["cohort", "n_entrants", "Entrée", "Mi-parcours", "Sortie"]
    assert t["cohort"].tolist() == ["janv.–mars 2024", "avr.–juin 2024"]
    # 14/36 = 38.9 % -> 39 %, Wilson [0.2478, 0.5514] -> 25 % to 55 %
    assert _plain(t.iloc[0]["Mi-parcours"]) == "39 % (14/36), 25 % à 55 %"
    assert t.iloc[0]["Sortie"] == "moins de 5" and "33" not in t.iloc[0]["Sortie"]
    assert t.iloc[1]["Mi-parcours"] == "pas encore dus" and t.iloc[1]["Sortie"] == "–"
    assert narrative.cohort_unit(view) == "trimestre"


def test_synthesis_sentence_on_collection():
    view = _collection_view({**_changes(_change()), **_projection()})
    text = _plain(narrative.collection_synthesis(view))
    assert text == ("**Collecte des questionnaires** (page « Suivi de la collecte ») : depuis le "
                    "changement du 1er mars 2024 (Questionnaire de sortie au dernier entretien), le "
                    "taux de réponse au questionnaire Sortie est passé de 4 % à 21 % (+18 points, "
                    "IC 95 % : +9 à +25) ; à ce rythme, les paires complètes nécessaires (90) "
                    "seraient atteintes vers février 2027 (entre septembre 2026 et octobre 2027).")
    unclear = _change(answered=(20, 52), diff=(0.0732, -0.0494, 0.1827))
    text = _plain(narrative.collection_synthesis(_collection_view(
        {**_changes(unclear), **_projection(verdict="never", expected_date=None)})))
    assert "sans que l'échantillon permette de dire si ce changement a aidé" in text
    assert "ne seraient jamais atteintes" in text
    # the latest change only; a registry without changes: the projection alone
    later = _change(date="2025-01-15", label="Rappel par SMS")
    assert "15 janvier 2025 (Rappel par SMS)" in _plain(narrative.collection_synthesis(
        _collection_view({**_changes(_change(), later), **_projection()})))
    assert _plain(narrative.collection_synthesis(_collection_view(_projection()))).startswith(
        "**Collecte des questionnaires** (page « Suivi de la collecte ») : à ce rythme")
    assert "sans registre" in narrative.collection_synthesis(_collection_view({}))
    assert narrative.collection_synthesis(_collection_view({"collection_cohorts": pd.DataFrame()})) == ""


# ---------------------------------------------------------------------------
# Employment and social impact (page 07_emploi, issue 13)
# ---------------------------------------------------------------------------


def _outcome_view(results, lang="fr", covariates=("Genre", "Antenne")):
    study = SimpleNamespace(covariates=list(covariates),
                            funder_target=SimpleNamespace(share=0.5, months=6, label=None))
    view = SimpleNamespace(results=results, tr=Translator(lang), study=study,
                           waves=["T1", "T2", "T3"])
    view.label = lambda w: LABELS3.get(str(w), str(w))
    view.t = view.tr.t
    return view


def _outcome_row(cohort="all", end=None, n_exited=162, n_known=120, n_employed=67,
                 ci=(0.469045, 0.644003), target=0.5, n_pending=83, suppressed=False, **kw):
    """One row of the outcomes table (the demo's overall numbers by default; the Wilson
    interval of 67/120 is R's prop.test(67, 120, correct = FALSE)$conf.int)."""
    share = np.nan if suppressed else n_employed / n_known
    row = {"cohort": cohort, "n_exited": n_exited, "n_known": n_known, "n_employed": n_employed,
           "share": share, "ci_low": np.nan if suppressed else ci[0],
           "ci_high": np.nan if suppressed else ci[1],
           "share_if_unknown_employed": np.nan if suppressed else
           (n_employed + n_exited - n_known) / n_exited,
           "share_if_unknown_not_employed": np.nan if suppressed else n_employed / n_exited,
           "target": target, "cohort_end": end, "period": "all" if cohort == "all" else "quarter",
           "months": 6, "n_unknown": n_exited - n_known, "n_pending": n_pending,
           "n_from_employment_6m": n_known, "n_from_job_start_date": 0, "n_from_exit_status": 0,
           "source": "employment_6m", "n_unreadable": 0, "suppressed": suppressed}
    row.update(kw)
    return row


def _outcomes(*rows):
    return {"outcomes": pd.DataFrame(list(rows) or [_outcome_row()])}


def test_funder_number_with_its_interval_the_unknowns_and_the_target():
    texts = [_plain(t) for t in narrative.funder_texts(_outcome_view(_outcomes()))]
    # 67/120 = 55.8 % -> 56 %; (67 + 42)/162 = 67.3 % -> 67 %; 67/162 = 41.4 % -> 41 %
    assert texts[0].startswith(
        "56 % [47 ; 64] des candidats sortis depuis au moins 6 mois étaient à l'emploi 6 mois "
        "après leur sortie (67 sur 120 dont la situation est connue ; objectif : 50 %). Pour 42 "
        "candidats sortis, la situation n'est pas connue : s'ils étaient tous à l'emploi, ce "
        "serait 67 % ; si aucun ne l'était, 41 %.")
    # the interval [0.469, 0.644] holds 0.5: cannot tell; the bounds 41 % and 67 % straddle it
    assert texts[1].startswith("La part observée atteint l'objectif de 50 %, mais le bas de "
                               "l'intervalle est en dessous : l'échantillon ne permet pas de dire")
    assert "Les candidats sans information pèsent aussi" in texts[1]
    assert texts[2] == "83 candidats sortis depuis moins de 6 mois ne sont pas encore comptés."
    en = [_plain(t) for t in narrative.funder_texts(_outcome_view(_outcomes(), "en"))]
    assert en[0].startswith("56% [47, 64] of the candidates who left at least 6 months ago were in "
                            "employment 6 months after leaving (67 of the 120 whose situation is "
                            "known; target: 50%). For 42 candidates who left")
    assert "the sample cannot tell whether the target is met" in en[1]


@pytest.mark.parametrize("row, verdict, straddle", [
    # 18/24 = 75 %, Wilson [0.551, 0.880] above 0.5; bounds 18/30 = 60 %, 24/30 = 80 %: above too
    (dict(n_exited=30, n_known=24, n_employed=18, ci=(0.551006, 0.880006)),
     "L'objectif de 50 % est atteint : même le bas de l'intervalle est au-dessus.", False),
    # 12/40 = 30 %, Wilson [0.181, 0.454] below 0.5; bounds 12/60 = 20 %, 32/60 = 53 %: straddle
    (dict(n_exited=60, n_known=40, n_employed=12, ci=(0.180854, 0.454449)),
     "L'objectif de 50 % n'est pas atteint : même le haut de l'intervalle est en dessous.", True),
    # 9/20 = 45 %, Wilson [0.258, 0.658]: below the target, the interval above it too
    (dict(n_exited=20, n_known=20, n_employed=9, ci=(0.258, 0.658)),
     "La part observée est en dessous de l'objectif de 50 %, mais le haut de l'intervalle le "
     "dépasse", False)])
def test_the_target_is_met_not_met_or_cannot_be_told(row, verdict, straddle):
    texts = [_plain(t) for t in narrative.funder_texts(
        _outcome_view(_outcomes(_outcome_row(n_pending=0, **row))))]
    assert texts[1].startswith(verdict)
    assert ("pèsent aussi" in texts[1]) is straddle
    assert len(texts) == 2                                    # nothing pending, nothing unreadable
    if row["n_known"] == row["n_exited"]:
        assert "La situation de chaque candidat sorti depuis au moins 6 mois est connue." in texts[0]


def test_funder_number_without_target_too_few_or_nothing_recorded():
    texts = [_plain(t) for t in narrative.funder_texts(_outcome_view(_outcomes(
        _outcome_row(target=np.nan, n_from_exit_status=120, n_from_employment_6m=0,
                     n_unreadable=1))))]
    assert "objectif" not in texts[0] and texts[1] == "Aucun objectif n'est indiqué " \
        "(funder_target dans study.yml)."
    # statuses taken from the exit status are the situation at exit, and said so
    assert "c'est la situation à la sortie, pas 6 mois plus tard" in texts[2]
    assert "1 candidat compté a une valeur de résultat illisible" in texts[2]
    hidden = [_plain(t) for t in narrative.funder_texts(_outcome_view(_outcomes(
        _outcome_row(n_exited=6, n_known=3, n_employed=2, suppressed=True))))]
    assert hidden[0].startswith("Trop peu de candidats sortis depuis au moins 6 mois ont une "
                                "situation connue (3, il en faut au moins 5)")
    assert not any("%" in t or "2 sur 3" in t for t in hidden)
    none = [_plain(t) for t in narrative.funder_texts(_outcome_view(_outcomes(
        _outcome_row(n_exited=0, n_known=0, n_employed=0, suppressed=True, n_pending=12))))]
    assert none[0].startswith("Aucun candidat n'est encore sorti depuis au moins 6 mois")
    assert "12 candidats sortis depuis moins de 6 mois" in none[1]
    (missing,) = narrative.funder_texts(_outcome_view({}))
    assert "n'est pas enregistrée" in missing and "docs/study-format.md, section Outcomes" in missing
    assert narrative.outcomes_recorded(_outcome_view({})) is False


def test_cohort_table_never_shows_a_suppressed_share():
    view = _outcome_view(_outcomes(
        _outcome_row(n_exited=40, n_known=28, n_employed=16, ci=(0.3904, 0.7389), n_pending=30),
        _outcome_row("2024-01-01", "2024-06-30", n_exited=36, n_known=25, n_employed=14,
                     ci=(0.3707, 0.7333), n_pending=0),
        _outcome_row("2024-07-01", "2024-09-30", n_exited=4, n_known=3, n_employed=2,
                     suppressed=True, n_pending=2),
        _outcome_row("2024-10-01", "2024-12-31", n_exited=0, n_known=0, n_employed=0,
                     suppressed=True, n_pending=28)))
    t = narrative.outcome_cohort_table(view)
    assert t["cohort"].tolist() == ["Ensemble", "janv.–juin 2024", "juil.–sept. 2024",
                                    "oct.–déc. 2024"]
    # 14/25 = 56 %, [37 ; 73]; bounds 14/36 = 39 %, (14 + 11)/36 = 69 %
    assert [_plain(c) for c in t.iloc[1].tolist()] == [
        "janv.–juin 2024", "36", "25", "14", "56 % [37 ; 73]", "39 % à 69 %", "0"]
    assert t.iloc[2].tolist() == ["juil.–sept. 2024", "4", "3", "–", "moins de 5", "moins de 5",
                                  "2"]
    assert t.iloc[3]["share"] == "pas encore à 6 mois" and t.iloc[3]["n_employed"] == "–"
    assert narrative.exit_unit(view) == "trimestre"


def _exit_status(n=(103, 52, 0, 90, 64, 0)):
    counts = pd.array([v if v is None or v == 0 or v >= 5 else None for v in n], dtype="Int64")
    exited = 245
    return {"exit_status": pd.DataFrame({
        "category": ["employment", "training", "other", "dropout", "ongoing", "unknown"],
        "n": counts, "share": [np.nan] * 6,
        "share_of_exited": [np.nan if pd.isna(c) or k == "ongoing" else c / exited
                            for c, k in zip(counts, ["employment", "training", "other",
                                                     "dropout", "ongoing", "unknown"])],
        "n_candidates": 309, "n_exited": exited, "suppressed": [v is None for v in n]})}


def test_exit_status_counts_hide_1_to_4():
    view = _outcome_view({**_outcomes(), **_exit_status()})
    t = narrative.exit_status_table(view)
    # 103/245 = 42.0 %, 52/245 = 21.2 %, 90/245 = 36.7 %; no one left without a status: no row
    assert t.to_dict("list") == {
        "category": ["Emploi", "Formation", "Autre", "Abandon", "Encore en accompagnement"],
        "n": ["103", "52", "0", "90", "64"],
        "share_of_exited": ["42\u00a0%", "21\u00a0%", "0\u00a0%", "37\u00a0%", "–"]}
    hidden = narrative.exit_status_table(_outcome_view(_exit_status((103, 52, None, 90, 64, None))))
    assert hidden["n"].tolist() == ["103", "52", "<5", "90", "64", "<5"]
    assert hidden.iloc[2]["share_of_exited"] == "–" and hidden.iloc[5]["category"] == "Sorti sans statut"
    assert _plain(narrative.exit_status_intro(view)).startswith(
        "Sur 309 candidats du registre, 245 sont sortis de l'accompagnement.")


def _soft(rows=None):
    rows = rows or [("Recherche d'emploi", 53, 33, 0.422642, -0.045455, 0.468096, 0.249873,
                     0.686319, False),
                    ("Confiance en soi", 53, 33, 0.367296, 0.207576, 0.159720, -0.087656,
                     0.407096, False),
                    ("Bien-être", 4, 33, np.nan, np.nan, np.nan, np.nan, np.nan, True)]
    return {"soft_hard": pd.DataFrame(rows, columns=[
        "dimension", "n_employed", "n_not_employed", "mean_change_employed",
        "mean_change_not_employed", "difference", "ci_low", "ci_high", "suppressed"])}


def test_soft_hard_says_association_never_cause():
    texts = [_plain(t) for t in narrative.soft_hard_texts(_outcome_view(_soft()))]
    assert texts[0] == ("En Recherche d'emploi, le score des candidats à l'emploi a évolué de "
                        "+0,42, celui des autres de -0,05 : un écart de +0,47 point (IC 95 % : "
                        "0,25 à 0,69). Une progression plus forte va de pair avec l'emploi.")
    assert texts[1].startswith("Dans les autres dimensions (Confiance en soi), l'écart")
    assert "comparer leur progression en Bien-être" in texts[2]
    assert texts[-1].startswith("**À lire comme une association**")
    for lang in ("fr", "en"):
        words = " ".join(narrative.soft_hard_texts(_outcome_view(_soft(), lang))).lower()
        assert "cause" not in words and "fait trouver" not in words
        assert ("ne montrent pas que la progression mène à l'emploi" if lang == "fr"
                else "do not show that progress leads to a job") in html.unescape(words)
    t = narrative.soft_hard_table(_outcome_view(_soft()))
    assert t.iloc[0][["difference", "interval"]].tolist() == ["+0,47", "[0,25 ; 0,69]"]
    assert t.iloc[2]["difference"] == "moins de 5" and t.iloc[2]["n_employed"] == "4"
    none = _soft([("A", 40, 30, 0.3, 0.2, 0.1, -0.1, 0.3, False)])
    assert "Dans aucune dimension" in narrative.soft_hard_texts(_outcome_view(none))[0]


def test_no_sentence_of_the_outcomes_page_claims_a_cause():
    from impactlib.report.i18n import load_locale

    for lang, words in (("fr", ("cause", "fait trouver", "grâce")),
                        ("en", ("cause", "makes them find", "thanks to"))):
        texts = {k: v.lower() for k, v in load_locale(lang).items()
                 if k.startswith(("outcomes.", "figures.outcomes."))}
        assert len(texts) > 50
        assert not [(k, w) for k, v in texts.items() for w in words if w in v]


def _model(odds=(9.268284, 2.609988, 32.912444), terms="change + baseline + Genre",
           note="covariates left out for lack of candidates: Tranche d'âge, Antenne", n=86,
           n_employed=53):
    return {"employment_model": pd.DataFrame({
        "dimension": "Recherche d'emploi", "term": ["Intercept", "change"],
        "estimate": [np.nan, np.nan], "odds_ratio": [0.6, odds[0]], "ci_low": [0.05, odds[1]],
        "ci_high": [7.1, odds[2]], "n": n, "n_employed": n_employed, "model_terms": terms,
        "note": note})}


def test_employment_model_in_words_or_why_not():
    text = _plain(narrative.employment_model_text(_outcome_view(_model())))
    assert text.startswith("Un modèle de régression logistique relie l'emploi à 6 mois à la "
                           "progression en Recherche d'emploi, en tenant compte du score de départ "
                           "dans cette dimension et de ces caractéristiques : Genre.")
    # 9.268 -> 9,3; 2.61 -> 2,6; 32.9 -> 33 (two significant digits or so)
    assert "des chances d'être à l'emploi 9,3 fois plus élevées (IC 95 % : 2,6 à 33 ; 86 " \
           "candidats, dont 53 à l'emploi)." in text
    assert "Les autres caractéristiques (Tranche d'âge, Antenne) n'ont pas été prises en compte : " \
           "il faut au moins 10 candidats à l'emploi" in text
    assert "contient 1" not in text
    # below 1: the inverse, the interval turned round: 1/0.5 = 2,0, 1/0.8 = 1.25 -> 1,2, 1/0.25 = 4,0
    low = _plain(narrative.employment_model_text(_outcome_view(_model(
        odds=(0.5, 0.25, 0.8), terms="change + baseline", note=None))))
    assert "du score de départ dans cette dimension. Chaque point" in low
    assert "2,0 fois moins élevées (IC 95 % : 1,2 à 4,0" in low and "caractéristiques" not in low
    unclear = _plain(narrative.employment_model_text(_outcome_view(_model(odds=(1.4, 0.7, 2.8)))))
    assert "Cet intervalle contient 1" in unclear
    few = _plain(narrative.employment_model_text(_outcome_view(_model(
        odds=(np.nan,) * 3, terms=None, n=42, n_employed=12,
        note="not fitted: 12 employed and 30 not employed among 42 candidates, under 10 of each "
             "per parameter for the 2 parameters (change, baseline)"))))
    assert few.startswith("Le modèle qui relierait l'emploi à la progression en Recherche "
                          "d'emploi n'est pas ajusté") and "il y en a 12 et 30." in few
    no_dim = _model(odds=(np.nan,) * 3, terms=None, note="no job-search dimension: name one")
    no_dim["employment_model"]["dimension"] = None
    assert "Aucune dimension de recherche d'emploi" in narrative.employment_model_text(
        _outcome_view(no_dim))
    assert narrative.employment_model_text(_outcome_view({})) == ""


def _policy(employment_hidden=False):
    head = {"change_date": "2024-01-01", "label": "Fin de la sélection", "kind": "selection"}
    rows = [
        ("entrants", "per_month", None, 10.803169, 11.604297, 0.801128, np.nan, np.nan, 126, 183,
         np.nan, False),
        ("baseline_share", "Niveau de diplôme", "Primaire", 0.246032, 0.349727, 0.103695,
         -0.001147, 0.201674, 126, 183, 0.228213, False),
        ("baseline_share", "Niveau de diplôme", "Supérieur", 0.134921, 0.049180, -0.085740,
         -0.159973, -0.021483, 126, 183, -0.299895, False),
        ("baseline_share", "Genre", "Femme", 0.579365, 0.502732, -0.076633, -0.186041, 0.036291,
         126, 183, -0.154241, False),
        ("baseline_score", "Confiance en soi", None, 3.251852, 2.631967, -0.619885, -0.844074,
         -0.395695, 126, 183, -0.626872, False),
        ("baseline_score", "Recherche d'emploi", None, 3.575794, 2.906868, -0.668926, -0.888597,
         -0.449254, 126, 182, -0.689597, False),
        ("coaching_days", "median", None, 195.5, 198.0, 2.5, np.nan, np.nan, 126, 119, np.nan,
         False),
        ("in_programme", "share", None, 0.0, 0.349727, 0.349727, 0.277983, 0.421265, 126, 183,
         np.nan, False),
        ("employment_6m", "known_share", None, 0.746032, 0.722222, -0.023810, -0.199617,
         0.121235, 126, 36, np.nan, False),
        ("employment_6m", "share", None, 0.585106, 0.461538, -0.123568, -0.321481, 0.086239, 94,
         3 if employment_hidden else 26, np.nan, employment_hidden),
        ("change", "Confiance en soi", None, 0.320370, 0.334667, 0.014296, -0.170051, 0.198644,
         99, 50, np.nan, False),
        ("change", "Recherche d'emploi", None, 0.10, 0.40, 0.30, 0.05, 0.55, 99, 50, np.nan,
         False)]
    t = pd.DataFrame(rows, columns=["measure", "variable", "level", "before", "after",
                                    "difference", "ci_low", "ci_high", "n_before", "n_after",
                                    "smd", "suppressed"])
    hidden = t["suppressed"].to_numpy()
    t.loc[hidden, ["before", "after", "difference", "ci_low", "ci_high"]] = np.nan
    return {"policy_change": t.assign(**head)}


def test_policy_change_before_after_with_the_caution():
    view = _outcome_view({**_outcomes(), **_policy()})
    assert narrative.policy_dates(view) == ["2024-01-01"]
    profile = [_plain(t) for t in narrative.policy_profile_texts(view, "2024-01-01")]
    assert profile[0] == ("Le 1er janvier 2024, la sélection des candidats a changé (« Fin de la "
                          "sélection »). Les 126 candidats entrés avant sont comparés aux 183 "
                          "entrés depuis (11 entrées par mois avant, 12 après).")
    assert profile[1].startswith("**Profil à l'entrée.** Les candidats entrés après le changement "
                                 "se décrivent plus bas à l'entrée dans 2 dimensions sur 2 "
                                 "(écarts standardisés de -0,69 à -0,63")
    # notable levels (|SMD| >= 0.2), the largest first; Femme (-0.15) is not notable
    assert profile[1].endswith("Niveau de diplôme « Supérieur », de 13 % à 5 % ; Niveau de "
                               "diplôme « Primaire », de 25 % à 35 %.")
    fared = [_plain(t) for t in narrative.policy_outcome_texts(view, "2024-01-01")]
    assert fared[0].startswith("Durée médiane de l'accompagnement, parmi les candidats déjà "
                               "sortis : 196 jours avant, 198 après. 35 % des candidats entrés "
                               "après le changement sont encore en accompagnement")
    # 59 % -> 46 %: -12 points (-0.1236), Newcombe [-32 ; +9] holds zero
    assert fared[1].startswith("À l'emploi 6 mois après la sortie : 59 % des situations connues "
                               "avant (94), 46 % après (26), soit -12 points (IC 95 % : -32 à "
                               "+9). La situation est connue pour 75 % des candidats comptés "
                               "avant et 72 % après. L'intervalle contient zéro")
    assert fared[2].startswith("**Progression mesurée** (de l'entrée au dernier questionnaire) : "
                               "l'écart entre les candidats entrés avant et après est net en "
                               "Recherche d'emploi (+0,30 point après le changement")
    assert fared[-1].startswith("**Précaution** : une comparaison avant/après mélange le "
                                "changement de politique avec tout ce qui a changé en même temps")
    table = narrative.policy_outcome_table(view, "2024-01-01")
    assert [_plain(c) for c in table.iloc[4]] == ["À l'emploi 6 mois après la sortie", "59 %",
                                                  "46 %", "-12 points", "[-32 ; +9]"]
    profile_table = narrative.policy_profile_table(view, "2024-01-01")
    assert profile_table.iloc[1].tolist() == ["Niveau de diplôme : Supérieur", "13\u00a0%",
                                              "5\u00a0%", "-0,30"]
    hidden = _outcome_view({**_outcomes(), **_policy(employment_hidden=True)})
    fared = [_plain(t) for t in narrative.policy_outcome_texts(hidden, "2024-01-01")]
    assert fared[1].startswith("Trop peu de candidats entrés après le changement sont sortis "
                               "depuis au moins 6 mois avec une situation connue (3)")
    assert "46 %" not in " ".join(fared) and "59 %" not in " ".join(fared)
    assert narrative.policy_outcome_table(hidden, "2024-01-01").iloc[4]["after"] == "moins de 5"
    assert narrative.policy_dates(_outcome_view(_outcomes())) == []


def test_synthesis_paragraph_on_outcomes():
    results = {**_outcomes(), **_soft(), **_model(), **_policy()}
    text = _plain(narrative.outcomes_synthesis(_outcome_view(results)))
    assert text == (
        "**Emploi et impact social** (page « Emploi et impact social ») : 56 % [47 ; 64] des "
        "candidats sortis depuis au moins 6 mois étaient à l'emploi 6 mois après leur sortie "
        "(objectif : 50 % ; l'échantillon ne permet pas de dire s'il est atteint ; situation "
        "inconnue pour 42 candidats). Ceux qui étaient à l'emploi avaient progressé de 0,47 point "
        "de plus que les autres en Recherche d'emploi (IC 95 % : 0,25 à 0,69) : les deux vont de "
        "pair, sans que l'on puisse dire ce qui entraîne quoi. Depuis le changement du 1er janvier "
        "2024 (Fin de la sélection), la part à l'emploi est passée de 59 % à 46 % (-12 points, IC "
        "95 % : -32 à +9) ; une comparaison avant/après mêle la politique à tout ce qui a changé "
        "en même temps.")
    en = _plain(narrative.outcomes_synthesis(_outcome_view(results, "en")))
    assert en.startswith("**Employment and social impact** (page \"Employment and social "
                         "impact\"): 56% [47, 64] of the candidates who left at least 6 months ago "
                         "were in employment 6 months after leaving (target: 50%; the sample cannot "
                         "tell whether it is met; situation unknown for 42 candidates). Those in "
                         "employment had progressed 0.47 points more than the others")
    met = _plain(narrative.outcomes_synthesis(_outcome_view(_outcomes(_outcome_row(
        n_exited=30, n_known=24, n_employed=18, ci=(0.551006, 0.880006))))))
    assert "(objectif : 50 % ; objectif atteint ; situation inconnue pour 6 candidats)." in met
    assert "Ceux qui" not in met and "Depuis le changement" not in met
    none = _plain(narrative.outcomes_synthesis(_outcome_view({})))
    assert none.startswith("**Emploi et impact social** : la situation des candidats après leur "
                           "sortie n'est pas enregistrée") and "section Outcomes" in none


# --- missing data, stated correctly (issue 15) -----------------------------------------------

def _dropout_view(smd, little_p, lang="fr"):
    """A hand-made dropout comparison and Little's test on the entry questionnaire."""
    attrition = pd.DataFrame({"from_wave": "T1", "to_wave": "T2",
                              "kind": ["dimension"] * len(smd) + ["covariate"],
                              "variable": [f"D{i}" for i in range(len(smd))] + ["Genre"],
                              "smd": list(smd) + [0.9], "suppressed": False})
    funnel = pd.DataFrame({"wave": ["T1", "T2"], "n_candidates": [300, 40],
                           "retention_from_first": [1.0, 40 / 300]})
    mcar = pd.DataFrame({"wave": ["T1"], "chi2": [12.3], "df": [14], "p_value": [little_p]})
    return _view({"attrition": attrition, "funnel": funnel, "mcar": mcar}, lang)


RANDOM_CLAIM = {"fr": re.compile(r"(?i)au hasard|aléatoire"),
                "en": re.compile(r"(?i)at random|\brandom")}


@pytest.mark.parametrize("lang, differ, higher", [
    ("fr", "Ceux qui restent diffèrent de ceux qui partent", "scores plus élevés"),
    ("en", "Those who stay differ from those who leave", "had higher scores")])
def test_dropout_with_a_large_difference_says_they_differ_whatever_little_says(lang, differ,
                                                                               higher):
    # SMD 0.6 on one dimension (0.1 on the other): those who stay differ; Little p = 0.8
    # (no link between the blanks and the answers) does not soften it
    view = _dropout_view([0.6, 0.1], 0.8, lang)
    text = _nbsp(" ".join(narrative.caveats(view)))
    assert differ in text and higher in text
    assert ("1 comparaison sur 2" if lang == "fr" else "1 of 2 comparisons") in text
    assert ("0,60" if lang == "fr" else "0.60") in text
    assert "Little" in text                                  # labelled: another question
    little = _nbsp(narrative.mcar_text(view))
    assert ("p = 0,8" if lang == "fr" else "p = 0.8") in little
    for sentence in (text, little):
        assert not RANDOM_CLAIM[lang].search(sentence), sentence
    # the largest difference negative on every notable dimension: lower
    text = _nbsp(narrative.dropout_caveat(_dropout_view([-0.25, -0.7, 0.15], 0.8, lang)))
    assert differ in text and ("plus bas" if lang == "fr" else "lower") in text
    assert ("-0,70" if lang == "fr" else "-0.70") in text
    # both signs: "higher on some, lower on others"
    text = _nbsp(narrative.dropout_caveat(_dropout_view([0.3, -0.4], 0.01, lang)))
    assert differ in text and ("certaines dimensions" if lang == "fr" else "some dimensions") in text


def test_dropout_without_large_difference_does_not_say_random():
    # every |SMD| < 0.2 (the covariate's 0.9 is not a score): no large difference found on
    # the measured scores, which does not show that dropout is random
    fr = _nbsp(narrative.dropout_caveat(_dropout_view([0.15, -0.19], 0.8)))
    assert fr.startswith("Aucun écart important n'a été trouvé entre ceux qui restent et ceux "
                         "qui partent sur les scores mesurés au départ")
    assert "le plus grand : -0,19" in fr
    assert "Cela ne montre pas que les abandons sont dus au hasard" in fr
    en = _nbsp(narrative.dropout_caveat(_dropout_view([0.15, -0.19], 0.8, "en")))
    assert en.startswith("No large difference was found") and "does not show that dropout is random" in en
    # suppressed rows are not read: a hidden 0.9 does not make them differ
    view = _dropout_view([0.9, 0.1], 0.8)
    view.results["attrition"].loc[0, "suppressed"] = True
    assert _nbsp(narrative.dropout_caveat(view)).startswith("Aucun écart important")
    view.results["attrition"]["suppressed"] = True
    assert narrative.dropout_caveat(view) == ""


# Locale strings allowed to name randomness, each with the words that make it a negation or
# an explanation (not a claim that data are missing at random).
RANDOM_ALLOWED = {
    "items.ordinal_mar": {"fr": "C'est une hypothèse, pas un constat.",
                          "en": "This is an assumption, not a finding."},
    "synthesis.caveat_attrition_similar": {"fr": "ne montre pas que les abandons sont dus au hasard",
                                           "en": "does not show that dropout is random"},
    "workbook.columns.seed": {"fr": "Graine aléatoire", "en": "Random seed"},
    "synthesis.caveat_imputation_model": {"fr": "C'est une hypothèse, pas un constat.",
                                          "en": "This is an assumption, not a finding."},
    "attrition.imputation_fmi_high": {"fr": "C'est une hypothèse, pas un constat.",
                                      "en": "This is an assumption, not a finding."},
}
MISSING_AT_RANDOM = re.compile(r"(?i)hasard|random|al[ée]atoire|ignorable|manqu\w* au hasard"
                               r"|missing at random|(?-i:\bM[CN]?AR\b)")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_locale_string_says_data_are_missing_at_random(lang):
    strings = load_locale(lang)
    found = {key for key, text in strings.items() if MISSING_AT_RANDOM.search(text)}
    assert found <= set(RANDOM_ALLOWED), sorted(found - set(RANDOM_ALLOWED))
    for key in found:
        assert RANDOM_ALLOWED[key][lang] in strings[key], key
    # the pattern does catch the old sentences
    assert MISSING_AT_RANDOM.search("Rien n'indique que les réponses manquent autrement qu'au hasard.")
    assert MISSING_AT_RANDOM.search("Answers are not missing at random")
    assert MISSING_AT_RANDOM.search("Test MCAR") and not MISSING_AT_RANDOM.search("Jan Feb Mar")


def _imputed_view(fmi, lang="fr"):
    """The main pair T1-T2 (power table) with a hand-made imputed_change."""
    imputed = pd.DataFrame({"dimension": [f"D{i}" for i in range(len(fmi))], "from_wave": "T1",
                            "to_wave": "T2", "n": 309, "n_observed": 38,
                            "n_imputed": [271] + [270] * (len(fmi) - 1),
                            "estimate": 0.5, "ci_low": 0.3, "ci_high": 0.7, "fmi": fmi})
    results = _results()
    results["imputed_change"] = imputed
    return _view(results, lang)


def test_imputation_above_half_missing_information_says_it_reflects_the_model():
    # FMI 0.79 and 0.87 (as the demo's entry-to-exit change): both above 0.5
    view = _imputed_view([0.79, 0.87])
    text = _nbsp(narrative.imputation_text(view, "T1", "T2"))
    assert "de 0,79 à 0,87 selon la dimension" in text
    assert "score imputé pour 271 candidats sur 309 au plus" in text
    assert "Au-delà de 0,5 (2 dimensions sur 2), l'estimation imputée reflète surtout le modèle " \
           "d'imputation" in text and "C'est une hypothèse, pas un constat." in text
    caveats = _nbsp(" ".join(narrative.caveats(view)))
    assert "l'estimation par imputation multiple reflète surtout le modèle d'imputation " \
           "(part d'information manquante jusqu'à 0,87)" in caveats
    en = _nbsp(narrative.imputation_text(_imputed_view([0.79, 0.87], "en"), "T1", "T2"))
    assert "Above 0.5 (2 of 2 dimensions), the imputed estimate mostly reflects the imputation " \
           "model" in en and "(missing at random given that information). This is an " \
           "assumption, not a finding." in en
    # one of three above 0.5 (0.5 itself is not above)
    text = _nbsp(narrative.imputation_text(_imputed_view([0.2, 0.5, 0.51]), "T1", "T2"))
    assert "(1 dimension sur 3)" in text


def test_imputation_below_half_rests_on_observed_answers_and_no_synthesis_caveat():
    view = _imputed_view([0.2, 0.47])
    text = _nbsp(narrative.imputation_text(view, "T1", "T2"))
    assert "de 0,20 à 0,47" in text and "repose surtout sur les réponses observées" in text
    assert "reflète surtout" not in text and "hasard" not in text
    assert "modèle d'imputation" not in " ".join(narrative.caveats(view))
    assert narrative.imputation_text(_imputed_view([np.nan]), "T1", "T2") == ""
    assert narrative.imputation_text(view, "T1", "T3") == ""


def test_little_tests_are_written_side_by_side_each_with_its_question():
    # item-level test p = 0.8 (no link), wave-dropout test p = 0.0004 (a link)
    mcar = pd.DataFrame({"wave": ["T1", "T1"], "chi2": [12.3, 80.2], "df": [14, 20],
                         "p_value": [0.8, 0.0004], "note": [None, None],
                         "question": ["item_nonresponse", "wave_dropout"]})
    fr = _nbsp(narrative.mcar_text(_view({"mcar": mcar})))
    items, dropout = fr.split("\n\n")
    assert items.startswith("Test de Little sur les cases laissées vides du questionnaire Entrée "
                            "(question : les cases vides à l'intérieur de ce questionnaire "
                            "sont-elles liées aux réponses données ?)")
    assert "p = 0,8" in items and "ne trouve pas de lien" in items
    assert dropout.startswith("Test de Little sur les abandons (scores des dimensions à chaque "
                              "questionnaire, un candidat par ligne ; question : avoir un score à "
                              "un questionnaire est-il lié aux scores observés ?)")
    assert "p < 0,001" in dropout and "les questionnaires manqués dépendent des scores" in dropout
    # no link on dropout: said as not proving there is none; never "at random"
    en = _nbsp(narrative.mcar_text(_view({"mcar": mcar.assign(p_value=[0.01, 0.6])}, "en")))
    items, dropout = en.split("\n\n")
    assert "found a link" in items and "does not prove there is none" in dropout
    assert not RANDOM_CLAIM["en"].search(en)
    # a table of the old shape (one row, no question) is the item-level test
    old = mcar.iloc[:1].drop(columns="question")
    assert _nbsp(narrative.mcar_text(_view({"mcar": old}))).startswith("Test de Little sur les cases")


def _ordinal_view(status_counts, n_small=0, lang="fr"):
    """item_ordinal rows T1 -> T2 by hand: ``status_counts`` items higher / lower / unclear /
    not converged, ``n_small`` items answered by 3 candidates."""
    higher, lower, unclear, failed = status_counts
    rows = ([(1.0, 0.4, 1.6, 0.62, True)] * higher + [(-0.8, -1.3, -0.3, 0.41, True)] * lower
            + [(0.1, -0.4, 0.6, 0.51, True)] * unclear + [(np.nan, np.nan, np.nan, np.nan, False)] * failed
            + [(0.9, 0.2, 1.6, 0.6, True)] * n_small)
    est, low, high, ph, conv = (list(c) for c in zip(*rows))
    k = len(rows)
    table = pd.DataFrame({"item": [f"Q{i}" for i in range(k)], "dimension": "D", "from_wave": "T1",
                          "to_wave": "T2", "estimate": est, "ci_low": low, "ci_high": high,
                          "prob_higher": ph, "n_candidates": [120] * (k - n_small) + [3] * n_small,
                          "converged": conv})
    return _view({"item_ordinal": table}, lang)


def test_ordinal_sentence_counts_the_items_and_states_its_assumption():
    # 12 higher, 18 unclear (the example): 5% of 30 = 1.5, written "2"
    text = _nbsp(narrative.ordinal_sentence(_ordinal_view((12, 0, 18, 0)), "T1", "T2"))
    assert text.startswith(
        "Pour 12 questions sur 30, un candidat typique a plus de chances de répondre mieux au "
        "questionnaire Sortie qu'au questionnaire Entrée (intervalle de confiance à 95 % au-dessus "
        "de 50 %) ; pour 18, l'échantillon ne permet pas de conclure.")
    assert "environ 2 questions sur 30 auraient" in text
    assert "y compris celles des candidats partis avant le questionnaire Sortie" in text
    assert "(réponses manquantes au hasard). C'est une hypothèse, pas un constat." in text
    # none higher: never reassuring; worse and unconverged items said, small ones hidden
    text = _nbsp(narrative.ordinal_sentence(_ordinal_view((0, 2, 5, 1), n_small=2), "T1", "T2"))
    assert text.startswith("Sur 8 questions, aucune ne montre qu'un candidat typique ait plus de "
                           "chances de répondre mieux")
    assert "; pour 2, il a plus de chances de répondre moins bien (intervalle au-dessous de 50 %) " \
           "; pour 5, l'échantillon ne permet pas de conclure ; pour 1, le modèle n'a pas " \
           "convergé : pas d'estimation." in text
    assert "2 questions sont masquées (moins de 5 candidats)." in text
    assert "environ" not in text                     # 5% of 7 estimated items is under one
    en = _nbsp(narrative.ordinal_sentence(_ordinal_view((1, 0, 0, 0), n_small=1, lang="en"),
                                          "T1", "T2"))
    assert en.startswith("For 1 question out of 1, a typical candidate is more likely to answer "
                         "better at the Sortie questionnaire than at the Entrée questionnaire")
    assert "1 question is hidden (fewer than 5 candidates)." in en
    assert "(missing at random). This is an assumption, not a finding." in en
    assert narrative.ordinal_sentence(_ordinal_view((1, 0, 0, 0)), "T2", "T3") == ""


def _tipping_table(rows):
    """change_sensitivity rows at delta 0 (and one shifted row, ignored) for T1 -> T2."""
    table = pd.DataFrame(rows, columns=["dimension", "estimate", "tipping", "tipping_delta"])
    table = table.assign(from_wave="T1", to_wave="T2", delta=0.0)
    return pd.concat([table, table.assign(delta=-0.1, tipping_delta=-0.01)], ignore_index=True)


def test_synthesis_says_the_most_fragile_improvement_beside_the_agreement_of_methods():
    # A and C improve and tip at -0.52 and -0.34: the synthesis names C (the smaller shift,
    # 0.34); B declines (tips upwards: not an improvement), D had nothing to overturn
    results = _results()
    results["change_sensitivity"] = _tipping_table([("A", 0.5, "found", -0.52),
                                                    ("B", -0.4, "found", 0.1),
                                                    ("C", 0.3, "found", -0.34),
                                                    ("D", 0.1, "not_needed", np.nan)])
    text = _nbsp(" ".join(narrative.caveats(_view(results))))
    assert ("Ces progrès reposent sur une hypothèse sur les absents : si les candidats qui "
            "n'ont pas rempli le questionnaire Sortie avaient en réalité un score inférieur de "
            "0,34 point à ce que suppose l'imputation, le progrès sur « C » ne serait déjà plus "
            "démontré (voir la page « Abandons »).") in text
    en = _nbsp(" ".join(narrative.caveats(_view(results, "en"))))
    assert "had in fact scored 0.34 points lower than the imputation assumes, the improvement " \
           "in “C” would already no longer be shown" in en
    # no improvement with a tipping point, or no table: no sentence
    results["change_sensitivity"] = _tipping_table([("B", -0.4, "found", 0.1),
                                                    ("D", 0.1, "not_needed", np.nan)])
    assert "hypothèse sur les absents" not in " ".join(narrative.caveats(_view(results)))
    del results["change_sensitivity"]
    assert "hypothèse sur les absents" not in " ".join(narrative.caveats(_view(results)))
