import re

import pytest

from dedup import DedupConfig, find_duplicates


@pytest.mark.parametrize(
    "options, message",
    [
        ({"threshold": 0}, "threshold must be a number in (0, 1]"),
        ({"threshold": 1.01}, "threshold must be a number in (0, 1]"),
        ({"threshold": "0.8"}, "threshold must be a number in (0, 1]"),
        ({"threshold": True}, "threshold must be a number in (0, 1]"),
        ({"segmentation": "paragraphs"}, "segmentation must be one of"),
        ({"shingle": "token"}, "shingle must be one of"),
        ({"ngram": 0}, "ngram must be None or an integer >= 1"),
        ({"ngram": 2.0}, "ngram must be None or an integer >= 1"),
        ({"min_tokens": -1}, "min_tokens must be an integer >= 0"),
        ({"num_perm": 0}, "num_perm must be an integer in [1, 4096]"),
        ({"bands": 4}, "bands and rows must be both None or both set"),
        ({"bands": 20, "rows": 7}, "bands * rows must be <= num_perm (128)"),
        ({"bands": 0, "rows": 7}, "bands must be an integer >= 1"),
        ({"false_positive_weight": -1}, "false_positive_weight must be a number >= 0"),
        ({"false_positive_weight": 0, "false_negative_weight": 0}, "must be > 0"),
        ({"seed": -1}, "seed must be an integer in [0, 2**32)"),
        ({"unicode_form": "nfkc"}, "unicode_form must be one of"),
        ({"casefold": "yes"}, "casefold must be True or False"),
        ({"scope": "everything"}, "scope must be one of ('all', 'across', 'within')"),
        ({"keep_shorter_than": -1}, "keep_shorter_than must be an integer >= 0"),
    ],
)
def test_invalid_options_raise_value_error_saying_what_was_expected(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DedupConfig(**options)
    with pytest.raises(ValueError):
        find_duplicates(["some text"], **options)


def test_a_bad_value_names_the_options_at_fault_for_callers_to_put_in_their_own_terms():
    from dedup.config import OptionError

    with pytest.raises(OptionError) as caught:
        DedupConfig(rows=4)
    assert caught.value.names == ("bands", "rows") and caught.value.value == (None, 4)


def test_unknown_option_lists_the_valid_ones():
    with pytest.raises(TypeError, match="unknown option.*'treshold'.*valid options are"):
        find_duplicates(["x"], treshold=0.5)


def test_config_is_frozen_and_options_override_a_given_config():
    config = DedupConfig(threshold=0.6, num_perm=64)
    with pytest.raises(AttributeError):
        config.threshold = 0.9
    report = find_duplicates(["a b"], config=config, num_perm=32)
    assert report.config.threshold == 0.6 and report.config.num_perm == 32
    assert find_duplicates(["a b"], config=config, threshold=0.9).config.threshold == 0.9


def test_explicit_bands_and_rows_are_used():
    report = find_duplicates(["a b"], bands=10, rows=5)
    assert (report.lsh.bands, report.lsh.rows) == (10, 5)
