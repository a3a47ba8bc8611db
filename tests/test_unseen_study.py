"""Acceptance test on a study the project has never seen.

Written from the documented rules only (module docstrings of ``study``,
``codebook``, ``readers``, ``ingest``, ``processed``, ``scores`` and
``docs/tidy-tables.md``), not from the demo generator nor the other tests.

The study: employment coaching, 12 candidates, 20 items in 4 dimensions on a
4-point agreement scale with a "Je ne sais pas" missing label, half the items
reverse-keyed. Three waves, three export shapes:

* T1: French-Excel CSV (``;``, cp1252 bytes, CRLF, dd/mm/yyyy, labels written
  with irregular case, accents dropped, double and non-breaking spaces, one
  comment cell holding a line break);
* T2: .xlsx written with openpyxl, data on a second sheet named
  "Réponses T2", numeric codes, tool-specific column names mapped by
  ``rename``;
* T3: SPSS .sav written with pyreadstat (numeric codes), id column ``IDCAND``
  mapped by ``rename``.

Every expected number below is worked out by hand in the comments.

Items and dimensions (R = reverse-keyed, recoded 1 + 4 - raw = 5 - raw):

    D1 "Confiance en soi"      q01  q02R q03  q04R q05R
    D2 "Relations sociales"    q06  q07R q08  q09R q10
    D3 "Projet professionnel"  q11  q12R q13R q14  q15R
    D4 "Bien-être"             q16  q17  q18R q19  q20R

min_items_answered = 0.6, so a dimension of 5 items needs 0.6 * 5 = 3
answered items for a score (exactly 3 must be enough: "at least").

Candidates (canonical id = trimmed, case-folded, single-spaced) and the
questionnaire kept in each wave ("L" = CSV line, "R" = Excel row, "#" = SPSS
case):

    cand      id as written in T1 / T2 / T3         kept T1  kept T2  kept T3  pattern
    bxl-001   BXL-001 / BXL-001 / BXL-001            L2       R2       #1       T1+T2+T3
    bxl-002   BXL-002 / BXL-002 / BXL-002            L3       R4       #9       T1+T2+T3
    bxl-003   Bxl-003 / "bxl-003 " / "  BXL-003"     L5       R3       #2       T1+T2+T3
    bxl-004   BXL-004 / BXL-004                      L6       R8       -        T1+T2
    bxl-005   "BXL-005 ", bxl-005 / bxl-005          L8       R12      -        T1+T2
    lie 006   LIE 006 / - / "lie  006"               L9       -        #3       T1+T3
    lie 007   - / LIE 007 / -                        -        R5       -        T2
    lie 008   LIE 008 / - / LIE 008                  L12      -        #4       T1+T3
    1009      1009 / 1009 (a number cell) / 1009     L13      R10      #7       T1+T2+T3
    nam-010   NAM-010 / - / NAM-010 (no answer)      L15      -        -        T1
    nam-011   NAM-011 (only "Je ne sais pas") / ...  -        R11      -        T2
    nam-012   - / NAM-012 / NAM-012                  -        R13      #8       T2+T3

Patterns: T1+T2+T3 = 4, T1+T2 = 2, T1+T3 = 2, T2 = 2, T1 = 1, T2+T3 = 1
(12 candidates, 9 + 9 + 7 = 25 kept questionnaires).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

openpyxl = pytest.importorskip("openpyxl")
pyreadstat = pytest.importorskip("pyreadstat")

from impactlib.intake.processed import clean_study  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
KEY = "cle-de-test-etude-inconnue"

T1_FILE = "exports/T1_export_excel.csv"
T2_FILE = "exports/T2_suivi.xlsx"
T3_FILE = "exports/T3_final.sav"

# --------------------------------------------------------------------------
# Codebook: folder with items.csv and scales.csv (UTF-8, comma).
# --------------------------------------------------------------------------

D1, D2, D3, D4 = ("Confiance en soi", "Relations sociales",
                  "Projet professionnel", "Bien-être")

# item, text, dimension, reverse flag written as a person would (mixed ways)
ITEMS = [
    ("q01", "Je me sens capable de trouver un emploi.", D1, "non"),
    ("q02", "J’ai peur de ne pas être à la hauteur.", D1, "oui"),
    ("q03", "Je connais mes points forts.", D1, "0"),
    ("q04", "Je doute de moi quand je dois me présenter, même à l’oral.", D1, "1"),
    ("q05", "Je me décourage facilement après un refus.", D1, "yes"),
    ("q06", "Je peux compter sur des personnes de mon entourage.", D2, ""),
    ("q07", "Je me sens seul(e) dans mes démarches.", D2, "Oui"),
    ("q08", "Je parle facilement avec des personnes que je ne connais pas.", D2, "NON"),
    ("q09", "J’évite les situations où je dois parler en groupe.", D2, "1"),
    ("q10", "Je sais demander de l’aide quand j’en ai besoin.", D2, "0"),
    ("q11", "J’ai une idée claire du métier que je veux exercer.", D3, "non"),
    ("q12", "Je ne sais pas par où commencer pour chercher un emploi.", D3, "OUI"),
    ("q13", "Mon projet professionnel me paraît irréaliste.", D3, "yes"),
    ("q14", "Je sais rédiger un CV et une lettre de motivation.", D3, "0"),
    ("q15", "Je me sens perdu(e) face aux offres d’emploi.", D3, "1"),
    ("q16", "Je me sens bien dans ma vie en ce moment.", D4, "Non"),
    ("q17", "J’ai de l’énergie pour mes démarches.", D4, "non"),
    ("q18", "Je suis souvent stressé(e).", D4, "oui"),
    ("q19", "Je dors bien.", D4, "0"),
    ("q20", "Je me sens découragé(e) en fin de semaine.", D4, "Yes"),
]
REVERSE = {"q02", "q04", "q05", "q07", "q09", "q12", "q13", "q15", "q18", "q20"}
SCALE = [("1", "Pas du tout"), ("2", "Plutôt pas"), ("3", "Plutôt"),
         ("4", "Tout à fait"), ("", "Je ne sais pas")]

# --------------------------------------------------------------------------
# T1: French Excel CSV. Header is line 1. Items grouped by dimension (5+5+5+5).
# --------------------------------------------------------------------------

T1_HEADER = (["CODE  candidat", "Date de  réponse"]
             + ["Q01", "q02", "Q03", "q04", "Q05", "q06", "Q07", "Q08", "q09", "Q10",
                "q11", "Q12", "q13", "q14", "Q15", "q16", "Q17", "q18", "Q19", "q20"]
             + ["Commentaire  libre"])

PDT, PP, P, TAF, NSP = "Pas du tout", "Plutôt pas", "Plutôt", "Tout à fait", "Je ne sais pas"
E = ""  # an empty cell

T1_ROWS = [
    # line 2: kept. D1 raw 4,1,3,2,3 -> recoded 4,4,3,3,2 = 16/5 = 3.2
    #              D2 raw 3,2,4,1,3 -> 3,3,4,4,3 = 3.4
    #              D3 raw 3,2,1,4,2 -> 3,3,4,4,3 = 3.4 (q14 "Tout à<NBSP>fait")
    #              D4 raw 3,2,3,4,1 -> 3,2,2,4,4 = 3.0 (q20 "PAS DU TOUT")
    ("BXL-001", "15/01/2024",
     [TAF, PDT, P, "plutôt pas", P,
      P, PP, TAF, PDT, P,
      P, PP, PDT, "Tout à\u00a0fait", PP,
      P, PP, P, TAF, "PAS DU TOUT"], ""),
    # lines 3-4: kept; the comment holds a line break, so the record spans two
    # lines and the next record starts on line 5. 18 answered + 2 "je ne sais pas".
    ("BXL-002", "16/01/2024",
     [P, P, PP, P, PP,
      TAF, PDT, P, PP, NSP,
      PP, P, P, P, P,
      "je ne sais pas", P, PP, P, PP], "Beaucoup de stress\nà cause du déménagement"),
    # line 5: kept (id written "Bxl-003")
    ("Bxl-003", "16/01/2024",
     [PP, P, PP, P, P,
      P, P, PP, P, P,
      PDT, TAF, P, PDT, TAF,
      PP, PP, P, PP, P], ""),
    # line 6: kept, 18 answered; two invalid cells: "Parfois" (unknown label,
    # column Q08) and "5" (outside 1..4, column q14). "tout a fait" (no accent)
    # and "4" (a numeric value) are valid answers.
    #   D2: q06 3, q07 2->3, q08 invalid, q09 2->3, q10 4 -> 13/4 = 3.25
    #   D3: q11 3, q12 3->2, q13 2->3, q14 invalid, q15 3->2 -> 10/4 = 2.5
    ("BXL-004", "17/01/2024",
     [P, PP, "tout a fait", PDT, PP,
      P, PP, "Parfois", PP, "4",
      P, P, PP, "5", P,
      P, P, PP, P, PP], "Parfois seulement"),
    # line 7: same candidate as line 8 ("BXL-005 " vs "bxl-005"); 17 answered +
    # 3 "Je ne sais pas" (20 cells filled, but dont_know does not count).
    # Rejected: line 8 has 18 answered, more complete, though later dated/lined.
    ("BXL-005 ", "18/01/2024",
     [P, P, P, NSP, P,
      P, P, NSP, P, P,
      P, P, P, P, NSP,
      P, P, P, P, P], "Première passation, interrompue"),
    # line 8: kept. 18 answered, 2 empty.
    #   D1: q01 4, q02 1->4, q03 4, q04 2->3, q05 empty -> 15/4 = 3.75
    #   (had line 7 been kept, D1 would be (3+2+3+2)/4 = 2.5)
    ("bxl-005", "19/01/2024",
     [TAF, PDT, TAF, PP, E,
      TAF, PDT, P, PP, P,
      TAF, PDT, PDT, P, E,
      P, P, PP, P, PP], "Refait avec la conseillère"),
    # line 9: kept
    ("LIE 006", "19/01/2024",
     [PP, P, PDT, TAF, P,
      PP, P, PP, P, PP,
      PDT, TAF, P, PP, P,
      PP, P, TAF, PDT, P], "Saisie papier"),
    # line 10: exact copy of line 9 -> dropped as exact duplicate
    ("LIE 006", "19/01/2024",
     [PP, P, PDT, TAF, P,
      PP, P, PP, P, PP,
      PDT, TAF, P, PP, P,
      PP, P, TAF, PDT, P], "Saisie papier"),
    # line 11: empty id -> rejected "empty id"
    ("", "22/01/2024",
     [P, P, P, P, P,
      P, P, P, P, P,
      P, P, P, P, P,
      P, P, P, P, P], "Nom illisible sur la feuille"),
    # line 12: kept. 15 answered.
    #   D2: q06 nsp, q07 NSP, q08 3, q09 4->1, q10 2 -> 3 answered = 0.6*5,
    #       score (3+1+2)/3 = 2.0
    #   D3: q11 3, q12 nsp ("Je ne sais  pas"), q13 -, q14 -, q15 1->4
    #       -> 2 answered < 3: score NaN
    ("LIE 008", "22/01/2024",
     [P, PP, P, P, PP,
      NSP, "JE NE SAIS PAS", P, TAF, PP,
      P, "Je ne sais  pas", E, E, PDT,
      P, P, P, PP, P], ""),
    # line 13: kept
    ("1009", "22/01/2024",
     [P, P, P, P, P,
      TAF, PP, P, PP, TAF,
      PP, P, P, PP, P,
      P, PP, P, P, P], ""),
    # line 14: no item answered -> rejected "no item answered" (step 3 comes
    # before the conflict rule, so this is not a conflict with line 15)
    ("NAM-010", "23/01/2024", [E] * 20, "A quitté la séance avant la fin"),
    # line 15: kept
    ("NAM-010", "23/01/2024",
     [PP, P, PP, P, P,
      P, PP, P, P, P,
      PP, P, P, P, P,
      PDT, PP, TAF, PP, TAF], "Aujourd’hui ça va mieux"),
    # line 16: only "Je ne sais pas" -> rejected "no item answered"
    ("NAM-011", "24/01/2024", [NSP] * 20, ""),
    # line 17: a blank ";;;;" line left by Excel after the last data row: not a
    # row at all (blank rows after the data are not read, in every format)
    ("", "", [E] * 20, ""),
]
# T1: 14 rows read = 9 kept (L2, L3, L5, L6, L8, L9, L12, L13, L15)
#     + 4 rejected (L7 conflict, L11 empty id, L14 no answer, L16 no answer)
#     + 1 exact duplicate (L10).  Invalid cells: 2 (L6).

# --------------------------------------------------------------------------
# T2: workbook, sheet "Réponses T2" (the second sheet), numeric codes.
# --------------------------------------------------------------------------

T2_ITEM_COLS = ([f"conf_{i}" for i in range(1, 6)] + [f"rel_{i}" for i in range(1, 6)]
                + [f"proj_{i}" for i in range(1, 6)] + [f"bien_{i}" for i in range(1, 6)])
T2_HEADER = ["N° candidat", "Horodateur", "Antenne"] + T2_ITEM_COLS
N = None  # an empty cell

T2_ROWS = [
    # row 2: kept. D1 raw 4,1,4,1,2 -> 4,4,4,4,3 = 19/5 = 3.8
    ("BXL-001", dt.datetime(2024, 4, 15, 9, 12), "Bruxelles",
     [4, 1, 4, 1, 2, 3, 2, 3, 2, 4, 3, 2, 2, 3, 2, 3, 2, 2, 3, 2]),
    # row 3: kept ("bxl-003 " links with T1 "Bxl-003")
    ("bxl-003 ", dt.datetime(2024, 4, 16, 14, 3), "Bruxelles",
     [3, 2, 3, 2, 2, 3, 2, 3, 2, 3, 2, 3, 3, 2, 3, 3, 3, 2, 2, 3]),
    # row 4: kept
    ("BXL-002", dt.datetime(2024, 4, 16, 15, 40), "Bruxelles",
     [3, 2, 3, 2, 2, 4, 1, 3, 2, 3, 3, 2, 3, 3, 2, 2, 3, 3, 2, 3]),
    # row 5: kept (T2 only). D4: nsp, 2, 3->2, 2, 3->2 -> 8/4 = 2.0
    ("LIE 007", dt.datetime(2024, 4, 17, 10, 0), "Liège",
     [2, 3, 2, 3, 3, 2, 3, 2, 3, 2, 2, 3, 3, 2, 3, "Je ne sais pas", 2, 3, 2, 3]),
    # row 6: BXL-004, 20 answered, dated 22/04 -> rejected: row 8 has as many
    # answers and an earlier date (20/04), though it comes later in the sheet.
    ("BXL-004", dt.datetime(2024, 4, 22, 11, 30), "Bruxelles", [2] * 20),
    # row 7: empty id -> rejected "empty id"
    (N, dt.datetime(2024, 4, 18, 9, 0), "Liège", [3] * 20),
    # row 8: kept. D1 raw 4,1,4,1,1 -> 4,4,4,4,4 = 4.0 (row 6 would give 2.6)
    ("BXL-004", dt.datetime(2024, 4, 20, 9, 5), "Bruxelles",
     [4, 1, 4, 1, 1, 4, 1, 4, 1, 4, 4, 1, 1, 4, 1, 4, 4, 1, 4, 1]),
    # row 9: exact copy of row 2 -> dropped as exact duplicate
    ("BXL-001", dt.datetime(2024, 4, 15, 9, 12), "Bruxelles",
     [4, 1, 4, 1, 2, 3, 2, 3, 2, 4, 3, 2, 2, 3, 2, 3, 2, 2, 3, 2]),
    # row 10: kept; the id is a number cell 1009 (links with T1 "1009");
    # proj_4 (q14) = 0 is outside 1..4 -> invalid cell
    (1009, dt.datetime(2024, 4, 23, 16, 20), "Liège",
     [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 3, 3, 3, 3, 3, 3]),
    # row 11: kept; conf_5 (q05) = "NSP" is not a label of the scale (the
    # codebook says "Je ne sais pas") -> invalid cell, unknown label
    ("NAM-011", dt.datetime(2024, 4, 24, 10, 10), "Namur",
     [3, 2, 3, 2, "NSP", 3, 2, 3, 2, 3, 3, 2, 2, 3, 2, 3, 3, 2, 3, 2]),
    # row 12: kept
    ("bxl-005", dt.datetime(2024, 4, 24, 11, 0), "Bruxelles",
     [4, 1, 4, 2, 2, 4, 2, 3, 2, 3, 4, 1, 2, 3, 2, 3, 3, 2, 3, 2]),
    # row 13: kept
    ("NAM-012", dt.datetime(2024, 4, 25, 13, 45), "Namur",
     [2, 3, 2, 3, 3, 2, 3, 2, 3, 2, 2, 3, 3, 2, 3, 2, 2, 3, 2, 3]),
    # row 14: a second BXL-002 with no answer at all -> "no item answered"
    ("Bxl-002", dt.datetime(2024, 4, 26, 8, 30), "Bruxelles", [N] * 20),
]
# T2: 13 rows read (rows 2..14) = 9 kept (R2, R3, R4, R5, R8, R10, R11, R12,
#     R13) + 3 rejected (R6 conflict, R7 empty id, R14 no answer)
#     + 1 exact duplicate (R9).  Invalid cells: 2 (R10 proj_4, R11 conf_5).

# --------------------------------------------------------------------------
# T3: SPSS, numeric codes, id column IDCAND. Case numbers are 1-based.
# --------------------------------------------------------------------------

nan = float("nan")
T3_ROWS = [
    # case 1: kept
    ("BXL-001", dt.date(2024, 6, 10),
     [4, 1, 4, 1, 1, 4, 1, 4, 2, 4, 4, 1, 2, 4, 1, 4, 4, 1, 4, 2]),
    # case 2: kept ("  BXL-003")
    ("  BXL-003", dt.date(2024, 6, 10),
     [3, 2, 3, 2, 2, 3, 2, 3, 2, 3, 3, 2, 2, 3, 2, 3, 3, 2, 3, 2]),
    # case 3: kept ("lie  006", double space, links with T1 "LIE 006")
    ("lie  006", dt.date(2024, 6, 11),
     [2, 3, 2, 2, 3, 3, 2, 3, 3, 2, 2, 2, 3, 2, 3, 2, 3, 2, 3, 3]),
    # case 4: LIE 008, 15 answered (5+4+3+3), 12/06 -> kept (tie with case 5
    # on completeness and date: the first in the file wins).
    #   D1: 3, 2->3, 3, 3->2, 2->3 = 14/5 = 2.8 (case 5 would give 2.0)
    ("LIE 008", dt.date(2024, 6, 12),
     [3, 2, 3, 3, 2, 3, nan, 3, 2, 3, 3, 2, nan, nan, 2, 3, 3, nan, 2, nan]),
    # case 5: LIE 008, 15 answered (4+4+3+4), same date -> rejected, kept: 4
    ("LIE 008", dt.date(2024, 6, 12),
     [2, 3, 2, nan, 3, 2, 3, nan, 3, 2, nan, 3, 3, 2, nan, 2, 2, 3, nan, 3]),
    # case 6: exact copy of case 1 -> dropped as exact duplicate
    ("BXL-001", dt.date(2024, 6, 10),
     [4, 1, 4, 1, 1, 4, 1, 4, 2, 4, 4, 1, 2, 4, 1, 4, 4, 1, 4, 2]),
    # case 7: kept; Q03 = 7 outside 1..4 -> invalid.
    #   D1: q01 3, q02 2->3, q03 invalid, q04 4->1, q05 1->4 -> 11/4 = 2.75
    ("1009", dt.date(2024, 6, 13),
     [3, 2, 7, 4, 1, 3, 2, 3, 2, 3, 3, 2, 2, 3, 2, 3, 2, 3, 2, 3]),
    # case 8: kept
    ("NAM-012", dt.date(2024, 6, 14),
     [3, 3, 3, 2, 2, 3, 2, 3, 2, 3, 3, 2, 2, 3, 2, 3, 3, 2, 3, 2]),
    # case 9: kept
    ("BXL-002", dt.date(2024, 6, 14),
     [3, 2, 4, 2, 1, 4, 1, 3, 2, 4, 3, 2, 2, 4, 2, 3, 3, 2, 3, 2]),
    # case 10: NAM-010, every item system-missing -> "no item answered"
    ("NAM-010", dt.date(2024, 6, 15), [nan] * 20),
    # case 11: empty id -> "empty id"
    ("", dt.date(2024, 6, 15),
     [3, 2, 3, 2, 2, 3, 2, 3, 2, 3, 3, 2, 2, 3, 2, 3, 3, 2, 3, 2]),
]
# T3: 11 cases read = 7 kept (#1, #2, #3, #4, #7, #8, #9) + 3 rejected (#5
#     conflict, #10 no answer, #11 empty id) + 1 exact duplicate (#6).
#     Invalid cells: 1 (#7 Q03).

EXPECTED_QUALITY = {
    #      file,     read, kept, rejected, duplicates, invalid, empty id, no answer, conflict
    "T1": (T1_FILE, 14, 9, 4, 1, 2, 1, 2, 1),
    "T2": (T2_FILE, 13, 9, 3, 1, 2, 1, 1, 1),
    "T3": (T3_FILE, 11, 7, 3, 1, 1, 1, 1, 1),
}

EXPECTED_REJECTED = [
    # wave, file, line, reason (conflicts: the kept line is named)
    ("T1", T1_FILE, 7, "conflict", 8),
    ("T1", T1_FILE, 11, "empty id", None),
    ("T1", T1_FILE, 14, "no item answered", None),
    ("T1", T1_FILE, 16, "no item answered", None),
    ("T2", T2_FILE, 6, "conflict", 8),
    ("T2", T2_FILE, 7, "empty id", None),
    ("T2", T2_FILE, 14, "no item answered", None),
    ("T3", T3_FILE, 5, "conflict", 4),
    ("T3", T3_FILE, 10, "no item answered", None),
    ("T3", T3_FILE, 11, "empty id", None),
]

EXPECTED_INVALID = [
    # wave, file, line, column (as in the export), item, raw_value, reason hint
    ("T1", T1_FILE, 6, "Q08", "q08", "Parfois", "label"),
    ("T1", T1_FILE, 6, "q14", "q14", "5", "5"),
    ("T2", T2_FILE, 10, "proj_4", "q14", "0", "0"),
    ("T2", T2_FILE, 11, "conf_5", "q05", "NSP", "label"),
    ("T3", T3_FILE, 7, "Q03", "q03", "7", "7"),
]

EXPECTED_PATTERN = {
    "bxl-001": "T1+T2+T3", "bxl-002": "T1+T2+T3", "bxl-003": "T1+T2+T3",
    "1009": "T1+T2+T3", "bxl-004": "T1+T2", "bxl-005": "T1+T2",
    "lie 006": "T1+T3", "lie 008": "T1+T3", "lie 007": "T2", "nam-011": "T2",
    "nam-010": "T1", "nam-012": "T2+T3",
}
EXPECTED_PATTERN_COUNTS = {"T1+T2+T3": 4, "T1+T2": 2, "T1+T3": 2, "T2": 2,
                           "T1": 1, "T2+T3": 1}

# The kept questionnaire of each candidate in each wave: its source line.
EXPECTED_SOURCE_LINE = {
    ("bxl-001", "T1"): 2, ("bxl-002", "T1"): 3, ("bxl-003", "T1"): 5,
    ("bxl-004", "T1"): 6, ("bxl-005", "T1"): 8, ("lie 006", "T1"): 9,
    ("lie 008", "T1"): 12, ("1009", "T1"): 13, ("nam-010", "T1"): 15,
    ("bxl-001", "T2"): 2, ("bxl-003", "T2"): 3, ("bxl-002", "T2"): 4,
    ("lie 007", "T2"): 5, ("bxl-004", "T2"): 8, ("1009", "T2"): 10,
    ("nam-011", "T2"): 11, ("bxl-005", "T2"): 12, ("nam-012", "T2"): 13,
    ("bxl-001", "T3"): 1, ("bxl-003", "T3"): 2, ("lie 006", "T3"): 3,
    ("lie 008", "T3"): 4, ("1009", "T3"): 7, ("nam-012", "T3"): 8,
    ("bxl-002", "T3"): 9,
}


# --------------------------------------------------------------------------
# Writing the study
# --------------------------------------------------------------------------

STUDY_YML = """\
# Étude d'impact - coaching vers l'emploi, cohorte 2024 (Bruxelles, Liège, Namur)
title: "Coaching emploi – cohorte 2024"
language: fr
id_column: Code candidat
codebook: codebook
min_items_answered: 0.6
waves:
  - key: T1
    label: Entrée
    file: {t1}
    date_column: date de réponse
  - key: T2
    label: Mi-parcours
    file: {t2}
    sheet: Réponses T2
    date_column: Horodateur
    rename:
      "N° candidat": Code candidat
{rename}
  - key: T3
    label: Sortie
    file: {t3}
    date_column: DATE_REP
    rename:
      IDCAND: Code candidat
