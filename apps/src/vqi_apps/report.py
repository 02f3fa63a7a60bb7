"""The stage-3 report: one self-contained HTML page of verdicts, tournaments and training curves,
opened, when given, by the judge's held-out metrics per stage ("Does it learn?").

:func:`write_report` writes a single file with everything embedded as data URIs (no external
file, no network): plots are matplotlib PNGs, and videos are looping animated GIFs, because the
clips are yuv444p H.264 that browsers cannot play. A video that cannot be read becomes a visible
placeholder with the error, counted in the page's summary. All text is escaped: prompts and
reasoning are model output.
"""

from __future__ import annotations

import base64
import html
import io
import math
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

from vqi_video import Clip, PixelBudget, read_frames, read_video

#: Long side of an embedded video, in pixels (small clips are enlarged by a whole factor).
GIF_SIDE = 160
#: Most frames of a video put in its GIF; longer videos are sampled evenly in time.
GIF_MAX_FRAMES = 64
# A rate above any clip's, so read_video samples every frame up to GIF_MAX_FRAMES.
_EVERY_FRAME_FPS = 1000.0
# Small clips decode at their own size; large ones shrink in the decoder to about twice the GIF's.
_DECODE_BUDGET = PixelBudget(min_pixels=1, max_pixels=4 * GIF_SIDE**2, factor=1)
# Browsers show GIF frames shorter than 20 ms for 100 ms.
_MIN_FRAME_MS = 20


@dataclass
class Verdict:
    """One judged pair, shown side by side.

    Attributes:
        title: e.g. ``"round 0 · prompt p002"``.
        prompt: the generation prompt.
        winner: the winning video file.
        loser: the losing video file.
        reasoning: the judge's reasoning for the verdict (may be empty).
        wins: the winner's and the loser's tournament wins, if known.
    """

    title: str
    prompt: str
    winner: Path
    loser: Path
    reasoning: str
    wins: tuple[float, float] | None = None


@dataclass
class Heatmap:
    """A tournament's win matrix: ``matrix[i][j]`` is the wins of ``labels[i]`` over ``labels[j]``
    (0, 0.5 or 1; NaN or None on the diagonal)."""

    title: str
    labels: list[str]
    matrix: list[list[float]]


@dataclass
class Curve:
    """A training curve: each series is one value per step, steps numbered from 1."""

    title: str
    ylabel: str
    series: dict[str, list[float]]


@dataclass
class BeforeAfter:
    """The generator's video for one prompt and seed before and after DPO."""

    prompt: str
    seed: int
    before: Path
    after: Path


@dataclass
class StageMetrics:
    """The judge's held-out metrics after each stage, for the section "Does it learn?".

    Attributes:
        tables: titled tables of text cells, shown as given: one row per stage, then chance.
        stages: stage -> metric -> value (None where undefined), and ``<metric>_ci`` -> ``[lo, hi]``.
        chance: the metrics plotted, each with the value a judge gets by chance (a dashed line).
        note: a line above the tables (what the intervals are).
    """

    tables: dict[str, list[dict[str, str]]]
    stages: dict[str, dict[str, Any]]
    chance: dict[str, float]
    note: str = ""


