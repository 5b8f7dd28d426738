"""The fast path against the slow one: identical clusters, not just similar ones."""

import numpy as np
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
    scope=st.sampled_from(["all", "all", "across", "within"]),
    keep_shorter_than=st.sampled_from([0, 0, 4]),
)


def nonblank(texts):
    return [t for t in texts if t.strip(" >")]


@settings(max_examples=80)
@given(corpus, configs, st.data())
def test_find_duplicates_equals_the_slow_reference_on_random_corpora(texts, config, data):
    # Paragraphs one a line, in documents of a few each: scopes see documents.
    texts = nonblank(texts)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(texts) - 1)), max_size=len(texts) // 2)))
    documents = [sum(cut <= row for cut in cuts) for row in range(len(texts))]
    docs = ["\n".join(t for t, d in zip(texts, documents) if d == k) for k in range(len(cuts) + 1)]
    found = find_duplicates(docs, config=config, segmentation="lines").representative.tolist()
    assert found == reference_representatives(texts, config, documents)


# Long chains of near-duplicates (each paragraph a word away from the one
# before), and large families of templated paragraphs that share most words.
chains = st.integers(2, 60).flatmap(lambda n: st.just(
    [" ".join(f"w{(k + i) % 97}" for i in range(10)) for k in range(n)]))
templates = st.integers(2, 80).flatmap(lambda n: st.just(
    [f"quarterly dividend of {k} cents payable on day {k % 28} record date {k % 11}" for k in range(n)]))


@settings(max_examples=30)
@given(st.one_of(chains, templates), st.sampled_from([0.5, 0.6, 0.8]), st.sampled_from([1, 2]))
def test_chains_and_template_families_follow_the_rule_exactly(texts, threshold, ngram):
    config = DedupConfig(threshold=threshold, segmentation="none", ngram=ngram, min_tokens=0)
    report = find_duplicates(texts, config=config)
    assert report.representative.tolist() == reference_representatives(texts, config)
    removed = report.is_duplicate
    assert np.all(report.jaccard[removed] >= threshold)
    # No chained removal: whoever stands for a removed paragraph is itself kept.
    assert not report.is_duplicate[report.representative].any()


@settings(max_examples=60)
@given(corpus, configs)
def test_reported_similarity_is_the_exact_jaccard_to_the_representative_and_reaches_the_threshold(texts, config):
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
            assert report.jaccard[row] == len(mine & theirs) / len(mine | theirs) >= config.threshold


def test_a_chain_keeps_its_ends_and_removes_only_what_is_like_a_kept_paragraph():
    # 0-1 and 1-2 share 4 of 6 words; 0-2 share 4 of 9, below the threshold:
    # 1 goes in 0's place, and 2, like only the removed 1, is kept.
    texts = ["alpha beta gamma delta", "alpha beta gamma delta epsilon zeta",
             "alpha beta gamma delta epsilon zeta eta theta iota"]
    report = find_duplicates(texts, threshold=0.5, segmentation="none", ngram=1, min_tokens=0)
    assert report.representative.tolist() == [0, 0, 2]
    assert report.jaccard.tolist() == [1.0, 4 / 6, 1.0]


@needs_shared
@pytest.mark.parametrize("threshold", [0.6, 0.8])
def test_find_duplicates_equals_the_slow_reference_on_real_paragraphs(threshold):
    texts = paragraphs("20newsgroups.jsonl.gz", limit=4000) + paragraphs("wikipedia_vital_en.jsonl.gz", limit=500)
    config = DedupConfig(threshold=threshold, segmentation="none")
    fast = find_duplicates(texts, config=config).representative.tolist()
    assert fast == reference_representatives(texts, config)
    assert sum(r != i for i, r in enumerate(fast)) > 100  # plenty of duplicates were compared
