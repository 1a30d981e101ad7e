"""Reading, cleaning and assembling real files into Documents (`indexer.pipeline`)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from indexer import pipeline
from indexer.ids import file_id, id_problem
from indexer.dedup import NUM_PERM, NearDuplicateIndex, fingerprint, similarity, unique_lines
from khabar.language import detect_language
from khabar.models import Document
from indexer.pipeline import content_hash, document_from_article, document_from_record, prepare
from indexer.readers import InputError, decode_bytes, read_file

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "samples" / "seeds"
FIXTURES = ROOT / "tests" / "fixtures" / "ingest"
SEED_STEMS = ["000_6a7e8e62bdd4c844", "001_c2520f273dc6881f", "002_49235c3dde4d8611",
              "003_0208e14cefb366fa", "004_62a002b87947c43e"]
SEED_IDS = [file_id((SEEDS / f"{stem}.txt").resolve()) for stem in SEED_STEMS]
ID = re.compile(r"^(?P<stem>.+)-[0-9a-f]{8}$")


def seed_id(stem: str) -> str:
    return SEED_IDS[SEED_STEMS.index(stem)]


def reasons(prepared) -> dict[str, str]:
    return {r.source: r.reason for r in prepared.rejected}


@pytest.fixture(scope="module")
def seeds():
    return prepare([SEEDS])


# --------------------------------------------------------------------------- txt / seeds
def test_seed_folder_gives_five_documents_with_stable_ids(seeds):
    assert [ID.match(d.doc_id)["stem"] for d in seeds.documents] == SEED_STEMS
    assert [d.doc_id for d in seeds.documents] == SEED_IDS
    assert seeds.rejected == [] and seeds.duplicates == []
    again = prepare([SEEDS])
    assert [(d.doc_id, d.content_hash, d.fingerprint) for d in again.documents] == \
           [(d.doc_id, d.content_hash, d.fingerprint) for d in seeds.documents]


def test_documents_are_complete(seeds):
    for doc in seeds.documents:
        assert doc.path == str((SEEDS / f"{ID.match(doc.doc_id)['stem']}.txt").resolve())
        assert doc.language == "ar"
        assert doc.content_hash == content_hash(doc.title, doc.text)
        assert len(doc.fingerprint) == NUM_PERM
        assert doc.passages, doc.doc_id
        for i, p in enumerate(doc.passages):
            assert p.doc_id == doc.doc_id and p.ordinal == i
            assert doc.text[p.start : p.end] == p.text
    by_id = {d.doc_id: d for d in seeds.documents}
    assert by_id[seed_id("003_0208e14cefb366fa")].published_at == "2024-02-08"
    assert by_id[seed_id("000_6a7e8e62bdd4c844")].source == "تاس"
    assert by_id[seed_id("002_49235c3dde4d8611")].sidebar  # the ticker
    assert "كأس أمم إفريقيا 2025" not in by_id[seed_id("000_6a7e8e62bdd4c844")].text
    assert "القصة؟أحمد" not in by_id[seed_id("002_49235c3dde4d8611")].text


def test_documents_round_trip_through_dict(seeds):
    doc = seeds.documents[0]
    assert Document.from_dict(json.loads(json.dumps(doc.to_dict(), ensure_ascii=False))) == doc


# --------------------------------------------------------------------------- html
def test_html_main_text_title_and_date():
    result = prepare([FIXTURES / "article.html"])
    assert result.rejected == []
    (doc,) = result.documents
    assert doc.doc_id == file_id((FIXTURES / "article.html").resolve()) and doc.doc_id.startswith("article-")
    assert doc.title == "التحالف يقر بمقتل مدنيين في غارة على الرقة"
    assert doc.published_at == "2017-03-28"
    assert "بمقتل 12 مدنيا على الأقل" in doc.text
    assert "منظمة إيروورز" in doc.text
    for leak in ("SCRIPT-LEAK", "STYLE-LEAK", "tracker", "كأس أمم إفريقيا", "جميع الحقوق محفوظة"):
        assert leak not in doc.text
    paragraphs = doc.text.split("\n")
    assert paragraphs[0] == doc.title and paragraphs.count(doc.title) == 1  # the headline once, first


def test_html_in_windows_1256_with_meta_charset(tmp_path):
    html = (FIXTURES / "article.html").read_text(encoding="utf-8").replace(
        '<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">')
    (tmp_path / "old.htm").write_bytes(html.encode("cp1256"))
    (doc,) = prepare([tmp_path]).documents
    assert doc.title == "التحالف يقر بمقتل مدنيين في غارة على الرقة"
    assert "منظمة إيروورز" in doc.text


def test_html_without_article_text_is_rejected(tmp_path):
    (tmp_path / "shell.html").write_text("<html><head><script>x()</script></head><body><nav>الرئيسية</nav></body></html>")
    result = prepare([tmp_path])
    assert result.documents == []
    assert "no article text" in reasons(result)[str(tmp_path / "shell.html")]


# --------------------------------------------------------------------------- jsonl
def test_jsonl_keeps_good_lines_and_reports_bad_ones():
    result = prepare([FIXTURES / "articles.jsonl"])
    path = str(FIXTURES / "articles.jsonl")
    ids = [d.doc_id for d in result.documents]
    assert ids[0] == "sana-001" and len(ids) == 3
    assert ids[1].startswith("url-") and ids[2].startswith("h-")
    why = reasons(result)
    assert set(why) == {f"{path}:4", f"{path}:5", f"{path}:6", f"{path}:7"}
    assert why[f"{path}:4"].startswith("invalid JSON")
    assert "text" in why[f"{path}:5"]
    assert "duplicate id 'sana-001'" in why[f"{path}:6"] and f"{path}:1" in why[f"{path}:6"]
    assert "published_at" in why[f"{path}:7"]
    first = result.documents[0]
    assert (first.source, first.url, first.published_at) == ("سانا", "https://example.org/sana-001", "2017-05-31")
    assert first.path == str((FIXTURES / "articles.jsonl").resolve())
    assert result.documents[1].published_at == "2024-02-08"  # "8 شباط 2024"


def test_jsonl_ids_without_id_are_stable_and_content_based():
    a = prepare([FIXTURES / "articles.jsonl"]).documents
    b = prepare([FIXTURES / "articles.jsonl"]).documents
    assert [d.doc_id for d in a] == [d.doc_id for d in b]


def test_duplicate_ids_across_files_in_one_run(tmp_path):
    line = {"id": "x1", "title": "عنوان أول للخبر", "text": "نص الخبر الأول عن الغارات في الرقة."}
    other = {"id": "x1", "title": "عنوان ثان مختلف", "text": "نص مختلف تماما عن الانتخابات في العراق."}
    (tmp_path / "a.jsonl").write_text(json.dumps(line, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps(other, ensure_ascii=False), encoding="utf-8")
    result = prepare([tmp_path])
    assert [d.title for d in result.documents] == ["عنوان أول للخبر"]
    assert "duplicate id 'x1'" in reasons(result)[f"{tmp_path / 'b.jsonl'}:1"]


# --------------------------------------------------------------------------- encodings and bad files
def test_cp1256_text_file_decodes(tmp_path):
    arabic = (SEEDS / "003_0208e14cefb366fa.txt").read_text(encoding="utf-8")
    arabic = arabic.encode("cp1256", errors="ignore").decode("cp1256")  # drop the few non-cp1256 marks
    (tmp_path / "legacy.txt").write_bytes(arabic.encode("cp1256"))
    with pytest.raises(UnicodeDecodeError):
        (tmp_path / "legacy.txt").read_bytes().decode("utf-8")
    (doc,) = prepare([tmp_path]).documents
    assert doc.title == "روسيا تؤكد استعدادها لمساعدة العراق في تعزيز قواته"
    assert doc.published_at == "2024-02-08"
    assert "بوابة الوفد" == doc.source


def test_decode_bytes_variants():
    assert decode_bytes("سورية".encode("utf-8-sig")) == "سورية"
    assert decode_bytes("سورية والعراق".encode("utf-16")) == "سورية والعراق"
    with pytest.raises(InputError, match="NUL"):
        decode_bytes(b"PK\x03\x04\x00\x00binary")


def test_binary_empty_unknown_and_hidden_files(tmp_path):
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\n \t\n")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".hidden.txt").write_text("مقال مخفي لا يجب قراءته.")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.txt").write_text("ملاحظات")
    result = prepare([tmp_path, tmp_path / "missing.txt"])
    why = reasons(result)
    assert result.documents == []
    assert "binary" in why[str(tmp_path / "image.txt")]
    assert why[str(tmp_path / "empty.txt")] == "empty"
    assert why[str(tmp_path / "blank.txt")] == "empty"
    assert "unsupported file type .pdf" in why[str(tmp_path / "report.pdf")]
    assert "no such file" in why[str(tmp_path / "missing.txt")]
    assert not any(".hidden" in s or ".git" in s for s in why)


def test_undecodable_bytes_without_nul_are_rejected(tmp_path):
    import random

    rng = random.Random(7)
    control = bytes(rng.choice(range(1, 32)) for _ in range(3000))  # valid UTF-8, but not text
    high = bytes(rng.choice(range(128, 256)) for _ in range(3000))  # no NUL, not UTF-8
    (tmp_path / "control.txt").write_bytes(control)
    (tmp_path / "high.txt").write_bytes(high)
    result = prepare([tmp_path])
    assert result.documents == []
    assert "binary" in reasons(result)[str(tmp_path / "control.txt")]
    assert "binary" in reasons(result)[str(tmp_path / "high.txt")]


def test_size_cap_from_environment(tmp_path, monkeypatch):
    shutil.copy(SEEDS / "000_6a7e8e62bdd4c844.txt", tmp_path / "big.txt")
    monkeypatch.setenv("KHABAR_MAX_FILE_MB", "0.001")  # ~1 KB
    articles, rejected = read_file(tmp_path / "big.txt")
    assert articles == [] and "too large" in rejected[0].reason and "KHABAR_MAX_FILE_MB" in rejected[0].reason
    monkeypatch.setenv("KHABAR_MAX_FILE_MB", "1")
    assert len(read_file(tmp_path / "big.txt")[0]) == 1
    monkeypatch.setenv("KHABAR_MAX_FILE_MB", "lots")
    with pytest.raises(ValueError, match="KHABAR_MAX_FILE_MB"):
        read_file(tmp_path / "big.txt")


def test_page_with_nothing_but_navigation_is_rejected(tmp_path):
    (tmp_path / "menu.txt").write_text("مباشر\nأين يمكنك متابعتنا\n  • فيديوهات\n  • 90 دقيقة\nزر الذهاب إلى الأعلى\n",
                                       encoding="utf-8")
    result = prepare([tmp_path])
    assert reasons(result)[str(tmp_path / "menu.txt")].startswith("no article text: the page holds only navigation")


# --------------------------------------------------------------------------- folders and ids
def test_folder_recursion_is_sorted_and_ids_name_the_file(tmp_path):
    for folder, stem in (("b/deep", SEED_STEMS[1]), ("a", SEED_STEMS[0]), ("c", SEED_STEMS[2])):
        (tmp_path / folder).mkdir(parents=True)
        shutil.copy(SEEDS / f"{stem}.txt", tmp_path / folder / ("story.txt" if folder != "c" else "other.txt"))
    result = prepare([tmp_path])
    assert [Path(d.path).parent.name for d in result.documents] == ["a", "deep", "c"]
    assert [ID.match(d.doc_id)["stem"] for d in result.documents] == ["story", "story", "other"]
    assert [d.doc_id for d in result.documents] == [file_id(d.path) for d in result.documents]
    assert len({d.doc_id for d in result.documents}) == 3


def _two_reports(tmp_path: Path) -> tuple[Path, Path]:
    """a/report.txt and b/report.txt: same file name, different articles."""
    a, b = tmp_path / "a" / "report.txt", tmp_path / "b" / "report.txt"
    for path, stem in ((a, SEED_STEMS[0]), (b, SEED_STEMS[2])):
        path.parent.mkdir(parents=True)
        shutil.copy(SEEDS / f"{stem}.txt", path)
    return a, b


def test_same_file_name_in_two_folders_gives_two_ids_in_separate_runs(tmp_path):
    a, b = _two_reports(tmp_path)
    first, second = prepare([a]).documents[0], prepare([b]).documents[0]
    assert first.doc_id != second.doc_id
    assert first.doc_id.startswith("report-") and second.doc_id.startswith("report-")
    assert prepare([a]).documents[0].doc_id == first.doc_id  # the same file again: the same id
    assert prepare([tmp_path / "a"]).documents[0].doc_id == first.doc_id  # through its folder too


def test_ids_are_readable_bounded_and_url_safe(tmp_path):
    odd = tmp_path / ("تقرير خاص: «الرقة» #1 " + "ط" * 90 + ".txt")
    shutil.copy(SEEDS / f"{SEED_STEMS[0]}.txt", odd)
    (doc,) = prepare([odd]).documents
    assert doc.doc_id.startswith("تقرير-خاص-الرقة-1-")
    assert len(doc.doc_id) <= 64 + 9 and "/" not in doc.doc_id and " " not in doc.doc_id
    assert id_problem(doc.doc_id) is None


def test_changed_file_keeps_its_id_and_gets_a_new_hash(tmp_path):
    path = tmp_path / "000_6a7e8e62bdd4c844.txt"
    shutil.copy(SEEDS / path.name, path)
    before = prepare([path]).documents[0]
    assert prepare([path]).documents[0].content_hash == before.content_hash
    path.write_text(path.read_text(encoding="utf-8").replace("352 قتيلا", "353 قتيلا"), encoding="utf-8")
    after = prepare([path]).documents[0]
    assert after.doc_id == before.doc_id
    assert after.content_hash != before.content_hash
    assert "353 قتيلا" in after.text
    # re-ingesting an edited document is an update, never a duplicate of itself
    again = prepare([path], existing_fingerprints={before.doc_id: before.fingerprint})
    assert again.duplicates == [] and [d.doc_id for d in again.documents] == [before.doc_id]


def test_menu_changes_do_not_change_the_hash(tmp_path):
    path = tmp_path / "page.txt"
    text = (SEEDS / "000_6a7e8e62bdd4c844.txt").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    before = prepare([path]).documents[0].content_hash
    path.write_text(text.replace("49 خبر", "50 خبر"), encoding="utf-8")
    assert prepare([path]).documents[0].content_hash == before


# --------------------------------------------------------------------------- near duplicates
def _lightly_edited(text: str) -> str:
    text = text.replace("أعربت وزارة الخارجية الروسية", "عبرت وزارة الخارجية الروسية")
    return text.replace("وجددت استعداد روسيا لمواصلة تقديم الدعم الفعال لبغداد في مكافحة التهديد الإرهابي بكل أشكاله.\n", "")


def test_near_duplicate_in_the_same_run(tmp_path):
    original = SEEDS / "000_6a7e8e62bdd4c844.txt"
    shutil.copy(original, tmp_path / original.name)
    (tmp_path / "zz_copy.txt").write_text(_lightly_edited(original.read_text(encoding="utf-8")), encoding="utf-8")
    result = prepare([tmp_path])
    first = file_id((tmp_path / original.name).resolve())
    assert [d.doc_id for d in result.documents] == [first]
    assert result.duplicates == [(file_id((tmp_path / "zz_copy.txt").resolve()), first)]


def test_near_duplicate_of_an_already_indexed_document(seeds, tmp_path):
    existing = {d.doc_id: d.fingerprint for d in seeds.documents}
    (tmp_path / "repost.txt").write_text(
        _lightly_edited((SEEDS / "000_6a7e8e62bdd4c844.txt").read_text(encoding="utf-8")), encoding="utf-8")
    (tmp_path / "fresh.txt").write_text("عنوان خبر جديد تماما\nنص خبر جديد عن الانتخابات البلدية في تونس وعدد المقترعين.",
                                        encoding="utf-8")
    result = prepare([tmp_path], existing_fingerprints=existing)
    assert result.duplicates == [(file_id((tmp_path / "repost.txt").resolve()), SEED_IDS[0])]
    assert [d.doc_id for d in result.documents] == [file_id((tmp_path / "fresh.txt").resolve())]


def test_distinct_articles_on_the_same_topic_are_not_duplicates(seeds):
    docs = seeds.documents
    for i, a in enumerate(docs):
        for b in docs[i + 1 :]:
            assert similarity(a.fingerprint, b.fingerprint) < 0.5, (a.doc_id, b.doc_id)


def test_fingerprint_is_deterministic_and_fold_insensitive():
    assert fingerprint("قتل مُدنيين في الغارات على سورية") == fingerprint("قتل مدنيين في الغارات على سوريه")
    assert fingerprint("نص") != fingerprint("نص آخر مختلف")
    index = NearDuplicateIndex({"a": fingerprint("التحالف يعترف بقتل 1257 مدنيا في سورية والعراق خلال الغارات")})
    assert index.duplicate_of("b", fingerprint("التحالف يعترف بقتل 1257 مدنيا في سورية والعراق خلال الغارات")) == "a"
    assert index.duplicate_of("a", fingerprint("التحالف يعترف بقتل 1257 مدنيا في سورية والعراق خلال الغارات")) is None
    assert index.duplicate_of("c", fingerprint("روسيا مستعدة لمساعدة العراق في تعزيز قواته الأمنية")) is None
    with pytest.raises(ValueError):
        index.add("d", [1, 2, 3])
    assert len(NearDuplicateIndex({"old": []})) == 0  # documents stored without a fingerprint are skipped


def test_unique_lines_keeps_first_copy():
    lines = ["مُدنيين قتلوا.", "مدنيين قتلوا", "سطر آخر", "سطر آخر"]
    assert unique_lines(lines) == ["مُدنيين قتلوا.", "سطر آخر"]


# --------------------------------------------------------------------------- API records, claims, language
def test_document_from_record():
    doc = document_from_record({"id": "api-1", "title": "عنوان", "text": "عنوان\nقتل 35 مدنيا في الميادين.",
                                "published_at": "2017-05-25", "source": "سانا"})
    assert (doc.doc_id, doc.title, doc.text, doc.published_at, doc.source) == \
           ("api-1", "عنوان", "عنوان\nقتل 35 مدنيا في الميادين.", "2017-05-25", "سانا")
    assert doc.passages and doc.passages[0].passage_id.startswith("api-1:")
    no_id = document_from_record({"title": "عنوان", "text": "قتل 35 مدنيا في الميادين."})
    assert no_id.doc_id == document_from_record({"title": "عنوان", "text": "قتل 35 مدنيا في الميادين."}).doc_id
    assert document_from_record({"text": "قتل 35 مدنيا في الميادين. ثم جملة أخرى."}).title == "قتل 35 مدنيا في الميادين."
    assert document_from_article("عنوان", "نص المقال هنا.", doc_id="x", path="/tmp/x.txt").path == "/tmp/x.txt"


@pytest.mark.parametrize("record,message", [
    ({"title": "عنوان"}, "text"),
    ({"title": "عنوان", "text": "   "}, "text"),
    ({"text": "نص", "title": 5}, "title"),
    ({"text": "نص", "id": ["a"]}, "id"),
    ({"text": "نص", "published_at": "قريبا"}, "published_at"),
    ({"text": "مباشر\nزر الذهاب إلى الأعلى"}, "no article text"),
    ("not an object", "JSON object"),
])
def test_document_from_record_rejects_bad_input(record, message):
    with pytest.raises(ValueError, match=message):
        document_from_record(record)


def test_claims_are_extracted_after_passages(monkeypatch):
    seen = {}

    def spy(doc):
        seen["passages"] = len(doc.passages)
        seen["sidebar"] = list(doc.sidebar)
        return []

    monkeypatch.setattr(pipeline, "extract_claims", spy)
    prepare([SEEDS / "002_49235c3dde4d8611.txt"])
    assert seen["passages"] > 0 and seen["sidebar"]


def test_claim_extractor_failure_is_reported_not_fatal(monkeypatch):
    def broken(doc):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "extract_claims", broken)
    result = prepare([SEEDS / "000_6a7e8e62bdd4c844.txt"])
    assert [d.doc_id for d in result.documents] == [SEED_IDS[0]]
    assert "boom" in result.warnings[0].reason


@pytest.mark.parametrize("text,lang", [
    ("سورية", "ar"),
    ("قتل 35 مدنيا في غارة للتحالف على مدينة الميادين", "ar"),
    ("The coalition admitted killing 1257 civilians in Syria and Iraq since the start of the campaign.", "en"),
    ("La coalition a reconnu avoir tué 1257 civils en Syrie et en Irak depuis le début de la campagne.", "fr"),
    ("این یک متن فارسی درباره جنگ در سوریه و کشته شدن غیرنظامیان است که باید فارسی تشخیص داده شود.", "fa"),
    ("12345 ... !!!", "unknown"),
    ("", "unknown"),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_a_single_path_string_is_one_path():
    assert [d.doc_id for d in prepare(str(SEEDS / "003_0208e14cefb366fa.txt")).documents] == [SEED_IDS[3]]


# --------------------------------------------------------------------------- export spellings, ids given
def test_jsonl_export_spellings_are_read_and_unknown_fields_named_once_per_file(tmp_path):
    lines = [{"headline": "عنوان أول", "content": "قتل 12 مدنيا في غارة على الرقة.", "date": "2017-03-28",
              "author": "أ"},
             {"title": "عنوان ثان", "body": "افتتح مستشفى جديد في حلب.", "publishedAt": "2019-01-05T10:00:00Z",
              "link": "https://example.org/2", "publisher": "سانا", "author": "ب", "tags": []},
             {"title": "ثالث", "text": "نص الخبر الثالث عن دمشق.", "content": "نسخة أخرى من النص."}]
    feed = tmp_path / "export.jsonl"
    feed.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    (tmp_path / "other.jsonl").write_text(json.dumps({"text": "خبر عن بغداد.", "score": 3}), encoding="utf-8")
    result = prepare([tmp_path])
    docs = result.documents
    assert [(d.title, d.published_at) for d in docs[:2]] == [("عنوان أول", "2017-03-28"), ("عنوان ثان", "2019-01-05")]
    assert (docs[1].url, docs[1].source) == ("https://example.org/2", "سانا")
    assert docs[2].text == "ثالث\nنص الخبر الثالث عن دمشق."  # `text` wins over `content` (after the headline)
    assert [(w.source, w.reason.split(";")[0]) for w in result.warnings] == [
        (str(feed), f"fields not read: author, content, tags (first in {feed}:1)"),
        (str(tmp_path / "other.jsonl"), f"fields not read: score (first in {tmp_path / 'other.jsonl'}:1)")]
    assert result.rejected == []


@pytest.mark.parametrize("record, reason", [
    ({"text": 5}, "field 'text' must be a string, got int"),
    ({"content": ["a"]}, "field 'content' must be a string, got list"),
    ({"text": "نص", "id": "a/b"}, "field 'id' contains '/'"),
    ({"text": "نص", "id": ".."}, "field 'id' cannot be '.' or '..'"),
    ({"text": "نص", "id": "x" * 201}, "field 'id' is longer than 200 characters"),
    ({"text": "نص", "id": "a\u202eb"}, "field 'id' contains the character U+202E"),
    ({"text": "نص", "id": "  "}, "field 'id' is empty"),
    ({"text": "نص", "date": "2024-02-30"}, "date '2024-02-30' is not a date"),
])
def test_record_problems_are_named(record, reason):
    with pytest.raises(InputError) as caught:
        document_from_record(record)
    assert str(caught.value).startswith(reason)
