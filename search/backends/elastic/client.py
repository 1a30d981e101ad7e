"""Connecting to Elasticsearch: the connection settings and which failures are worth retrying.

Retries are Khabar's own (tenacity, exponential backoff with jitter, a clear final error), so
the client's are switched off.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as ESConnectionError

from khabar.settings import Settings
from search.backends.contract import BackendError

DEFAULT_URL = Settings.__dataclass_fields__["elasticsearch_url"].metadata["default"]


@dataclass(frozen=True)
class ElasticSettings:
    """Connection settings, from `khabar.settings.Settings` (see docs/ELASTICSEARCH.md)."""

    url: str = DEFAULT_URL
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_cert: str | None = None
    prefix: str = "khabar"
    replicas: int = 0
    vector_index: str = "hnsw"
    timeout: float = 30.0
    attempts: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> "ElasticSettings":
        prefix = settings.es_prefix
        if prefix != prefix.lower() or any(c in prefix for c in ' "*\\<|,>/?#:'):
            raise BackendError(f"KHABAR_ES_PREFIX={prefix!r} is not a valid index-name prefix (lowercase, no spaces)")
        return cls(url=settings.elasticsearch_url, api_key=settings.elasticsearch_api_key,
                   username=settings.elasticsearch_username, password=settings.elasticsearch_password,
                   ca_cert=settings.elasticsearch_ca_cert, prefix=prefix, replicas=settings.es_replicas,
                   vector_index=settings.es_vector_index, timeout=settings.es_timeout)

    @classmethod
    def from_env(cls) -> "ElasticSettings":
        """`from_settings` with the environment as it is now."""
        return cls.from_settings(Settings())

    def hosts(self) -> list[str]:
        """The node URLs in `url` (comma-separated): the client spreads requests over them.

        A node that refuses a connection is set aside for a while by the client and the
        request is retried (by `ElasticBackend._call`) on the next one, so listing every data
        node of a cluster lets Khabar keep working while one of them is down.
        """
        hosts = [part.strip() for part in self.url.split(",") if part.strip()]
        if not hosts:
            raise BackendError("ELASTICSEARCH_URL is empty: give the cluster's URL (or several, comma-separated)")
        return hosts

    def client(self) -> Elasticsearch:
        kwargs: dict[str, Any] = {
            "request_timeout": self.timeout,
            # Retries are ours (tenacity, with jitter and a clear final error).
            "max_retries": 0,
            "retry_on_timeout": False,
        }
        if self.api_key:
            kwargs["api_key"] = self.api_key
        elif self.username:
            kwargs["basic_auth"] = (self.username, self.password or "")
        if self.ca_cert:
            kwargs["ca_certs"] = self.ca_cert
        return Elasticsearch(self.hosts(), **kwargs)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the cluster is unreachable, overloaded (429) or failing (5xx)."""
    if isinstance(exc, (ESConnectionError, TransportError)) and not isinstance(exc, ApiError):
        return True
    if isinstance(exc, ApiError):
        return exc.meta.status == 429 or exc.meta.status >= 500
    return False
