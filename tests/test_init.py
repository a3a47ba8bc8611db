"""``impactlib init``: a study drafted from a folder of exports, valid as it is.

Every fixture of ``tests/export_fixtures.py`` (one per survey tool's export
format) is drafted, cleaned, and compared with the answers that made it;
the Google Forms draft is also compared, once corrected as the walkthrough
says, with a study written by hand.
"""

from __future__ import annotations

import re
import shutil
import textwrap

import numpy as np
import pandas as pd
import pytest

from impactlib import cli
from impactlib.errors import StudyError
from impactlib.intake.codebook import read_codebook
from impactlib.intake.draft import draft_study, factor_groups, wave_rank
from impactlib.intake.processed import clean_study
from impactlib.intake.study import load_study
from impactlib.report.results import study_results, write_results

from export_fixtures import FIXTURES, ITEMS, LABELS, PATTERNS, SECTIONS, truth, write_fixture



@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    """Every fixture written and drafted once: name -> (folder, summary)."""
    root = tmp_path_factory.mktemp("init")
    out = {}
    for name in FIXTURES:
        folder = write_fixture(name, root / name)
        out[name] = (folder, draft_study(folder))
    return out


def _expected_responses() -> pd.DataFrame:
    """The answers behind the fixtures: id, wave, item, raw_value, status."""
    t = truth()
    rows = []
    for w, values in t["values"].items():
        p = t["present"][w]
        for j in range(len(ITEMS)):
            v = values[p, j]
            rows.append(pd.DataFrame({
                "id": t["ids"][p], "wave": w, "item": f"Q{j + 1:02d}",
                "raw_value": pd.array(np.where(v > 0, v, 0), dtype="Int64"),
                "status": np.where(v > 0, "answered", np.where(v == 0, "dont_know", "missing"))}))
    out = pd.concat(rows, ignore_index=True)
    out.loc[out["status"] != "answered", "raw_value"] = pd.NA
    return out.sort_values(["wave", "id", "item"]).reset_index(drop=True)


