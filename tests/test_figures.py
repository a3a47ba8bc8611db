"""Figures: one Figure per call, bars and points as in the tables, texts from the locale."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from impactlib.report import figures as F  # noqa: E402
from impactlib.report.i18n import Translator  # noqa: E402
from impactlib.report.results import read_results, study_results, write_results  # noqa: E402
from impactlib.intake.study import load_study  # noqa: E402
from impactlib.stats.item_change import distribution_shares  # noqa: E402
from impactlib.stats.power import mdes_curve  # noqa: E402
from impactlib.stats.reliability import rci_points  # noqa: E402

from conftest import TEST_KEY  # noqa: E402

FR, EN = Translator("fr"), Translator("en")
LABELS = ["Pas du tout d'accord", "Pas d'accord", "Ni d'accord ni pas d'accord", "D'accord",
          "Tout à fait d'accord"]
SCALES = pd.DataFrame({"scale": "accord5", "value": pd.array([1, 2, 3, 4, 5, None], dtype="Int64"),
                       "label": LABELS + ["Ne sait pas"]})
ITEMS = pd.DataFrame({
    "item": ["A1", "A2", "B1"],
    "text": ["Je me sens capable", "Je doute de moi", "Je gagne 5$ et \\oops 10$ par jour"],
    "dimension": ["Confiance", "Confiance", "Recherche"],
    "scale": "accord5", "reverse": [False, True, False]})


# ---------------------------------------------------------------------------
# Helpers and fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def texts(fig) -> list[str]:
    """Every text of the figure, each on one line (texts are wrapped to the figure)."""
    return [t.get_text().replace("\n", " ") for t in fig.findobj(Text)]


def title(fig) -> str:
    """The figure's title, on one line (it is wrapped to the figure's width)."""
    return " ".join(next(t.get_text() for t in fig.findobj(Text)
                         if t.get_gid() == "title").split("\n"))


def by_gid(fig, prefix: str) -> list:
    return [a for a in fig.findobj(lambda a: str(a.get_gid() or "").startswith(prefix))]


def collection(fig, gid: str):
    (coll,) = by_gid(fig, gid)
    return coll


def n_points(fig, gid: str) -> int:
    found = [a for a in by_gid(fig, gid) if hasattr(a, "get_offsets")]
    return sum(len(a.get_offsets()) for a in found)


def is_no_data(fig) -> bool:
    return fig.get_gid() == "no-data"


def draws(fig) -> bytes:
    data = F.to_png_bytes(fig)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def distribution(items=("A1", "A2"), pair=("T1", "T2"), labels=LABELS, answered_n=None):
    """A hand-made item_distribution table (plain strings, as in the results contract)."""
    rows = []
    answered_n = answered_n or {"T1": [2, 4, 6, 5, 3], "T2": [1, 2, 5, 7, 5]}
    for item in items:
        for wave in pair:
            counts = list(answered_n[wave])
            for lab, n in zip(labels, counts):
                rows.append((item, wave, lab, "answered", True, n))
            rows.append((item, wave, "Ne sait pas", "dont_know", False, 2))
            rows.append((item, wave, "(missing)", "missing", False, 1))
    out = pd.DataFrame(rows, columns=["item", "wave", "label", "status", "answered", "n"])
    out.insert(1, "from_wave", pair[0])
    out.insert(2, "to_wave", pair[1])
    out["n_candidates"] = out.groupby(["item", "wave"])["n"].transform("sum")
    out["pct"] = 100 * out["n"] / out["n_candidates"]
    return out


def shares(dist=None, scales=SCALES):
    """The item_shares the diverging bars draw, made by the statistics layer."""
    return distribution_shares(distribution() if dist is None else dist, ITEMS, scales)


def bar_rows(fig) -> set:
    return {tuple(p.get_gid().split(":")[1:3]) for p in by_gid(fig, "bar:")}


@pytest.fixture(scope="session")
def demo_results(demo_study, demo_processed, tmp_path_factory):
    """Every results table of the demo, written to CSV and read back."""
    mp = pytest.MonkeyPatch()
    mp.setenv("IMPACTLIB_KEY", TEST_KEY)
    try:
        built = study_results(load_study(demo_study), demo_processed)
    finally:
        mp.undo()
    folder = write_results(built, tmp_path_factory.mktemp("results"))
    return read_results(folder), built


# ---------------------------------------------------------------------------
# Funnel
# ---------------------------------------------------------------------------


def test_funnel_has_one_bar_per_wave_and_local_texts():
    funnel = pd.DataFrame({"wave": ["T1", "T2", "T3"], "n_candidates": [120, 60, 1234],
                           "retention_from_first": [1.0, 0.5, 0.25]})
    fig = F.funnel_figure(funnel, FR, wave_labels={"T1": "Entrée"})
    assert isinstance(fig, Figure)
    assert [p.get_gid() for p in by_gid(fig, "funnel:")] == ["funnel:T1", "funnel:T2", "funnel:T3"]
    assert title(fig) == FR.t("figures.funnel.title")
    assert any("(Entrée (T1))" in t for t in texts(fig))
    assert "60 candidats (50\u00a0% des candidats du premier questionnaire)" in texts(fig)
    assert "1\u202f234 candidats (25\u00a0% des candidats du premier questionnaire)" in texts(fig)
    fig_en = F.funnel_figure(funnel, EN)
    assert title(fig_en) == "How many candidates answered each questionnaire?"
    assert "1,234 candidates (25% of the first questionnaire's candidates)" in texts(fig_en)


def test_funnel_follows_categorical_order():
    funnel = pd.DataFrame({"wave": pd.Categorical(["T2", "T1"], categories=["T1", "T2"], ordered=True),
                           "n_candidates": [5, 10]})
    fig = F.funnel_figure(funnel, FR)
    assert [p.get_gid() for p in by_gid(fig, "funnel:")] == ["funnel:T1", "funnel:T2"]


# ---------------------------------------------------------------------------
# Diverging bars
# ---------------------------------------------------------------------------


def test_diverging_bars_one_bar_per_item_and_wave_neutral_centred():
    fig = F.diverging_bars(shares(), ITEMS, FR, "T1", "T2")
    assert bar_rows(fig) == {("A1", "T1"), ("A1", "T2"), ("A2", "T1"), ("A2", "T2")}
    for item in ("A1", "A2"):
        for wave in ("T1", "T2"):
            (neutral,) = by_gid(fig, f"bar:{item}:{wave}:Ni d'accord")
            assert neutral.get_x() + neutral.get_width() / 2 == pytest.approx(0.0)
            # percentages of the answers given: 6 of 20 at T1
            segments = by_gid(fig, f"bar:{item}:{wave}:")
            assert sum(p.get_width() for p in segments) == pytest.approx(100.0)
    (neutral,) = by_gid(fig, "bar:A1:T1:Ni d'accord")
    assert neutral.get_width() == pytest.approx(30.0)
    # don't know and missing apart, in percent of all candidates (2 and 1 of 23)
    (dk,) = by_gid(fig, "side:A1:T1:dont_know")
    (miss,) = by_gid(fig, "side:A1:T1:missing")
    assert dk.get_width() == pytest.approx(200 / 23)
    assert miss.get_width() == pytest.approx(100 / 23)
    assert not any(p.get_gid().endswith(("Ne sait pas", "(missing)")) for p in by_gid(fig, "bar:"))
    draws(fig)


def test_diverging_bars_put_better_on_the_right_for_reverse_items():
    fig = F.diverging_bars(shares(), ITEMS, FR, "T1", "T2")

    def x(item, label):
        (patch,) = by_gid(fig, f"bar:{item}:T1:{label}")
        return patch.get_x()

    assert x("A1", "Pas du tout d'accord") < 0 < x("A1", "Tout à fait d'accord")
    # A2 is reversed: strong agreement is the least favourable answer
    assert x("A2", "Tout à fait d'accord") < 0 < x("A2", "Pas du tout d'accord")
    assert any(t.startswith("* Phrase formulée négativement") for t in texts(fig))
    # without scales the table's order (value as answered) is used, reversed the same way
    fig2 = F.diverging_bars(shares(scales=None), ITEMS, FR, "T1", "T2")
    (patch,) = by_gid(fig2, "bar:A2:T1:Tout à fait d'accord")
    assert patch.get_x() < 0


def test_diverging_bars_even_scale_splits_at_zero_and_filters_dimension():
    labels = LABELS[:2] + LABELS[3:]
    dist = distribution(items=("A1", "B1"), labels=labels,
                        answered_n={"T1": [1, 2, 3, 4], "T2": [4, 3, 2, 1]})
    scales = SCALES.loc[SCALES["value"].ne(3).fillna(True)].reset_index(drop=True)
    fig = F.diverging_bars(shares(dist, scales), ITEMS, EN, "T1", "T2", dimension="Confiance")
    assert bar_rows(fig) == {("A1", "T1"), ("A1", "T2")}
    (agree,) = by_gid(fig, "bar:A1:T1:D'accord")
    assert agree.get_x() == pytest.approx(0.0)
    assert title(fig).startswith("Confiance: answers question by question")


def test_diverging_bars_without_data():
    fig = F.diverging_bars(shares(), ITEMS, FR, "T1", "T3")
    assert is_no_data(fig)
    assert FR.t("figures.common.no_data") in texts(fig)
    empty = shares(distribution().assign(n=0))
    assert is_no_data(F.diverging_bars(empty, ITEMS, FR, "T1", "T2"))
    assert is_no_data(F.diverging_bars(pd.DataFrame(), None, FR, "T1", "T2"))


# ---------------------------------------------------------------------------
# Forest plot
# ---------------------------------------------------------------------------


def item_change():
    return pd.DataFrame({
        "item": ["A1", "A2", "B1", "A1"], "dimension": ["Confiance", "Confiance", "Recherche", "Confiance"],
        "from_wave": ["T1", "T1", "T1", "T1"], "to_wave": ["T2", "T2", "T2", "T3"],
        "n_pairs": [40, 38, 12, 9], "mean_diff": [0.5, -0.1, 0.2, 0.3],
        "ci_low": [0.2, -0.4, np.nan, 0.0], "ci_high": [0.8, 0.2, np.nan, 0.6],
        "p_adjusted": [0.001, 0.6, np.nan, 0.2]})


def test_forest_plot_one_point_per_item_marker_by_adjusted_p():
    fig = F.forest_plot(item_change(), ITEMS, FR, "T1", "T2")
    assert n_points(fig, "significant") == 1
    assert n_points(fig, "not-significant") == 2
    assert collection(fig, "significant").get_offsets()[0][0] == pytest.approx(0.5)
    all_text = texts(fig)
    assert "n = 40" in all_text and "n = 12" in all_text
    assert "différence moyenne appariée" in " ".join(all_text)
    assert "95\u00a0% (intervalle t)" in " ".join(all_text)
    assert title(fig) == "Évolution question par question : T1 → T2"
    assert title(F.forest_plot(item_change(), ITEMS, EN, "T1", "T2")) == "Change question by question: T1 → T2"
    draws(fig)


def test_forest_plot_empty_and_all_nan():
    assert is_no_data(F.forest_plot(item_change().iloc[:0], ITEMS, FR, "T1", "T2"))
    assert is_no_data(F.forest_plot(item_change().assign(mean_diff=np.nan), ITEMS, FR, "T1", "T2"))


# ---------------------------------------------------------------------------
# Reliable change
# ---------------------------------------------------------------------------


def scores():
    from_ = [2.0, 3.0, 3.0, 4.0, 2.5, 4.5]
    to = [4.0, 3.2, 1.0, 4.2, 2.5, np.nan]
    rows = [(f"pid-{i}", w, "Confiance", v) for i, pair in enumerate(zip(from_, to))
            for w, v in zip(("T1", "T2"), pair)]
    rows.append(("pid-9", "T1", "Confiance", 3.0))  # only at T1
    rows.append(("pid-0", "T1", "Recherche", 1.0))
    return pd.DataFrame(rows, columns=["candidate", "wave", "dimension", "score"])


RCI = pd.DataFrame({"dimension": ["Confiance"], "from_wave": ["T1"], "to_wave": ["T2"], "n": [5],
                    "pct_reliable_improvement": [20.0], "pct_no_reliable_change": [60.0],
                    "pct_reliable_deterioration": [20.0], "se_diff": [0.5]})


def test_rci_scatter_points_bands_and_percentages():
    fig = F.rci_scatter(rci_points(scores(), RCI), RCI, "Confiance", "T1", "T2", FR)
    assert n_points(fig, "improved") == 1
    assert n_points(fig, "deteriorated") == 1
    assert n_points(fig, "no-change") == 3
    all_text = texts(fig)
    assert "Amélioration fiable : 20\u00a0%" in all_text
    assert "Pas de changement fiable : 60\u00a0%" in all_text
    assert not any("pid-" in t for t in all_text)
    assert title(fig) == "Confiance : changement fiable, T1 → T2"
    fig_en = F.rci_scatter(rci_points(scores(), RCI), RCI, "Confiance", "T1", "T2", EN)
    assert "Reliable improvement: 20%" in texts(fig_en)
    draws(fig)


def test_rci_scatter_without_reliability_or_data():
    no_se = RCI.assign(se_diff=np.nan)
    fig = F.rci_scatter(rci_points(scores(), no_se), no_se, "Confiance", "T1", "T2", FR)
    assert n_points(fig, "unclassified") == 5
    assert is_no_data(F.rci_scatter(rci_points(scores(), RCI), RCI, "Autre", "T1", "T2", FR))
    assert is_no_data(F.rci_scatter(rci_points(scores().assign(score=np.nan), RCI), RCI,
                                    "Confiance", "T1", "T2", FR))


# ---------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------


def transitions(item="A1"):
    counts = np.array([[6, 2, 0], [1, 12, 4], [0, 3, 9]])
    rows = [(item, "T1", "T2", a + 1, b + 1, counts[a, b]) for a in range(3) for b in range(3)]
    out = pd.DataFrame(rows, columns=["item", "from_wave", "to_wave", "value_from", "value_to", "n"])
    out["n_pairs"] = counts.sum()
    return out


def test_transition_heatmap_suppresses_small_cells():
    fig = F.transition_heatmap(transitions(), "A1", "T1", "T2", FR)
    image = collection(fig, "transitions")
    data = image.get_array()
    assert data.shape == (3, 3)
    small = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)
    assert (np.ma.getmaskarray(data) == small).all()   # drawn in the neutral grey, not by count
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert cells == ["6", "<5", "0", "<5", "12", "<5", "0", "<5", "9"]
    assert "Réponse à T2" in texts(fig)
    assert "Answer at T2" in texts(F.transition_heatmap(transitions(), "A1", "T1", "T2", EN))
    draws(fig)


def test_transition_heatmap_labels_reverse_items_with_the_scale():
    fig = F.transition_heatmap(transitions("A2"), "A2", "T1", "T2", FR, scales=SCALES, items=ITEMS)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    # recoded 1 of a reverse item is "Tout à fait d'accord"
    assert ticks[0].startswith("1\n") and "Tout à fait" in ticks[0]
    assert "Je doute de moi" in title(fig)
    assert is_no_data(F.transition_heatmap(transitions(), "ZZ", "T1", "T2", FR))


# ---------------------------------------------------------------------------
# Sensitivity
# ---------------------------------------------------------------------------


def sensitivity_tables():
    dims = ["Confiance", "Recherche"]
    model = pd.DataFrame({"dimension": dims, "term": "T2 vs T1", "from_wave": "T1", "to_wave": "T2",
                          "estimate": [0.3, 0.1], "ci_low": [0.1, -0.1], "ci_high": [0.5, 0.3],
                          "n_candidates": [100, 100]})
    completers = pd.DataFrame({"dimension": dims * 2, "from_wave": "T1",
                               "to_wave": ["T2", "T2", "T3", "T3"], "n": [50, 49, 20, 20],
                               "mean_diff": [0.35, 0.05, 0.4, 0.2], "ci_low": [0.1, -0.2, 0.1, 0.0],
                               "ci_high": [0.6, 0.3, 0.7, 0.4]})
    imputed = completers.assign(estimate=[0.32, 0.08, 0.5, 0.3], n=100).drop(columns="mean_diff")
    return model, completers, imputed


def test_sensitivity_figure_three_estimates_per_dimension():
    model, completers, imputed = sensitivity_tables()
    fig = F.sensitivity_figure(model, completers, imputed, FR, "T1", "T2")
    assert [n_points(fig, k) for k in ("completers", "model", "imputed")] == [2, 2, 2]
    assert title(fig) == "L'évolution dépend-elle de qui est resté ? T1 → T2"
    assert any("n = 49 à 50" in t for t in texts(fig))
    # T1 -> T3: the model has no estimate; the figure says so
    fig13 = F.sensitivity_figure(model, completers, imputed, EN, "T1", "T3")
    assert [n_points(fig13, k) for k in ("completers", "model", "imputed")] == [2, 0, 2]
    assert EN.t("figures.sensitivity.model_missing") in " ".join(texts(fig13)).replace("\n", " ")
    assert is_no_data(F.sensitivity_figure(model, completers, imputed, FR, "T2", "T3"))
    assert is_no_data(F.sensitivity_figure(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), FR, "T1", "T2"))


# ---------------------------------------------------------------------------
# Power
# ---------------------------------------------------------------------------


def test_power_curve_marks_the_observed_pairs():
    power = pd.DataFrame({"from_wave": ["T1"], "to_wave": ["T2"], "n_pairs": [30], "mdes": [0.5292],
                          "n_for_d_0.2": [199], "n_for_d_0.3": [90], "n_for_d_0.5": [34]})
    fig = F.power_curve(power, FR, "T1", "T2")
    (point,) = by_gid(fig, "observed")
    assert point.get_xdata()[0] == 30 and point.get_ydata()[0] == pytest.approx(0.5292)
    (curve,) = by_gid(fig, "mdes-curve")
    x, y = curve.get_xdata(), curve.get_ydata()
    assert np.all(np.diff(y) < 0) and y[x == 30][0] == pytest.approx(0.5292, abs=1e-3)
    all_text = texts(fig)
    assert "d = 0,5 : effet moyen" in all_text and "d = 0,2 : petit effet" in all_text
    assert "199 paires" in all_text
    assert "d = 0.5: medium effect" in texts(F.power_curve(power, EN, "T1", "T2"))
    assert is_no_data(F.power_curve(power, FR, "T2", "T3"))
    assert is_no_data(F.power_curve(power.assign(n_pairs=np.nan), FR, "T1", "T2"))


# ---------------------------------------------------------------------------
# Texts from the data, empty inputs, PNG output
# ---------------------------------------------------------------------------


def test_dollar_in_item_text_is_printed_literally():
    dist = distribution(items=("B1",))
    for fig in (F.diverging_bars(shares(dist), ITEMS, FR, "T1", "T2"),
                F.forest_plot(item_change(), ITEMS, FR, "T1", "T2"),
                F.transition_heatmap(transitions("B1"), "B1", "T1", "T2", FR, items=ITEMS)):
        fig.canvas.draw()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        assert any("5\\$" in t for t in texts(fig))


@pytest.mark.parametrize("call", [
    lambda t: F.funnel_figure(t, FR),
    lambda t: F.diverging_bars(t, None, FR, "T1", "T2"),
    lambda t: F.forest_plot(t, None, FR, "T1", "T2"),
    lambda t: F.rci_scatter(t, t, "D", "T1", "T2", FR),
    lambda t: F.transition_heatmap(t, "A1", "T1", "T2", FR),
    lambda t: F.sensitivity_figure(t, t, t, FR, "T1", "T2"),
    lambda t: F.power_curve(t, FR, "T1", "T2"),
])
@pytest.mark.parametrize("table", [pd.DataFrame(), None])
def test_empty_input_gives_the_no_data_figure(call, table):
    fig = call(table)
    assert isinstance(fig, Figure) and is_no_data(fig)
    assert "Pas de données à représenter pour cette figure." in texts(fig)
    draws(fig)


def test_png_bytes_are_deterministic(tmp_path):
    model, completers, imputed = sensitivity_tables()
    fig = F.sensitivity_figure(model, completers, imputed, FR, "T1", "T2")
    first, second = F.to_png_bytes(fig), F.to_png_bytes(fig)
    assert first == second
    again = F.to_png_bytes(F.sensitivity_figure(model, completers, imputed, FR, "T1", "T2"))
    assert again == first
    assert b"matplotlib" not in first.lower()
    path = F.save_png(fig, tmp_path / "out" / "fig.png")
    assert path.read_bytes() == first


# ---------------------------------------------------------------------------
# Demo study
# ---------------------------------------------------------------------------


def test_demo_figures(demo_results, demo_processed):
    res, built = demo_results
    items, scales, demo_scores = demo_processed.items, demo_processed.scales, demo_processed.scores

    fig = F.funnel_figure(res["funnel"], EN)
    assert len(by_gid(fig, "funnel:")) == len(res["funnel"])

    dims = items["dimension"].unique()
    dim_items = items.loc[items["dimension"] == dims[0], "item"].tolist()
    for table in (res["item_shares"], built["item_shares"]):   # read back and built: same dtypes
        fig = F.diverging_bars(table, items, FR, "T1", "T2", dimension=dims[0])
        assert bar_rows(fig) == {(i, w) for i in dim_items for w in ("T1", "T2")}
        neutral = [p for p in by_gid(fig, "bar:") if p.get_gid().endswith("Ni d'accord ni pas d'accord")]
        assert len(neutral) == 2 * len(dim_items)
        # percentages read back carry 10 significant digits
        assert all(p.get_x() + p.get_width() / 2 == pytest.approx(0.0, abs=1e-7) for p in neutral)

    change = res["item_change"]
    pair = change.loc[(change["from_wave"] == "T1") & (change["to_wave"] == "T2")]
    fig = F.forest_plot(change, items, FR, "T1", "T2")
    assert n_points(fig, "significant") + n_points(fig, "not-significant") == pair["mean_diff"].notna().sum()
    assert n_points(fig, "significant") == (pair["p_adjusted"] < 0.05).sum()

    rci = res["rci"]
    row = rci.loc[(rci["dimension"] == dims[0]) & (rci["from_wave"] == "T1") & (rci["to_wave"] == "T2")].iloc[0]
    fig = F.rci_scatter(rci_points(demo_scores, rci), rci, dims[0], "T1", "T2", FR)
    counts = {k: n_points(fig, k) for k in ("improved", "no-change", "deteriorated")}
    assert sum(counts.values()) == row["n"]
    assert 100 * counts["improved"] / row["n"] == pytest.approx(row["pct_reliable_improvement"])
    assert not any(c in " ".join(texts(fig)) for c in demo_scores["candidate"].head(20))

    fig = F.transition_heatmap(res["item_transitions"], dim_items[0], "T1", "T3", FR,
                               scales=scales, items=items)
    trans = res["item_transitions"]
    cells = trans.loc[(trans["item"] == dim_items[0]) & (trans["from_wave"] == "T1") & (trans["to_wave"] == "T3")]
    n_small = int(((cells["n"] > 0) & (cells["n"] < 5)).sum())
    assert n_small > 0
    assert sum(t == "<5" for t in texts(fig)) == n_small

    fig = F.sensitivity_figure(res["dimension_model"], res["completers_change"], res["imputed_change"],
                               FR, "T1", "T2")
    assert [n_points(fig, k) for k in ("completers", "model", "imputed")] == [len(dims)] * 3

    fig = F.power_curve(res["power"], EN, "T1", "T3")
    (point,) = by_gid(fig, "observed")
    assert point.get_xdata()[0] == res["power"]["n_pairs"].iloc[1]
    assert title(fig) == "What change can be detected? T1 → T3"


# ---------------------------------------------------------------------------
# Compute, then draw: every number drawn is a cell of a table
# ---------------------------------------------------------------------------


def test_figures_module_has_no_coercion_helpers():
    # typed results (docs/results-tables.md) left nothing to coerce
    for helper in ("_keys", "_num", "_flag", "_scale_catalogue", "_item_levels"):
        assert not hasattr(F, helper), helper


def test_diverging_bars_draw_the_shares_table():
    table = shares()
    fig = F.diverging_bars(table, ITEMS, FR, "T1", "T2")
    for row in table.itertuples():
        if row.kind == "answer":
            found = by_gid(fig, f"bar:{row.item}:{row.wave}:{row.label}")
        else:
            found = by_gid(fig, f"side:{row.item}:{row.wave}:{row.kind}")
        if row.pct == 0:
            assert not found
            continue
        (patch,) = found
        assert patch.get_x() == row.start and patch.get_width() == row.pct


def test_rci_scatter_draws_the_classes_of_the_statistics_layer():
    points = rci_points(scores(), RCI)
    fig = F.rci_scatter(points, RCI, "Confiance", "T1", "T2", FR)
    for gid, cls in (("improved", "improved"), ("no-change", "no_change"),
                     ("deteriorated", "deteriorated")):
        drawn = collection(fig, gid).get_offsets()
        rows = points.loc[points["change"] == cls, ["score_from", "score_to"]].to_numpy()
        np.testing.assert_array_equal(np.asarray(drawn), rows)


def test_power_curve_draws_the_curve_frame():
    power = pd.DataFrame({"from_wave": ["T1"], "to_wave": ["T2"], "n_pairs": pd.array([30], dtype="Int64"),
                          "mdes": [0.5292], "n_for_d_0.2": pd.array([199], dtype="Int64")})
    curve = mdes_curve(power, n_max=100, points=20)
    fig = F.power_curve(power, FR, "T1", "T2", curve=curve)
    (line,) = by_gid(fig, "mdes-curve")
    np.testing.assert_array_equal(line.get_xdata(), curve["n_pairs"])
    np.testing.assert_array_equal(line.get_ydata(), curve["mdes"])
    # without a curve, the figure asks the statistics layer for the default one
    (default,) = by_gid(F.power_curve(power, FR, "T1", "T2"), "mdes-curve")
    np.testing.assert_array_equal(default.get_ydata(), mdes_curve(power)["mdes"])


def test_read_and_built_results_draw_the_same_png(demo_results, demo_processed):
    """The notebooks get typed tables from CSV (papermill) or memory (JupyterLab): same figure."""
    res, built = demo_results
    items, scales, demo_scores = demo_processed.items, demo_processed.scales, demo_processed.scores
    dim = items["dimension"].iloc[0]
    item = items["item"].iloc[0]

    def figures(t):
        return [F.funnel_figure(t["funnel"], FR),
                F.diverging_bars(t["item_shares"], items, FR, "T1", "T2", dimension=dim),
                F.forest_plot(t["item_change"], items, FR, "T1", "T2"),
                F.rci_scatter(rci_points(demo_scores, t["rci"]), t["rci"], dim, "T1", "T2", FR),
                F.transition_heatmap(t["item_transitions"], item, "T1", "T2", FR, scales=scales,
                                     items=items),
                F.sensitivity_figure(t["dimension_model"], t["completers_change"],
                                     t["imputed_change"], FR, "T1", "T2"),
                F.power_curve(t["power"], FR, "T1", "T3")]

    for a, b in zip(figures(res), figures(built)):
        assert F.to_png_bytes(a) == F.to_png_bytes(b)


# ---------------------------------------------------------------------------
# Collection: response rate by cohort of entry (issue 12)
# ---------------------------------------------------------------------------


def cohorts_table(first_rates=(1.0, 1.0, 1.0)):
    """A hand-made collection_cohorts table: three quarters, T2's last cohort suppressed."""
    starts, ends = ["2023-10-01", "2024-01-01", "2024-04-01"], ["2023-12-31", "2024-03-31", "2024-06-30"]
    rows = []
    for k, (a, b) in enumerate(zip(starts, ends)):
        rows.append((a, b, "T1", 30, 30, round(30 * first_rates[k]), 0, first_rates[k],
                     0.88, 1.0, False))
        if k < 2:
            rows.append((a, b, "T2", 30, 30, 12 + 3 * k, 0, (12 + 3 * k) / 30, 0.25, 0.58, False))
        else:
            rows.append((a, b, "T2", 30, 3, 1, 27, np.nan, np.nan, np.nan, True))
        rows.append((a, b, "T3", 30, 20, 2 + 5 * k, 10, (2 + 5 * k) / 20, 0.03, 0.8, False))
    return pd.DataFrame(rows, columns=["cohort_start", "cohort_end", "wave", "n_entrants", "n_due",
                                       "n_answered", "n_not_yet_due", "response_rate", "ci_low",
                                       "ci_high", "suppressed"]).assign(period="quarter")


