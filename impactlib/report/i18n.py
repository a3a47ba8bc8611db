"""Every word the board reads, from one place per language.

``impactlib/report/locales/fr/`` (the default) and ``locales/en/`` hold the headings,
labels and sentences of the reports, in YAML files (one per part of the
report: ``report.yml``, ``figures.yml``...) with the same keys in both
languages. Keys are ``<file>.<section>.<name>`` without the file: the files of
one language are merged and a key may be defined only once.

Filling a sentence (:meth:`Translator.t`, :meth:`Translator.html`):

- ``{name}`` is replaced by the value passed in. A whole number (``int``,
  numpy integers) is a count and is written the local way (``1 234`` in
  French, ``1,234`` in English); pass a text (``str(seed)``) for a number
  that is not a count. Any other number must come already written, by
  :meth:`Translator.number`, :meth:`Translator.percent` or
  :meth:`Translator.p`: a float passed as it is raises ``TypeError``.
- ``{name:singular|plural}`` writes the singular or the plural words
  according to the value of ``name`` (a count, or a number already written):
  ``"{n} {n:candidat a|candidats ont} répondu"``. French takes the singular
  below 2 (``0 candidat``, ``1,5 point``), English only for exactly ``1``
  (``1 candidate``, ``0.50 points``), as the CLDR plural rules. A value that
  is not a number (``147 à 149``, ``–``) takes the plural.
- In French, a value put just after *de, le, la, que, ne, je, se, me, te,
  jusque, lorsque, puisque* is elided when it starts with a vowel or a mute
  h (``De {label}`` with ``Entrée`` gives ``D'Entrée``), and *de le, de les,
  à le, à les* are contracted (``du``, ``des``, ``au``, ``aux``): see
  :func:`french_elide`. Values are labels chosen by the study's users
  (waves, dimensions), so this is done for every value.
- :meth:`Translator.html` HTML-escapes the values (not the sentence, which
  may hold Markdown).
"""

from __future__ import annotations

import html
import math
import numbers
import re
import string
import unicodedata
from functools import lru_cache

import yaml

from impactlib.config import LOCALES_DIR

__all__ = ["Translator", "LANGUAGES", "load_locale", "french_elide", "plural_is_one",
           "APOSTROPHE", "P_FLOOR", "ASPIRATED_H"]

LANGUAGES = ("fr", "en")
LOCALES = LOCALES_DIR

#: The apostrophe of elided words: the straight one, as in every locale file.
APOSTROPHE = "'"
#: p-values below this are written ``p < 0,001``, never ``0,000``.
P_FLOOR = 0.001
_P_DIGITS = 3
_NBSP = "\u00a0"       # before % in French, and around = or < in p-values
_NNBSP = "\u202f"      # thousands separator in French

#: Words whose final vowel is elided before a vowel or a mute h.
_ELIDING = frozenset({"de", "le", "la", "que", "ne", "je", "se", "me", "te", "jusque",
                      "lorsque", "puisque"})
#: Preposition + article contracted into one word.
_CONTRACTED = {("de", "le"): "du", ("de", "les"): "des", ("à", "le"): "au", ("à", "les"): "aux"}
#: Words starting with an aspirated h (no elision: "le haut", "de Hors les murs"),
#: written without accents; other words starting with h take the elision.
ASPIRATED_H = frozenset("""
hache haie haies haine hair hall halle halles halte hamac hamburger hameau hameaux hampe
hanche handball handicap handicaps hangar hanter happer harangue haras harcelement
harceler hardi hardie hareng hargne haricot haricots harnais harpe hasard hate hausse
haut haute hautes hauts hauteur hauteurs havre hennir herisson hernie heron heros hetre
heurt heurter hibou hideux hierarchie hippie hisser hockey hollande homard hongrie
honte honteux hoquet horde hors hotte houblon houle housse hublot huee huit huitieme
humer hurler hussard hutte
""".split())

_WORD_BEFORE = re.compile(r"(?<![\w'’])(\w+)([ \u00a0])$")
_FIRST_WORD = re.compile(r"\w+")


def _plain(text: str) -> str:
    """Lower case without accents (``Évaluation`` -> ``evaluation``)."""
    return "".join(c for c in unicodedata.normalize("NFD", text.lower())
                   if not unicodedata.combining(c))


