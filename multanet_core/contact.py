"""Lip contact: per frame, how likely the lips are closed (P/B/M) and nobody speaks, and what a bake does with it.

A checkpoint with a contact head (``NetworkSpec.contact_outputs``) predicts, from the shared articulation
output, one probability per class of :data:`CONTACT_CLASSES` per frame, and holds for every head two
coefficient vectors learnt from its data: its lips closed (the mean of its training frames inside P/B/M)
and its rest pose. A regression smooths a 2-3 frame closure away and leaves a mouth moving in pauses; with
``strength`` > 0, :func:`apply_contact` pulls each frame towards the closed pose as the closure probability
rises, and towards rest as the no-speech probability (averaged over ``SILENCE_FRAMES``) rises; the pull ramps
from 0 at ``RAMP[0]`` to full at ``RAMP[1]``, so an unsure frame is left to the regression. numpy only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

CONTACT_CLASSES = ("closed", "labiodental", "open", "rounded", "silence")
CLOSED, SILENCE = CONTACT_CLASSES.index("closed"), CONTACT_CLASSES.index("silence")
RAMP = (0.5, 0.85)
SILENCE_FRAMES = 5  # the no-speech probability is averaged over this many frames: a pause lasts 150 ms or more,
# and a pull that flickers on and off between frames would itself move the face
CLOSURE_EASE = (0.25, 0.5, 0.25)  # a heard closure's weight eases in and out over the frames beside it: each frame
# closes at least this centred average of its neighbours' weights, a sure closure's own frames fully (on the English
# synthetic val split the closure's snap cost jitter 1.18 against 1.06 with no contact; eased, 1.14, and 0.6 points
# more real P/B/M closed on dev)
REST_EDGE_FRAMES = 2  # the heard pause's pull starts this many frames inside it: the lips still close into a pause
# and open out of it (on the synthetic English test the pull at the edges cost 6 % lip error, and rests nothing)


def probabilities(articulation: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Articulation outputs [T, A] -> class probabilities [T, C] (independent logistic outputs)."""
    z = articulation.astype(np.float32) @ weight.T.astype(np.float32) + bias.astype(np.float32)
    return (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))).astype(np.float32)


def ramp(p: np.ndarray, low: float = RAMP[0], high: float = RAMP[1]) -> np.ndarray:
    """0 under ``low``, 1 over ``high``, smooth (smoothstep) between."""
    x = np.clip((np.asarray(p, np.float32) - low) / (high - low), 0.0, 1.0)
    return x * x * (3 - 2 * x)


def apply_contact(coefficients: np.ndarray, probs: np.ndarray, closed: np.ndarray, rest: np.ndarray,
                  strength: float = 1.0, quiet: np.ndarray | None = None,
                  seal: tuple[np.ndarray, float] | None = None, lift: LipLift | None = None) -> np.ndarray:
    """Coefficients [T, K] sealed where the lips close and pulled towards ``rest`` [K] where nobody speaks, by
    ``strength`` (0: unchanged, 1: the full pull) times the ramped probabilities [T, C]; ``quiet`` [T]
    (:func:`quiet_weights`), where given, rests the face at least that much in quiet frames.

    A heard closure eases in and out over the frames beside it (:func:`eased`). The heard pause's pull is eroded
    by :data:`REST_EDGE_FRAMES` at each end.

    With ``lift`` (a mesh head's :func:`lip_lift`), a closure brings the lip midpoints as near as at the template
    by the coefficient change that moves the lip vertices least, and only where they are farther apart (lips the
    regression closed keep their own shape). Else with ``seal`` (:func:`seal_direction`), a closure changes only
    what closes the lips: the smallest change of the coefficients that brings the lip gap to the ``closed``
    pose's, the jaw, the lips' shape and the rest of the face staying where the regression put them (a
    whole-pose pull there cost the synthetic test twice its lip error and as much again in tremor). Without
    either, the frame is pulled towards the ``closed`` pose."""
    s = float(np.clip(strength, 0.0, 1.0))
    if s == 0.0 or len(coefficients) == 0:
        return coefficients
    w_closed = s * eased(ramp(probs[:, CLOSED]))
    resting = running_min(ramp(running_mean(probs[:, SILENCE], SILENCE_FRAMES)), 2 * REST_EDGE_FRAMES + 1)
    if quiet is not None:
        resting = np.maximum(resting, quiet)
    w_rest = (s * resting)[:, None]
    closed = closed.astype(np.float32)
    if lift is not None:
        c = coefficients + (w_closed * closing_step(coefficients, lift, lift.rest))[:, None] * lift.along[None]
    elif seal is not None:
        g, offset = seal
        gap = (closed @ g + offset) - (coefficients @ g + offset)  # how far each frame's lip gap is from closed
        c = coefficients + (w_closed * gap)[:, None] * (g / float(g @ g))[None]
    else:
        c = coefficients + w_closed[:, None] * (closed[None] - coefficients)
    return (c + w_rest * (rest[None].astype(np.float32) - c)).astype(np.float32)