CHANGES = pd.DataFrame({"change_date": ["2024-03-01"], "label": ["Questionnaire au dernier entretien"],
                        "wave": ["T3"]})
WAVE_LABELS = {"T1": "Entrée", "T2": "Mi-parcours", "T3": "Sortie"}


def test_collection_trend_draws_shown_cohorts_and_marks_changes():
    table = cohorts_table()
    fig = F.collection_trend(table, FR, CHANGES, wave_labels=WAVE_LABELS, waves=["T1", "T2", "T3"])
    draws(fig)
    # alternative text: the figure's title and subtitle (ReportView.fig reads these gids)
    assert title(fig) == "Taux de réponse par cohorte d'entrée"
    (subtitle,) = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "subtitle"]
    assert "par trimestre d'entrée" in subtitle.replace("\n", " ")
    # every entrant answered T1: no panel for it, and the footnote says so
    assert not by_gid(fig, "rate:T1")
    assert any("Le questionnaire Entrée (T1) n'est pas montré" in t for t in texts(fig))
    # T2: the suppressed cohort has neither point nor interval; the others are the table's cells
    shown = table[(table["wave"] == "T2") & ~table["suppressed"]]
    np.testing.assert_allclose(collection(fig, "rate:T2").get_offsets()[:, 1], shown["response_rate"])
    segments = collection(fig, "ci:T2").get_segments()
    assert [(s[0][1], s[1][1]) for s in segments] == list(zip(shown["ci_low"], shown["ci_high"]))
    assert n_points(fig, "rate:T3") == 3
    # the change concerns T3: one dashed line, in its panel, labelled with its date
    (line,) = by_gid(fig, "change:2024-03-01")
    assert line.get_linestyle() == "--"
    assert line.axes.get_title(loc="left") == "Sortie (T3)"
    assert "1er mars 2024" in texts(fig)
    assert any("1er mars 2024 : Questionnaire au dernier entretien" in t for t in texts(fig))
    # x labels: the month each cohort starts
    ticks = [t.get_text() for t in line.axes.get_xticklabels()]
    assert ticks == ["oct.\n2023", "janv.\n2024", "avr.\n2024"]


