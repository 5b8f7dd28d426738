"""The benchmark harness itself runs, at smoke size, with every system it compares."""

import subprocess
import sys
from pathlib import Path

from benchmarks.systems import SYSTEMS
from tests.helpers import needs_shared

ROOT = Path(__file__).resolve().parents[1]


@needs_shared
def test_compare_smoke_run_writes_a_table_and_a_plot(tmp_path):
    subprocess.run([sys.executable, "-m", "benchmarks.compare", "--smoke", "--output", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    table = (tmp_path / "compare.md").read_text()
    sections = dict(section.split("\n", 1) for section in table.split("\n**")[1:])
    clusters = [body for title, body in sections.items() if "text -> clusters" in title]
    assert len(clusters) == 2 and len(sections) == 4
    ours = [system for system in SYSTEMS if system.startswith("dedup ")]
    for body in sections.values():
        assert "| x datasketch | x rensa |" in body
        for system in (*ours, "datasketch", "rensa"):
            assert f"| {system} |" in body
        # a pool's workers outlive the calls, yet their peak memory is reported
        for line in body.splitlines():
            if "(pool of 2)" in line:
                assert not line.split(" | ")[4].endswith("/ -"), line
    # our edges are exact-Jaccard verified: precision is 1 in every clusters table
    lines = [line for body in clusters for line in body.splitlines() if line.startswith("| dedup ")]
    assert len(lines) == 2 * len(ours) and all(line.rstrip(" |").endswith("1.0000") for line in lines)
    assert all("| gaoya |" in body for body in clusters)
    assert (tmp_path / "compare.png").stat().st_size > 10_000


def test_stage_timings_cover_each_stage_of_a_real_run():
    from benchmarks.stages import COLUMNS, stage_seconds

    texts = [f"paragraph {i} with some words that repeat here and there" for i in range(300)] * 2
    seconds = stage_seconds(texts, "numpy", repeats=1)
    assert set(seconds) == set(COLUMNS)
    # Every wrapped stage ran, and the stages of the batch and the search fit inside the whole call.
    assert all(seconds[name] > 0 for name in COLUMNS)
    batch = sum(seconds[name] for name in ("segment", "normalized", "_fingerprints", "shingle_sets", "signatures",
                                           "band_keys"))
    assert batch + seconds["_search"] <= seconds["total"]


@needs_shared
def test_repeated_calls_benchmark_prints_a_row_per_data_task_and_kernel():
    done = subprocess.run([sys.executable, "-m", "benchmarks.repeated_calls", "--news", "1500", "--wiki", "500",
                           "--calls", "1", "--repeats", "1", "--kernels", "numpy"],
                          cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    rows = [line.split(" | ") for line in done.stdout.splitlines()[2:]]
    assert [(row[0], row[1]) for row in rows] == [("| 20 Newsgroups", "signatures"), ("| 20 Newsgroups", "clusters"),
                                                  ("| Wikipedia + planted", "signatures"),
                                                  ("| Wikipedia + planted", "clusters")]
    assert all(float(cell.removesuffix(" s")) > 0 for row in rows for cell in row[3:6])


@needs_shared
def test_long_text_benchmark_finds_the_same_paragraphs_in_the_books_and_in_them_as_one_text():
    done = subprocess.run([sys.executable, "-m", "benchmarks.long_text", "--share", "0.02", "--repeats", "1"],
                          cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| books") or
            line.startswith("| one text")]
    assert len(rows) == 2 and float(rows[0][1]) == float(rows[1][1]) > 1
    assert rows[0][4:] == rows[1][4:] and int(rows[0][4].replace(",", "")) > 1000  # paragraphs, duplicates


@needs_shared
def test_long_paragraph_benchmark_measures_each_kernel_and_shingle_unit():
    done = subprocess.run([sys.executable, "-m", "benchmarks.long_paragraph", "--mb", "3"],
                          cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| 3 |")]
    assert [row[1:3] for row in rows] == [["numpy", "word"], ["numpy", "char"], ["numba", "word"], ["numba", "char"]]
    assert all(float(row[5].rstrip(" |")) >= 0 for row in rows)


@needs_shared
def test_worker_timeline_shows_both_workers_batches_in_each_call():
    done = subprocess.run([sys.executable, "-m", "benchmarks.worker_timeline", "--size", "1500", "--calls", "2"],
                          cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("wikipedia, signatures, 1,500 paragraphs: one core")
    assert lines[1].startswith("one core in a fresh process: alone") and lines[1].count(" and ") == 1
    calls = [i for i, line in enumerate(lines) if line.startswith("call ")]
    assert len(calls) == 2
    for i in calls:
        workers = lines[i + 1 : i + 3]
        assert all(line.startswith(f"  worker {n}: started at") for n, line in enumerate(workers, 1))
        # the batches of both workers are all the call's batches: 4 per worker, and a short last one
        assert 8 <= sum(int(line.split("; ")[1].split(" batches")[0]) for line in workers) <= 9
        assert lines[i + 3].startswith("  last batch ended at")


@needs_shared
def test_minhash_by_size_benchmark_times_both_ways_on_each_corpus():
    # The benchmark itself fails if the two ways give different signatures or clusters.
    done = subprocess.run([sys.executable, "-m", "benchmarks.minhash_by_size", "--news", "1500", "--wiki", "300",
                           "--books", "1", "--repeats", "1", "--all-paragraphs"],
                          cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    rows = [line.split(" | ") for line in done.stdout.splitlines()[2:]]
    assert [row[0] for row in rows] == ["| 20 Newsgroups, sets find_duplicates signs",
                                        "| 20 Newsgroups, sets paragraph_signatures signs",
                                        "| Wikipedia + planted, sets find_duplicates signs",
                                        "| Wikipedia + planted, sets paragraph_signatures signs",
                                        "| Gutenberg books, sets find_duplicates signs"]
    assert all(float(cell.removesuffix(" ms")) > 0 for row in rows for cell in (row[3], row[4], row[6], row[7]))


@needs_shared
def test_clean_speed_times_find_and_clean_on_small_records():
    result = subprocess.run([sys.executable, "-m", "benchmarks.clean_speed", "--small-records", "3000", "--repeats",
                             "1"], cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    assert result.stdout.startswith("3,000 one-paragraph records: find ") and "clean / find" in result.stdout


@needs_shared
def test_templates_benchmark_removes_no_member_of_the_family():
    result = subprocess.run([sys.executable, "-m", "benchmarks.templates", "--paragraphs", "2000", "--repeats", "1"],
                            cwd=ROOT, check=True, capture_output=True, text=True, timeout=600)
    rows = [line.split(" | ") for line in result.stdout.splitlines() if "| templates |" in line]
    assert [row[0] for row in rows] == ["| numpy", "| numba"]
    assert all(row[2] == "2,000" and row[5] == "0" for row in rows), result.stdout


def test_a_template_family_has_no_near_duplicates():
    from benchmarks.templates import template_family
    from dedup import find_duplicates

    family = template_family(300)
    assert len(set(family)) == 300 and find_duplicates(family).summary.duplicate_paragraphs == 0


@needs_shared
def test_index_benchmark_smoke_run_prints_a_row_per_system():
    from benchmarks.index import SYSTEMS as INDEX_SYSTEMS

    done = subprocess.run([sys.executable, "-m", "benchmarks.index", "--smoke"], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=600)
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ") for line in done.stdout.splitlines()
            if line.startswith("| ") and not line.startswith("| system")}
    assert set(rows) == set(INDEX_SYSTEMS)
    for system in ("dedup", "dedup numba"):
        assert rows[system][-1].rstrip(" |") == "1.0000"  # every match verified exactly
        assert float(rows[system][-2]) >= 0.99
        assert rows[system][2].endswith("x")  # add against find_duplicates, same run
