"""The stored meetings file: deterministic text, parsing, what it records, its errors."""

from __future__ import annotations

import difflib
import json
import pickle
import re
import sys
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from helpers import EXAMPLE_SITE, TEMPLATES, alias_bomb

from indico_sync.cli import main
from indico_sync.errors import SnapshotError
from indico_sync.meetings import (
    Material,
    MaterialKind,
    Meeting,
    Minutes,
    Person,
    Talk,
    sort_meetings,
)
from indico_sync.snapshot import (
    HEADER,
    Snapshot,
    load_snapshot,
    parse_snapshot,
    parse_snapshot_bytes,
    parse_snapshot_file,
    read_canonical,
    render_snapshot,
)
from indico_sync.snapshot_fields import meeting_to_dict
from indico_sync.sync.normalise import normalise_events

FIXTURES = Path(__file__).parent / "fixtures" / "indico"
SOURCE = "http://127.0.0.1:8000/category/1"
ZURICH = ZoneInfo("Europe/Zurich")
WINDOW = (date(2026, 1, 1), date(2027, 12, 31))
UPDATED = datetime(2026, 11, 22, 12, tzinfo=UTC)


def meetings() -> list[Meeting]:
    data = json.loads((FIXTURES / "categ_reader_token_contribs.json").read_text(encoding="utf-8"))
    return normalise_events(data["results"], source=SOURCE, category_id=None)


def test_round_trip_is_lossless() -> None:
    """Rendering then parsing gives back equal meetings, zones and talks included."""
    original = meetings()
    parsed = parse_snapshot(render_snapshot(original), path=Path("m.yml"))
    assert parsed == original
    assert parsed[0].start.tzinfo == original[0].start.tzinfo


def test_rendering_is_deterministic_whatever_the_input_order() -> None:
    """The same meetings in any order give the same bytes; unicode stays readable."""
    original = meetings()
    text = render_snapshot(original)
    assert render_snapshot(reversed(original)) == text
    assert "Søgaard" in text and "\\u" not in text
    assert text.endswith("\n") and "\r" not in text
    assert "emailHash" not in text and "@" not in text


def test_example_seed_snapshot_holds_the_seed_meeting() -> None:
    """The example site's snapshot has the 8 April 2022 15:00 CEST Zoom meeting with three talks."""
    (meeting,) = load_snapshot(EXAMPLE_SITE)
    assert meeting.url == "https://indico.cern.ch/event/1141191/"
    assert meeting.start.strftime("%d %B %Y %H:%M %Z") == "08 April 2022 15:00 CEST"
    assert [t.speakers[0].name for t in meeting.talks] == [
        "Thorsten Glüsenkamp",
        "Daniel Guderian",
        "Stephan Meighen-Berger",
    ]
    assert meeting.type is not None and meeting.type.label == "Zoom"


def test_missing_snapshot_is_empty(tmp_path: Path) -> None:
    """A site with no snapshot yet has no meetings."""
    assert load_snapshot(tmp_path) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("meetings: [", r"\.yml:2: not valid YAML: did not find expected node content; restore"),
        ("- 1", "expected a mapping with a 'meetings' list"),
        ("version: 1\n", "expected a mapping with a 'meetings' list; restore it from git"),
        ('{"version": 1}', "expected a mapping with a 'meetings' list"),
        ("version: 9\nmeetings: []", "version 9 is not 1"),
        ("meetings:\n- {id: '1'}", r"meetings\[0\]: timezone: missing$"),
        (
            "meetings:\n- {id: '1', timezone: UTC, url: u, title: t, source: s, "
            "start: yesterday, end: '2026-01-01T10:00:00+00:00'}",
            r"meetings\[0\]: start: expected a date-time with offset, got 'yesterday'",
        ),
        (
            "meetings:\n- {id: '1', timezone: UTC, url: u, title: t, source: s, "
            "start: '2026-01-01T10:00:00+00:00', end: '2026-01-01T11:00:00+00:00', type: tv}",
            "type: expected one of zoom",
        ),
        (  # a folder of the tz database, not a zone: ZoneInfo raises IsADirectoryError
            "meetings:\n- {id: '1', timezone: America, url: u, title: t, source: s, "
            "start: '2026-01-01T10:00:00+00:00', end: '2026-01-01T11:00:00+00:00'}",
            r"meetings\[0\]: timezone: unknown time zone 'America'",
        ),
    ],
)
def test_invalid_snapshots_name_file_entry_and_key(text: str, expected: str) -> None:
    """A broken snapshot is one error naming the file, the entry and the key."""
    with pytest.raises(SnapshotError, match=expected) as caught:
        parse_snapshot(text, path=Path("site_src/_data/meetings.yml"))
    assert str(caught.value).startswith(
        ("site_src/_data/meetings.yml: ", "site_src/_data/meetings.yml:2: ")
    )


