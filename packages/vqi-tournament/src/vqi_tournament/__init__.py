"""Round-robin tournaments of a pairwise judge and the preference sets they give (eq. 8).

``schedule`` lists the comparisons, any judge makes them (one call each, or all in a batch),
``tally`` counts wins and picks the best and worst candidate; ``round_robin`` does all three.
``select_pairs`` turns per-prompt results into the preference set C, ``refresh`` into C-hat,
and ``merge_for_judge`` into training rows for the judge. ``TournamentLog`` makes a long run
resumable; ``write_atomic`` replaces a file so that readers never see a part of it. See the
README for the selection rules and the durability guarantees.
"""

import importlib.metadata

from vqi_tournament.durable import write_atomic
from vqi_tournament.jsonl import read_pairs, write_pairs
from vqi_tournament.log import TournamentLog
from vqi_tournament.merge import C_HAT_DATASET, merge_for_judge
from vqi_tournament.pairs import PreferencePair, Provenance
from vqi_tournament.schedule import Match, Outcome, Pair, schedule
from vqi_tournament.selection import PromptResult, refresh, select_pairs
from vqi_tournament.tally import TournamentResult, tally
from vqi_tournament.tournament import Judge, round_robin

__version__ = importlib.metadata.version("vqi-tournament")

__all__ = [
    "C_HAT_DATASET",
    "Judge",
    "Match",
    "Outcome",
    "Pair",
    "PreferencePair",
    "PromptResult",
    "Provenance",
    "TournamentLog",
    "TournamentResult",
    "__version__",
    "merge_for_judge",
    "read_pairs",
    "refresh",
    "round_robin",
    "schedule",
    "select_pairs",
    "tally",
    "write_atomic",
    "write_pairs",
]
