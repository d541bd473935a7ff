"""People as the site shows them: a name and an affiliation, nothing else (pure functions).

No e-mails, e-mail hashes or internal ids are kept. Names come from first_name and
last_name, or on servers before 3.0 from `fullName` ("Dr. LAST, First"), without the
titles those put in front.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from indico_sync.meetings import Person
from indico_sync.untrusted import clean_text


def normalise_people(people: object) -> tuple[Person, ...]:
    """Named people (see `person_name`), in Indico's order."""
    if not isinstance(people, list):
        return ()
    return tuple(
        Person(name=name, affiliation=clean_text(person.get("affiliation")))
        for person in people
        if isinstance(person, dict) and (name := person_name(person))
    )


def person_name(person: Mapping[str, Any]) -> str:
    """ "First Last" from first_name/last_name; `fullName` ("Last, First") as a fallback.

    Older Indico servers (before 3.0) send only `fullName`, with the person's title in
    front: "Dr. BURKHARDT, Helmut" is shown as "Helmut BURKHARDT".
    """
    first = clean_text(person.get("first_name"))
    last = clean_text(person.get("last_name"))
    if first or last:
        return f"{first} {last}".strip()
    full = clean_text(person.get("fullName"))
    if "," in full:
        last, _, first = full.partition(",")
        return f"{_untitled(first.strip())} {_untitled(last.strip())}".strip()
    return _untitled(full)


_HONORIFIC = re.compile(r"^(?:(?:dr|prof|mr|mrs|ms|mme|miss|mx)(?:\.\s*|\s+))+", re.IGNORECASE)


def _untitled(name: str) -> str:
    """`name` without leading honorifics ("Prof. Dr. Jane" -> "Jane"), unless that is all."""
    return _HONORIFIC.sub("", name) or name
