"""The deployment files of the replicated team server (issue 24) parse and
hold together: compose.yaml's `replicas` profile, and the Kubernetes
manifests under deploy/kubernetes/ (none of which can run here; the same
topology runs on loopback in test_replicas.py).

Parsed with PyYAML; what is checked is what a typo would break silently:
names that must match across files (selectors, the Service the Ingress
sends to, the Secrets the Deployment reads), the probes, the replica
count, Redis's append-only persistence.
"""

from __future__ import annotations

import pathlib

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
K8S = REPO / "deploy" / "kubernetes"


def documents(path: pathlib.Path) -> list[dict]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert docs, f"{path} holds no document"
    return docs


def manifests() -> dict[str, dict]:
    kustomization = documents(K8S / "kustomization.yaml")[0]
    assert kustomization["kind"] == "Kustomization"
    out = {}
    for name in kustomization["resources"]:
        for doc in documents(K8S / name):
            assert {"apiVersion", "kind", "metadata"} <= set(doc), (name, sorted(doc))
            out[doc["kind"]] = doc
    return out


def test_every_yaml_file_parses():
    files = [REPO / "compose.yaml", *sorted(K8S.glob("*.yaml"))]
    assert len(files) >= 6, files
    for path in files:
        documents(path)


def test_compose_replicas_profile():
    compose = documents(REPO / "compose.yaml")[0]
    services = {n: s for n, s in compose["services"].items() if "replicas" in s.get("profiles", [])}
    assert set(services) == {"redis", "worksection-replica", "caddy-replicas"}, sorted(services)
    redis = services["redis"]
    assert redis["image"].startswith("redis:7"), redis["image"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes", command
    assert "--requirepass" in command
    replica = services["worksection-replica"]
    assert replica["deploy"]["replicas"] == 3
    env = replica["environment"]
    assert env["MCP_TEAM"] == "true"
    assert env["MCP_REDIS_URL"].startswith("redis://") and "@redis:6379" in env["MCP_REDIS_URL"]
    assert "MCP_TEAM_KEY" in env
    caddy = services["caddy-replicas"]
    mounted = [v.split(":")[0] for v in caddy["volumes"] if v.startswith("./")]
    assert mounted, caddy["volumes"]
    for source in mounted:
        caddyfile = (REPO / source).read_text()
        assert "worksection-replica 8000" in caddyfile
        assert "lb_policy header Mcp-Session-Id" in caddyfile and "fallback round_robin" in caddyfile
    assert "redis-data" in compose["volumes"]


def test_kubernetes_manifests_hold_together():
    m = manifests()
    assert {"Deployment", "Service", "PodDisruptionBudget", "Ingress"} <= set(m), sorted(m)
    deployment = m["Deployment"]
    spec = deployment["spec"]
    assert spec["replicas"] == 3
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    (container,) = spec["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    port_names = {p["name"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["port"] in port_names
    env = {e["name"]: e for e in container["env"]}
    assert env["MCP_TEAM"]["value"] == "true"
    # The Redis URL takes the password from the variable defined before it.
    names = [e["name"] for e in container["env"]]
    assert "$(REDIS_PASSWORD)" in env["MCP_REDIS_URL"]["value"]
    assert names.index("REDIS_PASSWORD") < names.index("MCP_REDIS_URL")
    secrets = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e}
    assert secrets == {"worksection-mcp", "worksection-redis"}, secrets
    for key in ("WORKSECTION_CLIENT_ID", "WORKSECTION_CLIENT_SECRET", "MCP_TEAM_KEY"):
        assert "secretKeyRef" in env[key]["valueFrom"], key
    # Redis from Bitnami's chart installed as `worksection-redis`: its
    # Service and Secret are the names the Deployment uses.
    assert "@worksection-redis-master:6379" in env["MCP_REDIS_URL"]["value"]
    install = (K8S / "redis-values.yaml").read_text()
    assert "helm install worksection-redis " in install
    values = documents(K8S / "redis-values.yaml")[0]
    assert values["auth"]["enabled"] is True
    assert "appendonly yes" in values["commonConfiguration"]

    service = m["Service"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    pdb = m["PodDisruptionBudget"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert 0 < pdb["spec"]["minAvailable"] < spec["replicas"]
    ingress = m["Ingress"]
    backends = [p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert backends and all(b["name"] == service["metadata"]["name"] for b in backends)
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