def test_collection_trend_keeps_an_informative_first_wave_and_english():
    fig = F.collection_trend(cohorts_table(first_rates=(1.0, 0.9, 1.0)), EN, None,
                             wave_labels=WAVE_LABELS)
    assert n_points(fig, "rate:T1") == 3
    assert not by_gid(fig, "change:")
    assert title(fig) == "Response rate by cohort of entry"
    assert not any("is not shown" in t for t in texts(fig))
    assert [t.get_text() for t in by_gid(fig, "rate:T3")[0].axes.get_xticklabels()] \
        == ["Oct\n2023", "Jan\n2024", "Apr\n2024"]


def test_collection_trend_without_anything_to_show():
    hidden = cohorts_table().assign(suppressed=True, response_rate=np.nan)
    for table in (hidden, pd.DataFrame(), None):
        fig = F.collection_trend(table, FR, CHANGES)
        assert is_no_data(fig) and title(fig) == "Taux de réponse par cohorte d'entrée"


def test_demo_collection_trend(demo_results):
    res, built = demo_results
    cohorts, changes = res["collection_cohorts"], res["collection_changes"]
    fig = F.collection_trend(cohorts, FR, changes, wave_labels=WAVE_LABELS, waves=["T1", "T2", "T3"])
    for wave in ("T2", "T3"):
        shown = cohorts[(cohorts["wave"] == wave) & ~cohorts["suppressed"]]
        assert n_points(fig, f"rate:{wave}") == len(shown) > 0
    assert len(by_gid(fig, "change:2024-03-01")) == 1
    again = F.collection_trend(built["collection_cohorts"], FR, built["collection_changes"],
                               wave_labels=WAVE_LABELS, waves=["T1", "T2", "T3"])
    assert F.to_png_bytes(fig) == F.to_png_bytes(again)


