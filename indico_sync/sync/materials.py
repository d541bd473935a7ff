"""An event's or a contribution's materials and minutes, from Indico's JSON (pure functions).

Materials come from `folders[]` only, never the deprecated `material[]` (the same
attachments again): folders in the order Indico sends them (the default folder first),
attachments in Indico's order within each. What is not public is dropped here, unless
the group publishes protected meetings in full (`keep_protected`): an attachment or a
folder flagged `is_protected` (Indico lists to a token holder everything the token may
read, flagged, not filtered), and every link that is not http(s) (`javascript:`).
Minutes are the `note`: its HTML goes through the descriptions' sanitiser.

Indico's data is untrusted: an item without a title or an http(s) URL, or of an odd
shape, is skipped with a debug line (`-v`), never an error.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from indico_sync.meetings import Material, MaterialKind, Minutes
from indico_sync.untrusted import clean_html, clean_text, is_web_url, quote

log = logging.getLogger(__name__)

MAX_MINUTES = 1_000_000
"""Minutes longer than this (characters of HTML) are cut, then sanitised: a page is no
place for megabytes of notes, and the note's Indico link stays."""

_SLIDE_TYPES = re.compile(
    r"application/(pdf|x-pdf|vnd\.ms-powerpoint|vnd\.openxmlformats-officedocument\.presentationml"
    r"|vnd\.oasis\.opendocument\.presentation|vnd\.apple\.keynote|x-iwork-keynote)"
)
_SLIDE_FILES = re.compile(r"\.(pdf|pptx?|ppsx?|key|odp)$", re.IGNORECASE)
_RECORDING_LINKS = re.compile(
    r"^https?://([^/?#]*\.)?(zoom\.us/rec/|youtube\.com/|youtu\.be/|vimeo\.com/"
    r"|cds\.cern\.ch/record/|videos\.cern\.ch/)",
    re.IGNORECASE,
)
_SLIDE_WORDS = re.compile(r"\bslides?\b", re.IGNORECASE)
_RECORDING_WORDS = re.compile(r"\b(recordings?|videos?)\b", re.IGNORECASE)
_MINUTES_WORDS = re.compile(r"\bminutes\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class MaterialOptions:
    enabled: bool = True  # `indico.materials`
    keep_protected: bool = False  # `indico.protected: full`
    kinds: Mapping[str, MaterialKind] = field(default_factory=dict)  # `indico.material_kinds`


MATERIALS = MaterialOptions()


def normalise_materials(
    folders: object, options: MaterialOptions | None = None, *, where: str = ""
) -> tuple[Material, ...]:
    """The public materials of one event or contribution (`where` names it in debug lines)."""
    if not isinstance(folders, list):
        return ()
    options = options or MATERIALS
    materials: list[Material] = []
    for folder in folders:
        if not isinstance(folder, dict):
            log.debug("%s: skipped a folder that is not a mapping: %s", where, quote(folder))
            continue
        hidden = folder.get("is_protected") is not False  # or its protection unknown
        if hidden and not options.keep_protected:
            continue  # not public
        name = "" if folder.get("default_folder") is True else clean_text(folder.get("title"))
        attachments = folder.get("attachments")
        for attachment in attachments if isinstance(attachments, list) else ():
            material = _material(attachment, name, options, hidden=hidden, where=where)
            if material is not None:
                materials.append(material)
    return tuple(materials)


def _material(
    attachment: object, folder: str, options: MaterialOptions, *, hidden: bool, where: str
) -> Material | None:
    """One attachment; `hidden`: its folder is protected (kept only under `keep_protected`,
    then flagged, as the attachment is, so a build under another policy drops it)."""
    if not isinstance(attachment, dict):
        log.debug("%s: skipped an attachment that is not a mapping: %s", where, quote(attachment))
        return None
    hidden = hidden or attachment.get("is_protected") is not False
    if hidden and not options.keep_protected:
        return None
    title = clean_text(attachment.get("title"))
    link = attachment.get("type") == "link"
    url = attachment.get("link_url" if link else "download_url")
    if link and isinstance(url, str):
        url = typed_url(url)
    if attachment.get("type") not in ("link", "file"):
        log.debug("%s: skipped attachment %s of unknown type", where, quote(title))
        return None
    if not title or not isinstance(url, str) or not is_web_url(url):
        log.debug("%s: skipped attachment %s: no title or no http(s) URL", where, quote(title))
        return None
    if link:
        kind = material_kind(title, folder, url, words=options.kinds)
        return Material(title=title, url=url, link=True, folder=folder, kind=kind, protected=hidden)
    filename = clean_text(attachment.get("filename"))
    content_type = clean_text(attachment.get("content_type")).lower()
    size = attachment.get("size")
    return Material(
        title=title,
        url=url,
        folder=folder,
        filename=filename,
        content_type=content_type,
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        kind=material_kind(
            title, folder, url, filename=filename, content_type=content_type, words=options.kinds
        ),
        protected=hidden,
    )


def typed_url(url: str) -> str:
    """A link as people type it into Indico: spaces around it dropped, and spaces in its
    path, query or fragment written `%20`, as a browser would send them. A space anywhere
    before the path (`http://exa mple.org/`) is left for `is_web_url` to refuse."""
    url = url.strip(" ")
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    if " " not in path or " " in scheme + host:
        return url
    return f"{scheme}{sep}{host}{slash}{path.replace(' ', '%20')}"


def material_kind(
    title: str,
    folder: str,
    url: str,
    *,
    filename: str = "",
    content_type: str = "",
    words: Mapping[str, MaterialKind] | None = None,
) -> MaterialKind:
    """The display kind (README, "Materials"): the config's `words` in the title, then in
    the folder's title; the file's type or the link's site; the usual words."""
    for text in (title.casefold(), folder.casefold()):
        for word, kind in (words or {}).items():
            if word in text:
                return kind
    if _SLIDE_TYPES.match(content_type) or _SLIDE_FILES.search(filename):
        return MaterialKind.SLIDES
    if not filename and _RECORDING_LINKS.match(url):
        return MaterialKind.RECORDING
    for text in (title, folder):
        if _SLIDE_WORDS.search(text):
            return MaterialKind.SLIDES
        if _RECORDING_WORDS.search(text):
            return MaterialKind.RECORDING
        if _MINUTES_WORDS.search(text):
            return MaterialKind.MINUTES
    return MaterialKind.OTHER


def normalise_minutes(note: object, *, where: str = "") -> Minutes | None:
    """The `note` as sanitised HTML and its Indico URL (http(s) only); None if it is empty."""
    if not isinstance(note, Mapping):
        return None
    html = note.get("html")
    if not isinstance(html, str) or not html.strip():
        return None
    if len(html) > MAX_MINUTES:
        log.debug("%s: minutes of %d characters cut to %d", where, len(html), MAX_MINUTES)
        html = html[:MAX_MINUTES]  # the sanitiser closes what the cut leaves open
    clean = clean_html(html)
    if not clean:
        log.debug("%s: minutes with no text left after sanitising: skipped", where)
        return None
    url = note.get("url")
    return Minutes(html=clean, url=url if isinstance(url, str) and is_web_url(url) else "")


def holder_materials(
    holder: Mapping[str, Any], options: MaterialOptions, *, where: str
) -> tuple[tuple[Material, ...], Minutes | None]:
    """An event's or contribution's materials and minutes; none when turned off."""
    if not options.enabled:
        return (), None
    materials = normalise_materials(holder.get("folders"), options, where=where)
    return materials, normalise_minutes(holder.get("note"), where=where)
