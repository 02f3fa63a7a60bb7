"""Still images are one-frame clips: orientation, transparency, budget, errors."""

import numpy as np
import pytest
from PIL import Image
from vqi_video import PixelBudget, VideoDecodeError, read_image, read_video


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".JPEG"])
def test_image_is_a_one_frame_clip(tmp_path, suffix):
    path = tmp_path / f"photo{suffix}"
    Image.new("RGB", (640, 480), (200, 40, 90)).save(path, quality=100)
    clip = read_video(path)  # read_video hands images to read_image
    assert clip.backend == "pillow"
    assert clip.frames.flags.writeable  # torch warns on a read-only array
    # 480x640 -> 476x644 (nearest multiples of 28, within the budget).
    assert clip.frames.shape == (1, 476, 644, 3)
    assert np.abs(clip.frames.reshape(-1, 3).astype(int) - [200, 40, 90]).max() <= 3
    assert clip.indices.tolist() == [0] and clip.timestamps.tolist() == [0.0]
    assert (clip.total_frames, clip.fps, clip.duration, clip.source_size) == (
        1,
        1.0,
        1.0,
        (480, 640),
    )


def test_transparent_pixels_become_white(tmp_path):
    path = tmp_path / "logo.png"
    rgba = np.zeros((56, 56, 4), np.uint8)
    rgba[:, :28] = [255, 0, 0, 255]  # opaque red left half, transparent right half
    Image.fromarray(rgba, "RGBA").save(path)
    frame = read_image(path, budget=None).frames[0]
    assert frame[:, :28].reshape(-1, 3).tolist() == [[255, 0, 0]] * (56 * 28)
    assert frame[:, 28:].reshape(-1, 3).tolist() == [[255, 255, 255]] * (56 * 28)


def test_exif_orientation_is_applied(tmp_path):
    path = tmp_path / "phone.jpg"
    image = Image.new("RGB", (64, 32), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 32, 32))  # white left half
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    image.save(path, exif=exif, quality=100)
    frame = read_image(path, budget=None).frames[0]
    assert frame.shape == (64, 32, 3)
    # After a clockwise quarter turn the white left half is on top.
    assert frame[:28].mean() > 240 and frame[36:].mean() < 15


def test_image_budget(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (4000, 3000), (10, 20, 30)).save(path)
    # 3000x4000 -> sqrt(12e6 / 602112) = 4.464, 672.0/28 -> 24 -> 672, 896.0/28 -> 32 -> 896.
    assert read_image(path).frames.shape == (1, 672, 896, 3)
    assert read_image(path, budget=PixelBudget(min_pixels=784, max_pixels=784)).frames.shape == (
        1,
        28,
        28,
        3,
    )


def test_unreadable_and_missing_images(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(VideoDecodeError, match="Pillow cannot read it as an image"):
        read_video(bad)
    with pytest.raises(VideoDecodeError, match="does not exist"):
        read_image(tmp_path / "none.jpg")
