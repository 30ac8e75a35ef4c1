"""How an image of a named condition relates to its item's labels.

The defect level an image shows and the drift / flyback that moved its content, read from
the condition table (:data:`synthstem.noise.conditions.CONDITIONS`) or the item's recorded
noise entry. Shared by the exports (items in memory) and the loaders (item files).
"""

import numpy as np

from ..noise.conditions import CONDITIONS, ConditionParams, condition_from_dict
from .boxes import condition_suffix


def image_defect_level(dataset_name, record=None):
    """0 for an image of the clean structure, else the defect level (1 or 2) it shows.

    ``record`` is the image's recorded noise entry (its ``condition`` dict wins); without
    one, the named condition the dataset name ends with ('stem00-dfct2' -> 2).
    """
    if record is not None and isinstance(record.get("condition"), dict):
        return int(record["condition"].get("defect_level") or 0)
    cond = CONDITIONS.get(condition_suffix(dataset_name))
    return int(cond.defect_level) if cond is not None else 0


def move_with_record(record, xy, peak_map, shape):
    """Coordinates (and a peak map) moved through the drift / flyback of a recorded image.

    Images whose condition does not move the content are returned unchanged. Scan-line
    jitter is not applied (as in atomagined). Peak-map pixels go to the rounded new
    position; those leaving the frame are dropped.

    Parameters
    ----------
    record : dict or None  The image's recorded noise entry ('condition', 'draws', 'moves_image').
    xy : (M, 2) positions [px].
    peak_map : (rows, cols) bool or None.
    shape : (rows, cols) of the image.
    """
    if not record or not record.get("moves_image") or record.get("draws") is None:
        return xy, peak_map
    spec = {k: v for k, v in record["condition"].items() if k != "name"}
    cond = condition_from_dict(str(record["condition"].get("name", "c")), spec)
    params = ConditionParams.from_dict(record["draws"])
    xy = cond.map_coords(np.asarray(xy, dtype=np.float64).reshape(-1, 2), shape, params)
    if peak_map is not None:
        rows, cols = np.nonzero(peak_map)
        moved = cond.map_coords(np.stack([cols, rows], axis=1).astype(np.float64), shape, params)
        moved = np.rint(moved[np.all(np.isfinite(moved), axis=1)]).astype(np.int64)
        inside = (moved[:, 0] >= 0) & (moved[:, 0] < shape[1]) & (moved[:, 1] >= 0) & (moved[:, 1] < shape[0])
        peak_map = np.zeros(shape, dtype=bool)
        peak_map[moved[inside, 1], moved[inside, 0]] = True
    return xy, peak_map
