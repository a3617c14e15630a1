"""Speech for the network from a Sequencer sound strip or a sound file, decoded by Blender's ``aud``.

``bpy.types.Sound.factory`` (of the evaluated sound) gives an ``aud.Sound`` for any sound
Blender reads, packed ones included; core resamples it to 16 kHz. Every sound is checked
before it is decoded (a missing or unreadable file raises in ``specs``; asking ``aud`` for the
samples of such a sound aborts the process; a WAV file shorter than its header says is refused
by core's check, as the command line refuses it, where ``aud`` would decode what is there), and
after (silence, NaN).

Blender builds without Audaspace (the pip ``bpy`` 4.2 module is one) have no ``aud``: there a
sound file is read with core's soundfile path if soundfile is installed, and anything else is
refused with a message that says why.
"""

from __future__ import annotations

import numpy as np

from multanet_core import audio as core_audio
from multanet_core.errors import AudioError
from multanet_core.paths import require_regular_file

require_sound = core_audio.require_sound  # one silence rule (and message) for the add-on and the command line


def _aud():
    try:
        import aud
    except ImportError:
        return None
    return aud


def _from_aud(sound, name: str) -> np.ndarray:
    """Check, decode and resample an ``aud.Sound`` to mono float32 at 16 kHz."""
    aud = _aud()
    try:
        rate, channels = sound.specs
        length = sound.length
    except aud.error as exc:
        raise AudioError(f"{name} cannot be read ({exc})") from exc
    core_audio.check_length(rate, length, name)  # the command line's checks and words
    try:
        data = np.asarray(sound.data(), dtype=np.float32)  # at the sound's own rate: decoding only
    except aud.error as exc:
        raise AudioError(f"{name} cannot be decoded ({exc})") from exc
    # core resamples, as it does for training: aud's resampler differs from it by a few percent near
    # 8 kHz, enough to move the LPC features (and its best quality is 7x slower)
    samples = core_audio.prepare(data, rate, name)
    return require_sound(samples, name, data)


def require_complete(path: str, name: str) -> None:
    """Refuse a WAV file whose header declares more audio than it holds (core's check, the command line's
    message): ``aud`` decodes what is there, and the bake would end early without a word."""
    try:
        missing = core_audio.wav_truncation(path)
    except OSError as exc:
        raise AudioError(f"{name} cannot be read ({exc})") from exc
    if missing:
        raise AudioError(f"{name} is truncated: {missing}; export it again")


def file_samples(path: str) -> np.ndarray:
    """16 kHz mono float32 speech from a sound file (absolute path)."""
    name = f"audio file '{path}'"
    if not path:
        raise AudioError("no audio file chosen")
    require_regular_file(path, "audio file", AudioError)  # a FIFO would block aud forever
    require_complete(path, name)
    aud = _aud()
    if aud is None:
        return _without_aud(path, name)
    if core_audio.pcm_wav(path):
        return core_audio.load_pcm_wav(path, name)
    try:
        sound = aud.Sound(path)
    except aud.error as exc:
        raise AudioError(f"{name} cannot be read ({exc})") from exc
    return _from_aud(sound, name)


def sound_samples(sound, name: str) -> np.ndarray:
    """16 kHz mono float32 speech from a ``bpy.types.Sound`` (a strip's), packed or on disk."""
    import bpy

    if _aud() is None:
        if sound.packed_file is not None:
            raise AudioError(f"{name}: this Blender build has no Audaspace, so packed sounds cannot be decoded")
        return _without_aud(bpy.path.abspath(sound.filepath, library=sound.library), name)
    if sound.packed_file is None:
        path = bpy.path.abspath(sound.filepath, library=sound.library)
        require_regular_file(path, f"{name}: its file", AudioError)
        require_complete(path, f"{name}: its file '{path}'")
    # the original datablock has no audio handle; its evaluated copy does (Blender's copy-on-evaluation)
    factory = sound.evaluated_get(bpy.context.evaluated_depsgraph_get()).factory or sound.factory
    if factory is None:
        raise AudioError(f"{name}: Blender has not loaded this sound")
    if sound.packed_file is None and core_audio.pcm_wav(path):
        return core_audio.load_pcm_wav(path, name)  # read in blocks, to the same numbers: see the function
    return _from_aud(factory, name)


def _without_aud(path: str, name: str) -> np.ndarray:
    """What ``_from_aud`` gives, decoded by core (soundfile) where Blender has no Audaspace."""
    try:
        return core_audio.load_speech(path)  # read in blocks, as the command line reads it
    except AudioError as exc:
        if "soundfile" in str(exc):
            raise AudioError(
                f"this Blender build has no Audaspace (aud) to decode '{path}', and {exc}"
            ) from exc
        raise
