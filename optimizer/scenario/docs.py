"""``docs/scenario.md``: hand-written conventions, then field tables generated from the spec.

The tables after :data:`MARKER` are :func:`~optimizer.scenario.reader.scenario_markdown`,
so the documentation cannot drift from the reader (``tests/test_docs.py`` checks it).
Regenerate after changing a field::

    python -m optimizer.scenario.docs docs/scenario.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from optimizer.io.atomic import write_text
from optimizer.scenario.reader import scenario_markdown

MARKER = "<!-- generated from the scenario spec: python -m optimizer.scenario.docs FILE -->"


def render_doc(text: str) -> str:
    """``text`` with everything after :data:`MARKER` replaced by the generated tables."""
    head, marker, _ = text.partition(MARKER)
    if not marker:
        raise ValueError(f"the document has no generated-section marker ({MARKER})")
    return f"{head}{MARKER}\n{scenario_markdown()}"


def main(argv: list[str] | None = None) -> None:
    """Rewrite the document named on the command line in place."""
    (name,) = sys.argv[1:] if argv is None else argv
    path = Path(name)
    write_text(path, render_doc(path.read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
