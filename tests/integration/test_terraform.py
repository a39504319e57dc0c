"""Terraform, checked offline: formatting, checkov, and its wiring against the manifest.

`terraform init/validate/plan` need the provider download, so the wiring is checked by
parsing the HCL with python-hcl2 and by terraform/functions.json, the catalog Terraform
reads with `jsondecode(file(...))`, rendered from shared/convonet/manifest.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import hcl2
import pytest
from convonet.config import Settings
from convonet.manifest import FUNCTIONS, TOPICS
from convonet.state.base import EXPIRES_FIELD
from hcl2 import SerializationOptions

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = REPO_ROOT / "terraform"
MODULES = TERRAFORM / "modules"
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import render_terraform  # noqa: E402

HCL_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def _load(path: Path) -> dict[str, Any]:
    with path.open() as f:
        return hcl2.load(f, serialization_options=HCL_OPTIONS)


def _module(name: str) -> dict[str, list[dict[str, Any]]]:
    """All top-level blocks of one module directory, merged by block type."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((MODULES / name).glob("*.tf")):
        for block_type, blocks in _load(path).items():
            if not block_type.startswith("__"):
                merged.setdefault(block_type, []).extend(blocks)
    return merged


def _resources(module: str, resource_type: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in _module(module).get("resource", []):
        found.update(block.get(resource_type, {}))
    return found


def _one(items: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
    return items[0] if isinstance(items, list) else items


def _locals(module: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in _module(module).get("locals", []):
        merged.update(block)
    return merged


def _module_call(module: str, name: str) -> dict[str, Any]:
    for block in _module(module).get("module", []):
        if name in block:
            return block[name]
    raise KeyError(name)


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    return json.loads((TERRAFORM / "functions.json").read_text())


def test_terraform_fmt_is_clean() -> None:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("no terraform binary on this machine (it is not on any package registry)")
    result = subprocess.run(
        [binary, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_passes_or_each_skip_is_explained() -> None:
    started = time.monotonic()
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(TERRAFORM),
            "--framework",
            "terraform",
            "--compact",
            "--quiet",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(f"checkov took {time.monotonic() - started:.1f} s")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    reports = json.loads(result.stdout)
    for report in reports if isinstance(reports, list) else [reports]:
        results = report.get("results", {})
        assert results.get("failed_checks", []) == []
        for skipped in results.get("skipped_checks", []):
            assert skipped["check_result"].get("suppress_comment", "").strip(), skipped["check_id"]
    for path in TERRAFORM.rglob("*.tf"):
        for line in path.read_text().splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"#checkov:skip=CKV2?_[A-Z]+_\d+:\S.{10,}", line), (path, line)


def test_rendered_catalog_is_up_to_date() -> None:
    assert (TERRAFORM / "functions.json").read_text() == render_terraform.render(), (
        "terraform/functions.json is stale: run python scripts/render_terraform.py"
    )


def test_catalog_lists_every_manifest_function_topic_and_secret(catalog: dict[str, Any]) -> None:
    deployed = set(catalog["functions"]) | set(catalog["services"])
    assert deployed == {f.name for f in FUNCTIONS}
    assert catalog["topics"] == list(TOPICS)
    assert set(catalog["secrets"]) == {s for f in FUNCTIONS for s in f.all_secrets()}
    for spec in FUNCTIONS:
        entry = {**catalog["functions"], **catalog["services"]}[spec.name]
        assert entry["settings"] == list(spec.all_settings())
        assert entry["secrets"] == list(spec.all_secrets())
        assert entry["entry_point"] == spec.entry_point


def test_platform_reads_the_catalog_and_deploys_every_function_with_one_module() -> None:
    locals_ = _locals("platform")
    assert 'file("${path.module}/../../functions.json")' in locals_["catalog"]
    assert locals_["functions"] == "${local.catalog.functions}"
    call = _module_call("platform", "functions")
    assert call["source"] == "../function"
    assert call["for_each"] == "${local.functions}"
    assert call["entry_point"] == "${each.value.entry_point}"


def test_function_module_has_its_own_service_account_and_bundle() -> None:
    function = _resources("function", "google_cloudfunctions2_function")["this"]
    service = _one(function["service_config"])
    build = _one(function["build_config"])
    assert service["service_account_email"] == "${google_service_account.this.email}"
    assert "this" in _resources("function", "google_service_account")
    assert build["entry_point"] == "${var.entry_point}"
    storage = _one(_one(build["source"])["storage_source"])
    assert storage["object"] == "${google_storage_bucket_object.bundle.name}"
    bundle = _resources("function", "google_storage_bucket_object")["bundle"]
    assert "${var.bundle.sha256}" in bundle["name"]
    # Secrets arrive by reference only, never as plain values.
    assert "secret_environment_variables" in str(service.get("dynamic"))


def test_http_functions_are_routed_and_event_functions_triggered() -> None:
    edge_call = _module_call("platform", "edge")
    routes = str(edge_call["routes"])
    assert "for name, f in local.functions" in routes and 'if f.kind == "http"' in routes
    assert "local.gateway.paths" in routes
    path_rules = _locals("edge")["path_rules"]
    assert '[p, "${p}/*"]' in path_rules
    url_map = _resources("edge", "google_compute_url_map")["this"]
    matcher = _one(url_map["path_matcher"])
    assert _one(matcher["dynamic"])["path_rule"]["for_each"] == "${local.path_rules}"
    assert matcher["default_service"] == "${google_compute_backend_bucket.web.id}"
    negs = _resources("edge", "google_compute_region_network_endpoint_group")["this"]
    assert negs["for_each"] == "${var.routes}" and negs["network_endpoint_type"] == "SERVERLESS"

    call = _module_call("platform", "functions")
    assert "each.value.topics" in call["trigger_config"]
    assert 'each.value.kind != "event"' in call["trigger_config"]
    subscription = _resources("function", "google_pubsub_subscription")["trigger"]
    assert subscription["for_each"] == "${local.triggers}"
    assert _one(subscription["dead_letter_policy"])["dead_letter_topic"]
    assert _one(subscription["retry_policy"])["minimum_backoff"]
    assert "/topics/${each.key}" in _one(subscription["push_config"])["push_endpoint"]


def test_runtime_map_resolves_like_the_url_map(catalog: dict[str, Any]) -> None:
    """The URL map's rules, computed as edge/urlmap.tf does, send each path to its owner."""
    rules: dict[str, str] = {}
    for name, spec in {**catalog["functions"], **catalog["services"]}.items():
        if spec["kind"] in ("http", "service"):
            for prefix in spec["paths"]:
                rules[prefix] = rules[f"{prefix}/*"] = name

    def route(path: str) -> str:
        if path in rules:
            return rules[path]
        wildcards = [r for r in rules if r.endswith("/*") and path.startswith(r[:-1])]
        return rules[max(wildcards, key=len)] if wildcards else "web"

    expected = {
        "/webrtc/ws": "voice_gateway",
        "/twilio/media": "voice_gateway",
        "/twilio/voice": "twilio_webhook",
        "/twilio/voice/gather": "twilio_webhook",
        "/twilio/transfer_callback": "transfer_callback",
        "/agent/process": "agent_turn",
        "/api/reservations": "reservations",
        "/api/reservations/42": "reservations",
        "/webhooks/hanok_table/voice": "reservations",
        "/agent-monitor/api/interactions": "monitor_api",
        "/call-center/api/agents": "call_center_api",
        "/api/auth/login": "auth_api",
        "/convonet_todo/api/todos": "workspace_api",
        "/patient/123": "crm_api",
        "/meeting/create": "crm_api",
        "/mcp": "mcp_server",
        "/voice_assistant": "web",
        "/index.html": "web",
    }
    assert {path: route(path) for path in expected} == expected


def test_every_secret_and_topic_is_declared_without_values(catalog: dict[str, Any]) -> None:
    data_call = _module_call("platform", "data")
    assert data_call["secrets"] == "${values(local.catalog.secrets)}"
    assert data_call["topics"] == "${local.catalog.topics}"
    assert _resources("data", "google_secret_manager_secret")["this"]["for_each"] == (
        "${toset(var.secrets)}"
    )
    assert _resources("data", "google_pubsub_topic")["this"]["for_each"] == "${toset(var.topics)}"
    assert _resources("data", "google_pubsub_topic")["dead_letter"]["for_each"] == (
        "${toset(var.topics)}"
    )
    for path in TERRAFORM.rglob("*.tf"):
        assert "google_secret_manager_secret_version" not in path.read_text(), path
    assert all(re.fullmatch(r"[a-z0-9-]+", secret_id) for secret_id in catalog["secrets"].values())


def test_secret_names_never_travel_as_plain_settings(catalog: dict[str, Any]) -> None:
    settings_expr = _locals("platform")["settings"]
    for secret in catalog["secrets"]:
        assert f"{secret} =" not in settings_expr, secret
    gateway = _resources("voice_gateway", "google_cloud_run_v2_service")["this"]
    assert "secret_key_ref" in str(gateway)


def test_settings_production_needs_are_wired(catalog: dict[str, Any]) -> None:
    """Every manifest setting whose code default is absent or local-only gets a value."""
    wired = set(re.findall(r"\b([A-Z][A-Z0-9_]+) =", _locals("platform")["settings"]))
    wired |= {"DB_USER"}  # the function and gateway modules set it to the IAM database user
    needed = set()
    for spec in {**catalog["functions"], **catalog["services"]}.values():
        for name in spec["settings"]:
            default = Settings.model_fields[name.lower()].default
            if default is None or default in ("local", "dev"):
                needed.add(name)
    assert needed - wired == set()


def test_all_users_only_where_the_internet_must_reach() -> None:
    allowed = {
        MODULES / "platform" / "functions.tf",  # public HTTP functions, ingress via the LB only
        MODULES / "platform" / "gateway.tf",  # WebSockets from browsers and Twilio
        MODULES / "edge" / "web.tf",  # the static site bucket
    }
    found = {p for p in TERRAFORM.rglob("*.tf") if "allUsers" in p.read_text()}
    assert found == allowed
    call = _module_call("platform", "functions")
    assert (
        call["invokers"] == '${each.value.kind == "http" && each.value.public ? ["allUsers"] : []}'
    )
    assert "ALLOW_INTERNAL_AND_GCLB" in call["service"]["ingress"]
    assert 'each.value.kind == "http" && each.value.public' in call["service"]["ingress"]
    assert all(not f.public for f in FUNCTIONS if f.kind == "event")


def test_least_privilege_grants_are_per_resource() -> None:
    for module in ("function", "voice_gateway"):
        secret = _resources(module, "google_secret_manager_secret_iam_member")["secrets"]
        assert secret["role"] == "roles/secretmanager.secretAccessor"
        assert secret["for_each"] == "${var.secrets}"
    publisher = _resources("function", "google_pubsub_topic_iam_member")["publishes"]
    assert publisher["for_each"] == "${var.publishes}"
    project_roles: set[str] = set()
    for module in ("function", "voice_gateway", "platform"):
        for call in _module(module).get("module", []):
            for args in call.values():
                project_roles.update(args.get("project_roles", []))
        for grant in _resources(module, "google_project_iam_member").values():
            project_roles.update(re.findall(r"roles/[A-Za-z.]+", str(grant)))
    assert project_roles <= {
        "roles/datastore.user",
        "roles/cloudsql.client",
        "roles/cloudsql.instanceUser",
        "roles/logging.logWriter",
    }


def test_voice_gateway_keeps_websockets_alive(catalog: dict[str, Any]) -> None:
    service = _resources("voice_gateway", "google_cloud_run_v2_service")["this"]
    template = _one(service["template"])
    assert template["session_affinity"] is True
    assert template["timeout"] == "${var.service.timeout_s}s"
    assert catalog["services"]["voice_gateway"]["timeout_s"] == 3600
    assert service["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    resources = _one(_one(template["containers"])["resources"])
    assert resources["cpu_idle"] is False and resources["startup_cpu_boost"] is True
    assert "min_instance_count" in _one(template["scaling"])


def test_firestore_ttl_uses_the_state_store_expiry_field() -> None:
    ttl = _resources("data", "google_firestore_field")["ttl"]
    assert ttl["field"] == EXPIRES_FIELD
    assert "ttl_config" in ttl


def test_scheduler_feeds_reminders_every_minute() -> None:
    reminders = _module("data")["variable"]
    shape = next(v["reminders"] for v in reminders if "reminders" in v)["type"]
    assert 'optional(string, "reminders-due")' in shape
    assert 'optional(string, "* * * * *")' in shape
    assert "reminders-due" in TOPICS


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_environment_uses_the_platform_module_and_a_gcs_backend(env: str) -> None:
    folder = TERRAFORM / "environments" / env
    backend = _one(_load(folder / "backend.tf")["terraform"])["backend"]
    assert "gcs" in _one(backend)
    call = _one(_load(folder / "main.tf")["module"])["convonet"]
    assert call["source"] == "../../modules/platform"
    assert call["environment"] == env
    example = {k for k in _load(folder / "terraform.tfvars.example") if not k.startswith("__")}
    declared = {name for block in _load(folder / "variables.tf")["variable"] for name in block}
    assert example <= declared