def _starts_with_vowel_sound(value: str) -> bool:
    """A vowel (accented or not, œ, æ) or a mute h; y, digits, quotes do not."""
    if not value:
        return False
    first = _plain(value[0])[:1]
    if first in ("a", "e", "i", "o", "u") or value[0] in "œæŒÆ":
        return True
    if first == "h":
        word = _FIRST_WORD.match(value)
        return word is not None and _plain(word.group()) not in ASPIRATED_H
    return False


def french_elide(before: str, value: str) -> tuple[str, str]:
    """Elide or contract the word before an inserted value, the French way.

    Parameters
    ----------
    before : str
        The text written so far; only its last word matters, when it is a
        whole word followed by one space (or no-break space).
    value : str
        The text inserted next (a wave or dimension label...).

    Returns
    -------
    (str, str)
        ``before`` and ``value``, changed when:

        - the last word is *de, le, la, que, ne, je, se, me, te, jusque,
          lorsque, puisque* and ``value`` starts with a vowel (``É``, ``Œ``...
          included) or a mute h: the word loses its final vowel and takes
          :data:`APOSTROPHE` in place of the space (``de`` + ``Entrée`` ->
          ``d'`` + ``Entrée``). A word starting with an aspirated h
          (:data:`ASPIRATED_H`: ``Haut``, ``Hors``...), with y, a digit or a
          quote is left alone;
        - the last word is *de* or *à* and ``value`` starts with the article
          *le* or *les*: contracted (``de`` + ``Le bilan`` -> ``du`` +
          ``bilan``; ``à`` + ``Les 6 mois`` -> ``aux`` + ``6 mois``).

        The case of the first letter of the word is kept (``De`` -> ``D'``,
        ``À`` -> ``Au``).

    Examples
    --------
    >>> french_elide("De ", "Entrée")
    ("D'", 'Entrée')
    >>> french_elide("celui de ", "Évaluation"), french_elide("celui de ", "Haut")
    (("celui d'", 'Évaluation'), ('celui de ', 'Haut'))
    >>> french_elide("réponse à ", "Le bilan")
    ('réponse au ', 'bilan')
    >>> french_elide("le ", "6 mois"), french_elide("code ", "Entrée")
    (('le ', '6 mois'), ('code ', 'Entrée'))
    """
    m = _WORD_BEFORE.search(before)
    if not m or not value:
        return before, value
    word, space = m.group(1), m.group(2)
    lower = word.lower()
    head = before[:m.start(1)]

    article = re.match(r"(?i)(les?)[ \u00a0]+(?=\S)", value)
    if article and (lower, article.group(1).lower()) in _CONTRACTED:
        joined = _CONTRACTED[(lower, article.group(1).lower())]
        if word[0].isupper():
            joined = joined.capitalize()
        return head + joined + space, value[article.end():]

    if lower in _ELIDING and _starts_with_vowel_sound(value):
        return head + word[:-1] + APOSTROPHE, value
    return before, value


_NUMBER_TEXT = {
    "fr": re.compile(r"[-−+]?(\d{1,3}(?:[\u202f\u00a0 ]\d{3})+|\d+)(?:,(\d+))?"),
    "en": re.compile(r"[-−+]?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"),
}


