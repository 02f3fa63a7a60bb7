"""Held-out metrics of a run's judges, one row per stage: does the judge learn through the stages?

    uv run tools/learning_curve.py runs/tiny                       # the command line (a thin wrapper)
    curve = learning_curve(Path("runs/tiny"))                      # from an app, e.g. stage 3's report

The held-out set is synthetic (``vqi_video.synthetic_tasks``): seed :data:`SYNTHETIC_EVAL_SEED`
and :data:`SYNTHETIC_EVAL_COUNTS` items per task by default (vqi_apps.defaults; the training sets
of the tiny defaults use other seeds); another seed or count gives another set, each cached
under its own name. The judges (:func:`judges`) are each evaluated by apps/eval.py, whose
predictions are saved and reused (resumable), so the statistics here are computed from files.

Metrics (:data:`METRICS`), each with a 90 % percentile bootstrap interval over the items
(``<metric>_ci``: 1000 resamples, seeded, so the same predictions give the same interval;
resamples on which a metric is undefined are left out):

- ``image_srcc``, ``video_srcc``, ``aigc_{spatial,temporal,alignment}_srcc``: SRCC of the scores
  (an unreadable score counts as the middle of the scale, as in vqi_apps.evaltables); null when
  undefined (constant predictions have no correlation).
- ``compare_acc``: preference accuracy, ties excluded ("diff"; an unreadable verdict is wrong).
- ``vqa_acc``: yes/no accuracy (an unreadable answer is wrong).
- ``unreadable``: the fraction of answers the task's parser could not read.

The temporal check: the compare and video_score items whose damage is temporal (``info.kind``
in ``vqi_video.synthetic.TEMPORAL_KINDS``) are written twice, next to the held-out set: in
order, and with the frames of every clip shuffled (:func:`frame_order`: the frames the judge
samples come out in another order, the others shuffled too). Both copies go through the same
decode and re-encode, so order is the only difference between them. ``temporal_compare_acc``
and ``temporal_video_srcc`` are measured on the ordered copy, ``..._shuffled`` on the other. The
paper's temporal modelling reward (eq. 4) pays a judge for being more right on ordered frames
than on shuffled ones, so after stage 2 the ordered figures should stand above the shuffled
ones; a judge that sees a bag of frames scores both alike (up to the intervals).

:func:`learning_curve` is what apps call; :func:`format_curve` and :func:`write_json` print and
save its result.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from vqi_apps.config import saved_config, tiny_config
from vqi_apps.defaults import SYNTHETIC_EVAL, SYNTHETIC_EVAL_COUNTS, SYNTHETIC_EVAL_SEED, built, cache_dir
from vqi_apps.defaults import synthetic_dataset, synthetic_eval_set, tiny_judge
from vqi_apps.evaltables import format_table, preference_pairs, score_pairs, vqa_correct
from vqi_apps.evaluation import EvalConfig, evaluate
from vqi_apps.runfolder import RunFolder, is_complete
from vqi_apps.training import StageConfig
from vqi_config import load_config
from vqi_judge import DIMENSIONS, ManifestRow, check_checkpoint, read_manifest, write_manifest
from vqi_metrics import pairwise_accuracy, srcc
from vqi_video import read_frames, read_video
from vqi_video.synthetic import SYNTHETIC_FPS, TEMPORAL_KINDS, write_clip

EVAL_CONFIG = tiny_config("eval")
#: Metrics of the held-out set, with the value a judge gets by chance (None: no chance level).
CHANCE: dict[str, float | None] = {
    "image_srcc": 0.0,
    "video_srcc": 0.0,
    **{f"aigc_{d}_srcc": 0.0 for d in DIMENSIONS},
    "compare_acc": 0.5,
    "vqa_acc": 0.5,
    "unreadable": None,
    "temporal_compare_acc": 0.5,
    "temporal_compare_acc_shuffled": 0.5,
    "temporal_video_srcc": 0.0,
    "temporal_video_srcc_shuffled": 0.0,
}
METRICS = tuple(k for k in CHANCE if not k.startswith("temporal_"))
TEMPORAL_METRICS = tuple(k for k in CHANCE if k.startswith("temporal_"))
#: Tasks of the temporal check: items whose damage is temporal.
TEMPORAL_TASKS = ("compare", "video_score")
CONFIDENCE = 0.90
RESAMPLES = 1000
BOOTSTRAP_SEED = 0
SHUFFLE_SEED = 0
NOTE = (f"Each figure with its {CONFIDENCE:.0%} percentile bootstrap interval over items ({RESAMPLES} resamples); "
        "- : undefined (e.g. constant predictions have no correlation); the last row is chance.")

Statistic = Callable[..., float]
#: A metric as the statistic and the per-item columns it is computed from.
Measure = tuple[Statistic, tuple[Sequence[Any], ...]]
Predictions = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class HeldOut:
    """A held-out synthetic set and the two copies of its temporal items.

    Attributes:
        manifest: every task's items.
        ordered: the compare and video_score items with temporal damage, re-encoded in order.
        shuffled: the same items, the frames of every clip shuffled by :func:`frame_order`.
    """

    manifest: Path
    ordered: Path
    shuffled: Path


def heldout_set(seed: int = SYNTHETIC_EVAL_SEED, counts: Mapping[str, int] | None = None) -> Path:
    """The manifest of a held-out synthetic set, built into the apps' cache on first use.

    Args:
        seed: the set's seed; the default is vqi_apps.defaults's evaluation set.
        counts: items per task (default :data:`SYNTHETIC_EVAL_COUNTS`); fewer for a quick look.

    Returns:
        ``<cache>/<name>/manifest.jsonl``, the name telling the seed and counts apart.
    """
    counts = dict(counts or SYNTHETIC_EVAL_COUNTS)
    if seed == SYNTHETIC_EVAL_SEED and counts == SYNTHETIC_EVAL_COUNTS:
        return synthetic_eval_set()
    name = f"{SYNTHETIC_EVAL}-seed{seed}"
    if counts != SYNTHETIC_EVAL_COUNTS:
        name += "".join(f"-{task}{n}" for task, n in sorted(counts.items()))
    return built(name, lambda path: synthetic_dataset(path, counts, seed).parent) / "manifest.jsonl"


def temporal_rows(rows: Sequence[ManifestRow]) -> list[ManifestRow]:
    """The compare and video_score rows whose damage is temporal (``info.kind`` in TEMPORAL_KINDS)."""
    return [r for r in rows if r.task in TEMPORAL_TASKS and (r.info or {}).get("kind") in TEMPORAL_KINDS]


def frame_order(total: int, sampled: Sequence[int], seed: int = SHUFFLE_SEED) -> np.ndarray:
    """The frame order of a shuffled clip: its frame ``k`` is frame ``order[k]`` of the original.

    The positions a judge samples get the sampled frames in a seeded order that leaves none in
    place (a derangement), so the judge sees the same frames as on the original, in another
    order; the other positions get the other frames in a seeded order.

    Args:
        total: frames of the clip.
        sampled: the frame indices the judge samples (``vqi_video.read_video(...).indices``).
        seed: the same seed, total and samples give the same order.

    Returns:
        ``(total,)`` int64, a permutation of ``range(total)``.

    Raises:
        ValueError: fewer than 2 distinct frames are sampled (there is no order to change).
    """
    sampled = np.unique(np.asarray(sampled, dtype=np.int64))
    if len(sampled) < 2:
        raise ValueError(f"the judge samples {len(sampled)} distinct frame(s) of {total}; "
                         "shuffling needs 2 or more: raise judge.fps or judge.max_frames")
    rng = np.random.default_rng(seed)
    moved = rng.permutation(len(sampled))
    while np.any(moved == np.arange(len(sampled))):
        moved = rng.permutation(len(sampled))
    order = np.arange(total)
    order[sampled] = sampled[moved]
    rest = np.setdiff1d(np.arange(total), sampled)
    order[rest] = rng.permutation(rest)
    return order


def _copy_clip(source: Path, folder: Path, fps: float, max_frames: int) -> str:
    """Write ``source`` into ``folder/ordered`` as it is and into ``folder/shuffled`` shuffled; return its name."""
    sampled = read_video(source, fps=fps, max_frames=max_frames, budget=None)
    frames = read_frames(source, range(sampled.total_frames)).frames
    write_clip(folder / "ordered" / source.name, frames, fps=SYNTHETIC_FPS)
    shuffled = frames[frame_order(len(frames), sampled.indices)]
    write_clip(folder / "shuffled" / source.name, shuffled, fps=SYNTHETIC_FPS)
    return source.name


def _write_temporal(manifest: Path, folder: Path, fps: float, max_frames: int) -> Path:
    rows = temporal_rows(read_manifest(manifest))
    if not rows:
        raise ValueError(f"{manifest} has no compare or video_score item with temporal damage "
                         f"({', '.join(TEMPORAL_KINDS)}); use more items per task")
    copied = [replace(r, media=tuple(_copy_clip(Path(m), folder, fps, max_frames) for m in r.media)) for r in rows]
    for name in ("ordered", "shuffled"):
        write_manifest(copied, folder / name / "manifest.jsonl")
    return folder


def temporal_copies(manifest: Path, fps: float, max_frames: int) -> tuple[Path, Path]:
    """The ordered and shuffled copies of a held-out set's temporal items, cached beside it.

    Args:
        manifest: a held-out set in the apps' cache (:func:`heldout_set`).
        fps: the judge's sampling rate (``judge.fps`` of the eval config): it decides which
            frames :func:`frame_order` reorders.
        max_frames: the judge's ``judge.max_frames``.

    Returns:
        ``(ordered, shuffled)`` manifests: the same rows and labels, media in their own folders.
    """
    name = f"{manifest.parent.name}-temporal-fps{fps:g}-max{max_frames}"
    folder = built(name, lambda path: _write_temporal(manifest, path, fps, max_frames))
    return folder / "ordered" / "manifest.jsonl", folder / "shuffled" / "manifest.jsonl"


def prepare(seed: int, counts: Mapping[str, int] | None, config: Path, overrides: Sequence[str]) -> HeldOut:
    """The held-out set of ``seed`` and its temporal copies for the judge sampling of an eval config."""
    judge = load_config(EvalConfig, config, list(overrides)).judge
    manifest = heldout_set(seed, counts)
    return HeldOut(manifest, *temporal_copies(manifest, judge.fps, judge.max_frames))


def judges(run: Path) -> dict[str, Path]:
    """The run's judges that exist, by stage, starting with the judge stage 1 started from.

    ``start`` is ``model`` of ``stage1/config.yaml`` (the tiny judge when it is null or the file
    is missing); a stage's judge counts once its folder is complete (``summary.yaml`` written).
    """
    folder = RunFolder(run)
    stage1 = saved_config(StageConfig, folder.stage("stage1"))
    model = stage1.model if stage1 else None
    found = {"start": Path(model) if model else tiny_judge()}
    found |= {stage: final for stage, final in folder.judges().items() if is_complete(final)}
    return found


def _fraction(flags: Sequence[bool]) -> float:
    if len(flags) == 0:
        raise ValueError("no items")
    return float(np.mean(flags))


def _preference_accuracy(human: Sequence[int], delta: Sequence[float]) -> float:
    return pairwise_accuracy(human, delta, method="diff").accuracy


def bootstrap_interval(statistic: Statistic, columns: Sequence[Sequence[Any]], seed: int = BOOTSTRAP_SEED,
                       resamples: int = RESAMPLES, confidence: float = CONFIDENCE) -> list[float] | None:
    """Percentile bootstrap interval of ``statistic(*columns)``, resampling items (rows of the columns).

    Args:
        statistic: takes the columns, resampled alike; raises ValueError where undefined.
        columns: equally long per-item columns, e.g. ``(pred, truth)``.
        seed: seeds the resampling: the same inputs and seed give the same interval.
        resamples: bootstrap resamples.
        confidence: the interval's coverage (0.9: the 5th to the 95th percentile).

    Returns:
        ``[lo, hi]``, or None when the statistic is undefined on every resample.
    """
    arrays = [np.asarray(c) for c in columns]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        pick = rng.integers(len(arrays[0]), size=len(arrays[0]))
        with contextlib.suppress(ValueError):  # undefined on this resample, e.g. constant predictions
            values.append(statistic(*(a[pick] for a in arrays)))
    if not values:
        return None
    tail = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return [float(lo), float(hi)]


def estimate(statistic: Statistic, columns: Sequence[Sequence[Any]],
             seed: int = BOOTSTRAP_SEED) -> tuple[float | None, list[float] | None]:
    """A metric and its bootstrap interval; ``(None, None)`` where the metric is undefined.

    Args:
        statistic: as for :func:`bootstrap_interval`.
        columns: per-item columns; no items, or constant predictions of a correlation, are undefined.
        seed: the bootstrap seed.
    """
    try:
        value = float(statistic(*columns))
    except ValueError:
        return None, None
    return value, bootstrap_interval(statistic, columns, seed)


def _judged(rows: Sequence[ManifestRow], preds: Predictions, task: str | None = None) -> list[ManifestRow]:
    """The rows (of ``task``) with a prediction; rows whose media did not decode are left out, as in apps/eval.py."""
    return [r for r in rows if r.id in preds and "error" not in preds[r.id] and task in (None, r.task)]


def _srcc(rows: Sequence[ManifestRow], preds: Predictions, task: str, dimension: str | None = None) -> Measure:
    return srcc, score_pairs(_judged(rows, preds, task), preds, dimension)[:2]


def _compare(rows: Sequence[ManifestRow], preds: Predictions) -> Measure:
    return _preference_accuracy, preference_pairs(_judged(rows, preds, "compare"), preds)


def metrics(measures: Mapping[str, Measure], seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """``{metric: value, metric_ci: [lo, hi]}`` of each ``(statistic, columns)`` (None where undefined)."""
    out: dict[str, Any] = {}
    for name, (statistic, columns) in measures.items():
        out[name], out[f"{name}_ci"] = estimate(statistic, columns, seed)
    return out


def heldout_metrics(rows: Sequence[ManifestRow], preds: Predictions, seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """The metrics of :data:`METRICS` with their intervals.

    Args:
        rows: manifest rows of the held-out set.
        preds: apps/eval.py predictions by row id (``eval.load_predictions``).
        seed: the bootstrap seed.
    """
    judged = _judged(rows, preds)
    return metrics({
        "image_srcc": _srcc(rows, preds, "image_score"),
        "video_srcc": _srcc(rows, preds, "video_score"),
        **{f"aigc_{d}_srcc": _srcc(rows, preds, "aigc_score", d) for d in DIMENSIONS},
        "compare_acc": _compare(rows, preds),
        "vqa_acc": (_fraction, (vqa_correct(_judged(rows, preds, "vqa"), preds)[0],)),
        "unreadable": (_fraction, ([preds[r.id]["parse_failed"] for r in judged],)),
    }, seed)


def temporal_metrics(ordered: tuple[Sequence[ManifestRow], Predictions],
                     shuffled: tuple[Sequence[ManifestRow], Predictions], seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """The metrics of :data:`TEMPORAL_METRICS` with their intervals.

    Args:
        ordered: rows and predictions of the ordered copy (:func:`temporal_copies`).
        shuffled: rows and predictions of the shuffled copy.
        seed: the bootstrap seed.
    """
    measures = {}
    for (rows, preds), suffix in ((ordered, ""), (shuffled, "_shuffled")):
        measures[f"temporal_compare_acc{suffix}"] = _compare(rows, preds)
        measures[f"temporal_video_srcc{suffix}"] = _srcc(rows, preds, "video_score")
    return metrics({k: measures[k] for k in TEMPORAL_METRICS}, seed)


def predictions(model: Path, manifest: Path, output: Path, config: Path,
                overrides: Sequence[str]) -> tuple[list[ManifestRow], dict[str, dict]]:
    """Evaluate one judge on one manifest as apps/eval.py does (finished items reused).

    Returns:
        The manifest's rows and the predictions by row id (``output/predictions.jsonl``).
    """
    settings = load_config(EvalConfig, config, [f"judge.model={model}", f"output={output}", *overrides])
    check_checkpoint(model)
    rows = read_manifest(manifest)
    return rows, evaluate(settings, rows[: settings.limit]).predictions


def evaluate_judge(model: Path, heldout: HeldOut, output: Path, config: Path = EVAL_CONFIG,
                   overrides: Sequence[str] = ()) -> dict[str, Any]:
    """One judge's held-out metrics and temporal check, each with its interval.

    Args:
        model: the judge's folder.
        heldout: the held-out set and its temporal copies (:func:`prepare`).
        output: the judge's evaluation folder; a manifest's predictions go to the subfolder named
            like the manifest's folder in the apps' cache, and a later call reuses them.
        config: the eval config (apps/configs/eval/).
        overrides: ``key=value`` overrides of the eval config.

    Returns:
        ``{metric: value, metric_ci: [lo, hi]}`` for every key of :data:`CHANCE`.
    """
    def judge_on(manifest: Path) -> tuple[list[ManifestRow], dict[str, dict]]:
        where = output / manifest.parent.relative_to(cache_dir())
        return predictions(model, manifest, where, config, overrides)

    temporal = temporal_metrics(judge_on(heldout.ordered), judge_on(heldout.shuffled))
    return heldout_metrics(*judge_on(heldout.manifest)) | temporal


def learning_curve(run: Path, *, eval_seed: int = SYNTHETIC_EVAL_SEED, counts: Mapping[str, int] | None = None,
                   config: Path = EVAL_CONFIG, output: Path | None = None,
                   overrides: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Evaluate each judge of a run on the held-out set of ``eval_seed``.

    Args:
        run: the run folder, ``runs/<name>``.
        eval_seed: seed of the held-out set (default: vqi_apps.defaults's).
        counts: items per task (default :data:`SYNTHETIC_EVAL_COUNTS`).
        config: the eval config (judge sampling, batch size, tokens).
        output: where predictions go (default ``<run>/learning_curve``), one folder per stage.
        overrides: ``key=value`` overrides of the eval config.

    Returns:
        ``{stage: {metric: value, metric_ci: [lo, hi]}}`` for the judges of :func:`judges`, in order.
    """
    heldout = prepare(eval_seed, counts, config, overrides)
    output = output or RunFolder(run).learning_curve
    return {stage: evaluate_judge(model, heldout, output / stage, config, overrides)
            for stage, model in judges(run).items()}


