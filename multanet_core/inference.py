"""Numpy MulTaNet/KarrasNet inference over a whole clip, sharing work between overlapping windows.

Video frames 1/fps apart see windows that overlap by most of their length, and every window sits
on the same global LPC grid. So:

* the formant stage, which looks at one grid frame at a time, runs once per grid frame;
* each strided articulation layer ``l`` (kernel 3, stride 2) computes the same value for every
  window at the same global grid position ``s + 2**l * j`` (``j >= 1``): it runs once per distinct
  position, as a dilated convolution over the positions the windows need;
* only position ``j = 0`` of each layer sees the window's zero padding, so it is computed per
  window (two taps), as is the final layer (one output per window);
* the emotion vector is constant over a clip, so its share of every layer folds into the bias.

The result equals the per-window network (the parity tests hold it to the torch model).
Work proceeds in chunks of video frames so memory stays flat for long clips.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

import numpy as np

from .blinks import line_blinks
from .checkpoint import Checkpoint, Head, normalised_filter
from .contact import (
    CLOSED,
    LipLift,
    apply_contact,
    lip_lift,
    lip_midpoints,
    probabilities,
    quiet_weights,
    seal_direction,
)
from .errors import MulTaNetError
from .lpc import grid_lpc, level_reference, n_video_frames, window_starts
from .network_spec import NetworkSpec
from .script import ScriptTiming, apply_script, script_tracks

CHUNK_FRAMES = 256  # video frames per chunk: arrays small enough for the allocator to reuse
FORMANT_BLOCK = 1024  # grid frames per formant batch


def _act(spec: NetworkSpec, x: np.ndarray) -> np.ndarray:
    if spec.activation == "leaky_relu":
        return np.where(x > 0, x, x * np.float32(spec.negative_slope))
    return np.maximum(x, 0, out=x)


class _MFLWeights:
    """One network's formant and articulation weights, rearranged for matrix products."""

    def __init__(self, spec: NetworkSpec, weights: dict[str, np.ndarray], prefix: str):
        self.spec = spec
        self.formant = []
        for i in range(len(spec.formant_channels)):
            w = weights[f"{prefix}mfl.formant.{i}.weight"]  # [cout, cin, 1, 3]
            # rows: (tap, input channel) then a last row for the bias, matched by a column of ones
            mat = np.concatenate([w[:, :, 0, :].transpose(2, 1, 0).reshape(-1, w.shape[0]),
                                  weights[f"{prefix}mfl.formant.{i}.bias"][None]])
            self.formant.append(np.ascontiguousarray(mat, dtype=np.float32))
        self.layers = []  # per articulation layer: taps [k, cin, cout], emotion taps [k, E, cout] | None, bias
        cin = spec.articulation_input
        for i in range(spec.n_articulation):
            w = weights[f"{prefix}mfl.articulation.{i}.weight"]  # [cout, cin(+E), k, 1]
            taps = np.ascontiguousarray(w[:, :cin, :, 0].transpose(2, 1, 0), dtype=np.float32)
            emo = (
                np.ascontiguousarray(w[:, cin:, :, 0].transpose(2, 1, 0), dtype=np.float32)
                if spec.emotion_in(i) else None
            )
            self.layers.append((taps, emo, weights[f"{prefix}mfl.articulation.{i}.bias"].astype(np.float32)))
            cin = w.shape[0]

    def formant_grid(self, grid: np.ndarray) -> np.ndarray:
        """[K, order + level] grid features -> [K, articulation input], one formant pass per grid frame;
        the level features pass through as the last channels."""
        order, channels = self.spec.order, self.formant[-1].shape[1]
        out = np.empty((grid.shape[0], self.spec.articulation_input), dtype=np.float32)
        for i in range(0, grid.shape[0], FORMANT_BLOCK):  # blocks small enough to stay in cache
            out[i : i + FORMANT_BLOCK, :channels] = self._formant_block(grid[i : i + FORMANT_BLOCK, :order])
        out[:, channels:] = grid[:, order:]
        return out

    def _formant_block(self, grid: np.ndarray) -> np.ndarray:
        h = grid.astype(np.float32)[:, :, None]
        for mat in self.formant:
            k, w, c = h.shape
            w_out = (w + 1) // 2
            # output o sees inputs 2o-1 (zero padding for o = 0), 2o and 2o+1
            cols = np.empty((k, w_out, 3 * c + 1), dtype=np.float32)
            cols[:, 0, :c] = 0
            cols[:, 1:, :c] = h[:, 1 : 2 * w_out - 2 : 2]
            cols[:, :, c : 2 * c] = h[:, 0 : 2 * w_out : 2]
            cols[:, : w // 2, 2 * c : 3 * c] = h[:, 1 : 2 * (w // 2) : 2]
            if w % 2:
                cols[:, -1, 2 * c : 3 * c] = 0
            cols[:, :, -1] = 1
            h = _act(self.spec, (cols.reshape(k * w_out, -1) @ mat).reshape(k, w_out, -1))
        return h[:, 0, :]

    def articulation(self, formant: np.ndarray, first: int, starts: np.ndarray, emotion: np.ndarray) -> np.ndarray:
        """Formant output of grid frames ``first..`` and window starts [T] -> [T, channels]."""
        spec = self.spec
        positions: np.ndarray | None = None  # None: the previous layer is the grid itself
        values = formant

        def at(q: np.ndarray) -> np.ndarray:
            return values[q - first] if positions is None else values[np.searchsorted(positions, q)]

        edge = None
        for level in range(1, spec.n_strided + 1):
            taps, emo, bias = self.layers[level - 1]
            d = 1 << (level - 1)
            n_out = spec.n_frames >> level
            e_all = bias + (emo.sum(axis=0).T @ emotion if emo is not None else 0)
            e_edge = bias + ((emo[1] + emo[2]).T @ emotion if emo is not None else 0)
            new_pos = np.unique((starts[:, None] + (2 * d) * np.arange(1, n_out)).ravel())
            cols = np.concatenate([at(new_pos - d), at(new_pos), at(new_pos + d)], axis=1)
            new_vals = _act(spec, cols @ taps.reshape(-1, taps.shape[2]) + e_all)
            left = at(starts) if edge is None else edge
            edge = _act(spec, left @ taps[1] + at(starts + d) @ taps[2] + e_edge)
            positions, values = new_pos, new_vals
        taps, emo, bias = self.layers[-1]
        out = edge @ taps[0] + bias + (emo.sum(axis=0).T @ emotion if emo is not None else 0)
        step = 1 << spec.n_strided
        for t in range(1, taps.shape[0]):
            out += at(starts + step * t) @ taps[t]
        return _act(spec, out)


def smooth_frames(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Centred FIR along axis 0 with the end frames repeated (rest stays rest at a clip's ends)."""
    r = len(taps) // 2
    if r == 0 or len(x) == 0:
        return x * taps[0] if r == 0 else x
    padded = np.concatenate([np.repeat(x[:1], r, axis=0), x, np.repeat(x[-1:], r, axis=0)])
    out = np.zeros_like(x)
    for i, tap in enumerate(taps):
        out += tap * padded[i:i + len(x)]
    return out


class Animator:
    """Audio to per-frame coefficients (and vertices) for one character of a checkpoint."""

    def __init__(self, checkpoint: Checkpoint, character: str):
        self.checkpoint = checkpoint
        self.head: Head = checkpoint.head(character)
        self.index = checkpoint.heads.index(self.head)
        spec = checkpoint.network
        w = checkpoint.weights
        self.nets = [_MFLWeights(spec, w, prefix) for prefix in spec.prefixes()]
        if spec.architecture == "multanet":
            wc = w[f"heads.{self.index}.coeff.weight"].astype(np.float32)
            a = spec.articulation_channels
            # the one-hot identity of this character is a constant input: fold it into the bias
            self.coeff = [(np.ascontiguousarray(wc[:, :a].T),
                           w[f"heads.{self.index}.coeff.bias"].astype(np.float32) + wc[:, a + self.index])]
        else:
            self.coeff = [(np.ascontiguousarray(w[f"{p}coeff.weight"].T.astype(np.float32)),
                           w[f"{p}coeff.bias"].astype(np.float32)) for p in spec.prefixes()]
        self.mean = self.head.mean.astype(np.float32)
        self.basis = np.ascontiguousarray(self.head.basis, dtype=np.float32)
        self.filter = normalised_filter(checkpoint.coefficient_filter)
        self.has_contact = bool(spec.contact_outputs)
        if self.has_contact:
            self.contact_head = (w["contact.weight"].astype(np.float32), w["contact.bias"].astype(np.float32))
            self.contact_poses = (w[f"heads.{self.index}.contact_closed"].astype(np.float32),
                                  w[f"heads.{self.index}.contact_rest"].astype(np.float32))
            self.contact_seal = self.lip_gap
        self.last_contact: np.ndarray | None = None  # the contact probabilities of the last coefficients() call
        self.last_quiet: np.ndarray | None = None  # and its frames' quiet weights (contact.quiet_weights)

    def emotion_vector(self, emotion: str | np.ndarray | None = None, strength: float = 1.0) -> np.ndarray:
        if emotion is None or isinstance(emotion, str):
            return self.head.emotion(emotion, strength)
        vec = np.asarray(emotion, dtype=np.float32)
        if vec.shape != (self.checkpoint.network.emotion_dim,) or not np.isfinite(vec).all():
            raise MulTaNetError(f"emotion must be {self.checkpoint.network.emotion_dim} finite numbers")
        return vec

    def coefficients_from_grid(self, grid: np.ndarray, first: int, starts: np.ndarray,
                               emotion: np.ndarray) -> np.ndarray:
        """Grid features of frames ``first..first+len(grid)-1`` and window starts -> coefficients [T, K]."""
        return self._forward_grid(grid, first, starts, emotion)[0]

    def _forward_grid(self, grid: np.ndarray, first: int, starts: np.ndarray,
                      emotion: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Coefficients [T, K] and, with a contact head, the contact probabilities [T, C]."""
        outs, probs = [], None
        for net, (wc, bc) in zip(self.nets, self.coeff, strict=True):
            a = net.articulation(net.formant_grid(grid), first, starts, emotion)
            outs.append(a @ wc + bc)
            if self.has_contact:
                probs = probabilities(a, *self.contact_head)
        return np.concatenate(outs, axis=1), probs

    def coefficients(self, samples: np.ndarray, fps: float, emotion: str | np.ndarray | None = None,
                     strength: float = 1.0, contact: float = 1.0, script: ScriptTiming | None = None) -> np.ndarray:
        """16 kHz mono samples -> float32 coefficients [T, K], T = ceil(duration * fps), smoothed over time by
        the checkpoint's ``coefficient_filter`` when it has one. With a contact head, ``contact`` (0..1) is how
        firmly the lips seal where they close and the face rests where nobody speaks
        (:func:`multanet_core.contact.apply_contact`, after the smoothing, so closures stay crisp); the
        probabilities are kept in ``last_contact`` and the frames' quiet weights in ``last_quiet`` (what
        :func:`multanet_core.contact.speech_warning` reads). Without one, ``contact`` changes nothing.

        ``script`` (:func:`multanet_core.script.align_script`, the line's text placed in these samples): where its
        phones are trusted, they and not the audio say where the lips close and the face rests, as firmly as
        ``contact`` says (:func:`multanet_core.script.apply_script`); everything else stays audio-driven."""
        e = self.emotion_vector(emotion, strength)
        n = n_video_frames(samples.shape[0], fps, self.checkpoint.features.sample_rate)
        out = np.zeros((n, self.head.n_components), dtype=np.float32)
        probs = np.zeros((n, self.checkpoint.network.contact_outputs), np.float32) if self.has_contact else None
        for i0, grid, first, s in self._grids(samples, fps):
            out[i0 : i0 + len(s)], p = self._forward_grid(grid, first, s, e)
            if probs is not None:
                probs[i0 : i0 + len(s)] = p
        out = out if self.filter is None else smooth_frames(out, self.filter)
        self.last_contact = probs
        quiet = None if probs is None else quiet_weights(samples, self.checkpoint.features.sample_rate, fps, n)
        self.last_quiet = quiet
        tracks = None if script is None or not script.used else script_tracks(script, fps, n)
        if probs is not None and contact > 0:  # (Lip Contact 0: the probabilities only, for the speech warning)
            heard = probs
            if tracks is not None:  # where the script speaks, it alone says where the lips close
                heard = probs.copy()
                heard[tracks.covered, CLOSED] = 0.0
            out = apply_contact(out, heard, *self.contact_poses, strength=contact, quiet=quiet,
                                seal=self.contact_seal, lift=self.lip_lift)
        if tracks is not None and contact > 0:
            out = apply_script(out, tracks, self.lip_gap, self.closed_gap, self.rest_coefficients, contact,
                               self.lip_lift)
        return out

    @property
    def up(self) -> int:
        """The checkpoint's up axis as an index (0, 1, 2): the axis a lip gap is measured along."""
        return "XYZ".index(self.checkpoint.up_axis)

    @cached_property
    def lip_lift(self) -> LipLift | None:
        """How a mesh head's lips open and close with its coefficients, by the change that moves its lip vertices
        least (:func:`multanet_core.contact.lip_lift`): how a line's script closes and opens the lips."""
        return lip_lift(self.head, self.up)

    @cached_property
    def closed_gap(self) -> float:
        """The lip gap (:attr:`lip_gap`) of the lips just closed: a mesh head's at its template (its lips at rest
        touch), a rig head's 0 (jawOpen - mouthClose: the lips sealed however far the jaw is open)."""
        if self.head.is_rig or self.lip_gap is None:
            return 0.0
        upper, lower = lip_midpoints(self.head.template, self.head.lips, self.up)
        return float(self.head.template[upper, self.up] - self.head.template[lower, self.up])

    @cached_property
    def rest_coefficients(self) -> np.ndarray:
        """The coefficients of the head at rest: a contact head's rest pose where the checkpoint has one, else the
        nearest to the template (a mesh head) or to every weight at 0 (a rig head)."""
        if self.has_contact:
            return self.contact_poses[1]
        basis = self.head.basis.astype(np.float64)
        target = np.zeros(basis.shape[1]) if self.head.is_rig else self.head.template.astype(np.float64).ravel()
        rest, *_ = np.linalg.lstsq(basis.T, target - self.head.mean.astype(np.float64), rcond=None)
        return rest.astype(np.float32)

    def _grids(self, samples: np.ndarray, fps: float) -> Iterator[tuple[int, np.ndarray, int, np.ndarray]]:
        """Per chunk of video frames: (its first frame, the grid of LPC frames its windows cover, the grid's first
        frame, the windows' starts)."""
        cfg = self.checkpoint.features
        n = n_video_frames(samples.shape[0], fps, cfg.sample_rate)
        starts = window_starts(n, fps, cfg)
        reference = level_reference(samples, cfg) if cfg.level_channels else None  # once per clip
        for i0 in range(0, n, CHUNK_FRAMES):
            s = starts[i0 : i0 + CHUNK_FRAMES]
            first = int(s[0])
            yield i0, grid_lpc(samples, first, int(s[-1]) - first + cfg.n_frames, cfg, reference), first, s

    def articulation(self, samples: np.ndarray, fps: float, emotion: str | np.ndarray | None = None) -> np.ndarray:
        """The shared articulation output [T, A] before any head (MulTaNet): what a contact head reads."""
        if self.checkpoint.network.architecture != "multanet":
            raise MulTaNetError("only a MulTaNet has one shared articulation output")
        e = self.emotion_vector(emotion)
        net = self.nets[0]
        parts = [net.articulation(net.formant_grid(grid), first, s, e)
                 for _, grid, first, s in self._grids(samples, fps)]
        width = self.checkpoint.network.articulation_channels
        return np.concatenate(parts) if parts else np.zeros((0, width), np.float32)

    @cached_property
    def lip_gap(self) -> tuple[np.ndarray, float] | None:
        """The head's lip gap as a linear function of its coefficients (:func:`multanet_core.contact.seal_direction`):
        what Lip Contact seals and what keeps blinks off closures."""
        return seal_direction(self.head, self.up)

    def blink_curve(self, samples: np.ndarray, fps: float, coefficients: np.ndarray, seed: int) -> np.ndarray:
        """The blink layer of a line (:mod:`multanet_core.blinks`): the eyelids' closure [T] in 0..1 for
        ``coefficients`` [T, K], this animator's motion for ``samples`` (from :meth:`coefficients`, whose contact
        probabilities, where the checkpoint has a contact head, keep blinks off closures as the lip gap does)."""
        n = len(coefficients)
        seal = self.lip_gap
        opening = (np.zeros(n, np.float32) if seal is None
                   else coefficients.astype(np.float32) @ seal[0] + np.float32(seal[1]))
        closed = quiet = None
        if self.last_contact is not None and len(self.last_contact) == n:
            closed = self.last_contact[:, CLOSED]
            quiet = self.last_quiet  # the same samples' quiet weights, computed with the probabilities
        return line_blinks(samples, self.checkpoint.features.sample_rate, fps, opening, seed, closed, quiet=quiet)[1]

    def vertices(self, coefficients: np.ndarray) -> np.ndarray:
        """Coefficients [T, K] -> vertices float32 [T, V, 3] (in the head's template space)."""
        if self.head.is_rig:
            raise MulTaNetError(f"head '{self.head.name}' is a rig head: it gives named weights (weights()), "
                                f"not vertices")
        flat = coefficients.astype(np.float32) @ self.basis + self.mean
        return flat.reshape(coefficients.shape[0], -1, 3)

    def weights(self, coefficients: np.ndarray) -> np.ndarray:
        """A rig head's coefficients [T, K] -> its named weights float32 [T, W] in 0..1 (``head.weight_names``)."""
        if not self.head.is_rig:
            raise MulTaNetError(f"head '{self.head.name}' is a mesh head: it gives vertices, not named weights")
        return np.clip(coefficients.astype(np.float32) @ self.basis + self.mean, 0.0, 1.0)

    def iter_vertices(self, coefficients: np.ndarray, chunk: int = 256) -> Iterator[np.ndarray]:
        """Vertices in chunks of frames, so a long clip never holds [T, V, 3] in memory at once."""
        for i in range(0, coefficients.shape[0], chunk):
            yield self.vertices(coefficients[i : i + chunk])
