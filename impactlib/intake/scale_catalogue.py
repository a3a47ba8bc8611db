"""Common answer scales in French, Dutch and English, to order answer labels.

:data:`CATALOGUE` lists answer scales as positions from lowest to highest,
each position a tuple of equivalent wordings (the first is the one written
when the export never shows that position). :func:`match_scale` finds the
smallest scale of the catalogue that holds every label observed; labels that
mean a missing answer (:data:`MISSING_LABELS`) are set apart first.

Used by :mod:`impactlib.intake.draft` (``impactlib init``) to draft the
codebook's scales: a label set that no catalogue scale holds is left in the
order first seen, and flagged.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd

from impactlib.intake.readers import normalize_key

__all__ = ["CatalogueScale", "CATALOGUE", "MISSING_LABELS", "ScaleMatch", "match_scale",
           "is_missing_label", "fold", "language_words"]


@dataclass(frozen=True)
class CatalogueScale:
    """One answer scale: a name, a language and its positions, lowest first."""

    name: str
    language: str
    positions: tuple[tuple[str, ...], ...]


def _s(name, language, *positions):
    return CatalogueScale(name, language, tuple(p if isinstance(p, tuple) else (p,)
                                                for p in positions))


CATALOGUE: tuple[CatalogueScale, ...] = (
    # Agreement, French
    _s("accord4", "fr", "Pas du tout d'accord", ("Plutôt pas d'accord", "Pas d'accord"),
       ("Plutôt d'accord", "D'accord"), "Tout à fait d'accord"),
    _s("accord5", "fr", "Pas du tout d'accord", ("Pas d'accord", "Plutôt pas d'accord"),
       ("Ni d'accord ni pas d'accord", "Ni d'accord, ni pas d'accord", "Neutre",
        "Ni en accord ni en désaccord", "Mitigé"),
       ("D'accord", "Plutôt d'accord"), "Tout à fait d'accord"),
    _s("accord6", "fr", "Pas du tout d'accord", "Pas d'accord", "Plutôt pas d'accord",
       "Plutôt d'accord", "D'accord", "Tout à fait d'accord"),
    _s("accord7", "fr", "Pas du tout d'accord", "Pas d'accord", "Plutôt pas d'accord",
       ("Ni d'accord ni pas d'accord", "Neutre", "Ni en accord ni en désaccord"),
       "Plutôt d'accord", "D'accord", "Tout à fait d'accord"),
    # Agreement, English
    _s("agree4", "en", "Strongly disagree", ("Disagree", "Somewhat disagree"),
       ("Agree", "Somewhat agree"), "Strongly agree"),
    _s("agree5", "en", "Strongly disagree", ("Disagree", "Somewhat disagree"),
       ("Neither agree nor disagree", "Neutral"), ("Agree", "Somewhat agree"),
       "Strongly agree"),
    _s("agree6", "en", "Strongly disagree", "Disagree", "Somewhat disagree",
       "Somewhat agree", "Agree", "Strongly agree"),
    _s("agree7", "en", "Strongly disagree", "Disagree", "Somewhat disagree",
       ("Neither agree nor disagree", "Neutral"), "Somewhat agree", "Agree",
       "Strongly agree"),
    # Agreement, Dutch
    _s("akkoord4", "nl", ("Helemaal niet akkoord", "Helemaal oneens"),
       ("Niet akkoord", "Oneens"), ("Akkoord", "Eens"), ("Helemaal akkoord", "Helemaal eens")),
    _s("akkoord5", "nl", ("Helemaal niet akkoord", "Helemaal oneens"),
       ("Niet akkoord", "Oneens"), ("Neutraal", "Noch akkoord noch niet akkoord",
                                    "Niet eens, niet oneens", "Noch eens noch oneens"),
       ("Akkoord", "Eens"), ("Helemaal akkoord", "Helemaal eens")),
    # Frequency
    _s("frequence4", "fr", "Jamais", ("Parfois", "De temps en temps"), "Souvent", "Toujours"),
    _s("frequence5", "fr", "Jamais", "Rarement", ("Parfois", "De temps en temps"),
       "Souvent", ("Toujours", "Très souvent")),
    _s("frequency5", "en", "Never", "Rarely", "Sometimes", "Often", ("Always", "Very often")),
    _s("frequentie5", "nl", "Nooit", "Zelden", "Soms", "Vaak", ("Altijd", "Zeer vaak")),
    # Intensity
    _s("intensite4", "fr", "Pas du tout", "Un peu", "Beaucoup", "Extrêmement"),
    _s("intensite5", "fr", "Pas du tout", "Un peu", ("Modérément", "Moyennement"),
       "Beaucoup", ("Extrêmement", "Énormément")),
    _s("intensity5", "en", "Not at all", ("A little bit", "A little"), ("Moderately", "Somewhat"),
       ("Quite a bit", "A lot", "Very much"), "Extremely"),
    _s("intensiteit5", "nl", "Helemaal niet", "Een beetje", ("Matig", "Enigszins"),
       ("Veel", "Behoorlijk"), ("Extreem", "Heel erg")),
    # Satisfaction
    _s("satisfaction4", "fr", ("Pas du tout satisfait", "Très insatisfait"),
       ("Peu satisfait", "Insatisfait", "Plutôt insatisfait"),
       ("Satisfait", "Plutôt satisfait"), ("Très satisfait", "Tout à fait satisfait")),
    _s("satisfaction5", "fr", ("Très insatisfait", "Pas du tout satisfait"),
       ("Insatisfait", "Peu satisfait"), ("Neutre", "Ni satisfait ni insatisfait"),
       "Satisfait", ("Très satisfait", "Tout à fait satisfait")),
    _s("satisfaction5_en", "en", "Very dissatisfied", "Dissatisfied",
       ("Neutral", "Neither satisfied nor dissatisfied"), "Satisfied", "Very satisfied"),
    _s("tevredenheid5", "nl", "Zeer ontevreden", "Ontevreden", "Neutraal", "Tevreden",
       "Zeer tevreden"),
    # Yes / no (direction to check)
    _s("oui_non", "fr", "Non", "Oui"),
    _s("yes_no", "en", "No", "Yes"),
    _s("ja_nee", "nl", "Nee", "Ja"),
)

MISSING_LABELS: tuple[str, ...] = (
    "Ne sait pas", "Je ne sais pas", "NSP", "Sans avis", "Sans opinion",
    "Je ne souhaite pas répondre", "Ne souhaite pas répondre", "Pas de réponse",
    "Non concerné", "Non concernée", "Non applicable", "Pas d'application",
    "N/A", "NA", "Weet niet", "Weet ik niet", "Geen mening", "Geen antwoord",
    "Niet van toepassing", "Don't know", "Do not know", "Prefer not to say",
    "Prefer not to answer", "Not applicable", "No opinion", "No answer")


def fold(labels) -> list[str]:
    """Labels folded as the codebook matches them (:func:`normalize_key`)."""
    return list(normalize_key(pd.Series(list(labels), dtype=object)))


_MISSING = set(fold(MISSING_LABELS))
_FOLDED = [(s, [set(fold(p)) for p in s.positions]) for s in CATALOGUE]


@functools.lru_cache(maxsize=4096)
def is_missing_label(label: str) -> bool:
    """True for a label that means a missing answer ("Ne sait pas", "NSP", "N/A"...)."""
    return fold([label])[0] in _MISSING


def language_words() -> dict[str, set[str]]:
    """The folded labels of the catalogue, by language (``fr``, ``en``, ``nl``)."""
    words: dict[str, set[str]] = {}
    for scale, positions in _FOLDED:
        for p in positions:
            words.setdefault(scale.language, set()).update(p)
    return words


@dataclass(frozen=True)
class ScaleMatch:
    """The catalogue scale holding a label set, and how sure the match is.

    ``labels`` are the scale's labels lowest first (the observed wording where
    observed); ``ambiguous`` names other scales of the same size that hold the
    set too; ``unseen`` counts positions never observed; ``larger`` names
    scales one position longer that hold the set too (a 4-label set may be a
    5-point scale whose middle nobody chose).
    """

    scale: CatalogueScale
    labels: tuple[str, ...]
    ambiguous: tuple[str, ...]
    unseen: int
    larger: tuple[str, ...] = ()


def match_scale(labels) -> ScaleMatch | None:
    """The smallest catalogue scale holding every label of ``labels``.

    Parameters
    ----------
    labels : iterable of str
        Observed answer labels (missing-value labels already set apart).

    Returns
    -------
    ScaleMatch or None
        None when no scale holds them all (or when two labels fall on the
        same position of every scale that holds them).

    Examples
    --------
    >>> m = match_scale(["D'ACCORD", "pas du tout d’accord", "Tout à fait d'accord"])
    >>> m.scale.name, m.unseen
    ('accord4', 1)
    """
    observed = list(dict.fromkeys(labels))
    keys = fold(observed)
    found = []
    for scale, positions in _FOLDED:
        where, style = [], []
        for k in keys:
            hit = [i for i, p in enumerate(positions) if k in p]
            if not hit:
                break
            where.append(hit[0])
            style.append(_synonym_index(scale.positions[hit[0]], k))
        else:
            if len(set(where)) == len(where):
                found.append((scale, dict(zip(where, observed)),
                              max(set(style), key=style.count) if style else 0))
    if not found:
        return None
    best = min(len(s.positions) for s, _, _ in found)
    same = [(s, w, k) for s, w, k in found if len(s.positions) == best]
    scale, where, style = same[0]
    # A position never observed is written in the wording style most observed
    # ("Helemaal eens" beside "Oneens", not "Helemaal niet akkoord").
    words = tuple(where.get(i, p[min(style, len(p) - 1)])
                  for i, p in enumerate(scale.positions))
    larger = tuple(s.name for s, _, _ in found if len(s.positions) == best + 1)
    return ScaleMatch(scale, words, tuple(s.name for s, _, _ in same[1:]),
                      len(scale.positions) - len(where), larger)


def _synonym_index(position: tuple[str, ...], key: str) -> int:
    """Which wording of a catalogue position a folded label is (0 = the first)."""
    return fold(position).index(key)
