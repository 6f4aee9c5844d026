"""Strategy targets: Faratin et al. (1998) time-dependent tactics and relative tit-for-tat."""

from __future__ import annotations

import numpy as np
import pytest

from sim.protocols.strategies import TIME_BETA, time_dependent_target, tit_for_tat_target


def test_time_dependent_closed_form():
    # Faratin et al. 1998: alpha(t) = (t/T)^(1/beta); target = w + (1 - alpha)(1 - w)
    w = np.array([[0.2, 0.2, 0.2]])
    beta = np.array([[TIME_BETA["boulware"], TIME_BETA["linear"], TIME_BETA["conceder"]]])
    t, deadline = 5, np.array([10])
    got = time_dependent_target(w, beta, t, deadline)[0]
    # by hand at t / T = 0.5: boulware (beta 0.2) alpha = 0.5^5 = 0.03125 -> 0.2 + 0.96875 x 0.8 = 0.975;
    # linear alpha = 0.5 -> 0.6; conceder (beta 5) alpha = 0.5^0.2 = 0.870551 -> 0.2 + 0.129449 x 0.8
    assert beta[0].tolist() == [0.2, 1.0, 5.0]
    np.testing.assert_allclose(got, [0.975, 0.6, 0.303559], atol=1e-6)
    assert got[0] > got[1] > got[2]  # boulware holds firm, conceder gives way
    np.testing.assert_allclose(time_dependent_target(w, beta, 0, deadline)[0], 1.0)
    np.testing.assert_allclose(time_dependent_target(w, beta, 10, deadline)[0], 0.2)


def test_tit_for_tat_concedes_the_same_share():
    w = np.array([[0.2]])
    # the others closed half the gap from 0.4 to 1 (0.4 -> 0.7): concede half of 1 - w
    got = tit_for_tat_target(w, np.array([[0.4]]), np.array([[0.7]]))
    assert got[0, 0] == pytest.approx(1 - 0.5 * 0.8)
    assert tit_for_tat_target(w, np.array([[np.nan]]), np.array([[np.nan]]))[0, 0] == 1.0
    # the others hardening never raises the target above 1 nor lowers it below w
    assert tit_for_tat_target(w, np.array([[0.5]]), np.array([[0.3]]))[0, 0] == 1.0
