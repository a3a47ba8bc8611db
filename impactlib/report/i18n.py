"""Every word the board reads, from one place per language.

``impactlib/report/locales/fr/`` (the default) and ``locales/en/`` hold the headings,
labels and sentences of the reports, in YAML files (one per part of the
report: ``report.yml``, ``figures.yml``...) with the same keys in both
languages. Keys are ``<file>.<section>.<name>`` without the file: the files of
one language are merged and a key may be defined only once. ``{name}`` fields are
filled with :meth:`Translator.t`; values passed in are HTML-escaped when the
text is rendered as HTML.
"""

from __future__ import annotations

import html
from functools import lru_cache

import yaml

from impactlib.config import LOCALES_DIR

__all__ = ["Translator", "LANGUAGES", "load_locale"]

LANGUAGES = ("fr", "en")
LOCALES = LOCALES_DIR


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


class Translator:
    """Look up report strings in one language.

    Examples
    --------
    >>> Translator("en").t("common.candidates", n=3)
    '3 candidates'
    """

    def __init__(self, lang: str = "fr"):
        self.lang = lang
        self.strings = load_locale(lang)

    def t(self, key: str, /, **fields) -> str:
        """The string ``key`` with its ``{fields}`` filled in (plain text)."""
        return self.strings[key].format(**fields)

    def html(self, key: str, /, **fields) -> str:
        """Like :meth:`t`, with the filled-in values HTML-escaped."""
        safe = {k: html.escape(str(v)) for k, v in fields.items()}
        return self.strings[key].format(**safe)

    def period(self, since: str | None = None, until: str | None = None) -> str:
        """The report's period in words."""
        if since and until:
            return self.t("common.period", since=since, until=until)
        if since:
            return self.t("common.period_since", since=since)
        if until:
            return self.t("common.period_until", until=until)
        return self.t("common.period_all")

    def number(self, value: float, digits: int = 0) -> str:
        """A number written the local way (``1 234,5`` in French)."""
        text = f"{value:,.{digits}f}"
        if self.lang == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def percent(self, share: float, digits: int = 0) -> str:
        """A share (0-1) as a percentage."""
        return self.number(100 * share, digits) + ("\u00a0%" if self.lang == "fr" else "%")
