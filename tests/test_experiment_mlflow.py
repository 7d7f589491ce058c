"""`exp.log_to_mlflow` against a real MLflow tracking server on loopback (SQLite backend)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dspex_nb as dx
from tests.support.fault_server import FaultServer, ok
from tests.support.mlflow_server import MlflowServer

pytestmark = pytest.mark.integration
SECRET = "sk-mlflow-SECRET-42"


def _answer(request: Any) -> dict[str, str]:
    return {"answer": "yes" if "Say yes." in request.messages[0]["content"] else "no"}


def _experiment(tmp_path: Path) -> dx.Experiment:
    devset = [dx.Example(question=f"q{i}", answer="yes").with_inputs("question")
              for i in range(10)]
    base = dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer))
    told = dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer))
    told.instructions += " Say yes."
    return dx.Experiment(
        "mlflow check", "telling it to say yes raises exact match",
        arms={"base": dx.Arm(base, variables={"instructions": "plain"}),
              "told": dx.Arm(told, variables={"instructions": "say yes"})},
        metrics=[dx.metrics.answer_exact_match], store=tmp_path,
        display="none").run(devset=devset)


def test_parent_and_arm_runs_hold_params_metrics_and_artifacts(
        mlflow_server: MlflowServer, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    exp = _experiment(tmp_path)
    parent_id = exp.log_to_mlflow(tracking_uri=mlflow_server.url)
    client = MlflowClient(tracking_uri=mlflow_server.url)
    parent = client.get_run(parent_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["dspex.verdict"] == exp.verdict == "supported"
    assert parent.data.params["hypothesis"] == exp.hypothesis
    assert parent.data.metrics["told_vs_base.answer_exact_match.delta"] == 1.0
    logged = json.loads(Path(client.download_artifacts(parent_id, "experiment.json",
                                                       str(tmp_path))).read_text())
    assert logged["id"] == exp.id
    assert logged["comparisons"] == json.loads(json.dumps(exp.record.to_dict()["comparisons"]))

    children = client.search_runs([parent.info.experiment_id],
                                  f"tags.mlflow.parentRunId = '{parent_id}'")
    by_arm = {r.data.tags["dspex.arm"]: r for r in children}
    assert set(by_arm) == {"base", "told"}
    assert by_arm["told"].data.metrics["answer_exact_match"] == 1.0
    assert by_arm["base"].data.metrics["answer_exact_match"] == 0.0
    assert by_arm["told"].data.params["var.instructions"] == "say yes"
    files = {f.path for f in client.list_artifacts(by_arm["told"].info.run_id)}
    assert files == {"program_before.json", "program_after.json", "report.json"}
    program = json.loads(Path(client.download_artifacts(
        by_arm["told"].info.run_id, "program_after.json", str(tmp_path / "told"))).read_text())
    assert program["state"]["signature"]["instructions"].endswith("Say yes.")


def test_logging_twice_reuses_the_mlflow_experiment(mlflow_server: MlflowServer,
                                                    tmp_path: Path) -> None:
    from mlflow import MlflowClient

    exp = _experiment(tmp_path)
    first = exp.log_to_mlflow(tracking_uri=mlflow_server.url, experiment_name="shared")
    second = exp.log_to_mlflow(tracking_uri=mlflow_server.url, experiment_name="shared")
    client = MlflowClient(tracking_uri=mlflow_server.url)
    assert client.get_run(first).info.experiment_id == client.get_run(second).info.experiment_id


def test_no_api_key_reaches_the_mlflow_server(mlflow_server: MlflowServer,
                                              fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script(ok('{"answer": "yes"}'))
    lm = dx.LM("gpt-4o-mini", base_url=fault_server.url, api_key=SECRET, cache=False)
    devset = [dx.Example(question="q", answer="yes").with_inputs("question")]
    exp = dx.Experiment("mlflow secrets", "h",
                        arms={"a": dx.Arm(dx.Predict("question -> answer"), lm=lm)},
                        metrics=[dx.metrics.answer_exact_match], store=tmp_path / "store",
                        display="none").run(devset=devset)
    exp.log_to_mlflow(tracking_uri=mlflow_server.url)
    stored = b"".join(p.read_bytes() for p in mlflow_server.root.rglob("*")
                      if p.is_file() and p.name != "mlflow.log")
    assert b"gpt-4o-mini" in stored  # the arm's LM settings were logged: the scan means something
    assert SECRET.encode() not in stored


def test_an_experiment_that_has_not_run_is_refused(tmp_path: Path) -> None:
    exp = dx.Experiment("unrun", "h", arms={"a": dx.Predict("q -> a")},
                        metrics=[dx.metrics.answer_exact_match], store=False)
    with pytest.raises(dx.ConfigurationError, match="not run"):
        exp.log_to_mlflow(tracking_uri="http://127.0.0.1:9")
