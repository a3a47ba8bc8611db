"""The command line: demo, clean, report; bad input is one line, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from conftest import TEST_KEY


def run(*args, cwd=None):
    env = {**os.environ, "IMPACTLIB_KEY": TEST_KEY}
    return subprocess.run([sys.executable, "-m", "impactlib", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def test_clean_writes_the_processed_tables(demo_study, tmp_path):
    out = tmp_path / "processed"
    result = run("clean", demo_study, "--out", out)
    assert result.returncode == 0, result.stderr
    q = pd.read_csv(out / "quality.csv")
    assert q["rows_kept"].tolist() == [309, 149, 38]
    assert "rows read" in result.stderr          # the log says what was done


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s.replace("exports/T1_entree.csv", "exports/absent.csv"),
     "file of wave T1 not found: exports/absent.csv"),
    (lambda s: s.replace("id_column: N° dossier", "id_column: Numéro"),
     "T1_entree.csv, line 1, column 'Numéro': no id column 'Numéro'"),
])
def test_bad_input_is_one_clear_line(demo_study, tmp_path, mutate, message):
    folder = demo_study.parent
    broken = folder / "broken.yml"
    broken.write_text(mutate(demo_study.read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "processed"
    result = run("clean", broken, "--out", out)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [l for l in result.stderr.splitlines() if l.startswith("impactlib: error:")]
    assert len(errors) == 1 and message in errors[0]
    assert not out.exists()                      # no partial output


def test_malformed_csv_stops_with_its_line(make_study, tmp_path):
    study = make_study({"T1": "id;A1\nX;1\nY;2;3\n"})
    result = run("clean", study, "--out", tmp_path / "p")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "T1.csv, line 3: malformed CSV" in result.stderr


def test_demo_command(tmp_path):
    result = run("demo", tmp_path / "d", "--candidates", "40", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "study.yml").exists()
    bad = run("demo", tmp_path / "e", "--candidates", "3")
    assert bad.returncode == 2 and "at least 12" in bad.stderr


def test_report_end_to_end(demo_study, tmp_path):
    out = tmp_path / "report"
    result = run("report", demo_study, "--out", out, "--processed", tmp_path / "processed",
                 "-q")
    assert result.returncode == 0, result.stderr
    # Quiet and successful: nothing but the result's path (no kernel warning).
    assert result.stderr == ""
    assert result.stdout == f"{out / 'html' / 'index.html'}\n"
    patterns = pd.read_csv(out / "results" / "patterns.csv")
    assert patterns.values.tolist() == [["T1", 160], ["T1+T2", 111], ["T1+T2+T3", 38]]
    # the same tables for Excel, with French headers
    book = pd.read_excel(out / "results" / "results.xlsx", sheet_name=None)
    assert list(book)[:3] == ["À lire", "Qualité", "Parcours de réponse"]
    assert book["Parcours de réponse"].values.tolist() == patterns.values.tolist()
    assert list(book["Parcours de réponse"].columns) == ["Questionnaires remplis", "Candidats"]
    quality = pd.read_csv(out / "results" / "quality.csv")
    assert list(quality.columns[:7]) == ["wave", "file", "rows_read", "rows_kept",
                                         "rows_rejected", "duplicates_dropped", "cells_invalid"]
    pages = sorted(p.name for p in (out / "html").glob("*.html"))
    assert "index.html" in pages and len(pages) >= 2
    for page in (out / "html").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"class=\"[^\"]*jp-InputArea", text), page.name
        assert "open_report(" not in text, page.name        # no code shown
        assert not re.search(r"(src|href)=\"https?://", text), page.name   # nothing fetched
    raw_ids = pd.read_csv(tmp_path / "processed" / "pseudonyms.csv")["id"]
    shared = " ".join(p.read_text(encoding="utf-8", errors="replace")
                      for p in out.rglob("*") if p.is_file())
    assert not any(i in shared for i in raw_ids)
    assert (out / "manifest.json").exists()


def test_a_study_with_nothing_kept_cleans_but_does_not_report(make_study, tmp_path):
    study = make_study({"T1": "id;A1;A2\n;1;2\nX;;\n"})      # empty id, empty questionnaire
    cleaned = run("clean", study, "--out", tmp_path / "p")
    assert cleaned.returncode == 0, cleaned.stderr
    q = pd.read_csv(tmp_path / "p" / "quality.csv")
    assert q[["rows_read", "rows_kept", "rows_rejected"]].values.tolist() == [[2, 0, 2]]
    result = run("report", study, "--out", tmp_path / "r", "--processed", tmp_path / "p2")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no questionnaire to report on: every row was set aside" in result.stderr
    assert not (tmp_path / "r" / "html").exists()


def test_a_bug_is_one_line_unless_details_are_asked_for(make_study, monkeypatch, capsys):
    from impactlib import cli
    from impactlib.intake import processed

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    study = make_study({"T1": "id;A1\nX;1\n"})
    monkeypatch.setattr(processed, "clean_study", broken)
    monkeypatch.delenv("IMPACTLIB_DEBUG", raising=False)
    assert cli.main(["-q", "clean", str(study)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("impactlib: internal error: RuntimeError: boom (in test_cli.py, line ")
    monkeypatch.setenv("IMPACTLIB_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["-q", "clean", str(study)])


def test_version_verbosity_anywhere_and_demo_never_overwrites(tmp_path):
    from impactlib import __version__

    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"impactlib {__version__}"
    first = run("demo", tmp_path / "d", "--candidates", "20", "-q")   # -q after the command
    assert first.returncode == 0 and first.stderr == ""
    again = run("demo", tmp_path / "d", "--candidates", "20")
    assert again.returncode == 2
    assert again.stderr.strip() == (f"impactlib: error: {tmp_path / 'd' / 'study.yml'}: a study "
                                    "is already in this folder; use --force to replace it "
                                    "with the demo")
    assert run("demo", tmp_path / "d", "--candidates", "20", "--force").returncode == 0
    quiet = run("-q", "clean", tmp_path / "d" / "study.yml", "--out", tmp_path / "p")
    loud = run("clean", tmp_path / "d" / "study.yml", "--out", tmp_path / "p2")
    assert quiet.returncode == loud.returncode == 0
    assert quiet.stderr == "" and "rows read" in loud.stderr


def _tiny_notebooks(folder):
    """Two one-cell notebooks (with a parameters cell, as papermill wants)."""
    import nbformat

    folder.mkdir()
    for name in ("a_first", "b_second"):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell("\n".join(
            f"{name} = None" for name in ("study", "processed", "results", "since", "until",
                                          "lang")))
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell("print('ok')")]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


def test_report_logs_one_line_per_phase_and_quiet_shows_none(demo_study, tmp_path):
    notebooks = _tiny_notebooks(tmp_path / "nb")
    # The command as installed, with the report's notebooks replaced by two tiny ones.
    script = ("import sys; from pathlib import Path; from impactlib import config, cli; "
              f"config.notebooks_dir = lambda: Path({str(notebooks)!r}); "
              "sys.exit(cli.main(sys.argv[1:]))")
    env = {**os.environ, "IMPACTLIB_KEY": TEST_KEY}
    common = ["report", str(demo_study), "--processed", str(tmp_path / "p")]
    loud = subprocess.run([sys.executable, "-c", script, *common, "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert loud.returncode == 0, loud.stderr
    assert "\r" not in loud.stderr and "Traceback" not in loud.stderr    # no progress bar
    phases = [line for line in loud.stderr.splitlines()
              if re.match(r"INFO: (cleaning|statistics|notebooks|rendering|report written)", line)]
    patterns = [r"INFO: cleaning: 496 questionnaires of 309 candidates kept \(\d+\.\d s\)",
                r"INFO: statistics: \d+ results tables written, as CSV files and results.xlsx "
                r"\(\d+\.\d s\)",
                r"INFO: notebooks 1/2: (a_first|b_second) \(\d+\.\d s\)",
                r"INFO: notebooks 2/2: (a_first|b_second) \(\d+\.\d s\)",
                r"INFO: rendering: \d+ HTML pages \(\d+\.\d s\)",
                rf"INFO: report written to {re.escape(str(tmp_path / 'r'))} \(open "
                r"html/index.html\); \d+\.\d s in all"]
    assert len(phases) == len(patterns), loud.stderr
    for line, pattern in zip(phases, patterns):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert {phases[2].split()[-3], phases[3].split()[-3]} == {"a_first", "b_second"}
    assert loud.stdout == f"{tmp_path / 'r' / 'html' / 'index.html'}\n"

    quiet = subprocess.run([sys.executable, "-c", script, *common, "--out", str(tmp_path / "q"),
                            "-q"], capture_output=True, text=True, env=env, timeout=600)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert quiet.stdout == f"{tmp_path / 'q' / 'html' / 'index.html'}\n"


class _Locked(PermissionError):
    """What Windows raises for a file open in Excel (``winerror`` exists only on
    Windows' OSError: set by hand here)."""

    def __init__(self, path, winerror=32):
        super().__init__(13, "The process cannot access the file because it is being used by "
                             "another process", path)
        self.winerror = winerror


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_file_open_in_excel_ends_in_one_line_and_keeps_the_previous_output(
        make_study, tmp_path, monkeypatch, capsys):
    from impactlib import cli
    from impactlib.intake import processed

    study = make_study({"T1": "id;A1;A2\nX;1;2\nY;2;3\n"})
    out = tmp_path / "out" / "p"
    assert cli.main(["-q", "clean", str(study), "--out", str(out)]) == 0
    before = _tree(out)
    capsys.readouterr()
    locked = r"C:\Users\ana\impact\data\processed\demo\quality.csv"

    def swap(new, folder):
        raise _Locked(locked)

    monkeypatch.setattr(processed, "replace_folder", swap)
    assert cli.main(["-q", "clean", str(study), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"impactlib: close {locked} in Excel (or any program that has it open) and "
                   "run again\n")
    assert _tree(out) == before                               # the previous output, intact
    assert [p.name for p in out.parent.iterdir()] == ["p"]    # no work folder left beside it


def test_a_folder_that_cannot_be_renamed_names_the_file_open_in_it(
        make_study, tmp_path, monkeypatch, capsys):
    from pathlib import Path

    from impactlib import cli
    from impactlib.errors import FileInUseError
    from impactlib.intake import processed

    study = make_study({"T1": "id;A1;A2\nX;1;2\nY;2;3\n"})
    out = tmp_path / "out" / "p"
    assert cli.main(["-q", "clean", str(study), "--out", str(out)]) == 0
    before = _tree(out)
    capsys.readouterr()
    rename = Path.rename

    def refuse(self, target):       # Windows: a folder holding an open file cannot be renamed
        if Path(self) == out:
            raise _Locked(str(self), winerror=5)
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse)
    # the probe: Excel has quality.csv open (opening it for writing is refused)
    monkeypatch.setattr(processed, "_held_open", lambda path: path.name == "quality.csv")
    assert cli.main(["-q", "clean", str(study), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"impactlib: close {out / 'quality.csv'} in Excel (or any "
                                       "program that has it open) and run again\n")
    assert _tree(out) == before

    monkeypatch.setattr(processed, "_held_open", lambda path: False)   # which file: not found
    assert cli.main(["-q", "clean", str(study), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (f"impactlib: {out} cannot be replaced: close its files "
                                       "open in Excel (or any program that has one open) and "
                                       "run again\n")
    assert _tree(out) == before and sorted(p.name for p in out.parent.iterdir()) == ["p"]
    # the folder's own error, when the system does not say "in use" (Linux: no right to write)
    if os.name != "nt":
        plain = PermissionError(13, "Permission denied", str(out))
        assert processed._in_use(out, plain) is plain
    assert isinstance(processed._in_use(out, _Locked(str(out))), FileInUseError)


@pytest.mark.parametrize("err, line", [
    (_Locked(r"C:\r\notebooks\01_qualite.ipynb", winerror=33),
     r"impactlib: close C:\r\notebooks\01_qualite.ipynb in Excel (or any program that has it "
     "open) and run again"),
    # os.replace(tmp, target): the target is the file open in Excel
    (PermissionError(13, "Access is denied", "/r/.results.xlsx.tmp-1", None, "/r/results.xlsx"),
     "impactlib: close /r/results.xlsx in Excel (or any program that has it open) and run "
     "again; if no program has it open, check that you may write to it"),
    (PermissionError(13, "Permission denied", "/r/results/funnel.CSV"),
     "impactlib: close /r/results/funnel.CSV in Excel (or any program that has it open) and run "
     "again; if no program has it open, check that you may write to it"),
    (PermissionError(13, "Permission denied", "/r/processed/responses.parquet"),
     "impactlib: close /r/processed/responses.parquet in Excel (or any program that has it "
     "open) and run again; if no program has it open, check that you may write to it"),
    # not a spreadsheet, not "in use": the usual line
    (PermissionError(13, "Permission denied", "/r/html"),
     "impactlib: error: /r/html: Permission denied; no right to write here, or the file is open "
     "in another program: close it (in Excel, say) and run again, or choose another folder"),
    (FileNotFoundError(2, "No such file or directory", "/r/x.csv"),
     "impactlib: error: /r/x.csv: No such file or directory; not found: check the path and run "
     "again"),
])
def test_the_line_for_a_file_in_use(err, line):
    from impactlib.cli import _os_error_line

    assert _os_error_line(err) == line


def test_a_report_file_open_in_excel_keeps_the_previous_report(demo_study, tmp_path, monkeypatch,
                                                               capsys):
    from pathlib import Path

    from impactlib import cli, config
    from impactlib.report import build

    monkeypatch.setattr(config, "notebooks_dir", lambda: _tiny_notebooks(tmp_path / "nb"))
    out = tmp_path / "reports" / "r"
    (out / "results").mkdir(parents=True)
    (out / "results" / "funnel.csv").write_text("the previous report\n", encoding="utf-8")
    before = _tree(out)
    locked = str(out / "results" / "results.xlsx")
    built = []

    def swap(new, folder):          # Windows, results.xlsx open in Excel: the swap is refused
        built.append(sorted(p.relative_to(new).as_posix() for p in Path(new).rglob("*.xlsx")))
        raise _Locked(locked)

    monkeypatch.setattr(build, "replace_folder", swap)
    code = cli.main(["-q", "report", str(demo_study), "--out", str(out), "--processed",
                     str(tmp_path / "p")])
    assert capsys.readouterr().err == (f"impactlib: close {locked} in Excel (or any program that "
                                       "has it open) and run again\n")
    assert code == 2
    assert built == [["results/results.xlsx"]]                # the new report was complete
    assert _tree(out) == before                               # and the previous one kept
    assert sorted(p.name for p in out.parent.iterdir()) == ["r"]   # its work folder removed
