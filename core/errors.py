"""The one exception type of core: every bad input ends here with a message a user can act on."""


class MulTaNetError(ValueError):
    """Bad input (audio, checkpoint, configuration): the message says what and where."""


class AudioError(MulTaNetError):
    """Audio that cannot be used: unreadable, empty, non-finite, too short a rate, too long."""


class CheckpointError(MulTaNetError):
    """A file that is not a valid MulTaNet checkpoint; the message names the file and the problem."""
