"""Per-frame lip-contact labels from a phone timeline: what the contact head learns to predict.

The classes are :data:`multanet_core.contact.CONTACT_CLASSES` (lips closed at P/B/M, labiodental, open vowel,
rounded, no speech). The synthetic corpus's timelines are exact; real recordings added by ``train real-corpus``
carry their forced alignments; ``train non-speech`` sequences are no speech throughout. numpy only.
"""

from __future__ import annotations

import numpy as np

from multanet_core.contact import CONTACT_CLASSES

from .real_corpus import to_ipa
from .synth.articulation import phoneme_class

# phone class (train.synth.articulation.phoneme_class) -> contact class
PHONE_CONTACT = {"bilabial": "closed", "labiodental": "labiodental", "open": "open", "rounded": "rounded",
                 "labiovelar": "rounded", "silence": "silence"}
UNKNOWN = 255  # a frame of a sequence with no timeline in :func:`label_codes`: it teaches the head nothing


def contact_labels(phonemes: list | None, fps: float, n: int, speech: bool = True) -> np.ndarray:
    """float32 [n, C]: 1 where frame ``t / fps`` lies inside a phone of that contact class, else 0; a sequence
    that is not speech is silence throughout. IPA or ARPAbet phones."""
    out = np.zeros((n, len(CONTACT_CLASSES)), np.float32)
    if not speech:
        out[:, CONTACT_CLASSES.index("silence")] = 1.0
        return out
    times = np.arange(n) / float(fps)
    for start, end, phone in phonemes or []:
        name = PHONE_CONTACT.get(phoneme_class(to_ipa(str(phone))))
        if name is not None:
            out[(times >= float(start)) & (times < float(end)), CONTACT_CLASSES.index(name)] = 1.0
    return out


def label_codes(metadata: dict, fps: float, n: int) -> np.ndarray:
    """uint8 [n, C] of a sequence's metadata: its :func:`contact_labels` as 0/1, or :data:`UNKNOWN` throughout
    when it is speech without a phone timeline."""
    speech = metadata.get("speech", True) is not False
    if speech and not metadata.get("phonemes"):
        return np.full((n, len(CONTACT_CLASSES)), UNKNOWN, np.uint8)
    return contact_labels(metadata.get("phonemes"), fps, n, speech).astype(np.uint8)
