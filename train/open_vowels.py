"""Open vowels opened (issue 26): does the predicted mouth open as far as the ground truth on /a/-like vowels?

At the centre frame of every open vowel of a sequence's phone timeline (the corpus json's ``phonemes``,
``[start_s, end_s, ipa]``; open = :func:`train.synth.articulation.phoneme_class` ``"open"``: a, ä, ɑ, æ, ɐ, ɒ and
the diphthongs that start with one), the lip opening is the distance between the upper and the lower lip
midpoint vertices minus that distance at rest (:func:`train.speech_metrics.lip_opening`). The measure of a
language is a ratio of means: the predicted opening over the ground truth's, each averaged over the open-vowel
centres of all its sequences (1: opened as far as the ground truth; 0.5: half as far; the target is >= 0.9).

A sequence contributes sums (:func:`sequence_sums`), so sequences pool by adding them (:func:`pooled_ratio`).
"""

from __future__ import annotations

import numpy as np

from train.speech_metrics import lip_opening
from train.synth.articulation import phoneme_class

TARGET = 0.9  # issue 26: open vowels opened >= 90 % of the ground truth in every language


def open_vowel_centres(phones: list, fps: float, n_frames: int) -> np.ndarray:
    """Frame indices (round half to even) of the centres of the open vowels of ``phones`` inside the clip."""
    idx = [int(round((float(s) + float(e)) / 2 * fps)) for s, e, p in phones or []
           if phoneme_class(str(p)) == "open"]
    return np.asarray([i for i in idx if 0 <= i < n_frames], np.int64)


def sequence_sums(pred: np.ndarray, gt: np.ndarray, template: np.ndarray, lips: np.ndarray, up: int,
                  phones: list, fps: float) -> dict | None:
    """Sums of one sequence at its open-vowel centres: ``open_pred`` and ``open_gt`` (summed openings, in the
    data's unit) and ``open_centres`` (their count); None where it has no open vowel. ``pred`` and ``gt`` are
    [T, V, 3] vertices of the same length; ``up`` the up axis (0, 1, 2). Raises ValueError where the lips have
    no midpoints (:func:`train.speech_metrics.lip_midpoints`)."""
    n = min(len(pred), len(gt))
    centres = open_vowel_centres(phones, fps, n)
    if not len(centres):
        return None
    template = np.asarray(template)
    opened = lip_opening(np.asarray(pred[:n])[centres], template, lips, up)
    truth = lip_opening(np.asarray(gt[:n])[centres], template, lips, up)
    return {"open_pred": float(opened.sum()), "open_gt": float(truth.sum()), "open_centres": int(len(centres))}


def pooled_ratio(records: list[dict]) -> float | None:
    """Mean predicted opening over mean ground-truth opening at the open-vowel centres of ``records`` (each
    with :func:`sequence_sums`' keys; others are skipped); None without centres or where the ground truth does
    not open on average."""
    rs = [r for r in records if r.get("open_centres")]
    gt = sum(r["open_gt"] for r in rs)
    if not rs or gt <= 0:
        return None
    return float(sum(r["open_pred"] for r in rs) / gt)


__all__ = ["TARGET", "open_vowel_centres", "sequence_sums", "pooled_ratio"]
