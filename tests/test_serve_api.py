"""The HTTP API: same answers as the CLI, problem+json errors, limits, API key, plan jobs."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from serve_fixtures import NETWORK, SCENARIO, SHIPMENT, live_server, wait_for_job

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from optimizer.cli.main import main
from optimizer.serve.app import Limits, create_app
from optimizer.serve.jobs import JobStatus, JobStore

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """An app without its lifespan: no plan runner (jobs stay queued)."""
    db = tmp_path_factory.mktemp("serve") / "jobs.sqlite"
    app = create_app(NETWORK, db_path=db, limits=Limits(max_body_bytes=20_000, max_batch=3))
    return TestClient(app)


def cli_json(*args: str) -> tuple[int, dict | None, str]:
    result = CliRunner().invoke(main, ["quote", "--network", str(NETWORK), *args, "--json"])
    data = json.loads(result.stdout) if result.exit_code in (0, 3) else None
    return result.exit_code, data, result.stderr


# ------------------------------------------------------------------------------ quotes
def test_quote_is_exactly_what_the_cli_prints(client):
    code, expected, _ = cli_json(
        "--from", "CN_SZX_ORIGIN", "--to", "M_US_WEST", "--weight", "1.2", "--dims", "30x20x10",
        "--value", "45", "--currency", "USD", "--category", "apparel", "--ship-date", "2026-03-01",
    )  # fmt: skip
    assert code == 0
    r = client.post("/v1/quotes", json=SHIPMENT)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == expected
    assert len(expected["options"]) >= 3 and expected["options"][0]["tags"]


def test_quote_filters_and_hs_code_match_the_cli(client):
    _code, expected, _ = cli_json(
        "--from", "CN_SZX_ORIGIN", "--to", "M_US_EAST", "--weight", "2", "--dims", "40x30x20",
        "--value", "800", "--currency", "CNY", "--hs-code", "8517.62", "--ship-date", "2026-03-01",
        "--mode", "air", "--mode", "express", "--max-days", "12", "--hide-dominated",
    )  # fmt: skip
    body = {
        **SHIPMENT,
        "to": "M_US_EAST",
        "weight": 2,
        "dims": "40x30x20",
        "value": 800,
        "currency": "CNY",
        "hs_code": "8517.62",
        "mode": ["air", "express"],
        "max_days": 12,
        "hide_dominated": True,
    }
    del body["category"]
    r = client.post("/v1/quotes", json=body)
    assert r.status_code == 200
    assert r.json() == expected
    assert r.json()["shipment"]["category"] == "electronics"  # from the chapter
    # the given code is priced (US_MFN_85 2 % + Section 122 10 %), not electronics' 8518.30
    assert {o["hs_code"] for o in expected["options"]} == {"851762"}
    value_usd = expected["shipment"]["value_usd"]
    direct = [o for o in expected["options"] if o["pattern"] == "direct-package"]
    assert direct and all(o["duty_usd"] == pytest.approx(0.12 * value_usd) for o in direct)
    assert all("HS 8517.62" in o["treatment"] for o in expected["options"])


def test_nothing_fits_is_200_with_rejections(client):
    r = client.post("/v1/quotes", json={**SHIPMENT, "max_price": 0.01})
    assert r.status_code == 200
    assert r.json()["options"] == [] and r.json()["rejections"]


def test_bad_fields_are_422_problems_in_the_cli_wording(client):
    body = {**SHIPMENT, "from": "CN_SZX_WH", "dims": "30x20", "currency": "XXX", "pieces": 0}
    r = client.post("/v1/quotes", json=body)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    p = r.json()
    assert (p["type"], p["title"], p["status"]) == (
        "urn:xborder:problem:invalid-input",
        "Invalid input",
        422,
    )
    errors = {e["field"]: e for e in p["errors"]}
    assert set(errors) == {"from", "dims", "currency", "pieces"}
    assert errors["from"]["message"] == "unknown node"
    assert errors["from"]["expected"] == "did you mean 'CN_SZX_ORIGIN'?"
    assert errors["from"]["pointer"] == "#/from"
    assert errors["dims"]["detail"] == (
        "request body, field 'dims': not LxWxH (got '30x20'); expected e.g. 40x30x20"
    )
    assert errors["pieces"]["message"] == "out of range"
    # the CLI says the same things about the same values
    code, _, stderr = cli_json(
        "--from", "CN_SZX_WH", "--to", "M_US_WEST", "--weight", "1.2", "--dims", "30x20",
        "--value", "45", "--currency", "XXX", "--category", "apparel",
    )  # fmt: skip
    assert code == 2
    assert "field '--from': unknown node (got 'CN_SZX_WH'); expected did you mean" in stderr
    assert "field '--dims': not LxWxH (got '30x20'); expected e.g. 40x30x20" in stderr


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"weight": "heavy"}, "weight", "is not a number"),
        ({"weight": -1}, "weight", "out of range"),
        ({"value": -3}, "value", "out of range"),
        ({"pieces": 1.5}, "pieces", "is not a whole number"),
        ({"ship_date": "2026-13-01"}, "ship_date", "not a date"),
        ({"incoterm": "FOB"}, "incoterm", "unknown value"),
        ({"weigth": 1}, "weigth", "unknown field"),
        ({"to": None}, "to", "is not text"),
        ({"mode": ["boat"]}, "mode", "unknown mode"),
        (
            {"hs_code": "8517.62", "category": "apparel"},
            "hs_code",
            "HS chapter 85 is not the chapter of category 'apparel' (61)",
        ),
        ({"category": None, "hs_code": "x9"}, "hs_code", "not an HS code"),
        (
            {"category": None, "hs_code": "62.04"},
            "hs_code",
            "no category of HS chapter 62 in the network",
        ),
    ],
)
def test_each_bad_field_is_named(client, change, field, message):
    r = client.post("/v1/quotes", json={**SHIPMENT, **change})
    assert r.status_code == 422, r.text
    assert [(e["field"], e["message"]) for e in r.json()["errors"]] == [(field, message)]


def test_missing_fields_and_bad_json(client):
    r = client.post("/v1/quotes", json={})
    assert r.status_code == 422
    fields = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert fields == {"from": "is required", "to": "is required", "weight": "is required",
                      "dims": "is required", "value": "is required",
                      "currency": "is required"}  # fmt: skip
    r = client.post(
        "/v1/quotes", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    r = client.post("/v1/quotes", content=b"[" * 5000, headers={"content-type": "application/json"})
    assert (r.status_code, r.headers["content-type"]) == (400, PROBLEM)  # too deep to parse
    assert "Traceback" not in r.text


def test_body_limit_is_413(client):
    big = {**SHIPMENT, "id": "x" * 30_000}
    r = client.post("/v1/quotes", json=big)
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM
    assert "limit of 20000 bytes" in r.json()["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"id": "'
        for _ in range(30):
            yield b"y" * 1000
        yield b'"}'

    r = client.post("/v1/quotes", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_batch_streams_ndjson_in_input_order(client):
    shipments = [
        {**SHIPMENT, "id": "a"},
        {**SHIPMENT, "id": "b", "to": "M_DE", "currency": "EUR"},
        {**SHIPMENT, "id": "c", "weight": 3.5},
    ]
    r = client.post("/v1/quotes/batch", json={"shipments": shipments})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [(x["index"], x["id"]) for x in lines] == [(0, "a"), (1, "b"), (2, "c")]
    for line, shipment in zip(lines, shipments, strict=True):
        assert line["quote"] == client.post("/v1/quotes", json=shipment).json()
    assert lines[1]["quote"]["shipment"]["to"] == "M_DE"


def test_batch_with_bad_shipments_is_refused_with_every_problem(client):
    shipments = [{**SHIPMENT, "from": "NOWHERE"}, SHIPMENT, {**SHIPMENT, "weight": -2}]
    r = client.post("/v1/quotes/batch", json={"shipments": shipments})
    assert (r.status_code, r.headers["content-type"]) == (422, PROBLEM)
    assert [(e["field"], e["pointer"], e["message"]) for e in r.json()["errors"]] == [
        ("shipments[0].from", "#/shipments/0/from", "unknown node"),
        ("shipments[2].weight", "#/shipments/2/weight", "out of range"),
    ]


def test_batch_limit(client):
    r = client.post("/v1/quotes/batch", json={"shipments": [SHIPMENT] * 4})
    assert r.status_code == 422
    (e,) = r.json()["errors"]
    assert (e["field"], e["message"], e["value"], e["expected"]) == (
        "shipments",
        "too many shipments",
        "4",
        "at most 3",
    )


# ----------------------------------------------------------------------------- network
def test_network_summary_is_the_cli_summary(client):
    result = CliRunner().invoke(main, ["network", "show", str(NETWORK), "--json"])
    assert client.get("/v1/network").json() == json.loads(result.stdout)


def test_lanes_geometry_and_unknown_lane(client):
    r = client.get("/v1/network/lanes", params={"id": ["FCL-CNYTN-USLAX"]})
    (feature,) = r.json()["features"]
    assert feature["properties"]["mode"] == "sea_fcl"
    assert feature["geometry"]["coordinates"][0] == pytest.approx([114.29208, 22.58352], abs=0.5)
    r = client.get("/v1/network/lanes", params={"id": ["FCL-CNYTN-USLAXX"]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["expected"] == "did you mean 'FCL-CNYTN-USLAX'?"


def test_unknown_path_and_method_are_problems(client):
    r = client.get("/v1/nothing")
    assert (r.status_code, r.headers["content-type"]) == (404, PROBLEM)
    r = client.delete("/v1/quotes")
    assert (r.status_code, r.headers["content-type"]) == (405, PROBLEM)


def test_page_assets_and_docs_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and "quote-form" in page.text
    for src in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        assert client.get(src).status_code == 200, src
    assert "http" not in client.get("/static/app.js").text.replace("http://www.w3.org", "")
    assert client.get("/assets/basemap.geojson").json()["type"] == "FeatureCollection"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


# -------------------------------------------------------------------------------- keys
def test_api_key_guards_v1_only(tmp_path):
    app = create_app(NETWORK, db_path=tmp_path / "j.sqlite", api_key="s3cret")
    c = TestClient(app)
    r = c.post("/v1/quotes", json=SHIPMENT)
    assert (r.status_code, r.headers["content-type"]) == (401, PROBLEM)
    assert c.post("/v1/quotes", json=SHIPMENT, headers={"X-API-Key": "wrong"}).status_code == 401
    assert c.post("/v1/quotes", json=SHIPMENT, headers={"X-API-Key": "s3cret"}).status_code == 200
    assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200
    assert c.get("/openapi.json").json()["components"]["securitySchemes"]["ApiKey"]["name"] == (
        "X-API-Key"
    )


def test_serve_refuses_a_public_address_without_a_key():
    result = CliRunner().invoke(main, ["serve", "--network", str(NETWORK), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "listening beyond this machine without an API key" in result.stderr


# ------------------------------------------------------------------------------- plans
@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("network: ../networks/global\n", "network", "names a file"),
        ("demands_csv: /etc/passwd\n", "demands_csv", "names a file"),
        ("what_if: {customs_rules_csv: ../x.csv}\n", "what_if.customs_rules_csv", "names a file"),
        ("solver: {time_limit_s: 100000}\n", "solver.time_limit_s", "above this server's limit"),
    ],
)
def test_scenarios_cannot_name_files_or_exceed_limits(client, text, field, message):
    base = SCENARIO.replace("solver:\n  time_limit_s: 30\n  seed: 0\n", "")
    r = client.post("/v1/plans", content=base + text, headers={"content-type": "application/yaml"})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert r.json()["errors"][0]["message"].startswith(message)


def test_scenario_problems_name_line_and_field(client):
    bad = SCENARIO.replace("M_US_WEST", "M_US_WST").replace("plan_date: 2026-03-01", "plan_date: x")
    r = client.post("/v1/plans", content=bad, headers={"content-type": "application/yaml"})
    assert r.status_code == 422
    got = {(e["field"], e["row"]) for e in r.json()["errors"]}
    assert ("plan_date", 3) in got


def test_scenario_aliases_wrong_types_and_media(client):
    bomb = 'a: &a ["x", "x"]\nb: &b [*a, *a]\nname: *b\n'
    r = client.post("/v1/plans", content=bomb, headers={"content-type": "application/yaml"})
    assert r.status_code == 422
    assert "anchors and aliases" in r.json()["errors"][0]["message"]
    r = client.post("/v1/plans", content="[1, 2]", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/v1/plans", content=SCENARIO, headers={"content-type": "text/csv"})
    assert (r.status_code, r.headers["content-type"]) == (415, PROBLEM)
    r = client.get("/v1/plans/0123")
    assert (r.status_code, r.headers["content-type"]) == (404, PROBLEM)


def test_plan_submitted_as_json_is_queued(client):
    data = yaml.safe_load(SCENARIO)
    data["plan_date"] = "2026-03-01"
    r = client.post("/v1/plans", json=data)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and r.headers["location"] == f"/v1/plans/{job['id']}"
    assert client.get(f"/v1/plans/{job['id']}").json()["status"] == "queued"
    r = client.get(f"/v1/plans/{job['id']}/plan.json")
    assert r.status_code == 409 and "queued" in r.json()["detail"]


@pytest.mark.slow
def test_plan_job_gives_the_plan_json_of_xborder_run(tmp_path):
    from optimizer.network.reader import load_network
    from optimizer.plan.writers import plan_json
    from optimizer.scenario.load import apply_what_if
    from optimizer.scenario.reader import parse_scenario
    from optimizer.solve.optimize import optimize

    app = create_app(NETWORK, db_path=tmp_path / "jobs.sqlite")
    with TestClient(app) as c:
        r = c.post("/v1/plans", content=SCENARIO, headers={"content-type": "application/yaml"})
        assert r.status_code == 202
        job = wait_for_job(c.get, r.json()["id"], until=("finished", "failed"))
        assert job["status"] == "finished", job["message"]
        text = c.get(f"/v1/plans/{job['id']}/plan.json").text
    network, _ = load_network(NETWORK)
    sc = parse_scenario(SCENARIO, path=Path("request body"), network=network, network_path=NETWORK)
    direct = plan_json(optimize(sc, apply_what_if(network, sc.what_if)))
    strip = re.compile(r'"solve_seconds": [0-9.e-]+')
    assert strip.sub("", text) == strip.sub("", direct)
    assert job["plan"] == json.loads(text)
    assert job["plan"]["status"] == "optimal"


@pytest.mark.slow
def test_restart_serves_finished_plans_and_says_which_were_interrupted(tmp_path):
    db = tmp_path / "jobs.sqlite"
    first = create_app(NETWORK, db_path=db)
    with TestClient(first) as c:
        done = c.post("/v1/plans", content=SCENARIO, headers={"content-type": "application/yaml"})
        done_id = done.json()["id"]
        finished = wait_for_job(c.get, done_id, until=("finished", "failed"))
        assert finished["status"] == "finished"
        slow = c.post("/v1/plans", content=SCENARIO, headers={"content-type": "application/yaml"})
        slow_id = slow.json()["id"]
        wait_for_job(c.get, slow_id, until=("running",))
        queued = c.post("/v1/plans", content=SCENARIO, headers={"content-type": "application/yaml"})
        queued_id = queued.json()["id"]
    # the server stopped while `slow` ran (its worker was stopped), before `queued` began;
    # then a server that crashed: `queued` left running with no worker, `pending` queued
    store = JobStore(db)
    crashed = store.claim_next()
    assert crashed is not None and crashed.id == queued_id
    pending = store.submit("one US demand", SCENARIO)
    second = create_app(NETWORK, db_path=db)
    with TestClient(second) as c:
        again = c.get(f"/v1/plans/{done_id}").json()
        assert again["status"] == "finished" and again["plan"] == finished["plan"]
        assert c.get(f"/v1/plans/{done_id}/plan.json").json() == finished["plan"]
        stopped = c.get(f"/v1/plans/{slow_id}").json()
        assert stopped["status"] == "interrupted" and stopped["plan"] is None
        assert "the server stopped while this job ran" in stopped["message"]
        assert c.get(f"/v1/plans/{slow_id}/plan.json").status_code == 409
        assert c.get(f"/v1/plans/{queued_id}").json()["status"] == "interrupted"
        assert "the server stopped" in c.get(f"/v1/plans/{queued_id}").json()["message"]
        ran = wait_for_job(c.get, pending.id, until=("finished", "failed"))  # queued: runs now
        timeless = [{**p, "solve_seconds": None} for p in (ran["plan"], finished["plan"])]
        assert timeless[0] == timeless[1]
    assert JobStore(db).get(done_id).status is JobStatus.FINISHED


@pytest.mark.slow
def test_readme_curl_example_runs_against_a_live_server(tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(curl -s -X POST http://127\.0\.0\.1:8000/v1/quotes.*?)```",
                      readme, re.S)  # fmt: skip
    assert block, "README lost its curl example"
    command = block.group(1).replace("\\\n", " ")
    app = create_app(NETWORK, db_path=tmp_path / "jobs.sqlite")
    with live_server(app) as url:
        args = [a.replace("http://127.0.0.1:8000", url) for a in shlex.split(command)]
        out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)
        answer = json.loads(out.stdout)
    _code, expected, _ = cli_json(
        "--from", "CN_SZX_ORIGIN", "--to", "M_US_WEST", "--weight", "1.2", "--dims", "30x20x10",
        "--value", "45", "--currency", "USD", "--category", "apparel", "--ship-date", "2026-03-01",
    )  # fmt: skip
    assert answer == expected


def test_each_server_process_builds_the_same_app_from_the_environment(tmp_path, monkeypatch):
    from optimizer.serve.app import ENV, create_app_from_env

    monkeypatch.setenv(ENV["network"], str(NETWORK))
    monkeypatch.setenv(ENV["db"], str(tmp_path / "jobs.sqlite"))
    monkeypatch.setenv(ENV["limits"], json.dumps({"max_batch": 7, "max_body_bytes": 4096}))
    monkeypatch.setenv(ENV["api_key"], "k")
    c = TestClient(create_app_from_env())
    assert c.get("/healthz").json()["limits"]["max_batch"] == 7
    assert c.get("/v1/network").status_code == 401
    assert c.get("/v1/network", headers={"X-API-Key": "k"}).json()["name"] == "global"
