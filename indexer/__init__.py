"""Owns ingestion: reading files and records, cleaning pages, numbers and claim extraction, near-duplicates, the pipeline."""
