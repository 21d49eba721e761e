"""Every command example a user can copy runs: ``--help`` of every command, README.md, docs/.

The examples are EXTRACTED, never copied here, so a new command, a new doc or an
edited example is picked up on the next run:

* ``--help``: every command and subcommand reachable from the ``xborder`` click
  group (``list_commands``, so commands added to ``_COMMANDS`` are included), the
  lines after ``Examples:`` in its help text or epilog, up to the first blank line;
* README.md, docs/*.md and every other markdown file of the repository: every fenced
  code block. Shell lines (``\\``
  continuations joined, ``# comments`` dropped, ``a && b`` split) that start with
  ``xborder``; ``run:`` steps of a GitHub workflow in a YAML block; a YAML block that
  is a whole scenario (``plan_date`` and ``demands``) is written to ``scenarios/`` and
  run with ``xborder run``. YAML fragments of a bigger file are not run.

Rules for running them (documented in README.md, "Development"):

* each source (one help text, one code block) runs in order in a fresh temporary copy of
  the repository's files (all but the package and hidden folders; cwd = that copy), so
  ``-o out/`` writes there; an example may not read a path outside the repository;
* ``[...]`` optional parts are dropped; a line that still has a placeholder in capitals
  (``SCENARIO``, ``DIR``, ``N``) is a synopsis: its command and options must exist;
* shortened so that the suite stays fast, never skipped: ``--time-limit`` capped at
  :data:`TIME_LIMIT_S` seconds (appended where the command takes it), ``--trials`` capped
  at :data:`MAX_TRIALS`;
* exit 0 is expected, or 4 when the example sets a CI gate (``--fail-under/--fail-over``:
  a gate may fail on shortened runs; ``--fail-on``: ``history watch`` exits 4 by contract
  when it raises an alert). Never 1, 2 or 3;
* a server (``xborder serve``, which runs until stopped) is parsed, not run: click checks
  every option, type and path of the example (:data:`SERVERS`).
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from optimizer.cli.main import main

REPO = Path(__file__).resolve().parents[1]
TIME_LIMIT_S = 5.0
MAX_TRIALS = 20
#: Commands that serve until stopped: their examples are parsed (every option, type and
#: path checked by click), not run.
SERVERS = frozenset({"serve"})
#: Options that set a CI gate: an example with one may exit 4 (the gate failed).
GATES = frozenset({"--fail-under", "--fail-over", "--fail-on"})
#: Commands whose examples solve, simulate or draw a world map (seconds each): marked slow.
SLOW_COMMANDS = frozenset({"run", "simulate", "bench", "route", "sweep", "compare", "network map"})


@dataclass(frozen=True)
class Example:
    """One source of examples, run in order: ``argv`` lists without the leading 'xborder'."""

    source: str
    commands: tuple[tuple[str, ...], ...]
    synopses: tuple[tuple[str, ...], ...] = ()
    files: tuple[tuple[str, str], ...] = ()  # (relative path, text) written before running


def walk(
    cmd: click.Command, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None:
                yield from walk(sub, (*path, name))


def help_examples(text: str) -> list[str]:
    """Lines after 'Examples:' up to the first blank line, continuations joined."""
    out: list[str] = []
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.strip() == "Examples:":
            block = []
            for raw in lines[k + 1 :]:
                if not raw.strip():
                    break
                block.append(raw.strip())
            out += shell_commands("\n".join(block))
    return out


def shell_commands(text: str) -> list[str]:
    """``xborder`` commands of a shell snippet: continuations joined, comments, && split."""
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        for part in line.split("&&"):
            part = part.strip()
            if part.startswith("xborder "):
                found.append(part)
    return found


def code_blocks(text: str) -> Iterator[tuple[str, str]]:
    """(language, body) of each fenced block of a markdown text."""
    for m in re.finditer(r"^```([\w-]*)\n(.*?)^```", text, flags=re.S | re.M):
        yield m.group(1), m.group(2)


def split(commands: list[str]) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(runnable argv lists, synopsis argv lists) without the leading 'xborder'."""
    runnable, synopses = [], []
    for line in commands:
        words = shlex.split(line)[1:]
        synopses.append(tuple(w.strip("[]") for w in words))
        # an optional part opens a word (``[--json]``); a bracket inside a word is data
        # (``what_if.cost_multipliers[mode=sea_fcl].factor``)
        bare = tuple(shlex.split(re.sub(r"(?<!\S)\[[^\]]*\]", " ", line))[1:])
        if not any(w in placeholders(bare) or "..." in w for w in bare):
            runnable.append(bare)
    return runnable, synopses


