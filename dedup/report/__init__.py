"""What a search found (:mod:`dedup.report.report`), the texts it cleans (:mod:`dedup.report.clean`) and its
HTML page (:mod:`dedup.report.html`)."""

from .report import Boilerplate, Cluster, Member, RepeatedBlock, Report, Summary

__all__ = ["Boilerplate", "Cluster", "Member", "RepeatedBlock", "Report", "Summary"]
