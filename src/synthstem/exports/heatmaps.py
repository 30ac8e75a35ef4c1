"""Per-element Gaussian heatmaps: ``{split}_heatmaps/<stem>.npz`` with ``heatmap_<El>``
(float16, peak 1 at every column holding the element), ``elements``, ``xy`` (pixel-centre
convention), ``labels``, ``visible``, ``sigma_px`` and, when the item has one, ``peak_map``."""

import numpy as np

from ..labels.coco import DEFECT
from ..labels.masks import elements_of, gaussian_heatmaps
from .base import Format as _Base


class Format(_Base):
    name = "heatmaps"

    def begin(self, sink, context):
        super().begin(sink, context)
        self.elements = sorted({e for c in context.categories if c["name"] != DEFECT
                                for e in elements_of(c["name"])})

    def add(self, record):
        maps = gaussian_heatmaps(record.xy, record.labels, record.image.shape, record.sigma,
                                 elements=self.elements)
        payload = {f"heatmap_{e}": maps[e].astype(np.float16) for e in self.elements}  # disk: half
        payload.update(
            elements=np.array(self.elements, dtype=str), xy=np.asarray(record.xy, dtype=np.float32),
            labels=np.array(record.labels, dtype=str), visible=np.asarray(record.visible, dtype=bool),
            sigma_px=np.float64(record.sigma),
        )
        if record.peak_map is not None:
            payload["peak_map"] = record.peak_map
        self.sink.npz(f"{record.split}_heatmaps/{record.stem}.npz", payload)
        return None
