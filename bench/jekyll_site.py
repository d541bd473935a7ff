"""The same content as a Jekyll + minima site, using only Debian-packaged gems.

The source folder is used as it is (it is Jekyll-shaped: `_config.yml`, `_posts/`,
`_data/meetings.yml`, `{{ site.x }}`); the config gains the theme and plugins, and
`_includes/meetings.html` renders every row of `_data/meetings.yml` with a Liquid loop.
Each meeting also gets a page, a document of the `meetings` collection
(`_meetings/{slug}.md`, see `bench/meeting_pages.py`) with `_layouts/meeting.html`, and
its one-event calendar beside it, `meeting.ics`, from a second document per meeting (a
document has one output): `_meeting_calendars/{slug}.ics` with `_layouts/meeting_calendar.ics`.
No Gemfile and no bundler: `jekyll build -s SRC -d DEST`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench import meeting_pages
from indico_sync.config import load_config
from indico_sync.meetings import Meeting

COMMAND = "jekyll"
CONFIG_EXTRA = """
# Added by bench/jekyll_site.py: minima and the plugins Debian packages.
theme: minima
plugins: [jekyll-feed, jekyll-seo-tag, jekyll-sitemap]
header_pages: [index.md, about.md]
future: true  # meetings ahead get their page too
collections:
  meetings: {output: true, permalink: "/meetings/:name/"}
  meeting_calendars: {output: true, permalink: "/meetings/:name/meeting.ics"}
defaults:
  - {scope: {type: meetings}, values: {layout: meeting}}
  - {scope: {type: meeting_calendars}, values: {layout: meeting_calendar, sitemap: false}}
