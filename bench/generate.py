"""Scaled inputs: the real pages, a snapshot of N meetings and 200 news posts.

Deterministic: the same size and seed give the same bytes, so every run and every
tool builds exactly the same content. The pages are copied from the repository's
`site_src`; the meetings go through `render_snapshot`, so the file is the format
indico_sync itself writes. Meetings carry materials (slides files, a recording link)
and sometimes minutes, drawn from their own random stream: the snapshot holds them
once `render_snapshot` writes them, and the other fields stay the same either way.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from indico_sync.meetings import (
    Material,
    MaterialKind,
    Meeting,
    MeetingType,
    Minutes,
    Person,
    Status,
    Talk,
)
from indico_sync.snapshot import render_snapshot

REPO = Path(__file__).resolve().parent.parent
PAGES = ("index.md", "about.md", "_config.yml")
SEED = 20261122
POSTS = 200
SOURCE = "https://indico.cern.ch/category/14703"
FIRST_EVENT_ID = 1_000_000

ZONES = (
    ("Europe/Zurich", 10),
    ("Europe/Paris", 3),
    ("America/Chicago", 3),
    ("America/Los_Angeles", 1),
    ("Asia/Tokyo", 1),
    ("Asia/Kolkata", 1),
    ("Australia/Sydney", 1),
)
FIRST = (
    "Andreas", "Thorsten", "Zoë", "Søren", "Łukasz", "José", "Ákos", "Müge", "Thị Hương",
    "Rasmus", "Chiara", "Jiří", "Aoife", "Björn", "Ngọc Anh", "Sébastien", "Yūko", "Małgorzata",
)  # fmt: skip
LAST = (
    "Søgaard", "Glüsenkamp", "Ó Briain-Müller", "Eberl", "Guderian", "Meighen-Berger",
    "Nakamura", "Øvergård", "Çelik", "Wróbel", "Ferrández", "Dvořák", "Nguyễn", "Ørsøe",
    "Kőrösi", "Schäfer", "Ibáñez", "Jürgensen",
)  # fmt: skip
AFFILIATIONS = (
    "Niels Bohr Institute, University of Copenhagen",
    "ECAP, FAU Erlangen-Nürnberg",
    "CPPM, Aix-Marseille Université",
    "Technische Universität München",
    "IFIC (CSIC, Universitat de València)",
    "Chiba University",
    "Université libre de Bruxelles",
    "",
)
TOPICS = (
    "Graph neural networks for IceCube event reconstruction",
    "Normalizing flows for directional reconstruction",
    "Transformers for KM3NeT/ORCA event classification",
    "GraphNeT: status, releases and plans",
    "Domain adaptation between “Monte Carlo” and data",
    "Equivariant networks — a hands-on tutorial",
    "Energy regression in the deep ice",
    "Likelihood-free inference for oscillation analyses",
    "Noise cleaning with point-cloud networks",
    "Open data sets for ML in neutrino astronomy",
    "Uncertainty estimates you can trust",
    "Fast simulation with generative models",
)
WORDS = (
    "detector", "graph", "model", "training", "pulses", "reconstruction", "simulation",
    "neutrino", "energy", "direction", "network", "data", "analysis", "tutorial", "release",
    "benchmark", "features", "sensors", "strings", "résumé", "naïve", "façade",
)  # fmt: skip
TYPE_WEIGHTS = ((MeetingType.ZOOM, 6), (MeetingType.ONLINE, 1), (MeetingType.HYBRID, 2))
VENUES = (
    "CERN, 40-S2-D01 - Salle Dirac",
    "Fermilab, One West",
    "NBI, Auditorium A",
    "DESY Zeuthen",
)


def generate_site(dest: Path, *, meetings: int, posts: int = POSTS, seed: int = SEED) -> Path:
    """Write a complete indico_sync source folder to `dest` (replacing it) and return it."""
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "_data").mkdir(parents=True)
    (dest / "_posts").mkdir()
    for name in PAGES:
        shutil.copyfile(REPO / "site_src" / name, dest / name)
    rng = random.Random(f"{seed}:{meetings}")
    extras = random.Random(f"{seed}:{meetings}:materials")
    snapshot = render_snapshot(with_materials(m, extras) for m in make_meetings(meetings, rng))
    (dest / "_data" / "meetings.yml").write_text(snapshot, encoding="utf-8", newline="\n")
    for name, text in make_posts(posts, random.Random(f"{seed}:posts")):
        (dest / "_posts" / name).write_text(text, encoding="utf-8", newline="\n")
    return dest


def make_meetings(count: int, rng: random.Random) -> list[Meeting]:
    """`count` meetings spread over 2015-2027, 1-5 talks each, in several time zones."""
    first, span = date(2015, 1, 5), (date(2027, 12, 20) - date(2015, 1, 5)).days
    return [
        make_meeting(index, first + timedelta(days=index * span // max(count, 1)), rng)
        for index in range(count)
    ]


def make_meeting(index: int, day: date, rng: random.Random) -> Meeting:
    zone_name = rng.choices([z for z, _ in ZONES], [w for _, w in ZONES])[0]
    zone = ZoneInfo(zone_name)
    start = datetime(day.year, day.month, day.day, rng.choice((9, 10, 14, 15, 16, 17)), 0, 0)
    start = start.replace(minute=rng.choice((0, 30)), tzinfo=zone)
    length = timedelta(minutes=rng.choice((60, 90, 120)))
    kind = rng.choices([t for t, _ in TYPE_WEIGHTS], [w for _, w in TYPE_WEIGHTS])[0]
    cancelled = rng.random() < 0.03
    topic = rng.choice(TOPICS)
    title = rng.choice(
        (f"GNN ML WG meeting #{index + 1}", f"Seminar: {topic}", f"Tutorial: {topic}")
    )
    event_id = str(FIRST_EVENT_ID + index)
    return Meeting(
        source=SOURCE,
        id=event_id,
        url=f"https://indico.cern.ch/event/{event_id}/",
        title=title,
        start=start,
        end=start + length,
        timezone=zone_name,
        category="GNN ML WG meetings",
        category_id=14703,
        type=kind,
        status=Status.CANCELLED if cancelled else Status.SCHEDULED,
        label="Cancelled" if cancelled else "",
        location=rng.choice(VENUES) if kind is MeetingType.HYBRID else "",
        description=f"<p>{_sentence(rng)}</p>" if rng.random() < 0.5 else "",
        talks=make_talks(start, length, rng),
    )


def make_talks(start: datetime, length: timedelta, rng: random.Random) -> tuple[Talk, ...]:
    """1-5 talks in time order; about one in ten unscheduled (last, as Indico sorts them)."""
    count = rng.randint(1, 5)
    talks = [
        Talk(
            title=rng.choice(TOPICS),
            speakers=tuple(make_person(rng) for _ in range(rng.choice((1, 1, 1, 2)))),
            start=None if rng.random() < 0.1 else start + length * position / count,
        )
        for position in range(count)
    ]
    return tuple(sorted(talks, key=lambda talk: talk.start is None))


def make_person(rng: random.Random) -> Person:
    return Person(
        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}", affiliation=rng.choice(AFFILIATIONS)
    )


def with_materials(meeting: Meeting, rng: random.Random) -> Meeting:
    """Most talks with slides (a PDF, sometimes also PowerPoint), a recording link for
    about half the meetings, minutes for about a third; cancelled meetings get none."""
    if meeting.status is Status.CANCELLED:
        return meeting
    base = f"https://indico.cern.ch/event/{meeting.id}"
    talks = tuple(
        replace(talk, materials=_slides(f"{base}/contributions/{n}", rng))
        if rng.random() < 0.7
        else talk
        for n, talk in enumerate(meeting.talks, start=1)
    )
    materials: tuple[Material, ...] = ()
    if rng.random() < 0.5:
        recording = Material(
            title=f"Recording of {meeting.title}",
            url=f"https://cern.zoom.us/rec/share/{rng.getrandbits(64):016x}",
            kind=MaterialKind.RECORDING,
            link=True,
            folder="Recordings",
        )
        materials = (recording,)
    minutes = None
    if rng.random() < 0.3:
        items = "".join(f"<li>{_sentence(rng)}</li>" for _ in range(rng.randint(2, 6)))
        html = f"<p>{_sentence(rng)}</p><ul>{items}</ul><p><b>Actions:</b> {_sentence(rng)}</p>"
        minutes = Minutes(html=html, url=f"{base}/note/")
    return replace(meeting, talks=talks, materials=materials, minutes=minutes)


def _slides(base: str, rng: random.Random) -> tuple[Material, ...]:
    kinds = [("pdf", "application/pdf")]
    if rng.random() < 0.2:
        kinds.append(
            ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation")
        )
    return tuple(
        Material(
            title=f"slides.{ext}" if ext == "pdf" else "Slides (PowerPoint)",
            url=f"{base}/attachments/{rng.randint(1, 9_999_999)}/slides.{ext}",
            kind=MaterialKind.SLIDES,
            filename=f"slides.{ext}",
            content_type=content_type,
            size=rng.randint(200_000, 12_000_000),
        )
        for ext, content_type in kinds
    )


def make_posts(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """`count` Jekyll-style posts `YYYY-MM-DD-slug.md`, a few Markdown paragraphs each."""
    posts = []
    for index in range(count):
        day = date(2019, 1, 7) + timedelta(days=index * 9)
        topic = TOPICS[index % len(TOPICS)]
        title = f"News {index + 1:03d}: {topic}"
        slug = f"news-{index + 1:03d}"
        front = f'---\nlayout: post\ntitle: "{title}"\n---\n\n'
        posts.append((f"{day.isoformat()}-{slug}.md", front + _post_body(topic, rng)))
    return posts


def _post_body(topic: str, rng: random.Random) -> str:
    event = rng.randint(900_000, 999_999)  # not a meeting of the snapshot
    paragraphs = [
        f"{_sentence(rng)} **{topic}** {_sentence(rng)} See the [slides on Indico]"
        f"(https://indico.cern.ch/event/{event}/) and `graphnet` {_sentence(rng)}",
        "## Highlights",
        "\n".join(f"* {_sentence(rng)}" for _ in range(rng.randint(2, 4))),
        f"{_sentence(rng)} {_sentence(rng)} *{_sentence(rng)}*",
    ]
    if rng.random() < 0.3:
        paragraphs.append("```python\nfrom graphnet.models import StandardModel\n```")
    paragraphs.append(f"{_sentence(rng)} Questions: contact [{rng.choice(LAST)}](/about/).")
    return "\n\n".join(paragraphs) + "\n"


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    return " ".join(words).capitalize() + "."
