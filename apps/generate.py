"""Best-of-N video generation with the judge as the selector: sample N clips, run the tournament, keep the winner.

    uv run apps/generate.py "a red ball rolling on the grass" --best-of 8
    uv run apps/generate.py "a bird flying over the sea" --best-of 4 --keep-all --out runs/generate
    uv run apps/generate.py "a dog running" judge.model=runs/tiny/stage3/round_1/judge/final generator.model=runs/tiny/stage3/round_1/dpo/pipeline

The same code as stage 3's steps 1-2 (vqi_apps.generation): the generator samples N candidates
with seeds ``seed .. seed + N - 1``, the judge compares every pair (``both_orders=true`` shows each
pair both ways and counts a win only when both agree), and the candidate with the most wins is
written to ``<out>/<prompt slug>/winner.mp4``. With ``--keep-all`` every candidate stays in
``candidates/`` and ``tournament.json`` lists each one's seed and wins and the judge's text per
comparison. With no model given, the tiny judge and the tiny generator are built locally on first use.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from vqi_apps.config import run
from vqi_apps.generation import GeneratorConfig, generator_path, open_generator, run_tournament, sample_candidates
from vqi_apps.judging import open_judge
from vqi_config import load_config, save_config, split_overrides
from vqi_judge import JudgeConfig


@dataclass
class GenerateConfig:
    """Settings of apps/generate.py.

    Attributes:
        judge: the judge that picks the winner.
        generator: the generator and how it samples.
        both_orders: judge each pair as A/B and B/A.
        seed: the first candidate's seed (candidate k uses seed + k) and the tie-break seed.
    """

    judge: JudgeConfig = field(default_factory=JudgeConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    both_orders: bool = False
    seed: int = 0


def slug(prompt: str) -> str:
    """A folder name for a prompt: lowercase words joined by dashes, at most 60 characters."""
    return re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:60] or "prompt"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prompt", help="the text prompt")
    parser.add_argument("--best-of", type=int, default=4, help="N, the candidates to sample (default 4)")
    parser.add_argument("--keep-all", action="store_true", help="keep every candidate, its wins and the judge's text")
    parser.add_argument("--out", type=Path, default=Path("runs/generate"), help="output folder (default runs/generate)")
    parser.add_argument("--config", type=Path, help="YAML config with judge / generator sections")
    rest, overrides = split_overrides(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(rest)
    if args.best_of < 2:
        raise ValueError(f"--best-of {args.best_of}: a tournament needs at least 2 candidates")
    config = load_config(GenerateConfig, args.config, overrides)
    folder = args.out / slug(args.prompt)
    if folder.exists():
        shutil.rmtree(folder)
    work = folder if args.keep_all else Path(tempfile.mkdtemp(prefix="vqi-generate-"))
    try:
        pipe = open_generator(generator_path(config.generator), config.generator.device)
        seeds = [config.seed + k for k in range(args.best_of)]
        (candidates,) = sample_candidates(pipe, config.generator, work / "candidates", [("p", args.prompt, seeds)])
        judge = open_judge(config.judge)
        (tournament,) = run_tournament(judge, [candidates], work / "tournament", both_orders=config.both_orders, seed=config.seed)
        result = tournament.result
        best = result.best
        if best is None:
            print("the judge gave every candidate the same wins; keeping candidate 0")
            best = 0
        folder.mkdir(parents=True, exist_ok=True)
        winner = folder / "winner.mp4"
        shutil.copyfile(candidates.clips[best], winner)
        if args.keep_all:
            save_config(config, folder / "config.yaml")
            (folder / "tournament.json").write_text(json.dumps({
                "prompt": args.prompt,
                "winner": best,
                "candidates": [{"clip": str(c.relative_to(folder)), "seed": s, "wins": w}
                               for c, s, w in zip(candidates.clips, candidates.seeds, result.wins)],
                "comparisons": [{"shown": list(pair), "outcome": outcome, "text": tournament.reasoning.get(pair, "")}
                                for pair, outcome in result.matches],
            }, indent=1))
    finally:
        if not args.keep_all:
            shutil.rmtree(work, ignore_errors=True)
    print(f"wins per candidate: {list(result.wins)}; winner: candidate {best} (seed {candidates.seeds[best]})")
    print(f"wrote {winner}")
    return winner


if __name__ == "__main__":
    run(main)
