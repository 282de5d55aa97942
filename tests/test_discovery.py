"""Mode discovery bookkeeping: the chance that k random chains reach every mode."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from bayes_uat.modes import Discovery


def _disc(chain_mode):
    chain_mode = np.asarray(chain_mode)
    per = np.bincount(chain_mode[chain_mode >= 0], minlength=chain_mode.max() + 1)
    return Discovery(samples=None, modes=None, chain_mode=chain_mode, chains_per_mode=per)


@pytest.mark.parametrize("chain_mode", [[0, 0, 1, 2, 1, 0, 2], [0, 1, 1, 1, 1, 1], [0, 0, 0]])
def test_p_all_found_matches_enumeration(chain_mode):
    d = _disc(chain_mode)
    modes = set(chain_mode)
    n = len(chain_mode)
    for k in range(1, n + 1):
        subsets = list(combinations(range(n), k))
        hit = sum(set(chain_mode[i] for i in s) == modes for s in subsets)
        assert d.p_all_found(k) == pytest.approx(hit / len(subsets), abs=1e-12)


def test_chains_needed():
    d = _disc([0] * 9 + [1])
    # one chain in ten reaches mode 1: all ten chains are needed to be sure of it
    assert d.chains_needed(0.95) == 10
    assert _disc([0, 1] * 10).chains_needed(0.95) == 5  # 1 − 2·C(10,k)/C(20,k): 0.91, 0.97
    with pytest.raises(ValueError, match="exceeds"):
        d.p_all_found(11)
