"""Explicit random streams: every random function takes ``rng``.

The stage ids of a dataset item's streams live here and nowhere else. Item ``k`` of a
run with seed ``s`` draws stage ``t`` from ``SeedSequence([s, k, t])`` (optionally one
spawned child of it), so an item's images depend on neither workers nor completion order.
"""

import numpy as np

#: sub-cell shift of retrieval twins
STAGE_STRUCTURE = 0
#: frozen phonons (one integer seed for the simulation)
STAGE_SIMULATE = 1
#: named conditions: child ``seed_child`` (fixed per name, synthstem.noise.conditions)
STAGE_NOISE = 2
#: point defects: child ``level`` of 3
STAGE_DEFECT = 3
#: conditions without a fixed child (user conditions): one stream per name
STAGE_NOISE_USER = 4
#: optics and specimen parameters drawn per item (synthstem.variation): one stream per key
STAGE_VARIATION = 5
#: amorphous surface layers (positions and species)
STAGE_AMORPHOUS = 6
#: item-index slot of plan-time draws (decorations, retrieval choice)
PLAN_STREAM = 2**31 - 1

# Export streams (post-processing of a finished dataset, not per item): their sequences
# have another shape, so they cannot meet an item stream.
#: augmented variants: ``SeedSequence([seed, crc32(image key), STAGE_AUGMENT, variant])``
STAGE_AUGMENT = 6
#: train/test split of the structure groups: ``SeedSequence([seed, STAGE_SPLIT])``
STAGE_SPLIT = 7


def as_rng(rng=None):
    """Return a ``numpy.random.Generator`` from a Generator, an int seed or a SeedSequence.

    ``None`` gives a fresh, unseeded generator (not reproducible: pass a seed to record).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer, np.random.SeedSequence)):
        if isinstance(rng, (int, np.integer)) and rng < 0:
            raise ValueError(f"seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be a numpy Generator, a SeedSequence or an int seed, got {type(rng).__name__}")


def item_seed_sequence(run_seed, item_index, stage=0, child=None):
    """The seed sequence of one item and stage (``child``: the same as ``.spawn(n)[child]``
    for any ``n > child``)."""
    entropy = [int(run_seed), int(item_index), int(stage)]
    if child is None:
        return np.random.SeedSequence(entropy)
    return np.random.SeedSequence(entropy, spawn_key=(int(child),))


def named_seed_sequence(run_seed, item_index, stage, name):
    """A stream keyed by a name (utf-8 bytes), so adding a name changes no other stream."""
    return np.random.SeedSequence([int(run_seed), int(item_index), int(stage), *str(name).encode("utf-8")])


def plan_rng(run_seed, *keys):
    """Generator of plan-time draws (decorations, retrieval choices) keyed by ``keys``."""
    return np.random.default_rng(np.random.SeedSequence([int(run_seed), PLAN_STREAM, *map(int, keys)]))


def seed_int(seed_sequence):
    """One 32-bit integer seed drawn from a SeedSequence."""
    return int(seed_sequence.generate_state(1, dtype=np.uint32)[0])