@pytest.mark.parametrize("name", list(FIXTURES))
def test_every_export_format_is_drafted_and_cleans_to_the_answers_behind_it(drafted, name,
                                                                            tmp_path):
    folder, summary = drafted[name]
    assert (folder / "study.yml").exists() and (folder / "codebook.xlsx").exists()
    processed = clean_study(folder / "study.yml")
    patterns = processed.candidates["pattern"].value_counts().to_dict()
    assert patterns == PATTERNS
    q = processed.quality
    assert (q["rows_read"] == q["rows_kept"] + q["rows_rejected"] + q["duplicates_dropped"]).all()
    ids = processed.pseudonyms.set_index("candidate")["id"]
    got = processed.responses.assign(id=lambda r: r["candidate"].map(ids))
    got = got[["id", "wave", "item", "raw_value", "status"]].astype(
        {"wave": str, "item": str, "status": str})
    got = got.sort_values(["wave", "id", "item"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, _expected_responses(), check_dtype=False)
    # Every results table of the report is computed and meets its contract (the
    # notebooks themselves run in test_a_draft_reports_at_once).
    tables = write_results(study_results(load_study(folder / "study.yml"), processed),
                           tmp_path / "results")
    assert {p.stem for p in tables.glob("*.csv")} >= {"quality", "item_change", "power"}


def test_limesurvey_incomplete_responses_are_set_aside(drafted):
    folder, summary = drafted["limesurvey"]
    study = (folder / "study.yml").read_text(encoding="utf-8")
    assert 'complete_column: "submitdate"' in study
    processed = clean_study(folder / "study.yml")
    t1 = processed.quality.set_index("wave").loc["T1"]
    assert (t1["rows_read"], t1["rows_kept"], t1["rows_rejected"]) == (32, 30, 2)
    assert set(processed.rejected_rows["reason"]) == {"incomplete response (empty 'submitdate')"}


def test_google_forms_summary_and_the_drafts_flags(drafted):
    folder, summary = drafted["google_forms"]
    text = summary.text()
    assert "d'après leurs noms : T1 = Questionnaire d'impact - Entrée.csv" in text
    assert "identifiant : 'Numéro de dossier' (présents aussi en T1 : T2 20/20, T3 14/14)" in text
    assert "dates : T1 'Horodateur', T2 'Horodateur', T3 'Horodateur'" in text
    assert "échelles : accord5 (5 points, 8 questions)" in text
    assert f"2 dimensions d'après les sections des en-têtes : « {SECTIONS[0]} »" in text
    assert any("'Adresse e-mail'" in w for w in summary.warnings)
    # The two negatively worded items, and only they, are flagged; nothing else is.
    assert len(summary.checks) == 2
    assert all("formulée à l'envers" in c for c in summary.checks)
    assert [c[:3] for c in summary.checks] == ["Q03", "Q07"]
    study = (folder / "study.yml").read_text(encoding="utf-8")
    assert "Adresse e-mail" not in study
    assert "# VÉRIFIER" not in study       # reverse items are codebook matters
    items = pd.read_excel(folder / "codebook.xlsx", sheet_name="items", dtype=str).fillna("")
    assert items["text"].tolist() == [text for _, text, _ in ITEMS]
    assert items.loc[items["check"] != "", "item"].tolist() == ["Q03", "Q07"]
    assert (items["reverse"] == "non").all()               # suggested, never applied
    scales = pd.read_excel(folder / "codebook.xlsx", sheet_name="scales", dtype=str).fillna("")
    assert scales["label"].tolist() == LABELS + ["Ne sait pas"]
    assert scales["value"].tolist() == ["1", "2", "3", "4", "5", ""]
    read_codebook(folder / "codebook.xlsx")                  # the check column is accepted
    # init writes the two drafts and nothing else (no key, no processed tables).
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"Questionnaire d'impact - {m}.csv" for m in ("Entrée", "Mi-parcours", "Sortie")]
        + ["codebook.xlsx", "study.yml"])


def test_limesurvey_flags_what_the_export_does_not_say(drafted):
    folder, summary = drafted["limesurvey"]
    text = summary.text()
    assert "d'après la date médiane des réponses" in text
    checks = " | ".join(summary.checks)
    assert "ordre des vagues déduit des dates médianes" in checks
    assert "codes de groupe LimeSurvey (G01, G02)" in checks
    assert "8 question(s) sans texte" in checks
    assert "identifiant : 'NUMDOSSIER'" in text                # never the response number 'id'
    assert "réponses incomplètes mises de côté : T1 ('submitdate' vide)" in text


def test_microsoft_forms_one_dimension_flagged_and_a_factor_grouping_suggested(drafted):
    folder, summary = drafted["microsoft_forms"]
    assert "identifiant : 'Votre numéro de dossier'" in summary.text()
    assert any("'Adresse de messagerie', 'Nom'" in w for w in summary.warnings)
    assert any(c.startswith("une seule dimension") for c in summary.checks)
    assert summary.suggestion[0].startswith("2 facteur(s)")
    assert summary.suggestion[1].count("Q0") == 4 and "Q01" in summary.suggestion[1]
    assert "Q05" in summary.suggestion[2] and "Q01" not in summary.suggestion[2]
    study = (folder / "study.yml").read_text(encoding="utf-8")
    assert "Nom" not in study.replace("Numéro", "") and "messagerie" not in study


def test_workbooks_shapes_are_drafted(drafted):
    sheets = (drafted["workbook_sheets"][0] / "study.yml").read_text(encoding="utf-8")
    assert 'sheet: "Mi-parcours"' in sheets
    moment = (drafted["workbook_moment"][0] / "study.yml").read_text(encoding="utf-8")
    assert 'wave_column: "Moment"' in moment and 'wave_values: ["Sortie"]' in moment
    wide = (drafted["workbook_wide"][0] / "study.yml").read_text(encoding="utf-8")
    assert 'columns: "T2_{item}"' in wide and 'date_column: "Date"' in wide
    assert any("numerique1_5" in c for c in drafted["workbook_wide"][1].checks)


