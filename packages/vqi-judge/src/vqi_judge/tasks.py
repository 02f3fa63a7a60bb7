"""The judge's tasks: one prompt template and one answer kind each.

The wording follows the paper (VQ-Insight, Fig. 1-3: think, then answer, with the score scale
stated; comparisons weigh visual quality, temporal consistency, dynamic degree and authenticity)
and is overridable per call or per task. Every template ends with :data:`REASONING_SUFFIX`, the
instruction the format reward checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

REASONING_SUFFIX = (
    " First output the thinking process in <think> </think> tags and then output the final "
    "answer in <answer> </answer> tags."
)

from .manifest import DIMENSIONS

AnswerKind = Literal["score", "scores", "choice", "yesno"]


@dataclass(frozen=True)
class Task:
    """A judge task.

    Attributes:
        name: the task key (``video_score``, ``compare``, …), also the ``task`` column of datasets.
        template: the question; ``{lo}``, ``{hi}``, ``{prompt}``, ``{question}`` and
            ``{dimensions}`` are filled in when present.
        answer: how the answer is parsed: one number, a dict of numbers, ``Video A``/``Video B``,
            or ``yes``/``no``.
        clips: how many clips one prompt shows (2 for comparisons).
        score_range: the default ``(lo, hi)`` scale for scoring tasks.
        default_prompt: the ``{prompt}`` used when a request gives none (None: the prompt is required).
    """

    name: str
    template: str
    answer: AnswerKind
    clips: int = 1
    score_range: tuple[float, float] | None = None
    default_prompt: str | None = None

    @property
    def needs(self) -> tuple[str, ...]:
        """The row fields the question quotes and has no default for (``prompt``, ``question``)."""
        defaults = {"prompt": self.default_prompt, "question": None}
        return tuple(key for key, default in defaults.items() if "{" + key + "}" in self.template and not default)

    def question(
        self,
        *,
        prompt: str | None = None,
        question: str | None = None,
        score_range: tuple[float, float] | None = None,
    ) -> str:
        """The filled-in question text for one item.

        Args:
            prompt: the generation prompt of an AIGC clip (multi-dimension scoring, comparison).
            question: the yes/no question of a VQA item.
            score_range: overrides the task's default scale.

        Returns:
            The question, ending with :data:`REASONING_SUFFIX`.
        """
        lo, hi = score_range or self.score_range or (0, 0)
        prompt = prompt or self.default_prompt
        given = {"prompt": prompt, "question": question}
        for key in self.needs:
            if not given[key]:
                raise ValueError(f"task {self.name!r} needs {key}=…; its template is {self.template!r}")
        text = self.template.format(
            lo=_number(lo), hi=_number(hi), prompt=prompt, question=question, dimensions=", ".join(DIMENSIONS)
        )
        return text + REASONING_SUFFIX


def _number(value: float) -> str:
    return f"{value:g}"


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            "image_score",
            "What is your overall rating on the quality of this image? The rating should be a float "
            "between {lo} and {hi}, rounded to two decimal places, with {lo} representing very poor "
            "quality and {hi} representing excellent quality.",
            "score",
            score_range=(0, 100),
        ),
        Task(
            "video_score",
            "What is your overall rating on the quality of this video? The rating should be a float "
            "between {lo} and {hi}, rounded to two decimal places, with {lo} representing very poor "
            "quality and {hi} representing excellent quality.",
            "score",
            score_range=(1, 5),
        ),
        Task(
            "aigc_score",
            'This video was generated from the prompt "{prompt}". Rate its spatial quality, temporal '
            "quality and text-video alignment, each a float between {lo} and {hi}. Answer in the form "
            '"spatial": s, "temporal": t, "alignment": a.',
            "scores",
            score_range=(1, 5),
        ),
        Task(
            "compare",
            'Both videos were generated from the prompt "{prompt}". Which video is better, considering '
            "visual quality, temporal consistency, dynamic degree and video authenticity? Answer "
            "Video A or Video B.",
            "choice",
            clips=2,
            default_prompt="a video",  # natural clips have no generation prompt
        ),
        Task("vqa", "{question} Answer yes or no.", "yesno"),
    )
}


def get_task(name: str) -> Task:
    """Look a task up by name, with an error that lists the known ones."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; known tasks: {sorted(TASKS)}") from None
