"""Tiny text-to-video generators built from configs, never downloaded.

Each builder saves a complete diffusers pipeline folder (``save_pretrained``) that the stock
``WanPipeline.from_pretrained`` / ``TextToVideoSDPipeline.from_pretrained`` load and sample from
in a fraction of a second on a CPU (5 frames at 32x32). Weights are random, except the Wan VAE,
which starts as an average-pooling autoencoder (``_average_pooling_wan_vae``) so that
``pretrain_generator`` can make a working generator in CPU minutes. The text tokenizer is a
word-level model trained here with the ``tokenizers`` library and wrapped as a transformers fast
tokenizer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from torch import nn
from diffusers import (
    AutoencoderKL,
    AutoencoderKLWan,
    DDIMScheduler,
    DDPMScheduler,
    FlowMatchEulerDiscreteScheduler,
    TextToVideoSDPipeline,
    UNet3DConditionModel,
    UniPCMultistepScheduler,
    WanPipeline,
    WanTransformer3DModel,
)
from diffusers.models.autoencoders.autoencoder_kl_wan import (
    WanAttentionBlock,
    WanResample,
    WanResidualBlock,
)
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (
    CLIPTextConfig,
    CLIPTextModel,
    PreTrainedTokenizerFast,
    UMT5Config,
    UMT5EncoderModel,
)

# Enough words for prompts in tests and examples; anything else maps to <unk>.
_WORDS = (
    "a an the of in on at with and or to from under over by is are bright dark light shadow "
    "night day sun moon sky cloud rain snow fire water sea river lake forest tree flower grass "
    "mountain city street road car train boat bird cat dog horse fish person man woman child "
    "people red green blue yellow white black orange purple gray golden sharp blurry soft "
    "fast slow small big tall walking running flying swimming dancing jumping rolling ball "
    "room house window door table chair light lamp video clip scene camera moving static "
    "square gliding gradient slowly quickly"
)
_LATENT_CHANNELS = 4


# Large enough that the constant channel fixes the RMS norms' denominator (colour error < 0.1 %).
_NORM_ANCHOR = 100.0


def _set_identity(conv: nn.Module, entries: list[tuple[int, int, float]], tap: tuple) -> None:
    """Zero ``conv`` and set ``weight[out, in, *tap] = value`` for each ``(out, in, value)``."""
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    for out, inp, value in entries:
        conv.weight.data[(out, inp, *tap)] = value


@torch.no_grad()
def _average_pooling_wan_vae() -> AutoencoderKLWan:
    """A small AutoencoderKLWan whose weights make it an exact average-pooling autoencoder.

    A randomly initialised Wan VAE learns to reconstruct far too slowly for a CPU budget (hundreds
    of steps leave it at the mean colour), so this one starts as a working autoencoder instead:
    latent channels 0-2 are the RGB mean of each 4x4 pixel block (frame 0 from frame 0, latent
    frame ``k`` from frame ``4k``), channel 3 their mean (so no channel is constant), and the
    decoder repeats each block's colour (frames ``4k-3 .. 4k`` show latent frame ``k``). Every
    residual branch and attention output starts at zero, so training (``pretrain_generator``)
    refines a faithful decoder rather than discovering one. Spatial factor 4 (Wan's is 8) keeps a
    64x64 clip's square of side ~21 px five latent pixels wide; temporal factor 4, as Wan.

    The RMS norms before each head would make the map nonlinear; a constant channel of
    ``_NORM_ANCHOR`` fixes their denominator, and each colour travels as the pair ``(+c, -c)``,
    because ``silu(y) - silu(-y) = y`` exactly.

    Returns:
        The VAE, ``z_dim`` 4, ``latents_mean`` 0 and ``latents_std`` 1 until pretraining sets them.
    """
    vae = AutoencoderKLWan(
        base_dim=8,
        z_dim=_LATENT_CHANNELS,
        dim_mult=[1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[True, True],
        latents_mean=[0.0] * _LATENT_CHANNELS,
        latents_std=[1.0] * _LATENT_CHANNELS,
        scale_factor_spatial=4,
        scale_factor_temporal=4,
    )
    width = vae.config.base_dim
    for module in vae.modules():
        if isinstance(module, WanResidualBlock):
            nn.init.zeros_(module.conv2.weight)
            nn.init.zeros_(module.conv2.bias)
        elif isinstance(module, WanAttentionBlock):
            nn.init.zeros_(module.proj.weight)
            nn.init.zeros_(module.proj.bias)
    signed = [(c, c, 1.0) for c in range(3)] + [(c + 3, c, -1.0) for c in range(3)]
    anchor = 6  # the constant channel, after the three (+c, -c) pairs
    # The anchor enters only just before each head: weights reading it would otherwise swing the
    # colours by anchor x learning rate on the first optimiser step.
    encoder, decoder = vae.encoder, vae.decoder
    _set_identity(encoder.conv_in, signed, (2, 1, 1))  # (out, in, time, h, w); time 2 = current
    for block in encoder.down_blocks:
        if isinstance(block, WanResample):  # 2x2 mean in space, the last frame of each pair in time
            _set_identity(block.resample[1], [], (0, 0))
            block.resample[1].weight.data[range(width), range(width), :2, :2] = 0.25
            _set_identity(block.time_conv, [(c, c, 1.0) for c in range(width)], (2, 0, 0))
    encoder.mid_block.resnets[-1].conv2.bias.data[anchor] = _NORM_ANCHOR
    head = [(c, c, 1.0) for c in range(3)] + [(c, c + 3, -1.0) for c in range(3)]
    luma = [(3, c, 1 / 3) for c in range(3)] + [(3, c + 3, -1 / 3) for c in range(3)]
    for norm in (encoder.norm_out, decoder.norm_out):
        norm.gamma.data.zero_()
        norm.gamma.data[:anchor] = _NORM_ANCHOR / width**0.5  # the anchor itself leaves as 0
    _set_identity(encoder.conv_out, head + luma, (2, 1, 1))
    encoder.conv_out.bias.data[_LATENT_CHANNELS:] = -20.0  # log-variance: a sharp posterior
    _set_identity(vae.quant_conv, [(c, c, 1.0) for c in range(2 * _LATENT_CHANNELS)], (0, 0, 0))
    _set_identity(vae.post_quant_conv, [(c, c, 1.0) for c in range(_LATENT_CHANNELS)], (0, 0, 0))
    _set_identity(decoder.conv_in, [(c, c, 1.0) for c in range(3)], (2, 1, 1))
    for block in decoder.up_blocks:
        shortcut = block.resnets[0].conv_shortcut
        if block is decoder.up_blocks[-1]:
            _set_identity(shortcut, signed, (0, 0, 0))
            shortcut.bias.data[anchor] = _NORM_ANCHOR
        elif not isinstance(shortcut, nn.Identity):
            _set_identity(shortcut, [(c, c, 1.0) for c in range(3)], (0, 0, 0))
        for upsampler in block.upsamplers or []:  # nearest 2x in space, each frame twice in time
            _set_identity(upsampler.resample[1], [(c, c, 1.0) for c in range(3)], (1, 1))
            repeat = [(half * width + c, c, 1.0) for half in range(2) for c in range(3)]
            _set_identity(upsampler.time_conv, repeat, (2, 0, 0))
    _set_identity(decoder.conv_out, head, (2, 1, 1))
    return vae


def train_word_tokenizer(
    special_tokens: list[str], bos: str | None, eos: str, max_length: int
) -> PreTrainedTokenizerFast:
    """A lowercase word-level tokenizer over a fixed small vocabulary, trained locally.

    Args:
        special_tokens: tokens to reserve first (pad, bos, eos, unk; ids follow this order).
        bos: token prepended to every prompt, or ``None``.
        eos: token appended to every prompt.
        max_length: ``model_max_length`` of the returned tokenizer.

    Returns:
        A fast tokenizer whose ``save_pretrained`` output ``AutoTokenizer`` reloads.
    """
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(
        [_WORDS], trainers.WordLevelTrainer(special_tokens=special_tokens)
    )
    single = f"{bos} $A {eos}" if bos else f"$A {eos}"
    specials = [(t, tokenizer.token_to_id(t)) for t in (bos, eos) if t]
    tokenizer.post_processor = processors.TemplateProcessing(single=single, special_tokens=specials)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=special_tokens[0],
        bos_token=bos,
        eos_token=eos,
        unk_token="<unk>",
        model_max_length=max_length,
    )


def build_tiny_wan(
    path: str | Path,
    seed: int = 0,
    *,
    scheduler: Literal["unipc", "flow_match_euler"] = "unipc",
    num_layers: int = 4,
    num_heads: int = 2,
    head_dim: int = 64,
    patch_size: int = 4,
) -> Path:
    """Save a tiny flow-matching Wan pipeline (WanTransformer3DModel + AutoencoderKLWan + UMT5).

    The transformer and text encoder are random; the VAE starts as an exact 4x4 average-pooling
    autoencoder (see ``_average_pooling_wan_vae``), so it decodes faithfully from the start and
    ``pretrain_generator`` can turn the whole into a generator of its training clips.
    Clips must have ``4k + 1`` frames and a height and width divisible by 16 (the pipeline's
    check) and by 4 x ``patch_size``.

    Args:
        path: output folder (created).
        seed: torch seed for the random weights.
        scheduler: ``unipc`` (UniPCMultistepScheduler with flow sigmas, shift 3, as Wan ships) or
            ``flow_match_euler`` (FlowMatchEulerDiscreteScheduler, shift 3).
        num_layers: transformer blocks.
        num_heads: attention heads per block.
        head_dim: channels per head (Wan splits them over time, height and width rotary
            frequencies: 64 gives each spatial axis ten frequencies).
        patch_size: latent pixels per token along height and width (Wan uses 2 with a VAE of
            stride 8; this VAE has stride 4, and 4 lets one token see a 16x16-pixel region).

    Returns:
        The folder, loadable with ``WanPipeline.from_pretrained``.
    """
    tokenizer = train_word_tokenizer(["<pad>", "</s>", "<unk>"], None, "</s>", 512)
    torch.manual_seed(seed)
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=len(tokenizer),
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=tokenizer.pad_token_id,
        )
    )
    vae = _average_pooling_wan_vae()
    transformer = WanTransformer3DModel(
        patch_size=(1, patch_size, patch_size),
        num_attention_heads=num_heads,
        attention_head_dim=head_dim,
        in_channels=_LATENT_CHANNELS,
        out_channels=_LATENT_CHANNELS,
        text_dim=32,
        freq_dim=32,
        ffn_dim=2 * num_heads * head_dim,
        num_layers=num_layers,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    if scheduler == "unipc":
        noise_scheduler = UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0
        )
    else:
        noise_scheduler = FlowMatchEulerDiscreteScheduler(shift=3.0)
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=noise_scheduler,
        transformer=transformer,
    )
    pipe.save_pretrained(path)
    return Path(path)


def build_tiny_unet3d(
    path: str | Path, seed: int = 0, *, scheduler: Literal["ddim", "ddpm"] = "ddim"
) -> Path:
    """Save a tiny epsilon-prediction TextToVideoSD pipeline (UNet3D + AutoencoderKL + CLIP).

    Clips must have a height and width divisible by 8.

    Args:
        path: output folder (created).
        seed: torch seed for the random weights.
        scheduler: ``ddim`` (as ModelScope T2V ships) or ``ddpm``, Stable Diffusion's betas.

    Returns:
        The folder, loadable with ``TextToVideoSDPipeline.from_pretrained``.
    """
    tokens = ["<pad>", "<|startoftext|>", "<|endoftext|>", "<unk>"]
    tokenizer = train_word_tokenizer(tokens, "<|startoftext|>", "<|endoftext|>", 16)
    torch.manual_seed(seed)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=tokenizer.model_max_length,
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            projection_dim=32,
        )
    )
    vae = AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3,
        block_out_channels=(8, 16, 16),
        latent_channels=_LATENT_CHANNELS,
        layers_per_block=1,
        norm_num_groups=4,
        sample_size=32,
    )
    unet = UNet3DConditionModel(
        sample_size=8,
        in_channels=_LATENT_CHANNELS,
        out_channels=_LATENT_CHANNELS,
        down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
        up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
        block_out_channels=(16, 32),
        layers_per_block=1,
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=4,
    )
    betas = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"}
    if scheduler == "ddim":
        noise_scheduler = DDIMScheduler(**betas, clip_sample=False, set_alpha_to_one=False)
    else:
        noise_scheduler = DDPMScheduler(**betas, clip_sample=False)
    pipe = TextToVideoSDPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=noise_scheduler,
    )
    pipe.save_pretrained(path)
    return Path(path)
