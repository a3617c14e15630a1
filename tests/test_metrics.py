import numpy as np
import pytest

from multanet_core.errors import MulTaNetError
from multanet_core.metrics import fdd, jerk, jitter_ratio, lve, mve


def test_lve_and_mve_on_known_offsets():
    gt = np.zeros((4, 5, 3))
    pred = gt.copy()
    pred[:, 0, 0] = 3.0  # lip vertex 0 off by 3
    pred[:, 1, 1] = 4.0  # lip vertex 1 off by 4
    pred[2, 4, 2] = 10.0  # a non-lip vertex, one frame
    lips = np.array([0, 1])
    assert lve(pred, gt, lips) == pytest.approx(16.0)  # max squared lip distance per frame
    assert mve(pred, gt) == pytest.approx((3 + 4) / 5 + 10 / 20)


def test_fdd_is_gt_minus_prediction_dynamics():
    template = np.zeros((2, 3))
    gt = np.zeros((4, 2, 3))
    gt[:, 0, 1] = [0, 1, 0, 1]  # squared norm 0,1,0,1: std 0.5
    pred = np.zeros_like(gt)
    pred[:, 0, 1] = [0, 2, 0, 2]  # squared norm 0,4,0,4: std 2
    upper = np.array([0, 1])
    assert fdd(pred, gt, template, upper) == pytest.approx((0.5 - 2.0) / 2)
    assert fdd(gt, gt, template, upper) == 0


def test_jerk_of_a_cubic_and_jitter_ratio():
    fps = 10.0
    t = np.arange(21) / fps  # 18 third differences: the noise's signs balance
    x = np.zeros((21, 1, 3))
    x[:, 0, 0] = t**3  # third derivative 6 everywhere, and finite differences are exact on cubics
    assert jerk(x, np.array([0]), fps) == pytest.approx(6.0)
    noisy = x.copy()
    noisy[::2, 0, 0] += 0.05  # alternating noise: third difference +-4 x 0.05, times fps^3 = +-200
    assert jerk(noisy, np.array([0]), fps) == pytest.approx(200.0)  # |6 + 200| and |6 - 200| alternate
    assert jitter_ratio(noisy, x, np.array([0]), fps) == pytest.approx(200.0 / 6.0)
    assert jitter_ratio(x, x, np.array([0]), fps) == pytest.approx(1.0)
    with pytest.raises(MulTaNetError, match="do not move"):
        jitter_ratio(x, np.zeros_like(x), np.array([0]), fps)


def test_shape_mismatch_is_an_error():
    with pytest.raises(MulTaNetError, match="must both be"):
        mve(np.zeros((3, 4, 3)), np.zeros((3, 5, 3)))

