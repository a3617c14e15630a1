"""Training configurations as data: ``train/configs/<name>.json`` or any JSON file of the same keys.

A config may name another in ``base`` (a config name or a path relative to it): it then holds only what it
changes. Objects merge key by key (``{"loss_weights": {"motion": 4.0}}`` keeps the other weights); any
other value replaces the base's.

:func:`load_config` checks every file of the chain before anything trains: an unknown key (named with the
file and the nearest known key) or a value of the wrong type or range is a :class:`ConfigError`.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from collections.abc import Callable
from pathlib import Path

from multanet_core.errors import MulTaNetError
from multanet_core.lpc import FeatureConfig
from multanet_core.network_spec import NetworkSpec

CONFIG_DIR = Path(__file__).parent / "configs"
REQUIRED = ("network", "components", "epochs", "freeze_head_epochs", "lr_schedule", "batch_pairs",
            "epoch_fraction", "emotion_init_std", "loss_weights", "loss_ema_beta", "members",
            "checkpoint_every", "pca_max_frames", "seed")
LOSS_TERMS = ("position", "motion", "emotion", "contact")  # train.trainer.terms
# what a config's "network" may set; the rest of a NetworkSpec comes from the features and the data
NETWORK_KEYS = tuple(f.name for f in dataclasses.fields(NetworkSpec) if f.name not in (
    "architecture", "n_characters", "members", "n_frames", "order", "level_channels", "extra",
    "contact_outputs"))  # a contact head comes with loss_weights.contact (contact_outputs), or train contact-head
FEATURE_KEYS = tuple(f.name for f in dataclasses.fields(FeatureConfig))


class ConfigError(MulTaNetError):
    """A training config that cannot be used; the message names the file (or option), the key and why."""


def _real(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _whole(lo: int) -> Callable:
    def check(v):
        return None if isinstance(v, int) and not isinstance(v, bool) and v >= lo else f"a whole number >= {lo}"
    return check


def _number(lo: float, hi: float | None = None, above: bool = False) -> Callable:
    def check(v):
        ok = _real(v) and (v > lo if above else v >= lo) and (hi is None or v < hi)
        return None if ok else f"a number {'>' if above else '>='} {lo}" + (f" and < {hi}" if hi is not None else "")
    return check


def _times(v):
    return None if _real(v) and float(v).is_integer() and v >= 1 else "whole times >= 1"


def _schedule(value_check: Callable) -> Callable:
    """A number, or ``[[start_epoch, value], ...]`` with rising start epochs (see :func:`scheduled`)."""
    def check(v):
        if value_check(v) is None:
            return None
        expected = f"{value_check(None)}, or [[start_epoch, value], ...] with rising whole start epochs"
        if not isinstance(v, list) or not v or not all(isinstance(s, list) and len(s) == 2 for s in v):
            return expected
        starts = [s[0] for s in v]
        if any(_whole(0)(s) for s in starts) or starts != sorted(set(starts)) or any(value_check(s[1]) for s in v):
            return expected
        return None
    return check


def _text(v):
    return None if isinstance(v, str) else "a string"


def _languages(v):
    ok = isinstance(v, dict) and all(isinstance(k, str) and _whole(1)(n) is None for k, n in v.items())
    return None if ok else "{language code: whole times >= 1}"


def _object(keys: tuple[str, ...], value: Callable | None = None) -> Callable:
    def check(v):
        if not isinstance(v, dict):
            return "an object"
        for k, item in v.items():  # unknown keys are named by _unknown, before this
            problem = value(item) if value is not None and k in keys else None
            if problem:
                return f"an object whose {k!r} is {problem}"
        return None
    return check


# every key a config may hold, and what its value must be; the code reads no other
KEYS: dict[str, Callable] = {
    "base": _text, "description": _text, "name": _text,
    "network": _object(NETWORK_KEYS), "features": _object(FEATURE_KEYS), "augment": lambda v: (
        None if isinstance(v, dict) or v is None else "an object"),
    "components": _whole(1), "epochs": _whole(1), "freeze_head_epochs": _whole(0),
    "lr_schedule": _schedule(_number(0)), "batch_pairs": _whole(1), "epoch_fraction": _number(0, above=True),
    "emotion_init_std": _number(0), "emotion_lr_scale": _number(0, above=True),
    "emotion_per": lambda v: None if v in ("frame", "line") else '"frame" or "line"',
    "loss_weights": _object(LOSS_TERMS, _number(0)),
    "loss_ema_beta": _number(0, 1), "members": _whole(1), "checkpoint_every": _whole(1),
    "pca_max_frames": _whole(2), "seed": _whole(0),
    "lip_weight": _schedule(_number(0, above=True)), "bilabial_weight": _schedule(_number(0, above=True)),
    "aligned_bilabial_weight": _schedule(_number(0)), "aligned_frame_weight": _schedule(_number(0)),
    "rig_weight": _schedule(_number(0, above=True)), "neural_voice_repeat": _schedule(_times),
    "mesh_head_repeat": _schedule(_times), "language_repeat": _languages,
}
NESTED_KEYS = {"network": NETWORK_KEYS, "features": FEATURE_KEYS, "loss_weights": LOSS_TERMS}


def _augment_keys() -> tuple[str, ...]:
    from .augment import AugmentConfig  # scipy: only when a config has an augment object

    return tuple(AugmentConfig.__dataclass_fields__)


def _unknown(where: str, keys, known, prefix: str = "") -> None:
    for key in keys:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {prefix + near[0]!r}?" if near else f"; known: {', '.join(sorted(known))}"
            raise ConfigError(f"{where}: unknown config key {prefix + key!r}{hint}")


def _check_values(where: str, config: dict, option: bool = False) -> None:
    _unknown(where, config, KEYS)
    for key, value in config.items():
        nested = NESTED_KEYS.get(key) or (_augment_keys() if key == "augment" and isinstance(value, dict) else None)
        if nested is not None and isinstance(value, dict):
            _unknown(where, value, nested, f"{key}.")
        problem = KEYS[key](value)
        if problem:
            name = f"--{key.replace('_', '-')} {value!r}" if option else f"{key!r} is {value!r}"
            raise ConfigError(f"{where}: {name}: expected {problem}")


def _check_objects(path: Path, config: dict) -> None:
    """The merged network, features and augment objects build (their own checks: ranges, consistency)."""
    try:
        features = FeatureConfig.from_dict(config.get("features", {}))
        NetworkSpec.for_features(features, architecture="multanet", **config["network"])
        if config.get("augment"):
            from .augment import AugmentConfig

            AugmentConfig.from_dict(config["augment"])
    except (MulTaNetError, ValueError, TypeError) as exc:
        raise ConfigError(f"{path} (with its bases): {exc}") from None


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
        where = f" (the base of {seen[-1]})" if seen else ""
        raise ConfigError(f"{name_or_path}{where}: no such config (named configs: {known})")
    if path.resolve() in seen:
        raise ConfigError(f"{path}: config bases form a loop")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a config must be a JSON object")
    _check_values(str(path), config)
    base = config.pop("base", None)
    if base is not None:
        parent, _ = _resolve(base, path.parent, (*seen, path.resolve()))
        parent.pop("description", None)
        parent.pop("name", None)
        config = _merge(parent, config)
    return config, path


def load_config(name_or_path: str, **overrides) -> dict:
    """A named config (``small``, ``paper``) or a JSON file, with its ``base`` chain merged in;
    ``overrides`` (command-line options) replace top-level keys. Raises :class:`ConfigError`."""
    config, path = _resolve(name_or_path)
    given = {k: v for k, v in overrides.items() if v is not None}
    _check_values("the command line", given, option=True)
    config.update(given)
    missing = [k for k in REQUIRED if k not in config]
    if missing:
        raise ConfigError(f"{path}: config lacks {', '.join(missing)}")
    _check_objects(path, config)
    config["name"] = config.get("name", path.stem)
    return config


# what a resumed run may change (train fit --resume): how it trains on, not what the model or its targets are
SCHEDULE_KEYS = ("name", "description", "epochs", "lr_schedule", "lr_rule", "batch_pairs", "epoch_fraction",
                 "freeze_head_epochs", "loss_weights", "loss_ema_beta", "lip_weight", "bilabial_weight",
                 "aligned_bilabial_weight", "aligned_frame_weight", "rig_weight", "neural_voice_repeat",
                 "mesh_head_repeat", "language_repeat",
                 "checkpoint_every", "schedule")


def continued(previous: dict, config: dict, start: int) -> dict:
    """``config`` as the run.json of a run trained with ``previous`` and continued with ``config`` from epoch
    ``start`` records it: when the schedule changed, with ``schedule``, each config's name and schedule values
    with the epoch it took over from (``previous``'s own list, if it has one, up to ``start``)."""
    def values(c: dict) -> dict:
        return {k: c[k] for k in SCHEDULE_KEYS if k in c and k not in ("description", "schedule")}

    earlier = previous.get("schedule") or [{"from_epoch": 0, **values(previous)}]
    if values(previous) == values(config):
        return {**config, **({"schedule": previous["schedule"]} if "schedule" in previous else {})}
    return {**config, "schedule": [s for s in earlier if s["from_epoch"] < start]
            + [{"from_epoch": start, **values(config)}]}


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


def contact_outputs(config: dict) -> int:
    """How many lip-contact classes a MulTaNet trained with ``config`` predicts: all of
    :data:`multanet_core.contact.CONTACT_CLASSES` with a positive ``loss_weights.contact`` (the auxiliary loss),
    else none."""
    from multanet_core.contact import CONTACT_CLASSES

    return len(CONTACT_CLASSES) if float(config.get("loss_weights", {}).get("contact", 0.0)) > 0 else 0


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
        raise ConfigError(f"learning-rate rule {rule!r}: expected one of {', '.join(LR_RULES)}")
    if int(batch_pairs) < 1:
        raise ConfigError(f"--batch-pairs {batch_pairs}: a step needs at least 1 frame pair")
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
