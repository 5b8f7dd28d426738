"""dedup: find and remove near-duplicate paragraphs in text.

>>> import dedup
>>> report = dedup.find_duplicates(["One paragraph of some length here.\\n\\nAnother one.",
...                                 "One paragraph of some length here!"])
>>> report.summary.duplicate_paragraphs
1
"""

from .config import DedupConfig
from .index import Index
from .pipeline import deduplicate, find_duplicates, find_duplicates_streaming, paragraph_signatures
from .report.report import Cluster, Member, RepeatedBlock, Report, Summary
from .stages.lsh import LSHParams
from .stages.segment import paragraph_spans

__all__ = ["DedupConfig", "Index", "LSHParams", "Cluster", "Member", "RepeatedBlock", "Report", "Summary",
           "find_duplicates", "find_duplicates_streaming", "deduplicate", "paragraph_signatures", "paragraph_spans"]
__version__ = "0.1.0"