_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1d1d1f; background: #f6f6f4; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem; }
h1 { margin: 0 0 1rem; } h2 { margin: 2rem 0 .75rem; border-bottom: 2px solid #ddd; }
table.summary { border-collapse: collapse; background: #fff; }
table.summary td { border: 1px solid #ddd; padding: .25rem .75rem; }
table.summary td:first-child { font-family: ui-monospace, monospace; color: #555; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 1rem; margin: 0 0 1rem; }
.card h3 { margin: 0 0 .25rem; font-size: 1rem; }
.prompt { color: #444; font-style: italic; margin: 0 0 .5rem; }
.pair { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; } figcaption { font-size: .85rem; color: #555; }
.win figcaption { color: #176b2c; font-weight: 600; } .lose figcaption { color: #9b1c1c; font-weight: 600; }
img.clip { image-rendering: pixelated; border: 1px solid #ccc; display: block; }
.reasoning { white-space: pre-wrap; background: #f3f3f0; padding: .5rem .75rem; border-radius: 6px;
  margin: .75rem 0 0; }
.missing { width: 160px; min-height: 120px; padding: .5rem; box-sizing: border-box; border: 2px dashed #c33;
  color: #9b1c1c; background: #fff4f4; font-size: .8rem; overflow-wrap: anywhere; }
.plots { display: flex; flex-wrap: wrap; gap: 1rem; } .plots img { max-width: 100%; background: #fff; }
table.grid { border-collapse: collapse; }
table.grid td, table.grid th { padding: .5rem; vertical-align: top; text-align: left; }
table.grid tr + tr td { border-top: 1px solid #ddd; }
.empty { color: #777; }
table.metrics { border-collapse: collapse; background: #fff; margin: 0 0 1rem; font-size: .85rem; }
table.metrics caption { text-align: left; font-weight: 600; padding: 0 0 .25rem; }
table.metrics td, table.metrics th { border: 1px solid #ddd; padding: .2rem .5rem; white-space: nowrap; }
table.metrics tr.chance td { color: #555; font-style: italic; }
.scroll { overflow-x: auto; }
"""


def _text(value: Any) -> str:
    """Any value as escaped HTML text."""
    return html.escape(str(value), quote=True)


def _data_uri(data: bytes, mime: str) -> str:
    """Bytes as a base64 ``data:`` URI."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _figure_png(figure: Figure) -> str:
    """Render a figure (Agg, no pyplot state) as a PNG data URI."""
    FigureCanvasAgg(figure)  # attaches itself to the figure
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return _data_uri(buffer.getvalue(), "image/png")


def _cut(text: str, length: int) -> str:
    """``text`` cut to ``length`` characters, an ellipsis marking the cut."""
    return text if len(text) <= length else text[: length - 1] + "…"


def _label_axes(axes: Axes, title: str, xlabel: str, ylabel: str) -> None:
    """Titles and labels as plain text (a ``$`` in model output must not start TeX math), cut to
    fit the plot."""
    axes.set_title(textwrap.fill(_cut(title, 180), 60), parse_math=False)
    axes.set_xlabel(_cut(xlabel, 60), parse_math=False)
    axes.set_ylabel(_cut(ylabel, 40), parse_math=False)


def curve_png(curve: Curve) -> str:
    """Plot a training curve as a PNG data URI; empty series and single points still render."""
    figure = Figure(figsize=(5.2, 3.2), layout="constrained")
    axes = figure.add_subplot()
    for name, values in curve.series.items():
        marker = "o" if len(values) <= 1 else None
        axes.plot(range(1, len(values) + 1), values, marker=marker, label=_cut(name, 30))
    if not any(curve.series.values()):
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes, color="grey")
    if curve.series:
        for text in axes.legend(fontsize="small").get_texts():
            text.set_parse_math(False)
    _label_axes(axes, curve.title, "step", curve.ylabel)
    steps = max((len(values) for values in curve.series.values()), default=0)
    axes.set_xlim(0.5, max(steps, 1) + 0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)
    return _figure_png(figure)


def heatmap_png(heatmap: Heatmap) -> str:
    """Plot a win matrix as a PNG data URI, each cell annotated with its wins."""
    matrix = np.array([[np.nan if v is None else v for v in row] for row in heatmap.matrix], dtype=float)
    count = len(heatmap.labels)
    if matrix.shape != (count, count):
        raise ValueError(f"heatmap {heatmap.title!r}: matrix is {matrix.shape}, labels are {count}")
    side = 1.6 + 0.4 * count
    figure = Figure(figsize=(side + 1.0, side), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(np.ma.masked_invalid(matrix), cmap="RdYlGn", vmin=0, vmax=1)
    for i, j in np.ndindex(matrix.shape):
        value = matrix[i, j]
        label = "–" if math.isnan(value) else f"{value:g}"
        colour = "black" if math.isnan(value) or 0.25 < value < 0.75 else "white"
        axes.text(j, i, label, ha="center", va="center", fontsize=9, color=colour)
    ticks, labels = range(count), [_cut(label, 16) for label in heatmap.labels]
    axes.set_xticks(ticks, labels, rotation=45, ha="right", fontsize=8, parse_math=False)
    axes.set_yticks(ticks, labels, fontsize=8, parse_math=False)
    _label_axes(axes, heatmap.title, "opponent", "candidate (wins over opponent)")
    figure.colorbar(image, ax=axes, shrink=0.8)
    return _figure_png(figure)


def stage_metrics_png(metrics: StageMetrics) -> str:
    """Plot each metric of ``metrics.chance`` per stage, with its interval, and dashed chance lines."""
    stages = list(metrics.stages)
    figure = Figure(figsize=(8.0, 3.8), layout="constrained")
    axes = figure.add_subplot()
    names = list(metrics.chance)
    for k, name in enumerate(names):
        offset = 0.3 * (k / max(len(names) - 1, 1) - 0.5)  # side by side, so intervals do not hide each other
        x, y, err = [], [], [[], []]
        for i, stage in enumerate(stages):
            value, interval = metrics.stages[stage].get(name), metrics.stages[stage].get(f"{name}_ci")
            if value is None:
                continue
            lo, hi = interval or (value, value)
            x.append(i + offset)
            y.append(value)
            err[0].append(max(0.0, value - lo))
            err[1].append(max(0.0, hi - value))
        # Ten colours, then the same colours with another marker: every metric stays distinguishable.
        axes.errorbar(x, y, yerr=err, color=f"C{k % 10}", marker="os^"[k // 10 % 3], markersize=4, capsize=2,
                      linewidth=1, label=_cut(name, 32))
    for level in sorted(set(metrics.chance.values())):
        axes.axhline(level, linestyle="--", color="grey", linewidth=1)
        axes.annotate(f"chance {level:g}", (1.0, level), xycoords=("axes fraction", "data"), xytext=(-4, 3),
                      textcoords="offset points", ha="right", fontsize=8, color="grey", annotation_clip=False)
    axes.set_xticks(range(len(stages)), [_cut(s, 16) for s in stages])
    axes.set_xlim(-0.5, max(len(stages), 1) - 0.5)
    axes.set_ylim(-1.05, 1.05)
    _label_axes(axes, "held-out metrics per stage (dashed: chance)", "stage", "SRCC / accuracy")
    if names:
        for text in axes.legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.01, 0.5)).get_texts():
            text.set_parse_math(False)
    axes.grid(alpha=0.3)
    return _figure_png(figure)


def _all_frames(path: Path) -> Clip:
    """Every frame of a short clip (an even sample of ``GIF_MAX_FRAMES`` of a long one)."""
    clip = read_video(path, fps=_EVERY_FRAME_FPS, min_frames=1, max_frames=GIF_MAX_FRAMES, budget=_DECODE_BUDGET)
    if clip.num_frames < min(clip.total_frames, GIF_MAX_FRAMES):
        # read_video samples frames in pairs: an odd frame count needs the frames by index.
        clip = read_frames(path, range(clip.total_frames), budget=_DECODE_BUDGET)
    return clip


def _display_size(height: int, width: int) -> tuple[tuple[int, int], Image.Resampling]:
    """The GIF's ``(width, height)`` and resampling: whole-factor nearest-neighbour enlargement,
    or a box filter to shrink large videos."""
    long_side = max(height, width)
    if long_side <= GIF_SIDE:
        factor = max(1, round(GIF_SIDE / long_side))
        return (width * factor, height * factor), Image.Resampling.NEAREST
    scale = GIF_SIDE / long_side
    return (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX


def video_gif(path: Path) -> tuple[str, tuple[int, int]]:
    """Decode a video into a looping animated GIF data URI, and its ``(width, height)``.

    Raises:
        VideoDecodeError: the file is missing or cannot be decoded.
    """
    clip = _all_frames(Path(path))
    size, resample = _display_size(*clip.frames.shape[1:3])
    frames = [Image.fromarray(frame).resize(size, resample) for frame in clip.frames]
    frame_ms = max(_MIN_FRAME_MS, round(1000 * clip.duration / clip.num_frames))
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    return _data_uri(buffer.getvalue(), "image/gif"), size


class _Videos:
    """Embeds videos as GIFs, each file decoded once, and counts the ones that cannot be read."""

    def __init__(self) -> None:
        self._html: dict[Path, str] = {}
        self.failed: set[Path] = set()

    def figure(self, path: Path, caption: str, css_class: str = "") -> str:
        """A ``<figure>`` with the video (or a placeholder with the error) and a caption."""
        path = Path(path)
        if path not in self._html:
            self._html[path] = self._embed(path)
        return f'<figure class="{css_class}">{self._html[path]}<figcaption>{_text(caption)}</figcaption></figure>'

    def _embed(self, path: Path) -> str:
        try:
            uri, (width, height) = video_gif(path)
        except Exception as err:  # any unreadable file becomes a placeholder, never a crash
            self.failed.add(path)
            return f'<div class="missing"><strong>video unavailable</strong><br>{_text(err)}</div>'
        return f'<img class="clip" src="{uri}" width="{width}" height="{height}" alt="{_text(path.name)}">'


def flatten(summary: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The leaves of a nested mapping as ``("a.b", value)`` pairs."""
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, f"{name}.")
        else:
            yield name, value


def _format(value: Any) -> str:
    """A summary value as text: floats to 4 significant digits, a value not measured as ``n/a``."""
    if value is None:
        return "n/a"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _summary_html(summary: Mapping[str, Any], unreadable: int) -> str:
    """The summary section: one row per leaf of ``summary``, then the unreadable video count."""
    rows = [*flatten(summary), ("unreadable video files", unreadable)]
    cells = "".join(f"<tr><td>{_text(k)}</td><td>{_text(_format(v))}</td></tr>" for k, v in rows)
    return f'<section><h2>Summary</h2><table class="summary">{cells}</table></section>'


def _verdict_html(verdict: Verdict, videos: _Videos) -> str:
    """A verdict's card: prompt, winner beside loser with their wins, and the reasoning."""
    winner, loser = "winner", "loser"
    if verdict.wins is not None:
        winner = f"winner · {_format(float(verdict.wins[0]))} wins"
        loser = f"loser · {_format(float(verdict.wins[1]))} wins"
    reasoning = verdict.reasoning.strip() or "(no reasoning given)"
    return (
        f'<div class="card verdict"><h3>{_text(verdict.title)}</h3><p class="prompt">{_text(verdict.prompt)}</p>'
        f'<div class="pair">{videos.figure(verdict.winner, winner, "win")}'
        f'{videos.figure(verdict.loser, loser, "lose")}</div>'
        f'<p class="reasoning">{_text(reasoning)}</p></div>'
    )


def _plots_html(plots: Sequence[tuple[str, str]]) -> str:
    """Plots side by side, from ``(title, PNG data URI)`` pairs."""
    images = "".join(f'<img src="{uri}" alt="{_text(alt)}">' for alt, uri in plots)
    return f'<div class="plots">{images}</div>'


def _before_after_html(pairs: Sequence[BeforeAfter], videos: _Videos) -> str:
    """A table of prompts with the videos before and after DPO."""
    rows = "".join(
        f"<tr><td><p class=\"prompt\">{_text(pair.prompt)}</p>seed {pair.seed}</td>"
        f"<td>{videos.figure(pair.before, 'before DPO')}</td><td>{videos.figure(pair.after, 'after DPO')}</td></tr>"
        for pair in pairs
    )
    return f'<table class="grid"><tr><th>prompt</th><th>before</th><th>after</th></tr>{rows}</table>'


def _text_table(title: str, rows: Sequence[Mapping[str, str]]) -> str:
    """A table of text cells with a caption; the first column heads each row, a ``chance`` row is styled apart."""
    columns = list(rows[0]) if rows else []
    head = "".join(f"<th>{_text(c)}</th>" for c in columns)
    body = "".join(
        ('<tr class="chance">' if row[columns[0]] == "chance" else "<tr>")
        + "".join(f"<td>{_text(row[c])}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    table = f'<table class="metrics"><caption>{_text(title)}</caption><tr>{head}</tr>{body}</table>'
    return f'<div class="scroll">{table}</div>'


def _learning_html(metrics: StageMetrics) -> str:
    """The section "Does it learn?": the note, the tables and the plot of the metrics per stage."""
    tables = "".join(_text_table(title, rows) for title, rows in metrics.tables.items())
    plot = _plots_html([("held-out metrics per stage", stage_metrics_png(metrics))])
    return f'<section id="learning"><h2>Does it learn?</h2><p>{_text(metrics.note)}</p>{tables}{plot}</section>'


def _section(title: str, items: Sequence[Any], body: Callable[[Sequence[Any]], str]) -> str:
    """A titled section with ``body(items)``, or a note when there are no items."""
    content = body(items) if items else '<p class="empty">Nothing to show.</p>'
    return f"<section><h2>{_text(title)}</h2>{content}</section>"


def render_report(
    *,
    title: str,
    summary: Mapping[str, Any],
    verdicts: Sequence[Verdict],
    heatmaps: Sequence[Heatmap],
    curves: Sequence[Curve],
    before_after: Sequence[BeforeAfter],
    learning: StageMetrics | None = None,
) -> str:
    """The report page as an HTML string (see :func:`write_report`)."""
    videos = _Videos()
    body = [
        _section("Verdicts", verdicts, lambda vs: "".join(_verdict_html(v, videos) for v in vs)),
        _section("Win matrices", heatmaps, lambda hs: _plots_html([(h.title, heatmap_png(h)) for h in hs])),
        _section("Training curves", curves, lambda cs: _plots_html([(c.title, curve_png(c)) for c in cs])),
        _section("Before and after DPO", before_after, lambda ps: _before_after_html(ps, videos)),
    ]
    head = _summary_html(summary, len(videos.failed))  # after the body: it counts unreadable videos
    if learning is not None:
        head = _learning_html(learning) + head
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{_text(title)}</title><style>{_CSS}</style></head>'
        f"<body><main><h1>{_text(title)}</h1>{head}{''.join(body)}</main></body></html>\n"
    )


def write_report(
    path: Path,
    *,
    title: str,
    summary: dict[str, Any],
    verdicts: Sequence[Verdict],
    heatmaps: Sequence[Heatmap],
    curves: Sequence[Curve],
    before_after: Sequence[BeforeAfter],
    learning: StageMetrics | None = None,
) -> Path:
    """Write the self-contained report page; return its path.

    Args:
        path: the ``.html`` file to write (its folder is created).
        title: the page's title.
        summary: numbers of the run, nested mappings shown as ``a.b`` keys.
        verdicts: judged pairs, winner beside loser with the judge's reasoning.
        heatmaps: tournaments' win matrices.
        curves: training curves.
        before_after: the generator's videos before and after DPO.
        learning: the judge's held-out metrics per stage, shown first ("Does it learn?"); None: no such section.
    """
    page = render_report(
        title=title, summary=summary, verdicts=verdicts, heatmaps=heatmaps, curves=curves, before_after=before_after,
        learning=learning,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
