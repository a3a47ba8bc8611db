"""Both languages say everything; fields, plurals, elision, numbers and escaping behave.

The last test renders every sentence of both locales with edge values, taken from
the locale files themselves (every key, every ``{field}``): a new sentence is
checked without writing a test for it, and a new field name fails until
``EDGE_VALUES`` (or the naming rules of ``_edge_values``) says what values it takes.
"""

from __future__ import annotations

import html
import math
import re
import string

import pytest

from impactlib.report.i18n import Translator, french_elide, load_locale, plural_is_one


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_french_and_english_have_the_same_keys_and_fields():
    fr, en = load_locale("fr"), load_locale("en")
    assert sorted(set(fr) - set(en)) == [] and sorted(set(en) - set(fr)) == []
    for key in fr:
        assert _fields(fr[key]) == _fields(en[key]), key


def test_plural_specs_have_a_singular_and_a_plural():
    for lang in ("fr", "en"):
        for key, template in load_locale(lang).items():
            for _, name, spec, _ in string.Formatter().parse(template):
                if spec and "|" in spec:
                    one, other = spec.split("|")          # exactly one "|"
                    assert one and other, (lang, key, spec)


def test_values_are_escaped_in_html():
    tr = Translator("fr")
    assert "&lt;script&gt;" in tr.html("index.intro", title="<script>x</script>", period="p")


def test_numbers_are_written_the_local_way():
    assert Translator("fr").number(1234.5, 1) == "1\u202f234,5"
    assert Translator("en").number(1234.5, 1) == "1,234.5"
    assert Translator("fr").percent(0.482) == "48\u00a0%"
    assert Translator("en").percent(0.482) == "48%"
    # a whole number passed to a sentence is a count, written the same way
    assert Translator("fr").t("common.candidates", n=1234) == "1\u202f234 candidats"
    assert Translator("en").t("common.candidates", n=1234) == "1,234 candidates"


def test_a_float_must_be_written_before_it_is_passed():
    with pytest.raises(TypeError, match="estimate"):
        Translator("fr").t("synthesis.worsened", dimension="A", estimate=0.5, ci_low="0", ci_high="1")


@pytest.mark.parametrize("p, fr, en", [
    (0.0004, "p < 0,001", "p < 0.001"),
    (0.00099, "p < 0,001", "p < 0.001"),      # rounds to 0.001 but is below it
    (0.0, "p < 0,001", "p < 0.001"),
    (0.001, "p = 0,001", "p = 0.001"),
    (0.0496, "p = 0,050", "p = 0.050"),
    (0.5, "p = 0,500", "p = 0.500"),
    (float("nan"), "p = –", "p = –")])
def test_p_values_never_read_0_000(p, fr, en):
    assert Translator("fr").p(p) == fr.replace(" ", "\u00a0")
    assert Translator("en").p(p) == en.replace(" ", "\u00a0")


