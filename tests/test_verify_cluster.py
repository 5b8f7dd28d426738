import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import dedup.stages.cluster as cluster_module
import dedup.stages.verify as verify_module
from dedup.reference import exact_pairs
from dedup.stages.cluster import greedy_representatives
from dedup.stages.shingle import ShingleSets
from dedup.stages.verify import jaccard
from tests.helpers import set_jaccard

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


def sequential_rule(nodes, bucket, node, similar, threshold, apart, protected, max_kept):
    """The rule of dedup.stages.cluster, one node at a time, as its docstring says it."""
    kept, place = {}, list(range(nodes))
    for j in range(nodes):
        mine = sorted({b for b, n in zip(bucket, node) if n == j})
        like = [i for b in mine for i in kept.get(b, []) if not apart(i, j) and similar[i][j] >= threshold]
        if like and not protected[j]:
            place[j] = min(like)
        else:
            for b in mine:
                if len(kept.setdefault(b, [])) < max_kept:
                    kept[b].append(j)
    return place


@st.composite
def graphs(draw):
    nodes = draw(st.integers(1, 40))
    entries = draw(st.lists(st.tuples(st.integers(0, 8), st.integers(0, nodes - 1)), max_size=120, unique=True))
    values = draw(st.lists(st.sampled_from([0.0, 0.3, 0.5, 0.79, 0.8, 0.95, 1.0]), min_size=nodes * nodes,
                           max_size=nodes * nodes))
    similar = [[values[min(i, j) * nodes + max(i, j)] for j in range(nodes)] for i in range(nodes)]
    document = sorted(draw(st.lists(st.integers(0, 5), min_size=nodes, max_size=nodes)))
    protected = draw(st.lists(st.booleans(), min_size=nodes, max_size=nodes))
    return nodes, entries, similar, document, protected


@given(graphs(), st.booleans(), st.booleans(), st.sampled_from([1, 2, 32]), st.sampled_from([1, 3, 2048]))
def test_the_batched_rule_equals_the_rule_one_node_at_a_time(graph, across, guard, max_kept, chunk):
    nodes, entries, similar, document, protected = graph
    bucket = np.array([b for b, _ in entries], dtype=np.int64)
    node = np.array([n for _, n in entries], dtype=np.int64)
    protected = np.array(protected) & guard
    measured = []

    def similarity(left, right):
        measured.extend(zip(left.tolist(), right.tolist()))
        return np.array([similar[i][j] for i, j in zip(left.tolist(), right.tolist())])

    def apart(left, right):
        return np.array([document[i] == document[j] for i, j in zip(left.tolist(), right.tolist())])

    original = cluster_module._CHUNK
    cluster_module._CHUNK = chunk
    try:
        place, jaccard = greedy_representatives(nodes, bucket, node, similarity, 0.8, apart if across else None,
                                                protected if guard else None, max_kept)
    finally:
        cluster_module._CHUNK = original
    expected = sequential_rule(nodes, bucket.tolist(), node.tolist(), similar, 0.8,
                               (lambda i, j: document[i] == document[j]) if across else (lambda i, j: False),
                               protected, max_kept)
    assert place.tolist() == expected
    for j, i in enumerate(expected):
        assert jaccard[j] == (1.0 if i == j else similar[i][j])
    assert len(measured) == len(set(measured))  # no pair measured twice
    assert all(i < j for i, j in measured)


def test_a_bucket_of_mutually_dissimilar_members_costs_at_most_max_kept_comparisons_each():
    n, max_kept = 500, 8
    measured = []

    def nothing_alike(left, right):
        measured.append(len(left))
        return np.zeros(len(left))

    place, _ = greedy_representatives(n, np.zeros(n, dtype=np.int64), np.arange(n), nothing_alike, 0.5,
                                      max_kept=max_kept)
    assert place.tolist() == list(range(n))
    assert sum(measured) <= n * max_kept


def test_a_bucket_of_near_duplicates_costs_one_comparison_each():
    n = 5000
    measured = []

    def all_alike(left, right):
        measured.append(len(left))
        return np.ones(len(left))

    place, _ = greedy_representatives(n, np.zeros(n, dtype=np.int64), np.arange(n), all_alike, 0.8)
    assert place.tolist() == [0] * n
    assert sum(measured) == n - 1
