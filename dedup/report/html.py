"""The HTML report of ``dedup report``: one self-contained page, no scripts, no external files.

It shows the summary figures, the largest clusters (each duplicate beside its
cluster's first occurrence, the words that differ marked), the boilerplate
table, and the LSH S-curve ``P(s) = 1 - (1 - s^rows)^bands`` as inline SVG with
the threshold marked.

Example
-------
>>> left, right = word_diff("the cat sat on the mat", "the dog sat on the mat")
>>> left
'the <del>cat</del> sat on the mat'
>>> right
'the <ins>dog</ins> sat on the mat'
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import asdict
from typing import Any

import numpy as np

from ..config import DedupConfig
from ..stages.lsh import LSHParams, collision_probability

__all__ = ["render", "word_diff", "s_curve_svg"]

_TOKENS = re.compile(r"\s+|\S+")


def word_diff(left: str, right: str) -> tuple[str, str]:
    """Both texts as HTML, words only in ``left`` in ``<del>``, words only in ``right`` in ``<ins>``."""
    a, b = _TOKENS.findall(left), _TOKENS.findall(right)
    # Whitespace runs compare equal whatever they hold: line breaks are not differences.
    keys_a = [" " if t.isspace() else t for t in a]
    keys_b = [" " if t.isspace() else t for t in b]
    out_a, out_b = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        out_a += [_marked(t, "del" if tag in ("delete", "replace") else None) for t in a[i1:i2]]
        out_b += [_marked(t, "ins" if tag in ("insert", "replace") else None) for t in b[j1:j2]]
    return "".join(out_a), "".join(out_b)


def _marked(token: str, tag: str | None) -> str:
    text = html.escape(token)
    return f"<{tag}>{text}</{tag}>" if tag and not token.isspace() else text


def s_curve_svg(lsh: LSHParams, width: int = 520, height: int = 300) -> str:
    """The S-curve of ``lsh`` as an SVG element, with the threshold and its recall marked."""
    left, bottom, right, top = 50, height - 40, width - 20, 20

    def x(s: float) -> float:
        return left + s * (right - left)

    def y(p: float) -> float:
        return bottom - p * (bottom - top)

    s = np.linspace(0, 1, 201)
    p = collision_probability(s, lsh.bands, lsh.rows)
    points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(s.tolist(), p.tolist()))
    recall = lsh.recall_at_threshold
    ticks = "".join(
        f'<line x1="{x(t):.1f}" y1="{bottom}" x2="{x(t):.1f}" y2="{bottom + 5}" stroke="#555"/>'
        f'<text x="{x(t):.1f}" y="{bottom + 18}" text-anchor="middle">{t:.1f}</text>'
        f'<text x="{left - 8}" y="{y(t) + 4:.1f}" text-anchor="end">{t:.1f}</text>'
        for t in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="LSH S-curve">'
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="#fafafa" stroke="#ccc"/>'
        f"{ticks}"
        f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="2.5"/>'
        f'<line x1="{x(lsh.threshold):.1f}" y1="{top}" x2="{x(lsh.threshold):.1f}" y2="{bottom}" '
        f'stroke="#c0392b" stroke-dasharray="5,4" stroke-width="1.5"/>'
        f'<circle cx="{x(lsh.threshold):.1f}" cy="{y(recall):.1f}" r="4" fill="#c0392b"/>'
        f'<text x="{x(lsh.threshold) + 8:.1f}" y="{y(0.5):.1f}" fill="#c0392b">'
        f"threshold {lsh.threshold:g}</text>"
        f'<text x="{x(lsh.threshold) + 8:.1f}" y="{y(0.5) + 16:.1f}" fill="#c0392b">P = {recall:.3f}</text>'
        f'<text x="{(left + right) / 2:.0f}" y="{height - 4}" text-anchor="middle">Jaccard similarity s</text>'
        f'<text x="14" y="{(top + bottom) / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(top + bottom) / 2:.0f})">P(candidate)</text>'
        "</svg>")


_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; } td, th { padding: .25em .7em; border-bottom: 1px solid #eee;
  text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures td:first-child { color: #555; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; margin: .6em 0 1.2em; }
.passage { white-space: pre-wrap; background: #f7f7f7; border: 1px solid #e3e3e3; border-radius: 4px;
  padding: .6em .8em; font-size: 13.5px; overflow-wrap: anywhere; }
.where { font-size: 12px; color: #666; margin-bottom: .3em; }
del { background: #fbd3d0; text-decoration: line-through; } ins { background: #cdeccd; text-decoration: none; }
.cluster { border-left: 4px solid #1f5fa8; padding-left: 1em; margin: 1.5em 0; }
.exact { color: #1d7a3a; font-weight: 600; } .note { color: #666; font-size: 13px; }
.differ { color: #fff; background: #b9770e; border-radius: 3px; padding: 0 .35em; font-weight: 600; }
"""