# ---------------------------------------------------------------------------
# Employment and social impact (issue 13)
# ---------------------------------------------------------------------------


def outcomes_table(target=0.5):
    """A hand-made outcomes table: the whole study, three counted exit cohorts (the third with
    3 known situations: suppressed) and one whose candidates all left less than 6 months ago."""
    rows = [("all", None, 70, 52, 30, 0.5769, 0.4428, 0.7007, 0.6286, 0.4286, 20, False),
            ("2024-01-01", "2024-03-31", 36, 28, 17, 0.6071, 0.4240, 0.7643, 0.6944, 0.4722, 0,
             False),
            ("2024-04-01", "2024-06-30", 30, 21, 11, 0.5238, 0.3240, 0.7166, 0.6667, 0.3667, 0,
             False),
            ("2024-07-01", "2024-09-30", 4, 3, 2, np.nan, np.nan, np.nan, np.nan, np.nan, 6, True),
            ("2024-10-01", "2024-12-31", 0, 0, 0, np.nan, np.nan, np.nan, np.nan, np.nan, 14, True)]
    t = pd.DataFrame(rows, columns=["cohort", "cohort_end", "n_exited", "n_known", "n_employed",
                                    "share", "ci_low", "ci_high", "share_if_unknown_employed",
                                    "share_if_unknown_not_employed", "n_pending", "suppressed"])
    return t.assign(target=target, months=6,
                    period=["all"] + ["quarter"] * 4)


