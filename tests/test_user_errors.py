"""Bad input from the user ends with one line ``error: <what> (<where>): <fix>`` and exit code 2,
before anything is written; never a traceback."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from vqi_judge import build_tiny_judge

from entrypoints import APPS, load_app
from vqi_apps.config import claim_folder, claim_inputs, run, tiny_config
from vqi_apps.judging import model_identity
from vqi_apps.training import StageConfig
from vqi_config import load_config

eval_app = load_app("eval")
infer = load_app("infer")
stage1 = load_app("stage1")
stage3 = load_app("stage3")


def error_line(main, argv: list[str], capsys) -> str:
    """Run an app's ``main`` as its ``__main__`` does; return the one stderr line it ends with."""
    with pytest.raises(SystemExit) as exit_info:
        run(lambda: main(argv))
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and lines[-1].startswith("error: ")
    assert "Traceback" not in "\n".join(lines)
    return lines[-1]


@pytest.fixture(scope="module")
def judge_folder(tmp_path_factory) -> Path:
    """A tiny judge checkpoint (no format teaching: only its files matter here)."""
    return build_tiny_judge(tmp_path_factory.mktemp("judge") / "judge", seed=0, format_steps=0)


@pytest.fixture
def clip(shared_media) -> Path:
    return next((shared_media / "videos").glob("*.mp4"))


def test_unknown_grpo_key_from_the_command_line(tmp_path):
    """The real command line: exit code 2, one line, no traceback, and no run folder written."""
    done = subprocess.run([sys.executable, str(APPS / "stage1.py"), f"runs={tmp_path / 'runs'}", "grpo.max_stepz=3"],
                          capture_output=True, text=True, env=os.environ | {"OMP_NUM_THREADS": "1"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "error: unknown config key (grpo.max_stepz): did you mean grpo.max_steps?")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


def test_wrong_type_in_the_grpo_section(tmp_path, capsys):
    line = error_line(stage1.main, [f"runs={tmp_path}", "grpo.max_steps=abc"], capsys)
    assert line == "error: expected int, got 'abc' (grpo.max_steps): give a single int"
    assert not any(tmp_path.iterdir())


def test_a_dpo_key_the_run_sets_is_refused(tmp_path, capsys):
    """The clip shape has one place, the generator section: a dpo.num_frames would be overridden."""
    line = error_line(stage3.main, [f"runs={tmp_path}", "dpo.num_frames=9"], capsys)
    assert line == ("error: dpo.num_frames is set by the run, from generator.num_frames (dpo.num_frames): "
                    "remove it from the dpo section")
    assert not any(tmp_path.iterdir())


def test_a_setting_transformers_refuses_names_the_section(tmp_path, capsys):
    line = error_line(stage1.main, [f"runs={tmp_path}", "grpo.lr_scheduler_type=sideways"], capsys)
    assert "(grpo): change that setting" in line and "sideways" in line
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("override", "expected"), [
    ("grpo.scale_rewards=global", "scale_rewards='global'; choose one of ('group', 'batch', 'none') (or true / false) "
                                  "(grpo): change that setting in the config's grpo section"),
    ("grpo.lora.rank=8", "unknown config key (grpo.lora.rank): the known keys here are ['alpha', 'r', 'target_modules']"),
    ("grpo.lora.r=0", "LoRA rank r=0 must be >= 1 (grpo.lora.r): use e.g. 8, or leave grpo.lora out to train every weight"),
])
def test_bad_grpo_options_are_refused_before_anything_is_written(override, expected, tmp_path, capsys):
    assert error_line(stage1.main, [f"runs={tmp_path}", override], capsys) == f"error: {expected}"
    assert not any(tmp_path.iterdir())


def test_fewer_prompts_than_one_step_draws(tmp_path, capsys):
    """The tiny stage 1 draws 32 prompts a step: 8 images would train 0 steps and report success."""
    line = error_line(stage1.main, [f"runs={tmp_path}", "synthetic={image_score: 8}"], capsys)
    assert line == ("error: too few prompts for one optimiser step: 8 in the synthetic set (synthetic), 32 a step "
                    "(per_device_train_batch_size 64 x gradient_accumulation_steps 1 x 1 processes / num_generations 2): "
                    "add rows or lower per_device_train_batch_size")
    assert not (tmp_path / "tiny").exists()


