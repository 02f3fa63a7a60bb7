"""What the entry points under apps/ share, importable by the apps, tools/ and tests/ alike.

Each app (``apps/stage1.py``, ``apps/stage3.py``, ``apps/eval.py``, ...) parses its config, calls
into this package and prints; no app imports another. One module per concept:

- ``config``: the shipped configs, saving a run's config in its folder and refusing one made otherwise
  (configs are read by vqi-config's one loader).
- ``defaults``: the tiny models and synthetic sets built into a cache on first use.
- ``processes``: several processes (torchrun / accelerate launch): who does which item, who writes.
- ``runfolder``: the layout of ``runs/<name>/`` and the records written there and read back.
- ``judging``: opening the judge of a ``judge`` section (``vqi_judge.JudgeConfig``), and its identity.
- ``training``: a GRPO stage (stages 1-2, and stage 3's judge refresh) from its config.
- ``stages``: stages 1 and 2 end to end, the tiny default running the previous stage first.
- ``generation``: sampling candidates from a generator and judging them in round robins.
- ``loop``: stage 3's united finetuning, step by step.
- ``generatorquality``: a pixel statistic of the generator's samples, never judged by the judge.
- ``evaltables``, ``evaluation``: the paper's tables, and evaluating a judge on a manifest.
- ``prepare``: the paper configs' manifests and prompt file from the downloaded datasets.
- ``heldout``: held-out metrics of a run's judges (tools/learning_curve.py).
- ``report``, ``stage3report``: the self-contained HTML page of a stage-3 run.
- ``preflight``: ``--dry-run``: a stage config sized on the meta device (vqi_grpo.preflight).
"""
