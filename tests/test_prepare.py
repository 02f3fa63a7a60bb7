"""apps/prepare.py on the real label files of the shared folder (renamed as published, with media
folders written here: one tiny clip and one image, hard-linked under every name the labels give)
and, for the datasets with no public rows, on rows written in the layouts that
SCHEMAS_no_public_rows.md documents. Expected counts are derived from the label files here,
independently of the converters."""

import contextlib
import csv
import io
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from entrypoints import load_app
from vqi_apps.config import CONFIGS, run
from vqi_apps.evaluation import EvalConfig, read_manifests
from vqi_apps.prepare import STAGE2, planned_outputs
from vqi_apps.stages import train_rows
from vqi_apps.training import StageConfig
from vqi_config import load_config
from vqi_judge import check_media, read_manifest
from vqi_video.synthetic import write_clip, write_image

prepare_app = load_app("prepare")
MISSING_EVERY = 25  # every 25th KonIQ image and GenAI-Bench right clip is left out
VR_QUESTIONS = 64


def votes_file(labels: Path) -> list[dict]:
    return [json.loads(line) for line in (labels / "genai_bench_video/genaibench_video_human_votes.jsonl").open()]


def koniq_records(labels: Path) -> list[dict]:
    with (labels / "koniq10k/koniq10k_distributions_sets.sample200.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def lsvq_names(path: Path) -> list[str]:
    with path.open(newline="") as handle:
        return [record["name"] for record in csv.DictReader(handle)]


def lgvq_item(path: str) -> dict:
    answer = json.dumps({"spatial": 40.48, "temporal": 32.63, "consistency": 56.33})
    return {"problem": "Rate it.", "problem_type": "multi-dimension", "data_type": "video", "path": path,
            "solution": f"<answer>{answer}</answer>"}


def pair(internal_id: str, answer: str) -> dict:
    return {"internal_id": internal_id, "prompt": "a dog surfing", "standard_answer": answer,
            "video1_path": f"videos/{internal_id}_1.mp4", "video2_path": f"videos/{internal_id}_2.mp4"}


def jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


@pytest.fixture(scope="module")
def datasets(tmp_path_factory, shared_media) -> Path:
    """A datasets root as users download them: every dataset of the paper, a few media missing."""
    labels, root = shared_media / "labels", tmp_path_factory.mktemp("datasets")
    clip = write_clip(root / "clip.mp4", np.full((2, 16, 16, 3), 128, np.uint8))
    image = write_image(root / "image.jpg", np.full((16, 16, 3), 128, np.uint8))

    def media(folder: Path, names, source: Path = clip) -> None:
        for name in names:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            os.link(source, folder / name)

    def copy(source: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(labels / source, target)

    koniq = root / "koniq10k"
    copy("koniq10k/koniq10k_distributions_sets.sample200.csv", koniq / "koniq10k_distributions_sets.csv")
    names = [record["image_name"] for record in koniq_records(labels)]
    media(koniq / "512x384", [n for i, n in enumerate(names) if i % MISSING_EVERY], image)
    lsvq = root / "lsvq"
    # No LSVQ train CSV is in the shared folder: the test CSV, same layout, stands in for it.
    copy("lsvq/LSVQ_whole_test.sample200.csv", lsvq / "LSVQ_whole_train.csv")
    copy("lsvq/LSVQ_whole_test.sample200.csv", lsvq / "LSVQ_whole_test.csv")
    copy("lsvq/LSVQ_whole_test_1080p.sample200.csv", lsvq / "LSVQ_whole_test_1080p.csv")
    for name in ("LSVQ_whole_test.csv", "LSVQ_whole_test_1080p.csv"):
        media(lsvq, [n + ".mp4" for n in lsvq_names(lsvq / name) if not (lsvq / (n + ".mp4")).exists()])
    lgvq = root / "lgvq"
    jsonl(lgvq / "train.json", [lgvq_item(f"cogvideo/{i}.mp4") for i in range(6)])
    jsonl(lgvq / "test.json", [lgvq_item(f"zeroscope/{i}.mp4") for i in range(4)])
    prompts = {f"{model}/{i}.mp4": f"prompt {i}" for model in ("cogvideo", "zeroscope") for i in range(6)}
    del prompts["cogvideo/5.mp4"]  # one training clip without its prompt
    (lgvq / "prompts.json").write_text(json.dumps(prompts))
    media(lgvq, [f"{model}/{i}.mp4" for model in ("cogvideo", "zeroscope") for i in range(6)])
    vr = root / "visionrewarddb_video"
    answers = ["Video A", "Video B", "tie", "Video A", "tie"]
    jsonl(vr / "regression.jsonl", [pair(f"r{i}", answer) for i, answer in enumerate(answers)])
    # 16 videos x 64 answered questions = 1,024 rows, of which 1,000 are selected.
    videos = [{"internal_id": f"v{i}", "video_path": f"videos/v{i}.mp4", "prompt": "a cat", "url": "",
               "meta_result": [i % 2] * VR_QUESTIONS, "meta_mask": [1] * VR_QUESTIONS} for i in range(16)]
    jsonl(vr / "train.jsonl", videos)
    copy("visionreward_video/VisionReward_video_qa.txt", vr / "VisionReward_video_qa.txt")
    media(vr, [f"videos/v{i}.mp4" for i in range(16)] + [f"videos/r{i}_{k}.mp4" for i in range(5) for k in (1, 2)])
    genai = root / "genai_bench_video"
    copy("genai_bench_video/genaibench_video_human_votes.jsonl", genai / "pairwise.jsonl")
    idx = [vote["idx"] for vote in votes_file(labels)]
    media(genai, [f"left/{i}.mp4" for i in idx] + [f"right/{i}.mp4" for i in idx if i % MISSING_EVERY])
    monet = root / "monetbench"
    jsonl(monet / "test.jsonl", [pair("m0", "Video B"), pair("m1", "tie"), pair("m2", "Video A")])
    media(monet, [f"videos/m{i}_{k}.mp4" for i in range(3) for k in (1, 2)])
    konvid = root / "konvid1k"
    copy("konvid1k/KoNViD_1k_mos.csv", konvid / "KoNViD_1k_mos.csv")
    with (konvid / "KoNViD_1k_mos.csv").open(newline="") as handle:
        media(konvid / "KoNViD_1k_videos", [r["flickr_id"] + ".mp4" for r in csv.DictReader(handle)])
    live = root / "live_vqc"
    copy("live_vqc/LiveVQC_data.mat", live / "LiveVQC_data.mat")
    names = [str(np.asarray(cell).reshape(-1)[0]) for cell in scipy.io.loadmat(live / "LiveVQC_data.mat")["video_list"].reshape(-1)]
    media(live / "Video", names)
    vidprom = root / "vidprom" / "VidProM_unique.csv"
    vidprom.parent.mkdir()
    with vidprom.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["uuid", "prompt"])
        writer.writerows([(f"u{i}", f"a  prompt\nnumber {i}") for i in range(5003)])
        writer.writerows([("e", "  "), ("d", "a prompt number 7")])
    return root


@pytest.fixture(scope="module")
def prepared(datasets, tmp_path_factory):
    """(data folder, printed lines, exit code) of one run."""
    out = tmp_path_factory.mktemp("work") / "data"
    code, lines = run_prepare(datasets, out)
    return out, lines, code


def run_prepare(datasets: Path, out: Path) -> tuple[int, list[str]]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = prepare_app.main(["--datasets", str(datasets), "--out", str(out)])
    return code, buffer.getvalue().splitlines()


def line_of(lines: list[str], start: str) -> str:
    (line,) = [line for line in lines if start in line]
    return line


def test_every_planned_file_is_written_and_reads_back(prepared):
    out, lines, code = prepared
    assert code == 1  # media were missing: done, inputs skipped
    assert sorted(p for p in out.rglob("*") if p.is_file()) == sorted(planned_outputs(out))
    for path in planned_outputs(out):
        if path.suffix == ".jsonl":
            check_media(read_manifest(path))  # relative to the manifest's folder, all on disk
    assert lines[-1] == f"{len(planned_outputs(out))} files written into {out}"


def test_counts_per_dataset_and_drop_reason(prepared, shared_media):
    out, lines, _ = prepared
    labels = shared_media / "labels"
    records = koniq_records(labels)
    missing = {r["image_name"] for i, r in enumerate(records) if i % MISSING_EVERY == 0}
    train = [r["image_name"] for r in records if r["set"] == "training"]
    rows = read_manifest(out / "koniq10k_train.jsonl")
    assert [r.id for r in rows] == [name for name in train if name not in missing]
    n_missing = len(set(train) & missing)
    assert n_missing > 0 and len(rows) == len(train) - n_missing
    assert f": {len(rows)} of {len(train)} rows; dropped {n_missing} missing media (e.g. " in line_of(lines, "-> koniq10k_train.jsonl:")
    test = [r["image_name"] for r in records if r["set"] == "test"]
    assert len(read_manifest(out / "eval/koniq10k_test.jsonl")) == len(set(test) - missing)

    votes = votes_file(labels)
    genai = read_manifest(out / "eval/genai_bench_video.jsonl")
    kept = [v for v in votes if v["idx"] % MISSING_EVERY]
    assert [r.id for r in genai] == [str(v["idx"]) for v in kept]
    assert Counter(r.votes for r in genai) == Counter(v["human_vote"] for v in kept)
    # All four kinds of vote, ties kept for tau: 325 left, 375 right, 138 tie, 231 both bad in the file.
    assert Counter(v["human_vote"] for v in votes) == {"leftvote": 325, "rightvote": 375, "tievote": 138, "bothbad_vote": 231}
    labels_kept = Counter({"leftvote": "Video A", "rightvote": "Video B"}.get(v["human_vote"], "tie") for v in kept)
    assert Counter(r.label for r in genai) == labels_kept
    dropped = len(votes) - len(kept)
    assert f"{len(kept)} of 1069 rows (" in line_of(lines, "-> eval/genai_bench_video.jsonl:")
    assert f"; dropped {dropped} missing media (e.g. 0, 25, 50)" in line_of(lines, "-> eval/genai_bench_video.jsonl:")

    assert len(read_manifest(out / "eval/lsvq_test.jsonl")) == len(lsvq_names(labels / "lsvq/LSVQ_whole_test.sample200.csv")) == 200
    assert len(read_manifest(out / "eval/lsvq_1080p.jsonl")) == 200
    assert len(read_manifest(out / "eval/konvid1k.jsonl")) == 1200
    assert len(read_manifest(out / "eval/live_vqc.jsonl")) == 585
    monet = read_manifest(out / "eval/monetbench.jsonl")
    assert [(r.id, r.label) for r in monet] == [("m0", "Video B"), ("m1", "tie"), ("m2", "Video A")]
    lgvq_test = read_manifest(out / "eval/lgvq_test.jsonl")
    assert [(r.id, r.prompt) for r in lgvq_test] == [(f"zeroscope/{i}.mp4", f"prompt {i}") for i in range(4)]


def test_stage2_mixes_the_four_tasks_without_ties_or_promptless_rows(prepared):
    out, lines, _ = prepared
    rows = read_manifest(out / STAGE2)
    # LSVQ train 200; LGVQ 6 - 1 without prompt; comparisons 5 - 2 ties; 1,024 questions -> 1,000.
    assert Counter(r.task for r in rows) == {"video_score": 200, "aigc_score": 5, "compare": 3, "vqa": 1000}
    assert "tie" not in {r.label for r in rows} and all(r.prompt for r in rows if r.task == "aigc_score")
    assert [r.id for r in rows if r.task == "compare"] == ["r0", "r1", "r3"]
    assert "5 of 6 rows; dropped 1 no prompt (e.g. cogvideo/5.mp4)" in line_of(lines, "lgvq/train.json ->")
    assert "3 of 5 rows (Video A 2, Video B 1); dropped 2 tie (e.g. r2, r4)" in line_of(lines, "regression.jsonl ->")
    assert "1024 of 1024 rows, 1000 selected (seed 0)" in line_of(lines, "train.jsonl ->")
    prompts = (out / "vidprom_5k.txt").read_text().splitlines()
    assert len(prompts) == len(set(prompts)) == 5000 and set(prompts) <= {f"a prompt number {i}" for i in range(5003)}
    assert "5000 of 5005 prompts selected (seed 0); dropped 1 empty; dropped 1 repeated" in line_of(lines, "vidprom_5k.txt: 5000 of")


def test_running_again_rewrites_the_same_files(prepared, datasets):
    out, lines, code = prepared
    before = {p: p.read_bytes() for p in planned_outputs(out)}
    assert run_prepare(datasets, out) == (code, lines)
    assert {p: p.read_bytes() for p in planned_outputs(out)} == before
    assert not list(out.rglob("*.tmp"))


def test_a_missing_dataset_is_skipped_with_what_to_download(datasets, tmp_path):
    only = tmp_path / "datasets"
    only.mkdir()
    (only / "live_vqc").symlink_to(datasets / "live_vqc")
    code, lines = run_prepare(only, tmp_path / "data")
    assert code == 1
    assert len(read_manifest(tmp_path / "data/eval/live_vqc.jsonl")) == 585
    assert line_of(lines, "konvid1k: skipped") == (
        f"konvid1k: skipped, KoNViD_1k_mos.csv not found in {only / 'konvid1k'}: download KoNViD-1k: "
        f"KoNViD_1k_mos.csv and the KoNViD_1k_videos/ folder, into {only / 'konvid1k'}/")
    assert line_of(lines, "stage2_mixed.jsonl") == (
        f"{tmp_path / 'data' / STAGE2}: not written, it needs lsvq, lgvq, visionrewarddb_video")
    assert sorted(p.name for p in (tmp_path / "data").rglob("*") if p.is_file()) == ["live_vqc.jsonl"]


def test_help_and_a_bad_datasets_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_help:
        prepare_app.main(["--help"])
    assert exit_help.value.code == 0 and "visionrewarddb_video/" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_bad:
        run(lambda: prepare_app.main(["--datasets", str(tmp_path / "nowhere")]))
    assert exit_bad.value.code == 2
    assert capsys.readouterr().err.startswith(f"error: no datasets folder {tmp_path / 'nowhere'}: give --datasets")


def test_stage1_stage2_and_eval_read_the_prepared_files_without_edits(prepared, monkeypatch):
    """Done means: the tiny stage configs pointed at the manifests, and the paper eval configs as shipped."""
    out, _, _ = prepared
    for stage, name in (("stage1", "koniq10k_train.jsonl"), ("stage2", STAGE2)):
        config = load_config(StageConfig, CONFIGS / stage / "tiny.yaml", [f"train={out / name}"])
        rows = train_rows(config, stage)
        assert rows == read_manifest(out / name)
        check_media(rows)
    monkeypatch.chdir(out.parent)  # the eval configs name data/eval/...
    for path in sorted((CONFIGS / "eval").glob("qwen*.yaml")):  # both backbones' paper evaluations
        manifests = [Path(m) for m in load_config(EvalConfig, path, []).manifests]
        rows = read_manifests(manifests)
        check_media(rows)
        assert {r.dataset for r in rows} == {"genai_bench_video", "monetbench", "lgvq", "lsvq", "live_vqc", "konvid1k"}