def _where(member: dict[str, Any]) -> str:
    return html.escape(f"{member['file']}:{member['line']}  id {member['id']}  paragraph {member['paragraph']}"
                       f"  [{member['start']}:{member['end']}]")


def _cluster_html(cluster: dict[str, Any]) -> str:
    first, *others = cluster["members"]
    exact = [m for m in others if m["exact"]]
    parts = [f'<div class="cluster"><h3>Cluster {cluster["id"]}: {cluster["size"]} paragraphs</h3>']
    if exact or not others:
        parts.append(f'<div class="where">first: {_where(first)}</div>'
                     f'<div class="passage">{html.escape(first["text"])}</div>')
    if exact:
        more = cluster["exact"] - len(exact)
        parts.append(f'<p class="where"><span class="exact">{cluster["exact"]:,} exact copies</span> (the same '
                     f'text after normalisation): {"; ".join(_where(m) for m in exact)}'
                     f'{f"; and {more:,} more" if more else ""}</p>')
    for member in others:
        if not member["exact"]:
            left, right = word_diff(first["text"], member["text"])
            parts.append(
                '<div class="pair">'
                f'<div><div class="where">first: {_where(first)}</div><div class="passage">{left}</div></div>'
                f'<div><div class="where">Jaccard {member["jaccard"]:.3f}'
                f'{" <span class=differ>numbers differ</span>" * member["numbers_differ"]}: {_where(member)}</div>'
                f'<div class="passage">{right}</div></div></div>')
    near_more = cluster["size"] - 1 - cluster["exact"] - (len(others) - len(exact))
    if near_more:
        parts.append(f'<p class="note">… and {near_more:,} more near duplicates</p>')
    return "".join(parts) + "</div>"


def _in_force(config: DedupConfig, lsh: LSHParams) -> dict[str, Any]:
    """The settings a run used, defaults resolved: the n-gram size, bands and rows in force."""
    settings = {k: v for k, v in asdict(config).items() if k != "n_jobs"}
    settings.update(ngram=config.ngram_size, bands=lsh.bands, rows=lsh.rows)
    return settings


def render(stats: dict[str, Any], clusters: list[dict[str, Any]], config: DedupConfig, lsh: LSHParams,
           inputs: list[str], accounting: str) -> str:
    """The whole page. ``stats`` as ``dedup stats --json`` prints it; ``clusters`` the largest, with texts."""
    summary = stats["summary"]
    share = summary["duplicate_paragraphs"] / max(summary["paragraphs"], 1)
    figures = [
        ("inputs", ", ".join(inputs)),
        ("records", accounting),
        ("paragraphs", f"{summary['paragraphs']:,}"),
        ("duplicate paragraphs", f"{summary['duplicate_paragraphs']:,} ({share:.1%}): "
                                 f"{summary['exact_duplicates']:,} exact, {summary['near_duplicates']:,} near"),
        ("clusters", f"{summary['clusters']:,}"),
        ("documents with duplicates", f"{summary['documents_with_duplicates']:,} of {summary['documents']:,}"),
        ("characters in duplicates", f"{summary['duplicate_characters']:,} of {summary['characters']:,}"),
        ("repeated blocks", f"{summary['repeated_blocks']:,} "
                            f"({stats['repeated_blocks_inside_documents']:,} inside one document)"),
        ("each choice would remove", "scope all {all:,}; across {across:,}; within {within:,}; of those removed "
                                     "now, shorter than 5/10/20 tokens: {shorter than 5:,}/{shorter than 10:,}/"
                                     "{shorter than 20:,}".format_map(stats["removed_by_choice"])),
        ("settings", ", ".join(f"{k}={v}" for k, v in _in_force(config, lsh).items())),
    ]
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in figures)
    boilerplate = "".join(
        f'<tr><td class="n">{b["documents"]:,}</td><td class="n">{b["occurrences"]:,}</td>'
        f'<td><div class="where">{_where(b)}</div>{html.escape(b["text"])}</td></tr>'
        for b in stats["boilerplate"]) or '<tr><td colspan="3">none</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dedup report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body>
<h1>Duplicate paragraphs</h1>
<table class="figures">{rows}</table>
<h2>LSH banding: {lsh.bands} bands × {lsh.rows} rows</h2>
<p class="note">Probability that two paragraphs of Jaccard similarity s share a bucket and are compared;
every compared pair is then verified exactly against the threshold.</p>
{s_curve_svg(lsh)}
<h2>Largest clusters with near duplicates</h2>
<p class="note">Each near duplicate beside the first occurrence of its cluster; words only on the left are
<del>struck out</del>, words only on the right <ins>marked</ins>. Paragraphs repeated exactly are in the
boilerplate table below.</p>
{"".join(map(_cluster_html, clusters)) or "<p>No duplicates found.</p>"}
<h2>Boilerplate: paragraphs found in {stats.get("min_documents", "several")} or more documents</h2>
<table><tr><th>documents</th><th>times</th><th>paragraph</th></tr>{boilerplate}</table>
</body></html>
"""