def placeholders(argv: tuple[str, ...]) -> set[str]:
    """Names of the command's arguments in capitals (SCENARIO, PATH): a synopsis writes them."""
    cmd = command_of(argv)
    if cmd is None:
        return set()
    return {p.name.upper() for p in cmd.params if isinstance(p, click.Argument) and p.name}


def collect() -> list[Example]:
    examples = []
    for path, cmd in walk(main, ("xborder",)):
        text = "\n".join(t for t in (cmd.help, cmd.epilog) if t)
        commands = help_examples(text)
        if commands:
            runnable, synopses = split(commands)
            examples.append(Example(" ".join(path) + " --help", tuple(runnable), tuple(synopses)))
    for doc in markdown_files():
        name = doc.relative_to(REPO).as_posix()
        for k, (lang, body) in enumerate(code_blocks(doc.read_text(encoding="utf-8")), 1):
            source = f"{name} block {k}"
            if lang in ("yaml", "yml"):
                examples += yaml_examples(source, doc.stem, k, body)
                continue
            commands = shell_commands(body)
            if commands:
                runnable, synopses = split(commands)
                examples.append(Example(source, tuple(runnable), tuple(synopses)))
    return examples


def markdown_files() -> list[Path]:
    """README.md, docs/ and every other markdown file of the repository (not .venv/, .git/)."""
    return sorted(
        p
        for p in REPO.rglob("*.md")
        if not any(part.startswith(".") for part in p.relative_to(REPO).parts)
    )


def yaml_examples(source: str, stem: str, k: int, body: str) -> list[Example]:
    doc = yaml.safe_load(body)
    if not isinstance(doc, dict):
        return []
    if "plan_date" in doc and "demands" in doc:  # a whole scenario
        path = f"scenarios/example_{stem}_{k}.yaml"
        return [Example(source, (("run", path),), files=((path, body),))]
    steps = [
        step["run"]
        for job in (doc.get("jobs") or {}).values()
        for step in job.get("steps", [])
        if isinstance(step, dict) and isinstance(step.get("run"), str)
    ]
    commands = [c for s in steps for c in shell_commands(" ".join(s.split()))]
    if not commands:
        return []
    runnable, synopses = split(commands)
    return [Example(source, tuple(runnable), tuple(synopses))]


def shortened(argv: tuple[str, ...]) -> list[str]:
    """The documented caps: --time-limit at most TIME_LIMIT_S, --trials at most MAX_TRIALS."""
    out = list(argv)
    for flag, cap in (("--time-limit", TIME_LIMIT_S), ("--trials", MAX_TRIALS)):
        if flag in out:
            i = out.index(flag) + 1
            out[i] = str(
                min(float(out[i]), cap) if flag == "--time-limit" else min(int(out[i]), cap)
            )
    cmd = command_of(argv)
    if (
        "--time-limit" not in out
        and cmd is not None
        and any("--time-limit" in p.opts for p in cmd.params)
    ):
        out += ["--time-limit", str(TIME_LIMIT_S)]
    return out


def command_of(argv: tuple[str, ...]) -> click.Command | None:
    cmd: click.Command = main
    for word in argv:
        if not isinstance(cmd, click.Group):
            break
        sub = cmd.get_command(click.Context(cmd), word)
        if sub is None:
            return None if not word.startswith("-") else cmd
        cmd = sub
    return cmd