def test_the_corrected_draft_equals_a_study_written_by_hand(drafted, tmp_path):
    """Google Forms: the draft, once its two reverse items are confirmed in the
    codebook (as docs/votre-propre-etude.md says), gives the same tables as a
    study.yml and codebook written by hand for the same exports."""
    source, _ = drafted["google_forms"]
    draft = tmp_path / "draft"
    shutil.copytree(source, draft)
    book = {s: pd.read_excel(draft / "codebook.xlsx", sheet_name=s, dtype=str).fillna("")
            for s in ("items", "scales")}
    book["items"].loc[book["items"]["item"].isin(["Q03", "Q07"]), "reverse"] = "oui"
    with pd.ExcelWriter(draft / "codebook.xlsx") as writer:
        for sheet, frame in book.items():
            frame.to_excel(writer, sheet_name=sheet, index=False)

    hand = tmp_path / "hand"
    shutil.copytree(source, hand, ignore=shutil.ignore_patterns("study.yml", "codebook.xlsx"))
    (hand / "codebook").mkdir()
    (hand / "codebook" / "items.csv").write_text(
        "item;text;dimension;scale;reverse\n" + "".join(
            f"Q{j + 1:02d};{text};{SECTIONS[s]};accord5;{'oui' if rev else 'non'}\n"
            for j, (s, text, rev) in enumerate(ITEMS)), encoding="utf-8")
    (hand / "codebook" / "scales.csv").write_text(
        "scale;value;label\n" + "".join(f"accord5;{v};{label}\n" for v, label in
                                        enumerate(LABELS, 1)) + "accord5;;Ne sait pas\n",
        encoding="utf-8")
    rename = "".join(f'      "{SECTIONS[s]} [{text}]": Q{j + 1:02d}\n'
                     for j, (s, text, _) in enumerate(ITEMS))
    waves = "".join(textwrap.dedent(f"""\
          - key: {key}
            label: {label}
            file: "Questionnaire d'impact - {label}.csv"
            date_column: Horodateur
            rename:
        """) + rename for key, label in (("T1", "Entrée"), ("T2", "Mi-parcours"),
                                         ("T3", "Sortie")))
    (hand / "study.yml").write_text(
        f"title: google_forms\nid_column: Numéro de dossier\ncodebook: codebook\n"
        f"min_items_answered: 0.5\nwaves:\n{waves}", encoding="utf-8")

    a, b = clean_study(draft / "study.yml"), clean_study(hand / "study.yml")
    for table in ("responses", "scores", "questionnaires", "candidates", "quality"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), obj=table)
    assert (a.responses.loc[a.responses["item"].isin(["Q03", "Q07"]), "value"].dropna()
            == 6 - a.responses.loc[a.responses["item"].isin(["Q03", "Q07"]), "raw_value"]
            .dropna()).all()


def test_a_draft_is_never_overwritten_without_force(drafted, tmp_path):
    folder = write_fixture("kobo", tmp_path / "kobo")
    draft_study(folder)
    (folder / "study.yml").write_text("title: mine\n", encoding="utf-8")
    with pytest.raises(StudyError, match="already exists; use --force") as err:
        draft_study(folder)
    assert err.value.file.endswith("study.yml")
    assert (folder / "study.yml").read_text(encoding="utf-8") == "title: mine\n"
    (folder / "study.yml").unlink()
    with pytest.raises(StudyError, match="already exists") as err:
        draft_study(folder)
    assert err.value.file.endswith("codebook.xlsx")
    assert not (folder / "study.yml").exists()               # nothing half-written
    draft_study(folder, force=True)
    assert "title: \"kobo\"" in (folder / "study.yml").read_text(encoding="utf-8")


