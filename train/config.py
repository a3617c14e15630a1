"""Training configurations as data: ``train/configs/<name>.json`` or any JSON file of the same keys."""

from __future__ import annotations

import json
from pathlib import Path

CONFIG_DIR = Path(__file__).parent / "configs"
REQUIRED = ("network", "components", "epochs", "freeze_head_epochs", "lr_schedule", "batch_pairs",
            "epoch_fraction", "emotion_init_std", "loss_weights", "loss_ema_beta", "members",
            "checkpoint_every", "pca_max_frames", "seed")


def load_config(name_or_path: str, **overrides) -> dict:
    """A named config (``small``, ``paper``) or a JSON file; ``overrides`` replace top-level keys."""
    path = Path(name_or_path)
    if not path.suffix:
        path = CONFIG_DIR / f"{name_or_path}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.json")))
        raise ValueError(f"{name_or_path}: no such config (named configs: {known})")
    config = json.loads(path.read_text(encoding="utf-8"))
    config.update({k: v for k, v in overrides.items() if v is not None})
    missing = [k for k in REQUIRED if k not in config]
    if missing:
        raise ValueError(f"{path}: config lacks {', '.join(missing)}")
    config["name"] = config.get("name", path.stem)
    return config


def learning_rate(config: dict, epoch: int) -> float:
    """The rate of the last ``[start_epoch, lr]`` step of ``lr_schedule`` at or before ``epoch``."""
    lr = config["lr_schedule"][0][1]
    for start, value in config["lr_schedule"]:
        if epoch >= start:
            lr = value
    return float(lr)