def lip_midpoints(template: np.ndarray, lips: np.ndarray, up: int) -> tuple[int, int]:
    """Vertex indices of the upper and the lower lip midpoints: of the lip vertices within 20 % of the lips'
    half width from their lateral centre, the front-most one above and the front-most one below the lips'
    mid height. Lateral is the first axis that is not ``up``; the face looks along +Z (+Y where Z is up)."""
    lips = np.asarray(lips)
    p = np.asarray(template)[lips]
    lateral = next(a for a in (0, 1, 2) if a != up)
    forward = 1 if up == 2 else 2
    lo, hi = p[:, lateral].min(), p[:, lateral].max()
    on_midline = np.abs(p[:, lateral] - (lo + hi) / 2) < 0.2 * (hi - lo) / 2
    mid_height = (p[:, up].max() + p[:, up].min()) / 2
    picked = []
    for side in (p[:, up] > mid_height, p[:, up] < mid_height):
        candidates = np.flatnonzero(on_midline & side)
        if not len(candidates):
            raise ValueError("no lip vertex on the midline above and below the mouth: cannot find lip midpoints")
        picked.append(int(lips[candidates[np.argmax(p[candidates, forward])]]))
    return picked[0], picked[1]


def seal_direction(head, up: int) -> tuple[np.ndarray, float] | None:
    """(g [K], offset): a head's lip gap as a linear function of its coefficients, gap = c @ g + offset. A mesh
    head's is the height of its upper lip midpoint over its lower one (:func:`lip_midpoints`); a rig head's is
    jawOpen - mouthClose (the mouth open minus the lips' seal, in ARKit's terms). None where there is none (no
    midpoints, no such names, or a gap no coefficient moves)."""
    basis, mean = np.asarray(head.basis, np.float64), np.asarray(head.mean, np.float64)
    if head.is_rig:
        names = list(head.weight_names)
        if "jawOpen" not in names or "mouthClose" not in names:
            return None
        a, b = names.index("jawOpen"), names.index("mouthClose")
    else:
        try:
            upper, lower = lip_midpoints(head.template, head.lips, up)
        except ValueError:
            return None
        a, b = 3 * upper + up, 3 * lower + up
    g = basis[:, a] - basis[:, b]
    if not float(g @ g) > 0:
        return None
    return g.astype(np.float32), float(mean[a] - mean[b])


class LipLift(NamedTuple):
    """How a mesh head's lips open and close with its coefficients (:func:`lip_lift`)."""

    along: np.ndarray  # [K]: the change that alters the midpoints' height gap by one unit, moving the lips least
    span: np.ndarray  # [3, K]: the upper minus the lower lip midpoint is c @ span.T + offset
    offset: np.ndarray  # [3]
    rest: float  # that vector's length at the template, where the lips touch