"""


def _write_codebook(folder: Path) -> None:
    folder.mkdir(parents=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["item", "text", "dimension", "scale", "reverse"])
    for item, text, dim, rev in ITEMS:
        w.writerow([item, text, dim, "accord4", rev])
    (folder / "items.csv").write_text(buf.getvalue(), encoding="utf-8")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["scale", "value", "label"])
    for value, label in SCALE:
        w.writerow(["accord4", value, label])
    (folder / "scales.csv").write_text(buf.getvalue(), encoding="utf-8")


def _write_t1(path: Path) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")  # Excel quotes the cell with a break
    w.writerow(T1_HEADER)
    for ident, date, answers, comment in T1_ROWS:
        assert len(answers) == 20
        w.writerow([ident, date, *answers, comment])
    path.write_bytes(buf.getvalue().encode("cp1252"))


def _write_t2(path: Path) -> None:
    wb = openpyxl.Workbook()
    notice = wb.active
    notice.title = "Notice"
    notice["A1"] = "Export du questionnaire de mi-parcours"
    notice["A2"] = "Codes : 1 = Pas du tout ... 4 = Tout à fait"
    ws = wb.create_sheet("Réponses T2")
    ws.append(T2_HEADER)
    for ident, when, site, answers in T2_ROWS:
        assert len(answers) == 20
        ws.append([ident, when, site, *answers])
    wb.save(path)


def _write_t3(path: Path) -> None:
    cols = {"IDCAND": [r[0] for r in T3_ROWS],
            # nanoseconds: pyreadstat 1.3.7 writes datetime64[s] columns as 1970-01-01
            "DATE_REP": pd.to_datetime([r[1] for r in T3_ROWS]).astype("datetime64[ns]")}
    for j in range(20):
        cols[f"Q{j + 1:02d}"] = [float(r[2][j]) for r in T3_ROWS]
    df = pd.DataFrame(cols)
    labels = {float(v): lab for v, lab in SCALE if v}
    pyreadstat.write_sav(
        df, str(path),
        column_labels=["Identifiant candidat", "Date de réponse"] + [t for _, t, _, _ in ITEMS],
        variable_value_labels={f"Q{j + 1:02d}": labels for j in range(20)})


def build_study(root: Path) -> Path:
    (root / "exports").mkdir(parents=True)
    _write_codebook(root / "codebook")
    _write_t1(root / T1_FILE)
    _write_t2(root / T2_FILE)
    _write_t3(root / T3_FILE)
    rename = "\n".join(f"      {col}: q{j + 1:02d}" for j, col in enumerate(T2_ITEM_COLS))
    path = root / "study.yml"
    path.write_text(STUDY_YML.format(t1=T1_FILE, t2=T2_FILE, t3=T3_FILE, rename=rename),
                    encoding="utf-8")
    return path


def _canon(ident: str) -> str:
    return " ".join(str(ident).split()).casefold()


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    return build_study(tmp_path_factory.mktemp("etude_inconnue"))


@pytest.fixture(scope="module")
def processed(study, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMPACTLIB_KEY", KEY)
        mp.delenv("IMPACTLIB_KEY_FILE", raising=False)
        work = tmp_path_factory.mktemp("cwd")
        mp.chdir(work)
        result = clean_study(study)
        assert not (work / "data" / ".pseudonym-key").exists()
    return result


@pytest.fixture(scope="module")
def cand(processed) -> dict[str, str]:
    """Canonical id -> pseudonym, from the pseudonyms table."""
    out = {_canon(i): c for c, i in zip(processed.pseudonyms["candidate"],
                                        processed.pseudonyms["id"])}
    assert set(out) == set(EXPECTED_PATTERN)
    return out


# --------------------------------------------------------------------------
# The files themselves are what the brief asks for
# --------------------------------------------------------------------------

def test_exports_have_the_intended_shape(study):
    raw = (study.parent / T1_FILE).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert "\r\n" in text and "\u00a0" in text and "é" in text
    # 15 records + header on 17 physical lines (one record holds a line break)
    assert text.count("\r\n") == 16 and text.count("\n") == 17
    wb = openpyxl.load_workbook(study.parent / T2_FILE)
    assert wb.sheetnames == ["Notice", "Réponses T2"]
    df, _ = pyreadstat.read_sav(str(study.parent / T3_FILE))
    assert len(df) == 11 and "IDCAND" in df.columns
    assert pd.Timestamp(df["DATE_REP"].iloc[3]) == pd.Timestamp("2024-06-12")


# --------------------------------------------------------------------------
# Row accounting
# --------------------------------------------------------------------------

def test_quality_per_wave(processed):
    q = processed.quality.set_index("wave")
    assert list(q.index) == ["T1", "T2", "T3"]
    for wave, (file, read, kept, rejected, dups, invalid, empty_id, no_answer,
               conflict) in EXPECTED_QUALITY.items():
        row = q.loc[wave]
        got = (row["file"], row["rows_read"], row["rows_kept"], row["rows_rejected"],
               row["duplicates_dropped"], row["cells_invalid"])
        assert got == (file, read, kept, rejected, dups, invalid), wave
        # the invariant of the ingest notes
        assert row["rows_read"] == row["rows_kept"] + row["rows_rejected"] + row["duplicates_dropped"]
        # the breakdown of rejections, when reported
        for col, want in (("rejected_empty_id", empty_id), ("rejected_no_answer", no_answer),
                          ("rejected_conflict", conflict)):
            if col in q.columns:
                assert row[col] == want, (wave, col)
    assert q.loc["T1", "encoding"] == "cp1252"
    assert q.loc["T1", "delimiter"] == ";"


def test_rejected_rows_lines_and_reasons(processed):
    rej = processed.rejected_rows
    got = sorted(zip(rej["wave"], rej["file"], rej["line"].astype(int), rej["reason"]))
    assert len(got) == len(EXPECTED_REJECTED)
    for (wave, file, line, reason), (w2, f2, l2, kind, kept_line) in zip(
            got, sorted(EXPECTED_REJECTED)):
        assert (wave, file, line) == (w2, f2, l2)
        if kind == "conflict":
            # "rejected with the line of the kept one"
            assert re.search(rf"\b{kept_line}$", reason), reason
            assert reason not in ("empty id", "no item answered")
        else:
            assert reason == kind, (wave, line, reason)


def test_questionnaires_kept_and_their_lines(processed, cand):
    q = processed.questionnaires
    assert len(q) == 25                                     # 9 + 9 + 7
    assert q["wave"].value_counts().to_dict() == {"T1": 9, "T2": 9, "T3": 7}
    back = {c: i for i, c in cand.items()}
    got = {(back[c], str(w)): int(line)
           for c, w, line in zip(q["candidate"], q["wave"], q["source_line"])}
    assert got == EXPECTED_SOURCE_LINE
    files = dict(zip(q["wave"].astype(str), q["source_file"]))
    assert files == {"T1": T1_FILE, "T2": T2_FILE, "T3": T3_FILE}
    dates = {(back[c], str(w)): d for c, w, d in zip(q["candidate"], q["wave"], q["date"])}
    # the kept questionnaires of the conflicts
    assert dates[("bxl-005", "T1")] == pd.Timestamp("2024-01-19")   # dd/mm/yyyy, line 8
    assert dates[("bxl-004", "T2")] == pd.Timestamp("2024-04-20")   # earliest, row 8
    assert dates[("lie 008", "T3")] == pd.Timestamp("2024-06-12")
    assert dates[("bxl-001", "T1")] == pd.Timestamp("2024-01-15")   # not 1 March
    n_answered = {(back[c], str(w)): n for c, w, n in zip(q["candidate"], q["wave"], q["n_answered"])}
    assert n_answered[("bxl-005", "T1")] == 18    # not line 7's 17 (+3 "je ne sais pas")
    assert n_answered[("lie 008", "T1")] == 15
    assert n_answered[("bxl-004", "T1")] == 18    # 2 invalid cells do not count
    assert n_answered[("lie 008", "T3")] == 15


def test_invalid_cells(processed, cand):
    inv = processed.invalid_cells
    got = sorted(zip(inv["wave"], inv["file"], inv["line"].astype(int), inv["item"],
                     inv["raw_value"].astype(str), inv["reason"]))
    want = sorted(EXPECTED_INVALID)
    assert len(got) == len(want)
    for (wave, file, line, item, raw, reason), (w2, f2, l2, _col, i2, r2, hint) in zip(got, want):
        assert (wave, file, line, item, raw) == (w2, f2, l2, i2, r2)
        assert hint in reason, reason
    # CSV and SPSS: the column is the export's own column name
    cols = {(w, int(line), it): c for w, line, it, c in
            zip(inv["wave"], inv["line"], inv["item"], inv["column"])}
    assert cols[("T1", 6, "q08")] == "Q08"
    assert cols[("T1", 6, "q14")] == "q14"
    assert cols[("T3", 7, "q03")] == "Q03"
    by_cand = dict(zip(zip(inv["wave"], inv["line"].astype(int), inv["item"]), inv["candidate"]))
    assert by_cand[("T1", 6, "q08")] == cand["bxl-004"]
    assert by_cand[("T2", 10, "q14")] == cand["1009"]
    assert by_cand[("T3", 7, "q03")] == cand["1009"]


# invalid_cells.column names the export's own column, before 'rename'.
def test_invalid_cells_column_points_into_renamed_export(processed):
    inv = processed.invalid_cells
    cols = {(w, int(line)): c for w, line, c in zip(inv["wave"], inv["line"], inv["column"])}
    assert cols[("T2", 10)] == "proj_4"
    assert cols[("T2", 11)] == "conf_5"


# --------------------------------------------------------------------------
# Linkage and patterns
# --------------------------------------------------------------------------

def test_patterns(processed, cand):
    c = processed.candidates
    assert len(c) == 12
    assert c["pattern"].value_counts().to_dict() == EXPECTED_PATTERN_COUNTS
    pattern = dict(zip(c["candidate"], c["pattern"]))
    for ident, want in EXPECTED_PATTERN.items():
        assert pattern[cand[ident]] == want, ident
    row = c.set_index("candidate")
    # non-monotone patterns are kept: T1+T3 and T2 only
    assert row.loc[cand["lie 006"], ["in_T1", "in_T2", "in_T3"]].tolist() == [True, False, True]
    assert row.loc[cand["lie 007"], ["in_T1", "in_T2", "in_T3"]].tolist() == [False, True, False]
    assert row.loc[cand["nam-012"], "n_waves"] == 2
    assert row.loc[cand["bxl-003"], "n_waves"] == 3     # Bxl-003 / "bxl-003 " / "  BXL-003"
    assert row.loc[cand["1009"], "n_waves"] == 3        # text, number cell, SPSS string


# --------------------------------------------------------------------------
# Recoding and scores
# --------------------------------------------------------------------------

def _cell(processed, cand_id, wave, item):
    r = processed.responses
    hit = r[(r["candidate"] == cand_id) & (r["wave"] == wave) & (r["item"] == item)]
    assert len(hit) == 1
    return hit.iloc[0]


def _score(processed, cand_id, wave, dim):
    s = processed.scores
    hit = s[(s["candidate"] == cand_id) & (s["wave"] == wave) & (s["dimension"] == dim)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_codebook_reverse_flags(processed):
    items = processed.items.set_index("item")
    assert set(items.index[items["reverse"].astype(bool)]) == REVERSE
    assert (items["min"] == 1).all() and (items["max"] == 4).all()
    sc = processed.scales
    nsp = sc[sc["label"] == "Je ne sais pas"]
    assert len(nsp) == 1 and pd.isna(nsp["value"].iloc[0])


def test_responses_and_scores_table_sizes(processed):
    assert len(processed.responses) == 25 * 20
    assert len(processed.scores) == 25 * 4


def test_recoded_values(processed, cand):
    # bxl-001 T1: q02 "Pas du tout" = 1, reverse -> 1 + 4 - 1 = 4
    c = _cell(processed, cand["bxl-001"], "T1", "q02")
    assert (c["raw_value"], c["value"], c["status"], c["label"]) == (1, 4, "answered", "Pas du tout")
    # q20 "PAS DU TOUT" (case folded) -> raw 1, reverse -> 4
    c = _cell(processed, cand["bxl-001"], "T1", "q20")
    assert (c["raw_value"], c["value"], c["label"]) == (1, 4, "Pas du tout")
    # q14 "Tout à<NBSP>fait" -> 4, not reverse -> 4
    c = _cell(processed, cand["bxl-001"], "T1", "q14")
    assert (c["raw_value"], c["value"], c["label"]) == (4, 4, "Tout à fait")
    # q04 "plutôt pas" -> 2, reverse -> 3
    c = _cell(processed, cand["bxl-001"], "T1", "q04")
    assert (c["raw_value"], c["value"]) == (2, 3)
    # lie 008 T1: q09 "Tout à fait" = 4, reverse -> 1; q06 "Je ne sais pas"
    c = _cell(processed, cand["lie 008"], "T1", "q09")
    assert (c["raw_value"], c["value"]) == (4, 1)
    c = _cell(processed, cand["lie 008"], "T1", "q06")
    assert c["status"] == "dont_know" and c["label"] == "Je ne sais pas"
    assert pd.isna(c["raw_value"]) and pd.isna(c["value"])
    c = _cell(processed, cand["lie 008"], "T1", "q13")
    assert c["status"] == "missing" and pd.isna(c["value"])
    # bxl-004 T1: "tout a fait" (no accent) -> 4; "4" typed as a number -> 4
    c = _cell(processed, cand["bxl-004"], "T1", "q03")
    assert (c["raw_value"], c["label"]) == (4, "Tout à fait")
    c = _cell(processed, cand["bxl-004"], "T1", "q10")
    assert (c["raw_value"], c["value"], c["label"]) == (4, 4, "Tout à fait")
    c = _cell(processed, cand["bxl-004"], "T1", "q08")                # "Parfois"
    assert c["status"] == "invalid" and pd.isna(c["value"])
    # 1009 T3 (SPSS): Q02 = 2, reverse -> 3; Q03 = 7 invalid
    c = _cell(processed, cand["1009"], "T3", "q02")
    assert (c["raw_value"], c["value"], c["label"]) == (2, 3, "Plutôt pas")
    c = _cell(processed, cand["1009"], "T3", "q03")
    assert c["status"] == "invalid" and pd.isna(c["raw_value"]) and pd.isna(c["value"])
    # lie 007 T2: "Je ne sais pas" written as text in a numeric sheet
    c = _cell(processed, cand["lie 007"], "T2", "q16")
    assert c["status"] == "dont_know"
    # nam-011 T2: "NSP" is not a label of the scale
    c = _cell(processed, cand["nam-011"], "T2", "q05")
    assert c["status"] == "invalid"


@pytest.mark.parametrize("ident, wave, dim, score, n_answered", [
    ("bxl-001", "T1", D1, 3.2, 5),    # 4,4,3,3,2
    ("bxl-001", "T1", D2, 3.4, 5),    # 3,3,4,4,3
    ("bxl-001", "T1", D3, 3.4, 5),    # 3,3,4,4,3
    ("bxl-001", "T1", D4, 3.0, 5),    # 3,2,2,4,4
    ("bxl-001", "T2", D1, 3.8, 5),    # raw 4,1,4,1,2 -> 4,4,4,4,3
    ("bxl-004", "T1", D2, 3.25, 4),   # 3,3,(invalid),3,4
    ("bxl-004", "T1", D3, 2.5, 4),    # 3,2,3,(invalid),2
    ("bxl-004", "T2", D1, 4.0, 5),    # row 8 kept (earliest date), not row 6 (2.6)
    ("bxl-005", "T1", D1, 3.75, 4),   # line 8 kept (most complete), not line 7 (2.5)
    ("lie 008", "T1", D2, 2.0, 3),    # 3 of 5 answered = 0.6: enough
    ("lie 008", "T1", D3, None, 2),   # 2 of 5 < 0.6: no score
    ("lie 008", "T3", D1, 2.8, 5),    # case 4 kept (first of a tie), not case 5 (2.0)
    ("lie 007", "T2", D4, 2.0, 4),    # "Je ne sais pas" not answered: 2,2,2,2
    ("1009", "T3", D1, 2.75, 4),      # 3,3,(invalid 7),1,4
])
def test_dimension_scores(processed, cand, ident, wave, dim, score, n_answered):
    s = _score(processed, cand[ident], wave, dim)
    assert s["n_answered"] == n_answered
    assert s["n_items"] == 5
    if score is None:
        assert math.isnan(s["score"])
    else:
        assert s["score"] == pytest.approx(score, abs=1e-12)


# --------------------------------------------------------------------------
# The command line, once
# --------------------------------------------------------------------------

def test_command_line_clean(study, tmp_path, monkeypatch):
    monkeypatch.setenv("IMPACTLIB_KEY", KEY)
    monkeypatch.delenv("IMPACTLIB_KEY_FILE", raising=False)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    out = tmp_path / "processed"
    run = subprocess.run([sys.executable, "-m", "impactlib", "clean", str(study), "--out", str(out)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "data" / ".pseudonym-key").exists()
    q = pd.read_csv(out / "quality.csv", keep_default_na=False).set_index("wave")
    for wave, (file, read, kept, rejected, dups, invalid, *_rest) in EXPECTED_QUALITY.items():
        assert (q.loc[wave, "file"], q.loc[wave, "rows_read"], q.loc[wave, "rows_kept"],
                q.loc[wave, "rows_rejected"], q.loc[wave, "duplicates_dropped"],
                q.loc[wave, "cells_invalid"]) == (file, read, kept, rejected, dups, invalid)
    rej = pd.read_csv(out / "rejected_rows.csv", dtype=str, keep_default_na=False)
    assert sorted(zip(rej["wave"], rej["line"].astype(int))) == sorted(
        (w, line) for w, _f, line, _r, _k in EXPECTED_REJECTED)
    cands = pd.read_parquet(out / "candidates.parquet")
    assert cands["pattern"].value_counts().to_dict() == EXPECTED_PATTERN_COUNTS
