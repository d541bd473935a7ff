"""The Meeting record: one Indico event as the site needs it.

Records only; normalising Indico's JSON into them is `sync/normalise.py`, the config's policies
(protected meetings, overrides) `policy.py`, storing them `snapshot.py`, showing them `site/`.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


class MeetingType(enum.Enum):
    """How people attend. Indico has no field for it: `sync/places.py` derives it from the
    room, location and description (`normalise_place`)."""

    ZOOM = "zoom"
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    MeetingType.ZOOM: "Zoom",
    MeetingType.ONLINE: "Online",
    MeetingType.IN_PERSON: "In person",
    MeetingType.HYBRID: "Hybrid",
}


class Protection(enum.Enum):
    """What the site publishes of a protected event (`indico.protected`)."""

    TITLE = "title"  # title, date and time, status, the Indico link, "login required"
    HIDE = "hide"  # nothing: the meeting is not listed and not stored
    FULL = "full"  # everything the token can read (a deliberate choice)


class Status(enum.Enum):
    """Whether the meeting takes place. Cancelled meetings are kept and marked."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    name: str
    affiliation: str = ""


class MaterialKind(enum.Enum):
    """How a material is shown: derived from its type, URL and titles by the sync."""

    SLIDES = "slides"
    RECORDING = "recording"
    MINUTES = "minutes"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class Material:
    """One public attachment of a meeting or talk: a file or a link."""

    title: str  # plain text, escaped wherever it is shown
    url: str  # http(s) only: a link's link_url, a file's download_url
    kind: MaterialKind
    link: bool = False  # an Indico link (True) or a file (False)
    folder: str = ""  # the folder's title; "" for the default folder
    filename: str = ""  # files only
    content_type: str = ""  # files only
    size: int | None = None  # files only, in bytes
    # Flagged `is_protected` by Indico (or its folder): stored only under `indico.protected:
    # full`, and dropped by the build under any other policy (`policy.protect_meetings`)
    protected: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Minutes:
    """Indico's note of a meeting or talk."""

    html: str  # sanitised by the sync, as descriptions are
    url: str = ""  # the note's page on Indico (http(s)), or ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Talk:
    title: str
    speakers: tuple[Person, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    materials: tuple[Material, ...] = ()
    minutes: Minutes | None = None


DETAILS = frozenset({"talks", "materials", "minutes", "description"})
"""The fields a meeting read from the snapshot may hold back until they are used (`Later`)."""


class Later(Protocol):
    """Where a meeting keeps its `DETAILS` until they are first used (`Meeting.later`).

    A rebuild after a sync shows anew only the meetings that changed: reading the others'
    agendas, materials and minutes took three quarters of reading the snapshot
    (`snapshot.read_canonical`, which makes these). Reading any of the fields, comparing,
    hashing, `repr`, `replace` or pickling the meeting reads them all, so a meeting
    behaves as one read whole. The flags let the config's policies pass over a meeting
    without reading it (`policy.py`); True when unsure."""

    protected: bool  # whether a material in them may be flagged protected
    materials: bool  # whether they may hold materials or minutes

    def read(self) -> dict[str, Any]:
        """The `DETAILS` by name; raises SnapshotError naming the meeting when bad."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Meeting:
    """One Indico event, as the site needs it. No e-mails, hashes or internal ids."""

    source: str
    id: str
    url: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    category: str = ""
    category_id: int | None = None
    type: MeetingType | None = None
    status: Status = Status.SCHEDULED
    label: str = ""
    label_message: str = ""  # Indico's label message, e.g. "Postponed to next month"
    location: str = ""
    description: str = ""
    protected: bool = False
    talks: tuple[Talk, ...] = ()
    materials: tuple[Material, ...] = ()  # the event's own, not its talks'
    minutes: Minutes | None = None
    # Where the `DETAILS` are while held back (`Later`); None once read, and for a record
    # made whole, as all are except those `hold_back` makes.
    later: Later | None = field(default=None, init=False, repr=False, compare=False)

    if not TYPE_CHECKING:  # to mypy, a class with __getattr__ has every attribute

        def __getattr__(self, name):
            """A held-back field (only those are ever missing): read them all now."""
            if name not in DETAILS or self.later is None:
                raise AttributeError(f"'Meeting' object has no attribute {name!r}")
            details = self.later.read()
            for key in DETAILS:
                object.__setattr__(self, key, details[key])
            object.__setattr__(self, "later", None)
            return details[name]

    def hold_back(self, later: Later) -> Meeting:
        """This record, just made and not yet seen, with its `DETAILS` left to `later`."""
        for name in DETAILS:
            object.__delattr__(self, name)
        object.__setattr__(self, "later", later)
        return self

    def read(self) -> Meeting:
        """This record with its held-back fields read now, so that a bad one fails here."""
        if self.later is not None:
            getattr(self, "talks")  # noqa: B009  # reading one reads them all
        return self

    @property
    def key(self) -> str:
        """Identity across syncs: the event URL is unique across Indico instances."""
        return self.url

    @property
    def page_slug(self) -> str:
        """The meeting page's folder under `meetings/`: the Indico host and the event id,
        e.g. `indico-cern-ch-1500003`. Stable when the title or date changes in Indico,
        unique across sources (event ids are unique per Indico server)."""
        return _slug(self.url, self.id)

    @property
    def page_path(self) -> str:
        """The meeting page's folder under the site root: `meetings/{page_slug}/`."""
        return f"meetings/{self.page_slug}/"

    @property
    def zone(self) -> ZoneInfo:
        """The meeting's own zone (see `zone_or_utc`)."""
        return zone_or_utc(self.timezone)


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """A per-event correction from the config: what Indico's data cannot say."""

    type: MeetingType | None = None
    hidden: bool = False
    title: str | None = None
    materials: bool = True  # False: the event's materials and minutes are not published


@functools.lru_cache(maxsize=2**16)
def _slug(url: str, event_id: str) -> str:
    """`Meeting.page_slug`, made once per meeting: a build asks for it five times each."""
    host = urlsplit(url).netloc.lower() or "indico"
    return re.sub(r"[^a-z0-9]+", "-", f"{host}-{event_id}".lower()).strip("-")


def sort_meetings(meetings: Iterable[Meeting]) -> list[Meeting]:
    """Stable order: by start time, then URL, so same-day meetings never swap."""
    return sorted(meetings, key=lambda m: (m.start.timestamp(), m.url))


def find_zone(name: str) -> ZoneInfo | None:
    """The tz database zone called `name`, or None when there is none.

    ZoneInfo fails in several ways on a bad name: ZoneInfoNotFoundError (a KeyError),
    ValueError ("../x", "Europe/"), IsADirectoryError ("America").
    """
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return None


_UTC = ZoneInfo("UTC")


def zone_or_utc(name: str) -> ZoneInfo:
    """The zone called `name`; UTC when there is none (bad data), the one fallback
    every stage uses for a meeting's zone."""
    return find_zone(name) or _UTC
