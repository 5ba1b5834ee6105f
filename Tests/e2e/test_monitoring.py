"""deploy/ (issue 17): the Prometheus alerting rules pass `promtool check rules` and their own
unit tests (`promtool test rules`), the Grafana dashboard's queries are valid PromQL, and every
metric either names is one that the running service's /metrics serves."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import requests

from notify_e2e import TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "notify-alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "notify-alerts.test.yml"
GRAFANA = ROOT / "deploy" / "grafana" / "notify-dashboard.json"


def promtool(*args: str, cwd: Path | None = None) -> str:
    assert shutil.which("promtool"), "promtool is missing (scripts/test installs the Debian prometheus package)"
    result = subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"promtool {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def dashboard_queries() -> list[str]:
    dashboard = json.loads(GRAFANA.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_alerting_rules_pass_promtool_check() -> None:
    out = promtool("check", "rules", str(RULES))
    assert "SUCCESS" in out and "rules found" in out, out


def test_alerting_rules_fire_as_their_unit_tests_expect() -> None:
    out = promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert "SUCCESS" in out, out


def test_grafana_dashboard_is_importable_and_its_queries_are_valid_promql(tmp_path: Path) -> None:
    dashboard = json.loads(GRAFANA.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}" and panel["targets"], panel["title"]
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]), panel["title"]
    # promtool has no offline query check; recording rules make it parse each expression.
    rules = {
        "groups": [
            {
                "name": "grafana",
                "rules": [
                    {"record": f"notify:grafana_query_{n}", "expr": expr} for n, expr in enumerate(dashboard_queries())
                ],
            }
        ]
    }
    path = tmp_path / "grafana-queries.yml"
    path.write_text(json.dumps(rules))  # JSON is YAML
    out = promtool("check", "rules", str(path))
    assert f"{len(dashboard_queries())} rules found" in out, out


def test_every_metric_named_is_served_by_metrics(base_url: str) -> None:
    response = requests.get(base_url + "/metrics", timeout=TIMEOUT)
    assert response.status_code == 200
    served = {line.split("{")[0].split(" ")[0] for line in response.text.splitlines() if line.startswith("notify_")}
    named = set(re.findall(r"\bnotify_[a-z_]+\b", RULES.read_text() + "\n".join(dashboard_queries())))
    assert named, "the rules and the dashboard name no metric?"
    missing = sorted(named - served)
    assert not missing, f"named in deploy/ but not served by /metrics: {missing} (served: {sorted(served)})"
