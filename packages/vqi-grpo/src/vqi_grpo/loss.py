"""The GRPO objective (VQ-Insight eq. 1-2) as pure functions.

Group-relative advantages (eq. 1)::

    A_i = (r_i - mean(r_group)) / std(r_group)

The clipped surrogate with a KL penalty to a frozen reference (eq. 2), per completion token::

    rho = exp(logp - logp_old)
    l   = -min(rho * A, clip(rho, 1 - eps_low, 1 + eps_high) * A) + beta * KL
    KL  = exp(logp_ref - logp) - (logp_ref - logp) - 1      (the k3 estimator, >= 0)

reduced over tokens as trl's loss types of the same names do: ``grpo`` (mean over each
completion's tokens, then over completions: the paper's objective), ``bnpo`` (mean over all
completion tokens of the micro-batch), ``dr_grpo`` (sum over tokens / (completions *
max_completion_length)) and ``dapo`` (sum over tokens / ``num_items_in_batch``, the completion
tokens of the whole batch; trl's default). With ``importance_sampling_level="sequence"`` (GSPO) the
ratio is one per completion, ``exp`` of the mean of its tokens' log-ratios, as trl computes it.
"""

from __future__ import annotations

import torch

LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo")
IMPORTANCE_SAMPLING_LEVELS = ("token", "sequence")
SCALE_REWARDS = ("group", "batch", "none")


def group_advantages(
    rewards: torch.Tensor, group_size: int, *, scale: str = "group", batch_std: torch.Tensor | float | None = None
) -> torch.Tensor:
    """Advantages of eq. 1 for consecutive groups of completions, scaled as trl's ``scale_rewards``.

    Args:
        rewards: ``(groups * group_size,)`` total reward of each completion; completions of one
            prompt are consecutive.
        group_size: completions per prompt (the paper's N = 8).
        scale: ``group`` divides by each group's standard deviation (eq. 1); ``batch`` by the
            standard deviation of the whole batch (PPO Lite); ``none`` keeps only the centring
            (Dr. GRPO). Always centred on the group's mean; a group whose rewards are all equal
            gets advantages 0.
        batch_std: with ``batch``, the std of the batch the rewards belong to (the trainer's spans
            every accumulation step and process); None: the std of ``rewards``.

    Returns:
        ``(groups * group_size,)`` advantages.

    Example:
        rewards ``[1, 0, 0, 1]`` in groups of 2: each group's mean is 0.5 and its sample std
        ``sqrt(0.5) = 0.70711``, so the advantages are ``±0.5 / (0.70711 + 1e-4) = ±0.70701``:
        ``[0.70701, -0.70701, -0.70701, 0.70701]``.
    """
    if scale not in SCALE_REWARDS:
        raise ValueError(f"scale {scale!r} is not one of {SCALE_REWARDS}")
    if rewards.ndim != 1 or rewards.numel() % group_size:
        raise ValueError(f"rewards of shape {tuple(rewards.shape)} do not split into groups of {group_size}")
    grouped = rewards.view(-1, group_size)  # (groups, group_size)
    centred = grouped - grouped.mean(dim=1, keepdim=True)  # (groups, group_size)
    # Sample std (unbiased), as trl and the authors compute it; 1e-4 keeps equal groups at 0.
    if scale == "group":
        centred = centred / (grouped.std(dim=1, keepdim=True) + 1e-4)
    elif scale == "batch":
        centred = centred / ((rewards.std() if batch_std is None else batch_std) + 1e-4)
    return centred.reshape(-1)


