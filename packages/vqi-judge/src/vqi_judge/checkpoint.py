"""Check a judge checkpoint before loading it: a bad folder gets its reason and its fix, not a
traceback from deep inside transformers or safetensors."""

from __future__ import annotations

import re
from pathlib import Path

from safetensors import SafetensorError, safe_open

# A hub id as transformers accepts it: "namespace/name" (or a bare name), no path syntax.
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)?")
_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
CONVERT_FIX = (
    "convert the weights to safetensors where you trust their source "
    "(load them there and call save_pretrained, which writes model.safetensors)"
)


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded, with the file at fault and what to do about it.

    A subclass of ``ValueError``, so callers that already catch bad input keep working.

    Attributes:
        path: the folder or file at fault.
        reason: what is wrong, in a few words.
        fix: what the user can do.
    """

    def __init__(self, path: str | Path, reason: str, fix: str) -> None:
        self.path = Path(path)
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason} ({self.path}): {fix}")

    def __reduce__(self) -> tuple[type[CheckpointError], tuple[Path, str, str]]:
        return (type(self), (self.path, self.reason, self.fix))


def is_hub_id(name: str | Path) -> bool:
    """Whether ``name`` reads as a hub id (``Qwen/Qwen2.5-VL-7B-Instruct``) rather than a path."""
    text = str(name)
    return bool(_HUB_ID.fullmatch(text)) and not Path(text).exists()


def check_checkpoint(path_or_id: str | Path) -> None:
    """Refuse a local checkpoint folder that cannot load, before any weights are read.

    A hub id passes (transformers resolves it). A local folder must hold ``config.json`` and
    safetensors weights whose headers are complete; pickle weights (``pytorch_model.bin``) are
    never loaded, since unpickling runs code.

    Raises:
        CheckpointError: naming the folder or file and the fix.
    """
    if is_hub_id(path_or_id):
        return
    path = Path(path_or_id).expanduser()
    if not path.exists():
        raise CheckpointError(path, "checkpoint folder does not exist",
                              "give a folder written by save_pretrained (e.g. runs/<name>/stage2/final) "
                              "or a hub id such as Qwen/Qwen2.5-VL-7B-Instruct")
    if not path.is_dir():
        raise CheckpointError(path, "is a file, not a checkpoint folder",
                              "give the folder that holds config.json and model.safetensors")
    if not (path / "config.json").is_file():
        raise CheckpointError(path, "checkpoint folder has no config.json",
                              "give a folder written by save_pretrained (a stage's final/ or checkpoint-N/)")
    weights = sorted(path.glob("*.safetensors"))
    if not weights:
        pickles = sorted(p.name for p in path.iterdir() if p.suffix in _PICKLE_SUFFIXES)
        if pickles:
            raise CheckpointError(path / pickles[0], "only pickle weights, which are never loaded (unpickling runs code)",
                                  CONVERT_FIX)
        raise CheckpointError(path, "checkpoint folder has no model.safetensors",
                              "give a folder written by save_pretrained, with its weights")
    for file in weights:
        try:
            with safe_open(str(file), framework="pt"):
                pass
        except (SafetensorError, OSError) as err:
            raise CheckpointError(file, f"weights file is incomplete or corrupt ({err})",
                                  "write it again (a run killed while saving leaves such a file), "
                                  "or use an earlier checkpoint") from None
