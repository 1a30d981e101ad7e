"""Elasticsearch-specific behaviour the shared contract suite cannot see.

Error mapping and retries run without a server; the rest needs the real one
(ELASTICSEARCH_URL, started by scripts/es.sh): skipped with a reason when the variable
is unset, failing when it is set and the server does not answer.
"""
from __future__ import annotations

import os
import socket
import time
import uuid

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError
from elasticsearch import ConnectionError as ESConnectionError

from khabar.arabic import analyze
from khabar.models import Document, Passage
from search.backends import BackendError, BackendUnavailable, Filters, IndexMismatch
from search.backends.elastic import ElasticBackend, ElasticSettings
from search.backends.elastic.mappings import ANALYZER_KHABAR, ANALYZER_NATIVE


def api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "localhost", 9200))
    return ApiError(f"HTTP {status}", meta, {"error": {"type": "t", "reason": f"status {status}"}})


def offline_backend(attempts: int = 3) -> ElasticBackend:
    """An instance for exercising `_call` alone (no connection is made)."""
    backend = object.__new__(ElasticBackend)
    backend.url, backend.attempts = "http://es.invalid:9200", attempts
    return backend


@pytest.mark.parametrize("status", [429, 503])
def test_transient_errors_are_retried(status):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise api_error(status)
        return "ok"

    assert offline_backend(attempts=3)._call("test", flaky) == "ok"
    assert len(calls) == 3


def test_persistent_overload_becomes_unavailable():
    calls = []

    def overloaded():
        calls.append(1)
        raise api_error(503)

    with pytest.raises(BackendUnavailable, match="HTTP 503 after 2 attempts"):
        offline_backend(attempts=2)._call("search", overloaded)
    assert len(calls) == 2


def test_client_errors_are_not_retried():
    calls = []

    def bad_request():
        calls.append(1)
        raise api_error(400)

    with pytest.raises(BackendError, match="status 400") as info:
        offline_backend(attempts=4)._call("search", bad_request)
    assert not isinstance(info.value, BackendUnavailable)
    assert len(calls) == 1