def grpo_loss(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    ref_logps: torch.Tensor | None,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    *,
    beta: float = 0.001,
    epsilon_low: float = 0.2,
    epsilon_high: float = 0.2,
    loss_type: str = "grpo",
    max_completion_length: int | None = None,
    importance_sampling_level: str = "token",
    num_items_in_batch: float | torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The clipped GRPO surrogate with a KL penalty (eq. 2), negated to be minimised.

    Args:
        logps: ``(B, T)`` log-probabilities of the completion tokens under the policy (with grad).
        old_logps: ``(B, T)`` the same under the policy that sampled them (no grad).
        ref_logps: ``(B, T)`` the same under the frozen reference, or None when ``beta == 0``.
        advantages: ``(B,)`` advantages of eq. 1.
        mask: ``(B, T)`` 1 for completion tokens, 0 for padding.
        beta: KL weight (paper: 0.001).
        epsilon_low: lower clip range ``δ`` of the ratio.
        epsilon_high: upper clip range (``δ`` too in the paper; larger in DAPO).
        loss_type: ``grpo``, ``bnpo``, ``dr_grpo`` or ``dapo`` (see the module docstring).
        max_completion_length: the generation limit, needed by ``dr_grpo``.
        importance_sampling_level: ``token`` (a ratio per token) or ``sequence`` (one per
            completion: the masked mean of its log-ratios, exponentiated).
        num_items_in_batch: ``dapo``'s normaliser, the completion tokens of the batch the loss is
            averaged over; None: this micro-batch's. The trainer passes the whole optimiser step's
            (every accumulation step and process) divided by the process count, as trl does, since
            the processes' gradients are averaged.

    Returns:
        ``(loss, metrics)``; metrics (detached): ``kl`` (mean per token), ``clip_ratio`` (fraction of
        tokens whose ratio was clipped), ``mean_ratio``.

    Example:
        One completion of two tokens, policy = old = reference, advantage 1: the ratio is 1, the KL 0,
        the per-token loss -1 and the ``grpo`` loss -1.0.

        Two completions, ``mask [[1, 1], [1, 0]]``, policy = old, beta 0, advantages ``[1, -1]``: the
        per-token losses are ``[[-1, -1], [1, -]]``, their sum -1. ``grpo`` averages the rows' means
        ``(-1 + 1) / 2 = 0``; ``bnpo`` and ``dapo`` (3 tokens) give ``-1/3``; ``dapo`` with
        ``num_items_in_batch=6`` gives ``-1/6``; ``dr_grpo`` at length 2, ``-1 / (2 * 2) = -0.25``.

        One completion of two tokens with log-ratios ``[ln 2, 0]``, advantage 1, epsilon 0.2: per
        token the ratios are 2 (clipped to 1.2) and 1, so ``grpo`` gives ``-(1.2 + 1) / 2 = -1.1``;
        per sequence the ratio is ``exp(ln 2 / 2) = 1.41421``, clipped to 1.2 on both tokens: -1.2.
    """
    if loss_type not in LOSS_TYPES:
        raise ValueError(f"loss_type {loss_type!r} is not one of {LOSS_TYPES}")
    if importance_sampling_level not in IMPORTANCE_SAMPLING_LEVELS:
        raise ValueError(f"importance_sampling_level {importance_sampling_level!r} is not one of {IMPORTANCE_SAMPLING_LEVELS}")
    if beta and ref_logps is None:
        raise ValueError("beta > 0 needs ref_logps (the frozen reference's log-probabilities)")
    mask = mask.to(logps.dtype)  # (B, T)
    log_ratio = logps - old_logps  # (B, T)
    if importance_sampling_level == "sequence":
        log_ratio = ((log_ratio * mask).sum(-1, keepdim=True) / mask.sum(-1, keepdim=True).clamp(min=1.0))  # (B, 1)
    ratio = torch.exp(log_ratio).expand_as(logps)  # (B, T)
    clipped = torch.clamp(ratio, 1 - epsilon_low, 1 + epsilon_high)  # (B, T)
    adv = advantages.unsqueeze(1)  # (B, 1)
    per_token = -torch.min(ratio * adv, clipped * adv)  # (B, T)
    kl = torch.zeros_like(logps)
    if beta:
        delta = ref_logps - logps  # (B, T)
        kl = torch.exp(delta) - delta - 1  # (B, T)
        per_token = per_token + beta * kl
    tokens = mask.sum().clamp(min=1.0)
    if loss_type == "grpo":
        loss = ((per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()
    elif loss_type == "bnpo":
        loss = (per_token * mask).sum() / tokens
    elif loss_type == "dapo":
        normaliser = tokens if num_items_in_batch is None else torch.as_tensor(num_items_in_batch, dtype=logps.dtype)
        loss = (per_token * mask).sum() / normaliser.clamp(min=1.0)
    else:
        if not max_completion_length:
            raise ValueError("loss_type 'dr_grpo' needs max_completion_length")
        loss = (per_token * mask).sum() / (per_token.size(0) * max_completion_length)
    is_clipped = ((ratio < 1 - epsilon_low) & (adv < 0)) | ((ratio > 1 + epsilon_high) & (adv > 0))
    metrics = {
        "kl": ((kl * mask).sum() / tokens).detach(),
        "clip_ratio": ((is_clipped.to(mask.dtype) * mask).sum() / tokens).detach(),
        "mean_ratio": ((ratio * mask).sum() / tokens).detach(),
    }
    return loss, metrics
