"""Run the pipeline on the bundled example texts and show what it finds.

``python -m dedup.demo`` prints the summary, every cluster, the repeated
blocks, and the first text with its duplicates removed.
"""

from __future__ import annotations

from importlib.resources import files

from . import find_duplicates

EXAMPLES = ("article.txt", "digest.txt")


def example_documents() -> list[tuple[str, str]]:
    """The bundled example texts as ``(file name, text)`` pairs."""
    folder = files("dedup") / "examples"
    return [(name, (folder / name).read_text(encoding="utf-8")) for name in EXAMPLES]


def main() -> None:
    report = find_duplicates(example_documents())
    summary = report.summary
    print(f"{summary.documents} documents, {summary.paragraphs} paragraphs: "
          f"{summary.duplicate_paragraphs} duplicates ({summary.exact_duplicates} exact, "
          f"{summary.near_duplicates} near) in {summary.clusters} clusters; "
          f"LSH {report.lsh.bands} bands x {report.lsh.rows} rows\n")
    for cluster in report.clusters:
        print(f"cluster {cluster.id}:")
        for member in cluster.members:
            excerpt = " ".join(report.text(member).split())[:60]
            print(f"  {member.document} paragraph {member.paragraph} [{member.start}:{member.end}] "
                  f"jaccard {member.jaccard:.2f}  {excerpt}...")
    for block in report.repeated_blocks:
        print(f"\nrepeated block: {block.document} paragraphs {block.first_paragraph}-"
              f"{block.first_paragraph + block.paragraphs - 1} [{block.start}:{block.end}] repeat "
              f"{block.source_document} paragraphs from {block.source_first_paragraph} "
              f"[{block.source_start}:{block.source_end}]")
    print(f"\n--- {EXAMPLES[0]} with duplicates removed ---")
    print(report.cleaned_texts()[0], end="")


if __name__ == "__main__":
    main()
