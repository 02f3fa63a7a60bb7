"""The GRPO objective on hand-computed cases (eq. 1-2)."""

import math

import pytest
import torch

from vqi_grpo import VideoGRPOConfig, group_advantages, grpo_loss
from vqi_grpo.rollout import truncated


def test_group_advantages_match_the_docstring():
    adv = group_advantages(torch.tensor([1.0, 0.0, 0.0, 1.0]), 2)
    expected = 0.5 / (math.sqrt(0.5) + 1e-4)
    torch.testing.assert_close(adv, torch.tensor([expected, -expected, -expected, expected]))


def test_equal_rewards_give_zero_advantage_and_unscaled_only_centres():
    assert group_advantages(torch.tensor([0.3, 0.3, 0.3]), 3).tolist() == [0.0, 0.0, 0.0]
    torch.testing.assert_close(group_advantages(torch.tensor([3.0, 1.0]), 2, scale="none"), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="groups of 3"):
        group_advantages(torch.zeros(4), 3)


def test_on_policy_loss_is_minus_the_mean_advantage():
    """policy = old = reference: ratio 1, KL 0, per-token loss -A; grpo averages per completion."""
    logps = torch.log(torch.tensor([[0.5, 0.25], [0.5, 0.5]]))
    mask = torch.tensor([[1, 1], [1, 0]])
    loss, metrics = grpo_loss(logps, logps, logps, torch.tensor([1.0, -3.0]), mask, beta=0.001)
    assert loss.item() == pytest.approx((-1.0 + 3.0) / 2)
    assert metrics["kl"].item() == 0.0 and metrics["mean_ratio"].item() == pytest.approx(1.0)


def test_clipping_and_kl_by_hand():
    """One token: ratio e^0.5 = 1.6487 > 1.2 with A = 2: the clipped term 1.2 * 2 wins the min.

    KL with logp_ref - logp = -0.5: e^-0.5 + 0.5 - 1 = 0.10653; loss = -2.4 + 0.1 * 0.10653.
    """
    logps = torch.tensor([[0.0]])
    old = torch.tensor([[-0.5]])
    ref = torch.tensor([[-0.5]])
    loss, metrics = grpo_loss(logps, old, ref, torch.tensor([2.0]), torch.ones(1, 1), beta=0.1)
    kl = math.exp(-0.5) + 0.5 - 1
    assert loss.item() == pytest.approx(-2.4 + 0.1 * kl, abs=1e-6)
    assert metrics["clip_ratio"].item() == 1.0
    # A negative advantage takes the unclipped (more pessimistic) term: -min(1.6487 * -2, 1.2 * -2).
    loss, metrics = grpo_loss(logps, old, None, torch.tensor([-2.0]), torch.ones(1, 1), beta=0.0)
    assert loss.item() == pytest.approx(2 * math.exp(0.5), abs=1e-6)
    assert metrics["clip_ratio"].item() == 0.0


def test_loss_types_reduce_tokens_differently():
    per_token = torch.zeros(2, 3)  # logps = old: per-token loss is -A
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    adv = torch.tensor([1.0, 2.0])
    grpo, _ = grpo_loss(per_token, per_token, None, adv, mask, beta=0.0, loss_type="grpo")
    bnpo, _ = grpo_loss(per_token, per_token, None, adv, mask, beta=0.0, loss_type="bnpo")
    dr, _ = grpo_loss(per_token, per_token, None, adv, mask, beta=0.0, loss_type="dr_grpo", max_completion_length=4)
    assert grpo.item() == pytest.approx((-1 - 2) / 2)  # per completion, then mean
    assert bnpo.item() == pytest.approx((-3 - 2) / 4)  # over the 4 real tokens
    assert dr.item() == pytest.approx((-3 - 2) / (2 * 4))  # over completions * max length
    with pytest.raises(ValueError, match="dr_grpo"):
        grpo_loss(per_token, per_token, None, adv, mask, beta=0.0, loss_type="dr_grpo")
    with pytest.raises(ValueError, match="not one of"):
        grpo_loss(per_token, per_token, None, adv, mask, loss_type="ppo")
    with pytest.raises(ValueError, match="ref_logps"):
        grpo_loss(per_token, per_token, None, adv, mask, beta=0.1)


