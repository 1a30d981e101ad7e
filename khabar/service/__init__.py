"""Owns what the CLI, the HTTP API, the browser UI and bench call: the Engine and its one write path, upload rules, the API key, claim queries.

It sits on top (khabar kernel -> indexer -> search -> qa -> khabar.service -> ui): nothing
above it reaches into a backend, an embedder or the searcher.
"""
from khabar.service.answers import answerer_for
from khabar.service.auth import key_accepted
from khabar.service.claims import claim_query, claims_timeline
from khabar.service.engine import Engine, open_backend, reset_index
from khabar.service.uploads import ALLOWED_SUFFIXES, UploadRejected

__all__ = ["ALLOWED_SUFFIXES", "Engine", "UploadRejected", "answerer_for", "claim_query", "claims_timeline", "key_accepted", "open_backend",
           "reset_index"]