@pytest.mark.parametrize("before, value, expected", [
    ("De ", "Entrée", "D'Entrée"),
    ("celui de ", "Entree", "celui d'Entree"),
    ("celui de ", "Mi-parcours", "celui de Mi-parcours"),
    ("celui de ", "Sortie", "celui de Sortie"),
    ("celui de ", "Évaluation", "celui d'Évaluation"),
    ("de ", "È", "d'È"), ("de ", "Êtes-vous prêt", "d'Êtes-vous prêt"),
    ("de ", "À venir", "d'À venir"), ("la ", "Île", "l'Île"), ("de ", "Ô", "d'Ô"),
    ("que ", "Œuvre", "qu'Œuvre"), ("de ", "Âge", "d'Âge"), ("le ", "Entrée", "l'Entrée"),
    ("ne ", "est", "n'est"), ("je ", "ai", "j'ai"), ("se ", "il", "s'il"),
    ("de ", "hiver", "d'hiver"), ("de ", "Hiver", "d'Hiver"), ("de ", "hôpital", "d'hôpital"),
    ("de ", "Haut", "de Haut"), ("de ", "Hors les murs", "de Hors les murs"),   # aspirated h
    ("de ", "Yoga", "de Yoga"),
    ("de ", "6 mois", "de 6 mois"), ("de ", "« Entrée »", "de « Entrée »"),
    ("de ", '"Entrée"', 'de "Entrée"'), ("de ", "'Entrée'", "de 'Entrée'"),
    ("réponse à ", "Le bilan", "réponse au bilan"), ("De ", "Le bilan", "Du bilan"),
    ("à ", "Les 6 mois", "aux 6 mois"), ("de ", "Les 6 mois", "des 6 mois"),
    ("À ", "Le bilan", "Au bilan"),
    ("de ", "La sortie", "de La sortie"), ("de ", "Lesotho", "de Lesotho"),
    ("code ", "Entrée", "code Entrée"), ("aide ", "Entrée", "aide Entrée"),  # not the word "de"
    ("de", "Entrée", "deEntrée"), ("de  ", "Entrée", "de  Entrée"),
    ("de\u00a0", "Entrée", "d'Entrée")])
def test_french_elision_and_contraction(before, value, expected):
    assert "".join(french_elide(before, value)) == expected


def test_elision_is_french_only_and_uses_the_locales_apostrophe():
    fr, en = Translator("fr"), Translator("en")
    assert fr.t("items.pair_title", from_label="Entrée", to_label="Évaluation", n=149) \
        == "D'Entrée à Évaluation (149 candidats présents aux deux questionnaires)"
    en.strings = {**en.strings, "probe": "de {label} à {other}"}
    assert en.t("probe", label="Entrée", other="Le bilan") == "de Entrée à Le bilan"
    # the apostrophe of elided words is the one the locale files write
    fr_text = "".join(load_locale("fr").values())
    assert "'" in fr_text and "’" not in fr_text


@pytest.mark.parametrize("lang, value, one", [
    ("fr", 0, True), ("fr", 1, True), ("fr", 2, False), ("fr", 5, False),
    ("fr", "1,96", True), ("fr", "0,50", True), ("fr", "2,00", False),
    ("fr", "1\u202f234", False), ("fr", "147 à 149", False), ("fr", "–", False),
    ("en", 1, True), ("en", 0, False), ("en", 2, False), ("en", "1", True),
    ("en", "1.00", False), ("en", "0.50", False), ("en", "1,001", False)])
def test_plural_rules(lang, value, one):
    # CLDR: French "one" for an integer part of 0 or 1, English only for a bare 1
    assert plural_is_one(lang, value) is one


# --- every sentence with edge values --------------------------------------------------

COUNTS = [0, 1, 5, 1_234_567]
LABELS = ["Entrée", "Entree", "Mi-parcours", "Sortie", "Évaluation", "Haut", "hiver", "Île",
          "Œuvre", "Âge", "Ô", "È", "6 mois", "« Entrée »", "Le bilan", "Les 6 mois", "Yoga"]
DECIMALS = [0.0, 0.5, 1.0, 1.96, -0.4, 2.5, 1234.5]
SHARES = [0.0, 0.001, 0.05, 0.5, 1.0]
P_VALUES = [0.0004, 0.001, 0.05, 0.5, float("nan")]
LABEL_FIELDS = {"label", "first", "wave", "start", "end", "dimension", "item"}
COUNT_FIELDS = {"n", "total", "entrants", "df", "m"}


def _edge_values(name: str, tr: Translator) -> list:
    """Values a field takes, from its name or from ``EDGE_VALUES``; fails on an unknown name."""
    if name in EDGE_VALUES:
        return EDGE_VALUES[name](tr)
    if name in COUNT_FIELDS or name.startswith("n_"):
        # ints, as the narrative passes them, and text, as the figures do
        return COUNTS + [tr.number(c) for c in COUNTS]
    if name in LABEL_FIELDS or name.endswith("_label"):
        return LABELS
    if name.startswith("pct"):
        return [tr.percent(s) for s in SHARES]
    pytest.fail(f"field {{{name}}}: no edge values; add it to EDGE_VALUES in {__file__}")


