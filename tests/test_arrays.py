import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dedup.stages.arrays import first_occurrences, gathered, key_order, merged

# Values that differ only in their low bits share the top bits key_order sorts on first.
crowded = st.builds(lambda high, low: (high << 62) | low, st.integers(0, 3), st.integers(0, 3))
keys_arrays = st.integers(1, 3).flatmap(lambda k: st.lists(st.lists(crowded, min_size=k, max_size=k), max_size=40).map(
    lambda rows: np.array(rows, dtype=np.uint64).reshape(len(rows), k)))


@given(keys_arrays, st.booleans())
def test_key_order_sorts_by_key_then_row_and_marks_repeats(keys, flat):
    keys = keys[:, 0] if flat else keys
    order, repeats = key_order(keys)
    as_tuples = [tuple(np.atleast_1d(key).tolist()) for key in keys]
    expected = sorted(range(len(keys)), key=lambda row: (as_tuples[row], row))
    assert order.tolist() == expected
    assert repeats.tolist() == [as_tuples[a] == as_tuples[b] for a, b in zip(expected, expected[1:])]


@given(keys_arrays)
def test_first_occurrences_point_at_the_first_equal_row(keys):
    as_tuples = [tuple(key) for key in keys.tolist()]
    assert first_occurrences(keys).tolist() == [as_tuples.index(key) for key in as_tuples]


@given(st.lists(st.integers(0, 5), max_size=12), st.integers(0, 3), st.data())
def test_gathered_concatenates_the_pieces_asked_for(lengths, start, data):
    offsets = start + np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    values = np.arange(int(offsets[-1]) + 2)
    any_ids = st.lists(st.integers(0, len(lengths) - 1), max_size=15) if lengths else st.just([])
    ids = data.draw(st.one_of(any_ids, any_ids.map(lambda ids: sorted(set(ids)))))
    expected = [v for i in ids for v in values[offsets[i] : offsets[i + 1]].tolist()]
    assert gathered(values, offsets, np.array(ids, dtype=np.int64)).tolist() == expected


@given(st.sets(st.integers(-50, 50)), st.data())
def test_merged_is_the_ascending_union_of_two_disjoint_ascending_arrays(values, data):
    values = sorted(values)
    more = data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
    ascending = np.array([v for v, m in zip(values, more) if not m], dtype=np.int64)
    others = np.array([v for v, m in zip(values, more) if m], dtype=np.int64)
    assert merged(ascending, others).tolist() == values
