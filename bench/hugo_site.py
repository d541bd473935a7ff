"""The same content as a Hugo site, with minimal layouts that give an equivalent page.

Pages keep their text; front matter `order` becomes `weight`, `permalink` becomes `url`,
`{{ site.x }}` becomes Hugo's `{{< param "x" >}}` and `{% include meetings.html %}`
a `{{< meetings >}}` shortcode that renders every row of `data/meetings.yml`.
Each meeting also gets a page, `content/meetings/{slug}.md` (see `bench/meeting_pages.py`),
and from the same file its one-event calendar, `meeting.ics` beside the page (a second
output format for the section, plain text, `text/calendar`).
Hugo builds the nav, the News list, RSS (`index.xml`), `sitemap.xml` and `robots.txt`.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

from bench import meeting_pages
from indico_sync.config import load_config
from indico_sync.meetings import Meeting

COMMAND = "hugo"
CONFIG_KEYS = {"title", "description", "url", "baseurl", "lang", "timezone", "indico"}
_LIQUID_VAR = re.compile(r"\{\{\s*site\.([A-Za-z0-9_]+)\s*\}\}")
_INCLUDE = "{% include meetings.html %}"

BASEOF = """<!DOCTYPE html>
<html lang="{{ site.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} | {{ site.Title }}{{ end }}</title>
<meta name="description" content="{{ site.Params.description }}">
<link rel="canonical" href="{{ .Permalink }}">
<link rel="stylesheet" href="{{ "main.css" | relURL }}">
<link rel="alternate" type="application/rss+xml" href="{{ "index.xml" | absURL }}" \
title="{{ site.Title }}">
</head>
<body>
<header class="site-header"><div class="wrapper">
<a class="site-title" href="{{ "/" | relURL }}">{{ site.Title }}</a>
{{ partialCached "nav.html" . }}
</div></header>
<main class="page-content"><div class="wrapper">{{ block "main" . }}{{ end }}</div></main>
<footer class="site-footer"><div class="wrapper">
<h2 class="footer-heading">{{ site.Title }}</h2>
<p><a href="https://github.com/{{ site.Params.github_username }}">\
{{ site.Params.github_username }}</a></p>
<p>{{ site.Params.description }}</p>
</div></footer>
</body>
</html>
"""
NAV = """<nav class="site-nav">{{ range (where site.Pages "Weight" ">" 0).ByWeight -}}
<a class="page-link" href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}</nav>
"""  # the same on every page: rendered once (else every page filters all pages)
HOME = """{{ define "main" }}<div class="home">
<h1 class="page-heading">{{ with .Params.display_title }}{{ . | safeHTML }}\
{{ else }}{{ .Title }}{{ end }}</h1>
{{ .Content }}
{{ with where site.RegularPages "Section" "posts" -}}
<h2 class="post-list-heading">{{ $.Params.list_title | default "Posts" }}</h2>
<ul class="post-list">{{ range .ByDate.Reverse }}
<li><span class="post-meta">{{ .Date.Format "Jan 2, 2006" }}</span>
<h3><a class="post-link" href="{{ .RelPermalink }}">{{ .Title }}</a></h3></li>{{ end }}
</ul>
<p class="rss-subscribe">subscribe <a href="{{ "index.xml" | relURL }}">via RSS</a></p>
{{- end }}
</div>{{ end }}
"""
SINGLE = """{{ define "main" }}<article class="post">
<header class="post-header"><h1 class="post-title">{{ .Title }}</h1>
{{- if eq .Section "posts" }}
<p class="post-meta"><time datetime="{{ .Date.Format "2006-01-02T15:04:05-07:00" }}">\
{{ .Date.Format "Jan 2, 2006" }}</time></p>{{ end }}</header>
<div class="post-content">{{ .Content }}</div>
</article>{{ end }}
"""
MEETINGS = """<table class="meetings">
<thead><tr><th>Date</th><th>Meeting</th><th>Link</th><th>Type</th></tr></thead>
<tbody>
{{- range site.Data.meetings.meetings }}{{ $start := time.AsTime .start }}
<tr><td>{{ $start.Format "2 January 2006" }}<br>{{ $start.Format "15:04 (-07:00)" }}</td>\
<td>{{ .title }}{{ range .talks }}<br>• {{ .title }}{{ with .speakers }}: \
{{ range $i, $p := . }}{{ if $i }}, {{ end }}{{ $p.name }}\
{{ with $p.affiliation }} ({{ . }}){{ end }}{{ end }}{{ end }}{{ end }}</td>\
<td><a href="{{ .url }}">Indico</a></td>\
<td>{{ .type }}{{ with .location }} {{ . }}{{ end }}</td></tr>
{{- end }}
</tbody>
</table>
"""
MEETING = """{{ define "main" }}<article class="meeting">
{{- $start := time.AsTime .Params.start }}{{ $end := time.AsTime .Params.end }}
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Params.start }}">{{ $start.Format "Monday 2 January 2006, 15:04" }}\
</time> to {{ $end.Format "15:04 (-07:00)" }}</p>
<p>{{ .Params.meeting_type }}{{ with .Params.location }} · {{ . }}{{ end }}\
{{ with .Params.label }} · <strong>{{ . }}</strong>{{ end }} · \
<a href="{{ .Params.indico }}">Indico</a></p>
{{ with .Params.materials }}<p>{{ range . }}\
<a href="{{ .url }}" title="{{ .title }}">{{ .label }}</a> {{ end }}</p>{{ end }}
{{ with .Params.talks }}<h2>Agenda</h2><ol class="agenda">{{ range . }}
<li>{{ with .start }}<time>{{ (time.AsTime .).Format "15:04" }}</time> {{ end }}{{ .title }}\
{{ with .speakers }}: {{ range $i, $p := . }}{{ if $i }}, {{ end }}{{ $p.name }}\
{{ with $p.affiliation }} ({{ . }}){{ end }}{{ end }}{{ end }}{{ range .materials }} \
<a href="{{ .url }}" title="{{ .title }}">{{ .label }}</a>{{ end }}</li>{{ end }}</ol>{{ end }}
{{ with .Params.minutes }}<h2>Minutes</h2>{{ . | safeHTML }}{{ end }}
{{- $where := dict "@type" "VirtualLocation" "url" .Params.indico }}\
{{ with .Params.location }}{{ $where = dict "@type" "Place" "name" . }}{{ end }}
<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "Event" \
"name" .Title "startDate" .Params.start "endDate" .Params.end \
"eventStatus" (print "https://schema.org/" .Params.schema_status) \
"eventAttendanceMode" (print "https://schema.org/" .Params.attendance "EventAttendanceMode") \
"location" $where "organizer" (dict "@type" "Organization" "name" site.Title "url" site.BaseURL) \
"url" .Permalink | jsonify | safeJS }}</script>
<nav class="meeting-nav">{{ with .PrevInSection }}\
<a href="{{ .RelPermalink }}">← {{ .Title }}</a>{{ end }} {{ with .NextInSection }}\
<a href="{{ .RelPermalink }}">{{ .Title }} →</a>{{ end }}</nav>
</article>{{ end }}
"""
# One VEVENT as indico_sync writes it (bench/meeting_pages.py: calendar_matter): TEXT
# escaped, times in UTC, lines folded (by characters here, by octets in indico_sync)
# and ended with CRLF; NAME and X-WR-* unescaped, as icalendar writes them for indico_sync.
# Plain-text output format: text/template, nothing HTML-escaped.
CALENDAR = r"""{{- $esc := `([\\;,])` }}{{ $nl := "\r?\n" -}}
{{- $start := (time.AsTime .Params.start).UTC }}{{ $end := (time.AsTime .Params.end).UTC -}}
{{- $prefix := "" }}{{ if ne .Params.status "scheduled" }}\
{{ $prefix = print (upper .Params.status) ": " }}{{ end -}}
{{- $notes := slice }}{{ if and .Params.label (ne .Params.status "scheduled") }}\
{{ $notes = $notes | append (cond (ne .Params.label_message "") \
(print .Params.label ": " .Params.label_message) (print .Params.label ".")) }}{{ end -}}
{{- range .Params.talks }}{{ $names := slice }}{{ range .speakers }}\
{{ $names = $names | append .name }}{{ end }}{{ $notes = $notes | append (cond \
(gt (len $names) 0) (print "• " .title ": " (delimit $names ", ")) (print "• " .title)) }}\
{{ end -}}
{{- if .Params.protected }}{{ $notes = $notes | append "Login required." }}{{ end -}}
{{- $notes = $notes | append (print "Indico: " .Params.indico) -}}
{{- $where := .Params.location }}{{ with .Params.type_label }}{{ $where = cond \
(ne $where "") (print $where " (" . ")") . }}{{ end -}}
{{- $about := site.Params.description | replaceRE $esc `\$1` | replaceRE $nl `\n` -}}
{{- $lines := slice "BEGIN:VCALENDAR" "VERSION:2.0" (print "PRODID:-//hugo//" hugo.Version "//EN") \
"CALSCALE:GREGORIAN" "METHOD:PUBLISH" (print "DESCRIPTION:" $about) \
(print "X-WR-CALDESC:" site.Params.description) (print "NAME:" site.Title) \
(print "X-WR-CALNAME:" site.Title) \
"REFRESH-INTERVAL;VALUE=DURATION:PT6H" (print "URL;VALUE=URI:" site.BaseURL) \
"X-PUBLISHED-TTL:PT6H" "BEGIN:VEVENT" \
(print "SUMMARY:" (print $prefix .Title | replaceRE $esc `\$1` | replaceRE $nl `\n`)) \
($start.Format "DTSTART:20060102T150405Z") ($end.Format "DTEND:20060102T150405Z") \
($start.Format "DTSTAMP:20060102T150405Z") (print "UID:" .Params.uid) -}}
{{- with .Params.category }}{{ $lines = $lines | append \
(print "CATEGORIES:" (. | replaceRE $esc `\$1`)) }}{{ end -}}
{{- $lines = $lines | append (print "DESCRIPTION:" \
(delimit $notes "\n" | replaceRE $esc `\$1` | replaceRE $nl `\n`)) -}}
{{- with $where }}{{ $lines = $lines | append (print "LOCATION:" (. | replaceRE $esc `\$1`)) \
}}{{ end -}}
{{- $status := index (dict "scheduled" "CONFIRMED" "cancelled" "CANCELLED" \
"postponed" "TENTATIVE") .Params.status -}}
{{- $lines = $lines | append (print "STATUS:" $status) \
(print "URL:" (.OutputFormats.Get "html").Permalink) "END:VEVENT" "END:VCALENDAR" -}}
{{- range $lines }}{{ delimit (findRE "(?s).{1,73}" .) "\r\n " }}{{ "\r\n" }}{{ end -}}
"""
NO_PAGE = '{"_build": {"render": "never"}}\n'
MEETINGS_SECTION = (
    '{"_build": {"render": "never"}, "cascade": {"outputs": ["html", "meetingcalendar"]}}\n'
)
CSS = "body{font:16px/1.5 system-ui,sans-serif;margin:0}.wrapper{max-width:800px;margin:auto}\n"


def available() -> bool:
    return shutil.which(COMMAND) is not None


def make_site(source: Path, dest: Path) -> Path:
    """Convert the indico_sync source folder `source` into a Hugo site at `dest`."""
    shutil.rmtree(dest, ignore_errors=True)
    folders = ("content/posts", "data", "static", "layouts/_default", "layouts/shortcodes")
    for folder in (*folders, "layouts/meetings", "layouts/partials"):
        (dest / folder).mkdir(parents=True)
    site = dict(load_config(source).site)  # with the derived keys (indico_category_url)
    (dest / "config.toml").write_text(hugo_config(site), encoding="utf-8")
    shutil.copyfile(source / "_data" / "meetings.yml", dest / "data" / "meetings.yml")
    _write_page(source / "index.md", dest / "content" / "_index.md")
    _write_page(source / "about.md", dest / "content" / "about.md")
    for post in sorted((source / "_posts").glob("*.md")):
        _write_page(post, dest / "content" / "posts" / post.name)
    meeting_pages.write_pages(source, dest / "content" / "meetings", fence=False)
    # no section page (none in the other sites either); meetings: a page and a .ics each
    for section, text in (("posts", NO_PAGE), ("meetings", MEETINGS_SECTION)):
        (dest / "content" / section / "_index.md").write_text(text, encoding="utf-8")
    layouts = dest / "layouts"
    for name, text in (
        ("_default/baseof.html", BASEOF),
        ("index.html", HOME),
        ("_default/single.html", SINGLE),
        ("shortcodes/meetings.html", MEETINGS),
        ("meetings/single.html", MEETING),
        ("meetings/single.meetingcalendar.ics", CALENDAR),
        ("partials/nav.html", NAV),
    ):
        (layouts / name).write_text(text.replace("\\\n", ""), encoding="utf-8")
    (dest / "static" / "main.css").write_text(CSS, encoding="utf-8")
    return dest


def hugo_config(site: dict[str, object]) -> str:
    """config.toml: site keys, user keys as [params], raw HTML on, posts dated by file name."""
    params = {k: v for k, v in site.items() if k not in CONFIG_KEYS and _scalar(v)}
    params["description"] = site.get("description", "")
    root = f"{site.get('url', '')}{site.get('baseurl', '')}/"  # pages at /baseurl/ as Jekyll's
    lines = [
        f"baseURL = {_toml(root)}",
        f"title = {_toml(site.get('title', ''))}",
        f"languageCode = {_toml(site.get('lang', 'en'))}",
        f"timeZone = {_toml(site.get('timezone', 'UTC'))}",
        'disableKinds = ["taxonomy", "term"]',  # sections kept: .PrevInSection needs them
        "buildFuture = true",
        "enableRobotsTXT = true",
        "[params]",
        *(f"{key} = {_toml(value)}" for key, value in sorted(params.items())),
        "[permalinks]",
        'posts = "/:year/:month/:day/:slug/"',
        'meetings = "/meetings/:filename/"',
        "[frontmatter]",
        'date = [":filename", ":default"]',
        "[services.rss]",
        "limit = 20",
        "[markup.goldmark.renderer]",
        "unsafe = true",
        "[outputFormats.MeetingCalendar]",  # meetings/{slug}/meeting.ics
        'mediaType = "text/calendar"',
        'baseName = "meeting"',
        "isPlainText = true",
        "notAlternative = true",
    ]
    return "\n".join(lines) + "\n"


def _write_page(source: Path, dest: Path) -> None:
    """Front matter renamed for Hugo; Liquid variables and the include as shortcodes."""
    _, front, body = source.read_text(encoding="utf-8").split("---\n", 2)
    meta = yaml.safe_load(front) or {}
    if "order" in meta:
        meta["weight"] = meta.pop("order")
    if "permalink" in meta:
        meta["url"] = meta.pop("permalink")
    body = _LIQUID_VAR.sub(r'{{< param "\1" >}}', body).replace(_INCLUDE, "{{< meetings >}}")
    front = json.dumps(meta, ensure_ascii=False, indent=1)  # JSON front matter: no YAML quirks
    dest.write_text(f"{front}\n{body}", encoding="utf-8")


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def build_command(site: Path, out: Path) -> list[str]:
    return [COMMAND, "--source", str(site), "--destination", str(out), "--quiet"]


def change_meeting(source: Path, site: Path, meeting: Meeting) -> None:
    """Bring one changed meeting (already in `source`'s snapshot) into the Hugo site."""
    shutil.copyfile(source / "_data" / "meetings.yml", site / "data" / "meetings.yml")
    meeting_pages.write_page(meeting, site / "content" / "meetings", fence=False)