def test_yaml_syntax_error_in_the_config_file(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\ngrpo:\n  max_steps: [3\n")
    line = error_line(stage1.main, ["--config", str(config), f"runs={tmp_path / 'runs'}"], capsys)
    assert line.startswith("error: ") and f"({config}:4)" in line and line.endswith("fix the YAML syntax there")


def test_yaml_syntax_error_in_an_override(tmp_path, capsys):
    line = error_line(stage1.main, [f"runs={tmp_path}", "synthetic={image_score: 4"], capsys)
    assert "in the value '{image_score: 4' (synthetic): write it as YAML" in line


@pytest.mark.parametrize("app", ["infer", "stage1"])
def test_a_model_path_that_does_not_exist(app, tmp_path, clip, capsys):
    main, argv = (infer.main, ["judge.model=/nonexistent", str(clip)]) if app == "infer" else (
        stage1.main, ["model=/nonexistent", f"runs={tmp_path}"])
    line = error_line(main, argv, capsys)
    assert line.startswith("error: checkpoint folder does not exist (/nonexistent): give a folder written by")


def test_a_checkpoint_with_pickle_weights_only(judge_folder, tmp_path, clip, capsys):
    folder = tmp_path / "pickled"
    shutil.copytree(judge_folder, folder)
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04not loaded")
    line = error_line(infer.main, [f"judge.model={folder}", str(clip)], capsys)
    assert line.startswith(f"error: only pickle weights, which are never loaded (unpickling runs code) "
                           f"({folder / 'pytorch_model.bin'}): convert the weights to safetensors")


def test_resuming_from_a_truncated_checkpoint(judge_folder, tmp_path, capsys):
    checkpoint = tmp_path / "tiny" / "stage1" / "checkpoint-2"
    shutil.copytree(judge_folder, checkpoint)
    (checkpoint / "trainer_state.json").write_text("{}")
    weights = checkpoint / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    line = error_line(stage1.main, [f"runs={tmp_path}", f"model={judge_folder}", "synthetic.image_score=2",
                                    "grpo.per_device_train_batch_size=4"], capsys)
    assert line.startswith("error: cannot resume: weights file is incomplete or corrupt (")
    assert line.endswith(f"({weights}): delete {checkpoint} to resume from the checkpoint before it")


def test_runs_is_a_regular_file(tmp_path, capsys):
    file = tmp_path / "runs"
    file.write_text("")
    line = error_line(stage1.main, [f"runs={file}"], capsys)
    assert line == f"error: {file} is a file, not a folder (runs): set runs= to a folder you can write"


def test_runs_where_no_folder_can_be_made(capsys):
    line = error_line(stage1.main, ["runs=/proc/forbidden"], capsys)
    assert line.startswith("error: cannot create folders in /proc (")
    assert line.endswith("(runs): set runs= to a folder you can write")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_runs_is_read_only(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = error_line(stage1.main, [f"runs={folder}"], capsys)
    finally:
        folder.chmod(0o755)
    assert line.startswith(f"error: cannot create folders in {folder} (Permission denied)")


def test_infer_on_a_folder_without_media(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no clips here")
    line = error_line(infer.main, [str(tmp_path)], capsys)
    assert line.startswith(f"error: no video or image files in the folder ({tmp_path}): give files or folders")


def test_infer_on_a_path_that_does_not_exist(tmp_path, capsys):
    line = error_line(infer.main, [str(tmp_path / "gone.mp4")], capsys)
    assert line.startswith(f"error: no such file or folder ({tmp_path / 'gone.mp4'}): give video or image files")


def test_eval_on_a_manifest_whose_media_are_missing(tmp_path, capsys):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"id": "a", "task": "video_score", "media": ["a.mp4"], "dataset": "d", "score": 3.0, '
                        '"score_range": [1, 5]}\n')
    line = error_line(eval_app.main, [str(manifest), f"output={tmp_path / 'out'}"], capsys)
    assert line == (f"error: 1 of 1 media files are missing (d: 1 of 1, e.g. {tmp_path / 'a.mp4'}): give the folder "
                    "the relative paths start from (the apps' --media-root; media_root= of read_manifest and "
                    "convert), or fetch the missing files")
    assert not (tmp_path / "out").exists()


def test_eval_on_a_manifest_row_its_question_cannot_be_written_for(tmp_path, capsys):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"id": "g1", "task": "aigc_score", "media": ["g1.mp4"], "dataset": "lgvq", "scores": '
                        '{"spatial": 40, "temporal": 30, "alignment": 50}, "score_range": [0, 100]}\n')
    line = error_line(eval_app.main, [str(manifest), f"output={tmp_path / 'out'}"], capsys)
    assert line == (f"error: {manifest}:1: row 'g1' has no 'prompt', and the aigc_score question quotes it: add "
                    '"prompt" to the row (for an AI-generated clip, the text prompt it was generated from)')
    assert not (tmp_path / "out").exists()


def test_a_run_folder_made_with_other_settings_is_refused(tmp_path, capsys):
    """Its finished stage or checkpoints would otherwise be reused for settings that did not make them."""
    folder = tmp_path / "tiny" / "stage1"
    earlier = load_config(StageConfig, tiny_config("stage1"), [f"runs={tmp_path}", "grpo.max_steps=7"])
    claim_folder(folder, earlier)
    saved = (folder / "config.yaml").read_text()
    line = error_line(stage1.main, [f"runs={tmp_path}"], capsys)
    assert line == (f"error: the run there was made with other settings (grpo.max_steps differ) ({folder}): "
                    f"give another name=, or delete {folder} to start it again")
    assert (folder / "config.yaml").read_text() == saved
    claim_folder(folder, earlier)  # the same settings again: accepted


def test_a_run_folder_that_started_from_other_models_is_refused(judge_folder, tmp_path, capsys):
    """Stage 3's steps are reused only while its starting judge and generator are the ones they came from."""
    judge = tmp_path / "judge"
    shutil.copytree(judge_folder, judge)
    inputs = lambda: {"judge": model_identity(judge), "generator": "org/generator"}
    claim_inputs(tmp_path / "run", inputs())
    claim_inputs(tmp_path / "run", inputs())  # the same models: accepted
    weights = judge / "model.safetensors"
    weights.write_bytes(weights.read_bytes())  # rewritten, e.g. by retraining stage 2 in place
    with pytest.raises(ValueError, match=r"^the run there started from another judge \(.*run\): give another name="):
        claim_inputs(tmp_path / "run", inputs())