def lip_lift(head, up: int) -> LipLift | None:
    """A mesh head's :class:`LipLift`: ``along`` changes the height between its lip midpoints
    (:func:`lip_midpoints`, the gap of :func:`seal_direction`) by one unit and moves its lip vertices least (with a
    little of the coefficients' own size, so no component runs away). The midpoints' other two axes go where
    that least motion takes them: a head's closed lips need not be its template's in depth (its captured
    closures press the lips forward or back). None for a rig head, a head without midpoints, or lips no
    coefficient moves."""
    if head.is_rig:
        return None
    try:
        upper, lower = lip_midpoints(head.template, head.lips, up)
    except ValueError:
        return None
    basis, mean = np.asarray(head.basis, np.float64), np.asarray(head.mean, np.float64)
    span = np.stack([basis[:, 3 * upper + a] - basis[:, 3 * lower + a] for a in range(3)])
    g = span[up]
    if not float(g @ g) > 0:
        return None
    lips = np.asarray(head.lips)
    b_lips = basis.reshape(basis.shape[0], -1, 3)[:, lips].reshape(basis.shape[0], -1)
    w = b_lips @ b_lips.T
    w += LIP_RIDGE * np.trace(w) / len(w) * np.eye(len(w))
    w_inv_g = np.linalg.solve(w, g)  # least lip motion: delta c = r * W^-1 g / (g . W^-1 g) changes the gap by r
    offset = np.array([mean[3 * upper + a] - mean[3 * lower + a] for a in range(3)])
    template = np.asarray(head.template, np.float64)
    return LipLift((w_inv_g / float(g @ w_inv_g)).astype(np.float32), span.astype(np.float32),
                   offset.astype(np.float32), float(np.linalg.norm(template[upper] - template[lower])))


LIP_RIDGE = 0.05  # lip_lift: the coefficients' own size against the lip vertices' motion, per unit of the latter


def closing_step(c: np.ndarray, lift: LipLift, target: float) -> np.ndarray:
    """Per frame, the step r along ``lift.along`` (in units of the height gap; <= 0) that brings the lip midpoints'
    distance down to ``target``: the smaller root of |v + r d| = target, v the midpoints' vector and d its change
    per step; where no step reaches it, the step that brings them nearest. 0 where they are that near already."""
    v = c @ lift.span.T + lift.offset
    d = lift.span @ lift.along
    a, b, c0 = float(d @ d), 2.0 * (v @ d), np.einsum("ij,ij->i", v, v) - max(target, 0.0) ** 2
    disc = b * b - 4 * a * c0
    nearest = -b / (2 * a)
    root = (-b + np.sqrt(np.maximum(disc, 0.0))) / (2 * a)  # of the two, the one nearer 0 from above: less motion
    step = np.where(disc >= 0, root, nearest)
    return np.where(c0 > 0, np.minimum(step, 0.0), 0.0).astype(np.float32)


def eased(w: np.ndarray) -> np.ndarray:
    """Per-frame weights [T] with their edges eased: each frame at least :data:`CLOSURE_EASE`'s centred average of
    itself and its neighbours (the end frames repeated), so a closure no longer snaps shut from one frame to the
    next; a frame keeps its own weight where that is higher (a sure closure still closes fully)."""
    if len(w) == 0:
        return w
    a, b, c = CLOSURE_EASE
    padded = np.concatenate([w[:1], w, w[-1:]]).astype(np.float32)
    return np.maximum(w, a * padded[:-2] + b * padded[1:-1] + c * padded[2:]).astype(np.float32)


def running_min(x: np.ndarray, frames: int) -> np.ndarray:
    """Centred moving minimum over ``frames`` (odd) frames, the ends repeated: a run of high values shrinks by
    ``frames // 2`` at each end."""
    r = frames // 2
    if r == 0 or len(x) == 0:
        return x
    padded = np.concatenate([np.repeat(x[:1], r), x, np.repeat(x[-1:], r)])
    return np.lib.stride_tricks.sliding_window_view(padded, frames).min(axis=1).astype(x.dtype)


def running_mean(x: np.ndarray, frames: int) -> np.ndarray:
    """Centred moving average over ``frames`` (odd) frames, the ends repeated."""
    r = frames // 2
    if r == 0 or len(x) == 0:
        return x
    padded = np.concatenate([np.repeat(x[:1], r), x, np.repeat(x[-1:], r)]).astype(np.float64)
    c = np.concatenate([[0.0], np.cumsum(padded)])
    return ((c[frames:] - c[:-frames]) / frames).astype(np.float32)