EDGE_VALUES = {
    **{name: (lambda tr: [tr.number(v, 2) for v in DECIMALS])
       for name in ("estimate", "ci_low", "ci_high", "mdes", "smd", "chi2", "d", "se", "critical")},
    "p": lambda tr: [tr.p(p) for p in P_VALUES],
    # shifts of the imputed scores, in scale points (delta adjustment, issue 15)
    **{name: (lambda tr: [tr.number(v, 2) for v in DECIMALS] + [tr.number(1.0, 1)])
       for name in ("delta", "shift")},
    # fractions of missing information of an imputation (issue 15)
    **{name: (lambda tr: [tr.number(v, 2) for v in (0.0, 0.05, 0.5, 0.87, 1.0)])
       for name in ("fmi_low", "fmi_high")},
    "alpha": lambda tr: [tr.number(0.05, 2), tr.percent(0.05)],
    "power": lambda tr: [tr.percent(0.8)],
    # scale ends (numbers) in change_intro and n_range, answer labels in reverse_note
    "low": lambda tr: COUNTS + ["Pas du tout d'accord", "Entrée"],
    "high": lambda tr: COUNTS + ["Tout à fait d'accord", "Haut"],
    "title": lambda tr: ["Évaluation 2024", "Démo <script>", "Insertion & emploi"],
    "period": lambda tr: [tr.period(), tr.period("2024-01-01", "2024-12-31"),
                          tr.period(since="2024-01-01"), tr.period(until="2024-12-31")],
    "since": lambda tr: ["2024-01-01"],
    "until": lambda tr: ["2024-12-31"],
    "date": lambda tr: ["2024-05-01", tr.date("2024-03-01"), tr.date("2025-03-31")],
    "version": lambda tr: ["0.1.0"],
    "note": lambda tr: ["matrice singulière"],
    "verdict": lambda tr: [tr.t("attrition.mcar_random"), tr.t("attrition.mcar_not_random")],
    "detail": lambda tr: [tr.t(f"synthesis.caveat_attrition_{k}", smd=tr.number(0.37, 2), n_notable=n,
                               n_compared=4) for k, n in (("higher", 1), ("mixed", 2), ("similar", 0))],
    "rest": lambda tr: ["", tr.t("synthesis.funnel_wave", n=1, label="Évaluation",
                                 pct=tr.percent(0.5)) + "."],
    "file": lambda tr: ["exports/T2_mi-parcours.xlsx"],
    "sheet": lambda tr: ["Réponses"],
    "suppressed": lambda tr: [tr.t("common.suppressed"), tr.t("figures.heatmap.suppressed")],
    "days": lambda tr: ["1", "120", tr.number(1500), "60 et 120" if tr.lang == "fr" else "60 and 120"],
    "seed": lambda tr: ["20240601"],
    # impactlib due (followup.yml): a date, and day counts set by the user
    "on": lambda tr: ["30/11/2026", "2026-11-30"],
    "within": lambda tr: COUNTS,
    "grace": lambda tr: COUNTS,
    "key": lambda tr: ["T1"],
    "pair": lambda tr: [tr.t("figures.common.pair", start="Entrée (T1)", end="Le bilan (T2)")],
    # dates in words (dates.yml) and the page "Suivi de la collecte" (collection.yml)
    "day": lambda tr: ["2", "15", "31"],
    "month": lambda tr: ["mars", "avril", "août", "janv.", "March", tr.date("2027-02-22", "month")],
    "year": lambda tr: ["2024"],
    "early": lambda tr: [tr.date("2026-09-20", "month"), tr.date("2026-04-01", "month")],
    "late": lambda tr: [tr.date("2027-10-05", "month"), tr.date("2030-08-01", "month")],
    "unit": lambda tr: [tr.t(f"dates.cohort.{p}") for p in ("month", "quarter", "half-year", "year")],
    **{name: (lambda tr: ["+18", "-3", "0", "+1", "+100"]) for name in ("diff", "diff_low", "diff_high")},
    **{name: (lambda tr: [tr.number(0.52, 2), tr.number(1.0, 1), tr.number(7.1, 1), tr.number(24)])
       for name in ("ratio", "ratio_low", "ratio_high")},
    "months": lambda tr: ["0", "1", "6", "1,5" if tr.lang == "fr" else "1.5", "12"],
    "when": lambda tr: [tr.t("collection.when_since", since=tr.date("2024-03-01")),
                        tr.t("collection.when_between", since=tr.date("2024-03-01"),
                             until=tr.date("2025-01-15"))],
    "scope": lambda tr: [tr.t("collection.scope_one", wave="Entrée"),
                         tr.t("collection.scope_all", waves="Mi-parcours et Sortie")],
    "waves": lambda tr: ["Mi-parcours et Sortie", "Évaluation et Le bilan"],
    "covariates": lambda tr: ["Antenne", "Genre, Tranche d'âge"],
    "variable": lambda tr: ["Antenne", "Tranche d'âge"],
    "model": lambda tr: [tr.t("collection.model_plain"),
                         tr.t("collection.model_both", covariates="Antenne")],
    "rhythm": lambda tr: [tr.t("collection.rhythm", entrants="12", pct=tr.percent(0.21),
                               from_label="Entrée", to_label="Sortie")],
    "list": lambda tr: [tr.t("collection.change_wave_hidden", wave="Évaluation")],
    "changes": lambda tr: [tr.t("figures.collection.change", date=tr.date("2024-03-01"),
                                label="Questionnaire au dernier entretien") + "."],
    "text": lambda tr: [tr.t("collection.synthesis_never", n_needed=90)],
    # the page "Emploi et impact social" (outcomes.yml, issue 13)
    "target": lambda tr: [tr.percent(s) for s in SHARES],
    "ci": lambda tr: ["[47 ; 64]" if tr.lang == "fr" else "[47, 64]", "[0 ; 100]", "–"],
    **{name: (lambda tr: ["+0,47" if tr.lang == "fr" else "+0.47", "-0,05" if tr.lang == "fr"
                          else "-0.05", tr.number(0, 2), tr.number(1.5, 2), "+1" + tr.number(0.5, 2)[1:]])
       for name in ("difference", "change_employed", "change_not", "smd_low", "smd_high")},
    "dimensions": lambda tr: ["Confiance en soi", "Évaluation, Le bilan, Haut"],
    "adjusted": lambda tr: [tr.t("outcomes.adjusted_base"),
                            tr.t("outcomes.adjusted_covariates", covariates="Genre, Antenne")],
    "events": lambda tr: [10, 1],
    "kind": lambda tr: [tr.t("outcomes.policy_kind.selection"),
                        tr.t("outcomes.policy_kind.programme")],
    **{name: (lambda tr: [tr.number(0.5, 1), tr.number(1.0, 1), "11", "0", tr.number(1234)])
       for name in ("rate_before", "rate_after")},
    "threshold": lambda tr: [tr.number(0.2, 1)],
    "level": lambda tr: ["Supérieur", "46 ans et plus", "Entrée", "Le bilan"],
    **{name: (lambda tr: ["0", "1", "196", tr.number(1500)]) for name in ("days_before", "days_after")},
}
EDGE_VALUES["verdict"] = lambda tr: [tr.t("attrition.mcar_random"), tr.t("attrition.mcar_not_random"),
                                     tr.t("outcomes.synthesis_met"), tr.t("outcomes.synthesis_unclear")]

