"""apps/stage1.py and apps/stage2.py on their tiny configs, shortened: the chain, outputs, skip when done."""

import pytest
import yaml
from vqi_judge import Judge

from entrypoints import load_app
from vqi_apps.config import CONFIGS

stage1 = load_app("stage1")
stage2 = load_app("stage2")



def test_stage2_default_runs_stage1_first_then_skips_finished_stages(tmp_path, capsys):
    short = [f"runs={tmp_path}", "grpo.max_steps=2", "grpo.save_steps=1", "grpo.max_completion_length=8",
             "grpo.per_device_train_batch_size=8", "synthetic.video_score=2", "synthetic.aigc_score=2", "synthetic.compare=2", "synthetic.vqa=2"]
    second = stage2.main(short)  # no --config: the embedded tiny default, end to end
    first = tmp_path / "tiny" / "stage1" / "final"
    assert "running apps/stage1.py on its tiny config first" in capsys.readouterr().out
    assert second == tmp_path / "tiny" / "stage2" / "final"
    for folder in (first, second):
        summary = yaml.safe_load((folder / "summary.yaml").read_text())
        assert summary["skipped_prompts"] == 0
    assert yaml.safe_load((second / "summary.yaml").read_text())["steps"] == 2
    saved = yaml.safe_load((tmp_path / "tiny" / "stage2" / "config.yaml").read_text())
    assert saved["grpo"]["max_steps"] == 2 and saved["rewards"]["temporal"] is True
    judge = Judge.from_pretrained(second, max_new_tokens=4)  # the stage-2 judge loads as a judge
    assert judge.model.config.model_type == "qwen2_5_vl"
    # Finished stages are not trained again.
    assert stage1.main([f"runs={tmp_path}"]) == first
    assert stage2.main(short) == second
    out = capsys.readouterr().out
    assert "stage1 already complete" in out and "stage2 already complete" in out


def test_stage2_with_another_config_needs_stage1(tmp_path):
    with pytest.raises(FileNotFoundError, match="run apps/stage1.py first"):
        # On this CPU machine: the paper config's GPU settings would be refused first (bf16, DeepSpeed).
        cpu = ["grpo.bf16=false", "grpo.deepspeed=null", "grpo.use_cpu=true"]
        stage2.main(["--config", str(CONFIGS / "stage2" / "qwen2.5-vl-7b.yaml"), f"runs={tmp_path}", *cpu])
