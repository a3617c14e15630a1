"""Training audio that sounds like recordings: noise floors, rooms, band limits, gain, clipping, codecs.

The synthetic corpus's pauses are digital zero; an actor's dialogue has room tone (rumble below 300 Hz
over a quieter broadband floor), hum, hiss, other voices, reverberation, a telephone or low-rate
source, arbitrary gain and lossy codecs; and another actor has another vocal tract
(:func:`vocal_tract_warp`, off unless ``warp_p`` is set). :func:`degrade` draws one such chain from a
seeded generator and applies it to a 16 kHz clip. It never moves the speech in time (the reverberation's
direct path is at lag 0, codec delays are undone, the warp is a filter), so the face's ground truth
stays exactly true.

Every random choice comes from the ``numpy`` generator passed in; :func:`variant_rng` derives it from
(seed, sequence key, variant number) alone, so a sequence's variants do not depend on the order or
the process they are made in. Babble is mixed from other clips that the caller supplies (for training,
other training clips; for evaluation, held-out ones), which keeps it split-safe. The ranges are data
(:class:`AugmentConfig`, the ``augment`` key of a training config) and are listed in docs/DATA.md.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import signal

from multanet_core.lpc import levinson

RATE = 16000


@dataclass(frozen=True)
class AugmentConfig:
    """How training audio is degraded; each ``*_p`` is the probability that a variant gets that step."""

    variants: int = 4  # degraded copies of every training clip, besides the clean one
    clean_share: float = 0.2  # share of training pairs that see the clean audio
    gain_db: tuple[float, float] = (-20.0, 20.0)
    clip_p: float = 0.15  # of a variant whose gain overdrives it: keep the clipping (else scale back)
    dc_p: float = 0.1
    dc: float = 0.05  # DC offset up to this, either sign
    reverb_p: float = 0.45
    rt60_s: tuple[float, float] = (0.1, 0.8)
    noise_p: float = 0.9
    noise_kinds: dict = field(default_factory=lambda: {"room": 0.45, "white": 0.08, "pink": 0.08, "brown": 0.07,
                                                       "hum": 0.12, "babble": 0.2})
    floor_dbfs: tuple[float, float] = (-75.0, -30.0)  # noise RMS when drawn as an absolute floor
    snr_db: tuple[float, float] = (0.0, 40.0)  # speech-to-noise ratio when drawn relative to the speech
    babble_snr_db: tuple[float, float] = (5.0, 25.0)  # babble and music beds sit under the dialogue
    band_p: float = 0.25
    bands: tuple[str, ...] = ("telephone", "8k", "11k")
    codec_p: float = 0.2
    codecs: tuple[str, ...] = ("vorbis", "mp3", "opus")
    warp_p: float = 0.0  # another speaker's vocal tract: the spectral envelope's frequency axis scaled
    warp: tuple[float, float] = (0.85, 1.15)  # by this factor (vocal tract length perturbation)
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.variants, int) or self.variants < 0:
            raise ValueError(f"augment: variants must be a whole number >= 0, got {self.variants!r}")
        for name in ("clean_share", "clip_p", "dc_p", "reverb_p", "noise_p", "band_p", "codec_p", "warp_p"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"augment: {name} must be a probability, got {value!r}")
        unknown = set(self.noise_kinds) - set(NOISE_KINDS)
        if unknown or not self.noise_kinds or min(self.noise_kinds.values()) < 0:
            raise ValueError(f"augment: noise_kinds must weigh some of {NOISE_KINDS}, got {self.noise_kinds!r}")
        for name, allowed in (("bands", BANDS), ("codecs", CODECS)):
            bad = [b for b in getattr(self, name) if b not in allowed]
            if bad:
                raise ValueError(f"augment: unknown {name} {bad}; known: {', '.join(allowed)}")
        if len(self.warp) != 2 or not 0.5 <= min(self.warp) <= max(self.warp) <= 2.0:
            raise ValueError(f"augment: warp must be (low, high) factors within 0.5..2, got {self.warp!r}")

    def to_dict(self) -> dict:
        """The fields; the warp's only when it is on, so configs and caches from before it stay the same."""
        data = asdict(self)
        if not self.warp_p:
            del data["warp_p"], data["warp"]
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> AugmentConfig | None:
        """``None`` or ``{"variants": 0}`` -> no augmentation; lists become tuples."""
        if not data:
            return None
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"augment: unknown keys {sorted(unknown)}")
        cfg = cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
        return cfg if cfg.variants else None


