"""Train/test split of a dataset's items and the ``splits.json`` document.

Items are grouped by structure id (``by='structure'``) or prototype (``by='prototype'``);
the groups are split with ``synthstem.labels.splits.split_groups`` drawing from
``SeedSequence([seed, STAGE_SPLIT])``, so no group is on both sides. Without a split
every item goes to 'all'.
"""

import numpy as np

from ..labels.splits import split_groups, structure_group
from ..random import STAGE_SPLIT, as_rng
from .records import prototype_group



def group_of(item, name, by):
    """The split group of an item: its structure id or its prototype."""
    return prototype_group(item) if by == "prototype" else structure_group(name)


def assign_splits(groups, options, seed):
    """Split name of every item (item order): 'train' / 'test', or 'all' when ``options`` is None.

    groups : list  One group per item (ignored without options).
    """
    if options is None:
        return ["all"] * len(groups)
    rng = as_rng(np.random.SeedSequence([int(seed), STAGE_SPLIT]))
    train, test = split_groups(groups, options["test_fraction"], rng)
    split_of = {i: "train" for i in train} | {i: "test" for i in test}
    return [split_of[i] for i in range(len(groups))]


def splits_document(seed, options, names, splits, groups, few_shot=None):
    """``splits.json``: the seed, the options, every item's split and group, the few-shot
    subsets (``{"<K>_shot": {"run_<r>": {"seed", "images"}}}``) when made."""
    doc = {
        "seed": int(seed),
        "options": None if options is None else {k: list(v) if isinstance(v, tuple) else v
                                                 for k, v in options.items()},
        "items": dict(zip(names, splits)),
        "groups": dict(zip(names, groups)) if options is not None else None,
    }
    if few_shot:
        doc["few_shot"] = few_shot
    return doc
