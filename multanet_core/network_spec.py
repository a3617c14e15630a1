"""The shape of a MulTaNet or KarrasNet network, shared by the torch definition and numpy inference.

Formant analysis: convolutions along the coefficient axis (kernel 3, stride 2, padding 1) until the
``order`` coefficients are one position wide. Articulation: convolutions along time (kernel 3,
stride 2, padding 1) until ``last_kernel`` positions remain, then one of kernel = stride =
``last_kernel``. A feature config with a level feature (``FeatureConfig.level``) adds
``level_channels`` inputs per grid frame: they skip the formant stage and join its output as extra
channels of the first articulation layer. The emotion vector is concatenated, as channels, to the input of every
articulation layer for KarrasNet and of every layer but the last for MulTaNet.

MulTaNet's character-dependent prediction (CDP) heads see ``[articulation output, one-hot
character]`` and predict ``n_components`` coefficients; the head's last layer (PCA mean and basis)
turns them into vertices. A KarrasNet checkpoint is an ensemble of ``members`` networks of one
character; their coefficients are concatenated and the head's basis is theirs stacked and divided
by the member count, so ``mean + coefficients @ basis`` is exactly the ensemble's average.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from .errors import MulTaNetError, from_json_object
from .lpc import FeatureConfig

ARCHITECTURES = ("multanet", "karras")
ACTIVATIONS = ("relu", "leaky_relu")
MAX_CHANNELS = 4096  # far above the paper's 256: bounds what a checkpoint's metadata can make us allocate


@dataclass(frozen=True)
class NetworkSpec:
    architecture: str = "multanet"
    formant_channels: tuple[int, ...] = (72, 108, 162, 243, 256)
    articulation_channels: int = 256
    last_kernel: int = 4
    emotion_dim: int = 16
    activation: str = "relu"
    negative_slope: float = 0.0  # for leaky_relu
    n_characters: int = 1  # MulTaNet: size of the one-hot identity; KarrasNet: always 1
    members: int = 1  # KarrasNet ensemble size; MulTaNet: always 1
    n_frames: int = 64  # from the feature config: grid frames per window
    order: int = 32  # from the feature config: LPC coefficients per grid frame
    level_channels: int = 0  # from the feature config: level features per grid frame (after the LPC)
    contact_outputs: int = 0  # MulTaNet: lip-contact classes predicted from the articulation output (contact.py)
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        def integer(name, value, lo, hi):
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                raise MulTaNetError(f"network: {name} must be an integer from {lo} to {hi}, got {value!r}")

        for name in ("architecture", "activation"):
            if not isinstance(getattr(self, name), str):
                raise MulTaNetError(f"network: {name} must be a string, got {getattr(self, name)!r}")
        if not isinstance(self.formant_channels, list | tuple) or not self.formant_channels:
            raise MulTaNetError(f"network: formant_channels must be a list of integers, got {self.formant_channels!r}")
        for c in self.formant_channels:
            integer("a formant channel count", c, 1, MAX_CHANNELS)
        for name, hi in (("articulation_channels", MAX_CHANNELS), ("last_kernel", 64), ("emotion_dim", 1024),
                         ("n_characters", 10_000), ("members", 64), ("n_frames", 1024), ("order", 1024),
                         ("level_channels", 1), ("contact_outputs", 16)):
            integer(name, getattr(self, name), 0 if name in ("level_channels", "contact_outputs") else 1, hi)
        slope = self.negative_slope
        if not isinstance(slope, int | float) or isinstance(slope, bool) or not math.isfinite(slope):
            raise MulTaNetError(f"network: negative_slope must be a finite number, got {slope!r}")
        if not isinstance(self.extra, dict):
            raise MulTaNetError(f"network: extra must be an object, got {type(self.extra).__name__}")
        object.__setattr__(self, "formant_channels", tuple(int(c) for c in self.formant_channels))
        if self.architecture not in ARCHITECTURES:
            raise MulTaNetError(f"network: architecture must be one of {ARCHITECTURES}, got {self.architecture!r}")
        if self.activation not in ACTIVATIONS:
            raise MulTaNetError(f"network: activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.order != 2 ** len(self.formant_channels):
            raise MulTaNetError(
                f"network: {len(self.formant_channels)} formant layers of stride 2 reduce "
                f"{2 ** len(self.formant_channels)} coefficients to one, but the LPC order is {self.order}"
            )
        steps = self.n_frames // self.last_kernel
        if self.n_frames % self.last_kernel or steps & (steps - 1) or steps < 1:
            raise MulTaNetError(
                f"network: n_frames ({self.n_frames}) must be last_kernel ({self.last_kernel}) times a power of 2"
            )
        if self.level_channels not in (0, 1):
            raise MulTaNetError(f"network: level_channels must be 0 or 1, got {self.level_channels!r}")
        if self.n_characters < 1 or self.members < 1:
            raise MulTaNetError("network: n_characters and members must be at least 1")
        if self.architecture == "karras" and self.n_characters != 1:
            raise MulTaNetError("network: a KarrasNet checkpoint holds exactly one character")
        if self.architecture == "multanet" and self.members != 1:
            raise MulTaNetError("network: MulTaNet is not an ensemble (members must be 1)")
        if self.architecture == "karras" and self.contact_outputs:
            raise MulTaNetError("network: only MulTaNet has a contact head (contact_outputs must be 0)")

    @classmethod
    def for_features(cls, features: FeatureConfig, **kwargs) -> NetworkSpec:
        return cls(n_frames=features.n_frames, order=features.order, level_channels=features.level_channels,
                   **kwargs)

    @property
    def width(self) -> int:
        """Input features per grid frame: LPC coefficients, then the level features."""
        return self.order + self.level_channels

    @property
    def articulation_input(self) -> int:
        """Channels per grid frame entering the articulation stage: formant output plus level features."""
        return self.formant_channels[-1] + self.level_channels

    @property
    def n_strided(self) -> int:
        """Articulation layers of kernel 3, stride 2 (before the final one)."""
        return (self.n_frames // self.last_kernel).bit_length() - 1

    @property
    def n_articulation(self) -> int:
        return self.n_strided + 1

    def emotion_in(self, layer: int) -> bool:
        """Whether articulation layer ``layer`` sees the emotion vector."""
        return self.architecture == "karras" or layer < self.n_articulation - 1

    def prefixes(self) -> list[str]:
        """Weight-name prefix of each network in the checkpoint (ensemble members for KarrasNet)."""
        if self.architecture == "karras":
            return [f"members.{m}." for m in range(self.members)]
        return [""]

    def feature_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of one network's formant + articulation weights (torch layouts)."""
        shapes: dict[str, tuple[int, ...]] = {}
        cin = 1
        for i, cout in enumerate(self.formant_channels):
            shapes[f"mfl.formant.{i}.weight"] = (cout, cin, 1, 3)
            shapes[f"mfl.formant.{i}.bias"] = (cout,)
            cin = cout
        cin += self.level_channels
        a = self.articulation_channels
        for i in range(self.n_articulation):
            kernel = 3 if i < self.n_strided else self.last_kernel
            extra = self.emotion_dim if self.emotion_in(i) else 0
            shapes[f"mfl.articulation.{i}.weight"] = (a, cin + extra, kernel, 1)
            shapes[f"mfl.articulation.{i}.bias"] = (a,)
            cin = a
        return shapes

    def weight_shapes(self, components: list[int]) -> dict[str, tuple[int, ...]]:
        """Every network weight a checkpoint must hold, given each head's component count."""
        shapes: dict[str, tuple[int, ...]] = {}
        a = self.articulation_channels
        if self.architecture == "multanet":
            if len(components) != self.n_characters:
                raise MulTaNetError(
                    f"network: {self.n_characters} characters but {len(components)} heads"
                )
            shapes.update(self.feature_shapes())
            for h, k in enumerate(components):
                shapes[f"heads.{h}.coeff.weight"] = (k, a + self.n_characters)
                shapes[f"heads.{h}.coeff.bias"] = (k,)
                if self.contact_outputs:  # the head's coefficients of its lips closed and of its rest pose
                    shapes[f"heads.{h}.contact_closed"] = (k,)
                    shapes[f"heads.{h}.contact_rest"] = (k,)
            if self.contact_outputs:
                shapes["contact.weight"] = (self.contact_outputs, a)
                shapes["contact.bias"] = (self.contact_outputs,)
        else:
            if len(components) != 1 or components[0] % self.members:
                raise MulTaNetError(
                    f"network: a KarrasNet ensemble of {self.members} needs one head whose component "
                    f"count is a multiple of {self.members}, got {components}"
                )
            k = components[0] // self.members
            for prefix in self.prefixes():
                shapes.update({prefix + name: s for name, s in self.feature_shapes().items()})
                shapes[f"{prefix}coeff.weight"] = (k, a)
                shapes[f"{prefix}coeff.bias"] = (k,)
        return shapes

    def to_dict(self) -> dict:
        data = asdict(self)
        data["formant_channels"] = list(self.formant_channels)
        if not self.contact_outputs:  # as before the contact head: older files and run folders compare equal
            del data["contact_outputs"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> NetworkSpec:
        return from_json_object(cls, data, "network spec")
