"""Regenerate the field tables of the format docs from the field specs.

Each generated block sits between ``<!-- BEGIN GENERATED: NAME -->`` and
``<!-- END GENERATED -->`` markers; the text around it is hand-written and
kept. The specs (:class:`optimizer.fields.Field` records) are what the readers
parse with, so the docs show exactly the types, ranges and defaults enforced::

    python docs/make_docs.py          # rewrite the docs
    python docs/make_docs.py --check  # exit 1 if a doc is out of date

``tests/test_bad_inputs.py`` runs the check.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent
END = "<!-- END GENERATED -->"


def _scenario() -> str:
    from optimizer.scenario.reader import scenario_markdown

    return scenario_markdown()


def _simulation() -> str:
    from optimizer.simulate.config import config_markdown

    return config_markdown()


def _orders() -> str:
    from optimizer.orders.reader import format_markdown

    return format_markdown()


#: doc file -> {block name -> generator}
BLOCKS: dict[str, dict[str, Callable[[], str]]] = {
    "scenario.md": {"scenario fields": _scenario},
    "simulate.md": {"simulation fields": _simulation},
    "route.md": {"orders format": _orders},
}


def render(name: str, text: str) -> str:
    """``text`` of doc ``name`` with every generated block replaced by its current content."""
    for block, make in BLOCKS[name].items():
        begin = f"<!-- BEGIN GENERATED: {block}; python docs/make_docs.py -->"
        head, sep, rest = text.partition(begin)
        _, sep2, tail = rest.partition(END)
        if not sep or not sep2:
            raise ValueError(f"{name}: markers {begin!r} ... {END!r} not found")
        text = f"{head}{begin}\n\n{make().rstrip()}\n\n{END}{tail}"
    return text


def main(argv: list[str]) -> int:
    stale = []
    for name in BLOCKS:
        path = DOCS / name
        text = path.read_text(encoding="utf-8")
        fresh = render(name, text)
        if fresh == text:
            continue
        stale.append(path)
        if "--check" not in argv:
            from optimizer.io.atomic import write_text

            write_text(path, fresh)
            print(f"rewrote {path}")
    if stale and "--check" in argv:
        print(f"out of date: {', '.join(map(str, stale))}: run python docs/make_docs.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent))
    sys.exit(main(sys.argv[1:]))
