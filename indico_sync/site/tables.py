"""Home's meetings tables: made once as text, or written piece by piece into a page.

At 10,000 meetings the tables are 17 MB of HTML; a page holding them is written to the
new output as Jinja makes it (`Tables.write`), never whole in memory, and each row is
made when the loop reaches it. `RowCache` takes the rows the last build made, by key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from jinja2 import Environment
from markupsafe import Markup

from indico_sync.config import Config
from indico_sync.meetings import Meeting
from indico_sync.site.agenda import Agenda, MeetingRow, Rows, build_agenda
from indico_sync.site.templating import render_template, stream_template

if TYPE_CHECKING:
    from indico_sync.site.render import SiteView
    from indico_sync.writer import Stage

PLACE = f"\0{os.urandom(8).hex()}\0"  # not `secrets`: 5 ms of imports at every start
"""Where the meetings tables go in a page written piece by piece: in no page's text."""


class RowCache:
    """Home's rows as HTML by key: each meeting's page key (`meeting_pages.page_keys`:
    its meeting, the templates, the code and the config), marked when it is the next
    meeting. A row whose key the last build made is not made again; every row made or
    taken is handed to `record`, for the next build (`build.py` keeps them on disk)."""

    def __init__(
        self,
        keys: Mapping[str, str],
        old: Mapping[str, str],
        record: Callable[[str, str], None] | None = None,
    ) -> None:
        self.keys, self.old, self.record = keys, old, record

    def rows(self, env: Environment, rows: Sequence[MeetingRow]) -> Sequence[object]:
        """`rows` as the tables loop over them: HTML where it is known, else made here."""
        if not isinstance(rows, Rows):
            return rows
        macro = env.get_template("partials/meeting_row.html").module.meeting_row  # type: ignore[attr-defined]
        return _RowsHtml(rows, lambda meeting: self._html(meeting, rows, macro))

    def _html(self, meeting: Meeting, rows: Rows, macro: Callable[[MeetingRow], str]) -> Markup:
        page = self.keys.get(meeting.page_slug)
        key = f"{page}{'+next' if meeting is rows.following else ''}" if page else ""
        html = self.old.get(key) if key else None
        if html is None:
            html = str(macro(rows.make(meeting)))
        if key and self.record is not None:
            self.record(key, html)
        return Markup(html)  # the macro's output, escaped there  # noqa: S704


class _RowsHtml(Sequence[Markup]):
    """A table's rows as HTML, each made when the loop reaches it."""

    def __init__(self, rows: Rows, html: Callable[[Meeting], Markup]) -> None:
        self.meetings, self.html = rows.meetings, html

    def __len__(self) -> int:
        return len(self.meetings)

    def __getitem__(self, index: int) -> Markup:  # type: ignore[override]
        return self.html(self.meetings[index])

    def __iter__(self) -> Iterator[Markup]:
        return map(self.html, self.meetings)


class Tables:
    """The meetings tables (`partials/meetings.html`): made once as text for the pages that
    need it so, or written piece by piece into a page (at 10,000 meetings, 17 MB)."""

    def __init__(
        self,
        env: Environment,
        site: SiteView,
        config: Config,
        meetings: Sequence[Meeting],
        now: datetime,
        rows: RowCache | None = None,
    ) -> None:
        self.env, self.site, self.config, self.meetings, self.now = env, site, config, meetings, now
        self.cache = rows
        self.made: Agenda | None = None
        self.rendered: str | None = None

    def agenda(self) -> Agenda:
        if self.made is None:
            config = self.config
            zone, base = config.timezone, config.baseurl
            agenda = build_agenda(self.meetings, now=self.now, zone=zone, baseurl=base)
            if self.cache is not None:
                upcoming = self.cache.rows(self.env, agenda.upcoming)
                past = self.cache.rows(self.env, agenda.past)
                agenda = replace(agenda, upcoming=upcoming, past=past)  # type: ignore[arg-type]
            self.made = agenda
        return self.made

    def text(self) -> str:
        if self.rendered is None:
            name = "partials/meetings.html"
            table = render_template(self.env, name, site=self.site, agenda=self.agenda())
            self.rendered = table.decode()
        return self.rendered

    def write(self, stage: Stage, path: str, page: str, *, count: int) -> bytes:
        """`page` (rendered with `PLACE` for the tables) written to `stage` as `path`,
        the tables made piece by piece where `PLACE` is."""
        parts = page.split(PLACE)
        if len(parts) != count + 1:  # a layout that repeats or changes the content
            return page.replace(PLACE, self.text()).encode()

        def pieces() -> Iterator[str]:
            yield parts[0]
            for part in parts[1:]:
                if self.rendered is not None:
                    yield self.rendered
                else:
                    agenda = self.agenda()
                    yield from stream_template(
                        self.env, "partials/meetings.html", site=self.site, agenda=agenda
                    )
                yield part

        return stage.put_pieces(path, pieces())
