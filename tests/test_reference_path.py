"""The fast path against the slow one: identical clusters, not just similar ones."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpora import paragraphs
from dedup import DedupConfig, find_duplicates
from dedup.reference import reference_representatives
from tests.helpers import needs_shared

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "东", "京", "Straße", "ﬁne", "—", ">"]
paragraph = st.lists(st.sampled_from(WORDS), min_size=1, max_size=14).map(" ".join)
corpus = st.lists(st.one_of(paragraph, paragraph.map(lambda p: p + " " + p)), min_size=1, max_size=30)
configs = st.builds(
    DedupConfig,
    threshold=st.sampled_from([0.5, 0.7, 0.8, 1.0]),
    segmentation=st.just("none"),
    shingle=st.sampled_from(["word", "char"]),
    ngram=st.sampled_from([None, 1, 3]),
    min_tokens=st.sampled_from([0, 3, 5]),
    num_perm=st.sampled_from([16, 64, 128]),
    seed=st.integers(0, 10),
)


def nonblank(texts):
    return [t for t in texts if t.strip(" >")]


@settings(max_examples=80)
@given(corpus, configs)
def test_find_duplicates_equals_the_slow_reference_on_random_corpora(texts, config):
    texts = nonblank(texts)
    assert find_duplicates(texts, config=config).representative.tolist() == reference_representatives(texts, config)


@needs_shared
@pytest.mark.parametrize("threshold", [0.6, 0.8])
def test_find_duplicates_equals_the_slow_reference_on_real_paragraphs(threshold):
    texts = paragraphs("20newsgroups.jsonl.gz", limit=4000) + paragraphs("wikipedia_vital_en.jsonl.gz", limit=500)
    config = DedupConfig(threshold=threshold, segmentation="none")
    fast = find_duplicates(texts, config=config).representative.tolist()
    assert fast == reference_representatives(texts, config)
    assert sum(r != i for i, r in enumerate(fast)) > 100  # plenty of duplicates were compared
