"""FAQ retrieval tuned for German: normalisation, synonyms, compounds, typos, BM25 weighting."""

from core.faq.index import (
    AMBIGUITY_MARGIN,
    ANSWER_THRESHOLD,
    OFFER_THRESHOLD,
    FaqHit,
    FaqIndex,
    FaqResult,
)
from core.faq.synonyms import SynonymFileError, Synonyms, load_synonyms

__all__ = [
    "AMBIGUITY_MARGIN",
    "ANSWER_THRESHOLD",
    "OFFER_THRESHOLD",
    "FaqHit",
    "FaqIndex",
    "FaqResult",
    "SynonymFileError",
    "Synonyms",
    "load_synonyms",
]
