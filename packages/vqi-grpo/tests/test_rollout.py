"""SeededSampling: draws follow softmax(logits / T), each row from its own stream, filters respected."""

import torch

from vqi_grpo.rollout import SeededSampling, row_seeds

PROBS = torch.tensor([0.7, 0.2, 0.1])


def draws(seeds, logits, **kwargs) -> torch.Tensor:
    """One decoding step: the token each row picks (the argmax of the processed scores)."""
    batch = logits.expand(len(seeds), -1).clone()
    return SeededSampling(seeds, **kwargs)(torch.zeros(len(seeds), 1, dtype=torch.long), batch).argmax(1)


def test_draws_follow_the_softmax_of_the_tempered_logits():
    n = 20000
    picked = draws(list(range(n)), PROBS.log(), temperature=1.0)
    assert torch.allclose(torch.bincount(picked, minlength=3) / n, PROBS, atol=0.015)
    # T = 2: softmax(log p / 2) is proportional to sqrt(p) = (0.837, 0.447, 0.316) / 1.600.
    picked = draws(list(range(n)), PROBS.log(), temperature=2.0)
    assert torch.allclose(torch.bincount(picked, minlength=3) / n, torch.tensor([0.523, 0.280, 0.198]), atol=0.015)


def test_a_row_draws_the_same_whatever_it_is_batched_with():
    logits = torch.randn(50)
    alone = [draws([seed], logits, temperature=1.0).item() for seed in (11, 12, 13)]
    together = draws([99, 11, 12, 7, 13], logits, temperature=1.0)[[1, 2, 4]].tolist()
    assert alone == together
    steps = SeededSampling([11, 12], temperature=1.0)
    first, second = (steps(None, logits.expand(2, -1).clone()).argmax(1) for _ in range(2))
    again = SeededSampling([11], temperature=1.0)
    assert [again(None, logits[None].clone()).argmax(1).item() for _ in range(2)] == [first[0].item(), second[0].item()]


def test_top_k_and_top_p_keep_only_the_likeliest_tokens():
    n = 5000
    assert set(draws(list(range(n)), PROBS.log(), temperature=1.0, top_k=2).tolist()) == {0, 1}
    # Nucleus 0.8: 0.7 alone is short of it, 0.7 + 0.2 reaches it; the 0.1 token is out.
    picked = draws(list(range(n)), PROBS.log(), temperature=1.0, top_p=0.8)
    assert set(picked.tolist()) == {0, 1}
    assert abs((picked == 0).float().mean().item() - 0.7 / 0.9) < 0.02


def test_row_seeds_are_distinct_and_reproducible():
    assert row_seeds(5, 8) == row_seeds(5, 8)
    assert len(set(row_seeds(5, 8))) == 8 and row_seeds(5, 8) != row_seeds(6, 8)


def test_draws_taken_in_chunks_are_the_per_step_stream():
    """40 decoding steps (across chunks of SeededSampling.CHUNK = 16): each row's scores are its
    logits plus the Gumbel noise of the uniform draws its generator gives one step at a time."""
    logits = torch.randn(2, 30)
    sampling = SeededSampling([11, 12], temperature=1.0)
    streams = [torch.Generator().manual_seed(s) for s in (11, 12)]
    for _ in range(40):
        uniform = torch.stack([torch.rand(30, generator=g) for g in streams])
        expected = logits - torch.log(-torch.log(uniform.clamp(1e-20, 1.0 - 1e-7)))
        assert torch.equal(sampling(None, logits.clone()), expected)
