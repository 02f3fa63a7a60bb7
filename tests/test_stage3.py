"""apps/stage3.py and apps/generate.py end to end on shortened tiny settings: the loop's artefacts,
kill-and-resume at random moments, the report in a real browser, best-of-N selection."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from safetensors.numpy import load_file

from browser import find_browser, render
from entrypoints import APPS, load_app
from vqi_apps.defaults import tiny_generator, tiny_judge
from vqi_apps.loop import Loop, Stage3Config
from vqi_apps.training import StageConfig

generate = load_app("generate")

SHORT = [
    "prompts=[a red square gliding over a soft gradient, a blue square gliding over a soft gradient,"
    " a green square moving slowly over a dark gradient]",
    "candidates=4", "both_orders=false", "generator.num_inference_steps=4", "generator.height=32", "generator.width=32",
    "dpo.max_steps=6", "dpo.checkpoint_every=2", "dpo.batch_size=1",
    "grpo.max_steps=2", "grpo.save_steps=1", "grpo.max_completion_length=16", "grpo.per_device_train_batch_size=4", "grpo.num_generations=4",
    "judge_synthetic={compare: 2, vqa: 2}", "judge.max_new_tokens=48",
]
# Every file whose content defines the run's outcome (checkpoints and caches are means, not ends).
OUTCOMES = ("*.mp4", "*/pairs.jsonl", "*/c_hat.jsonl", "*/results.jsonl", "*/log.jsonl", "*/reasoning/*.json",
            "*/pipeline/*/*.safetensors", "*/judge/final/*.safetensors", "summary.yaml")


def _command(runs: Path, judge: Path, processes: int = 1, extra: tuple[str, ...] = ()) -> list[str]:
    launcher = [sys.executable]
    if processes > 1:
        launcher += ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    return [*launcher, str(APPS / "stage3.py"), f"runs={runs}", f"judge.model={judge}", *SHORT, *extra]


def _run(runs: Path, judge: Path, kill_after: float | None = None, processes: int = 1,
         extra: tuple[str, ...] = ()) -> tuple[int | None, float]:
    """Run stage 3 in a subprocess (on ``processes`` processes, torchrun's); with ``kill_after``,
    SIGKILL it then (if still running)."""
    env = os.environ | {"OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    start = time.monotonic()
    process = subprocess.Popen(_command(runs, judge, processes, extra), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=kill_after if kill_after is not None else 900)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None, time.monotonic() - start
    assert process.returncode == 0, out.decode()[-3000:]
    return 0, time.monotonic() - start


def _outcomes(root: Path) -> dict[str, object]:
    """The outcome files of a stage-3 folder: tensors for weights, text or bytes for the rest."""
    found: dict[str, object] = {}
    for pattern in OUTCOMES:
        for path in sorted(root.rglob(pattern)):
            key = str(path.relative_to(root))
            if path.suffix == ".safetensors":
                found[key] = {name: array.tobytes() for name, array in load_file(path).items()}
            else:
                found[key] = path.read_bytes()
    return found


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> tuple[Path, Path, float]:
    """One uninterrupted run: (runs folder, judge, wall time), the one-time builds done before it."""
    runs = tmp_path_factory.mktemp("stage3-straight")
    judge = tiny_judge()
    tiny_generator()  # built here, so the wall time (which times the kills) is that of a run like theirs
    code, seconds = _run(runs, judge)
    assert code == 0
    return runs, judge, seconds


def test_the_loop_leaves_every_artefact(finished_run):
    runs, _, _ = finished_run
    root = runs / "tiny" / "stage3"
    summary = yaml.safe_load((root / "summary.yaml").read_text())
    # 3 prompts x 4 candidates per round; C(4, 2) = 6 comparisons per prompt and tournament.
    assert len(list((root / "round_0" / "generate").glob("*.mp4"))) == 12
    for step, pairs_file in (("tournament_0", "round_0/tournament/pairs.jsonl"),
                             ("refresh", "round_1/refresh/c_hat.jsonl"),
                             ("tournament_1", "round_1/tournament/pairs.jsonl")):
        lines = (root / pairs_file).read_text().splitlines()
        assert summary[step]["pairs"] == len(lines) and summary[step]["comparisons"] == 18
        assert summary[step]["pairs"] + summary[step]["skipped_prompts"] == 3
        for row in map(json.loads, lines):
            assert (root / row["winner"]).is_file() and (root / row["loser"]).is_file()
    # C-hat pairs a round-1 winner with a round-0 loser of the same prompt.
    c_hat = [json.loads(line) for line in (root / "round_1/refresh/c_hat.jsonl").read_text().splitlines()]
    c = {json.loads(line)["provenance"]["prompt_id"]: json.loads(line)
         for line in (root / "round_0/tournament/pairs.jsonl").read_text().splitlines()}
    for row in c_hat:
        assert row["winner"].startswith("round_1/generate/")
        assert row["loser"] == c[row["provenance"]["prompt_id"]]["loser"]
    for key in ("dpo_0", "dpo_1"):
        assert summary[key]["trained"] and summary[key]["steps"] == 6 and len(summary[key]["losses"]) == 6
    assert (root / "round_1" / "dpo" / "pipeline" / "model_index.json").is_file()
    assert summary["judge_refresh"]["steps"] == 2
    assert summary["judge_refresh"]["c_hat_rows"] == summary["refresh"]["pairs"]
    # Each duel is one pair judged in both orders: a point to the side both orders name, else half each.
    duels = [json.loads(line) for line in (root / "final" / "duel" / "results.jsonl").read_text().splitlines()]
    assert summary["duel"]["duels"] == len(duels) == 12
    assert all(sorted(d["wins"]) in ([0, 1], [0.5, 0.5]) for d in duels)
    assert summary["duel"]["final_generator_win_rate"] == pytest.approx(sum(d["wins"][1] for d in duels) / 12)
    # The final generator is not the first one: DPO moved its weights.
    first = load_file(next((root / "round_0" / "dpo" / "pipeline" / "transformer").glob("*.safetensors")))
    last = load_file(next((root / "round_1" / "dpo" / "pipeline" / "transformer").glob("*.safetensors")))
    assert any((first[k] != last[k]).any() for k in first)
    quality = summary["generator_quality"]
    assert quality["statistic"] == "exposure_error" and quality["spread"] >= 0
    assert 0 <= quality["before"] <= 1 and 0 <= quality["after"] <= 1 and quality["before"] != quality["after"]
    assert (runs / "tiny" / "report.html").is_file()
    page = (runs / "tiny" / "report.html").read_text()
    assert "Does it learn?" in page and "exposure_error" in page


def test_a_second_run_skips_every_step(finished_run):
    runs, judge, _ = finished_run
    out = subprocess.run(_command(runs, judge), capture_output=True, text=True, check=True,
                         env=os.environ | {"OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}).stdout
    assert out.count("done, skipped") == 10


@pytest.mark.slow
def test_killed_at_random_moments_it_resumes_to_the_same_artefacts(finished_run, tmp_path):
    runs, judge, seconds = finished_run
    rng = random.Random(8)
    for kill in range(3):
        # Each kill lands 10-30% of a straight run's time after its (re)start, past the imports: the
        # three add up to less than one run, so none comes after the end.
        code, _ = _run(tmp_path, judge, kill_after=max(6.0, rng.uniform(0.1, 0.3) * seconds))
        assert code is None, f"run {kill + 1} ended before its kill"
    code, _ = _run(tmp_path, judge)
    assert code == 0
    straight = _outcomes(runs / "tiny" / "stage3")
    resumed = _outcomes(tmp_path / "tiny" / "stage3")
    assert sorted(resumed) == sorted(straight)
    assert [k for k in straight if straight[k] != resumed[k]] == []


def test_two_processes_make_the_pairs_and_summary_of_one(tmp_path):
    """torchrun with 2 processes: each generates and judges every other prompt, DPO and the judge
    refresh run data-parallel at the same global batch, process 0 writes the shared files. The run
    ends with the first clips, every verdict, reasoning, pair and tally of one process; training
    figures agree to float summation order (which may move a pixel of a clip sampled after DPO)."""
    judge = tiny_judge()
    tiny_generator()
    one, two = tmp_path / "one", tmp_path / "two"
    assert _run(one, judge, extra=("dpo.batch_size=2", "grpo.per_device_train_batch_size=8"))[0] == 0
    assert _run(two, judge, processes=2, extra=("dpo.batch_size=1", "grpo.per_device_train_batch_size=4"))[0] == 0
    root_one, root_two = one / "tiny" / "stage3", two / "tiny" / "stage3"
    for pattern in ("round_0/generate/*", "*/*/pairs.jsonl", "*/*/c_hat.jsonl", "*/*/results.jsonl", "*/*/log.jsonl",
                    "*/*/reasoning/*.json"):
        files = sorted(p.relative_to(root_one) for p in root_one.glob(pattern))
        assert files and files == sorted(p.relative_to(root_two) for p in root_two.glob(pattern)), pattern
        for name in files:
            assert (root_one / name).read_bytes() == (root_two / name).read_bytes(), name
    a, b = (yaml.safe_load((r / "summary.yaml").read_text()) for r in (root_one, root_two))
    assert a.keys() == b.keys()
    for key in ("generate_0", "tournament_0", "generate_1", "refresh", "tournament_1", "generate_final", "duel"):
        assert a[key] == b[key], key
    for key in ("dpo_0", "dpo_1", "judge_refresh", "generator_quality"):
        for field, value in a[key].items():
            if field == "implicit_accuracy":
                continue  # below: a count of signs, which summation order may flip
            assert b[key][field] == (pytest.approx(value, abs=1e-3) if isinstance(value, (float, list)) else value), (key, field)
    for key in ("dpo_0", "dpo_1"):
        # A step's implicit accuracy counts the pairs whose margin is above 0, and just after the first
        # step a margin is that close to 0 that float summation order may flip its sign: at most one
        # step may differ, by one pair of the global batch of 2.
        differ = [abs(x - y) for x, y in zip(a[key]["implicit_accuracy"], b[key]["implicit_accuracy"], strict=True) if x != y]
        assert len(differ) <= 1 and all(d == 0.5 for d in differ), (key, a[key]["implicit_accuracy"], b[key]["implicit_accuracy"])


def test_the_report_renders_in_a_browser(finished_run):
    runs, _, _ = finished_run
    find_browser()  # skips when no Chromium is installed
    page = render(runs / "tiny" / "report.html", timeout=120)
    assert page.console_errors == []
    assert len(page.media) >= 10
    assert all(m["complete"] and m["width"] > 0 and m["height"] > 0 for m in page.media), page.media


def test_candidates_gone_since_their_step_are_an_error_naming_the_fix(tmp_path):
    """A generate step whose clip was deleted after it finished: the step reading it names the prompt."""
    config = Stage3Config(runs=str(tmp_path), prompts=["a red square", "a blue square"])
    folder = tmp_path / "generate"
    folder.mkdir()
    for pid, prompt in (("p000", "a red square"), ("p001", "a blue square")):
        (folder / f"{pid}.json").write_text(json.dumps({"prompt": prompt, "seeds": [0], "clips": [f"{pid}.mp4"]}))
    (folder / "p000.mp4").write_bytes(b"clip")
    loop = Loop(config, tmp_path / "judge", StageConfig())
    with pytest.raises(FileNotFoundError, match=r"the candidates of 1 of 2 prompts \(e\.g\. p001\) are missing "
                                                r"although the step finished: delete .*done\.json"):
        loop.candidates(folder)
    (folder / "p001.mp4").write_bytes(b"clip")
    assert [c.prompt_id for c in loop.candidates(folder)] == ["p000", "p001"]


def test_generate_writes_the_winner(tmp_path, capsys):
    winner = generate.main(["a red ball rolling", "--best-of", "3", "--keep-all", "--out", str(tmp_path),
                            f"judge.model={tiny_judge()}", "generator.num_inference_steps=2"])
    assert winner == tmp_path / "a-red-ball-rolling" / "winner.mp4" and winner.stat().st_size > 0
    record = json.loads((winner.parent / "tournament.json").read_text())
    wins = [c["wins"] for c in record["candidates"]]
    assert sum(wins) == 3 and len(record["comparisons"]) == 3
    assert winner.read_bytes() == (winner.parent / record["candidates"][record["winner"]]["clip"]).read_bytes()
    assert record["candidates"][record["winner"]]["wins"] == max(wins)
    # Without --keep-all only the winner stays.
    lone = generate.main(["a red ball rolling", "--best-of", "2", "--out", str(tmp_path / "lone"),
                          f"judge.model={tiny_judge()}", "generator.num_inference_steps=2"])
    assert sorted(p.name for p in lone.parent.iterdir()) == ["winner.mp4"]
    assert "wrote" in capsys.readouterr().out


def test_generate_refuses_a_single_candidate(tmp_path):
    with pytest.raises(ValueError, match="at least 2"):
        generate.main(["a cat", "--best-of", "1", "--out", str(tmp_path)])
