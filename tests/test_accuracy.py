"""MinHash/LSH against the exact oracle: every removal real, recall >= 0.98 at default settings."""

import random

import numpy as np
import pytest

from benchmarks.accuracy import recall_of_removals, removed_similarities, true_pairs
from benchmarks.corpora import paragraphs
from dedup import DedupConfig, find_duplicates
from tests.helpers import needs_shared


def check_against_oracle(texts, min_recall=0.98, **options):
    config = DedupConfig(segmentation="none", **options)
    report = find_duplicates(texts, config=config)
    assert report.summary.paragraphs == len(texts)  # one paragraph per text
    exact, near, sets, owner = true_pairs(texts, config)
    assert recall_of_removals(report.representative, exact) == 1.0
    removed = removed_similarities(report, sets, owner)
    near_removed = report.is_duplicate & ~report.exact
    assert np.allclose(removed, report.jaccard[near_removed]) and np.all(removed >= config.threshold)
    found = recall_of_removals(report.representative, near)
    assert found >= min_recall, f"recall {found:.4f} over {len(near)} true pairs"
    return found, len(near)


def planted_corpus(seed, size=400, vocabulary=300):
    """Random paragraphs plus copies with 1-4 word edits: plenty of pairs near every threshold."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocabulary)]
    base = [" ".join(rng.choices(words, k=rng.randint(5, 60))) for _ in range(size)]
    texts = list(base)
    for text in rng.sample(base, size // 2):
        tokens = text.split()
        for _ in range(rng.randint(1, 4)):
            tokens[rng.randrange(len(tokens))] = rng.choice(words)
        texts.append(" ".join(tokens))
    rng.shuffle(texts)
    return texts


@pytest.mark.parametrize("seed, threshold", [(0, 0.8), (1, 0.8), (2, 0.5), (3, 0.9), (4, 0.7)])
def test_random_corpora_with_planted_edits(seed, threshold):
    recall, pairs = check_against_oracle(planted_corpus(seed), threshold=threshold)
    assert pairs >= 20


@needs_shared
def test_20newsgroups_paragraphs_at_default_settings():
    texts = paragraphs("20newsgroups.jsonl.gz", limit=30000)
    recall, pairs = check_against_oracle(texts)
    assert pairs >= 100