def test_a_folder_without_a_usable_export_is_one_line(tmp_path):
    with pytest.raises(StudyError, match="no usable export: found nothing"):
        draft_study(tmp_path)
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "liste.csv").write_text("dossier;nom\nA;x\nB;y\n", encoding="utf-8")
    (tmp_path / "vide.csv").write_text("", encoding="utf-8")
    with pytest.raises(StudyError) as err:
        draft_study(tmp_path)
    message = str(err.value)
    assert "\n" not in message
    for part in ("found liste.csv, notes.docx, vide.csv", "notes.docx (not an export",
                 "vide.csv (the file is empty)", "liste.csv (no column of answers"):
        assert part in message
    assert not (tmp_path / "study.yml").exists()


def _tiny(folder, t1: str, t2: str):
    folder.mkdir()
    (folder / "entree.csv").write_text(t1, encoding="utf-8")
    (folder / "sortie.csv").write_text(t2, encoding="utf-8")
    return folder


def test_two_possible_id_columns_are_flagged_with_the_candidates(tmp_path):
    rows = [(f"D{i:02d}", f"C{i:03d}", ["Oui", "Non"][i % 2], ["Non", "Oui"][i % 3 == 0])
            for i in range(12)]
    text = "dossier;code;Q1;Q2\n" + "".join(f"{a};{b};{c};{d}\n" for a, b, c, d in rows)
    folder = _tiny(tmp_path / "s", text, text)
    summary = draft_study(folder)
    assert any("colonne d'identifiant 'dossier' choisie parmi 'dossier', 'code'" in c
               for c in summary.checks)
    assert "id_column: \"dossier\"  # VÉRIFIER" in (folder / "study.yml").read_text("utf-8")
    assert any("Non = 0, Oui = 1" in c for c in summary.checks)
    clean_study(folder / "study.yml")


def test_unknown_and_conflicting_label_sets_are_flagged(tmp_path):
    def csv(labels_q1, labels_q2):
        return "id;Q1;Q2\n" + "".join(f"P{i};{labels_q1[i % len(labels_q1)]};"
                                      f"{labels_q2[i % len(labels_q2)]}\n" for i in range(10))
    folder = _tiny(tmp_path / "s", csv(["Bof", "Bien", "Super"], ["Jamais", "Souvent", "NSP"]),
                   csv(["Bien", "Génial"], ["Toujours", "Parfois", "Rarement"]))
    summary = draft_study(folder)
    checks = " | ".join(summary.checks)
    assert "échelle 'echelle1' : ordre inconnu, libellés dans l'ordre vu (« Bof » < « Bien » " \
           "< « Super » < « Génial »)" in checks
    assert "Q01 : libellés différents selon la vague, échelle 'echelle1' = leur union" in checks
    study = (folder / "study.yml").read_text(encoding="utf-8")
    assert study.count('"Q1": "Q01"  # VÉRIFIER : libellés différents selon la vague') == 2
    scales = pd.read_excel(folder / "codebook.xlsx", sheet_name="scales", dtype=str).fillna("")
    freq = scales[scales["scale"] == "frequence5"]
    assert freq["label"].tolist() == ["Jamais", "Rarement", "Parfois", "Souvent", "Toujours", "NSP"]
    assert freq["value"].tolist() == ["1", "2", "3", "4", "5", ""]
    clean_study(folder / "study.yml")


@pytest.mark.parametrize("name, rank", [
    ("Questionnaire d'impact - Entrée", 1), ("T2(1-20)", 2), ("Questionnaire T3(1-14)", 3),
    ("Questionnaire_mi-parcours_-_latest_version_-_labels_-_2025-09-30", 2),
    ("exit survey", 3), ("Vague 1", 1), ("results-survey482913", None), ("entree sortie", None),
    ("fin de parcours", 3), ("2", 2)])
def test_wave_names(name, rank):
    assert wave_rank(name) == rank


