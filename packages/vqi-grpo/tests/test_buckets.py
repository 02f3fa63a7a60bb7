"""length_buckets: hand-computed cuts, and the cheapest over every way to cut the sorted rows."""

import itertools
import random

import pytest

from vqi_grpo.buckets import length_buckets


def cost(buckets, prompt, completion, overhead):
    return sum(len(b) * (max(prompt[r] for r in b) + max(completion[r] for r in b)) + overhead for b in buckets)


def test_hand_computed_cuts():
    # Two rows of 15 tokens and two of 105: apart 2*15 + 2*105 + 2*50 = 340, together 4*105 + 50 = 470.
    assert length_buckets([100, 10, 100, 10], [5, 5, 5, 5], overhead=50) == [[1, 3], [0, 2]]
    # With a forward costing 500, together (920) beats apart (1240).
    assert length_buckets([100, 10, 100, 10], [5, 5, 5, 5], overhead=500) == [[1, 3, 0, 2]]
    # Prompt and completion are padded apart: (10, 90) and (90, 10) cost 2 * 180 together.
    assert length_buckets([10, 90], [90, 10], overhead=0) == [[0], [1]]
    assert length_buckets([], []) == []


def test_no_cut_of_the_sorted_rows_is_cheaper():
    rng = random.Random(0)
    for _ in range(50):
        n = rng.randint(1, 7)
        prompt = [rng.randint(1, 300) for _ in range(n)]
        completion = [rng.randint(0, 64) for _ in range(n)]
        overhead = rng.choice([0, 64, 1024])
        buckets = length_buckets(prompt, completion, overhead)
        assert sorted(r for b in buckets for r in b) == list(range(n))
        rows = sorted(range(n), key=lambda r: (prompt[r] + completion[r], r))
        cheapest = min(
            cost([rows[a:b] for a, b in zip((0, *cuts), (*cuts, n))], prompt, completion, overhead)
            for k in range(n)
            for cuts in itertools.combinations(range(1, n), k)
        )
        assert cost(buckets, prompt, completion, overhead) == cheapest


def test_lengths_of_other_rows_are_refused():
    with pytest.raises(ValueError, match="3 prompt lengths for 2 completions"):
        length_buckets([1, 2, 3], [1, 2])