def test_employment_trend_draws_shares_bounds_and_the_target():
    table = outcomes_table()
    fig = F.employment_trend(table, FR)
    draws(fig)
    assert title(fig) == "À l'emploi 6 mois après la sortie"
    (subtitle,) = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "subtitle"]
    assert "par trimestre de sortie" in subtitle.replace("\n", " ")
    # the whole study then the two cohorts with a share; the suppressed one and the one not
    # counted yet have no point, no bar, no band
    shown = table[~table["suppressed"]]
    np.testing.assert_allclose(collection(fig, "share").get_offsets()[:, 1], shown["share"])
    segments = collection(fig, "ci").get_segments()
    assert [(s[0][1], s[1][1]) for s in segments] == list(zip(shown["ci_low"], shown["ci_high"]))
    bands = by_gid(fig, "bounds:")
    assert [b.get_gid() for b in bands] == ["bounds:all", "bounds:2024-01-01", "bounds:2024-04-01"]
    for band, (_, r) in zip(bands, shown.iterrows()):
        assert band.get_y() == pytest.approx(r["share_if_unknown_not_employed"])
        assert band.get_y() + band.get_height() == pytest.approx(r["share_if_unknown_employed"])
    assert not by_gid(fig, "bounds:2024-07-01") and by_gid(fig, "hidden:2024-07-01")
    assert not by_gid(fig, "hidden:2024-10-01")                  # not drawn at all
    # the target: a dashed line at 50 %, labelled
    (line,) = by_gid(fig, "target")
    assert line.get_linestyle() == "--" and list(line.get_ydata()) == [0.5, 0.5]
    assert "Objectif : 50\u00a0%" in texts(fig)
    ticks = [t.get_text() for t in line.axes.get_xticklabels()]
    assert ticks == ["Ensemble", "janv.\n2024", "avr.\n2024", "juil.\n2024"]
    assert any("20 autres le seront" in t for t in texts(fig))


