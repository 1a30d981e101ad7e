"""Optional LLM rewrite of an extractive answer, through any OpenAI-compatible endpoint.

Off unless KHABAR_LLM_URL is set (also KHABAR_LLM_MODEL, optional KHABAR_LLM_API_KEY).
The model only sees the question, the extractive answer and the cited sentences, and is
told to rewrite from them alone. Its output is then *checked*: every number in it must
occur in the evidence and every [n] marker must name an existing citation; otherwise,
or on any network error, the extractive answer is kept. The extractive path therefore
always stands alone and the generator can only make wording nicer, not add facts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from khabar.arabic import fold
from khabar.settings import Settings

_NUMBER = re.compile(r"\d[\d,]*")
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass
class Generator:
    url: str  # base URL, e.g. http://127.0.0.1:8000/v1 (…/chat/completions is appended)
    model: str
    api_key: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "Generator | None":
        """The configured endpoint (KHABAR_LLM_URL / _MODEL / _API_KEY), or None when there is none."""
        if not settings.llm_url:
            return None
        if not settings.llm_model:
            raise ValueError("KHABAR_LLM_URL is set but KHABAR_LLM_MODEL is not; set both (or neither)")
        return cls(settings.llm_url, settings.llm_model, settings.llm_api_key)

    @classmethod
    def from_env(cls) -> "Generator | None":
        """`from_settings` with the environment as it is now."""
        return cls.from_settings(Settings())

    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else base + "/chat/completions"

    def messages(self, question: str, language: str, draft: str, evidence: list[str]) -> list[dict[str, str]]:
        lang = "Arabic" if language == "ar" else "English"
        numbered = "\n".join(f"[{i}] {s}" for i, s in enumerate(evidence, start=1))
        system = (f"You rewrite answers to questions about news in {lang}. Use ONLY the numbered evidence. "
                  "Keep every figure exactly as in the draft, keep the [n] citation markers, add no facts, "
                  "and answer in at most three sentences.")
        user = f"Question: {question}\n\nEvidence:\n{numbered}\n\nDraft answer: {draft}\n\nRewritten answer:"
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def rewrite(self, question: str, language: str, draft: str, evidence: list[str]) -> str:
        """The model's rewrite (raises httpx errors / ValueError on a malformed reply)."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model, "messages": self.messages(question, language, draft, evidence),
                "temperature": 0}
        response = httpx.post(self.endpoint(), json=body, headers=headers, timeout=self.timeout)
        response.raise_for_status()
        try:
            return str(response.json()["choices"][0]["message"]["content"]).strip()
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"unexpected reply from {self.endpoint()}: {response.text[:200]}") from exc

    def rewrite_or_keep(self, question: Any, answer: Any) -> str:
        """Rewritten text if it passes the evidence check, else the extractive answer unchanged."""
        evidence = [c.snippet for c in answer.citations]
        try:
            text = self.rewrite(question.text, question.language, answer.answer, evidence)
        except (httpx.HTTPError, ValueError) as exc:
            answer.debug["generator_error"] = str(exc)
            return answer.answer
        problem = check(text, answer.answer, evidence, len(answer.citations))
        if problem:
            answer.debug["generator_rejected"] = problem
            return answer.answer
        answer.debug["generator"] = self.model
        return text


def check(text: str, draft: str, evidence: list[str], citations: int) -> str | None:
    """Why `text` is not supported by the draft and evidence, or None if it is."""
    if not text:
        return "empty rewrite"
    allowed = {n.replace(",", "") for n in _NUMBER.findall(fold(_MARKER.sub(" ", draft) + " " + " ".join(evidence)))}
    for n in _NUMBER.findall(fold(_MARKER.sub(" ", text))):
        if n.replace(",", "") not in allowed:
            return f"number {n} is not in the evidence"
    for m in _MARKER.findall(text):
        if not 1 <= int(m) <= citations:
            return f"citation [{m}] does not exist"
    if citations and not _MARKER.search(text):
        return "citations were dropped"
    return None