def test_gradient_pushes_up_the_advantaged_completion():
    logps = torch.tensor([[-1.0], [-1.0]], requires_grad=True)
    loss, _ = grpo_loss(logps, logps.detach(), None, torch.tensor([1.0, -1.0]), torch.ones(2, 1), beta=0.0)
    loss.backward()
    assert logps.grad[0, 0] < 0 < logps.grad[1, 0]  # descent raises the first, lowers the second


def test_dapo_normalises_by_the_batch_tokens_as_the_docstring_works_out():
    """Two completions, mask [[1, 1], [1, 0]], policy = old, beta 0, advantages [1, -1]: per-token
    losses [[-1, -1], [1, -]], sum -1 (grpo loss.py docstring)."""
    logps = torch.zeros(2, 2)
    mask = torch.tensor([[1, 1], [1, 0]])
    adv = torch.tensor([1.0, -1.0])
    loss = lambda **kw: grpo_loss(logps, logps, None, adv, mask, beta=0.0, **kw)[0].item()
    assert loss(loss_type="grpo") == pytest.approx(0.0)
    assert loss(loss_type="bnpo") == pytest.approx(-1 / 3)
    assert loss(loss_type="dapo") == pytest.approx(-1 / 3)
    assert loss(loss_type="dapo", num_items_in_batch=6) == pytest.approx(-1 / 6)
    assert loss(loss_type="dr_grpo", max_completion_length=2) == pytest.approx(-0.25)


def test_sequence_level_importance_sampling_uses_one_ratio_per_completion():
    """Log-ratios [ln 2, 0], advantage 1, epsilon 0.2: per token the ratios are 2 (clipped to 1.2)
    and 1, loss -(1.2 + 1) / 2 = -1.1; per sequence exp(ln 2 / 2) = 1.41421, clipped to 1.2 on
    both tokens: -1.2. The padding token's log-ratio (here 5) is left out of the mean."""
    old = torch.tensor([[0.0, 0.0, 0.0]])
    logps = torch.tensor([[math.log(2.0), 0.0, 5.0]])
    mask = torch.tensor([[1, 1, 0]])
    adv = torch.tensor([1.0])
    token, _ = grpo_loss(logps, old, None, adv, mask, beta=0.0, epsilon_low=0.2, epsilon_high=0.2)
    sequence, metrics = grpo_loss(logps, old, None, adv, mask, beta=0.0, epsilon_low=0.2, epsilon_high=0.2,
                                  importance_sampling_level="sequence")
    assert token.item() == pytest.approx(-1.1) and sequence.item() == pytest.approx(-1.2)
    assert metrics["mean_ratio"].item() == pytest.approx(math.sqrt(2.0)) and metrics["clip_ratio"].item() == 1.0
    with pytest.raises(ValueError, match="importance_sampling_level 'document'"):
        grpo_loss(logps, old, None, adv, mask, beta=0.0, importance_sampling_level="document")


def test_the_config_refuses_an_unknown_loss_or_importance_level(tmp_path):
    assert VideoGRPOConfig(output_dir=str(tmp_path), use_cpu=True, loss_type="dapo",
                           importance_sampling_level="sequence").loss_type == "dapo"
    with pytest.raises(ValueError, match="loss_type='ppo'; choose one of"):
        VideoGRPOConfig(output_dir=str(tmp_path), use_cpu=True, loss_type="ppo")
    with pytest.raises(ValueError, match="importance_sampling_level='document'; choose one of"):
        VideoGRPOConfig(output_dir=str(tmp_path), use_cpu=True, importance_sampling_level="document")


def test_scale_rewards_group_batch_and_none_by_hand():
    """Rewards [1, 0, 3, 3] in groups of 2: group means 0.5 and 3, centred [0.5, -0.5, 0, 0].

    group: the first group's std is sqrt(0.5) = 0.70711, the second's 0: [±0.5 / 0.70721, 0, 0].
    batch: the batch mean is 1.75, squared deviations 0.5625 + 3.0625 + 1.5625 + 1.5625 = 6.75,
    sample variance 6.75 / 3 = 2.25, std 1.5: [±0.5 / 1.5001, 0, 0]; with the std of a larger batch
    given (0.5, as the trainer passes the whole step's): [±0.5 / 0.5001, 0, 0].
    none: the centred rewards.
    """
    rewards = torch.tensor([1.0, 0.0, 3.0, 3.0])
    by_group = 0.5 / (math.sqrt(0.5) + 1e-4)
    torch.testing.assert_close(group_advantages(rewards, 2, scale="group"), torch.tensor([by_group, -by_group, 0.0, 0.0]))
    torch.testing.assert_close(group_advantages(rewards, 2, scale="batch"), torch.tensor([0.5 / 1.5001, -0.5 / 1.5001, 0.0, 0.0]))
    torch.testing.assert_close(group_advantages(rewards, 2, scale="batch", batch_std=0.5),
                               torch.tensor([0.5 / 0.5001, -0.5 / 0.5001, 0.0, 0.0]))
    torch.testing.assert_close(group_advantages(rewards, 2, scale="none"), torch.tensor([0.5, -0.5, 0.0, 0.0]))
    with pytest.raises(ValueError, match="scale 'global' is not one of"):
        group_advantages(rewards, 2, scale="global")