def test_employment_trend_without_target_english_and_no_data():
    fig = F.employment_trend(outcomes_table(target=np.nan), EN)
    assert not by_gid(fig, "target") and title(fig) == "In employment 6 months after exit"
    assert n_points(fig, "share") == 3
    hidden = outcomes_table().assign(suppressed=True, share=np.nan)
    for table in (hidden, pd.DataFrame(), None):
        assert is_no_data(F.employment_trend(table, FR))


def soft_hard_table():
    return pd.DataFrame({"dimension": ["Confiance", "Recherche d'emploi", "Bien-être"],
                         "difference": [0.16, 0.47, np.nan], "ci_low": [-0.09, 0.25, np.nan],
                         "ci_high": [0.41, 0.69, np.nan], "n_employed": [53, 53, 4],
                         "n_not_employed": [33, 33, 33], "suppressed": [False, False, True]})


def test_soft_hard_figure_draws_shown_dimensions_only():
    fig = F.soft_hard_figure(soft_hard_table(), FR)
    draws(fig)
    assert title(fig) == "Progression mesurée : candidats à l'emploi et les autres"
    (subtitle,) = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "subtitle"]
    assert "Une association, pas la preuve d'un effet." in subtitle.replace("\n", " ")
    offsets = collection(fig, "difference").get_offsets()
    np.testing.assert_allclose(offsets[:, 0], [0.16, 0.47])
    np.testing.assert_allclose(offsets[:, 1], [0, 1])          # Bien-être (row 2) not drawn
    assert [(s[0][0], s[1][0]) for s in collection(fig, "ci").get_segments()] == \
        [(-0.09, 0.41), (0.25, 0.69)]
    labels = [t.get_text() for t in offsets_axes(fig).get_yticklabels()]
    assert labels == ["Confiance", "Recherche d'emploi", "Bien-être (moins de 5)"]
    assert is_no_data(F.soft_hard_figure(soft_hard_table().assign(suppressed=True), FR))