UNELIDED_FR = re.compile(r"(?i)(?<![\w'’])(de|le|la|que|ne|je|se|me|te|jusque) "
                         r"(?=[aeiouàâäéèêëîïôöùûüœæ]|h(?!aut\b|ors\b))")
UNCONTRACTED_FR = re.compile(r"(?i)(?<![\w'’])(de|à) (le|les) ")
NUMBER = {"fr": r"(?<![\w,.\u202f])(\d{1,3}(?:\u202f\d{3})+|\d+)(?:,(\d+))?",
          "en": r"(?<![\w,.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"}
NOUNS = {"fr": [("candidat", "candidats"), ("ligne", "lignes"), ("réponse", "réponses"),
                ("point", "points"), ("écart-type", "écarts-types"),
                ("erreur-type", "erreurs-types"), ("entrant", "entrants"),
                ("dimension", "dimensions"), ("degré", "degrés"),
                ("imputation", "imputations"), ("paire", "paires"), ("jour", "jours"),
                ("questionnaire", "questionnaires")],
         "en": [("candidate", "candidates"), ("row", "rows"), ("answer", "answers"),
                ("point", "points"), ("standard deviation", "standard deviations"),
                ("standard error", "standard errors"), ("entrant", "entrants"),
                ("dimension", "dimensions"), ("degree", "degrees"),
                ("imputation", "imputations"), ("pair", "pairs"), ("day", "days"),
                ("questionnaire", "questionnaires")]}


