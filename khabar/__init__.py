"""Owns what indexer, search and qa share: models, Arabic analysis, folding, segmentation, language, dates, vocabulary, settings.

Nothing here imports indexer/, search/, qa/ or ui/, except `khabar.service`, the layer on
top that ui/, the CLI and bench use (docs/DESIGN.md has the map).
"""
