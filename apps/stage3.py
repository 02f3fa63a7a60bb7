"""Stage 3, united finetuning of generation and understanding: the judge aligns the generator with
DiffusionDPO, the generator's new winners refresh the judge, and the refreshed judge aligns it again.

    uv run apps/stage3.py                                                  # the tiny default, end to end, CPU
    uv run apps/stage3.py --config apps/configs/stage3/qwen2.5-vl-7b.yaml  # the paper's run (GPUs)
    uv run apps/stage3.py --config apps/configs/stage3/qwen2.5-vl-7b.yaml --dry-run   # preflight: tokens, rollouts, memory; writes nothing
    uv run apps/stage3.py candidates=8 both_orders=false dpo.max_steps=40  # any key as key=value

The loop (paper section "United Finetuning"), each step in its own folder of
``runs/<name>/stage3/``:

    round_0/generate    1. the generator G makes N candidates per prompt (MP4 + seeds)
    round_0/tournament  2. the stage-2 judge D runs a round robin per prompt -> pairs C (eq. 8)
    round_0/dpo         3. DiffusionDPO / Flow-DPO trains G on C -> G'
    round_1/generate    4. G' makes new candidates (same seeds), and
    round_1/refresh        D picks the best of each prompt, paired with C's loser -> C-hat
    round_1/judge       5. D is finetuned on C-hat + its stage-2 data with the stage-2 GRPO recipe -> D'
    round_1/tournament  6. D' judges G's new candidates -> a new preference set, and
    round_1/dpo            DPO again, from G' -> G'' (the final generator)
    final/generate         G'' samples the round-0 prompts and seeds (before/after DPO), and
    final/duel             D' compares each of them with G's clip of the same seed, in both orders

A step is skipped when its ``done.json`` exists; inside a step, finished prompts, recorded
verdicts and saved checkpoints are kept, so killing the process at any moment and running the
same command again ends with the same artefacts as an uninterrupted run. Under ``torchrun`` or
``accelerate launch`` with N processes, each generates and judges every N-th prompt and DPO and
the judge refresh run data-parallel; process 0 writes the shared files (``vqi_apps.processes``),
and the pairs and summary are those of one process. The resolved config is
``stage3/config.yaml``; the final summary ``stage3/summary.yaml``; the page ``runs/<name>/report.html``.

With no judge given (``judge.model``), the judge is this run's ``stage2/final``; the tiny default
runs stages 1 and 2 first when it is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vqi_apps.config import claim_folder, claim_inputs, run, tiny_config, writable_folder
from vqi_apps.generation import generator_path
from vqi_apps.heldout import format_curve, learning_curve
from vqi_apps.judging import model_identity
from vqi_apps.loop import Loop, Stage3Config, judge_recipe, print_summary, stage2_judge
from vqi_apps.preflight import dry_run
from vqi_apps.processes import Processes
from vqi_apps.runfolder import Stage3Summary
from vqi_apps.stage3report import build_report
from vqi_config import load_config, split_overrides
from vqi_judge import check_checkpoint

TINY = tiny_config("stage3")


def main(argv: list[str] | None = None) -> Path | None:
    if dry_run("stage3", argv):  # preflight only: nothing built or written
        return None
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=TINY, help="YAML config (default: the tiny CPU one)")
    rest, overrides = split_overrides(sys.argv[1:] if argv is None else argv)
    config_path = parser.parse_args(rest).config
    config = load_config(Stage3Config, config_path, overrides)
    recipe = judge_recipe(config, config_path)  # read first: a bad path fails before any work
    if config.judge.model:
        check_checkpoint(config.judge.model)
    processes = Processes.current()  # one, or those of torchrun / accelerate launch
    run_folder = config.run
    writable_folder(run_folder.stage("stage3"), "runs")
    d0 = stage2_judge(config, tiny=config_path.resolve() == TINY.resolve())
    loop = Loop(config, d0, recipe, processes)
    claim_folder(run_folder.stage("stage3"), config, processes)
    g0 = generator_path(config.generator)
    claim_inputs(run_folder.stage("stage3"), {"judge": model_identity(d0), "generator": model_identity(g0)}, processes)

    # Round 0: G's candidates, judged by D, train G'.
    generate_0 = loop.generate("generate_0", g0)
    tournament_0 = loop.tournament("tournament_0", d0, "generate_0", 0, g0)
    dpo_0 = loop.dpo("dpo_0", g0, "tournament_0")
    g1 = loop.trained(dpo_0, g0)
    # Round 1: the candidates of G' refresh D into D', whose verdicts train G''.
    generate_1 = loop.generate("generate_1", g1)
    refresh = loop.tournament("refresh", d0, "generate_1", 1, g1, previous="tournament_0")
    judge_refresh = loop.refresh_judge("judge_refresh", "refresh")
    d1 = run_folder.refreshed_judge
    tournament_1 = loop.tournament("tournament_1", d1, "generate_1", 1, g1)
    dpo_1 = loop.dpo("dpo_1", g1, "tournament_1")
    g2 = loop.trained(dpo_1, g1)
    # Final: G'' against G, same prompts and seeds, judged by D' and by a pixel statistic.
    generate_final = loop.generate("generate_final", g2)
    duel = loop.duel("duel", d1, "generate_0", "generate_final")
    summary = Stage3Summary(
        generate_0=generate_0, tournament_0=tournament_0, dpo_0=dpo_0, generate_1=generate_1, refresh=refresh,
        judge_refresh=judge_refresh, tournament_1=tournament_1, dpo_1=dpo_1, generate_final=generate_final,
        duel=duel, generator_quality=loop.generator_quality("generate_0", "generate_final", "tournament_0"),
    )
    if not processes.main:  # process 0 writes the summary and the report
        return run_folder.report
    summary.write(run_folder.summary)

    print("== held-out metrics of the run's judges (tools/learning_curve.py)")
    curve = learning_curve(run_folder.root)
    report = build_report(run_folder, summary, config.report_verdicts, learning=curve)
    print_summary(summary, run_folder)
    print(format_curve(curve))
    return report


if __name__ == "__main__":
    run(main)