def test_unreachable_cluster_is_unavailable_with_a_clear_message(monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("ELASTICSEARCH_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=f"127.0.0.1:{port} is unreachable.*ELASTICSEARCH_URL"):
        ElasticBackend.from_env("e", 4)
    assert time.monotonic() - started < 20


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("ELASTICSEARCH_URL", "https://es.example:9243")
    monkeypatch.setenv("ELASTICSEARCH_API_KEY", "abc")
    monkeypatch.setenv("KHABAR_ES_PREFIX", "news")
    settings = ElasticSettings.from_env()
    assert (settings.url, settings.api_key, settings.prefix) == ("https://es.example:9243", "abc", "news")
    monkeypatch.setenv("KHABAR_ES_PREFIX", "Bad Prefix")
    with pytest.raises(BackendError, match="KHABAR_ES_PREFIX"):
        ElasticSettings.from_env()


def test_vector_index_type_setting(monkeypatch):
    from khabar.settings import SettingsError

    assert ElasticSettings.from_env().vector_index == "hnsw"
    monkeypatch.setenv("KHABAR_ES_VECTOR_INDEX", "BBQ_HNSW")
    assert ElasticSettings.from_env().vector_index == "bbq_hnsw"
    monkeypatch.setenv("KHABAR_ES_VECTOR_INDEX", "ivf")
    with pytest.raises(SettingsError, match="KHABAR_ES_VECTOR_INDEX must be one of hnsw, int8_hnsw"):
        ElasticSettings.from_env()


def test_url_lists_every_node_of_a_cluster(monkeypatch):
    monkeypatch.setenv("ELASTICSEARCH_URL", "http://10.0.0.1:9200, http://10.0.0.2:9200,")
    settings = ElasticSettings.from_env()
    assert settings.hosts() == ["http://10.0.0.1:9200", "http://10.0.0.2:9200"]
    client = settings.client()
    assert sorted(n.base_url for n in client.transport.node_pool.all()) == settings.hosts()
    client.close()
    with pytest.raises(BackendError, match="ELASTICSEARCH_URL is empty"):
        ElasticSettings(url=" , ").hosts()


# ------------------------------------------------------------------ real server
@pytest.mark.elasticsearch
def test_a_node_that_is_down_is_passed_over(monkeypatch):
    """With a dead node listed first, every request still reaches the live one (a retry on the next node)."""
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set (scripts/es.sh start; eval \"$(scripts/es.sh env)\")")
    with socket.socket() as s:  # a port nobody listens on: a node that is down
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("ELASTICSEARCH_URL", f"{dead},{url}")
    backend = ElasticBackend.from_env("test:e", 4, prefix=f"khabar-t-{uuid.uuid4().hex[:8]}")
    try:
        for i in range(6):  # round-robin: the dead node comes up again once its time-out ends
            backend.upsert([one_doc(f"d{i}", "الغارات على المدينة")])
        assert backend.stats().documents == 6
        assert len(backend.lexical(analyze("الغارات"), 10, Filters())) == 6
    finally:
        backend.destroy()
        backend.close()


@pytest.fixture
def live():
    if not os.environ.get("ELASTICSEARCH_URL"):
        pytest.skip("ELASTICSEARCH_URL is not set (scripts/es.sh start; eval \"$(scripts/es.sh env)\")")
    backends: list[ElasticBackend] = []

    def make(embedder_id: str = "test:e", dim: int = 4, prefix: str | None = None) -> ElasticBackend:
        backend = ElasticBackend.from_env(embedder_id, dim, prefix=prefix or f"khabar-t-{uuid.uuid4().hex[:8]}")
        backends.append(backend)
        return backend

    yield make
    for backend in backends:
        try:
            backend.destroy()
            backend.close()
        except BackendError:
            pass


def one_doc(doc_id: str, text: str, published_at: str | None = "2024-01-01") -> Document:
    doc = Document(doc_id, f"عنوان {doc_id}", text, f"hash-{doc_id}", source="src", published_at=published_at)
    doc.passages = [Passage(f"{doc_id}-p0", doc_id, 0, text, 0, len(text))]
    return doc


@pytest.mark.elasticsearch
def test_rejected_documents_are_reported_not_dropped(live):
    backend = live()
    good = one_doc("good", "الغارات على المدينة")
    bad = one_doc("bad", "نص عادي")
    bad.passages[0].ordinal = 2**40  # out of range for the integer field: the cluster refuses it
    with pytest.raises(BackendError, match=r"(?s)rejected 1 of 2 .*bad-p0.*ordinal"):
        backend.upsert([good, bad])
    # The document record is written last, so the failed batch is not marked as stored
    # and the next ingest retries it.
    assert "bad" not in backend.content_hashes()


@pytest.mark.elasticsearch
def test_the_vector_index_type_is_set_at_creation_and_kept_by_an_existing_index(live, monkeypatch):
    import numpy as np

    monkeypatch.setenv("KHABAR_ES_VECTOR_INDEX", "int8_hnsw")
    backend = live(dim=8)
    mapping = backend.client.indices.get_mapping(index=backend.passages_alias)
    assert next(iter(mapping.values()))["mappings"]["properties"]["vector"]["index_options"]["type"] == "int8_hnsw"
    assert backend.stats().details["vector_index"]["kind"] == "int8_hnsw"
    backend.upsert([one_doc("a", "الغارات على المدينة"), one_doc("b", "نص عادي")])
    vectors = np.eye(8, dtype=np.float32)[:2]
    backend.set_vectors(["a-p0", "b-p0"], vectors)
    assert [p for p, _ in backend.knn(vectors[1], 1, Filters())] == ["b-p0"]
    monkeypatch.setenv("KHABAR_ES_VECTOR_INDEX", "hnsw")
    reopened = live(dim=8, prefix=backend.prefix)  # the index exists: its own type is reported, not the setting
    assert reopened.vector_index == "int8_hnsw" and reopened.stats().details["vector_index"]["kind"] == "int8_hnsw"


@pytest.mark.elasticsearch
def test_text_field_uses_the_detected_analyser(live):
    backend = live()
    analyser = backend.stats().details["analyzer"]
    assert analyser in (ANALYZER_NATIVE, ANALYZER_KHABAR)
    tokens = [t["token"] for t in backend.client.indices.analyze(
        index=backend.passages_alias, field="text", text="والمدنيين")["tokens"]]
    # Lucene's Arabic stemmer strips و+ال and the plural suffix; `standard` keeps the word.
    assert tokens == (["مدن"] if analyser == ANALYZER_NATIVE else ["والمدنيين"])


@pytest.mark.elasticsearch
def test_indices_are_versioned_behind_aliases_with_info(live):
    backend = live(embedder_id="emb-a", dim=4)
    details = backend.stats().details
    assert details["indices"] == {f"{backend.prefix}-{n}": f"{backend.prefix}-{n}-v1" for n in ("passages", "docs", "claims")}
    assert details["fusion"].startswith("client-side") and details["server_version"].startswith("9.")
    assert details["licence"] in {"basic", "trial", "gold", "platinum", "enterprise"}
    with pytest.raises(IndexMismatch, match="emb-a"):
        live(embedder_id="emb-b", dim=4, prefix=backend.prefix)


@pytest.mark.elasticsearch
def test_unparsable_date_is_kept_but_never_matches_a_date_filter(live):
    backend = live()
    odd_dates = {"odd": "spring 2019", "long": "x" * 40_000}  # 40k: longer than a Lucene term may be
    backend.upsert([one_doc(doc_id, "الغارات على المدينة", published_at=d) for doc_id, d in odd_dates.items()])
    for doc_id, written in odd_dates.items():
        assert backend.get_document(doc_id).published_at == written
    assert backend.lexical(analyze("الغارات"), 5, Filters()) != []
    assert backend.lexical(analyze("الغارات"), 5, Filters(date_from="2000-01-01")) == []


def test_an_index_from_before_sparse_terms_gets_their_fields_when_opened(live):
    """Indices created by an earlier Khabar have a strict mapping without the sparse fields: opening
    one adds them in place (no re-index), and its passages then take latent terms."""
    import numpy as np

    from search.backends.elastic.mappings import SPARSE_FIELDS

    backend = live()
    backend.upsert([one_doc("old", "نص قديم عن الطقس.")])
    concrete = backend.concrete_indices()[backend.passages_alias]
    # what an earlier version left: the same index, without the two sparse fields in its mapping
    client = backend.client
    body = client.indices.get_mapping(index=concrete)[concrete]["mappings"]
    old = {k: v for k, v in body["properties"].items() if k not in SPARSE_FIELDS}
    client.indices.delete(index=concrete)
    client.indices.create(index=concrete, aliases={backend.passages_alias: {"is_write_index": True}},
                          mappings={**body, "properties": old}, settings={"number_of_shards": 1,
                                                                          "number_of_replicas": 0})
    assert not SPARSE_FIELDS.keys() & client.indices.get_mapping(index=concrete)[concrete]["mappings"]["properties"].keys()
    reopened = live(prefix=backend.prefix)
    assert SPARSE_FIELDS.keys() <= client.indices.get_mapping(index=concrete)[concrete]["mappings"]["properties"].keys()
    reopened.upsert([one_doc("old", "نص قديم عن الطقس.")])
    pid = reopened.passages_without_vectors(10)[0].passage_id
    reopened.set_vectors([pid], np.ones((1, 4), dtype=np.float32) / 2, [(np.array([3, 9], dtype=np.int32),
                                                                         np.array([0.5, 0.25], dtype=np.float32))])
    assert np.array_equal(reopened.sparse_vectors([pid])[pid][0], [3, 9])
