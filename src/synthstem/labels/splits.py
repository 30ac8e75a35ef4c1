"""Train/test splits by structure (no structure on both sides) and few-shot subsets.

The split is made on groups: by default the structure id (the six digits before the dot of
an item name ``CCCCCC.SuSvSw``), optionally the prototype (see ``group_key``). Groups are
shuffled with a recorded seed and moved to the test side until it holds at least
``test_fraction`` of the images; with two or more groups both sides are non-empty.

Few-shot subsets follow MaskTerial: for K in ``shots`` and run in ``range(runs)``, the
training images are shuffled with the seed ``SeedSequence([seed, K, run])``; for every
category in id order, the first K images (in that order) that contain it are taken, with
all their instances. The seeds and image names are written into ``splits.json``.
"""

import numpy as np

from ..random import as_rng


def structure_group(name):
    """Structure id of an item name: '020790.000201' -> '020790'."""
    return str(name).split(".", 1)[0]


def split_groups(groups, test_fraction=0.2, rng=0):
    """Split items into train and test so that no group is on both sides.

    Parameters
    ----------
    groups : sequence of hashable  One group key per item (item order).
    test_fraction : float in [0, 1)  Target fraction of items on the test side.
    rng : Generator or int seed

    Returns
    -------
    train, test : lists of item indices (ascending)
    """
    if not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    groups = [str(g) for g in groups]
    rng = as_rng(rng)
    unique = sorted(set(groups))
    order = [unique[i] for i in rng.permutation(len(unique))]
    n = len(groups)
    sizes = {g: groups.count(g) for g in unique}
    test_groups, n_test = set(), 0
    for g in order:
        if n_test >= test_fraction * n or len(test_groups) >= len(unique) - 1:
            break
        test_groups.add(g)
        n_test += sizes[g]
    if test_fraction > 0 and not test_groups and len(unique) > 1:
        test_groups.add(order[0])
    test = [i for i, g in enumerate(groups) if g in test_groups]
    train = [i for i, g in enumerate(groups) if g not in test_groups]
    return train, test


def few_shot_subsets(image_categories, category_ids, shots, runs, seed=0):
    """Few-shot training subsets.

    Parameters
    ----------
    image_categories : list of set of int  Category ids present on each training image.
    category_ids : sequence of int  Categories to cover (in this order).
    shots : sequence of int  K values.
    runs : int  Runs per K.
    seed : int  Base seed; run (K, r) uses ``SeedSequence([seed, K, r])``.

    Returns
    -------
    dict  ``{K: {run: {"seed": [seed, K, r], "images": [indices]}}}``
    """
    out = {}
    for k in shots:
        k = int(k)
        if k < 1:
            raise ValueError(f"shots must be positive integers, got {k}")
        out[k] = {}
        for run in range(int(runs)):
            rng = np.random.default_rng(np.random.SeedSequence([int(seed), k, run]))
            order = rng.permutation(len(image_categories))
            chosen = set()
            for cat in category_ids:
                taken = 0
                for i in order:
                    if taken >= k:
                        break
                    if cat in image_categories[i]:
                        chosen.add(int(i))
                        taken += 1
            out[k][run] = {"seed": [int(seed), k, run], "images": sorted(chosen)}
    return out
