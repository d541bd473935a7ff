"""Materials as links: labels by kind, file type and size hints, hosts, http(s) only."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from indico_sync.meetings import Material, MaterialKind, Minutes
from indico_sync.site.materials_view import (
    MaterialView,
    file_type,
    human_size,
    material_views,
    minutes_view,
)

SLIDES = Material(
    title="Transformers for ORCA",
    url="https://indico.example/event/1/attachments/2/3/orca.pdf",
    kind=MaterialKind.SLIDES,
    filename="orca.pdf",
    content_type="application/pdf",
    size=1_234_567,
)
ZOOM = Material(
    title="Zoom recording",
    url="https://cern.zoom.us/rec/share/abc",
    kind=MaterialKind.RECORDING,
    link=True,
)


def test_labels_by_kind_hints_by_type_size_and_host() -> None:
    """Slides say 'PDF, 1.2 MB'; a recording link names its host; the order is kept."""
    assert material_views([SLIDES, ZOOM]) == [
        MaterialView(label="Slides", title=SLIDES.title, url=SLIDES.url, hint="PDF, 1.2\u00a0MB"),
        MaterialView(label="Recording", title="Zoom recording", url=ZOOM.url, hint="cern.zoom.us"),
    ]


def test_other_materials_are_labelled_by_their_type() -> None:
    """An 'other' file says what it is (Word, or its extension), else 'File'; a link 'Link'."""
    other = Material(title="Notes", url="https://x.example/n", kind=MaterialKind.OTHER)
    views = material_views(
        [
            Material(
                title="Draft",
                url="https://x.example/d",
                kind=MaterialKind.OTHER,
                filename="draft.docx",
                size=2048,
            ),
            Material(title="Data", url="https://x.example/d.h5", kind=MaterialKind.OTHER),
            other,
            Material(
                title="Wiki",
                url="https://www.Wiki.example:8443/p",
                kind=MaterialKind.OTHER,
                link=True,
            ),
        ]
    )
    assert [(v.label, v.hint) for v in views] == [
        ("Word", "Word, 2.0\u00a0kB"),
        ("H5", "H5"),
        ("File", ""),
        ("Link", "wiki.example"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://cern.zoom.us/rec/share/abc",
        "HTTPS://WWW.Zoom.US",
        "https://www.example.org?x=1",
        "https://host.example#top",
        "https://www./",
        "https://user@www.example.org/",
        "https://www.example.org:8443/",
        "https://[2001:db8::1]/v",
        "https://host_name.example/",
        "https://ex\u00e4mple.org/",
        "https://a.example\\b/",
    ],
)
def test_a_links_hint_is_its_host_as_urlsplit_reads_it(url: str) -> None:
    """Plain hosts take a short cut; any host gives what `urlsplit` gives, without 'www.'."""
    link = Material(title="x", url=url, kind=MaterialKind.OTHER, link=True)
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    assert [v.hint for v in material_views([link])] == [host]


def test_repeated_labels_are_numbered() -> None:
    """Two slides read 'Slides 1', 'Slides 2', so they differ by sight, not only by title."""
    views = material_views([SLIDES, ZOOM, SLIDES])
    assert [v.label for v in views] == ["Slides 1", "Recording", "Slides 2"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "//evil.example/x",
        "https://",
        "http://[::1/x",
        " https://indico.example/x",
        "",
    ],
)
def test_only_http_urls_become_links(url: str) -> None:
    """Defence in depth: whatever the snapshot holds, no other scheme reaches a page."""
    material = Material(title="x", url=url, kind=MaterialKind.SLIDES)
    assert material_views([material]) == []


@pytest.mark.parametrize(
    ("content_type", "filename", "expected"),
    [
        ("application/pdf", "", "PDF"),
        ("application/pdf; charset=binary", "", "PDF"),
        ("application/octet-stream", "talk.PPTX", "PowerPoint"),
        ("application/vnd.apple.keynote", "talk.key", "Keynote"),
        ("", "talk.key", "Keynote"),
        ("application/vnd.oasis.opendocument.presentation", "", "ODP"),
        ("video/mp4", "rec.mp4", "Video"),
        ("application/octet-stream", "archive.tar.gz", "GZ"),
        ("application/octet-stream", "weird.<script>", ""),
        ("", "README", ""),
    ],
)
def test_file_type_from_content_type_then_extension(
    content_type: str, filename: str, expected: str
) -> None:
    """Indico's content type first (often octet-stream), then the file name's extension."""
    material = Material(
        title="t",
        url="https://x.example/f",
        kind=MaterialKind.OTHER,
        filename=filename,
        content_type=content_type,
    )
    assert file_type(material) == expected


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0\u00a0bytes"),
        (1, "1\u00a0byte"),
        (999, "999\u00a0bytes"),
        (1000, "1.0\u00a0kB"),
        (1_234_567, "1.2\u00a0MB"),
        (15_300_000, "15\u00a0MB"),
        (999_960, "1.0\u00a0MB"),
        (3 * 10**12, "3.0\u00a0TB"),
        (5 * 10**16, "50000\u00a0TB"),
    ],
)
def test_sizes_in_human_form(size: int, text: str) -> None:
    """Decimal units as file managers show them; one decimal below 10."""
    assert human_size(size) == text


def test_minutes_link_only_when_there_is_text_and_a_safe_url() -> None:
    """Empty minutes or an unsafe URL give no link; a site path or http(s) URL does."""
    minutes = Minutes(html="<p>Decisions</p>", url="https://indico.example/event/1/note/")
    page = minutes_view(minutes, title="Meeting 1", url="/wg/meetings/x-1/#minutes")
    assert page == MaterialView(
        label="Minutes", title="Meeting 1", url="/wg/meetings/x-1/#minutes", hint=""
    )
    assert minutes_view(minutes, title="t", url=minutes.url) is not None
    assert minutes_view(Minutes(html="  "), title="t", url="/m/") is None
    assert minutes_view(None, title="t", url="/m/") is None
    for bad in ("javascript:alert(1)", "//evil.example/", ""):
        assert minutes_view(minutes, title="t", url=bad) is None
