"""The same content as a Jekyll + minima site, using only Debian-packaged gems.

The source folder is used as it is (it is Jekyll-shaped: `_config.yml`, `_posts/`,
`_data/meetings.yml`, `{{ site.x }}`); the config gains the theme and plugins, and
`_includes/meetings.html` renders every row of `_data/meetings.yml` with a Liquid loop.
No Gemfile and no bundler: `jekyll build -s SRC -d DEST`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from indico_sync.config import load_config

COMMAND = "jekyll"
CONFIG_EXTRA = """
# Added by bench/jekyll_site.py: minima and the plugins Debian packages.
theme: minima
plugins: [jekyll-feed, jekyll-seo-tag, jekyll-sitemap]
header_pages: [index.md, about.md]
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


def available() -> bool:
    return shutil.which(COMMAND) is not None


def make_site(source: Path, dest: Path) -> Path:
    """Copy the indico_sync source folder `source` to `dest` as a Jekyll + minima site."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest)
    derived = load_config(source).site["indico_category_url"]
    with (dest / "_config.yml").open("a", encoding="utf-8") as config:
        config.write(CONFIG_EXTRA + f"indico_category_url: {json.dumps(derived)}\n")
    (dest / "_includes").mkdir(exist_ok=True)
    (dest / "_includes" / "meetings.html").write_text(
        MEETINGS.replace("\\\n", ""), encoding="utf-8"
    )
    return dest


def build_command(site: Path, out: Path) -> list[str]:
    return [COMMAND, "build", "--quiet", "-s", str(site), "-d", str(out)]
