"""Owns storage: the contract every backend implements (`contract.py`) and the two backends, embedded and elastic.

Import a backend from its own package (`search.backends.embedded`, `search.backends.elastic`):
each pulls in its engine's client library, which the contract does not need.
"""
from search.backends.contract import *  # noqa: F401,F403 - the contract is this package's interface
from search.backends.contract import __all__  # noqa: F401
