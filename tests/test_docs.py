"""Documentation generated from the code does not drift from it."""

from pathlib import Path

import pytest

from optimizer.scenario.docs import MARKER, render_doc

SCENARIO_DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario.md"


def test_scenario_doc_tables_are_the_readers_spec():
    text = SCENARIO_DOC.read_text(encoding="utf-8")
    assert text == render_doc(text), (
        "regenerate: python -m optimizer.scenario.docs docs/scenario.md"
    )
    assert "| `simulation` | mapping |" in text


def test_render_keeps_the_hand_written_part_and_replaces_the_tables():
    out = render_doc(f"# intro\n{MARKER}\nstale tables\n")
    assert out.startswith(f"# intro\n{MARKER}\n### `top level`")
    assert "stale tables" not in out
    with pytest.raises(ValueError, match="marker"):
        render_doc("# no marker\n")
