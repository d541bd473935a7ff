"""Normalising real Indico 3.3 responses into Meeting records (and correcting them)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from indico_sync.errors import IndicoBadResponse
from indico_sync.meetings import Meeting, MeetingType, Override, Status
from indico_sync.policy import apply_overrides
from indico_sync.sync.normalise import normalise_event, normalise_events
from indico_sync.sync.people import person_name

FIXTURES = Path(__file__).parent / "fixtures" / "indico"
SOURCE = "http://127.0.0.1:8000/category/1"
ZURICH = ZoneInfo("Europe/Zurich")


def results(name: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return list(data["results"])


def event_41() -> dict[str, Any]:
    return next(e for e in results("categ_reader_token_contribs.json") if e["id"] == "3")


def by_id(name: str) -> dict[str, Meeting]:
    meetings = normalise_events(results(name), source=SOURCE, category_id=None)
    return {m.id: m for m in meetings}


def test_start_and_end_are_aware_and_in_the_events_own_zone() -> None:
    """Times are rebuilt from {date, time, tz} and expressed in the event's `timezone`."""
    meeting = by_id("categ_reader_token_contribs.json")["5"]
    assert meeting.timezone == "America/Chicago"
    assert meeting.start == datetime(2026, 12, 6, 17, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert meeting.start.utcoffset() == timedelta(hours=-6)
    assert meeting.end - meeting.start == timedelta(hours=1)


def test_date_differs_between_event_zone_and_display_zone() -> None:
    """17:30 in Chicago on 6 December is 00:30 on 7 December in Zurich."""
    meeting = by_id("categ_reader_token_contribs.json")["5"]
    assert meeting.start.date().isoformat() == "2026-12-06"
    assert meeting.start.astimezone(ZURICH).strftime("%Y-%m-%d %H:%M") == "2026-12-07 00:30"


def test_request_timezone_does_not_change_the_instant() -> None:
    """The same category fetched with tz=UTC, tz=Chicago and the default gives equal meetings."""
    default = by_id("categ_detail_contributions.json")
    utc = by_id("categ_tz_utc.json")
    chicago = by_id("categ_tz_chicago.json")
    for event_id, meeting in utc.items():
        assert meeting.start == default[event_id].start == chicago[event_id].start
        assert meeting.start.tzinfo == default[event_id].start.tzinfo


def test_dst_switch_gives_cest_then_cet() -> None:
    """23 September is summer time (+02:00), 1 November winter time (+01:00) in Zurich."""
    meetings = by_id("categ_reader_token_contribs.json")
    september = meetings["1"].start.astimezone(ZURICH)
    november = meetings["3"].start.astimezone(ZURICH)
    assert (september.tzname(), september.utcoffset()) == ("CEST", timedelta(hours=2))
    assert (november.tzname(), november.utcoffset()) == ("CET", timedelta(hours=1))


def test_talks_are_in_time_order_with_first_last_names_and_affiliations() -> None:
    """Contributions come unordered from Indico; talks are sorted by start time."""
    meeting = by_id("categ_reader_token_contribs.json")["3"]
    assert [t.title for t in meeting.talks] == [
        "GraphNeT: status and plans",
        "Normalizing flows for IceCube directional reconstruction",
        "Edge-conditioned convolutions on irregular détecteurs — a “tour d’horizon”",
    ]
    speakers = [t.speakers[0] for t in meeting.talks]
    assert [s.name for s in speakers] == [
        "Andreas Søgaard",
        "Thorsten Glüsenkamp",
        "Zoë Ó Briain-Müller",
    ]
    assert speakers[2].affiliation == "Université de Genève"


def test_unscheduled_talks_go_last_in_indico_order() -> None:
    """A contribution with startDate null follows the scheduled ones."""
    event = event_41()
    contributions = event["contributions"]
    contributions[0] = {**contributions[0], "startDate": None, "title": "Unscheduled A"}
    contributions.append({**contributions[1], "startDate": None, "title": "Unscheduled B"})
    meeting = normalise_event(event, source=SOURCE)
    assert [t.title for t in meeting.talks][-2:] == ["Unscheduled A", "Unscheduled B"]
    assert meeting.talks[-1].start is None


def test_primary_authors_stand_in_when_there_are_no_speakers() -> None:
    """An empty speakers list falls back to the primary authors."""
    event = event_41()
    contribution = event["contributions"][0]
    event["contributions"] = [{**contribution, "speakers": []}]
    meeting = normalise_event(event, source=SOURCE)
    assert meeting.talks[0].speakers[0].name == person_name(contribution["primaryauthors"][0])


def test_person_name_falls_back_to_full_name() -> None:
    """'Last, First' becomes 'First Last' when first/last names are missing."""
    assert person_name({"fullName": "Novák, Jiří"}) == "Jiří Novák"
    assert person_name({"first_name": "Łukasz", "last_name": "Kreczko"}) == "Łukasz Kreczko"


@pytest.mark.parametrize(
    ("full_name", "shown"),
    [
        ("Dr. BURKHARDT, Helmut", "Helmut BURKHARDT"),
        ("Mr Koutsakis, Ilias", "Ilias Koutsakis"),
        ("Prof. Dr. SMITH, Jane", "Jane SMITH"),
        ("prof dr Smith, Jane", "Jane Smith"),
        ("Mme DUPONT, Marie", "Marie DUPONT"),
        ("Mrs. Brown, Ann", "Ann Brown"),
        ("MS Green, Eve", "Eve Green"),
        ("Miss Marple, Jane", "Jane Marple"),
        ("Mx Doe, Sam", "Sam Doe"),
        ("Prof.Dr.Einstein, Albert", "Albert Einstein"),
        ("BURKHARDT, Dr. Helmut", "Helmut BURKHARDT"),
        ("Dr. Helmut Burkhardt", "Helmut Burkhardt"),
        ("Drake, John", "John Drake"),  # a name that starts like a title stays
        ("Mrsic, Ana", "Ana Mrsic"),
        ("Ms, Ann", "Ann Ms"),  # nothing but a title is kept as it is
    ],
)
def test_honorifics_from_old_indico_are_dropped(full_name: str, shown: str) -> None:
    """Indico before 3.0 sends only fullName, title first: "Dr. BURKHARDT, Helmut"."""
    assert person_name({"fullName": full_name}) == shown


def test_old_indico_speakers_are_shown_without_titles() -> None:
    """A contribution of an old server (fullName only) lists its speakers untitled."""
    event = event_41()
    contribution = event["contributions"][0]
    speakers = [
        {"_type": "ContributionParticipation", "fullName": "Dr. BURKHARDT, Helmut"},
        {"fullName": "Prof. Mme. DUPONT, Marie", "affiliation": "CNRS"},
    ]
    event["contributions"] = [{**contribution, "speakers": speakers}]
    talk = normalise_event(event, source=SOURCE).talks[0]
    assert [(p.name, p.affiliation) for p in talk.speakers] == [
        ("Helmut BURKHARDT", ""),
        ("Marie DUPONT", "CNRS"),
    ]


def test_hostile_title_is_kept_as_text() -> None:
    """The normaliser stores the title verbatim; escaping is the renderer's job."""
    meeting = normalise_events(results("event_tricky_html.json"), source=SOURCE, category_id=None)
    assert meeting[0].title.startswith('Tricky <script>alert("x")</script> & "quotes"')


def test_types_come_from_where_the_data_says() -> None:
    """Zoom URL in room -> Zoom; a room -> In person; nothing -> None (config default)."""
    meetings = by_id("categ_reader_token_contribs.json")
    assert meetings["5"].type is MeetingType.ZOOM
    assert meetings["4"].type is MeetingType.IN_PERSON
    assert meetings["1"].type is None


def type_of(fields: dict[str, Any]) -> MeetingType | None:
    """The type `normalise_event` derives for an event with these place fields."""
    when = {"date": "2024-01-01", "time": "10:00:00", "tz": "UTC"}
    event = {"id": "1", "url": "https://x.test/event/1/", "startDate": when, "endDate": when}
    return normalise_event({**event, **fields}, source=SOURCE).type


def test_hybrid_and_online_detection() -> None:
    """A room plus a VC link is Hybrid; a Teams link alone is Online."""
    hybrid = {"room": "Salle Dirac", "description": '<a href="https://cern.zoom.us/j/1">z</a>'}
    assert type_of(hybrid) is MeetingType.HYBRID
    online = {"location": "", "description": "https://teams.microsoft.com/l/meetup-join/x"}
    assert type_of(online) is MeetingType.ONLINE
    assert type_of({"location": "Videoconference"}) is MeetingType.ONLINE


def test_default_type_applies_only_when_nothing_is_detected() -> None:
    """The config's default_type fills in, never overriding what the data says."""
    meetings = normalise_events(
        results("categ_reader_token_contribs.json"),
        source=SOURCE,
        category_id=None,
        default_type=MeetingType.ZOOM,
    )
    types = {m.id: m.type for m in meetings}
    assert types["1"] is MeetingType.ZOOM
    assert types["4"] is MeetingType.IN_PERSON


def test_location_leaves_out_videoconference_links() -> None:
    """The location line names the venue and room, never a Zoom URL with its passcode."""
    meetings = by_id("categ_reader_token_contribs.json")
    assert meetings["4"].location == "CERN, 4-3-006 - TH Conference Room"
    assert meetings["5"].location == "Zoom"


def test_subcategory_events_are_dropped_unless_asked_for() -> None:
    """category_id keeps only events directly in the category; None keeps the subtree."""
    direct = normalise_events(
        results("categ_reader_token_contribs.json"), source=SOURCE, category_id=1
    )
    assert {m.id for m in direct} == {"1", "3", "4", "5", "6", "7"}
    assert len(by_id("categ_reader_token_contribs.json")) == 8


def test_cancelled_and_postponed_events_are_kept_and_marked() -> None:
    """label.is_event_not_happening marks the meeting; the label text is kept."""
    event = results("categ_reader_token_contribs.json")[0]
    cancelled = {**event, "label": {"title": "Cancelled", "is_event_not_happening": True}}
    postponed = {**event, "label": {"title": "Postponed", "is_event_not_happening": True}}
    other = {**event, "label": {"title": "Open", "is_event_not_happening": False}}
    assert normalise_event(cancelled, source=SOURCE).status is Status.CANCELLED
    assert normalise_event(postponed, source=SOURCE).status is Status.POSTPONED
    assert normalise_event(other, source=SOURCE).label == "Open"
    assert normalise_event(event, source=SOURCE).status is Status.SCHEDULED


def test_a_labels_message_is_stored_with_the_label() -> None:
    """Indico's label message ("Postponed to next month") is kept, whitespace collapsed."""
    event = results("categ_reader_token_contribs.json")[0]
    label = {
        "title": "Not happening",
        "color": "red",
        "is_event_not_happening": True,
        "message": "Postponed\n to next   month",
    }
    meeting = normalise_event({**event, "label": label}, source=SOURCE)
    assert (meeting.status, meeting.label, meeting.label_message) == (
        Status.CANCELLED,
        "Not happening",
        "Postponed to next month",
    )
    for odd in (None, 42, ["x"], ""):
        odd_label = {**label, "message": odd}
        assert normalise_event({**event, "label": odd_label}, source=SOURCE).label_message == ""
    assert normalise_event({**event, "label": None}, source=SOURCE).label_message == ""


def test_old_servers_cancelled_title() -> None:
    """Without labels (Indico < 3.2.6) a 'CANCELLED' title marks the meeting."""
    event = {**results("categ_reader_token_contribs.json")[0], "label": None}
    event["title"] = "CANCELLED: GNN ML WG meeting"
    assert normalise_event(event, source=SOURCE).status is Status.CANCELLED


def test_hidden_events_are_dropped_unless_included() -> None:
    """visibility 'Nowhere' events are exported by Indico but not listed on the site."""
    event = {**results("categ_reader_token_contribs.json")[0]}
    event["visibility"] = {"id": None, "name": "Nowhere"}
    assert normalise_events([event], source=SOURCE, category_id=None) == []
    assert len(normalise_events([event], source=SOURCE, category_id=None, include_hidden=True)) == 1


def test_no_personal_data_beyond_names_and_affiliations() -> None:
    """E-mail hashes, creators and internal ids never reach a Meeting."""
    for meeting in by_id("categ_reader_token_contribs.json").values():
        text = repr(meeting)
        assert "emailHash" not in text and "Lab Admin" not in text
        assert "69843866544001e1e91442ca56328e6d" not in text


def test_protected_events_are_flagged() -> None:
    """hasAnyProtection marks the restricted steering-group meeting."""
    meetings = by_id("categ_reader_token_contribs.json")
    assert meetings["6"].protected and not meetings["3"].protected


def test_empty_description_and_missing_fields_do_not_crash() -> None:
    """An event with only the essentials normalises with empty defaults."""
    event = {
        "id": "42",
        "url": "https://indico.example.org/event/42/",
        "title": None,
        "startDate": {"date": "2026-01-05", "time": "10:00:00", "tz": "UTC"},
        "endDate": {"date": "2026-01-05", "time": "11:00:00", "tz": "UTC"},
        "timezone": "Not/AZone",
    }
    meeting = normalise_event(event, source=SOURCE)
    assert (meeting.title, meeting.description, meeting.talks) == ("", "", ())
    assert meeting.timezone == "UTC"


def test_malformed_dates_raise_a_clear_error() -> None:
    """A startDate that is not {date, time, tz} is a bad response naming the event."""
    event = {**results("categ_reader_token_contribs.json")[0], "startDate": {"date": "soon"}}
    with pytest.raises(IndicoBadResponse, match=r"event http://127\.0\.0\.1:8000/event/1/"):
        normalise_event(event, source=SOURCE)


@pytest.mark.parametrize("zone", ["Not/AZone", "America", "../etc", "Europe/"])
def test_any_bad_zone_name_is_a_clear_error_or_utc(zone: str) -> None:
    """Whatever way zoneinfo refuses a name (a folder such as "America" is an OSError):
    a bad event zone falls back to UTC, a bad date zone is a bad response."""
    event = {**results("categ_reader_token_contribs.json")[0], "timezone": zone}
    assert normalise_event(event, source=SOURCE).timezone == "UTC"
    event["startDate"] = {**event["startDate"], "tz": zone}
    expected = rf"event http://127\.0\.0\.1:8000/event/1/: .*'tz': '{re.escape(zone)}'"
    with pytest.raises(IndicoBadResponse, match=expected):
        normalise_event(event, source=SOURCE)


def test_same_day_meetings_are_both_kept_in_a_stable_order() -> None:
    """Two events on one day (other tools lose one) are both kept, ordered by time then URL."""
    event = results("categ_reader_token_contribs.json")[0]
    twin = {**event, "id": "100", "url": "http://127.0.0.1:8000/event/100/"}
    meetings = normalise_events([twin, event], source=SOURCE, category_id=None)
    assert [m.id for m in meetings] == ["1", "100"]


def test_overrides_correct_type_title_and_hide() -> None:
    """Overrides by URL or id change the type or title, or hide a meeting."""
    meetings = list(by_id("categ_reader_token_contribs.json").values())
    corrected = apply_overrides(
        meetings,
        {
            "http://127.0.0.1:8000/event/3/": Override(type=MeetingType.HYBRID, title="#41"),
            "6": Override(hidden=True),
        },
    )
    result = {m.id: m for m in corrected}
    assert "6" not in result
    assert (result["3"].type, result["3"].title) == (MeetingType.HYBRID, "#41")
    assert result["4"] == next(m for m in meetings if m.id == "4")


def test_a_lecture_is_one_talk_by_its_chairs() -> None:
    """Indico lectures have no contributions: the speaker is the chair."""
    seminar = by_id("categ_reader_token_contribs.json")["9"]
    (talk,) = seminar.talks
    assert talk.title == "Seminar: Equivariant GNNs for particle physics"
    assert [(p.name, p.affiliation) for p in talk.speakers] == [("Jiří Novák", "Fermilab")]
    assert by_id("categ_reader_token_contribs.json")["1"].talks == ()  # a meeting stays empty


def test_talks_sort_by_instant_across_a_dst_fold() -> None:
    """01:45 CDT comes before 01:15 CST on the night clocks go back, whatever the wall clock."""
    event = {**event_41(), "timezone": "America/Chicago"}
    first, second, _ = event["contributions"]
    event["contributions"] = [
        {
            **first,
            "title": "Second",
            "startDate": {"date": "2026-11-01", "time": "07:15:00", "tz": "UTC"},
        },
        {
            **second,
            "title": "First",
            "startDate": {"date": "2026-11-01", "time": "06:45:00", "tz": "UTC"},
        },
    ]
    talks = normalise_event(event, source=SOURCE).talks
    assert [(t.title, t.start.strftime("%H:%M %Z")) for t in talks if t.start] == [
        ("First", "01:45 CDT"),
        ("Second", "01:15 CST"),
    ]


def test_the_same_talk_time_is_shown_in_each_events_own_zone() -> None:
    """Equal talk {date, time, tz} in events of two zones: one instant, each on its own clock."""
    zurich = event_41()
    chicago = {**event_41(), "id": "99", "url": "http://127.0.0.1:8000/event/99/"}
    chicago["timezone"] = "America/Chicago"
    meetings = normalise_events([zurich, chicago], source=SOURCE, category_id=None)
    starts = {m.timezone: m.talks[0].start for m in meetings}
    zurich_start, chicago_start = starts["Europe/Zurich"], starts["America/Chicago"]
    assert zurich_start is not None and chicago_start is not None
    assert zurich_start == chicago_start
    assert zurich_start.tzinfo == ZURICH
    assert chicago_start.tzinfo == ZoneInfo("America/Chicago")


def test_malformed_talk_dates_raise_a_clear_error() -> None:
    """A contribution's startDate that is not {date, time, tz} names the event and the value."""
    event = event_41()
    event["contributions"][1]["startDate"] = {"date": "2026-11-01", "time": "16:99", "tz": "UTC"}
    with pytest.raises(
        IndicoBadResponse, match=r"event http://127\.0\.0\.1:8000/event/3/: .*16:99"
    ):
        normalise_event(event, source=SOURCE)


def test_old_servers_postponed_title_in_any_case() -> None:
    """Without labels, 'postponed' or 'cancelled' in any letter case marks the meeting."""
    event = {**results("categ_reader_token_contribs.json")[0], "label": None}
    postponed = {**event, "title": "GNN ML WG meeting (POSTPONED)"}
    cancelled = {**event, "title": "GNN ML WG meeting - Canceled"}
    assert normalise_event(postponed, source=SOURCE).status is Status.POSTPONED
    assert normalise_event(cancelled, source=SOURCE).status is Status.CANCELLED
    assert normalise_event(event, source=SOURCE).status is Status.SCHEDULED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("startDate", {"date": "0001-01-01", "time": "00:00:00", "tz": "Pacific/Kiritimati"}),
        ("startDate", {"date": "0001-01-01", "time": "00:00:00", "tz": "UTC"}),
        ("endDate", {"date": "9999-12-31", "time": "23:00:00", "tz": "Etc/GMT+12"}),
        ("startDate", {"date": "1899-12-31", "time": "00:00:00", "tz": "UTC"}),
    ],
)
def test_a_date_outside_1900_to_2199_is_a_bad_response_not_an_overflow(
    field: str, value: dict[str, str]
) -> None:
    """0001-01-01 at +14:00 cannot even be converted to UTC (OverflowError crashed the job)."""
    event = {**event_41(), field: value, "timezone": "Pacific/Kiritimati"}
    with pytest.raises(IndicoBadResponse, match=r"expected \{date, time, tz\} from 1900 to 2199"):
        normalise_event(event, source=SOURCE)


def test_a_talk_date_out_of_range_is_a_bad_response() -> None:
    """Talks' dates are checked the same way."""
    event = event_41()
    talk = {**event["contributions"][0], "startDate": {"date": "0001-01-01", "tz": "UTC"}}
    with pytest.raises(IndicoBadResponse, match="from 1900 to 2199"):
        normalise_event({**event, "contributions": [talk]}, source=SOURCE)
