"""The fast path against the slow one: identical clusters, not just similar ones."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.corpora import paragraphs
from dedup import DedupConfig, find_duplicates
from dedup.reference import reference_normalize, reference_representatives, reference_shingles
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


@settings(max_examples=60)
@given(corpus, configs)
def test_reported_similarity_is_the_exact_jaccard_to_the_representative(texts, config):
    texts = nonblank(texts)
    report = find_duplicates(texts, config=config)

    def shingles(row):
        normalized = reference_normalize(texts[row], config.unicode_form, config.casefold, config.fold_punctuation)
        return reference_shingles(normalized, config.shingle, config.ngram_size)

    for row, representative in enumerate(report.representative.tolist()):
        if report.exact[row]:
            assert report.jaccard[row] == 1.0
        else:
            mine, theirs = shingles(row), shingles(representative)
            assert report.jaccard[row] == len(mine & theirs) / len(mine | theirs)


def test_a_paragraph_linked_through_another_reports_its_own_jaccard_to_the_representative():
    # 0-1 and 1-2 are verified edges (4/6 shared words each); 0-2 share 4 of 9, below the threshold.
    texts = ["alpha beta gamma delta", "alpha beta gamma delta epsilon zeta",
             "alpha beta gamma delta epsilon zeta eta theta iota"]
    report = find_duplicates(texts, threshold=0.5, segmentation="none", ngram=1, min_tokens=0)
    assert report.representative.tolist() == [0, 0, 0]
    assert sorted(zip(*(side.tolist() for side in report.edges[:2]))) == [(0, 1), (1, 2)]
    assert report.jaccard.tolist() == [1.0, 4 / 6, 4 / 9]


@needs_shared
@pytest.mark.parametrize("threshold", [0.6, 0.8])
def test_find_duplicates_equals_the_slow_reference_on_real_paragraphs(threshold):
    texts = paragraphs("20newsgroups.jsonl.gz", limit=4000) + paragraphs("wikipedia_vital_en.jsonl.gz", limit=500)
    config = DedupConfig(threshold=threshold, segmentation="none")
    fast = find_duplicates(texts, config=config).representative.tolist()
    assert fast == reference_representatives(texts, config)
    assert sum(r != i for i, r in enumerate(fast)) > 100  # plenty of duplicates were compared