def _agreement_errors(lang: str, text: str) -> list[str]:
    """Counts followed by a noun in the wrong number (French: singular below 2)."""
    errors = []
    for one, other in NOUNS[lang]:
        for m in re.finditer(NUMBER[lang] + rf" ({re.escape(one)}|{re.escape(other)})\b", text):
            whole = int(re.sub(r"\D", "", m.group(1)))
            singular = whole in (0, 1) if lang == "fr" else (whole == 1 and not m.group(2))
            if (m.group(3) == one) != singular:
                errors.append(m.group(0))
    return errors


def _renders(lang: str):
    """Every key of the locale, with every field's edge values in turn."""
    tr = Translator(lang)
    for key, template in sorted(load_locale(lang).items()):
        names = sorted(_fields(template))
        values = {name: _edge_values(name, tr) for name in names}
        rounds = max((len(v) for v in values.values()), default=1)
        for i in range(rounds):
            for shift in (0, 1):                  # equal and unequal counts side by side
                fields = {name: values[name][(i + j * shift) % len(values[name])]
                          for j, name in enumerate(names)}
                yield tr, key, fields


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_sentence_with_edge_values(lang):
    problems = []
    for tr, key, fields in _renders(lang):
        text = tr.t(key, **fields)
        where = f"{lang}:{key} {fields!r}\n  -> {text!r}"
        if html.unescape(tr.html(key, **fields)) != text:
            problems.append(f"html and text differ: {where}")
        if re.search(r"\{[^{}]*\}", text):
            problems.append(f"placeholder left: {where}")
        if "(s)" in text:
            problems.append(f"'(s)' instead of a plural: {where}")
        if re.search(r"(?<![\d,.\u202f])0[,.]000(?!\d)", text):
            problems.append(f"a p-value of 0,000: {where}")
        if "1234567" in text:
            problems.append(f"count without thousands separators: {where}")
        numbers_only = text.replace(fields.get("version", "\0"), "")
        if lang == "fr":
            if re.search(r"\d\.\d", numbers_only):
                problems.append(f"decimal point in French: {where}")
            # where a value was put in: the sentence's own words ("Cas de Heywood") are
            # the translator's choice
            template = tr.strings[key]
            if any(text[m.start():m.start() + 12] not in template
                   for rx in (UNELIDED_FR, UNCONTRACTED_FR) for m in rx.finditer(text)):
                problems.append(f"not elided: {where}")
            if "’" in text:
                problems.append(f"curly apostrophe (the locale files use '): {where}")
            # "95 %" with a no-break space, as Translator.percent writes it. Not checked in the
            # figures' texts: tests/test_figures.py (another part of the project) looks for
            # "95 %" with a plain space in a figure.
            if re.search(r"\d %", text) and not key.startswith("figures."):
                problems.append(f"breakable space before %: {where}")
        else:
            if re.search(r"\d,\d{1,2}(?!\d)", numbers_only):
                problems.append(f"decimal comma in English: {where}")
            if re.search(r"\b(d|l|qu)'[A-ZÉÈÊÀÎÔŒÂ]", text):
                problems.append(f"French elision in English: {where}")
        problems += [f"'{e}' does not agree: {where}" for e in _agreement_errors(lang, text)]
    assert not problems, f"{len(problems)} problems, first ones:\n" + "\n".join(problems[:15])


