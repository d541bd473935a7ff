"""Materials as the site shows them: a label, the title, the URL and a short hint.

Pure: `Material` records (from the snapshot) go in, `MaterialView`s come out, with
every display string ready ("Slides", "PDF, 1.2 MB"), so templates only loop. The
sync already drops what is protected or not http(s); a material whose URL is not
http(s) is dropped here too, so no `javascript:` link can reach a page even from a
hand-edited snapshot. Titles stay plain strings: the templates escape them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from indico_sync.meetings import Material, MaterialKind, Minutes
from indico_sync.untrusted import is_web_url

LABELS = {
    MaterialKind.SLIDES: "Slides",
    MaterialKind.RECORDING: "Recording",
    MaterialKind.MINUTES: "Minutes",
}
# File types people recognise, by content type and by extension (Indico sends both;
# the content type is often "application/octet-stream").
_TYPES = {
    "application/pdf": "PDF",
    "application/vnd.ms-powerpoint": "PowerPoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.apple.keynote": "Keynote",
    "application/x-iwork-keynote-sffkey": "Keynote",
    "application/vnd.oasis.opendocument.presentation": "ODP",
    "application/msword": "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/zip": "ZIP",
    "text/plain": "Text",
    "text/csv": "CSV",
}
_EXTENSIONS = {
    "pdf": "PDF",
    "ppt": "PowerPoint",
    "pptx": "PowerPoint",
    "key": "Keynote",
    "odp": "ODP",
    "doc": "Word",
    "docx": "Word",
    "xls": "Excel",
    "xlsx": "Excel",
    "odt": "ODT",
    "txt": "Text",
    "ipynb": "Notebook",
}
_FAMILIES = {"video": "Video", "audio": "Audio", "image": "Image"}
_UNITS = ("kB", "MB", "GB", "TB")
_SHORT_EXTENSION = re.compile(r"[a-z0-9]{1,5}")
# `http(s)://host/...` with a plain host (no user, port or brackets): its host without
# `urlsplit`, which gives the same (the tests check).
_PLAIN_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)(?:[/?#]|\Z)", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class MaterialView:
    """One material link, every string ready for the template."""

    label: str  # what the link says: "Slides", "Recording", "Minutes", or the file's type
    title: str  # the material's own title, for the accessible name and the tooltip
    url: str  # http(s) only
    hint: str  # "PDF, 1.2 MB" for a file, the host ("zoom.us") for a link; may be ""
    folder: str = ""  # Indico's folder title, "" for the default folder


def material_views(materials: Iterable[Material]) -> list[MaterialView]:
    """The materials worth a link, in their order; a label that repeats gets a number
    ("Slides 1", "Slides 2") so that the links can be told apart by sight too."""
    views = [_view(m) for m in materials if is_web_url(m.url)]
    if len({v.label for v in views}) == len(views):  # no label repeats (the usual case)
        return views
    counts = Counter(v.label for v in views)
    seen: Counter[str] = Counter()
    numbered = []
    for view in views:
        if counts[view.label] > 1:
            seen[view.label] += 1
            label = f"{view.label} {seen[view.label]}"
            view = MaterialView(
                label=label, title=view.title, url=view.url, hint=view.hint, folder=view.folder
            )
        numbered.append(view)
    return numbered


def minutes_view(minutes: Minutes | None, *, title: str, url: str) -> MaterialView | None:
    """A "Minutes" link to `url` (where the minutes are shown), or None when there are
    no minutes to read or `url` is not http(s) or site-relative."""
    if minutes is None or not minutes.html.strip():
        return None
    if not (is_web_url(url) or url.startswith("/")) or url.startswith("//"):
        return None
    return MaterialView(label="Minutes", title=title, url=url, hint="")


def file_type(material: Material) -> str:
    """'PDF', 'PowerPoint', ...: from the content type, else the file name's extension;
    the upper-cased extension when it is short and plain, else ''."""
    content_type = material.content_type.split(";")[0].strip().lower()
    if content_type in _TYPES:
        return _TYPES[content_type]
    name = material.filename or urlsplit(material.url).path.rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    family = _FAMILIES.get(content_type.split("/")[0])
    if family:
        return family
    return extension.upper() if _SHORT_EXTENSION.fullmatch(extension) else ""


def human_size(size: int) -> str:
    """'1.2 MB': decimal units as file managers show them, one decimal below 10; a
    no-break space keeps the number and its unit on one line."""
    if size < 1000:
        return f"{size}\u00a0bytes" if size != 1 else "1\u00a0byte"
    value = float(size)
    for unit in _UNITS:
        value /= 1000
        if value < 999.95 or unit == _UNITS[-1]:
            return f"{value:.1f}\u00a0{unit}" if value < 9.95 else f"{value:.0f}\u00a0{unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def _view(material: Material) -> MaterialView:
    if material.link:
        kind = file_type(material) if material.filename else ""
        hint = _host(material.url)
        fallback = "Link"
    else:
        kind = file_type(material)
        size = human_size(material.size) if material.size is not None and material.size >= 0 else ""
        hint = f"{kind}, {size}" if kind and size else kind or size
        fallback = "File"
    label = LABELS.get(material.kind) or kind or fallback
    title = material.title.strip() or material.filename or label
    return MaterialView(
        label=label, title=title, url=material.url, hint=hint, folder=material.folder
    )


def _host(url: str) -> str:
    """The link's host as people write it: lower-case, without 'www.' or a port."""
    plain = _PLAIN_HOST.match(url)
    if plain:
        return plain[1].lower().removeprefix("www.")
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # a malformed IPv6 literal or port
        return ""
    return host.removeprefix("www.")