def plural_is_one(lang: str, value) -> bool:
    """Whether a count or a written number takes the singular (CLDR rules).

    Parameters
    ----------
    lang : {"fr", "en"}
    value : int, float or str
        A number, or a number written the local way (``1 234,5``).

    Returns
    -------
    bool
        French: the integer part is 0 or 1 (``0 candidat``, ``1,96
        erreur-type``). English: exactly 1 with no decimals shown (``1
        candidate``; ``1.0 points``, ``0 candidates``). A text that is not a
        single number takes the plural.

    Examples
    --------
    >>> plural_is_one("fr", 0), plural_is_one("fr", "1,96"), plural_is_one("fr", "2")
    (True, True, False)
    >>> plural_is_one("en", 1), plural_is_one("en", "1.00"), plural_is_one("en", 0)
    (True, False, False)
    >>> plural_is_one("fr", "147 à 149")
    False
    """
    if isinstance(value, bool):
        raise TypeError(f"a count cannot be a boolean: {value!r}")
    if isinstance(value, numbers.Integral):
        whole, decimals = abs(int(value)), 0
    elif isinstance(value, numbers.Real):
        if not math.isfinite(value):
            return False
        whole, decimals = int(abs(value)), 0 if float(value).is_integer() else 1
    else:
        m = _NUMBER_TEXT[lang].fullmatch(str(value).strip())
        if not m:
            return False
        whole = int(re.sub(r"\D", "", m.group(1)))
        decimals = len(m.group(2) or "")
    if lang == "fr":
        return whole in (0, 1)
    return whole == 1 and decimals == 0


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@lru_cache(maxsize=None)
def load_locale(lang: str) -> dict[str, str]:
    """All strings of one language, keyed ``section.name``."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {lang!r}")
    merged: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.yml")):
        with open(path, encoding="utf-8") as fh:
            strings = _flatten(yaml.safe_load(fh) or {})
        twice = sorted(set(strings) & set(merged))
        if twice:
            raise ValueError(f"{path}: key {twice[0]!r} is defined in another file too")
        merged.update(strings)
    return merged


@lru_cache(maxsize=None)
def _parsed(template: str) -> tuple:
    return tuple(string.Formatter().parse(template))


class Translator:
    """Look up report strings in one language.

    Examples
    --------
    >>> Translator("en").t("common.candidates", n=3)
    '3 candidates'
    >>> Translator("fr").t("common.candidates", n=1)
    '1 candidat'
    >>> Translator("fr").t("items.pair_title", from_label="Entrée", to_label="Sortie", n=149)
    "D'Entrée à Sortie (149 candidats présents aux deux questionnaires)"
    """

    _formatter = string.Formatter()

    def __init__(self, lang: str = "fr"):
        self.lang = lang
        self.strings = load_locale(lang)

    def t(self, key: str, /, **fields) -> str:
        """The string ``key`` with its ``{fields}`` filled in (plain text)."""
        return self._fill(self.strings[key], fields, escape=False)

    def html(self, key: str, /, **fields) -> str:
        """Like :meth:`t`, with the filled-in values HTML-escaped."""
        return self._fill(self.strings[key], fields, escape=True)

    def _value(self, name: str, value, spec: str) -> str:
        if "|" in spec:
            one, _, other = spec.partition("|")
            return one if plural_is_one(self.lang, value) else other
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) and not spec:
            return self.number(int(value))
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and not spec:
            raise TypeError(f"field {name!r}: write the number {value!r} with Translator.number, "
                            "percent or p before passing it")
        return format(value, spec)

    def _fill(self, template: str, fields: dict, escape: bool) -> str:
        out = ""
        for literal, name, spec, conversion in _parsed(template):
            out += literal
            if name is None:
                continue
            value, _ = self._formatter.get_field(name, (), fields)
            value = self._formatter.convert_field(value, conversion)
            text = self._value(name, value, spec or "")
            if self.lang == "fr":
                out, text = french_elide(out, text)
            out += html.escape(text) if escape else text
        return out

    def period(self, since: str | None = None, until: str | None = None) -> str:
        """The report's period in words."""
        if since and until:
            return self.t("common.period", since=since, until=until)
        if since:
            return self.t("common.period_since", since=since)
        if until:
            return self.t("common.period_until", until=until)
        return self.t("common.period_all")

    def date(self, value, style: str = "day") -> str:
        """A date in words (month names from ``locales/<lang>/dates.yml``).

        Parameters
        ----------
        value : date-like
            A date, or its ISO text (``2024-03-01``).
        style : {"day", "month", "month_short"}
            ``day``: ``1er mars 2024``, ``15 mars 2024`` (English ``March 1,
            2024``); ``month``: ``mars 2024`` (``March 2024``);
            ``month_short``: ``janv. 2024`` (``Jan 2024``).

        Returns
        -------
        str
            ``–`` for a missing date.

        Examples
        --------
        >>> Translator("fr").date("2024-03-01"), Translator("fr").date("2027-02-22", "month")
        ('1er mars 2024', 'février 2027')
        >>> Translator("en").date("2024-03-01"), Translator("en").date("2024-01-31", "month_short")
        ('March 1, 2024', 'Jan 2024')
        """
        import pandas as pd

        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return "–"
        when = pd.Timestamp(value)
        short = style == "month_short"
        month = self.strings["dates.months_short" if short else "dates.months"].split()[
            when.month - 1]
        if style in ("month", "month_short"):
            return self.t("dates.month", month=month, year=str(when.year))
        if style != "day":
            raise ValueError(f"style must be day, month or month_short, not {style!r}")
        if when.day == 1:
            return self.t("dates.first_day", month=month, year=str(when.year))
        return self.t("dates.day", day=str(when.day), month=month, year=str(when.year))

    def month_range(self, start, end, short: bool = False) -> str:
        """The months from ``start`` to ``end`` in words: a cohort of entrants.

        ``mars 2024`` (one month), ``janv.–mars 2024`` (same year, short
        month names), ``2024`` (a whole year), ``nov. 2024–févr. 2025``.

        Examples
        --------
        >>> tr = Translator("fr")
        >>> tr.month_range("2024-01-01", "2024-03-31", short=True)
        'janv.–mars 2024'
        >>> tr.month_range("2024-03-01", "2024-03-31"), tr.month_range("2024-01-01", "2024-12-31")
        ('mars 2024', '2024')
        >>> Translator("en").month_range("2024-11-01", "2025-02-28", short=True)
        'Nov 2024–Feb 2025'
        """
        import pandas as pd

        a, b = pd.Timestamp(start), pd.Timestamp(end)
        style = "month_short" if short else "month"
        if (a.year, a.month) == (b.year, b.month):
            return self.date(a, style)
        if a.year == b.year and (a.month, b.month) == (1, 12):
            return str(a.year)
        if a.year == b.year:
            names = self.strings["dates.months_short" if short else "dates.months"].split()
            return self.t("dates.month_range", start=names[a.month - 1],
                          end=names[b.month - 1], year=str(a.year))
        return self.t("dates.month_range_years", start=self.date(a, style),
                      end=self.date(b, style))

    def number(self, value: float, digits: int = 0) -> str:
        """A number written the local way (``1 234,5`` in French).

        The French thousands separator is the narrow no-break space
        (U+202F), the decimal mark the comma; English uses ``,`` and ``.``.
        """
        text = f"{value:,.{digits}f}"
        if self.lang == "fr":
            text = text.replace(",", _NNBSP).replace(".", ",")
        return text

    def percent(self, share: float, digits: int = 0) -> str:
        """A share (0-1) as a percentage (``48 %`` with a no-break space in French)."""
        return self.number(100 * share, digits) + (_NBSP + "%" if self.lang == "fr" else "%")

    def p_value(self, p: float) -> str:
        """A p-value for a table cell: ``0,049``, ``< 0,001``, ``–`` when unknown.

        Three decimals; below :data:`P_FLOOR` (0.001) the bound, never
        ``0,000``. The space after ``<`` is a no-break space.

        Examples
        --------
        >>> tr = Translator("fr")
        >>> tr.p_value(0.0004), tr.p_value(0.001), tr.p_value(0.04951)
        ('<\\xa00,001', '0,001', '0,050')
        >>> Translator("en").p_value(0.00099), Translator("en").p_value(float("nan"))
        ('<\\xa00.001', '–')
        """
        if p is None or not isinstance(p, numbers.Real) or not math.isfinite(p):
            return "–"
        if p < P_FLOOR:
            return "<" + _NBSP + self.number(P_FLOOR, _P_DIGITS)
        return self.number(p, _P_DIGITS)

    def p(self, p: float) -> str:
        """A p-value in a sentence: ``p = 0,049`` or ``p < 0,001`` (no-break spaces).

        Examples
        --------
        >>> Translator("fr").p(0.0004).replace("\\xa0", " ")
        'p < 0,001'
        >>> Translator("en").p(0.5).replace("\\xa0", " ")
        'p = 0.500'
        """
        text = self.p_value(p)
        if text == "–":
            return "p" + _NBSP + "=" + _NBSP + text
        return "p" + _NBSP + (text if text.startswith("<") else "=" + _NBSP + text)
