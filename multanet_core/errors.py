"""The one exception type of core: every bad input ends here with a message a user can act on."""

from typing import Any


class MulTaNetError(ValueError):
    """Bad input (audio, checkpoint, configuration): the message says what and where."""


class AudioError(MulTaNetError):
    """Audio that cannot be used: unreadable, empty, non-finite, too short a rate, too long."""


class CheckpointError(MulTaNetError):
    """A file that is not a valid MulTaNet checkpoint; the message names the file and the problem."""


def from_json_object(cls: Any, data: Any, what: str) -> Any:
    """Build the dataclass ``cls`` from a JSON object, naming ``what`` in any error."""
    if not isinstance(data, dict):
        raise MulTaNetError(f"{what} must be a JSON object, got {type(data).__name__}")
    unknown = set(data) - set(cls.__dataclass_fields__)
    if unknown:
        raise MulTaNetError(f"{what}: unknown keys {sorted(unknown)}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise MulTaNetError(f"{what}: {exc}") from exc