def test_factor_groups_find_two_blocks():
    rng = np.random.default_rng(1)
    f = rng.normal(size=(300, 2))
    x = np.column_stack([f[:, 0]] * 3 + [f[:, 1]] * 3) + rng.normal(0, 0.6, (300, 6))
    groups, eigen = factor_groups(pd.DataFrame(x))
    assert (eigen > 1).sum() == 2
    assert len(set(groups[:3])) == 1 and len(set(groups[3:])) == 1 and groups[0] != groups[3]


def test_answer_codes_are_ordered_by_number_and_dutch_labels_flagged(tmp_path):
    codes = ["AO02", "AO01", "AO03", "AO10"]
    dutch = ["Oneens", "Eens", "Neutraal", "Helemaal eens", "Weet niet"]
    text = "id;Q1;Q2\n" + "".join(f"P{i};{codes[i % 4]};{dutch[i % 5]}\n" for i in range(20))
    folder = _tiny(tmp_path / "s", text, text)
    summary = draft_study(folder)
    checks = " | ".join(summary.checks)
    assert ("codes de réponse rangés par leur numéro, sens inconnu (« AO01 » < « AO02 » < "
            "« AO03 » < « AO10 »)") in checks
    assert "libellés en néerlandais" in checks
    scales = pd.read_excel(folder / "codebook.xlsx", sheet_name="scales", dtype=str).fillna("")
    nl = scales[scales["scale"] == "akkoord5"]
    assert nl["label"].tolist() == ["Helemaal oneens", "Oneens", "Neutraal", "Eens",
                                    "Helemaal eens", "Weet niet"]
    assert "language: fr" in (folder / "study.yml").read_text(encoding="utf-8")
    clean_study(folder / "study.yml")