"""
MEETINGS = """<table class="meetings">
<thead><tr><th>Date</th><th>Meeting</th><th>Link</th><th>Type</th></tr></thead>
<tbody>
{%- for m in site.data.meetings.meetings %}
<tr><td>{{ m.start | date: "%-d %B %Y" }}<br>{{ m.start | date: "%H:%M (%:z)" }}</td>\
<td>{{ m.title | escape }}{% for t in m.talks %}<br>• {{ t.title | escape }}\
{% if t.speakers.size > 0 %}: {% for p in t.speakers %}{{ p.name | escape }}\
{% if p.affiliation != "" %} ({{ p.affiliation | escape }}){% endif %}{% unless forloop.last %}, \
{% endunless %}{% endfor %}{% endif %}{% endfor %}</td>\
<td><a href="{{ m.url | escape }}">Indico</a></td>\
<td>{{ m.type }}{% if m.location != "" %} {{ m.location | escape }}{% endif %}</td></tr>
{%- endfor %}
</tbody>
</table>
"""
# page.previous and page.next each search the collection: looked up once per page.
MEETING = """---
layout: default
---
<article class="meeting">
<h1>{{ page.title | escape }}</h1>
<p><time datetime="{{ page.start }}">{{ page.start | date: "%A %-d %B %Y, %H:%M" }}</time> \
to {{ page.end | date: "%H:%M (%:z)" }}</p>
<p>{{ page.meeting_type }}{% if page.location != "" %} · {{ page.location | escape }}{% endif %}\
{% if page.label != "" %} · <strong>{{ page.label | escape }}</strong>{% endif %} · \
<a href="{{ page.indico | escape }}">Indico</a></p>
{% if page.materials.size > 0 %}<p>{% for m in page.materials %}\
<a href="{{ m.url | escape }}" title="{{ m.title | escape }}">{{ m.label }}</a> {% endfor %}\
</p>{% endif %}
{% if page.talks.size > 0 %}<h2>Agenda</h2><ol class="agenda">{% for t in page.talks %}
<li>{% if t.start != "" %}<time>{{ t.start | date: "%H:%M" }}</time> {% endif %}\
{{ t.title | escape }}{% if t.speakers.size > 0 %}: {% for p in t.speakers %}\
{{ p.name | escape }}{% if p.affiliation != "" %} ({{ p.affiliation | escape }}){% endif %}\
{% unless forloop.last %}, {% endunless %}{% endfor %}{% endif %}{% for m in t.materials %} \
<a href="{{ m.url | escape }}" title="{{ m.title | escape }}">{{ m.label }}</a>{% endfor %}\
</li>{% endfor %}</ol>{% endif %}
{% if page.minutes != "" %}<h2>Minutes</h2>{{ page.minutes }}{% endif %}
{% if page.location != "" %}{% capture place %}{"@type": "Place", "name": \
{{ page.location | jsonify }}}{% endcapture %}{% else %}{% capture place %}\
{"@type": "VirtualLocation", "url": {{ page.indico | jsonify }}}{% endcapture %}{% endif %}
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Event", \
"name": {{ page.title | jsonify | replace: "<", "\\u003c" }}, \
"startDate": "{{ page.start }}", "endDate": "{{ page.end }}", \
"eventStatus": "https://schema.org/{{ page.schema_status }}", \
"eventAttendanceMode": "https://schema.org/{{ page.attendance }}EventAttendanceMode", \
"location": {{ place | replace: "<", "\\u003c" }}, "organizer": {"@type": "Organization", \
"name": {{ site.title | jsonify }}, "url": {{ site.url | jsonify }}}, \
"url": {{ page.url | absolute_url | jsonify }}}</script>
{% assign prev = page.previous %}{% assign next = page.next %}\
<nav class="meeting-nav">{% if prev %}<a href="{{ prev.url | relative_url }}">\
← {{ prev.title | escape }}</a>{% endif %} {% if next %}<a href="{{ next.url | relative_url }}">\
{{ next.title | escape }} →</a>{% endif %}</nav>
</article>
"""

# One VEVENT as indico_sync writes it (bench/meeting_pages.py: calendar_matter): each
# line captured, TEXT escaped (ESC), then the lines folded (by characters here, by
# octets in indico_sync) and ended with CRLF; empty lines (from tags) dropped. NAME and
# X-WR-* unescaped, as icalendar writes them for indico_sync.
ESC = r'| replace: "\", "\\\\" | replace: ";", "\;" | replace: ",", "\," | replace: nl, "\n"'
CALENDAR = r"""{%- capture nl %}
{% endcapture -%}{%- capture crlf %}@CR@
{% endcapture -%}{%- assign fold = crlf | append: " " -%}
{%- capture summary %}{% if page.status != "scheduled" %}{{ page.status | upcase }}: \
{% endif %}{{ page.title }}{% endcapture -%}
{%- capture notes %}{% if page.label != "" and page.status != "scheduled" %}{{ nl }}\
{{ page.label }}{% if page.label_message != "" %}: {{ page.label_message }}{% else %}.{% endif %}\
{% endif %}{% for t in page.talks %}{{ nl }}• {{ t.title }}{% if t.speakers.size > 0 %}: \
{% for p in t.speakers %}{{ p.name }}{% unless forloop.last %}, {% endunless %}{% endfor %}\
{% endif %}{% endfor %}{% if page.protected %}{{ nl }}Login required.{% endif %}\
{{ nl }}Indico: {{ page.indico }}{% endcapture -%}
{%- capture where %}{{ page.location }}{% if page.type_label != "" %}\
{% if page.location != "" %} ({{ page.type_label }}){% else %}{{ page.type_label }}{% endif %}\
{% endif %}{% endcapture -%}
{%- assign about = site.description %ESC% -%}
{%- capture ics -%}
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//jekyll//{{ jekyll.version }}//EN
CALSCALE:GREGORIAN
METHOD:PUBLISH
DESCRIPTION:{{ about }}
X-WR-CALDESC:{{ site.description }}
NAME:{{ site.title }}
X-WR-CALNAME:{{ site.title }}
REFRESH-INTERVAL;VALUE=DURATION:PT6H
URL;VALUE=URI:{{ "/" | absolute_url }}
X-PUBLISHED-TTL:PT6H
BEGIN:VEVENT
SUMMARY:{{ summary %ESC% }}
DTSTART:{{ page.start_utc | date: "%Y%m%dT%H%M%SZ" }}
DTEND:{{ page.end_utc | date: "%Y%m%dT%H%M%SZ" }}
DTSTAMP:{{ page.start_utc | date: "%Y%m%dT%H%M%SZ" }}
UID:{{ page.uid }}
{% if page.category != "" %}CATEGORIES:{{ page.category %ESC% }}{% endif %}
DESCRIPTION:{{ notes | remove_first: nl %ESC% }}
{% if where != "" %}LOCATION:{{ where %ESC% }}{% endif %}
STATUS:{% case page.status %}{% when "cancelled" %}CANCELLED{% when "postponed" %}TENTATIVE\
{% else %}CONFIRMED{% endcase %}
URL:{{ page.url | remove: "meeting.ics" | absolute_url }}
END:VEVENT
END:VCALENDAR
{%- endcapture -%}
{%- assign lines = ics | split: nl -%}
{%- for line in lines -%}{%- if line != "" -%}
{%- if line.size > 73 -%}{%- assign last = line.size | minus: 1 | divided_by: 73 -%}
{%- for i in (0..last) -%}{%- assign at = i | times: 73 -%}{%- if i > 0 %}{{ fold }}{% endif -%}
{{ line | slice: at, 73 }}{%- endfor -%}
{%- else -%}{{ line }}{%- endif -%}{{ crlf }}
{%- endif -%}{%- endfor -%}
"""


def available() -> bool:
    return shutil.which(COMMAND) is not None


def make_site(source: Path, dest: Path) -> Path:
    """Copy the indico_sync source folder `source` to `dest` as a Jekyll + minima site."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest)
    derived = load_config(source).site["indico_category_url"]
    with (dest / "_config.yml").open("a", encoding="utf-8") as config:
        config.write(CONFIG_EXTRA + f"indico_category_url: {json.dumps(derived)}\n")
    calendar = CALENDAR.replace("%ESC%", ESC).replace("@CR@", "\r").replace("\\\n", "")
    for name, text in (
        ("_includes/meetings.html", MEETINGS.replace("\\\n", "")),
        ("_layouts/meeting.html", MEETING.replace("\\\n", "")),
        ("_layouts/meeting_calendar.ics", calendar),
    ):
        (dest / name).parent.mkdir(exist_ok=True)
        (dest / name).write_text(text, encoding="utf-8", newline="")
    calendars = dest / "_meeting_calendars"
    meeting_pages.write_pages(source, dest / "_meetings", fence=True, calendars=calendars)
    return dest


def build_command(site: Path, out: Path) -> list[str]:
    return [COMMAND, "build", "--quiet", "-s", str(site), "-d", str(out)]


def change_meeting(source: Path, site: Path, meeting: Meeting) -> None:
    """Bring one changed meeting (already in `source`'s snapshot) into the Jekyll site."""
    shutil.copyfile(source / "_data" / "meetings.yml", site / "_data" / "meetings.yml")
    calendars = site / "_meeting_calendars"
    meeting_pages.write_page(meeting, site / "_meetings", fence=True, calendars=calendars)
