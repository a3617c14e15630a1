"""Polyphase resampling in numpy alone: the same numbers as ``scipy.signal.resample_poly``.

Training reads audio through core (outside Blender), the add-on through Blender's ``aud``, which
has no scipy and whose own resampler differs from scipy's by a few percent near 8 kHz: enough to
move LPC features. So both paths resample here, with scipy's default design (a Kaiser-windowed
sinc, beta 5, ``10 * max(up, down)`` taps either side, zero padding at the ends, the same output
alignment and length); a test holds it to scipy to float64 rounding.
"""

from __future__ import annotations

import math

import numpy as np


def _lowpass(up: int, down: int) -> np.ndarray:
    """scipy.signal.firwin(2 * half_len + 1, 1 / max_rate, window=('kaiser', 5.0)) * up."""
    max_rate = max(up, down)
    half_len = 10 * max_rate
    n = 2 * half_len + 1
    m = np.arange(n) - half_len
    cutoff = 1.0 / max_rate
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(n, 5.0)
    return h / h.sum() * up


def resample_poly(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """Resample the 1-D signal ``x`` by ``up / down`` (float64 out), as scipy's ``resample_poly`` does."""
    x = np.asarray(x, dtype=np.float64)
    g = math.gcd(up, down)
    up, down = up // g, down // g
    if up == down == 1:
        return x.copy()
    n_in = len(x)
    n_out = n_in * up // down + bool(n_in * up % down)
    h = _lowpass(up, down)
    half_len = (len(h) - 1) // 2
    pre_pad = down - half_len % down
    h = np.concatenate([np.zeros(pre_pad), h])
    first = (half_len + pre_pad) // down  # leading outputs of the full convolution that are dropped

    # y[m] = sum_n x[n] h[m * down - n * up]. Output m has phase p = (m * down) % up, which takes the
    # taps h[p + up * j] over x[(m * down - p) / up - j], j = 0 .. taps - 1. Outputs of one phase are
    # `up` apart and their inputs `down` apart: one strided matrix-vector product per phase.
    taps = -(-len(h) // up)
    hp = np.zeros(taps * up)
    hp[:len(h)] = h
    hp = hp.reshape(taps, up).T[:, ::-1].copy()  # [phase, taps], reversed: windows run forwards
    padded = np.concatenate([np.zeros(taps), x, np.zeros(2 * taps)])  # x[i] is padded[i + taps]
    out = np.empty(n_out)
    inverse = pow(down, -1, up)  # m * down = p (mod up)  <=>  m = p * inverse (mod up)
    step = padded.strides[0]
    for p in range(up):
        m0 = first + (p * inverse - first) % up
        if m0 >= first + n_out:
            continue
        count = (first + n_out - 1 - m0) // up + 1
        lo = (m0 * down - p) // up + 1  # padded index of the window's first (oldest) sample
        assert lo >= 0 and lo + (count - 1) * down + taps <= len(padded)
        windows = np.lib.stride_tricks.as_strided(padded[lo:], shape=(count, taps), strides=(down * step, step),
                                                  writeable=False)
        out[m0 - first::up] = windows @ hp[p]
    return out


def _reduced(up: int, down: int) -> tuple[int, int]:
    g = math.gcd(up, down)
    return up // g, down // g


def resample_stream(blocks, n_in: int, up: int, down: int, out_block: int = 1 << 18) -> np.ndarray:
    """:func:`resample_poly` of a 1-D signal of ``n_in`` samples that arrives in ``blocks`` (any sizes),
    float32 out, never holding more of the input than one stretch of ``out_block`` outputs needs: the same
    numbers as resampling the whole signal at once (each stretch is resampled from a slice that starts on
    the output grid and reaches past the filter's half length on both sides)."""
    up, down = _reduced(up, down)
    n_out = n_in * up // down + bool(n_in * up % down)
    out = np.empty(n_out, np.float32)
    margin = 10 * max(up, down) // up + 2 * down + 8  # input samples the filter reaches either side, and then some
    stretch = max(up, out_block // up * up)  # outputs per stretch, a multiple of up
    source = iter(blocks)
    buf = np.zeros(0, np.float64)
    buf_start = 0  # absolute index of buf[0]
    done = False
    for a in range(0, n_out, stretch):
        b = min(n_out, a + stretch)
        s = max(0, (a * down // up - margin) // down * down)  # on the grid: output j of the slice is a + ...
        e = min(n_in, -(-b * down // up) + margin)
        while buf_start + len(buf) < e and not done:
            block = next(source, None)
            if block is None:
                done = True
                break
            buf = np.concatenate([buf[s - buf_start:] if s > buf_start else buf, np.asarray(block, np.float64)])
            buf_start = max(buf_start, s)
        if buf_start + len(buf) < e:
            raise ValueError(f"the blocks held {buf_start + len(buf)} samples, not the {n_in} announced")
        y = resample_poly(buf[s - buf_start:e - buf_start], up, down)
        first = s * up // down
        out[a:b] = y[a - first:b - first]
        buf, buf_start = buf[s - buf_start:], s  # what the next stretch may still need
    return out
