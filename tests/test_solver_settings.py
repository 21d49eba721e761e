"""The solver adapter's vocabulary: one backend enum, one mapping from scenario options."""

import pytest

from optimizer.scenario.records import SolverOptions
from optimizer.solve.settings import MIP_BACKENDS, Backend, SolverSettings, SolveStatus


def test_backend_names_parse_in_any_case_and_bad_ones_name_the_choices():
    assert SolverSettings(backend="highs").backend is Backend.HIGHS  # type: ignore[arg-type]
    assert Backend.parse("highs_mathopt") is Backend.HIGHS_MATHOPT
    with pytest.raises(ValueError, match="SCIP, HIGHS, CBC, HIGHS_MATHOPT, got 'gurobi'"):
        Backend.parse("gurobi")


def test_scenario_solver_options_map_onto_settings_field_by_field():
    options = SolverOptions(time_limit_s=7.5, relative_gap=0.01, seed=3, backend="cbc")
    assert SolverSettings.from_options(options) == SolverSettings(
        time_limit_s=7.5, relative_gap=0.01, seed=3, backend=Backend.CBC
    )


def test_scenario_format_offers_exactly_the_pywraplp_backends():
    assert MIP_BACKENDS == (Backend.SCIP, Backend.HIGHS, Backend.CBC)


def test_statuses_serialize_as_their_lowercase_words():
    assert [str(s) for s in SolveStatus] == [
        "optimal",
        "feasible",
        "infeasible",
        "unbounded",
        "no_solution",
        "error",
    ]
