"""The message catalogues' build (`swm i18n`): extract every text a user can read, add the new ones to each
locale's messages.po, compile messages.mo; `check` says what is missing or stale (a test runs it).

What is extracted: the arguments of the calls that carry a user's text (N_, the domain's errors, http_error,
marshmallow's ValidationError, the console's t), the console's templates, and the texts the libraries answer
with — marshmallow's and webargs' validation messages, flask-jwt-extended's reasons — read from the libraries
themselves, so a new version's new message shows up as missing rather than as English in a Chinese answer."""

from __future__ import annotations

import inspect
import io
from collections.abc import Iterator
from pathlib import Path

import marshmallow
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from marshmallow import fields, validate
from werkzeug import exceptions

from core.i18n import DOMAIN, TRANSLATIONS, babel_locale
from core.languages import LANGUAGES
from status_tracker.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("app", "core", "desk", "port_charges", "notifications", "status_tracker")
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
# Function name → which argument is the text (1-based), as Babel's extractor takes them.
KEYWORDS = {
    "N_": None, "t": None, "translate": None,
    "Invalid": (2,), "NotFound": None, "Conflict": None, "DomainError": None, "InvalidIdentifier": None,
    "ValidationError": None, "http_error": (2,),
}
# What flask-jwt-extended puts in "log in first: {reason}" / "invalid token: {reason}" (its source has them
# as f-strings and literals deep in its decoding, so they are listed here).
JWT_REASONS = (
    "Missing Authorization Header",
    "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'",
    "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
    "Signature verification failed",
    "Not enough segments",
    "Invalid header padding",
    "Invalid payload padding",
    "Invalid crypto padding",
    "Only non-refresh tokens are allowed",
    "Only refresh tokens are allowed",
    "Missing claim: csrf",
    "Token has expired",
)


def library_messages() -> Iterator[str]:
    """marshmallow's messages: every field's and the schema's error messages and every validator's."""
    yield from marshmallow.Schema._default_error_messages.values()
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        if issubclass(cls, fields.Field):
            yield from getattr(cls, "default_error_messages", {}).values()
    # Range writes its message in two steps ("Must be {min_op} {{min}}." then the bounds): the first done here.
    gte, gt, lte, lt = (validate.Range.message_gte, validate.Range.message_gt, validate.Range.message_lte,
                        validate.Range.message_lt)
    for min_op in (gte, gt):
        yield validate.Range.message_min.format(min_op=min_op)
        for max_op in (lte, lt):
            yield validate.Range.message_all.format(min_op=min_op, max_op=max_op)
    for max_op in (lte, lt):
        yield validate.Range.message_max.format(max_op=max_op)
    for _name, cls in inspect.getmembers(validate, inspect.isclass):
        if issubclass(cls, validate.Validator) and cls is not validate.Range:
            for attr, value in vars(cls).items():
                if isinstance(value, str) and (attr == "default_message" or attr.startswith("message_")):
                    yield value
    yield from JWT_REASONS
    # Werkzeug's own answers (an unknown URL, a wrong method …) carry its description as the message.
    for error in (exceptions.BadRequest, exceptions.Unauthorized, exceptions.Forbidden, exceptions.NotFound,
                  exceptions.MethodNotAllowed, exceptions.RequestEntityTooLarge, exceptions.UnsupportedMediaType):
        yield error.description


def kind_names() -> dict[str, str]:
    """The kinds' English names as a rejected reference names them, with their Chinese from the kinds table."""
    names = {}
    for kind in KINDS.values():
        names[kind.name_en.lower()] = kind.name_zh
        names[kind.reference_name_en] = kind.reference_name_zh
    # localize() translates only values of more than one word ("transit" could as well be a field's name).
    return {english: chinese for english, chinese in names.items() if " " in english}


def extracted() -> dict[str, list[tuple[str, int]]]:
    """Every text to translate, with where it is used."""
    found: dict[str, list[tuple[str, int]]] = {}
    for source in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / source, METHODS, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True,
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append((f"{source}/{filename}", lineno))
    for message in [*library_messages(), *kind_names()]:
        found.setdefault(message, [])
    return found


def po_path(lang: str) -> Path:
    return TRANSLATIONS / babel_locale(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(lang: str) -> Catalog:
    with po_path(lang).open("rb") as file:
        return read_po(file, locale=babel_locale(lang), domain=DOMAIN)


def compiled(catalogue: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalogue)
    return out.getvalue()


def update() -> list[str]:
    """Add the new texts to every locale's .po (kept entries stay, with their translations) and compile each
    .mo; returns the texts each locale still lacks a translation for."""
    texts = extracted()
    missing = []
    for lang in LANGUAGES:
        catalogue = read_catalogue(lang)
        known = kind_names() if lang == "zh-CN" else {}
        for text, locations in texts.items():
            if text not in catalogue:
                catalogue.add(text, known.get(text, ""), locations=locations)
            else:
                catalogue[text].locations = locations
        buffer = io.BytesIO()
        write_po(buffer, catalogue, width=120, sort_output=False, omit_header=False)
        po_path(lang).write_bytes(buffer.getvalue())
        po_path(lang).with_suffix(".mo").write_bytes(compiled(catalogue))
        missing += [f"{lang}: {text}" for text in texts if needs_translation(lang, text, catalogue)]
    return missing


def needs_translation(lang: str, text: str, catalogue: Catalog) -> bool:
    """English texts are their own English; a symbolic id (the console's "app_title") needs one in every
    language, and every text needs one in any other language."""
    message = catalogue.get(text)
    translated = bool(message is not None and message.string)
    symbolic = text.isidentifier() and text.islower()
    return not translated and (lang != "en" or symbolic)


def check() -> list[str]:
    """What is wrong with the committed catalogues: a text without a translation, a .mo that is not its .po
    compiled."""
    texts = extracted()
    problems = []
    for lang in LANGUAGES:
        catalogue = read_catalogue(lang)
        problems += [f"{lang}: no translation of {text!r}" for text in texts
                     if needs_translation(lang, text, catalogue)]
        mo = po_path(lang).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(catalogue):
            problems.append(f"{lang}: {mo.relative_to(ROOT)} is not {po_path(lang).name} compiled")
    return problems