def offsets_axes(fig):
    return collection(fig, "difference").axes


def test_policy_profile_draws_the_smd_of_shown_rows():
    t = pd.DataFrame({
        "change_date": "2024-01-01", "label": "Fin de la sélection", "kind": "selection",
        "measure": ["entrants", "baseline_share", "baseline_share", "baseline_share",
                    "baseline_score", "baseline_score", "change"],
        "variable": ["per_month", "Diplôme", "Diplôme", "Genre", "Confiance", "Recherche",
                     "Confiance"],
        "level": [None, "Primaire", "Supérieur", "Autre", None, None, None],
        "smd": [np.nan, 0.23, -0.30, np.nan, -0.63, -0.69, np.nan],
        "suppressed": [False, False, False, True, False, False, False]})
    fig = F.policy_profile(t, FR, "2024-01-01")
    draws(fig)
    assert title(fig) == "Profil à l'entrée, avant et après le 1er janvier 2024"
    offsets = collection(fig, "smd").get_offsets()
    np.testing.assert_allclose(offsets[:, 0], [0.23, -0.30, -0.63, -0.69])
    # rows: the three levels (the suppressed one labelled, no point), a gap, the two scores
    labels = [x.get_text() for x in collection(fig, "smd").axes.get_yticklabels()]
    assert labels == ["Diplôme : Primaire", "Diplôme : Supérieur", "Genre : Autre", "Confiance",
                      "Recherche"]
    assert 2.0 not in offsets[:, 1]
    assert by_gid(fig, "small") and "Scores à l'entrée" in texts(fig)
    assert is_no_data(F.policy_profile(t[t["measure"] == "entrants"], FR))


def test_demo_outcome_figures(demo_results):
    res, built = demo_results
    out = res["outcomes"]
    fig = F.employment_trend(out, FR)
    shown = out[~out["suppressed"] & (out["n_exited"] > 0)]
    assert n_points(fig, "share") == len(shown) > 3 and len(by_gid(fig, "target")) == 1
    again = F.employment_trend(built["outcomes"], FR)
    assert F.to_png_bytes(fig) == F.to_png_bytes(again)
    for name, draw in (("soft_hard", lambda t: F.soft_hard_figure(t, FR)),
                       ("policy_change", lambda t: F.policy_profile(t, FR))):
        assert F.to_png_bytes(draw(res[name])) == F.to_png_bytes(draw(built[name]))
    assert n_points(F.soft_hard_figure(res["soft_hard"], FR), "difference") \
        == int((~res["soft_hard"]["suppressed"]).sum())


# ---------------------------------------------------------------------------
# Ordinal model: probability of a higher answer; one figure per dimension (issue 15)
# ---------------------------------------------------------------------------

