"""Training configurations as data: ``train/configs/<name>.json`` or any JSON file of the same keys.

A config may name another in ``base`` (a config name or a path relative to it): it then holds only what it
changes. Objects merge key by key (``{"loss_weights": {"motion": 4.0}}`` keeps the other weights); any
other value replaces the base's.
"""

from __future__ import annotations

import json
from pathlib import Path

CONFIG_DIR = Path(__file__).parent / "configs"
REQUIRED = ("network", "components", "epochs", "freeze_head_epochs", "lr_schedule", "batch_pairs",
            "epoch_fraction", "emotion_init_std", "loss_weights", "loss_ema_beta", "members",
            "checkpoint_every", "pca_max_frames", "seed")


def _merge(base: dict, change: dict) -> dict:
    out = dict(base)
    for key, value in change.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _resolve(name_or_path: str | Path, relative_to: Path | None = None, seen: tuple = ()) -> tuple[dict, Path]:
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / f"{name_or_path}.json"
    elif relative_to is not None and not path.is_absolute():
        path = relative_to / path
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.json")))
        raise ValueError(f"{name_or_path}: no such config (named configs: {known})")
    if path.resolve() in seen:
        raise ValueError(f"{path}: config bases form a loop")
    config = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(config, dict):
        raise ValueError(f"{path}: a config must be a JSON object")
    base = config.pop("base", None)
    if base is not None:
        parent, _ = _resolve(base, path.parent, (*seen, path.resolve()))
        parent.pop("description", None)
        parent.pop("name", None)
        config = _merge(parent, config)
    return config, path


def load_config(name_or_path: str, **overrides) -> dict:
    """A named config (``small``, ``paper``) or a JSON file, with its ``base`` chain merged in;
    ``overrides`` replace top-level keys."""
    config, path = _resolve(name_or_path)
    config.update({k: v for k, v in overrides.items() if v is not None})
    missing = [k for k in REQUIRED if k not in config]
    if missing:
        raise ValueError(f"{path}: config lacks {', '.join(missing)}")
    config["name"] = config.get("name", path.stem)
    return config


def scheduled(config: dict, key: str, epoch: int, default: float) -> float:
    """``config[key]`` at ``epoch``: a number, or ``[[start_epoch, value], ...]`` whose last step at or
    before ``epoch`` holds (the first step's value before it); ``default`` when the key is absent."""
    schedule = config.get(key, default)
    if isinstance(schedule, (int, float)) and not isinstance(schedule, bool):
        return float(schedule)
    if not isinstance(schedule, list) or not schedule or not all(
            isinstance(step, list) and len(step) == 2 for step in schedule):
        raise ValueError(f"config {key!r}: expected a number or [[start_epoch, value], ...], got {schedule!r}")
    value = schedule[0][1]
    for start, v in schedule:
        if epoch >= start:
            value = v
    return float(value)


def learning_rate(config: dict, epoch: int) -> float:
    """The rate of the last ``[start_epoch, lr]`` step of ``lr_schedule`` at or before ``epoch``."""
    return scheduled(config, "lr_schedule", epoch, 0.0)


LR_RULES = ("sqrt", "linear", "none")


def with_batch(config: dict, batch_pairs: int, rule: str = "sqrt") -> dict:
    """``config`` trained with ``batch_pairs`` pairs per step, its learning rates scaled by ``rule``:
    ``sqrt`` multiplies them by sqrt(new / old batch), the square-root rule that keeps Adam's updates
    per frame seen about the same (Malladi et al. 2022, "On the SDEs and scaling rules for adaptive
    gradient algorithms"); ``linear`` by new / old (the SGD rule, usually too much for Adam); ``none``
    keeps them. An epoch still sees the same frames, in fewer, larger steps."""
    if rule not in LR_RULES:
        raise ValueError(f"learning-rate rule {rule!r}: expected one of {', '.join(LR_RULES)}")
    if int(batch_pairs) < 1:
        raise ValueError(f"--batch-pairs {batch_pairs}: a step needs at least 1 frame pair")
    old = int(config["batch_pairs"])
    ratio = int(batch_pairs) / old
    factor = {"sqrt": ratio ** 0.5, "linear": ratio, "none": 1.0}[rule]
    schedule = config["lr_schedule"]
    if isinstance(schedule, (int, float)):
        scaled = float(schedule) * factor
    else:
        scaled = [[start, float(lr) * factor] for start, lr in schedule]
    return {**config, "batch_pairs": int(batch_pairs), "lr_schedule": scaled,
            "lr_rule": {"rule": rule, "from_batch_pairs": old, "factor": factor}}
