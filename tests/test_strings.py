"""The pages' string tables (`static/i18n/{nb,en}.json`), checked as data, without a browser.

`t()` in `static/js/i18n.js` fills `{name}` placeholders from its parameters; a value that is an
object holds a count's forms, `{"one": …, "other": …}`, picked by the parameter `n`. Pages name
keys in HTML (`data-i18n="key"`, `data-i18n-attr="attr:key;attr:key"`) and in scripts, as
`t("key")` or as a template such as ``t(`conn_${state}`)``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "static"
LANGUAGES = ("nb", "en")
PLURAL_FORMS = {"one", "other"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
DATA_I18N = re.compile(r"""\bdata-i18n=["']([^"']+)["']""")
DATA_I18N_ATTR = re.compile(r"""\bdata-i18n-attr=["']([^"']+)["']""")
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([^"']+)["']""")
TEMPLATE_KEY = re.compile(r"""\bt\(\s*`([^`]+)`""")
TEMPLATE_PART = re.compile(r"\$\{[^}]*\}")

Value = str | dict[str, str]
Tables = dict[str, dict[str, Value]]


def table(language: str) -> dict[str, Value]:
    """One language's table as stored."""
    strings: dict[str, Value] = json.loads(
        (STATIC / "i18n" / f"{language}.json").read_text(encoding="utf-8")
    )
    return strings


def forms(value: Value) -> dict[str, str]:
    """A value's texts by form: a plain text is the one form ""."""
    return value if isinstance(value, dict) else {"": value}


def html_keys() -> dict[str, set[str]]:
    """Key → the HTML files that name it."""
    used: dict[str, set[str]] = {}
    for path in STATIC.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        keys = DATA_I18N.findall(text)
        for pairs in DATA_I18N_ATTR.findall(text):
            keys += [pair.split(":", 1)[1].strip() for pair in pairs.split(";")]
        for key in keys:
            used.setdefault(key, set()).add(path.name)
    return used


def script_sources() -> dict[str, str]:
    """Every page script's text by file name."""
    return {path.name: path.read_text(encoding="utf-8") for path in (STATIC / "js").glob("*.js")}


def literal_keys() -> dict[str, set[str]]:
    """Key → the scripts that call `t("key")` with it."""
    used: dict[str, set[str]] = {}
    for name, text in script_sources().items():
        for key in LITERAL_KEY.findall(text):
            used.setdefault(key, set()).add(name)
    return used


def template_patterns() -> list[re.Pattern[str]]:
    """One pattern per ``t(`…${…}…`)`` in the scripts: `${…}` stands for any key part."""
    patterns = []
    for text in script_sources().values():
        for template in TEMPLATE_KEY.findall(text):
            fixed = [re.escape(part) for part in TEMPLATE_PART.split(template)]
            patterns.append(re.compile(r"\w+".join(fixed)))
    return patterns


@pytest.fixture(scope="module")
def tables() -> Tables:
    return {language: table(language) for language in LANGUAGES}


def test_both_languages_have_the_same_keys(tables: Tables) -> None:
    """Bokmål and English hold exactly the same keys (none missing in one of them)."""
    nb, en = set(tables["nb"]), set(tables["en"])
    assert sorted(nb - en) == [], "only in nb.json"
    assert sorted(en - nb) == [], "only in en.json"


def test_every_text_is_a_non_empty_string_or_a_count_form_pair(tables: Tables) -> None:
    """Every value is a non-empty text, or exactly the forms "one" and "other", both non-empty
    texts; a key has the same shape in both languages."""
    for language, strings in tables.items():
        for key, value in strings.items():
            if isinstance(value, dict):
                assert set(value) == PLURAL_FORMS, (language, key)
            for form, text in forms(value).items():
                assert isinstance(text, str) and text.strip(), (language, key, form)
    for key in tables["en"].keys() & tables["nb"].keys():
        assert forms(tables["nb"][key]).keys() == forms(tables["en"][key]).keys(), key


def test_both_languages_fill_the_same_placeholders(tables: Tables) -> None:
    """Per key and form, the `{name}` placeholders are the same in bokmål and English."""
    for key in tables["en"].keys() & tables["nb"].keys():
        nb, en = forms(tables["nb"][key]), forms(tables["en"][key])
        for form in nb.keys() & en.keys():
            assert set(PLACEHOLDER.findall(nb[form])) == set(PLACEHOLDER.findall(en[form])), (
                key,
                form,
            )


def test_every_key_the_html_names_exists(tables: Tables) -> None:
    """Every `data-i18n` and `data-i18n-attr` key in static/**/*.html is in the tables."""
    used = html_keys()
    assert used, "no data-i18n found: the pattern is out of date"
    missing = {key: sorted(files) for key, files in used.items() if key not in tables["en"]}
    assert missing == {}


def test_every_literal_key_the_scripts_use_exists(tables: Tables) -> None:
    """Every `t("key")` in static/js/*.js names a key of the tables."""
    used = literal_keys()
    assert len(used) > 100, "few t() calls found: the pattern is out of date"
    missing = {key: sorted(files) for key, files in used.items() if key not in tables["en"]}
    assert missing == {}


def test_every_key_is_used(tables: Tables) -> None:
    """Every key of the tables is named by an HTML file, a `t("key")`, or a ``t(`…${…}`)``
    template it matches (such as `conn_${state}`): none is left over."""
    named = html_keys().keys() | literal_keys().keys()
    patterns = template_patterns()
    assert patterns, "no template keys found: the pattern is out of date"
    unused = [
        key
        for key in tables["en"]
        if key not in named and not any(p.fullmatch(key) for p in patterns)
    ]
    assert unused == []


def test_every_page_with_scripts_preloads_both_tables() -> None:
    """Each page that runs a module asks for both tables while its modules load (a
    `rel=preload as=fetch crossorigin` link), so i18n.js's wait for them adds no round trip."""
    for path in STATIC.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        if 'type="module"' not in text:
            continue
        for language in LANGUAGES:
            link = (
                f'<link rel="preload" href="/static/i18n/{language}.json" as="fetch" crossorigin>'
            )
            assert link in text, (path.name, language)
