"""Stage 2, snapshot + site folder -> static site: `build` writes it, `check` only renders it."""

from indico_sync.site.build import BuildResult, build, check, check_output

__all__ = ["BuildResult", "build", "check", "check_output"]
