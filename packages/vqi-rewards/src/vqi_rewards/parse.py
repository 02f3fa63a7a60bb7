"""Parsers for model answers, shared by the rewards and by the judge.

Every parser returns ``None`` for text it cannot read and never raises on a string, because a
policy under training produces arbitrary text and an unreadable answer is a zero reward, not a
crash; given something other than a string, each raises ``TypeError``, as the rewards do. Each
runs in time linear in the length of its input.
"""

import math
import re
from dataclasses import dataclass

from vqi_rewards.completions import Completion, completion_text
from vqi_rewards.tags import ANSWER, THINK, last_block

# Python's float syntax without inf/nan: "3.5", "72.40", ".5", "+4", "-1e2" (= -100.0).
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
# The lookbehind keeps digits that are part of a word or a version out: "LGVQ2", "v2.1".
_FIRST_NUMBER = re.compile(rf"(?<![\w.]){_NUMBER}")
# An unquoted name starts where a name cannot continue (the lookbehind): without it, a long run of
# name characters would be tried from every one of its positions, which is quadratic.
_SCORE_PAIR = re.compile(
    rf"""(?:"([^"\n]+)"|'([^'\n]+)'|(?<![\w-])([A-Za-z_][\w-]*))\s*[:=]\s*["']?({_NUMBER})"""
)
# Decoration a model puts around a bare choice: quotes, markdown emphasis, brackets, a full stop.
_CHOICE_EDGES = " \t\r\n\"'`*_.,;:!?()[]{}"
_LETTER = re.compile(r"(?:video\s*)?([ab])", re.IGNORECASE)
_YES_NO = re.compile(r"(yes|no)\b", re.IGNORECASE)
_VIDEO_MENTION = re.compile(r"\bvideo\s*([ab])\b", re.IGNORECASE)


def _string(answer: object) -> str:
    if not isinstance(answer, str):
        raise TypeError(f"answer must be a string, got {type(answer).__name__}")
    return answer


@dataclass(frozen=True)
class ParsedCompletion:
    """The parts of a ``<think>…</think><answer>…</answer>`` completion.

    Attributes:
        answer: Content of the last complete answer block, stripped.
        think: Content of the last complete think block before that answer, stripped, or
            ``None`` if there is none.
    """

    answer: str
    think: str | None


def parse_completion(completion: Completion) -> ParsedCompletion | None:
    """Splits a completion into its reasoning and its answer.

    Tags are case-insensitive and may contain whitespace; the answer is taken from the LAST
    complete answer block, so a model that drafts an answer inside its reasoning and then
    commits to another is judged on the final one.

    Args:
        completion: A string or a list of chat messages (see ``completion_text``).

    Returns:
        The parsed parts, or ``None`` if there is no complete answer block.
    """
    text = completion_text(completion)
    answer = last_block(text, ANSWER)
    if answer is None:
        return None
    answer_start, answer_text = answer
    think = last_block(text, THINK, end=answer_start)
    return ParsedCompletion(answer=answer_text, think=None if think is None else think[1])


def parse_score(answer: str) -> float | None:
    """Reads a single score from answer text: the first number in it.

    Accepted: ``3.5``, ``72.40``, ``.5``, ``score: 4``, ``72.4/100`` (72.4: the answer is
    already on the task's scale, so a ``/100`` or ``out of 5`` is not used to rescale),
    exponents (``-1e2`` is -100.0; the reward clips it into the score range). Digits inside a
    word (``LGVQ2``) are not numbers; decimal commas are not supported.

    Args:
        answer: The answer text, e.g. ``ParsedCompletion.answer``.

    Returns:
        The score, or ``None`` if the text holds no finite number.
    """
    match = _FIRST_NUMBER.search(_string(answer))
    if match is None:
        return None
    value = float(match.group())
    return value if math.isfinite(value) else None


def dimension_key(name: str) -> str:
    """Normalises a dimension name (case, surrounding and repeated whitespace) for matching."""
    return " ".join(name.split()).lower()


def parse_scores(answer: str) -> dict[str, float] | None:
    """Reads per-dimension scores (eq. 6) from answer text.

    Accepts JSON-like ``name: number`` pairs with or without braces, with double, single or no
    quotes around names (unquoted names are single words such as ``spatial`` or
    ``text-video``) and optionally quoted numbers, separated by anything:
    ``{"spatial": 40.5, "temporal": 32.6}``, ``spatial: 40.5, temporal=32.6``.
    A name given twice keeps its last value, as in JSON.

    Args:
        answer: The answer text.

    Returns:
        Scores keyed by ``dimension_key(name)`` (lower case), or ``None`` if no pair is found.
    """
    scores: dict[str, float] = {}
    for match in _SCORE_PAIR.finditer(_string(answer)):
        name = next(group for group in match.groups()[:3] if group is not None)
        value = float(match.group(4))
        if math.isfinite(value) and dimension_key(name):
            scores[dimension_key(name)] = value
    return scores or None


def parse_choice(answer: str) -> str | None:
    """Reads a preference choice or a yes/no answer (eq. 7).

    Rules, in order, after stripping quotes, brackets, markdown emphasis and punctuation from
    both ends:

    1. the whole answer is a letter, optionally after ``video``: ``A``, ``video b``, ``Video B.``;
    2. the answer starts with the word ``yes`` or ``no``: ``Yes, the motion is smooth.``;
    3. the answer names exactly one of ``video A`` / ``video B``: ``Video A is sharper.``
       (naming both is ambiguous and gives ``None``).

    Args:
        answer: The answer text (a label such as ``"video a"`` also parses).

    Returns:
        ``"Video A"``, ``"Video B"``, ``"yes"`` or ``"no"``, or ``None``.
    """
    text = _string(answer).strip(_CHOICE_EDGES)
    letter = _LETTER.fullmatch(text)
    if letter is not None:
        return f"Video {letter.group(1).upper()}"
    yes_no = _YES_NO.match(text)
    if yes_no is not None:
        return yes_no.group(1).lower()
    mentioned = {match.group(1).upper() for match in _VIDEO_MENTION.finditer(text)}
    if len(mentioned) == 1:
        return f"Video {mentioned.pop()}"
    return None