def variant_rng(seed: int, key: str, variant: int) -> np.random.Generator:
    """The generator of one sequence's variant, from the seed, the sequence's key and the variant alone."""
    digest = hashlib.sha256(f"{key}".encode()).digest()
    return np.random.default_rng([int(seed), int.from_bytes(digest[:8], "little"), int(variant)])


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(max(float(np.mean(np.square(x, dtype=np.float64))), 1e-20)))


def active_rms_db(x: np.ndarray, frame: int = 320) -> float:
    """The speech's level: RMS (dB) of its loudest half of 20 ms frames (pauses do not count)."""
    n = len(x) // frame
    if n < 2:
        return rms_db(x)
    power = np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)
    loud = np.sort(power)[n // 2:]
    return float(10 * np.log10(max(float(loud.mean()), 1e-20)))


def _coloured(n: int, rng: np.random.Generator, slope: float) -> np.ndarray:
    """Gaussian noise whose power falls as f**-slope (0 white, 1 pink, 2 brown), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec *= np.maximum(f, 20.0) ** (-slope / 2)
    x = np.fft.irfft(spec, n)
    return x / max(float(np.std(x)), 1e-12)


def _random_eq(x: np.ndarray, rng: np.random.Generator, max_db: float = 8.0) -> np.ndarray:
    """A smooth random spectral tilt and a few bumps (up to +-max_db) in log frequency."""
    spec = np.fft.rfft(x)
    f = np.maximum(np.fft.rfftfreq(len(x), 1 / RATE), 20.0)
    logf = np.log2(f / 1000.0)
    gain_db = rng.uniform(-3, 3) * logf / 3
    for _ in range(int(rng.integers(1, 4))):
        centre, width = rng.uniform(-5, 3), rng.uniform(0.3, 1.5)
        gain_db += rng.uniform(-max_db, max_db) * np.exp(-0.5 * ((logf - centre) / width) ** 2)
    return np.fft.irfft(spec * 10 ** (gain_db / 20), len(x))


def _slow_envelope(n: int, rng: np.random.Generator, depth_db: float) -> np.ndarray:
    """A random amplitude envelope wandering by about +-depth_db over 0.3-2 s: noise is not stationary."""
    knots = max(2, int(n / RATE / rng.uniform(0.3, 2.0)) + 2)
    values = rng.normal(0, depth_db / 2, knots)
    env_db = np.interp(np.arange(n), np.linspace(0, n, knots), values)
    return 10 ** (env_db / 20)


def room_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """What the pauses of real recordings sound like: rumble below 300 Hz over a broadband floor 15-30 dB
    quieter, random EQ, slowly varying level."""
    cutoff = rng.uniform(60, 300)
    sos = signal.butter(int(rng.integers(2, 5)), cutoff, "low", fs=RATE, output="sos")
    rumble = signal.sosfilt(sos, _coloured(n, rng, rng.uniform(1.0, 2.0)))
    rumble /= max(float(np.std(rumble)), 1e-12)
    floor = _coloured(n, rng, rng.uniform(0.0, 1.2)) * 10 ** (-rng.uniform(15, 30) / 20)
    x = _random_eq(rumble + floor, rng) * _slow_envelope(n, rng, rng.uniform(1, 6))
    return x / max(float(np.std(x)), 1e-12)


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum: 50 or 60 Hz and its harmonics with random falling amplitudes, over a faint hiss."""
    base = 50.0 if rng.random() < 0.5 else 60.0
    t = np.arange(n) / RATE
    x = np.zeros(n)
    for k in range(1, int(rng.integers(3, 16))):
        x += rng.uniform(0.2, 1.0) / k ** rng.uniform(0.5, 1.5) * np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6.3))
    x /= max(float(np.std(x)), 1e-12)
    return x + 0.05 * rng.standard_normal(n)


def babble(n: int, rng: np.random.Generator, pool: Sequence[np.ndarray]) -> np.ndarray:
    """3-6 other voices at once, each from a random point of a random clip of ``pool``, looped to length."""
    if not pool:
        return _coloured(n, rng, 1.0)
    x = np.zeros(n)
    for _ in range(int(rng.integers(3, 7))):
        src = np.asarray(pool[int(rng.integers(len(pool)))], np.float64)
        if len(src) == 0:
            continue
        start = int(rng.integers(len(src)))
        idx = (start + np.arange(n)) % len(src)
        v = src[idx]
        x += v / max(float(np.std(v)), 1e-9) * rng.uniform(0.5, 1.0)
    return x / max(float(np.std(x)), 1e-12)