def speech_share(probs: np.ndarray, quiet: np.ndarray | None = None) -> float:
    """The share of frames that sounded like speech (no-speech probability under one half), of those that are not
    quiet (``quiet`` [T], :func:`quiet_weights`, under one half; all frames without it): a line's own pauses and
    room tone say nothing either way, and a short word in a long take is still speech. 0 where every frame is
    quiet (silence is no dialogue)."""
    if not len(probs):
        return 0.0
    sounding = np.ones(len(probs), bool) if quiet is None else np.asarray(quiet) < 0.5
    if not sounding.any():
        return 0.0
    return float(np.mean(probs[sounding, SILENCE] < 0.5))


SPEECH_WARNING_SHARE = 0.5  # a clip whose sounding frames sounded like speech less often than this bakes with a warning


def speech_warning(probs: np.ndarray | None, what: str, quiet: np.ndarray | None = None) -> str:
    """A warning that ``what`` (e.g. "strip 'music bed'") is mostly not speech, saying what share of its sounding
    frames (:func:`speech_share`, ``quiet`` its frames' :func:`quiet_weights`) sounded like speech; '' when at
    least :data:`SPEECH_WARNING_SHARE` did, or there are no probabilities."""
    if probs is None or not len(probs):
        return ""
    share = speech_share(probs, quiet)
    if share >= SPEECH_WARNING_SHARE:
        return ""
    return f"only {int(100 * share)} % of {what} sounded like speech: check that it is dialogue"


SILENT_RMS = 1e-7  # digital silence reads as -140 dB
QUIET_UNDER_DB = (20.0, 30.0)  # a frame this far under the clip's 90th-percentile level starts to rest; fully here
QUIET_PERCENTILE = 90.0
QUIET_MIN_S = 0.15  # quiet for shorter than this is a stop's closure inside a word (50-100 ms), not a pause


def frame_loudness_db(samples: np.ndarray, rate: int, fps: float, n_frames: int) -> np.ndarray:
    """Per frame: RMS level (dBFS, 20 log10) of the 1/fps window centred on the frame; silence is -140 dB."""
    half = int(round(rate / fps / 2))
    centres = np.round(np.arange(n_frames) / fps * rate).astype(np.int64)
    energy = np.concatenate([[0.0], np.cumsum(np.asarray(samples, np.float64) ** 2)])
    lo, hi = np.clip(centres - half, 0, len(samples)), np.clip(centres + half, 0, len(samples))
    rms = np.sqrt((energy[hi] - energy[lo]) / np.maximum(hi - lo, 1))
    return 20 * np.log10(np.maximum(rms, SILENT_RMS))


def quiet_weights(samples: np.ndarray, rate: int, fps: float, n_frames: int) -> np.ndarray:
    """float32 [n_frames] in 0..1: how quiet each frame is against the clip's own loud level (its 90th-percentile
    frame): 0 down to :data:`QUIET_UNDER_DB`'s first figure under it, 1 from the second, in quiet stretches of
    :data:`QUIET_MIN_S` or more, averaged over :data:`SILENCE_FRAMES`. Room tone, breaths and pauses in any
    language are quiet; speech is not. So the face rests in a line's pauses even where the contact head hears
    the room as something (a telephone line's hiss)."""
    if n_frames == 0:
        return np.zeros(0, np.float32)
    loud = frame_loudness_db(samples, rate, fps, n_frames)
    under = np.percentile(loud, QUIET_PERCENTILE) - loud
    low, high = QUIET_UNDER_DB
    weight = np.clip((under - low) / (high - low), 0.0, 1.0).astype(np.float32)
    weight[~long_runs(weight > 0, max(1, int(np.ceil(QUIET_MIN_S * fps - 1e-9))))] = 0.0
    return running_mean(weight, SILENCE_FRAMES)


def long_runs(mask: np.ndarray, frames: int) -> np.ndarray:
    """``mask`` without its runs of True shorter than ``frames``."""
    out = np.zeros_like(mask, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    for a, b in zip(edges[0::2], edges[1::2], strict=True):
        if b - a >= frames:
            out[a:b] = True
    return out
