"""Every text a user reads, in each of LANGUAGES, from gettext message catalogues (Babel): English texts are the
message ids, core/translations/<locale>/LC_MESSAGES/messages.po holds their translations (and, for the console,
the text of each symbolic id) and the committed messages.mo is what is read. `swm i18n` extracts, updates and
compiles them; docs/i18n.md says how.

Texts are written in English where they arise (the domain raises Invalid("body", "must not be empty"), marshmallow
says "Length must be between 1 and 20."), and translated where they are shown: `localize` finds the catalogue
entry a finished text was made from, its placeholders included, so neither the domain nor the libraries need to
know the reader's language."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from core.languages import DEFAULT_LANGUAGE, LANGUAGES

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def N_(text: str) -> str:  # noqa: N802 -- the name gettext's tools look for
    """Marks `text` for the catalogue; it is translated where it is shown (`localize`)."""
    return text


def babel_locale(lang: str) -> str:
    """"zh-CN" (a language tag, as in Accept-Language and a user's locale) is "zh_CN" in the catalogue."""
    return lang.replace("-", "_")


@cache
def catalogue(lang: str) -> NullTranslations:
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    return Translations.load(str(TRANSLATIONS), [babel_locale(lang)], DOMAIN)


@cache
def _templates(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The catalogue's texts with placeholders, as patterns that match a finished text made from them; the
    ones with the most literal text first, so "no such company" wins over "no such {what}"."""
    translations = catalogue(lang)
    found = []
    for msgid in getattr(translations, "_catalog", {}):
        if not isinstance(msgid, str) or not _PLACEHOLDER.search(msgid):
            continue
        parts, names, last = [], set(), 0
        for match in _PLACEHOLDER.finditer(msgid):
            parts.append(re.escape(msgid[last:match.start()]))
            name = match.group(1)
            parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
            names.add(name)
            last = match.end()
        parts.append(re.escape(msgid[last:]))
        literal = len(_PLACEHOLDER.sub("", msgid))
        found.append((literal, re.compile("".join(parts), re.DOTALL), msgid))
    found.sort(key=lambda entry: -entry[0])
    return tuple((pattern, msgid) for _literal, pattern, msgid in found)


def translate(msgid: str, lang: str, **params: object) -> str:
    """The catalogue's text for `msgid` in `lang` (the id itself when it has none), `params` filled in."""
    text = catalogue(lang).gettext(msgid)
    return text.format(**params) if params else text


def localize(text: str, lang: str) -> str:
    """`text`, a finished English text, in `lang`: its own entry, or the entry with placeholders it was made
    from, filled with the same values; unchanged when the catalogue has neither."""
    translations = catalogue(lang)
    translated = translations.gettext(text)
    if translated != text:
        return translated
    for pattern, msgid in _templates(lang):
        match = pattern.fullmatch(text)
        if match:
            target = translations.gettext(msgid)
            if target == msgid:
                return text
            # A value may itself be a catalogue text ("log in first: {reason}" with a library's reason); a
            # single word (a field's or a role's name) stays as sent.
            return target.format(**{name: localize(value, lang) if " " in value else value
                                    for name, value in match.groupdict().items()})
    return text


def localize_tree(value: object, lang: str) -> object:
    """Every text in an error tree ({"json": {"field": ["reason", …]}}) localized; keys kept as sent."""
    if isinstance(value, str):
        return localize(value, lang)
    if isinstance(value, dict):
        return {key: localize_tree(item, lang) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [localize_tree(item, lang) for item in value]
    return value
