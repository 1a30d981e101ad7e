"""docker/compose.yaml, docker/Dockerfile and the README's settings table agree with the code they deploy.

No Docker engine runs in CI, so these checks catch what a typo would otherwise only
reveal at `docker compose up`: an environment variable the code never reads (the code's
variables are the fields of `khabar.settings.Settings`, the one module that reads them), an
Elasticsearch image whose major differs from the Python client's, a health check on
an endpoint that does not exist, a COPY of a path that is not in the repository.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import elasticsearch
import pytest
import yaml

from khabar import settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker" / "compose.yaml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
DOCKERIGNORE = ROOT / "docker" / "Dockerfile.dockerignore"


def env_dict(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, dict):
        return {k: str(v) for k, v in env.items()}
    return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def code_env() -> set[str]:
    names = set(settings.variables())
    # The list itself must be complete, or every check below would pass vacuously.
    assert {"KHABAR_BACKEND", "KHABAR_DATA_DIR", "ELASTICSEARCH_URL"} <= names, names
    return names


def test_services_and_volumes(compose):
    assert set(compose["services"]) == {"elasticsearch", "khabar"}
    assert {"es-data", "khabar-data"} <= set(compose["volumes"])


def test_every_khabar_env_var_is_read_by_the_code(compose, code_env):
    env = env_dict(compose["services"]["khabar"])
    unknown = sorted(set(env) - code_env)
    assert not unknown, f"compose sets variables no code reads: {unknown}"
    # Variables only mentioned in comments (how to enable security) must exist too.
    commented = set(re.findall(r"#\s*-\s*([A-Z][A-Z0-9_]*)=", COMPOSE.read_text(encoding="utf-8")))
    mentioned = set(re.findall(r"\b((?:ELASTICSEARCH|KHABAR)_[A-Z0-9_]+)\b", COMPOSE.read_text(encoding="utf-8")))
    assert not sorted((commented | mentioned) - code_env), sorted((commented | mentioned) - code_env)
    # The README's table is generated from the same object (python -m khabar.settings).
    readme = settings.readme_block((ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme == settings.markdown_table(), "README.md's settings table is stale: run python -m khabar.settings"


def test_khabar_points_at_the_elasticsearch_service(compose):
    services = compose["services"]
    env = env_dict(services["khabar"])
    assert env["KHABAR_BACKEND"] == "elasticsearch"
    url = urlparse(env["ELASTICSEARCH_URL"])
    assert url.hostname in services, f"{url.hostname} is not a compose service"
    assert url.port == 9200
    assert services["khabar"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"


def test_khabar_listens_publicly_with_a_key_and_its_own_volume(compose):
    khabar = compose["services"]["khabar"]
    env = env_dict(khabar)
    assert env["KHABAR_HOST"] == "0.0.0.0"
    # ui.server refuses a non-loopback host without KHABAR_API_KEY: compose must demand one.
    assert env["KHABAR_API_KEY"].startswith("${KHABAR_API_KEY:?")
    port = env.get("KHABAR_PORT", "7860")
    assert any(str(p).endswith(f":{port}") for p in khabar["ports"]), khabar["ports"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in khabar["volumes"]}
    assert mounts.get(env["KHABAR_DATA_DIR"]) == "khabar-data"


def test_elasticsearch_image_matches_client_and_ci_server(compose):
    es = compose["services"]["elasticsearch"]
    image, _, tag = es["image"].rpartition(":")
    assert image.endswith("elasticsearch/elasticsearch")
    client_major = elasticsearch.__versionstr__.split(".")[0]
    assert tag.split(".")[0] == client_major, f"image {tag} vs Python client {elasticsearch.__versionstr__}"
    ci_version = re.search(r'ES_VERSION="\$\{ES_VERSION:-([0-9.]+)\}"', (ROOT / "scripts" / "es.sh").read_text())
    assert ci_version and ci_version.group(1) == tag, "compose and scripts/es.sh should run the same version"


def test_elasticsearch_settings(compose):
    es = compose["services"]["elasticsearch"]
    env = env_dict(es)
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "false"
    assert re.fullmatch(r"-Xms\S+ -Xmx\S+", env["ES_JAVA_OPTS"])
    assert "_cluster/health" in " ".join(es["healthcheck"]["test"])
    assert any(v.startswith("es-data:") for v in es["volumes"])
    text = COMPOSE.read_text(encoding="utf-8")
    assert "xpack.security.enabled=true" in text and "ELASTICSEARCH_API_KEY" in text, "explain how to secure it"


def test_dockerfile_runs_the_server_from_real_paths():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert cmd and yaml.safe_load(cmd.group(1)) == ["khabar", "serve", "--host", "0.0.0.0"]
    allowed = DOCKERIGNORE.read_text(encoding="utf-8")
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        *sources, _dest = line.split()
        for src in sources:
            assert (ROOT / src).exists(), f"COPY {src}: not in the repository"
            assert f"!{src}" in allowed, f"{src} is excluded from the build context by {DOCKERIGNORE.name}"
    health = re.search(r"(/api/[a-z]+)", text)
    assert health and f'"{health.group(1)}"' in (ROOT / "ui" / "api.py").read_text(encoding="utf-8")
    # The console script the CMD runs exists.
    assert 'khabar = "ui.cli:main"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_dockerfile_installs_the_dictionary_where_khabar_looks():
    """The image gets FreeDict from apt (as scripts/dictionary.sh does outside Docker), at a path search/translation/dictionary.py reads."""
    from search.translation.dictionary import NAME, SEARCH_DIRS

    text = DOCKERFILE.read_text(encoding="utf-8")
    package = re.search(r"PKG=(\S+)", (ROOT / "scripts" / "dictionary.sh").read_text(encoding="utf-8")).group(1)
    assert re.search(rf"apt-get install [^\n]*\b{re.escape(package)}\b", text)
    assert NAME in package and Path("/usr/share/dictd") in SEARCH_DIRS  # the Debian package's location


def test_dockerfile_can_compile_the_faster_engine():
    """The image compiles search/embedding/native/e5.c at `pip install` (a host's built .so is not sent)."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"apt-get install [^\n]*\bgcc\b[^\n]*\blibc6-dev\b", text)
    assert re.search(r"^COPY [^\n]*\bsetup\.py\b", text, re.M)
    ignore = DOCKERIGNORE.read_text(encoding="utf-8")
    assert "**/*.so" in ignore.splitlines(), "a built engine from the host must not shadow the image's own"

