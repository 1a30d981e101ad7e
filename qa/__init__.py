"""Owns cited question answering: `Answerer(engine).ask(question) -> Answer` (see qa/answerer.py)."""
from qa.answer import Answer, Citation, ClaimView
from qa.answerer import Answerer
from qa.calibration import Calibration
from qa.question import Question, parse

__all__ = ["Answer", "Answerer", "Calibration", "Citation", "ClaimView", "Question", "parse"]
