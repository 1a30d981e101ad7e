"""Owns the Elasticsearch backend: the same contract as the embedded one, on a cluster."""
from search.backends.elastic.backend import ElasticBackend
from search.backends.elastic.client import ElasticSettings

__all__ = ["ElasticBackend", "ElasticSettings"]
