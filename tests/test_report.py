"""vqi_apps.report: the stage-3 report page is self-contained, escaped and renders cleanly in Chromium."""

import base64
import io
import math
import re

import pytest
from PIL import Image
from vqi_video.synthetic import Degradation, clean_frames, degrade, write_clip

import browser
from vqi_apps.report import BeforeAfter, Curve, Heatmap, StageMetrics, Verdict, curve_png, heatmap_png, stage_metrics_png
from vqi_apps.report import render_report, write_report

EVIL = "<script>alert(1)</script>"
# Held-out metrics of three stages: one undefined (a constant prediction), one without interval.
LEARNING = StageMetrics(
    tables={"held-out metrics": [
        {"stage": "start", "video_srcc": "-", "compare_acc": "0.50 [0.41, 0.59]"},
        {"stage": "stage1", "video_srcc": "0.31 [0.12, 0.48]", "compare_acc": "0.62 [0.53, 0.70]"},
        {"stage": EVIL, "video_srcc": "0.44", "compare_acc": "0.71 [0.63, 0.79]"},
        {"stage": "chance", "video_srcc": "0", "compare_acc": "0.5"},
    ]},
    stages={"start": {"video_srcc": None, "video_srcc_ci": None, "compare_acc": 0.5, "compare_acc_ci": [0.41, 0.59]},
            "stage1": {"video_srcc": 0.31, "video_srcc_ci": [0.12, 0.48], "compare_acc": 0.62,
                       "compare_acc_ci": [0.53, 0.7]},
            EVIL: {"video_srcc": 0.44, "video_srcc_ci": None, "compare_acc": 0.71, "compare_acc_ci": [0.63, 0.79]}},
    chance={"video_srcc": 0.0, "compare_acc": 0.5},
    note="90% bootstrap intervals",
)


