"""The answerer a server or the CLI asks: `qa.Answerer` over the engine, with the engine's settings."""
from __future__ import annotations

from khabar.service.engine import Engine
from qa import Answerer
from qa.generator import Generator


def answerer_for(engine: Engine) -> Answerer:
    """An Answerer over `engine`, rewriting through KHABAR_LLM_URL when the engine's settings name one."""
    return Answerer(engine, generator=Generator.from_settings(engine.settings))
