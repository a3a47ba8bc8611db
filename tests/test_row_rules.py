"""The four row rules of ingestion, one function each (docs/study-format.md).

Each rule is tested alone, on arrays built by hand; the expected rows are
worked out in the comments. How ``read_wave`` chains them, records the
reasons and counts is tested end to end in tests/test_ingest.py
(``test_row_rules_and_the_accounting_invariant``) and tests/test_hostile.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impactlib.intake.ingest import (
    REASON_CONFLICT,
    drop_exact_duplicates,
    normalize_ids,
    reject_empty_id,
    reject_no_item_answered,
    resolve_conflicts,
)

ALL = np.ones(5, dtype=bool)


# --- rule 1: empty id -------------------------------------------------------
def test_rule_1_rejects_an_id_that_is_empty_once_folded():
    ids = normalize_ids(pd.Series(["A-1", "", "   ", None, "0", " \t "]))
    # "", spaces, a missing cell and tab + spaces are empty; "0" is an id
    assert reject_empty_id(ids).tolist() == [False, True, True, True, False, True]


def test_rule_1_on_no_row():
    assert reject_empty_id(normalize_ids(pd.Series([], dtype=object))).tolist() == []


# --- rule 2: exact duplicate -------------------------------------------------
def test_rule_2_drops_every_later_copy_of_a_row_and_keeps_the_first():
    rows = pd.DataFrame({"id": ["A", "A", "B", "A", "A"],
                         "Q1": ["1", "1", "1", "1", "1 "],
                         "Q2": ["2", "2", "2", "2", "2"]})
    # lines 0, 1, 3 are the same row: 1 and 3 dropped; line 4 differs by a
    # trailing space (cells are compared as read); B differs by its id
    assert drop_exact_duplicates(rows, ALL).tolist() == [False, True, False, True, False]


def test_rule_2_compares_only_rows_still_in_play():
    rows = pd.DataFrame({"id": ["", "", "A", "A"], "Q1": ["1", "1", "2", "2"]})
    in_play = np.array([False, False, False, True])
    # rows 0 and 1 (empty id, rule 1) are out of play: not dropped, whatever they are;
    # row 3 equals row 2 but row 2 is out of play, so row 3 is the first in play
    assert drop_exact_duplicates(rows, in_play).tolist() == [False, False, False, False]


def test_rule_2_every_column_counts_not_only_the_items():
    rows = pd.DataFrame({"id": ["A", "A"], "date": ["01/01/2024", "02/01/2024"], "Q1": ["1", "1"]})
    assert drop_exact_duplicates(rows, np.ones(2, dtype=bool)).tolist() == [False, False]


# --- rule 3: no item answered -------------------------------------------------
def test_rule_3_rejects_rows_in_play_with_no_item_answered():
    n_answered = np.array([0, 1, 0, 4, 0])
    in_play = np.array([True, True, False, True, True])
    # rows 0 and 4: in play with nothing answered; row 2 was set aside before
    assert reject_no_item_answered(n_answered, in_play).tolist() == [True, False, False, False, True]


def test_rule_3_dont_know_and_invalid_cells_are_not_answers(make_study):
    # end to end: only "Ne sait pas" (dont_know) and "7" (outside the scale) -> no item answered
    from impactlib.intake.processed import clean_study

    p = clean_study(make_study({"T1": "id;A1;A2\nX;Ne sait pas;7\nY;1;\n"}))
    assert p.rejected_rows[["line", "reason"]].values.tolist() == [[2, "no item answered"]]
    assert p.quality.loc[0, "rejected_no_answer"] == 1


# --- rule 4: one questionnaire per candidate ----------------------------------
def _conflicts(ids, n_answered, dates, lines, in_play=None):
    in_play = np.ones(len(ids), dtype=bool) if in_play is None else np.asarray(in_play)
    return resolve_conflicts(ids, n_answered, pd.to_datetime(dates), lines, in_play).tolist()


def test_rule_4_most_complete_wins_over_earlier_date_and_line():
    # c: line 2 has 1 item, line 3 has 3 items (later date, later line): line 3 kept
    assert _conflicts(["c", "c"], [1, 3], ["2024-01-01", "2024-02-01"], [2, 3]) == [3, pd.NA]


def test_rule_4_then_the_earliest_dated():
    # same completeness: the earliest date (line 3) is kept even though it comes later
    assert _conflicts(["c", "c"], [2, 2], ["2024-01-09", "2024-01-08"], [2, 3]) == [3, pd.NA]


def test_rule_4_an_unknown_date_comes_after_every_known_one():
    assert _conflicts(["c", "c"], [2, 2], [None, "2030-01-01"], [2, 3]) == [3, pd.NA]


def test_rule_4_then_the_first_in_the_file():
    # same completeness, same date (or none): the smallest line is kept
    assert _conflicts(["c", "c", "c"], [2, 2, 2], [None, None, None], [5, 2, 9]) == [2, pd.NA, 2]
    assert _conflicts(["c", "c"], [2, 2], ["2024-01-01", "2024-01-01"], [2, 3]) == [pd.NA, 2]


def test_rule_4_only_rows_of_the_same_candidate_conflict():
    assert _conflicts(["a", "b", "c"], [1, 2, 3], [None] * 3, [2, 3, 4]) == [pd.NA] * 3


def test_rule_4_ignores_rows_out_of_play():
    # line 2 is the most complete but was rejected before (in_play False): line 4 wins over 3
    out = _conflicts(["c", "c", "c"], [4, 1, 2], [None] * 3, [2, 3, 4], in_play=[False, True, True])
    assert out == [pd.NA, 4, pd.NA]


def test_rule_4_the_reason_names_the_kept_line(make_study):
    from impactlib.intake.processed import clean_study

    p = clean_study(make_study({"T1": "id;A1;A2\nX;1;\nx ;1;2\n"}))
    assert p.rejected_rows["reason"].tolist() == [REASON_CONFLICT + "3"]
    assert p.quality.loc[0, "rejected_conflict"] == 1


def test_rule_4_on_no_row():
    out = resolve_conflicts([], [], pd.to_datetime([]), np.array([], dtype=int), np.zeros(0, bool))
    assert len(out) == 0 and str(out.dtype) == "Int64"
