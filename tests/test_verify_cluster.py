import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import dedup.verify as verify_module
from dedup.cluster import components
from dedup.lsh import band_keys, buckets
from dedup.minhash import signatures
from dedup.reference import exact_pairs
from dedup.shingle import ShingleSets
from dedup.verify import jaccard, verified_pairs
from tests.helpers import set_jaccard, union_find_labels
from tests.test_minhash import as_sets

small_sets = st.lists(st.lists(st.integers(0, 25), max_size=15), min_size=1, max_size=25)


def as_multisets(list_of_sets):
    """Like as_sets, but every value given twice and unsorted, as the kernel may emit them."""
    arrays = [np.asarray(list(s)[::-1] + list(s), dtype=np.uint64) for s in list_of_sets]
    sizes = np.array([len(a) for a in arrays], dtype=np.int64)
    values = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)
    return ShingleSets(values.astype(np.uint64), np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), sizes)


# Values as the kernel makes them, spread over 64 bits; or small and crowded,
# so that many values of a pair share their top bits; or sharing only low bits.
SPREADS = [lambda v: v * np.uint64(0x9E3779B97F4A7C15), lambda v: v, lambda v: (v << np.uint64(58)) | v]


@given(small_sets, st.integers(1, 40), st.sampled_from(SPREADS))
def test_vectorised_jaccard_matches_python_sets_in_any_batch_size(sets, batch, spread):
    s = as_multisets(sets)
    with np.errstate(over="ignore"):
        s = ShingleSets(spread(s.values), s.offsets, s.token_counts)
    n = len(sets)
    left, right = np.meshgrid(np.arange(n), np.arange(n))
    left, right = left.ravel(), right.ravel()
    original = verify_module._BATCH_VALUES
    verify_module._BATCH_VALUES = batch
    try:
        got = jaccard(s, left, right)
    finally:
        verify_module._BATCH_VALUES = original
    expected = [set_jaccard(sets[a], sets[b]) for a, b in zip(left, right)]
    assert np.allclose(got, expected)


@given(small_sets, st.sampled_from([0.3, 0.5, 0.8, 1.0]))
def test_exact_pairs_is_brute_force(sets, threshold):
    left, right = exact_pairs(as_multisets(sets), threshold)
    expected = [(i, j) for i in range(len(sets)) for j in range(i + 1, len(sets))
                if set_jaccard(sets[i], sets[j]) >= threshold]
    assert list(zip(left.tolist(), right.tolist())) == expected


@given(small_sets, st.sampled_from([0.4, 0.6, 0.8]))
def test_verified_pairs_are_real_and_connect_every_bucket_of_true_duplicates(sets, threshold):
    s = as_sets(sets)
    bucket, member = buckets(band_keys(signatures(s, 8, 1), 4, 2))
    left, right, similarity = verified_pairs(s, bucket, member, threshold)
    assert np.all(left < right)
    for a, b, j in zip(left.tolist(), right.tolist(), similarity.tolist()):
        assert set_jaccard(sets[a], sets[b]) == j >= threshold
        assert any({a, b} <= set(member[bucket == k].tolist()) for k in np.unique(bucket))
    # Any true pair sharing a bucket ends up in one component (peeled stars
    # leave no bucket-mates unchecked against a matching centre).
    labels = components(len(sets), left, right)
    for k in np.unique(bucket):
        members = member[bucket == k].tolist()
        for i in members:
            for j in members:
                if i < j and set_jaccard(sets[i], sets[j]) >= threshold and s.sizes[i] > 0:
                    assert labels[i] == labels[j] or _separated_by_peeling(sets, members, threshold, i, j)


def _separated_by_peeling(sets, members, threshold, i, j):
    """True if star peeling legitimately verified i and j against different centres."""
    remaining = list(members)
    while len(remaining) > 1:
        centre, rest = remaining[0], remaining[1:]
        passed = {m for m in rest if set_jaccard(sets[centre], sets[m]) >= threshold}
        if {i, j} & ({centre} | passed):
            return not ({i, j} <= {centre} | passed)
        remaining = [m for m in rest if m not in passed]
    return False


edges = st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=60)


@given(edges)
def test_components_match_textbook_union_find(edge_list):
    left = np.array([a for a, _ in edge_list], dtype=np.int64)
    right = np.array([b for _, b in edge_list], dtype=np.int64)
    assert components(30, left, right).tolist() == union_find_labels(30, edge_list)


def test_components_on_a_long_chain_and_reversed_edges():
    n = 5000
    order = np.random.default_rng(0).permutation(n - 1)
    labels = components(n, np.arange(1, n)[order], np.arange(n - 1)[order])
    assert np.all(labels == 0)


def test_peeling_rounds_are_bounded_for_a_bucket_of_mutually_dissimilar_sets():
    n = 200
    sets = as_sets([[i] for i in range(n)])  # pairwise Jaccard 0
    bucket, member = np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64)
    checked = []

    def counting(s, left, right):
        checked.append(len(left))
        return jaccard(s, left, right)

    left, _, _ = verified_pairs(sets, bucket, member, 0.5, max_rounds=5, similarity=counting)
    assert len(left) == 0
    assert len(checked) == 5 and sum(checked) == sum(n - 1 - k for k in range(5))