def test_the_config_takes_trl_scale_rewards_values_and_bools(tmp_path):
    """trl's default "group"; its bools: true is "group", false "none"; anything else is refused."""
    make = lambda **kw: VideoGRPOConfig(output_dir=str(tmp_path), use_cpu=True, **kw)
    assert make().scale_rewards == "group"
    assert [make(scale_rewards=v).scale_rewards for v in (True, False, "batch", "none")] == ["group", "none", "batch", "none"]
    with pytest.raises(ValueError, match=r"scale_rewards='global'; choose one of \('group', 'batch', 'none'\) \(or true / false\)"):
        make(scale_rewards="global")


def test_truncated_completions_leave_the_loss():
    """Completions [5, 2] (ended by eos 2) and [5, 6, 7] (cut at max_completion_length 3), policy = old,
    beta 0, advantages [1, -1]: per-token losses [[-1, -1, -], [1, 1, 1]].

    dapo over every token: (-2 + 3) / 5 = 0.2. With mask_truncated_completions the second row's
    mask is zeroed: -2 / 2 = -1.
    """
    ids = [[5, 2], [5, 6, 7]]
    assert truncated(ids, {2}) == [False, True]
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    logps = torch.zeros(2, 3)
    adv = torch.tensor([1.0, -1.0])
    loss = lambda m: grpo_loss(logps, logps, None, adv, m, beta=0.0, loss_type="dapo")[0].item()
    assert loss(mask) == pytest.approx(0.2)
    mask[torch.tensor(truncated(ids, {2}))] = 0
    assert mask.tolist() == [[1, 1, 0], [0, 0, 0]] and loss(mask) == pytest.approx(-1.0)


def test_dapo_over_accumulation_steps_and_processes_equals_one_batch():
    """Micro-batch 1: mask [[1, 1], [1, 0]], advantages [1, -1], per-token sum -1 + -1 + 1 = -1;
    micro-batch 2: mask [[1, 0]], advantage 2, sum -2. The step has 4 tokens; dapo on it as one batch
    gives -3 / 4 = -0.75.

    With num_items_in_batch = 4 the micro-batches give -1/4 and -2/4, summed (gradient accumulation,
    no further division) -0.75. On 2 processes, one micro-batch each, the normaliser is 4 / 2 and
    the gradients are averaged: (-1/2 + -2/2) / 2 = -0.75. Each micro-batch's own tokens instead,
    averaged over the 2 accumulation steps, give (-1/3 + -2/1) / 2 = -1.16667.
    """
    zeros = torch.zeros(2, 2)
    first = lambda **kw: grpo_loss(zeros, zeros, None, torch.tensor([1.0, -1.0]), torch.tensor([[1, 1], [1, 0]]),
                                   beta=0.0, loss_type="dapo", **kw)[0].item()
    second = lambda **kw: grpo_loss(zeros[:1], zeros[:1], None, torch.tensor([2.0]), torch.tensor([[1, 0]]),
                                    beta=0.0, loss_type="dapo", **kw)[0].item()
    whole = grpo_loss(torch.zeros(3, 2), torch.zeros(3, 2), None, torch.tensor([1.0, -1.0, 2.0]),
                      torch.tensor([[1, 1], [1, 0], [1, 0]]), beta=0.0, loss_type="dapo")[0].item()
    assert whole == pytest.approx(-0.75)
    assert first(num_items_in_batch=4) + second(num_items_in_batch=4) == pytest.approx(-0.75)
    assert (first(num_items_in_batch=4 / 2) + second(num_items_in_batch=4 / 2)) / 2 == pytest.approx(-0.75)
    assert (first() + second()) / 2 == pytest.approx(-7 / 6)