EXAMPLES = collect()


#: Not copied for the examples: the package (installed) and what is not the user's data.
NOT_COPIED = ("optimizer", "*.egg-info", "__pycache__", ".*", "out", "build", "dist")


def copy_repository(root: Path) -> None:
    """The repository's data, docs, scenarios, networks, benchmarks and tests into ``root``."""
    skip = shutil.ignore_patterns(*NOT_COPIED)
    root.mkdir(parents=True)
    for child in sorted(REPO.iterdir()):
        if skip(str(REPO), [child.name]):
            continue
        if child.is_dir():
            shutil.copytree(child, root / child.name, ignore=skip)
        else:
            shutil.copy2(child, root / child.name)


def parse_only(args: list[str]) -> None:
    """Parse ``args`` as click would (every option, type and path check) without running."""
    cmd: click.Command = main
    depth = 0
    while isinstance(cmd, click.Group) and depth < len(args):
        sub = cmd.get_command(click.Context(cmd), args[depth])
        if sub is None:
            break
        cmd, depth = sub, depth + 1
    cmd.make_context(" ".join(["xborder", *args[:depth]]), list(args[depth:]))


def is_slow(example: Example) -> bool:
    return any(
        argv and (argv[0] in SLOW_COMMANDS or " ".join(argv[:2]) in SLOW_COMMANDS)
        for argv in example.commands
    )


def params(*, runnable: bool = False) -> list[object]:
    return [
        pytest.param(e, id=e.source, marks=[pytest.mark.slow] if is_slow(e) else [])
        for e in EXAMPLES
        if e.commands or not runnable
    ]


def test_examples_are_found() -> None:
    """The extractor sees the examples it must (a regression guard for the extractor)."""
    sources = {e.source for e in EXAMPLES}
    assert "xborder quote --help" in sources
    assert "xborder run --help" in sources
    assert any(s.startswith("docs/scenario.md") for s in sources)
    assert any(s.startswith("README.md") for s in sources)
    flat = [a for e in EXAMPLES for a in e.commands]
    assert ("run", "scenarios/us_deminimis_2026.yaml", "-o", "out/") in flat


def test_every_leaf_command_has_an_example() -> None:
    """DESIGN.md §5: every command's --help has an example."""
    missing = [
        " ".join(path)
        for path, cmd in walk(main, ("xborder",))
        if not isinstance(cmd, click.Group)
        and not help_examples("\n".join(t for t in (cmd.help, cmd.epilog) if t))
    ]
    assert missing == []


@pytest.mark.parametrize("example", params())
def test_synopsis_names_real_options(example: Example) -> None:
    """Every command path and --option written in an example exists."""
    for argv in example.synopses:
        cmd = command_of(argv)
        assert cmd is not None, f"{example.source}: unknown command in {argv}"
        known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}
        unknown = [w for w in argv if w.startswith("--") and w.split("=")[0] not in known]
        assert unknown == [], f"{example.source}: unknown options {unknown} in {argv}"


@pytest.mark.parametrize("example", params(runnable=True))
def test_example_runs(example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "work" / "repo"
    copy_repository(root)
    outside = [w for argv in example.commands for w in argv if w.startswith("../")]
    assert not outside, f"{example.source} reads {outside}: the repository carries its data"
    for rel, text in example.files:
        (root / rel).write_text(text, encoding="utf-8")
    monkeypatch.chdir(root)
    for argv in example.commands:
        args = shortened(argv)
        if argv and argv[0] in SERVERS:
            parse_only(args)
            continue
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        gate = any(w.split("=")[0] in GATES for w in args)
        allowed = {0, 4} if gate else {0}
        assert result.exit_code in allowed, (
            f"{example.source}: xborder {' '.join(args)} exited {result.exit_code}\n"
            f"{result.output[-3000:]}"
        )
