"""Two GRPO steps on the rows of a JSON file; the main process writes the final weights.

Run by test_distributed.py, once as one process and once under ``accelerate launch --num_processes 2``.
Usage: train_two_steps.py JUDGE_DIR ROWS_JSON OUT_DIR PER_DEVICE_BATCH [SETTINGS_JSON]
(SETTINGS_JSON: more VideoGRPOConfig keyword arguments, e.g. {"deepspeed": "zero2.json"}; "lora": the
LoraSettings fields, e.g. {"lora": {"r": 4, "alpha": 8}}).
"""

import json
import sys

from transformers import AutoModelForImageTextToText, AutoProcessor

from vqi_grpo import LoraSettings, VideoGRPOConfig, VideoGRPOTrainer


def parity(completions, completion_ids, **_):
    return [sum(t % 2 for t in ids) / max(1, len(ids)) for ids in completion_ids]


def main() -> None:
    judge_dir, rows_file, out_dir, per_device = sys.argv[1:5]
    settings = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    if "lora" in settings:
        settings["lora"] = LoraSettings(**settings["lora"])
    rows = json.loads(open(rows_file).read())
    args = VideoGRPOConfig(
        output_dir=out_dir, per_device_train_batch_size=int(per_device), num_generations=4,
        max_completion_length=6, max_steps=2, logging_steps=1, learning_rate=3e-3, report_to=[],
        save_strategy="no", use_cpu="deepspeed" not in settings, max_frames=4, temporal_mode="off", seed=0,
        **settings,
    )
    model = AutoModelForImageTextToText.from_pretrained(judge_dir)
    trainer = VideoGRPOTrainer(model, AutoProcessor.from_pretrained(judge_dir), [parity], args, rows)
    trainer.train()
    trainer.save_model(out_dir + "/final")
    if trainer.accelerator.is_main_process:
        losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
        open(out_dir + "/losses.json", "w").write(json.dumps(losses))


if __name__ == "__main__":
    main()
