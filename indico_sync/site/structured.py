"""schema.org `Event` JSON-LD for a meeting page, safe inside a `<script>` element.

Indico's text is untrusted: `script_json` escapes `<`, `>` and `&` as `\\u` escapes, so
no title can close the script element or open a comment; a JSON parser reads the same
text back.
"""

from __future__ import annotations

import json

from markupsafe import Markup

from indico_sync.config import Config
from indico_sync.meetings import Meeting, MeetingType, Status
from indico_sync.untrusted import is_web_url

_ONLINE = {MeetingType.ZOOM, MeetingType.ONLINE}
_MODE = {
    MeetingType.ZOOM: "Online",
    MeetingType.ONLINE: "Online",
    MeetingType.IN_PERSON: "Offline",
    MeetingType.HYBRID: "Mixed",
}
# What json.dumps(ensure_ascii=False, separators=(",", ":")) builds on every call, made once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_STATUS = {
    Status.SCHEDULED: "EventScheduled",
    Status.CANCELLED: "EventCancelled",
    Status.POSTPONED: "EventPostponed",
}


def json_ld(meeting: Meeting, *, config: Config, url: str) -> Markup:
    """schema.org `Event` as the body of a `<script type="application/ld+json">`."""
    zone = config.timezone or meeting.zone
    start = meeting.start.astimezone(zone)
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": meeting.title,
        "startDate": start.isoformat(),
        "endDate": max(meeting.end.astimezone(zone), start).isoformat(),
        "eventStatus": f"https://schema.org/{_STATUS[meeting.status]}",
    }
    if meeting.type is not None:
        data["eventAttendanceMode"] = f"https://schema.org/{_MODE[meeting.type]}EventAttendanceMode"
    places = _places(meeting)
    if places:
        data["location"] = places[0] if len(places) == 1 else places
    site = f"{config.url}{config.baseurl}/"
    data["organizer"] = {"@type": "Organization", "name": config.title, "url": site}
    data["url"] = url
    return Markup(script_json(data))  # noqa: S704  # escaped for a script element


def _places(meeting: Meeting) -> list[dict[str, str]]:
    """VirtualLocation (the Indico URL) online, Place (the venue) in person, both hybrid."""
    virtual = {"@type": "VirtualLocation", "url": meeting.url} if is_web_url(meeting.url) else {}
    place = (
        {"@type": "Place", "name": meeting.location, "address": meeting.location}
        if meeting.location
        else {}
    )
    if meeting.type in _ONLINE:
        found = [virtual]
    elif meeting.type is MeetingType.IN_PERSON:
        found = [place]
    else:  # hybrid, or unknown: what there is
        found = [place, virtual]
    return [p for p in found if p]


def script_json(data: object) -> str:
    """JSON with `<`, `>` and `&` as \\u escapes: nothing can close the script element."""
    text = _ENCODER.encode(data)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
