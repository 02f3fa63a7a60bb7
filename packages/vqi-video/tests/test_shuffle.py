"""Temporal shuffling: permutations, frame shuffle, and group shuffle on real Qwen2.5-VL and Qwen3-VL vision towers."""

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers.models.qwen2_5_vl.configuration_qwen2_5_vl import Qwen2_5_VLVisionConfig
from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import Qwen2_5_VisionTransformerPretrainedModel
from transformers.models.qwen3_vl.configuration_qwen3_vl import Qwen3VLVisionConfig
from transformers.models.qwen3_vl.modeling_qwen3_vl import Qwen3VLVisionModel

from vqi_video import Clip, group_permutation, permute_groups, shuffle_frames, shuffle_groups

SMALL = {"hidden_size": 32, "num_heads": 2, "intermediate_size": 64, "out_hidden_size": 48, "spatial_merge_size": 2,
         "temporal_patch_size": 2}
TOWERS = {
    # Windowed blocks plus one full-attention block; 2x2 merged patches per window: several windows per frame below.
    "qwen2_5_vl": lambda: Qwen2_5_VisionTransformerPretrainedModel(
        Qwen2_5_VLVisionConfig(depth=2, patch_size=14, window_size=56, fullatt_block_indexes=[1], **SMALL)),
    # Learned positions resampled to each grid, and a DeepStack level from each block.
    "qwen3_vl": lambda: Qwen3VLVisionModel(
        Qwen3VLVisionConfig(depth=2, patch_size=16, num_position_embeddings=64, deepstack_visual_indexes=[0, 1], **SMALL)),
}


@pytest.fixture(scope="module", params=sorted(TOWERS))
def tower(request):
    """A real vision tower of each backbone at toy size."""
    torch.manual_seed(0)
    return TOWERS[request.param]().eval()


def encode(tower, rows: torch.Tensor, grid_thw: torch.Tensor) -> torch.Tensor:
    """``(tokens, levels, hidden)``: the merged output and every DeepStack level (Qwen3-VL) of each token."""
    out = tower(rows, grid_thw=grid_thw)
    return torch.stack([out.pooler_output, *getattr(out, "deepstack_features", [])], dim=1)


def test_permutation_is_seeded_and_never_identity():
    for n in range(2, 7):
        for seed in range(50):
            perm = group_permutation(n, seed)
            assert sorted(perm.tolist()) == list(range(n))
            assert perm.tolist() != list(range(n))
            assert np.array_equal(perm, group_permutation(n, seed))
    assert group_permutation(1, 0).tolist() == [0]
    with pytest.raises(ValueError, match="num_groups"):
        group_permutation(0)


def test_permute_groups_moves_whole_groups():
    # Two clips: 3 groups of 2 rows, then 2 groups of 1 row; row value = clip*100 + group*10 + row.
    grid = torch.tensor([[3, 1, 2], [2, 1, 1]])
    rows = torch.tensor([[0.0], [1], [10], [11], [20], [21], [100], [110]])
    out = permute_groups(rows, grid, [np.array([2, 0, 1]), np.array([1, 0])])
    assert out.squeeze(1).tolist() == [20, 21, 0, 1, 10, 11, 110, 100]


def test_permute_groups_rejects_bad_input():
    grid = torch.tensor([[2, 1, 2]])
    rows = torch.zeros(4, 1)
    with pytest.raises(ValueError, match="not a permutation"):
        permute_groups(rows, grid, [np.array([0, 0])])
    with pytest.raises(ValueError, match="permutations for 1 clips"):
        permute_groups(rows, grid, [np.array([0, 1])] * 2)
    with pytest.raises(ValueError, match="do not match grids"):
        permute_groups(torch.zeros(5, 1), grid, [np.array([1, 0])])


def test_shuffle_groups_each_clip_independently():
    grid = torch.tensor([[4, 2, 2], [4, 2, 2]])
    rows = torch.arange(32.0).unsqueeze(1)
    shuffled, perms = shuffle_groups(rows, grid, rng=3)
    assert len(perms) == 2 and not np.array_equal(perms[0], perms[1])
    assert torch.equal(permute_groups(shuffled, grid, [np.argsort(p) for p in perms]), rows)


def test_shuffle_frames_carries_indices_and_timestamps():
    frames = np.stack([np.full((2, 2, 3), i, np.uint8) for i in range(6)])
    clip = Clip(
        frames=frames,
        indices=np.arange(0, 12, 2),
        timestamps=np.arange(6) * 0.5,
        fps=4.0,
        duration=3.0,
        total_frames=12,
        path=Path("synthetic.mp4"),
        backend="synthetic",
        source_size=(2, 2),
    )
    shuffled, perm = shuffle_frames(clip, rng=1)
    assert shuffled.frames[:, 0, 0, 0].tolist() == perm.tolist()
    assert shuffled.indices.tolist() == (2 * perm).tolist()
    assert shuffled.timestamps.tolist() == (0.5 * perm).tolist()
    assert clip.frames[:, 0, 0, 0].tolist() == list(range(6))  # the input is left alone


@pytest.mark.parametrize("grid", [[[4, 4, 6]], [[4, 4, 6], [2, 6, 4], [6, 2, 2]]])
def test_encoding_shuffled_rows_equals_shuffling_encoded_groups(tower, grid):
    """The paper's token shuffle costs no second vision pass: tower(shuffle(x)) == shuffle(tower(x))."""
    grid_thw = torch.tensor(grid)
    torch.manual_seed(1)
    patch_dim = 3 * 2 * tower.config.patch_size**2  # channels * temporal_patch * patch * patch
    rows = torch.randn(int(grid_thw.prod(-1).sum()), patch_dim)
    shuffled_rows, perms = shuffle_groups(rows, grid_thw, rng=7)
    with torch.no_grad():
        encoded = encode(tower, rows, grid_thw)
        encoded_shuffled = encode(tower, shuffled_rows, grid_thw)
    merge = tower.spatial_merge_size
    assert encoded.shape[0] == int(grid_thw.prod(-1).sum()) // merge**2
    expected = permute_groups(encoded, grid_thw, perms, merge_size=merge)
    # Exact, not approximate: every group goes through the same operations in either order.
    assert torch.equal(encoded_shuffled, expected)
    # And shuffling really changed the order the language model sees.
    assert not torch.allclose(encoded_shuffled, encoded)
