"""Add to the Indico lab what the meetings archive handles (issue 12): materials and minutes.

The lab (`indico-lab/`, beside this project) starts a real Indico 3.3 on 127.0.0.1 and fills
it with `populate.py`; this script adds, through Indico's own Python API, what
`tests/fixtures/indico/MATERIALS.md` describes: file attachments (small PDFs) and links,
named folders ("Slides", "Recordings"), a recording link, an attachment and a folder that are
protected but readable by the reader token, folders nobody but the manager may read, a
`javascript:` link, minutes with `<script>` and `<img onerror>`, a talk's minutes, and the
minutes and a file of the protected event. Run it once, after the lab's `populate.sh`:

    . /path/to/indico-lab/env.sh && no_egress && cd "$LAB" && \
        INDICO_CONFIG=$INDICO_CONFIG "$VENV/bin/python" /path/to/tests/lab/add_materials.py
    redis-cli -h 127.0.0.1 -p 6380 -n 1 --scan --pattern '*legacy-http-api*' \
        | xargs -r redis-cli -h 127.0.0.1 -p 6380 -n 1 del    # the export cache, as populate.sh

then the lab's `capture.sh` records the responses. It is not part of the test suite (it needs
the lab's Python 3.12 with Indico installed) and is not run by `.ci/run`.
"""

# mypy: ignore-errors

import sys
from io import BytesIO

from indico.web.flask.app import make_app

EVENT_41 = "GNN ML WG meeting #41"
EVENT_39 = "GNN ML WG meeting #39"
STEERING = "GNN ML WG steering group (restricted)"
MARKER = "Internal notes (WG members)"  # present: the script already ran
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def pdf(text: str) -> bytes:
    """A small, valid one-page PDF showing `text`."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


app = make_app()

with app.app_context():
    from flask import session
    from indico.core.config import config
    from indico.core.db import db
    from indico.core.db.sqlalchemy.descriptions import RenderMode
    from indico.core.db.sqlalchemy.protection import ProtectionMode
    from indico.modules.attachments.models.attachments import (
        Attachment,
        AttachmentFile,
        AttachmentType,
    )
    from indico.modules.attachments.models.folders import AttachmentFolder
    from indico.modules.events.models.events import Event
    from indico.modules.events.notes.models.notes import EventNote
    from indico.modules.users import User

    with app.test_request_context(base_url=config.BASE_URL):
        admin = User.query.filter_by(email="admin@indico-lab.invalid").one()
        reader = User.query.filter_by(email="reader@indico-lab.invalid").one()
        session.set_session_user(admin)

        def event(title):
            return Event.query.filter_by(title=title, is_deleted=False).one()

        def talk(ev, prefix):
            return next(c for c in ev.contributions if c.title.startswith(prefix))

        def folder(owner, title=None, *, protected=False, always_visible=True, readers=()):
            if title is None:
                made = AttachmentFolder.get_or_create_default(linked_object=owner)
            else:
                made = AttachmentFolder(title=title, object=owner)
                made.is_always_visible = always_visible
            if protected:
                made.protection_mode = ProtectionMode.protected
            for principal in readers:
                made.update_principal(principal, read_access=True)
            db.session.add(made)
            return made

        def link(into, title, url, *, protected=False, readers=()):
            made = Attachment(folder=into, user=admin, title=title, type=AttachmentType.link,
                              link_url=url)  # fmt: skip
            return _protect(made, protected, readers)

        def file(into, title, filename, data, content_type, *, protected=False, readers=()):
            made = Attachment(folder=into, user=admin, title=title, type=AttachmentType.file)
            made.file = AttachmentFile(user=admin, filename=filename, content_type=content_type)
            made.file.save(BytesIO(data))  # after the folder is set: the storage path needs it
            return _protect(made, protected, readers)

        def _protect(made, protected, readers):
            if protected:
                made.protection_mode = ProtectionMode.protected
            for principal in readers:
                made.update_principal(principal, read_access=True)
            db.session.flush()
            return made

        def minutes(owner, html):
            EventNote.get_or_create(owner).create_revision(RenderMode.html, html, admin)

        meeting = event(EVENT_41)
        if any(a.title == MARKER for f in meeting.attachment_folders for a in f.attachments):
            print("the materials are already there; nothing to do")
            sys.exit(0)

        # Event #41, event level: the default folder (made by populate.py, with "Agenda notes")
        default = folder(meeting)
        file(default, "Agenda (PDF)", "agenda.pdf", pdf("Agenda"), "application/pdf")
        link(default, "Click me", "javascript:alert(1)")
        recordings = folder(meeting, "Recordings")
        link(recordings, "Zoom recording", "https://zoom.us/rec/share/abc")
        link(recordings, "Video of the meeting", "https://www.youtube.com/watch?v=abcdefghijk")
        internal = folder(
            meeting, "Internal", protected=True, always_visible=False, readers=[reader]
        )
        file(internal, MARKER, "internal-notes.pdf", pdf("Internal"), "application/pdf")
        conveners = folder(meeting, "Conveners only", protected=True, always_visible=False)
        link(conveners, "Budget sheet", "https://example.org/conveners/budget")
        restricted = folder(meeting, "Restricted (always visible)", protected=True)
        file(restricted, "Referee report", "referee-report.pdf", pdf("Referee"), "application/pdf")

        # Its first talk: protected items in the public default folder, and a "Slides" folder
        first = talk(meeting, "GraphNeT")
        first_default = folder(first)
        backup = pdf("Backup")
        file(first_default, "Backup slides (WG only)", "backup.pdf", backup, "application/pdf",
             protected=True, readers=[reader])  # fmt: skip
        link(first_default, "Unreleased results", "https://example.org/unreleased", protected=True)
        slides = folder(first, "Slides")
        file(slides, "GraphNeT status slides", "graphnet-status.pdf", pdf("GraphNeT"),
             "application/pdf")  # fmt: skip

        # Its second talk: PowerPoint slides, a recording, and the talk's own minutes
        second = talk(meeting, "Normalizing flows")
        pptx = b"PK\x03\x04" + b"\0" * 40  # only the type matters here (44 bytes, as recorded)
        file(folder(second, "Slides"), "Normalizing flows (PowerPoint)", "normalizing-flows.pptx",
             pptx, PPTX)  # fmt: skip
        link(folder(second, "Recordings"), "Talk recording", "https://youtu.be/abcdefghijk")
        minutes(second, "<p>Questions on the <em>flow</em> architecture; see the slides.</p>")

        # Event #39: minutes with ordinary formatting, then what a sanitiser must remove
        minutes(
            event(EVENT_39),
            "<h2>Minutes</h2>\n"
            "<p>Present: <strong>Andreas Søgaard</strong>, <em>Thorsten Glüsenkamp</em>.</p>\n"
            "<ul><li>GraphNeT 2.1 release &amp; tagging</li>"
            "<li>Next meeting in two weeks</li></ul>\n"
            '<p>See the <a href="https://example.org/wiki">wiki</a>.</p>\n'
            "<script>alert(1)</script>\n"
            "<img src=x onerror=alert(1)>\n",
        )

        # The protected event (the reader may read it): minutes and a file in its default folder
        steering = event(STEERING)
        minutes(steering, "<p>Steering minutes: budget 2027 agreed (confidential).</p>")
        file(folder(steering), "Steering agenda", "steering-agenda.pdf", pdf("Steering"),
             "application/pdf")  # fmt: skip

        db.session.commit()
        print("added the materials and minutes of tests/fixtures/indico/MATERIALS.md")
