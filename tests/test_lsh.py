import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dedup.stages.lsh import (
    band_keys,
    buckets,
    collision_probability,
    lsh_params,
    optimal_bands,
)


def test_error_areas_match_closed_form_for_one_row():
    # With rows=1, bands=b: P(s) = 1-(1-s)^b, so the areas have closed forms.
    t, b = 0.6, 5
    p = lsh_params(t, b, 1)
    fp = t - (1 - (1 - t) ** (b + 1)) / (b + 1)
    fn = (1 - t) ** (b + 1) / (b + 1)
    assert abs(p.false_positive_area - fp) < 1e-6 and abs(p.false_negative_area - fn) < 1e-6


def _areas_by_trapezoid(threshold, bands, rows, points=20001):
    s = np.linspace(0.0, 1.0, points)
    p = collision_probability(s, bands, rows)
    below, above = s <= threshold, s >= threshold
    trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 names it trapz
    return trapezoid(p[below], s[below]), trapezoid(1 - p[above], s[above])


def test_optimal_bands_use_nearly_all_permutations_and_minimise_the_weighted_error():
    for threshold in (0.3, 0.5, 0.7, 0.8, 0.9, 0.95):
        for num_perm in (16, 100, 128):
            best = optimal_bands(threshold, num_perm)
            assert num_perm - best.bands * best.rows < best.rows
            errors = {}
            for r in range(1, num_perm + 1):
                fp, fn = _areas_by_trapezoid(threshold, num_perm // r, r)
                errors[(num_perm // r, r)] = 0.005 * fp + 0.995 * fn
            assert errors[(best.bands, best.rows)] <= min(errors.values()) + 1e-6


def test_default_banding_at_08_finds_pairs_at_the_threshold_with_high_probability():
    params = optimal_bands(0.8, 128)
    assert (params.bands, params.rows) == (18, 7)
    assert params.recall_at_threshold == collision_probability(0.8, 18, 7) > 0.98


signature_rows = st.lists(st.lists(st.integers(0, 3), min_size=6, max_size=6), max_size=30)


@given(signature_rows, st.sampled_from([(1, 6), (2, 3), (3, 2), (6, 1), (2, 2)]))
def test_buckets_group_exactly_the_rows_with_an_equal_band(rows, banding):
    bands, r = banding
    sig = np.array(rows, dtype=np.uint32).reshape(-1, 6)
    bucket, member = buckets(band_keys(sig, bands, r))
    got = set()
    for b in np.unique(bucket):
        members = member[bucket == b]
        assert len(members) >= 2 and np.all(np.diff(members) > 0)
        got.add(tuple(members.tolist()))
    expected = set()
    for k in range(bands):
        groups = {}
        for i, row in enumerate(rows):
            groups.setdefault(tuple(row[k * r:(k + 1) * r]), []).append(i)
        expected |= {tuple(g) for g in groups.values() if len(g) >= 2}
    assert got == expected


# Keys that differ only in their low bits share the top bits that buckets() sorts on first.
crowded_keys = st.lists(st.lists(st.builds(lambda high, low: (high << 60) | low, st.integers(0, 3),
                                           st.integers(0, 3)), min_size=3, max_size=3), max_size=40)


@given(crowded_keys)
def test_buckets_list_each_band_in_key_order_with_members_ascending(rows):
    keys = np.array(rows, dtype=np.uint64).reshape(-1, 3)
    expected_bucket, expected_member, next_id = [], [], 0
    for column in keys.T.tolist():
        groups = {}
        for row, key in enumerate(column):
            groups.setdefault(key, []).append(row)
        for key in sorted(groups):
            if len(groups[key]) >= 2:
                expected_bucket += [next_id] * len(groups[key])
                expected_member += groups[key]
                next_id += 1
    bucket, member = buckets(keys)
    assert bucket.tolist() == expected_bucket and member.tolist() == expected_member


