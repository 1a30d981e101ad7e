"""Owns the names: actors, places, counted things and stances (gazetteer.json), and how questions say them."""
from khabar.vocabulary.gazetteer import Gazetteer, GazetteerError, Match
from khabar.vocabulary.questions import Entry, Vocabulary

__all__ = ["Entry", "Gazetteer", "GazetteerError", "Match", "Vocabulary"]
