"""Still images as one-frame clips, so one loader serves image and video quality datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from vqi_video.clip import IMAGE_BACKEND, Clip
from vqi_video.errors import VideoDecodeError
from vqi_video.resize import DEFAULT_BUDGET, PixelBudget, fit_to_budget

#: File suffixes that :func:`vqi_video.read_video` hands to :func:`read_image` (lower case).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp"})
#: A still image is reported as one frame shown for one second.
IMAGE_DURATION_S = 1.0


def is_image_path(path: Path) -> bool:
    """Whether ``path`` names a still image by its suffix."""
    return path.suffix.lower() in IMAGE_SUFFIXES


def read_image(path: str | Path, *, budget: PixelBudget | None = DEFAULT_BUDGET) -> Clip:
    """Read a still image (PNG, JPEG, WebP, BMP) as a one-frame clip.

    The EXIF orientation is applied, as rotation metadata is for video. Transparent pixels are
    composited onto white, as qwen-vl-utils does. The clip has ``T = 1``, index 0, timestamp 0,
    ``fps = 1`` and ``duration = 1`` s; a video processor repeats the frame to fill its temporal
    patch, or pass ``clip.frames[0]`` as an image.

    Args:
        path: The image file.
        budget: Pixel budget for the frame (as for a one-frame video), or ``None`` for the
            native size.

    Returns:
        A :class:`Clip` with ``frames`` of shape ``(1, H, W, 3) uint8``.

    Raises:
        VideoDecodeError: The file is missing or Pillow cannot read it.
    """
    path = Path(path)
    if not path.is_file():
        raise VideoDecodeError(path, "file does not exist or is not a file", "check the path")
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (UnidentifiedImageError, OSError) as err:
        raise VideoDecodeError(
            path, f"Pillow cannot read it as an image ({err})", "re-save it as PNG or JPEG"
        ) from err
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    image = image.convert("RGB")
    source_size = (image.height, image.width)
    size = fit_to_budget(budget, path, source_size, num_frames=1)
    if size is not None and size != source_size:
        image = image.resize((size[1], size[0]), Image.Resampling.BICUBIC)
    return Clip(
        frames=np.array(image, dtype=np.uint8)[None],  # a writable copy: PIL's buffer is read-only, torch warns
        indices=np.zeros(1, dtype=np.int64),
        timestamps=np.zeros(1, dtype=np.float64),
        fps=1.0 / IMAGE_DURATION_S,
        duration=IMAGE_DURATION_S,
        total_frames=1,
        path=path,
        backend=IMAGE_BACKEND,
        source_size=source_size,
    )