def test_edge_values_do_reach_the_checks():
    """The checks above can fail: un-elided text, plural errors and 0,000 are caught."""
    assert UNELIDED_FR.search("De Entrée") and UNELIDED_FR.search("celui de Évaluation")
    assert UNELIDED_FR.search("le hiver") and not UNELIDED_FR.search("de Haut")
    assert UNCONTRACTED_FR.search("réponse à Le bilan")
    assert sorted(_agreement_errors("fr", "1 candidats, 2 candidat, 0,50 points, 1\u202f234 candidat")) \
        == sorted(["1 candidats", "2 candidat", "0,50 points", "1\u202f234 candidat"])
    assert sorted(_agreement_errors("en", "1 candidates, 0 candidate, 0.50 point, 1,234 pairs")) \
        == sorted(["1 candidates", "0 candidate", "0.50 point"])
    rendered = {(key, str(f)) for _, key, f in _renders("fr")}
    assert len({key for key, _ in rendered}) == len(load_locale("fr"))
    tr = Translator("fr")
    assert tr.t("synthesis.funnel_wave", n=1, label="Entrée", pct=tr.percent(0.5)) \
        == "1 a rempli celui d'Entrée (50\u00a0% des entrants)"
    assert math.isnan(P_VALUES[-1])


@pytest.mark.parametrize("value, style, fr, en", [
    ("2024-03-01", "day", "1er mars 2024", "March 1, 2024"),        # French ordinal on the 1st only
    ("2024-03-02", "day", "2 mars 2024", "March 2, 2024"),
    ("2025-08-31", "day", "31 août 2025", "August 31, 2025"),
    ("2027-02-22", "month", "février 2027", "February 2027"),
    ("2024-07-15", "month_short", "juil. 2024", "Jul 2024"),
    ("2024-12-01", "month_short", "déc. 2024", "Dec 2024")])
def test_dates_in_words(value, style, fr, en):
    assert Translator("fr").date(value, style) == fr
    assert Translator("en").date(value, style) == en


def test_missing_dates_and_month_ranges():
    fr, en = Translator("fr"), Translator("en")
    assert fr.date(None) == fr.date(float("nan")) == "–"
    with pytest.raises(ValueError, match="style"):
        fr.date("2024-03-01", "week")
    # a cohort of entrants: one month, a quarter, a whole year, across two years
    assert fr.month_range("2024-03-01", "2024-03-31") == "mars 2024"
    assert fr.month_range("2024-01-01", "2024-03-31", short=True) == "janv.–mars 2024"
    assert fr.month_range("2024-01-01", "2024-06-30") == "janvier–juin 2024"
    assert fr.month_range("2024-01-01", "2024-12-31") == "2024"
    assert fr.month_range("2024-11-01", "2025-02-28", short=True) == "nov. 2024–févr. 2025"
    assert en.month_range("2024-04-01", "2024-06-30", short=True) == "Apr–Jun 2024"
    # "depuis le 1er mars 2024", "d'avril 2026": a date in a sentence elides like a label
    assert fr.t("collection.when_since", since=fr.date("2024-03-01")) == "Depuis le 1er mars 2024"
    assert "".join(french_elide("de ", fr.date("2026-04-01", "month"))) == "d'avril 2026"
