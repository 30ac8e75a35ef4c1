"""Explicit random streams: every random function takes ``rng``."""

import numpy as np


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


def item_seed_sequence(run_seed, item_index, stage=0):
    """The seed sequence of one item and stage: independent of workers, order and scheduler."""
    return np.random.SeedSequence([int(run_seed), int(item_index), int(stage)])


#: stage of the per-item draws of optics and specimen parameters (synthstem.variation);
#: the pipeline's other stages are 0-4 (structure, simulate, noise, defect, user noise)
STAGE_VARIATION = 5


def variation_seed_sequence(run_seed, item_index):
    """The seed sequence of one item's parameter draws (one stream per parameter name
    below it, ``synthstem.distributions.stream``)."""
    return item_seed_sequence(run_seed, item_index, STAGE_VARIATION)
