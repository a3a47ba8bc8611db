"""Reports: every notebook run by papermill, HTML for the board, manifest, failures."""

from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import pytest

from impactlib.report.build import ReportError, run_report

NOTEBOOKS = ["00_synthese", "01_qualite", "02_abandons", "03_questions", "04_dimensions",
             "05_echantillon", "06_collecte", "07_emploi"]


def _html(folder, name):
    return (folder / "html" / f"{name}.html").read_text(encoding="utf-8")


def test_every_notebook_runs_and_renders(demo_report):
    assert sorted(p.stem for p in (demo_report / "notebooks").glob("*.ipynb")) == NOTEBOOKS
    pages = {p.stem for p in (demo_report / "html").glob("*.html")}
    assert pages == set(NOTEBOOKS) | {"index", "rapport"}
    index = _html(demo_report, "index")
    for name in NOTEBOOKS:
        assert f'href="{name}.html"' in index
    from html import unescape

    assert "Démo - questionnaire d'impact social" in unescape(index)
    assert "toutes les données" in index
    # the index is a short entry page: the contents and the printable version,
    # no page repeated (render.py)
    assert "Synthèse pour le conseil d'administration" in index
    assert 'href="rapport.html"' in index and "<img" not in index
    assert "Ce rapport ne contient ni code" in index


def test_pages_show_no_code_and_embed_their_images(demo_report):
    for name in NOTEBOOKS:
        text = _html(demo_report, name)
        assert not re.search(r'class="[^"]*jp-InputArea', text), name
        assert "open_report" not in text and "import " not in text, name
        assert not re.search(r'(src|href)="https?://', text), name
        assert '<html lang="fr">' in text, name
        assert 'href="index.html"' in text, name
    synthesis = _html(demo_report, "00_synthese")
    assert synthesis.count('src="figures/') >= 1            # SVG files beside the pages
    assert _html(demo_report, "03_questions").count('src="figures/') >= 6


def test_html_numbers_match_the_results(demo_report):
    funnel = pd.read_csv(demo_report / "results" / "funnel.csv")
    synthesis = _html(demo_report, "00_synthese")
    for n in funnel["n_candidates"]:
        assert re.search(rf"\b{n}\b", synthesis), n
    power = pd.read_csv(demo_report / "results" / "power.csv")
    sample = _html(demo_report, "05_echantillon")
    for n in power["n_pairs"]:
        assert f">{n}<" in sample
    mdes = power["mdes"].iloc[-1]
    assert f"{mdes:.2f}".replace(".", ",") in sample
    quality = pd.read_csv(demo_report / "results" / "quality.csv")
    page = _html(demo_report, "01_qualite")
    for n in quality["rows_read"]:
        assert f">{n}<" in page


def test_no_raw_id_anywhere_in_the_report(demo_report):
    ids = pd.read_csv(demo_report.parent / "processed" / "pseudonyms.csv")["id"].astype(str)
    pseudonyms = pd.read_csv(demo_report.parent / "processed" / "pseudonyms.csv")["candidate"]
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in demo_report.rglob("*") if p.is_file())
    assert not [i for i in ids if i in text]
    assert not [p for p in pseudonyms if p in text]
    assert "test-key-not-secret" not in text


def test_manifest_records_inputs_versions_and_seed(demo_report, demo_study):
    m = json.loads((demo_report / "manifest.json").read_text(encoding="utf-8"))
    assert set(m["inputs"]) >= {"study.yml", "codebook.xlsx", "registry.csv",
                                "exports/T1_entree.csv", "exports/T2_mi-parcours.xlsx",
                                "exports/T3_sortie.csv"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in m["inputs"].values())
    assert m["seed"] == 20240601
    assert {"pandas", "statsmodels", "papermill", "impactlib"} <= set(m["versions"])
    assert m["started"] <= m["finished"]
    assert m["parameters"]["lang"] == "fr"