_MEETING = (
    "meetings:\n- {id: '1', timezone: UTC, url: u, title: t, source: s, "
    "start: '2026-01-01T10:00:00+00:00', end: '2026-01-01T11:00:00+00:00', "
)


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("talks: [{title: x, speakers: [Ada]}]}", r"meetings\[0\]: name: missing$"),
        ("talks: [{title: x, speakers: [{name: 3}]}]}", "name: expected str, got 3"),
        ("talks: [{title: x, speakers: [{name: a, affiliation: 1}]}]}", "affiliation: expected"),
        ("talks: [{speakers: Ada}]}", "title: missing"),  # the title is checked first
        ("talks: [{title: x, speakers: Ada}]}", "speakers: expected list, got 'Ada'"),
        ("materials: [{title: s, url: u, kind: [slides]}]}", "kind: expected str, got"),
        ("materials: [{title: s, url: u, kind: talk}]}", "kind: expected one of slides"),
        ("materials: [{title: s, url: 5, kind: slides}]}", "url: expected str, got 5"),
        ("materials: [{title: s, url: u, kind: slides, size: yes}]}", "size: expected int or None"),
        ("materials: [{url: u, kind: slides, size: yes}]}", "title: missing"),
    ],
)
def test_bad_talks_speakers_and_materials_name_their_key(rest: str, expected: str) -> None:
    """The checks `Shared` makes inline give the same one-line errors as the others,
    in the same order, never a traceback (a speaker that is not a mapping, say)."""
    with pytest.raises(SnapshotError, match=expected):
        parse_snapshot(_MEETING + rest, path=Path("m.yml"))


def test_the_file_is_json_and_yaml_alike() -> None:
    """Jekyll and YAML tools read the JSON-syntax file the same as a JSON parser does."""
    text = render_snapshot(meetings())
    body = text.split("\n", 3)[3]
    assert yaml.safe_load(text) == json.loads(body)
    assert (
        '\n    {"id": "3", "start": "2026-11-01T16:00:00+01:00", '
        '"title": "GNN ML WG meeting #41",\n' in text
    )


def test_hand_edited_block_yaml_is_still_read() -> None:
    """A snapshot rewritten in block-style YAML by a person loads the same meetings."""
    original = meetings()
    data = yaml.safe_load(render_snapshot(original))
    block = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    assert parse_snapshot(block, path=Path("m.yml")) == original


@pytest.mark.parametrize("text", ["", "\n \n", "# a comment\n", None])
def test_an_empty_snapshot_is_an_error(tmp_path: Path, text: str | None) -> None:
    """A zero-byte (or comments-only) snapshot is not 'no meetings': it names the file."""
    path = tmp_path / "_data" / "meetings.yml"
    path.parent.mkdir()
    path.write_text(render_snapshot([])[: len(HEADER)] if text is None else text, "utf-8")
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(tmp_path)
    assert str(caught.value) == (
        f"{path}: empty, expected a mapping with a 'meetings' list; "
        f"restore it from git: git checkout -- {path}"
    )


def test_only_an_empty_meetings_list_means_no_meetings() -> None:
    """`"meetings": []`, as sync writes it for a category without events, is no meetings."""
    assert parse_snapshot(render_snapshot([]), path=Path("m.yml")) == []


@pytest.mark.parametrize(
    ("cut", "expected"),
    [
        (300, r"^m\.yml:\d+:\d+: the file ends early \(cut off\?\): Unterminated string; "),
        (-3, r"^m\.yml:\d+:\d+: the file ends early \(cut off\?\): Expecting ',' delimiter; "),
        (len(HEADER) + 2, r"^m\.yml:5:1: the file ends early \(cut off\?\): Expecting property"),
    ],
)
def test_a_truncated_snapshot_is_reported_in_json_terms(cut: int, expected: str) -> None:
    """A snapshot cut off mid-write is an error with its line and column, not a YAML message."""
    text = render_snapshot(meetings())[:cut]
    with pytest.raises(SnapshotError, match=expected) as caught:
        parse_snapshot(text, path=Path("m.yml"))
    assert str(caught.value).endswith("restore it from git: git checkout -- m.yml")
    assert "YAML" not in str(caught.value)


