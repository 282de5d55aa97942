"""Mode discovery bookkeeping: the chance that k random chains reach every mode."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from bayes_uat.studies.discovery import Discovery, chain_visits


def _disc(chain_mode):
    """Each chain spends all its draws in one mode."""
    labels = np.repeat(np.asarray(chain_mode)[:, None], 4, axis=1)
    visits, cm = chain_visits(labels, int(labels.max()) + 1)
    return Discovery(samples=None, modes=None, visits=visits, chain_mode=cm)


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


def test_chains_visiting_several_modes():
    # chain 0 alternates between modes 0 and 1; chains 1, 2 stay in mode 0; chain 3 has one
    # draw in four in mode 1, exactly the 25 % visit share, so it counts as reaching it
    labels = np.array([[0, 1, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
    visits, cm = chain_visits(labels, 2)
    assert visits.tolist() == [[True, True], [True, False], [True, False], [True, True]]
    assert cm.tolist() == [0, 0, 0, 0]
    d = Discovery(samples=None, modes=None, visits=visits, chain_mode=cm)
    # all found unless every drawn chain is chain 1 or 2: P = 1 − C(2,k)/C(4,k)
    assert d.p_all_found(1) == pytest.approx(0.5)
    assert d.p_all_found(2) == pytest.approx(1 - 1 / 6)
    assert d.chains_needed(0.95) == 3
