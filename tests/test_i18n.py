"""Both languages say everything; fields and escaping behave."""

from __future__ import annotations

import re

from impactlib.report.i18n import Translator, load_locale


def test_french_and_english_have_the_same_keys_and_fields():
    fr, en = load_locale("fr"), load_locale("en")
    assert set(fr) == set(en)
    for key in fr:
        fields = lambda s: sorted(set(re.findall(r"\{(\w+)", s)))
        assert fields(fr[key]) == fields(en[key]), key


def test_values_are_escaped_in_html():
    tr = Translator("fr")
    assert "&lt;script&gt;" in tr.html("index.intro", title="<script>x</script>", period="p")


def test_numbers_are_written_the_local_way():
    assert Translator("fr").number(1234.5, 1) == "1\u202f234,5"
    assert Translator("en").number(1234.5, 1) == "1,234.5"
    assert Translator("fr").percent(0.482) == "48\u00a0%"
    assert Translator("en").percent(0.482) == "48%"
