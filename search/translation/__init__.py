"""Owns the Arabic words an English query is given for BM25: the hand lexicon and the FreeDict dictionary."""
