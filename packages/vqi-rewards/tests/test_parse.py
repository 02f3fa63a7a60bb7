"""Parsers: completion structure, numbers, per-dimension scores, choices, and malformed text."""

import time

import pytest

from vqi_rewards import ParsedCompletion, parse_choice, parse_completion, parse_score, parse_scores


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("<think>sharp</think><answer>3.5</answer>", ParsedCompletion("3.5", "sharp")),
        # case-insensitive tags, whitespace inside tags and around content
        (
            "< THINK >\n sharp \n</Think>\n\n<Answer>\n 3.5\n</ answer >",
            ParsedCompletion("3.5", "sharp"),
        ),
        # the LAST answer block wins; its think block is the last one before it
        (
            "<think>a</think><answer>1</answer><think>b</think><answer>2</answer>",
            ParsedCompletion("2", "b"),
        ),
        # an answer drafted inside the reasoning does not count over the final one
        (
            "<think>maybe <answer>1</answer></think><answer>4</answer>",
            ParsedCompletion("4", "maybe <answer>1</answer>"),
        ),
        # a repeated opening tag pairs the close with the nearest open
        ("<answer>1 <answer>2</answer>", ParsedCompletion("2", None)),
        # a stray closing tag after a complete block is ignored
        ("<answer>1</answer></answer>", ParsedCompletion("1", None)),
        # a truncated final block is not a block: the last complete one counts
        ("<answer>1</answer><answer>2", ParsedCompletion("1", None)),
        ("no tags at all 3.5", None),
        ("<answer>3.5", None),
        ("</answer>3.5<answer>", None),
        ("", None),
    ],
)
def test_parse_completion(completion: str, expected: ParsedCompletion | None) -> None:
    assert parse_completion(completion) == expected


def test_parse_completion_reads_chat_messages_and_text_parts() -> None:
    plain = [{"role": "assistant", "content": "<think>t</think><answer>B</answer>"}]
    parts = [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "<think>t</think>"},
                {"type": "image"},  # non-text parts carry no answer
                {"type": "text", "text": "<answer>B</answer>"},
            ],
        }
    ]
    assert parse_completion(plain) == parse_completion(parts) == ParsedCompletion("B", "t")
    assert parse_completion([{"role": "assistant", "content": None}]) is None


@pytest.mark.parametrize("completion", [None, 3.5, {"role": "assistant", "content": "x"}, ["text"]])
def test_parse_completion_rejects_what_trl_never_passes(completion: object) -> None:
    with pytest.raises(TypeError, match=r"completion|message"):
        parse_completion(completion)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("3.5", 3.5),
        ("72.40", 72.4),
        ("72.4/100", 72.4),  # already on the task scale: not rescaled
        ("score: 4", 4.0),
        ("The quality score is 4 out of 5.", 4.0),
        ("**3.25**", 3.25),
        (".5", 0.5),
        ("+4", 4.0),
        ("-3", -3.0),
        ("-1e2", -100.0),
        ("2.5E1", 25.0),
        ("5.", 5.0),
        ("LGVQ2 rates it 3", 3.0),  # digits inside a word are not the score
        ("v2.1 says 4", 4.0),
        ("1e999", None),  # overflows to inf: not a finite score
        ("excellent", None),
        ("", None),
        ("e5", None),
        ("-.", None),
    ],
)
def test_parse_score(answer: str, expected: float | None) -> None:
    assert parse_score(answer) == expected


GT = {"spatial": 40.5, "temporal": 32.6, "consistency": 56.3}


@pytest.mark.parametrize(
    "answer",
    [
        '{"spatial": 40.5, "temporal": 32.6, "consistency": 56.3}',
        '"spatial": 40.5, "temporal": 32.6, "consistency": 56.3',
        "{'spatial': 40.5, 'temporal': 32.6, 'consistency': 56.3}",
        "spatial: 40.5, temporal: 32.6, consistency: 56.3",
        "Spatial = 40.5\nTemporal=32.6\nCONSISTENCY: 56.3",
        '{"spatial": "40.5", "temporal": "32.6", "consistency": "56.3"}',
        "Scores - spatial: 40.5; temporal: 32.6; consistency: 56.3.",
    ],
)
def test_parse_scores_formats(answer: str) -> None:
    assert parse_scores(answer) == GT


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"Text-Video Alignment": 3}', {"text-video alignment": 3.0}),
        ("spatial: 1, spatial: 2", {"spatial": 2.0}),  # last value wins, as in JSON
        ("spatial: 4, temporal: high", {"spatial": 4.0}),
        ("spatial: 1e999, temporal: 2", {"temporal": 2.0}),
        ("it's spatial: 4", {"spatial": 4.0}),
        ("40.5, 32.6, 56.3", None),
        ("spatial is good", None),
        ("", None),
    ],
)
def test_parse_scores_edge_cases(answer: str, expected: dict[str, float] | None) -> None:
    assert parse_scores(answer) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Video A", "Video A"),
        ("A", "Video A"),
        ("video b", "Video B"),
        ("Video B.", "Video B"),
        ("videoB", "Video B"),
        ("**Video A**", "Video A"),
        ('"b"', "Video B"),
        ("(A)", "Video A"),
        ("Video A is sharper and more stable.", "Video A"),
        ("I prefer video b", "Video B"),
        ("yes", "yes"),
        ("Yes.", "yes"),
        ("NO", "no"),
        ("No, the motion is not reasonable.", "no"),
        ("Video A is sharper but video B moves better", None),  # both named: ambiguous
        ("None of them", None),  # "no" must be a whole word
        ("Nope", None),
        ("C", None),
        ("AB", None),
        ("a video", None),
        ("", None),
    ],
)
def test_parse_choice(answer: str, expected: str | None) -> None:
    assert parse_choice(answer) == expected


# Adversarial answer text: long runs that a backtracking pattern would retry from every position.
ADVERSARIAL = {
    "word run": "a",
    "hyphenated run": "x-",
    "spaced words": "spatial ",
    "near pairs": "spatial: x, ",
    "pairs": "spatial: 1, ",
    "open quotes": '"a',
    "mixed quotes": "'a\"b",
    "unclosed tags": "<answer><think>",
    "tag-like": "< / answer ",
    "video mentions": "video ",
}
PARSERS = {
    "parse_completion": lambda text: parse_completion(f"<think>{text}</think><answer>{text}</answer>"),
    "parse_score": parse_score,
    "parse_scores": parse_scores,
    "parse_choice": parse_choice,
}


def _seconds(parse, text: str) -> float:
    """The best of three timings of ``parse(text)``."""
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        parse(text)
        timings.append(time.perf_counter() - start)
    return min(timings)


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("case", ADVERSARIAL)
def test_parsers_run_in_linear_time(parser: str, case: str) -> None:
    """Ten times the text costs about ten times the time: a quadratic parser costs about a hundred.

    The bound is 25x the 100 kB time (floored at 1 ms, below which timings are noise), which a
    linear parser meets with room to spare and a quadratic one (100x) does not.
    """
    unit = ADVERSARIAL[case]
    small, large = unit * (100_000 // len(unit)), unit * (1_000_000 // len(unit))
    parse = PARSERS[parser]
    assert _seconds(parse, large) <= 25 * max(_seconds(parse, small), 1e-3)


@pytest.mark.parametrize("parse", [parse_score, parse_scores, parse_choice])
@pytest.mark.parametrize("answer", [None, 3, ["A"]])
def test_answer_parsers_refuse_what_is_not_text_with_a_type_error(parse, answer: object) -> None:
    with pytest.raises(TypeError, match=f"answer must be a string, got {type(answer).__name__}"):
        parse(answer)
