"""One description of a bake, whatever asked for it: the Generate operator, Bake All Dialogue (modal or
not), the demo and the command-line bake each build a :class:`BakeRequest`, and
:func:`.pipeline.run` carries it out (plan, infer, apply).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from multanet_core.errors import MulTaNetError
from multanet_core.script import DEFAULT_LANGUAGE

from .jaw_bone import JawBone
from .record import Target

if TYPE_CHECKING:  # bpy only for the annotation: this module is plain data
    import bpy

DEFAULT_CACHE_DIR = "//multanet_cache/"


@dataclass(frozen=True)
class Source:
    """Where the speech comes from: a Sequencer sound strip, or a sound file placed at a frame."""

    strip_name: str = ""
    file_path: str = ""  # absolute
    file_frame: int = 1

    def describe(self) -> str:
        return f"strip '{self.strip_name}'" if self.strip_name else f"audio file '{self.file_path}'"


@dataclass(frozen=True)
class BakeRequest:
    """What to bake: onto which mesh, with which checkpoint and head, from which speech, how, where.

    ``target`` NLA is a dialogue line: its Action goes on the object's "Lip Sync" NLA track beside the
    other lines, under the animator's own Action, and ``source`` is the line's strip."""

    obj: bpy.types.Object  # a mesh object
    checkpoint: str  # absolute path, or checkpoints.DEFAULT_MODEL
    head: str | None  # a head of the checkpoint, by name ('' is a name too); None: none chosen
    source: Source
    emotion: str = ""  # a preset of the head; "" = neutral
    strength: float = 1.0
    lip_contact: float = 1.0  # 0..1: how firmly the lips seal and the face rests (a checkpoint with a contact head)
    blinks: bool = False  # a rig head's eyeBlinkLeft/Right get the seeded blink layer (multanet_core.blinks)
    text: str = ""  # the line's script ('' none): placed in the sound, it seals P/B/M and rests pauses
    language: str = DEFAULT_LANGUAGE  # the script's language, an espeak-ng voice name
    target: Target = Target.SHAPE_KEYS
    cache_dir: str = DEFAULT_CACHE_DIR  # VERTEX_CACHE: the folder ("//" = beside the .blend)
    key_tolerance: float = 0.0  # BY_NAME: thin each curve's keys to this error (0: a key every frame)
    jaw: JawBone | None = None  # BY_NAME (and rig-head dialogue lines): a jaw bone driven by jawOpen

    def __post_init__(self):
        if not isinstance(self.target, Target):
            try:
                object.__setattr__(self, "target", Target(self.target))
            except ValueError:
                raise MulTaNetError(f"bake target must be one of {', '.join(t.value for t in Target)}, "
                                    f"not {self.target!r}") from None
        if not isinstance(self.strength, (int, float)) or not math.isfinite(self.strength):
            raise MulTaNetError(f"emotion strength must be a number, got {self.strength}")
        if (not isinstance(self.lip_contact, (int, float)) or isinstance(self.lip_contact, bool)
                or not 0 <= self.lip_contact <= 1):
            raise MulTaNetError(f"lip contact must be between 0 and 1, got {self.lip_contact}")
        if not isinstance(self.blinks, bool):
            raise MulTaNetError(f"blinks must be on or off (True or False), got {self.blinks!r}")
        if not isinstance(self.text, str) or not isinstance(self.language, str):
            raise MulTaNetError("a line's text and its language must be text")
        if self.text.strip() and not self.language.strip():
            raise MulTaNetError("a line's text needs a language (an espeak-ng voice name such as en-us, es, fr)")
        if not isinstance(self.key_tolerance, (int, float)) or not 0 <= self.key_tolerance < 1:
            raise MulTaNetError(f"key tolerance must be between 0 and 1 (a shape-key value), got {self.key_tolerance}")
        if self.target is Target.NLA and not self.source.strip_name:
            raise MulTaNetError("a dialogue line is baked from a Sequencer strip, not from a file")