def test_broken_json_names_line_and_column() -> None:
    """A JSON snapshot with a missing ':' says where, in JSON's terms."""
    text = render_snapshot(meetings()).replace('"title": ', '"title" ', 1)
    line = text.split("\n").index(next(x for x in text.split("\n") if '"title" ' in x)) + 1
    column = text.split("\n")[line - 1].index('"title" ') + len('"title" ') + 1
    with pytest.raises(
        SnapshotError, match=rf"^m\.yml:{line}:{column}: not valid JSON: Expecting ':'"
    ):
        parse_snapshot(text, path=Path("m.yml"))


def test_the_label_message_round_trips_and_old_snapshots_still_load() -> None:
    """The label message is stored; a snapshot without it (as before) loads with ""."""
    original = [replace(m, label="Not happening", label_message="Postponed") for m in meetings()]
    text = render_snapshot(original)
    assert '"label": "Not happening", "label_message": "Postponed", ' in text
    assert parse_snapshot(text, path=Path("m.yml")) == original
    old = render_snapshot(meetings())
    assert "label_message" not in old  # only written when there is one: no churn
    assert all(m.label_message == "" for m in parse_snapshot(old, path=Path("m.yml")))


def test_an_alias_bomb_in_a_hand_edited_snapshot_is_one_quick_error() -> None:
    """The snapshot never uses aliases: refused at once, naming the line."""
    started = time.perf_counter()
    with pytest.raises(SnapshotError) as caught:
        parse_snapshot(alias_bomb(), path=Path("site_src/_data/meetings.yml"))
    assert time.perf_counter() - started < 1
    assert str(caught.value) == (
        "site_src/_data/meetings.yml:2: YAML aliases (*name) are not accepted; write the value out"
    )


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    """200,000 nested brackets overflow the JSON parser's recursion: one SnapshotError."""
    with pytest.raises(SnapshotError, match="nested too deeply"):
        parse_snapshot("[" * 200_000 + "]" * 200_000, path=Path("meetings.yml"))


def test_every_line_a_change_touches_is_near_the_line_naming_its_meeting() -> None:
    """A change anywhere in a meeting (its last talk, its description) gives a diff hunk,
    with git's default three lines of context, that shows the meeting's id, start and title."""
    original = meetings()
    talks = tuple(Talk(title=f"Talk {n}", speakers=(Person(name=f"P{n}"),)) for n in range(12))
    original[1] = replace(original[1], talks=talks)
    target = original[1]
    naming = f'{{"id": "{target.id}", "start": "{target.start.isoformat()}", "title": '
    for changed in (
        replace(target, talks=(*talks[:-1], replace(talks[-1], speakers=()))),
        replace(target, description="<p>new</p>"),
        replace(target, location="CERN", end=target.end.replace(hour=23)),
        replace(target, title="Renamed"),
    ):
        new = [changed if m is target else m for m in original]
        before, after = render_snapshot(original), render_snapshot(new)
        diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), n=3))
        hunks = "\n".join(diff[2:]).split("\n@@")
        assert len(hunks) == 1, hunks
        assert naming in hunks[0], hunks[0]


def test_each_meeting_is_the_same_mapping_an_older_loader_reads() -> None:
    """The layout changed, the data did not: every entry is `meeting_to_dict` (key order
    included), so a file written now loads in an indico_sync that predates the layout."""
    original = meetings()
    text = render_snapshot(original, with_token=True, updated=UPDATED)
    data = json.loads(text.split("\n", 3)[3])
    assert data["meetings"] == [meeting_to_dict(m) for m in original]
    assert [list(entry) for entry in data["meetings"]] == [
        list(meeting_to_dict(m)) for m in original
    ]
    assert (data["version"], data["with_token"], data["updated"]) == (
        1,
        True,
        "2026-11-22T12:00:00+00:00",
    )
    assert yaml.safe_load(text) == data


