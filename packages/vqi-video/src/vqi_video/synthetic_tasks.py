"""Synthetic datasets with exact labels for every judge task, written as media files plus rows.

Each row is a plain dict in the project's manifest format (see vqi-judge's DATASETS.md): ``id``,
``task``, ``media`` (paths relative to the dataset folder), ``dataset`` = ``"synthetic"`` and the
task's labels; ``info.kind`` names the kind of damage (``clean`` for none). The labels follow from
the damage applied (:mod:`vqi_video.synthetic`), on a 1-5 scale (``5 - 4 * severity``):

- ``image_score``: a still frame with one kind of spatial damage (or none).
- ``video_score``: a clip with one kind of damage, spatial or temporal (or none).
- ``aigc_score``: a clip and a prompt naming its square's colour (truly half of the time);
  ``scores`` spatial / temporal / alignment.
- ``compare``: two versions of one clip damaged by the same kind, severities at least 0.3 apart
  (so the answer is never a matter of taste); the better one is Video A and Video B in turn.
- ``vqa``: a yes/no question about one kind of damage; yes and no alternate per question. A "no"
  clip has that damage at severity 0.4 or more; a "yes" clip is clean or damaged by another kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .synthetic import COLOURS, SPATIAL_KINDS, TEMPORAL_KINDS, Degradation, clean_frames, colour_of, damage_of
from .synthetic import degrade, quality_score, write_clip, write_image
from .synthetic_generation import generator_prompt

TASKS = ("image_score", "video_score", "aigc_score", "compare", "vqa")
KINDS = SPATIAL_KINDS + TEMPORAL_KINDS
#: One yes/no question per kind of damage: "yes" means the clip is free of it.
QUESTIONS = {
    "Is this video well exposed, neither too dark nor too bright?": "exposure",
    "Does this video have good contrast?": "contrast",
    "Are the colours of this video natural, without a colour cast?": "cast",
    "Is this video sharp, without blur?": "blur",
    "Is the brightness of this video steady, without flicker?": "flicker",
    "Is the camera steady, without shaking?": "shake",
}
#: Share of pristine items among the scored ones.
CLEAN_SHARE = 0.15


def _prompt(seed: int, truthful: bool) -> str:
    colour = colour_of(seed)
    if not truthful:
        colour = sorted(set(COLOURS) - {colour})[seed % (len(COLOURS) - 1)]
    return generator_prompt(colour)


def _damage(rng: np.random.Generator, kinds: tuple[str, ...]) -> tuple[str, Degradation]:
    """Pristine with probability :data:`CLEAN_SHARE`, else one of ``kinds`` at a uniform severity."""
    if rng.random() < CLEAN_SHARE:
        return "clean", Degradation()
    kind = kinds[int(rng.integers(len(kinds)))]
    return kind, damage_of(kind, float(rng.uniform(0.1, 1.0)), rng)


def _compare_damage(rng: np.random.Generator) -> tuple[str, Degradation, Degradation]:
    """Two damages of one kind, severities at least 0.3 apart, the first the better (less damaged)."""
    kind = KINDS[int(rng.integers(len(KINDS)))]
    better = float(rng.uniform(0.0, 0.6)) if rng.random() < 0.7 else 0.0
    worse = float(rng.uniform(better + 0.3, 1.0))
    return kind, damage_of(kind, better, rng), damage_of(kind, worse, rng)


def _vqa_damage(rng: np.random.Generator, kind: str, answer: bool) -> tuple[str, Degradation]:
    if not answer:
        return kind, damage_of(kind, float(rng.uniform(0.4, 1.0)), rng)
    if rng.random() < 0.5:
        return "clean", Degradation()
    others = tuple(k for k in KINDS if k != kind)
    other = others[int(rng.integers(len(others)))]
    return other, damage_of(other, float(rng.uniform(0.1, 1.0)), rng)


def _item(task: str, index: int, root: Path, rng: np.random.Generator, frames: int, size: int) -> dict[str, Any]:
    seed = int(rng.integers(1 << 30))
    name = f"{task}_{index:05d}"
    row: dict[str, Any] = {"id": name, "task": task, "dataset": "synthetic", "score_range": [1, 5]}
    if task == "image_score":
        kind, damage = _damage(rng, SPATIAL_KINDS)
        image = degrade(clean_frames(seed, frames=1, size=size), damage, seed)[0]
        write_image(root / f"{name}.png", image)
        return row | {"media": [f"{name}.png"], "score": quality_score(damage.spatial_severity),
                      "info": {"kind": kind}}
    if task == "compare":
        kind, better, worse = _compare_damage(rng)
        first, second = (better, worse) if index % 2 == 0 else (worse, better)
        clean = clean_frames(seed, frames=frames, size=size)
        write_clip(root / f"{name}_a.mp4", degrade(clean, first, seed))
        write_clip(root / f"{name}_b.mp4", degrade(clean, second, seed + 1))
        del row["score_range"]
        return row | {"media": [f"{name}_a.mp4", f"{name}_b.mp4"],
                      "label": "Video A" if index % 2 == 0 else "Video B",
                      "prompt": _prompt(seed, truthful=True),
                      "info": {"kind": kind, "severity": [round(first.severity, 4), round(second.severity, 4)]}}
    if task == "vqa":
        question = list(QUESTIONS)[index % len(QUESTIONS)]
        answer = (index // len(QUESTIONS)) % 2 == 0  # alternate yes and no per question
        kind, damage = _vqa_damage(rng, QUESTIONS[question], answer)
        del row["score_range"]
        row |= {"question": question, "label": "yes" if answer else "no"}
    else:
        kind, damage = _damage(rng, KINDS)
    write_clip(root / f"{name}.mp4", degrade(clean_frames(seed, frames=frames, size=size), damage, seed))
    row["media"] = [f"{name}.mp4"]
    row["info"] = {"kind": kind}
    if task == "video_score":
        return row | {"score": quality_score(damage.severity)}
    if task == "aigc_score":
        truthful = bool(rng.random() < 0.5)
        scores = {
            "spatial": quality_score(damage.spatial_severity),
            "temporal": quality_score(damage.temporal_severity),
            "alignment": 5.0 if truthful else 1.0,
        }
        return row | {"scores": scores, "prompt": _prompt(seed, truthful)}
    return row


def make_synthetic_dataset(
    root: str | Path,
    counts: dict[str, int],
    *,
    seed: int = 0,
    frames: int = 16,
    size: int = 112,
) -> list[dict[str, Any]]:
    """Write synthetic media for the requested tasks and return their manifest rows.

    Args:
        root: the dataset folder; media paths in the rows are relative to it.
        counts: items per task, e.g. ``{"video_score": 8, "compare": 4}``.
        seed: the same seed writes the same files and rows.
        frames: frames per clip (at :data:`vqi_video.synthetic.SYNTHETIC_FPS`).
        size: frame height and width in pixels (even).

    Returns:
        One row per item, tasks in the order of :data:`TASKS`.
    """
    unknown = sorted(set(counts) - set(TASKS))
    if unknown:
        raise ValueError(f"unknown synthetic task(s) {unknown}; known: {list(TASKS)}")
    root = Path(root)
    rng = np.random.default_rng(seed)
    return [
        _item(task, index, root, rng, frames, size)
        for task in TASKS
        for index in range(counts.get(task, 0))
    ]