def test_executed_notebooks_keep_their_parameters(demo_report):
    nb = nbformat.read(demo_report / "notebooks" / "00_synthese.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "results" in injected[0].source


def test_report_holds_no_path_of_this_machine(demo_report, demo_study):
    """Processed and report folders outside the study's folder: written
    ``<elsewhere>/<name>``; the study relative to its folder."""
    from test_config import assert_no_machine_path

    assert_no_machine_path(demo_report, demo_study.parent, demo_report.parent / "processed",
                           demo_report)
    m = json.loads((demo_report / "manifest.json").read_text(encoding="utf-8"))
    assert m["parameters"]["study"] == "study.yml"
    assert m["parameters"]["processed"] == "<elsewhere>/processed"
    assert m["parameters"]["out"] == "<elsewhere>/demo"
    nb = nbformat.read(demo_report / "notebooks" / "00_synthese.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'study = "study.yml"' in injected.source
    assert 'results = "<elsewhere>/results"' in injected.source
    assert nb.metadata.papermill.input_path == "00_synthese.py"      # the notebook's source


def test_english_report_for_a_period(demo_study, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = run_report(demo_study, processed=tmp_path / "p", since="2023-06-01",
                     until="2024-06-30", lang="en", notebooks=None)
    # a standalone study: its reports go beside it, not into the current folder
    assert out == demo_study.parent / "reports" / "demo-2024-06-30"
    assert [p.name for p in tmp_path.iterdir()] == ["p"]
    index = _html(out, "index")
    assert "Summary for the board" in index and "from 2023-06-01 to 2024-06-30" in index
    assert '<html lang="en">' in _html(out, "00_synthese")
    assert "Summary for the board" in _html(out, "00_synthese")
    patterns = pd.read_csv(out / "results" / "patterns.csv")
    assert patterns["n_candidates"].sum() < 309           # the period keeps fewer


def _notebook(path, sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(sources[0], metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources[1:]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_a_failing_notebook_stops_the_run_without_html(demo_study, tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    params = "study = None\nprocessed = None\nresults = None\nsince = None\nuntil = None\nlang = None"
    _notebook(folder / "a_ok.ipynb", [params, "x = 1"])
    _notebook(folder / "b_broken.ipynb", [params, "x = 1", "raise ValueError('boom')"])
    out = tmp_path / "report"
    with pytest.raises(ReportError) as err:
        run_report(demo_study, out=out, processed=tmp_path / "p", notebooks=folder, jobs=1)
    message = str(err.value)
    assert "b_broken.ipynb" in message and "cell 3" in message and "ValueError: boom" in message
    assert not (out / "html").exists()
    assert not (out / "manifest.json").exists()


def test_bad_dates_are_clear_errors(demo_study, tmp_path):
    from impactlib.errors import StudyError

    with pytest.raises(StudyError, match="--until must be a date written YYYY-MM-DD"):
        run_report(demo_study, out=tmp_path / "r", until="30/06/2024")


def test_a_study_never_seen_runs_every_notebook(tmp_path, monkeypatch):
    """Another questionnaire: 20 items, a 4-point scale, its own column names, no registry."""
    import subprocess
    import sys
    from pathlib import Path

    make = Path(__file__).parent / "r_reference" / "make_study.py"
    subprocess.run([sys.executable, str(make), str(tmp_path / "study")], check=True,
                   capture_output=True)
    out = run_report(tmp_path / "study" / "study.yml", out=tmp_path / "report",
                     processed=tmp_path / "processed")
    pages = {p.stem for p in (out / "html").glob("*.html")}
    assert pages == set(NOTEBOOKS) | {"index", "rapport"}
    funnel = pd.read_csv(out / "results" / "funnel.csv")
    synthesis = _html(out, "00_synthese")
    for n in funnel["n_candidates"]:
        assert re.search(rf"\b{n}\b", synthesis), n
    rates = _html(out, "02_abandons")
    assert "Sans registre" in rates                  # no registry: said, not guessed


def test_two_runs_give_byte_identical_results(demo_report, demo_study, tmp_path):
    import hashlib

    again = run_report(demo_study, out=tmp_path / "again", processed=tmp_path / "processed")
    digest = lambda d: {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted((d / "results").glob("*.csv"))}
    first, second = digest(demo_report), digest(again)
    assert first == second and len(first) >= 18
    m = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
    assert m["seed"] == 20240601          # the seed of every random step, recorded
