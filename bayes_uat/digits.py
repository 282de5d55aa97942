"""The 8×8 handwritten digits that scikit-learn ships, as a small classification data set.

seed 002 asks how a network recognises handwritten digits (MNIST). MNIST itself is a
download and 784 inputs per image; the 8×8 digits of :func:`sklearn.datasets.load_digits`
(1 797 images, 64 pixels of 0–16, 10 classes, stored inside scikit-learn) keep that question
in reach of a full posterior. :func:`load_digits` makes it small:

* a subset of classes (default 0, 1, 2, 3; labels renumbered 0 … K−1 in the given order);
* the 64 pixels projected onto their first ``n_components`` principal components (fitted on
  the chosen images), each component standardised to mean 0 and variance 1, so that the
  default N(0, s²) weight priors see inputs of order 1.

The result is an ordinary :class:`~bayes_uat.Dataset` with x of shape (n, n_components)
and integer labels y, for ``likelihood="categorical"`` with ``MLP(..., in_dim=n_components,
out_dim=len(classes))``.

>>> d = load_digits(classes=(0, 1), n_components=4)
>>> d.x.shape, sorted(set(d.y.tolist()))
((360, 4), [0.0, 1.0])
"""

from __future__ import annotations

import numpy as np

from .data import Dataset
from .validate import integer


def load_digits(
    classes: tuple[int, ...] = (0, 1, 2, 3), *, n_components: int | None = 8
) -> Dataset:
    """The digits of ``classes`` (labels 0 … K−1 in that order), PCA-reduced to
    ``n_components`` standardised inputs (None: the 64 pixels scaled to [0, 1])."""
    try:
        classes = tuple(classes)
    except TypeError:
        raise ValueError(f"classes must be a tuple of digits 0–9, got {classes!r}") from None
    if (
        len(classes) < 2
        or len(set(classes)) != len(classes)
        or not all(isinstance(c, (int, np.integer)) and 0 <= c <= 9 for c in classes)
    ):
        raise ValueError(
            f"classes must be two or more distinct digits 0–9, e.g. (0, 1, 2, 3), got {classes!r}"
        )
    if n_components is not None:
        n_components = integer(
            "n_components", n_components, minimum=1, fix="a number of principal components"
        )
        if n_components > 64:
            raise ValueError(
                f"n_components must be at most 64 (the pixels of an 8×8 image), got "
                f"{n_components}; pass None for the raw pixels"
            )
    from sklearn.datasets import load_digits as _sk_digits  # 1 s to import: only when used

    bunch = _sk_digits()
    keep = np.isin(bunch.target, classes)
    pixels = bunch.data[keep] / 16.0
    y = np.array([classes.index(int(t)) for t in bunch.target[keep]], dtype=float)
    if n_components is None:
        x = pixels
    else:
        from sklearn.decomposition import PCA

        z = PCA(n_components=n_components, random_state=0).fit_transform(pixels)
        x = (z - z.mean(axis=0)) / z.std(axis=0)
    label = ",".join(str(c) for c in classes)
    return Dataset(x=x, y=y, source=f"sklearn digits {label}, pca {n_components}")
