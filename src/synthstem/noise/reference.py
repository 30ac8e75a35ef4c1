"""The atomagined reference condition table (one source of truth; ``conditions.py`` builds
the :class:`~synthstem.noise.conditions.Condition` objects from it) and the conditions'
noise streams."""

from ..random import STAGE_NOISE, STAGE_NOISE_USER, item_seed_sequence, named_seed_sequence

__all__ = ["REFERENCE_CONDITIONS", "REFERENCE_TABLE", "SEED_CHILDREN", "noise_seed_sequence"]

#: The reference (atomagined) conditions: name, seed child, blur, counts, scan, background,
#: defect level, stem index. The seed child is the condition's fixed noise stream
#: (``noise_seed_sequence``): never renumber one, and give a new entry an unused number,
#: so that existing images keep their bytes. 'raw' (no noise) is child 0.
REFERENCE_TABLE = (
    ("clean", 1, 0.8, 400, 0.75, 2, 0, 0),
    ("blur1", 2, 1.8, 400, 0.75, 2, 0, 0),
    ("blur2", 3, 2.8, 400, 0.75, 2, 0, 0),
    ("cnts1", 4, 0.8, 100, 0.75, 2, 0, 0),
    ("cnts2", 5, 0.8, 40, 0.75, 2, 0, 0),
    ("scan1", 6, 0.8, 400, 1.00, 2, 0, 0),
    ("scan2", 7, 0.8, 400, 1.25, 2, 0, 0),
    ("bkgd1", 8, 0.8, 400, 0.75, 6, 0, 0),
    ("bkgd2", 9, 0.8, 400, 0.75, 10, 0, 0),
    ("blbk1", 10, 1.8, 400, 1.00, 6, 0, 0),
    ("blbk2", 11, 2.8, 400, 1.25, 10, 0, 0),
    ("dfct1", 12, 0.8, 400, 0.75, 2, 1, 0),
    ("dfct2", 13, 0.8, 400, 0.75, 2, 2, 0),
    ("comb1", 14, 1.8, 100, 1.00, 6, 1, 1),
    ("comb2", 15, 2.8, 100, 1.25, 6, 1, 2),
)

#: fixed noise-stream child of each reference condition (see ``noise_seed_sequence``)
SEED_CHILDREN: dict[str, int] = {"raw": 0, **{row[0]: row[1] for row in REFERENCE_TABLE}}

#: the reference conditions in the atomagined order ('all' in a config)
REFERENCE_CONDITIONS: tuple[str, ...] = tuple(SEED_CHILDREN)


def noise_seed_sequence(run_seed, item_index, name):
    """The noise stream of condition ``name`` in item ``item_index`` of a run.

    A reference condition uses its fixed child ``SEED_CHILDREN[name]`` of the item's
    ``STAGE_NOISE`` stream; any other name (user conditions) its own stream keyed by the
    name's bytes (``STAGE_NOISE_USER``). Neither depends on which other conditions a run
    makes or in which order.
    """
    child = SEED_CHILDREN.get(name)
    if child is not None:
        return item_seed_sequence(run_seed, item_index, STAGE_NOISE, child=child)
    return named_seed_sequence(run_seed, item_index, STAGE_NOISE_USER, name)
