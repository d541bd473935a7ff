"""What Indico's data says about where and whether a meeting happens (pure functions).

Indico has no field for how people attend: the type (Zoom, Online, In person,
Hybrid) is read from the room, location, address and description
(`normalise_place`). Whether a meeting takes place comes from Indico's event label,
or on servers before 3.2.6 from a "cancelled" or "postponed" title
(`normalise_status`).
"""

from __future__ import annotations

import functools
import re

from indico_sync.meetings import MeetingType, Status
from indico_sync.untrusted import clean_text

# One pass per field: a named group per meeting type, links before words.
_ZOOM_LINK = r"zoom\.(?:us|com)/"
_ONLINE_LINK = (
    r"teams\.(?:microsoft|live)\.com/|meet\.google\.com/|webex\.com/|vidyo|"
    r"meet\.jit\.si/|bigbluebutton|skype\.com/"
)
_ONLINE_WORD = (
    r"\b(?:online|virtual|videoconference|video conference|remote|teams|webex|vidyo|"
    r"jitsi|skype)\b"
)
_VC_LINK = re.compile(f"(?P<zoom>{_ZOOM_LINK})|(?P<online>{_ONLINE_LINK})", re.IGNORECASE)
_VC_ANY = re.compile(
    f"(?P<zoom>{_ZOOM_LINK}|\\bzoom\\b)|(?P<online>{_ONLINE_LINK}|{_ONLINE_WORD})",
    re.IGNORECASE,
)
_NOT_HAPPENING = re.compile(r"\b(?P<cancelled>cancell?ed)\b|\b(?P<postponed>postponed)\b", re.I)
_URL = re.compile(r"^\s*https?://", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def normalise_place(
    room: str, location: str, address: str, description: str
) -> tuple[MeetingType | None, str]:
    """The meeting type and the location line (see `_location_line`).

    Zoom / Online / In person / Hybrid, from where the data really says it: a
    videoconference shows up as a link or a word in room, location or description; a
    physical place as a room or address that is not a link and not a VC word. The type
    is None when the data says nothing (the config's default applies).

    A category's meetings mostly share their room, venue and description, hence the cache.
    """
    virtual: MeetingType | None = None
    physical = False
    for text in (room, location, address):
        if not text:
            continue
        found = _vc_type(text, _VC_ANY)
        virtual = virtual or found
        physical = physical or (found is None and not _URL.match(text))
    virtual = virtual or _vc_type(description, _VC_LINK)
    return _meeting_type(virtual, physical), _location_line(clean_text(location), clean_text(room))


def _meeting_type(virtual: MeetingType | None, physical: bool) -> MeetingType | None:
    if virtual and physical:
        return MeetingType.HYBRID
    if virtual:
        return virtual
    if physical:
        return MeetingType.IN_PERSON
    return None


def _vc_type(text: str, pattern: re.Pattern[str]) -> MeetingType | None:
    match = pattern.search(text)
    if match is None:
        return None
    return MeetingType.ZOOM if match.lastgroup == "zoom" else MeetingType.ONLINE


def _location_line(venue: str, room: str) -> str:
    """Venue and room as one line, without videoconference links."""
    kept = [part for part in (venue, room) if part and not _URL.match(part)]
    return kept[0] if len(kept) == 2 and kept[0] == kept[1] else ", ".join(kept)


def normalise_status(label: object, title: str) -> tuple[Status, str, str]:
    """(status, label, label message) from Indico's event label (3.2.6+); older
    servers: a "cancelled" title."""
    if isinstance(label, dict):
        text = clean_text(label.get("title"))
        message = clean_text(label.get("message"))
        if label.get("is_event_not_happening") is True:
            if "postpone" in text.lower():
                return Status.POSTPONED, text, message
            return Status.CANCELLED, text or "Cancelled", message
        return Status.SCHEDULED, text, message
    match = _NOT_HAPPENING.search(title)
    if match is None:
        return Status.SCHEDULED, "", ""
    if match.lastgroup == "postponed":
        return Status.POSTPONED, "Postponed", ""
    return Status.CANCELLED, "Cancelled", ""
