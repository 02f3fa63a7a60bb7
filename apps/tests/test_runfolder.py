"""vqi_apps.runfolder: the layout of runs/<name>/, the records written there, the checkpoint scan and
"run the previous stage first"."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from vqi_apps.runfolder import (
    STAGE3_STEPS,
    DPOSummary,
    DuelSummary,
    GenerateSummary,
    GeneratorQuality,
    JudgeRefreshSummary,
    PromptOutcome,
    RunFolder,
    Stage3Summary,
    StageSummary,
    TournamentSummary,
    is_complete,
    last_checkpoint,
    previous_stage,
    read_reasoning,
    read_results,
    reasoning_file,
    write_reasoning,
    write_results,
)


def _tournament(pairs: int, file: str) -> TournamentSummary:
    return TournamentSummary(judge="stage2/final", pairs=pairs, skipped_prompts=3 - pairs, comparisons=18,
                             order_agreement=None, file=file)


def _summary() -> Stage3Summary:
    generate = GenerateSummary(generator="stage3/round_0/dpo/pipeline", prompts=3, clips=12)
    trained = DPOSummary(trained=True, pairs=2, skipped={"unreadable": 0}, steps=2, beta=5000.0,
                         losses=[0.69, 0.61], implicit_accuracy=[0.5, 1.0], pipeline="stage3/round_0/dpo/pipeline")
    return Stage3Summary(
        generate_0=replace(generate, generator="/cache/tiny-wan-v2"),
        tournament_0=_tournament(2, "stage3/round_0/tournament/pairs.jsonl"),
        dpo_0=trained,
        generate_1=generate,
        refresh=_tournament(1, "stage3/round_1/refresh/c_hat.jsonl"),
        judge_refresh=JudgeRefreshSummary(steps=2, skipped_prompts=0, reward_first=0.25, reward_last=0.5,
                                          rewards=[0.25, 0.5], losses=[0.0, 0.01], rows=9, c_hat_rows=1,
                                          judge="stage3/round_1/judge/final"),
        tournament_1=_tournament(3, "stage3/round_1/tournament/pairs.jsonl"),
        dpo_1=DPOSummary(trained=False, pairs=0, pipeline="stage3/round_0/dpo/pipeline"),
        generate_final=replace(generate, generator="stage3/round_0/dpo/pipeline"),
        duel=DuelSummary(judge="stage3/round_1/judge/final", duels=12, final_generator_win_rate=0.625,
                         order_agreement=0.75),
        generator_quality=GeneratorQuality(statistic="exposure_error", before=0.31, after=0.22, spread=0.05,
                                           judge_prefers="lower", moved_as_judge_prefers=True),
    )


def test_the_layout_of_a_run_folder():
    run = RunFolder.at("runs", "tiny")
    assert run.root == Path("runs/tiny")
    assert run.stage("stage1") == Path("runs/tiny/stage1")
    assert run.final("stage2") == Path("runs/tiny/stage2/final")
    assert run.training_data("stage1") == Path("runs/tiny/stage1/data/manifest.jsonl")
    assert {key: str(run.step(key)) for key in STAGE3_STEPS} == {
        "generate_0": "runs/tiny/stage3/round_0/generate",
        "tournament_0": "runs/tiny/stage3/round_0/tournament",
        "dpo_0": "runs/tiny/stage3/round_0/dpo",
        "generate_1": "runs/tiny/stage3/round_1/generate",
        "refresh": "runs/tiny/stage3/round_1/refresh",
        "judge_refresh": "runs/tiny/stage3/round_1/judge",
        "tournament_1": "runs/tiny/stage3/round_1/tournament",
        "dpo_1": "runs/tiny/stage3/round_1/dpo",
        "generate_final": "runs/tiny/stage3/final/generate",
        "duel": "runs/tiny/stage3/final/duel",
    }
    assert run.pairs("tournament_0") == Path("runs/tiny/stage3/round_0/tournament/pairs.jsonl")
    assert run.pairs("refresh") == Path("runs/tiny/stage3/round_1/refresh/c_hat.jsonl")
    assert run.results("duel") == Path("runs/tiny/stage3/final/duel/results.jsonl")
    assert run.refreshed_judge == Path("runs/tiny/stage3/round_1/judge/final")
    assert run.judge_data == Path("runs/tiny/stage3/judge_data/manifest.jsonl")
    assert run.summary == Path("runs/tiny/stage3/summary.yaml")
    assert run.report == Path("runs/tiny/report.html")
    assert run.learning_curve == Path("runs/tiny/learning_curve")
    assert run.judges() == {"stage1": Path("runs/tiny/stage1/final"), "stage2": Path("runs/tiny/stage2/final"),
                            "stage3": Path("runs/tiny/stage3/round_1/judge/final")}


def test_paths_in_summaries_are_relative_to_the_run_folder(tmp_path):
    run = RunFolder(tmp_path / "runs" / "tiny")
    assert run.relative(run.final("stage2")) == "stage2/final"
    assert run.relative(tmp_path / "cache" / "tiny-wan-v2") == str(tmp_path / "cache" / "tiny-wan-v2")


def test_the_stage3_summary_round_trips_with_the_keys_of_its_contract(tmp_path):
    summary = _summary()
    path = summary.write(tmp_path / "summary.yaml")
    assert Stage3Summary.read(path) == summary
    on_disk = yaml.safe_load(path.read_text())
    assert list(on_disk) == [*STAGE3_STEPS, "generator_quality"]
    assert on_disk["generator_quality"] == {"statistic": "exposure_error", "before": 0.31, "after": 0.22, "spread": 0.05,
                                            "judge_prefers": "lower", "moved_as_judge_prefers": True}
    assert list(on_disk["dpo_0"]) == ["trained", "pairs", "skipped", "steps", "beta", "losses", "implicit_accuracy",
                                      "pipeline"]
    assert on_disk["dpo_1"] == {"trained": False, "pairs": 0, "pipeline": "stage3/round_0/dpo/pipeline"}
    assert list(on_disk["judge_refresh"]) == ["steps", "skipped_prompts", "reward_first", "reward_last", "rewards",
                                              "losses", "rows", "c_hat_rows", "judge"]
    assert on_disk["tournament_0"]["order_agreement"] is None  # null stays, it is not an omitted field


def test_a_step_record_round_trips_as_json(tmp_path):
    record = _summary().dpo_1
    path = record.write(tmp_path / "dpo" / "done.json")
    assert json.loads(path.read_text()) == {"trained": False, "pairs": 0, "pipeline": "stage3/round_0/dpo/pipeline"}
    assert DPOSummary.read(path) == record


def test_an_unknown_or_missing_key_is_refused(tmp_path):
    data = _summary().to_dict()
    data["generator_quality"]["brightness"] = 0.5
    with pytest.raises(ValueError, match=r"unknown key 'brightness' in a GeneratorQuality \(.*generator_quality\)"):
        Stage3Summary.from_dict(data, tmp_path / "summary.yaml")
    with pytest.raises(ValueError, match="unknown key 'extra' in a Stage3Summary"):
        Stage3Summary.from_dict(_summary().to_dict() | {"extra": 1}, "summary.yaml")
    without = {k: v for k, v in _summary().to_dict().items() if k != "duel"}
    with pytest.raises(ValueError, match="missing key 'duel' in a Stage3Summary"):
        Stage3Summary.from_dict(without, "summary.yaml")
    with pytest.raises(ValueError, match="expected a mapping of StageSummary keys, got int"):
        StageSummary.from_dict(3, "final/summary.yaml")


def test_a_stage_is_complete_once_its_summary_is_written(tmp_path):
    final = tmp_path / "final"
    final.mkdir()
    assert not is_complete(final)
    StageSummary(steps=1, skipped_prompts=0, reward_first=None, reward_last=None, rewards=[], losses=[]).write(
        final / "summary.yaml")
    assert is_complete(final)


def test_the_last_complete_checkpoint(tmp_path):
    for step, complete in ((2, True), (10, True), (12, False), (4, True)):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    assert last_checkpoint(tmp_path) == tmp_path / "checkpoint-10"  # 10 > 4 as numbers, 12 unfinished
    assert last_checkpoint(tmp_path, before=10) == tmp_path / "checkpoint-4"
    assert last_checkpoint(tmp_path, before=2) is None
    assert last_checkpoint(tmp_path / "nothing") is None


def test_the_previous_stage_runs_first_only_for_the_tiny_default(tmp_path, capsys):
    final = tmp_path / "stage1" / "final"
    ran = []

    def run_tiny() -> Path:
        ran.append(True)
        return final

    with pytest.raises(FileNotFoundError, match=r"no stage1 judge at .*final: run apps/stage1.py first, or set model="):
        previous_stage(final, "stage1", "model", False, run_tiny)
    assert ran == []
    assert previous_stage(final, "stage1", "model", True, run_tiny) == final and ran == [True]
    assert "running apps/stage1.py on its tiny config first" in capsys.readouterr().out
    final.mkdir(parents=True)
    (final / "summary.yaml").write_text("steps: 0\n")
    assert previous_stage(final, "stage1", "model", False, run_tiny) == final and ran == [True]


def test_reasoning_records_round_trip(tmp_path):
    notes = {(0, 1): "<think>A is sharper</think><answer>Video A</answer>", (1, 0): "B"}
    write_reasoning(tmp_path, "p000", notes)
    assert json.loads(reasoning_file(tmp_path, "p000").read_text()) == {"0,1": notes[(0, 1)], "1,0": "B"}
    assert read_reasoning(tmp_path, "p000") == notes
    assert read_reasoning(tmp_path, "p001") == {}


def test_tournament_results_round_trip_and_a_bad_row_names_its_line(tmp_path):
    outcome = PromptOutcome(prompt_id="p000", prompt="a red square", clips=["a.mp4", "b.mp4"], seeds=[0, 1],
                            wins=[1.0, 0.0], best=0, worst=1, win_matrix=[[0.0, 1.0], [0.0, 0.0]], disagreement_rate=0.0)
    tied = PromptOutcome(prompt_id="p001", prompt="a blue square", clips=["c.mp4", "d.mp4"], seeds=[2, 3],
                         wins=[0.5, 0.5], best=None, worst=None, win_matrix=[[0.0, 0.5], [0.5, 0.0]], disagreement_rate=1.0)
    path = tmp_path / "results.jsonl"
    write_results(path, [outcome, tied])
    assert read_results(path) == [outcome, tied]
    path.write_text(path.read_text() + '{"prompt_id": "p002", "prompt": "x"}\n')
    with pytest.raises(ValueError, match=r"missing key 'clips' in a PromptOutcome \(.*results.jsonl:3\)"):
        read_results(path)