def format_estimate(value: float | None, interval: Sequence[float] | None) -> str:
    """``0.72 [0.63, 0.81]``; ``-`` where undefined; the value alone when it has no interval."""
    if value is None:
        return "-"

    def number(x: float) -> str:
        return f"{round(x, 2) + 0.0:.2f}"  # + 0.0: no "-0.00"

    if interval is None:
        return number(value)
    return f"{number(value)} [{number(interval[0])}, {number(interval[1])}]"


def table_rows(curve: Mapping[str, Mapping[str, Any]], columns: Sequence[str]) -> list[dict[str, str]]:
    """Text cells: one row per stage (``stage`` then each column), then the chance level of each column."""
    rows = [{"stage": stage, **{c: format_estimate(m.get(c), m.get(f"{c}_ci")) for c in columns}}
            for stage, m in curve.items()]
    chance = {c: "-" if CHANCE[c] is None else f"{CHANCE[c]:g}" for c in columns}
    return [*rows, {"stage": "chance", **chance}]


def tables(curve: Mapping[str, Mapping[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """The held-out table and the temporal-check table (:func:`table_rows`), by title."""
    return {
        "held-out metrics": table_rows(curve, METRICS),
        "temporal check: temporal-damage items, frames in order and shuffled": table_rows(curve, TEMPORAL_METRICS),
    }


def format_curve(curve: Mapping[str, Mapping[str, Any]]) -> str:
    """Every table of :func:`tables` as fixed-width text, after :data:`NOTE`."""
    return "\n\n".join([NOTE, *(f"{title}\n{format_table(rows)}" for title, rows in tables(curve).items())])


def write_json(curve: Mapping[str, Mapping[str, Any]], path: Path) -> Path:
    """Write ``{stage: {metric: value, metric_ci: [lo, hi]}}`` as JSON (null where undefined)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(curve, indent=2) + "\n")
    return path