# a major or minor triad, as semitones above the chord's root
_TRIADS = ((0, 4, 7), (0, 3, 7))


def _pluck(n: int, freq: float, rng: np.random.Generator, decay_s: float) -> np.ndarray:
    """A plucked string: harmonics 1-8 at falling amplitudes, the higher ones dying faster (-60 dB after
    ``decay_s`` for the fundamental)."""
    t = np.arange(n) / RATE
    h = np.arange(1, 9)[:, None]
    phases = rng.uniform(0, 2 * np.pi, (8, 1))
    decay = np.exp(-6.9 * t[None] * h ** 0.7 / decay_s)
    return (np.sin(2 * np.pi * freq * h * t[None] + phases) * decay / h).sum(0)


def music(n: int, rng: np.random.Generator) -> np.ndarray:
    """A music bed: a seeded chord progression on plucked or sustained harmonic tones, a bass line, and now
    and then a drum pattern (noise bursts), at a random tempo. Synthetic, but what matters here is what real
    music brings under dialogue: sustained harmonic sound with its own rhythm, which is not speech."""
    tempo = rng.uniform(70, 150)  # beats per minute
    beat = int(RATE * 60 / tempo)
    root = 110.0 * 2 ** (rng.integers(0, 12) / 12)
    plucked = rng.random() < 0.5
    x = np.zeros(n + 4 * beat)
    t = np.arange(4 * beat) / RATE
    for start in range(0, n, 4 * beat):  # one chord a bar of four beats
        chord_root = root * 2 ** (int(rng.choice([0, 5, 7, 9, 2, 4])) / 12)
        triad = _TRIADS[int(rng.integers(2))]
        for semitone in triad:
            f = chord_root * 2 ** (semitone / 12) * 2 ** int(rng.integers(0, 2))
            if plucked:
                for b in range(4):
                    if rng.random() < 0.7:
                        note = _pluck(len(t) - b * beat, f, rng, rng.uniform(0.3, 1.2))
                        x[start + b * beat:start + len(t)] += 0.5 * note
            else:
                tone = sum(np.sin(2 * np.pi * f * h * t + rng.uniform(0, 6.3)) / h ** 1.5 for h in range(1, 6))
                x[start:start + len(t)] += 0.3 * tone * np.minimum(1.0, t / 0.05)
        bass = np.sin(2 * np.pi * chord_root / 2 * t) * np.exp(-t / rng.uniform(0.3, 1.5))
        x[start:start + len(t)] += 0.6 * bass
    if rng.random() < 0.5:  # drums: a kick on every beat, a hat between
        kick = np.sin(2 * np.pi * 60 * t[:2000]) * np.exp(-t[:2000] / 0.04)
        hat = rng.standard_normal(600) * np.exp(-np.arange(600) / 120)
        for b in range(0, n, beat):
            x[b:b + 2000] += kick
            x[b + beat // 2:b + beat // 2 + 600] += 0.3 * hat
    x = x[:n]
    return x / max(float(np.std(x)), 1e-12)


NOISES: dict[str, Callable] = {
    "room": room_noise,
    "white": lambda n, rng: _coloured(n, rng, 0.0),
    "pink": lambda n, rng: _coloured(n, rng, 1.0),
    "brown": lambda n, rng: _coloured(n, rng, 2.0),
    "hum": hum,
    "music": music,  # not in the default noise_kinds: a config turns it on (older configs' variants stay true)
}
NOISE_KINDS = (*NOISES, "babble")  # babble mixes a pool of other clips: see babble()
BANDS = ("telephone", "8k", "11k")
CODECS = ("vorbis", "mp3", "opus")


def room_impulse_response(rt60: float, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room: the direct path at lag 0, a few early reflections, then a late tail decaying by
    60 dB in ``rt60`` seconds; direct-to-reverberant ratio between -3 and +12 dB."""
    n = int(RATE * min(1.5 * rt60, 1.2)) + 1
    t = np.arange(n) / RATE
    h = np.zeros(n)
    h[0] = 1.0
    for _ in range(int(rng.integers(3, 9))):
        lag = int(RATE * rng.uniform(0.002, 0.03))
        if lag < n:
            h[lag] += rng.uniform(0.1, 0.6) * rng.choice([-1, 1])
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(RATE * 0.004)] = 0
    drr = rng.uniform(-3, 12)
    tail *= np.sqrt(10 ** (-drr / 10) / max(float(np.sum(tail**2)), 1e-12))
    return h + tail


def reverberate(x: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    y = signal.fftconvolve(x, room_impulse_response(rt60, rng))[: len(x)]
    return y * 10 ** ((active_rms_db(x) - active_rms_db(y)) / 20)


def band_limit(x: np.ndarray, kind: str) -> np.ndarray:
    """A telephone channel (300-3400 Hz through 8 kHz) or a source recorded at 8 or 11.025 kHz."""
    if kind == "telephone":
        sos = signal.butter(4, (300, 3400), "bandpass", fs=RATE, output="sos")
        x = signal.sosfiltfilt(sos, x)
        return signal.resample_poly(signal.resample_poly(x, 1, 2), 2, 1)[: len(x)]
    if kind == "8k":
        return signal.resample_poly(signal.resample_poly(x, 1, 2), 2, 1)[: len(x)]
    if kind == "11k":
        y = signal.resample_poly(signal.resample_poly(x, 441, 640), 640, 441)
        return np.pad(y, (0, max(0, len(x) - len(y))))[: len(x)]
    raise ValueError(f"unknown band limit {kind!r}")


_CODEC_FORMATS = {"vorbis": ("OGG", "VORBIS"), "mp3": ("MP3", "MPEG_LAYER_III"), "opus": ("OGG", "OPUS")}


def codec(x: np.ndarray, kind: str, quality: float) -> np.ndarray:
    """Encode and decode through libsndfile (``quality`` 0 best .. 1 worst); the codec's delay is found
    by cross-correlation and undone, so the speech stays where it was."""
    import soundfile as sf

    fmt, subtype = _CODEC_FORMATS[kind]
    peak = max(float(np.abs(x).max(initial=0)), 1e-9)
    buf = io.BytesIO()
    sf.write(buf, (x / max(peak, 1.0)).astype(np.float32), RATE, format=fmt, subtype=subtype,
             compression_level=float(np.clip(quality, 0, 1)))
    buf.seek(0)
    y, _ = sf.read(buf, dtype="float64")
    y = y * max(peak, 1.0)
    lag = _delay(x, y)
    y = y[lag:] if lag >= 0 else np.pad(y, (-lag, 0))
    return np.pad(y, (0, max(0, len(x) - len(y))))[: len(x)]


def _delay(x: np.ndarray, y: np.ndarray, max_lag: int = 4000) -> int:
    """How many samples ``y`` lags ``x`` (within +-max_lag)."""
    n = min(len(x), len(y))
    size = 1 << int(np.ceil(np.log2(2 * n)))
    corr = np.fft.irfft(np.fft.rfft(y[:n], size) * np.conj(np.fft.rfft(x[:n], size)), size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    return int(lags[np.argmax(np.concatenate([corr[: max_lag + 1], corr[-max_lag:]]))])


def _vtlp_source(freqs: np.ndarray, alpha: float, nyquist: float, boundary_hz: float) -> np.ndarray:
    """Where each output frequency's energy comes from under the piecewise-linear VTLP map of Jaitly and
    Hinton (2013): f -> alpha*f up to a boundary, then a straight line to the Nyquist frequency."""
    knee = boundary_hz * min(alpha, 1.0) / alpha
    source = np.linspace(0.0, nyquist, 4097)
    forward = np.where(source <= knee, alpha * source,
                       nyquist - (nyquist - alpha * knee) / (nyquist - knee) * (nyquist - source))
    return np.interp(freqs, forward, source)


def vocal_tract_warp(x: np.ndarray, alpha: float, boundary_hz: float = 4800.0, nperseg: int = 512,
                     order: int = 18, max_gain_db: float = 20.0) -> np.ndarray:
    """The same speech from a longer (``alpha`` < 1) or shorter (> 1) vocal tract. In every short-time
    spectrum the all-pole envelope (LPC of ``order``, from the frame's power spectrum) is moved along
    frequency by the VTLP map: the spectrum is multiplied by the warped envelope over the old one (at most
    +-``max_gain_db``). That is a smooth time-varying filter, so the excitation (pitch, bursts, silences)
    and the timing stay as they were (8 ms hops, same length); the level is kept."""
    x = np.asarray(x, np.float64)
    if len(x) < nperseg or alpha == 1.0:
        return x.copy()
    hop = nperseg // 4
    freqs, _, spec = signal.stft(x, RATE, nperseg=nperseg, noverlap=nperseg - hop)
    r = np.fft.irfft(np.abs(spec.T) ** 2, axis=1)[:, : order + 1]
    r[:, 0] = r[:, 0] * (1 + 1e-4) + 1e-12
    a = np.concatenate([np.ones((r.shape[0], 1)), levinson(r, order)], axis=1)
    log_env = -np.log(np.abs(np.fft.rfft(a, nperseg, axis=1)) + 1e-9).T  # [freqs, frames]
    pos = _vtlp_source(freqs, alpha, RATE / 2, boundary_hz) / freqs[1]
    lo = np.minimum(pos.astype(np.int64), len(freqs) - 2)
    frac = (pos - lo)[:, None]
    warped = (1 - frac) * log_env[lo] + frac * log_env[lo + 1]
    limit = max_gain_db / 20 * np.log(10)
    gain = np.exp(np.clip(warped - log_env, -limit, limit))
    _, y = signal.istft(spec * gain, RATE, nperseg=nperseg, noverlap=nperseg - hop)
    y = np.pad(y, (0, max(0, len(x) - len(y))))[: len(x)]
    return y * 10 ** ((rms_db(x) - rms_db(y)) / 20)


def add_noise(x: np.ndarray, kind: str, rng: np.random.Generator, cfg: AugmentConfig,
              pool: Sequence[np.ndarray] = ()) -> tuple[np.ndarray, dict]:
    """Speech plus noise of ``kind`` at an absolute floor or a speech-to-noise ratio drawn from ``cfg``."""
    n = len(x)
    noise = babble(n, rng, pool) if kind == "babble" else NOISES[kind](n, rng)
    speech_db = active_rms_db(x)
    if kind in ("babble", "music"):
        level = speech_db - rng.uniform(*cfg.babble_snr_db)
    elif rng.random() < 0.5:
        level = rng.uniform(*cfg.floor_dbfs)
    else:
        level = speech_db - rng.uniform(*cfg.snr_db)
    return x + noise * 10 ** (level / 20), {"noise": kind, "noise_dbfs": round(float(level), 1),
                                            "snr_db": round(float(speech_db - level), 1)}


def degrade(x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig,
            pool: Sequence[np.ndarray] = ()) -> tuple[np.ndarray, dict]:
    """One random recording chain applied to a 16 kHz clip: (float32 audio, what was done).

    Order: vocal tract warp (another speaker), gain (with clipping, or scaled back under full scale), room
    reverberation, additive noise, band limit, DC offset, codec. With ``warp_p`` 0 no draw is spent on the
    warp, so the chains drawn before it existed are drawn unchanged.
    """
    y = np.asarray(x, np.float64).copy()
    steps: dict = {}
    if cfg.warp_p and rng.random() < cfg.warp_p:
        alpha = rng.uniform(*cfg.warp)
        y = vocal_tract_warp(y, alpha)
        steps["warp"] = round(float(alpha), 3)
    gain = rng.uniform(*cfg.gain_db)
    y *= 10 ** (gain / 20)
    steps["gain_db"] = round(float(gain), 1)
    peak = float(np.abs(y).max(initial=0))
    if peak > 1.0:
        if rng.random() < cfg.clip_p:
            steps["clipped"] = round(float(np.mean(np.abs(y) > 1.0)), 4)
        else:
            y *= rng.uniform(0.3, 1.0) / peak
    if rng.random() < cfg.reverb_p:
        rt60 = rng.uniform(*cfg.rt60_s)
        y = reverberate(y, rt60, rng)
        steps["rt60_s"] = round(float(rt60), 2)
    if rng.random() < cfg.noise_p:
        kinds = list(cfg.noise_kinds)
        weights = np.asarray([cfg.noise_kinds[k] for k in kinds], np.float64)
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        y, info = add_noise(y, kind, rng, cfg, pool)
        steps.update(info)
    if rng.random() < cfg.band_p:
        band = cfg.bands[int(rng.integers(len(cfg.bands)))]
        y = band_limit(y, band)
        steps["band"] = band
    if rng.random() < cfg.dc_p:
        dc = rng.uniform(-cfg.dc, cfg.dc)
        y += dc
        steps["dc"] = round(float(dc), 3)
    if rng.random() < cfg.codec_p:
        kind = cfg.codecs[int(rng.integers(len(cfg.codecs)))]
        quality = rng.uniform(0.2, 0.9)
        y = codec(y, kind, quality)
        steps["codec"] = kind
    return np.clip(y, -1.0, 1.0).astype(np.float32), steps