ORDINAL_ITEMS = pd.DataFrame({
    "item": ["A1", "A2", "A3", "B1", "B2"],
    "text": ["Je me sens capable", "Je doute de moi", "Je parle en groupe", "Mon CV est à jour",
             "Je sais chercher"],
    "dimension": ["Confiance"] * 3 + ["Recherche"] * 2,
    "scale": "accord5", "reverse": [False, True, False, False, False]})


def ordinal_effects_frame():
    from impactlib.stats.ordinal_effects import ordinal_effects

    table = pd.DataFrame({
        "item": ["A1", "A2", "A3", "B1", "B2"], "dimension": ["Confiance"] * 3 + ["Recherche"] * 2,
        "from_wave": "T1", "to_wave": "T3",
        "estimate": [1.0, np.nan, 0.2, 0.6, -0.8], "ci_low": [0.4, np.nan, -0.3, 0.1, -1.3],
        "ci_high": [1.6, np.nan, 0.7, 1.1, -0.3], "prob_higher": [0.62, np.nan, 0.53, 0.58, 0.41],
        "prob_low": [0.56, np.nan, 0.47, 0.52, 0.36], "prob_high": [0.67, np.nan, 0.58, 0.63, 0.47],
        "n_candidates": [120, 118, 121, 3, 119], "converged": [True, False, True, True, True]})
    return ordinal_effects(table, "T1", "T3")


def _interval_ends(fig) -> set:
    ax = fig.axes[0]
    return {tuple(np.round(line.get_xdata(), 10)) for line in ax.get_lines()
            if len(line.get_xdata()) == 2 and line.get_xdata()[0] != line.get_xdata()[1]}


def _smallest_text(fig) -> float:
    return min(t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible())


def test_ordinal_plot_shows_every_item_with_its_status():
    effects = ordinal_effects_frame()
    fig = F.ordinal_plot(effects, ORDINAL_ITEMS, FR, "T1", "T3")
    assert [n_points(fig, k) for k in ("higher", "unclear", "lower")] == [1, 1, 1]
    assert collection(fig, "higher").get_offsets()[0][0] == pytest.approx(0.62)
    shown = effects.dropna(subset=["prob_low"])
    assert _interval_ends(fig) == {(round(lo, 10), round(hi, 10))
                                   for lo, hi in zip(shown["prob_low"], shown["prob_high"])}
    # never dropped silently: the unconverged item and the suppressed one keep their rows
    assert len(by_gid(fig, "not_converged:A2")) == 1 and len(by_gid(fig, "suppressed:B1")) == 1
    all_text = " ".join(texts(fig))
    assert "pas d'estimation (non-convergence)" in all_text
    assert "masquée : moins de 5 candidats" in all_text
    assert "n = 120" in all_text and "n = 3" not in all_text
    assert "(50\u00a0% = pas de changement)" in all_text
    assert "intervalle de confiance à 95\u00a0%" in all_text
    assert "y compris celles des candidats partis avant T3" in all_text
    assert title(fig) == "Probabilité de répondre plus haut : T1 → T3"
    assert fig.get_size_inches()[0] == 5.0 and _smallest_text(fig) >= 8
    draws(fig)


def test_ordinal_and_forest_plots_per_dimension_share_one_scale():
    effects = ordinal_effects_frame()
    figs = {d: F.ordinal_plot(effects, ORDINAL_ITEMS, EN, "T1", "T3", dimension=d)
            for d in ("Confiance", "Recherche")}
    assert n_points(figs["Confiance"], "higher") == 1 and n_points(figs["Confiance"], "lower") == 0
    assert n_points(figs["Recherche"], "lower") == 1 and n_points(figs["Recherche"], "higher") == 0
    assert figs["Confiance"].axes[0].get_xlim() == figs["Recherche"].axes[0].get_xlim()
    assert title(figs["Recherche"]) == "Recherche: probability of a higher answer, T1 → T3"
    assert "hidden: fewer than 5 candidates" in " ".join(texts(figs["Recherche"]))
    assert is_no_data(F.ordinal_plot(effects, ORDINAL_ITEMS, FR, "T1", "T3", dimension="Autre"))
    assert is_no_data(F.ordinal_plot(effects.iloc[:0], ORDINAL_ITEMS, FR, "T1", "T3"))

    forest = {d: F.forest_plot(item_change(), ITEMS, FR, "T1", "T2", dimension=d)
              for d in ("Confiance", "Recherche")}
    assert n_points(forest["Confiance"], "significant") + n_points(forest["Confiance"], "not-significant") == 2
    assert n_points(forest["Recherche"], "not-significant") == 1
    assert forest["Confiance"].axes[0].get_xlim() == forest["Recherche"].axes[0].get_xlim()
    assert title(forest["Confiance"]) == "Confiance : évolution question par question, T1 → T2"
    for fig in [*figs.values(), *forest.values()]:
        assert _smallest_text(fig) >= 8


def test_demo_item_figures_per_dimension_fit_two_to_a_printed_page(demo_results):
    """Printed A4 (297 mm, margins 15 + 17 mm) holds 10.4 in: two figures of at most 4.95 in
    and their margins. Each text at 8 pt or more (9 CSS px on a 390 px phone)."""
    from impactlib.stats.ordinal_effects import ordinal_effects

    res, _ = demo_results
    items = res["item_shares"][["item", "dimension"]].drop_duplicates("item")
    effects = ordinal_effects(res["item_ordinal"], "T1", "T3")
    for dim in items["dimension"].unique():
        for fig in (F.diverging_bars(res["item_shares"], None, FR, "T1", "T3", dimension=dim),
                    F.forest_plot(res["item_change"], None, FR, "T1", "T3", dimension=dim),
                    F.ordinal_plot(effects, None, FR, "T1", "T3", dimension=dim)):
            width, height = fig.get_size_inches()
            assert width == 5.0 and height <= 4.95, (dim, title(fig), height)
            assert _smallest_text(fig) >= 8
            plt.close(fig)