def test_command_line_init_then_clean(tmp_path, capsys):
    folder = write_fixture("kobo", tmp_path / "kobo")
    assert cli.main(["init", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Brouillon écrit : {folder / 'study.yml'}")
    assert "À vérifier (2," in out
    assert cli.main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "study.yml: already exists; use --force" in err
    assert cli.main(["init", "--force", str(folder)]) == 0
    assert cli.main(["-q", "clean", str(folder / "study.yml"), "--out", str(tmp_path / "p")]) == 0
    assert cli.main(["init", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_a_draft_reports_at_once(drafted, tmp_path):
    """The Microsoft Forms draft, untouched, goes through the whole report (about a minute)."""
    folder, _ = drafted["microsoft_forms"]
    study = tmp_path / "ms"
    shutil.copytree(folder, study)
    code = cli.main(["-q", "report", str(study / "study.yml"), "--out", str(tmp_path / "r"),
                     "--processed", str(tmp_path / "p")])
    assert code == 0
    assert (tmp_path / "r" / "html" / "index.html").exists()
    patterns = pd.read_csv(tmp_path / "r" / "results" / "patterns.csv")
    assert dict(zip(patterns["pattern"], patterns["n_candidates"])) == PATTERNS


def test_the_demo_exports_alone_are_drafted_into_the_demo_study(demo_study, demo_processed,
                                                                  tmp_path):
    """The demo's three messy exports (cp1252 labels, a workbook of codes with
    its own names, a UTF-8 CSV), without their study.yml and codebook: the
    draft keeps and sets aside the same rows as the hand-written demo study,
    and its suggestions find the demo's six dimensions and six reverse items."""
    from impactlib.intake.demo import DIMENSIONS

    folder = tmp_path / "demo"
    shutil.copytree(demo_study.parent / "exports", folder / "exports")
    summary = draft_study(folder)
    draft = clean_study(folder / "study.yml")
    columns = ["wave", "rows_read", "rows_kept", "rows_rejected", "duplicates_dropped",
               "cells_invalid"]
    pd.testing.assert_frame_equal(draft.quality[columns], demo_processed.quality[columns])
    assert (draft.candidates["pattern"].value_counts().to_dict()
            == demo_processed.candidates["pattern"].value_counts().to_dict())
    # Suggestions: one factor per demo dimension (plus the antenna column),
    # and the negatively worded items, named by their export code.
    codes = [f"Q{i + 1:02d}" for i in range(30)]
    groups = [{codes[5 * d + j] for j in range(5)} for d in range(len(DIMENSIONS))]
    found = [set(re.findall(r"« (Q\d\d) »", line)) for line in summary.suggestion[1:]]
    assert all(g in found for g in groups)
    reverse = {codes[5 * d + j] for d, items in enumerate(DIMENSIONS.values())
               for j, (_, rev) in enumerate(items) if rev}
    flagged = {re.search(r"« (Q\d\d) »", c).group(1) for c in summary.checks
               if "formulée à l'envers" in c}
    assert flagged == reverse
    checks = " | ".join(summary.checks)
    assert "« D'acord » (1 fois)" in checks                  # the demo's typo
    assert "chiffres hors échelle lus comme invalides : 9" in checks


def test_a_moment_column_with_several_spellings_and_unknown_values(tmp_path):
    moments = ["Entrée", "sortie", "T1", "Fin", "Entrée", "Sortie"] * 4 + ["Sortei", ""]
    text = "dossier;Moment;Q1;Q2\n" + "".join(
        f"D{i // 2:02d};{m};{['Oui', 'Non'][i % 2]};{['Non', 'Oui'][i % 3 == 0]}\n"
        for i, m in enumerate(moments))
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "suivi.csv").write_text(text, encoding="utf-8")
    summary = draft_study(folder)
    study = (folder / "study.yml").read_text(encoding="utf-8")
    assert 'wave_values: ["Entrée", "T1"]' in study
    assert 'wave_values: ["sortie", "Fin", "Sortie"]' in study
    assert any("2 ligne(s) dont la colonne 'Moment' ne nomme aucun moment" in c
               for c in summary.checks)
    processed = clean_study(folder / "study.yml")
    q = processed.quality.set_index("wave")
    assert q["rows_read"].sum() == len(moments)
    assert q.loc["T1", "rejected_unknown_wave"] == 2


def test_spss_files_give_their_variable_labels_as_question_texts(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    folder = tmp_path / "spss"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for name, n in (("entree", 20), ("sortie", 12)):
        frame = pd.DataFrame({"dossier": [f"A{i:02d}" for i in range(n)],
                              "conf1": rng.integers(1, 5, n).astype(float),
                              "conf2": rng.integers(1, 5, n).astype(float)})
        pyreadstat.write_sav(frame, str(folder / f"{name}.sav"), column_labels=[
            "Numéro de dossier", "Je me sens capable", "Je connais mes qualités"])
    summary = draft_study(folder)
    items = pd.read_excel(folder / "codebook.xlsx", sheet_name="items", dtype=str)
    assert items["text"].tolist() == ["Je me sens capable", "Je connais mes qualités"]
    assert "identifiant : 'dossier' (présents aussi en T1 : T2 12/12)" in summary.text()
    assert any("numerique1_4" in c for c in summary.checks)
    assert clean_study(folder / "study.yml").candidates["pattern"].value_counts().to_dict() == {
        "T1": 8, "T1+T2": 12}


def test_ids_hardly_shared_across_waves_are_flagged(tmp_path):
    def csv(ids):
        return "id;Q1;Q2\n" + "".join(f"{x};{['Oui', 'Non'][k % 2]};{['Non', 'Oui'][k % 3 == 0]}\n"
                                      for k, x in enumerate(ids))
    folder = _tiny(tmp_path / "s", csv([f"A{i}" for i in range(10)]),
                   csv([f"B{i}" for i in range(8)] + ["A1", "A2"]))
    summary = draft_study(folder)
    assert any("seuls 2 de ses 10 identifiants" in c for c in summary.checks)
