import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash
from hypothesis import given
from hypothesis import strategies as st

import dedup.stages.minhash as minhash_module
from dedup.stages.minhash import EMPTY, from_minhash, permutations, signatures, to_lean_minhash
from dedup.stages.shingle import ShingleSets


def as_sets(list_of_sets):
    arrays = [np.unique(np.asarray(s, dtype=np.uint64)) for s in list_of_sets]
    sizes = np.array([len(a) for a in arrays], dtype=np.int64)
    values = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint64)
    return ShingleSets(values.astype(np.uint64), np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), sizes)


def datasketch_signature(values, num_perm, seed):
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda v: v)
    for v in values:
        m.update(int(v) & 0xFFFFFFFF)
    return m.hashvalues


def reference_signature(values, num_perm, seed):
    """Python-int reference: min over shingles of a*fmix32(h)+b mod 2^32."""
    a, b = permutations(num_perm, seed)
    out = []
    for ak, bk in zip(a.tolist(), b.tolist()):
        best = 0xFFFFFFFF
        for v in values:
            h = int(v) & 0xFFFFFFFF
            h ^= h >> 16
            h = (h * 0x85EBCA6B) & 0xFFFFFFFF
            h ^= h >> 13
            h = (h * 0xC2B2AE35) & 0xFFFFFFFF
            h ^= h >> 16
            best = min(best, (ak * h + bk) & 0xFFFFFFFF)
        out.append(best)
    return out


uint64s = st.integers(0, 2**64 - 1)


@given(st.lists(st.lists(uint64s, max_size=40), max_size=6), st.sampled_from([1, 7, 128]), st.integers(0, 2**32 - 1))
def test_signatures_are_bit_identical_to_datasketch(sets, num_perm, seed):
    sig = signatures(as_sets(sets), num_perm, seed)
    assert sig.shape == (len(sets), num_perm) and sig.dtype == np.uint32
    for i, values in enumerate(sets):
        unique = np.unique(np.array(values, dtype=np.uint64))
        assert np.array_equal(sig[i], datasketch_signature(unique, num_perm, seed))


@given(st.lists(st.lists(uint64s, max_size=30), min_size=1, max_size=6), st.integers(1, 7))
def test_chunked_kernel_matches_reference_across_chunk_boundaries(sets, chunk):
    sets_ = as_sets(sets)
    original = minhash_module._CHUNK
    minhash_module._CHUNK = chunk  # force sets to straddle chunks
    try:
        sig = signatures(sets_, 16, 3)
    finally:
        minhash_module._CHUNK = original
    for i in range(len(sets_)):
        assert sig[i].tolist() == reference_signature(sets_[i], 16, 3)


@given(st.dictionaries(st.integers(1, 8), st.integers(0, 24), max_size=4), st.lists(st.integers(0, 90), max_size=8),
       st.integers(1, 64), st.integers(0, 2**32 - 1))
def test_sets_of_shared_sizes_match_reference_in_chunks_of_any_width(shared_sizes, other_sizes, chunk, seed):
    # Many sets of a few sizes take the by-size path, long or rare ones the
    # in-order path, mixed in one batch; small chunks split both.
    rng = np.random.default_rng(seed)
    sizes = [size for size, count in shared_sizes.items() for _ in range(count)] + other_sizes
    rng.shuffle(sizes)
    sets_ = as_sets([rng.integers(0, 2**64, size, dtype=np.uint64) for size in sizes])
    by_size_calls = []
    original_chunk, by_size = minhash_module._CHUNK, minhash_module._minimums_by_size
    minhash_module._CHUNK = chunk
    minhash_module._minimums_by_size = lambda *args: by_size_calls.append(args) or by_size(*args)
    try:
        sig = signatures(sets_, 8, seed)
    finally:
        minhash_module._CHUNK, minhash_module._minimums_by_size = original_chunk, by_size
    for i in range(len(sets_)):
        assert sig[i].tolist() == reference_signature(sets_[i], 8, seed)
    counts = np.bincount(sets_.sizes)
    limit = min(minhash_module._BY_SIZE_MAX, chunk)
    shared = [s for s in range(1, min(len(counts), limit + 1)) if counts[s] >= minhash_module._BY_SIZE_MIN_SETS * s]
    assert bool(by_size_calls) == bool(shared)


def test_empty_set_signature_is_datasketchs_empty_sketch():
    sig = signatures(as_sets([[], [1, 2]]), 32, 1)
    assert np.all(sig[0] == EMPTY)
    assert np.array_equal(sig[0], MinHash(32, seed=1).hashvalues)


def test_lean_minhash_round_trip_and_estimate():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**63, 400, dtype=np.uint64)
    sets = as_sets([base, np.concatenate([base[:300], rng.integers(0, 2**63, 100, dtype=np.uint64)])])
    sig = signatures(sets, 256, 5)
    lean = [to_lean_minhash(s, seed=5) for s in sig]
    assert all(isinstance(m, LeanMinHash) and m.scheme == "affine32" for m in lean)
    assert np.array_equal(from_minhash(lean[0], seed=5), sig[0])
    assert abs(lean[0].jaccard(lean[1]) - 300 / 500) < 0.1
    restored = LeanMinHash.deserialize(bytearray(_serialized(lean[1])))
    assert np.array_equal(from_minhash(restored), sig[1])


def _serialized(m):
    buf = bytearray(m.bytesize())
    m.serialize(buf)
    return buf


def test_from_minhash_refuses_incomparable_sketches():
    with pytest.raises(ValueError, match="scheme 'affine32'.*'legacy'"):
        from_minhash(MinHash(16, seed=1, scheme="legacy"))
    with pytest.raises(ValueError, match="seed 2; got seed 1"):
        from_minhash(MinHash(16, seed=1), seed=2)
