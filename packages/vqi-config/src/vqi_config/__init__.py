"""vqi-config: one loader for every config of the project (a dataclass from YAML plus ``key=value`` overrides)."""

from vqi_config.loader import build, load_config, save_config, split_overrides, to_plain

__version__ = "0.1.0"

__all__ = ["build", "load_config", "save_config", "split_overrides", "to_plain"]
