"""Score, compare or question videos with a reasoning judge, and print its reasoning and answer.

    uv run apps/infer.py clip.mp4                                   # quality score (1-5) with reasoning
    uv run apps/infer.py a.mp4 --compare b.mp4 --prompt "a cat surfing"
    uv run apps/infer.py photo.jpg --task image_score
    uv run apps/infer.py clip.mp4 --task aigc_score --prompt "a cat surfing"
    uv run apps/infer.py clip.mp4 --task vqa --question "Is the motion smooth?"
    uv run apps/infer.py folder/ --json results.json                # every video and image in a folder
    uv run apps/infer.py data.jsonl                                 # a manifest: each row's task and media
    uv run apps/infer.py clip.mp4 --config apps/configs/infer/qwen2.5-vl-7b.yaml   # the real judge, on a GPU
    uv run apps/infer.py clip.mp4 judge.max_new_tokens=64           # any config key as key=value

With no --model or config, the judge is the tiny Qwen2.5-VL built locally on first use: it runs the
same code as the 7B but is untrained, so its text is noise until stages 1-2 train it.
Files that cannot be decoded are reported and skipped; the exit code is 1 if any was.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from vqi_apps.config import run
from vqi_apps.judging import open_judge
from vqi_config import load_config, split_overrides
from vqi_judge import TASKS, JudgeConfig, Judgement, check_checkpoint, check_media, read_manifest
from vqi_video import VideoDecodeError

MEDIA_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".flv", ".ts", ".3gp", ".m4v",
                  ".png", ".jpg", ".jpeg", ".webp", ".bmp"}


@dataclass
class InferConfig:
    """Settings of apps/infer.py.

    Attributes:
        judge: which judge runs and how (see ``vqi_apps.judging``).
        seed: seed of sampling (with ``judge.do_sample=true``).
    """

    judge: JudgeConfig = field(default_factory=JudgeConfig)
    seed: int = 0


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("media", nargs="+", help="video or image files, folders of them, or manifests (.jsonl)")
    parser.add_argument("--compare", help="compare MEDIA (Video A) with this clip (Video B)")
    parser.add_argument("--task", choices=sorted(TASKS),
                        help="default: video_score for videos, image_score for images, compare with --compare")
    parser.add_argument("--prompt", help="the generation prompt of AIGC clips (aigc_score, compare)")
    parser.add_argument("--question", help="the yes/no question of --task vqa")
    parser.add_argument("--json", type=Path, help="also write every result to this JSON file")
    parser.add_argument("--config", type=Path, help="YAML config (see apps/configs/infer/)")
    parser.add_argument("--model", help="a local judge folder or hub id (shortcut for judge.model=…)")
    rest, overrides = split_overrides(argv)
    return parser.parse_args(rest), overrides


def items(args: argparse.Namespace) -> list[tuple[list[Path], str | None, dict]]:
    """What to judge: ``(media, task or None for the default, text fields)`` per item.

    Files are taken as given, folders replaced by the media files inside them (sorted), and a
    manifest (``.jsonl``) by its rows, each with its own task, prompt and question.
    """
    fields = {k: v for k, v in {"prompt": args.prompt, "question": args.question}.items() if v}
    out = []
    for name in args.media:
        path = Path(name)
        if path.suffix == ".jsonl":
            rows = read_manifest(path)
            check_media(rows)
            out += [([Path(m) for m in r.media], r.task, {"prompt": r.prompt, "question": r.question}) for r in rows]
            continue
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in MEDIA_SUFFIXES) if path.is_dir() else [path]
        if not files:
            raise FileNotFoundError(f"no video or image files in the folder ({path}): "
                                    f"give files or folders holding {', '.join(sorted(MEDIA_SUFFIXES))}")
        for file in files:
            media = [file, Path(args.compare)] if args.compare else [file]
            out.append((media, args.task, fields))
    return out


def default_task(clips: list) -> str:
    """compare for two clips, image_score for an image, video_score for a video."""
    if len(clips) == 2:
        return "compare"
    return "image_score" if clips[0].is_image else "video_score"


def show(media: list[Path], result: Judgement) -> None:
    print(f"== {' vs '.join(str(m) for m in media)} [{result.task}]")
    print(f"reasoning: {result.reasoning or '(none)'}")
    if result.parse_failed:
        print(f"answer: (no readable answer) raw output: {result.text!r}")
    else:
        answer = {k: v for k, v in asdict(result).items() if k not in ("task", "text", "reasoning", "parse_failed")}
        print("answer: " + ", ".join(f"{k}={v}" for k, v in answer.items() if v is not None))


def main(argv: list[str] | None = None) -> int:
    args, overrides = parse_args(sys.argv[1:] if argv is None else argv)
    config = load_config(InferConfig, args.config, overrides + ([f"judge.model={args.model}"] if args.model else []))
    if config.judge.model:
        check_checkpoint(config.judge.model)
    missing = [name for name in [*args.media, *([args.compare] if args.compare else [])] if not Path(name).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or folder ({missing[0]}): give video or image files, folders of them or manifests")
    todo = items(args)
    torch.manual_seed(config.seed)
    judge = open_judge(config.judge)
    requests, shown, failed = [], [], 0
    for group, task, fields in todo:
        try:
            clips = [judge.load(m) for m in group]
            requests.append(judge.request(task or default_task(clips), clips, **fields))
            shown.append(group)
        except (VideoDecodeError, FileNotFoundError) as err:
            failed += 1
            print(f"skipped {' vs '.join(map(str, group))}: {err}", file=sys.stderr)
    results = judge.run(requests, progress=len(requests) > judge.config.batch_size)
    for group, result in zip(shown, results):
        show(group, result)
    if args.json:
        rows = [{"media": [str(m) for m in g], **asdict(r)} for g, r in zip(shown, results)]
        args.json.write_text(json.dumps(rows, indent=2))
        print(f"wrote {len(rows)} results to {args.json}")
    print(f"{len(results)} judged, {failed} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    run(lambda: sys.exit(main()))