def test_what_the_file_records_about_the_sync_round_trips() -> None:
    """`with_token` and `updated` load back; a file without them loads with neither."""
    original = meetings()
    snapshot = parse_snapshot_file(
        render_snapshot(original, with_token=False, updated=UPDATED), path=Path("m.yml")
    )
    assert snapshot == Snapshot(meetings=original, with_token=False, updated=UPDATED)
    old = parse_snapshot_file(render_snapshot(original), path=Path("m.yml"))
    assert (old.with_token, old.updated) == (None, None)
    assert old.synced_with_token  # event 6 is protected: only a token fetched it
    public = [m for m in original if not m.protected]
    assert not parse_snapshot_file(render_snapshot(public), path=Path("m.yml")).synced_with_token
    with pytest.raises(SnapshotError, match=r"m.yml: with_token: expected bool, got 'yes'"):
        parse_snapshot_file('{"with_token": "yes", "meetings": []}', path=Path("m.yml"))
    with pytest.raises(SnapshotError, match=r"m.yml: updated: expected a date-time with offset"):
        parse_snapshot_file('{"updated": "2026-11-22", "meetings": []}', path=Path("m.yml"))


def test_check_warns_about_an_override_for_an_event_not_in_the_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One warning line per override that matches no stored meeting, naming its key;
    overrides that match (by URL or id) and `hidden` ones (never stored) stay quiet."""
    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / "meetings.yml").write_text(render_snapshot(meetings()), "utf-8")
    (tmp_path / "index.md").write_text("---\ntitle: Home\n---\n{% include meetings.html %}\n")
    (tmp_path / "_config.yml").write_text(
        "indico:\n  sources: [{url: 'http://127.0.0.1:8000', category: 1}]\n  overrides:\n"
        "    '1234567': {type: zoom}\n"
        "    'http://127.0.0.1:8000/event/3': {title: Kick-off}\n"
        "    '4': {type: hybrid}\n"
        "    '7654321': {hidden: true}\n",
        encoding="utf-8",
    )
    args = ["check", "--source", str(tmp_path), "--templates", str(TEMPLATES)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "warning: indico.overrides: no stored meeting has the event '1234567'; "
        "check the event URL or id (the override does nothing)"
    ]


def test_text_yaml_would_misread_is_escaped() -> None:
    """DEL, C1 controls, NEL, line separators and lone surrogates (all possible in Indico's
    JSON) are written as \\u escapes: the file stays UTF-8, valid YAML, and the same data."""
    [first, *rest] = meetings()
    odd = "a\x7fb\x85c\x9bd\u2028e\u2029f\ud800g"
    text = render_snapshot([replace(first, title=odd, description=odd), *rest])
    text.encode("utf-8")  # no lone surrogate left to fail here
    assert "\\u0085" in text and "\\ud800" in text and "\x85" not in text
    assert yaml.safe_load(text) == json.loads(text.split("\n", 3)[3])
    assert parse_snapshot(text, path=Path("m.yml"))[0].title == odd


def test_every_character_yaml_would_misread_is_found_alone() -> None:
    """Each such character, the only one in the file, is still escaped."""
    first = meetings()[0]
    for code in (*range(0x7F, 0xA0), 0x2028, 0x2029, 0xD800, 0xDFFF):
        text = render_snapshot([replace(first, title=f"x{chr(code)}y")])
        assert chr(code) not in text and f"x\\u{code:04x}y" in text, hex(code)


@pytest.mark.parametrize("header", [{}, {"with_token": True, "updated": UPDATED}])
@pytest.mark.parametrize("count", [0, 1, None])
def test_the_written_file_is_read_meeting_by_meeting(header: dict[str, Any], count: int) -> None:
    """What `render_snapshot` writes takes the one-meeting-at-a-time path and gives what
    reading the whole text gives: meetings, their zones, with_token and updated."""
    text = render_snapshot(meetings()[:count], **header)
    canonical = read_canonical(text.encode())
    assert canonical is not None
    assert canonical == parse_snapshot_file(text, path=Path("m.yml"))
    assert canonical == parse_snapshot_bytes(text.encode(), path=Path("m.yml"))
    assert [m.start.tzinfo for m in canonical.meetings] == [m.start.tzinfo for m in meetings()][
        :count
    ]


def _edits() -> list[tuple[str, str]]:
    """Broken or hand-edited variants of a written file, by name."""
    text = render_snapshot(meetings(), with_token=True, updated=UPDATED)
    bad_type = text.replace('"type": "zoom"', '"type": "tv"', 1)
    last_title = bad_type.rindex('"title": ')  # in a meeting after the bad type
    return [
        ("cut in a meeting", text[:1500]),
        ("cut before the bracket", text[:-5]),
        ("cut after a meeting", text[: text.index('"id": "3"')]),
        ("a bad type", bad_type),
        ("a bad type, then cut off", bad_type[:-3]),
        (
            "a bad type, then broken JSON",
            f'{bad_type[:last_title]}"title" {bad_type[last_title + 9 :]}',
        ),
        ("version 2", text.replace('"version": 1', '"version": 2')),
        ("a bad with_token", text.replace('"with_token": true', '"with_token": "yes"')),
        ("a bad updated", text.replace('"updated": "2026-11-22T12:00:00+00:00"', '"updated": 1')),
        ("two meetings on a line", text.replace('"},\n    {"id"', '"}, {"id"', 1)),
        ("CRLF line ends", text.replace("\n", "\r\n")),
        ("no comment", text.removeprefix(HEADER)),
        ("a blank line first", "\n" + text),
        ("trailing space", text + " "),
        (
            "block YAML",
            yaml.safe_dump({"meetings": json.loads(text.split("\n", 3)[3])["meetings"]}),
        ),
        ("a meeting that is a list", text.replace('    {"id": "3"', '    ["3"],{"id": "3"', 1)),
        ("nested too deeply", text.replace('"description": ""', '"description": ' + "[" * 99999)),
        ("a key twice", text.replace('"version": 1,', '"version": 1, "version": 3,')),
    ]


@pytest.mark.parametrize(("name", "text"), _edits())
def test_any_other_file_is_read_whole_with_the_same_result_or_error(name: str, text: str) -> None:
    """A file laid out otherwise, or wrong anywhere, gives the meetings or the error (the
    first one, in the same terms) that reading its whole text gives."""
    path = Path("site_src/_data/meetings.yml")
    try:
        expected: object = parse_snapshot_file(text, path=path)
    except SnapshotError as exc:
        expected = str(exc)
    try:
        got: object = parse_snapshot_bytes(text.encode(), path=path)
    except SnapshotError as exc:
        got = str(exc)
    assert got == expected
    assert (read_canonical(text.encode()) is not None) is (name == "no comment")


def test_a_file_not_in_utf8_cannot_be_read() -> None:
    """Bytes that are not UTF-8, in a meeting or in the head, are one error naming the file."""
    data = render_snapshot(meetings()).encode()
    for broken in (data.replace("Søgaard".encode(), b"S\xf8gaard"), b"\xff" + data):
        with pytest.raises(SnapshotError, match=r"^m\.yml: cannot read: 'utf-8' codec can't"):
            parse_snapshot_bytes(broken, path=Path("m.yml"))


def test_repeated_values_are_stored_once() -> None:
    """Speakers, affiliations, the source and talk titles met again in a file are the same
    objects, so thousands of meetings keep one copy of each."""
    talk = Talk(title="Status", speakers=(Person(name="Søgaard", affiliation="NBI"),))
    many = [replace(m, talks=(talk,)) for m in meetings()]
    for loaded in (
        parse_snapshot(render_snapshot(many), path=Path("m.yml")),
        parse_snapshot_bytes(render_snapshot(many).encode(), path=Path("m.yml")).meetings,
    ):
        assert loaded == sort_meetings(many)
        first, second = loaded[0], loaded[1]
        assert first.talks[0].speakers is second.talks[0].speakers
        assert first.talks[0].title is second.talks[0].title
        assert first.source is second.source


def test_a_big_snapshot_is_rendered_without_copies_of_the_whole_text() -> None:
    """2,000 meetings: the text is joined once from the meetings' blocks, so rendering
    allocates at most 2.5 times the text at its peak (each copy of the whole was one more)."""
    base = meetings()
    many = [
        replace(base[n % len(base)], id=str(n), url=f"http://127.0.0.1:8000/event/{n}/")
        for n in range(2000)
    ]
    render_snapshot(many[:2])
    tracemalloc.start()
    try:
        text = render_snapshot(many)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert parse_snapshot(text, path=Path("m.yml")) == sort_meetings(many)
    assert peak < 2.5 * sys.getsizeof(text), (peak, sys.getsizeof(text))


# --- details read when used (`meetings.Later`) ----------------------------------------------


def _with_materials() -> list[Meeting]:
    """The recorded meetings, one with a material flagged protected (a `full` sync)."""
    found = meetings()
    talked = next(index for index, m in enumerate(found) if m.talks)
    talk = found[talked].talks[0]
    hidden = Material(title="Backup", url="https://indico.example/b.pdf", kind=MaterialKind.SLIDES)
    talks = (replace(talk, materials=(replace(hidden, protected=True),)), *found[talked].talks[1:])
    found[talked] = replace(found[talked], talks=talks, minutes=Minutes(html="<p>m</p>"))
    return found


def test_meetings_read_later_are_the_meetings_read_whole() -> None:
    """Read with `later`, each meeting holds back its talks, materials, minutes and
    description until one of them is used; then it is the meeting read whole, and compares,
    prints, copies and pickles as one. The flags say which may hold (protected) materials."""
    text = render_snapshot(_with_materials(), with_token=True, updated=UPDATED)
    whole = read_canonical(text.encode())
    later = read_canonical(text.encode(), later=Path("m.yml"))
    assert whole is not None and later is not None
    assert all(m.later is not None for m in later.meetings)
    flags = [(m.later.protected, m.later.materials) for m in later.meetings if m.later]
    expected = [
        (any(x.protected for t in m.talks for x in t.materials), bool(m.minutes or m.materials))
        for m in whole.meetings
    ]
    assert flags[0] == (False, False) and (True, True) in flags
    for (protected, materials), (has_protected, has_materials) in zip(flags, expected, strict=True):
        assert (protected or not has_protected) and (materials or not has_materials)
    first = later.meetings[0]
    assert (first.title, first.start, first.location) == (
        whole.meetings[0].title,
        whole.meetings[0].start,
        whole.meetings[0].location,
    )
    assert first.later is not None  # the head alone: nothing held back was read
    assert first.description == whole.meetings[0].description and first.later is None
    assert later.meetings[1].later is not None  # one at a time
    assert later.meetings == whole.meetings  # comparing reads the rest
    assert all(m.later is None for m in later.meetings)
    again = read_canonical(text.encode(), later=Path("m.yml"))
    assert again is not None
    assert [repr(m) for m in again.meetings] == [repr(m) for m in whole.meetings]
    again = read_canonical(text.encode(), later=Path("m.yml"))
    assert again is not None
    assert pickle.loads(pickle.dumps(again.meetings)) == whole.meetings
    again = read_canonical(text.encode(), later=Path("m.yml"))
    assert again is not None
    assert [replace(m, title="x") for m in again.meetings] == [
        replace(m, title="x") for m in whole.meetings
    ]
    again = read_canonical(text.encode(), later=Path("m.yml"))
    assert again is not None
    assert [hash(m) for m in again.meetings] == [hash(m) for m in whole.meetings]


def test_the_policies_pass_over_a_meeting_read_later_only_when_it_has_nothing_to_drop() -> None:
    """`indico.protected: title` and `indico.materials: false` give for meetings read later
    what they give for meetings read whole; a meeting with nothing to drop is not read."""
    from indico_sync.config import IndicoConfig
    from indico_sync.meetings import Protection
    from indico_sync.policy import publishable

    text = render_snapshot(_with_materials()).encode()
    whole = read_canonical(text)
    assert whole is not None
    for materials in (True, False):
        indico = IndicoConfig(sources=(), protected=Protection.TITLE, materials=materials)
        later = read_canonical(text, later=Path("m.yml"))
        assert later is not None
        published = publishable(later.meetings, indico)
        bare = [m for m in published if m.later is not None]
        assert bare, "a meeting without materials is passed over unread"
        assert all(not m.protected for m in bare)
        assert published == publishable(whole.meetings, indico)
        backup = [x.title for m in published for t in m.talks for x in t.materials]
        assert "Backup" not in backup


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"speakers": [', '"speakers": "Ada", "x": [', "speakers: expected list, got 'Ada'"),
        ('"description": "', '"description": 7, "y": "', "description: expected str, got 7"),
        (
            ',\n     "description": ',
            ', "title": "Other",\n     "description": ',
            "title: given twice",
        ),
    ],
)
def test_a_bad_detail_read_later_is_one_error_naming_the_file_and_meeting(
    old: str, new: str, expected: str
) -> None:
    """Held-back details are checked when read, with the error reading the whole file
    gives (a key given twice, which only this layout can tell, is an error too)."""
    text = render_snapshot(meetings())
    index = next(i for i, m in enumerate(sort_meetings(meetings())) if m.talks)
    blocks = text.split("\n    {")
    blocks[index + 1] = blocks[index + 1].replace(old, new, 1)
    broken = "\n    {".join(blocks)
    later = read_canonical(broken.encode(), later=Path("m.yml"))
    assert later is not None
    with pytest.raises(SnapshotError) as caught:
        later.meetings[index].read()
    assert str(caught.value) == f"m.yml: meetings[{index}]: {expected}"
    if "twice" not in expected:
        with pytest.raises(SnapshotError, match=re.escape(str(caught.value))):
            parse_snapshot_file(broken, path=Path("m.yml"))