def decode(uri: str) -> Image.Image:
    """The image of a base64 data URI."""
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Short H.264 clips (8 fps, 48x48): a clean 5-frame one, and clean and damaged 6-frame ones."""
    folder = tmp_path_factory.mktemp("clips")
    damaged = degrade(clean_frames(2, frames=6, size=48), Degradation(blur=2.0, noise=20.0), seed=2)
    return {
        "five": write_clip(folder / "five.mp4", clean_frames(1, frames=5, size=48)),
        "clean": write_clip(folder / "clean.mp4", clean_frames(2, frames=6, size=48)),
        "damaged": write_clip(folder / "damaged.mp4", damaged),
        "missing": folder / "missing.mp4",
    }


@pytest.fixture(scope="module")
def report(clips, tmp_path_factory):
    """A report with two verdicts (one with a missing video), two heatmaps, two curves, two pairs."""
    verdicts = [
        Verdict("round 0 · p000", "a red square", clips["five"], clips["damaged"], f"A is sharper. {EVIL}", (3, 0.5)),
        Verdict("round 1 · prompt p001", f"prompt {EVIL}", clips["clean"], clips["missing"], ""),
    ]
    twelve = [[None if i == j else float(i > j) for j in range(12)] for i in range(12)]
    heatmaps = [
        Heatmap("round 0", ["c0", "c1", "c2"], [[math.nan, 1, 0.5], [0, None, 1], [0.5, 0, math.nan]]),
        Heatmap("round 1", [f"cand{i}" for i in range(12)], twelve),
    ]
    curves = [
        Curve("DPO loss", "loss", {"loss": [0.69, 0.6, 0.52, 0.5], "empty": []}),
        Curve("reward margin", "margin", {"single": [0.1]}),
    ]
    pairs = [
        BeforeAfter("a red square", 1, clips["damaged"], clips["clean"]),
        BeforeAfter(EVIL, 2, clips["clean"], clips["five"]),
    ]
    summary = {"rounds": 2, "judge": {"accuracy": 0.8125, "model": EVIL, "order_agreement": None},
               "generator": {"dpo": {"beta": 5000}}}
    path = write_report(
        tmp_path_factory.mktemp("report") / "report.html",
        title="stage 3",
        summary=summary,
        verdicts=verdicts,
        heatmaps=heatmaps,
        curves=curves,
        before_after=pairs,
        learning=LEARNING,
    )
    return path, path.read_text()


def test_page_is_self_contained_and_escaped(report):
    path, page = report
    assert path.name == "report.html"
    assert 'src="file:' not in page and "http://" not in page and "https://" not in page
    assert re.findall(r'(?:src|href)="(?!data:)', page) == []
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "judge.accuracy" in page and "generator.dpo.beta" in page and "0.8125" in page
    assert re.search(r"judge\.order_agreement</\w+>\s*<td>n/a<", page), "a value not measured reads n/a"


def test_does_it_learn_comes_first_with_its_table_and_plot(report):
    _, page = report
    sections = re.findall(r"<h2>([^<]+)</h2>", page)
    assert sections[:2] == ["Does it learn?", "Summary"]
    learning = page.split('<section id="learning">')[1].split("</section>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", learning)
    assert cells[:3] == ["start", "-", "0.50 [0.41, 0.59]"] and cells[-3:] == ["chance", "0", "0.5"]
    assert learning.count('<tr class="chance">') == 1 and "&lt;script&gt;" in learning
    assert len(re.findall(r'<img src="data:image/png;base64,', learning)) == 1


def test_does_it_learn_renders_first_in_chromium(report):
    path, _ = report
    shown = ("[...document.querySelectorAll('h2')].map((h) => h.textContent).concat("
             "document.querySelector('#learning img').naturalWidth,"
             "document.querySelector('#learning table').rows.length)")
    seen = browser.render(path, expression=shown)
    assert seen.console_errors == []
    assert seen.value[:2] == ["Does it learn?", "Summary"]
    assert seen.value[-2] > 100 and seen.value[-1] == 1 + 4  # the plot; header, three stages, chance


def test_does_it_learn_only_when_given():
    page = render_report(title="t", summary={}, verdicts=[], heatmaps=[], curves=[], before_after=[])
    assert "Does it learn?" not in page


@pytest.mark.parametrize("stages", [{}, {"start": {}}, {"start": {"compare_acc": None}}, LEARNING.stages])
def test_stage_metrics_plot_renders_whatever_is_defined(stages):
    image = decode(stage_metrics_png(StageMetrics(tables={}, stages=stages, chance=LEARNING.chance)))
    assert image.format == "PNG" and min(image.size) > 100


def test_missing_video_becomes_a_counted_placeholder(report):
    _, page = report
    assert page.count('class="missing"') == 1 and "video unavailable" in page and "missing.mp4" in page
    assert "<td>unreadable video files</td><td>1</td>" in page


def test_videos_are_looping_gifs_of_every_frame(report):
    _, page = report
    images = [decode(uri) for uri in re.findall(r'src="(data:image/gif;base64,[^"]+)"', page)]
    # verdicts: five, damaged, clean (the missing one is a placeholder); pairs: damaged, clean, clean, five
    assert len(images) == 7
    assert sorted(image.n_frames for image in images) == [5, 5, 6, 6, 6, 6, 6]
    for image in images:
        assert image.size == (144, 144)  # 48 px enlarged 3 times
        assert image.info["loop"] == 0 and image.info["duration"] == 120  # 8 fps, in GIF centiseconds


def test_page_renders_in_chromium_without_errors(report):
    path, _ = report
    seen = browser.render(path, expression="document.querySelectorAll('script').length")
    assert seen.console_errors == [] and seen.dialogs == []
    assert seen.value == 0
    images = [m for m in seen.media if m["tag"] == "img"]
    assert len(images) == 7 + 2 + 2 + 1  # videos, heatmaps, curves, held-out metrics
    assert all(m["complete"] and m["width"] > 0 and m["height"] > 0 for m in images), images


def test_browser_check_catches_a_broken_page(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
        '<img src="data:image/png;base64,AAAA"><script>alert("hi"); throw new Error("x")</script></body></html>'
    )
    seen = browser.render(page)
    assert any("Error: x" in error for error in seen.console_errors)
    assert seen.dialogs == ["hi"]
    assert [(m["width"], m["height"]) for m in seen.media] == [(0, 0)]


@pytest.mark.parametrize("series", [{}, {"a": []}, {"a": [1.0]}, {"a": [1.0, math.nan, 0.5], "b": [0.2] * 300}])
def test_curves_render_whatever_their_length(series):
    image = decode(curve_png(Curve("c", "y", series)))
    assert image.format == "PNG" and min(image.size) > 100


def test_plot_text_is_never_tex():
    odd = "costs $x^{ and $5 " * 8  # unbalanced TeX math would stop matplotlib at draw time
    assert decode(curve_png(Curve(odd, odd, {odd: [1.0, 2.0]}))).format == "PNG"
    assert decode(heatmap_png(Heatmap(odd, [odd, "$b"], [[None, 1], [0, None]]))).format == "PNG"


@pytest.mark.parametrize("count", [2, 12])
def test_heatmaps_render_from_2_to_12_candidates(count):
    matrix = [[None if i == j else float(i < j) for j in range(count)] for i in range(count)]
    image = decode(heatmap_png(Heatmap("h", [f"c{i}" for i in range(count)], matrix)))
    assert image.format == "PNG" and min(image.size) > 100
    with pytest.raises(ValueError, match="labels"):
        heatmap_png(Heatmap("h", ["only one"], matrix))
