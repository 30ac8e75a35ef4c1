"""A Hugging Face / Croissant dataset: Parquet shards with one row per exported image.

Layout (under ``annotations/hf/``; card and Croissant file: :mod:`.hf_card`)::

    data/{split}-NNNNN.parquet   rows of one split, ROWS_PER_SHARD each (the augmented
                                 export: its shard_size)
    README.md                    dataset card: the Hub's YAML front matter, configs per split
    croissant.json               Croissant 1.0 JSON-LD (sha256 of every shard, fields)

Columns (Hugging Face ``datasets`` features in the Parquet schema's ``huggingface``
metadata, so ``load_dataset("parquet", ...)`` decodes the images):

``file_name``, ``item``, ``condition``, ``split`` (str); ``image``: ``Image`` (8-bit PNG
of the image, the stretch of ``{split}_images``); ``image_float32``: the image as stored
(list of rows of float32); ``width``, ``height`` [px]; ``pixel_size_angstrom`` (float, null
when unknown); ``points_x``, ``points_y`` [px] (pixel centres at integers),
``points_class``, ``points_class_id`` (COCO with-class id), ``points_visible``: one entry
per column; ``defect_boxes``: ``[x, y, w, h]`` [px] with top-left origin; ``mask``: ``Image``
(semantic mask PNG, pixel = class id, as the ``masks`` export); ``parameters``: JSON string
of every parameter and seed (:func:`synthstem.exports.calibrated.parameters`).
"""

import io

import numpy as np

from ..io.png import array_png_bytes, to_uint8
from ..labels.masks import semantic_mask
from .base import Format as _Base
from .base import require
from .calibrated import parameters_json
from .records import kept_instances

#: rows per Parquet file of the base export (the augmented export uses its shard_size)
ROWS_PER_SHARD = 1000
FOLDER = "hf"

_F32 = {"dtype": "float32", "_type": "Value"}
_F64 = {"dtype": "float64", "_type": "Value"}
#: the ``datasets`` features of a row (datasets >= 4 ``to_dict()`` layout), in column order
FEATURES = {
    "file_name": {"dtype": "string", "_type": "Value"},
    "item": {"dtype": "string", "_type": "Value"},
    "condition": {"dtype": "string", "_type": "Value"},
    "split": {"dtype": "string", "_type": "Value"},
    "image": {"_type": "Image"},
    "image_float32": {"feature": {"feature": _F32, "_type": "List"}, "_type": "List"},
    "width": {"dtype": "int32", "_type": "Value"},
    "height": {"dtype": "int32", "_type": "Value"},
    "pixel_size_angstrom": {"dtype": "float64", "_type": "Value"},
    "points_x": {"feature": _F64, "_type": "List"},
    "points_y": {"feature": _F64, "_type": "List"},
    "points_class": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "List"},
    "points_class_id": {"feature": {"dtype": "int32", "_type": "Value"}, "_type": "List"},
    "points_visible": {"feature": {"dtype": "bool", "_type": "Value"}, "_type": "List"},
    "defect_boxes": {"feature": {"feature": _F64, "_type": "List"}, "_type": "List"},
    "mask": {"_type": "Image"},
    "parameters": {"dtype": "string", "_type": "Value"},
}


def arrow_schema():
    """The pyarrow schema of a shard, with the ``datasets`` features as its metadata."""
    import json

    import pyarrow as pa

    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    f32, f64 = pa.float32(), pa.float64()
    types = {"file_name": pa.string(), "item": pa.string(), "condition": pa.string(), "split": pa.string(),
             "image": image, "image_float32": pa.list_(pa.list_(f32)), "width": pa.int32(), "height": pa.int32(),
             "pixel_size_angstrom": pa.float64(), "points_x": pa.list_(f64), "points_y": pa.list_(f64),
             "points_class": pa.list_(pa.string()), "points_class_id": pa.list_(pa.int32()),
             "points_visible": pa.list_(pa.bool_()), "defect_boxes": pa.list_(pa.list_(f64)), "mask": image,
             "parameters": pa.string()}
    meta = {"huggingface": json.dumps({"info": {"features": FEATURES}})}
    return pa.schema([(name, types[name]) for name in FEATURES], metadata=meta)


def record_row(record, category_ids, min_area=0):
    """One Parquet row (a dict of Python values) of a record."""
    h, w = record.image.shape
    lo, hi = record.png_range or (None, None)
    xy = np.asarray(record.xy, dtype=np.float64).reshape(-1, 2)
    labels = [str(lab) for lab in record.labels]
    ids = [int(category_ids[lab]) for lab in labels]
    visible = record.visible if record.visible is not None else np.ones(len(xy), bool)
    mask = semantic_mask(kept_instances(record, min_area), ids)
    px = record.meta.get("pixel_size_angstrom")
    return {
        "file_name": record.file_name, "item": str(record.meta.get("item", record.stem)),
        "condition": str(record.meta.get("condition", "")), "split": record.split,
        "image": {"bytes": array_png_bytes(to_uint8(record.image, lo, hi)), "path": record.file_name},
        "image_float32": np.asarray(record.image, dtype=np.float32),  # a list column in parquet_bytes
        "width": int(w), "height": int(h), "pixel_size_angstrom": None if px is None else float(px),
        "points_x": xy[:, 0].tolist(), "points_y": xy[:, 1].tolist(), "points_class": labels,
        "points_class_id": ids, "points_visible": [bool(v) for v in visible],
        "defect_boxes": np.asarray(record.defect_boxes, dtype=np.float64).reshape(-1, 4).tolist(),
        "mask": {"bytes": array_png_bytes(mask), "path": f"{record.stem}-mask.png"},
        "parameters": parameters_json(record),
    }


def _nested_rows(images):
    """The ``list<list<float32>>`` Arrow column of 2-D float32 arrays, built from their
    buffers (``from_pylist`` on nested Python lists is ~10x slower)."""
    import pyarrow as pa

    heights = [a.shape[0] for a in images]
    widths = np.repeat([a.shape[1] for a in images], heights)
    inner = np.concatenate([[0], np.cumsum(widths)]).astype(np.int32)
    outer = np.concatenate([[0], np.cumsum(heights)]).astype(np.int32)
    values = pa.array(np.concatenate([np.ravel(a) for a in images]).astype(np.float32, copy=False))
    return pa.ListArray.from_arrays(pa.array(outer), pa.ListArray.from_arrays(pa.array(inner), values))


def parquet_bytes(rows):
    """A Parquet file of ``rows`` (zstd-compressed), as bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    rest = schema.remove(schema.get_field_index("image_float32"))
    table = pa.Table.from_pylist([{k: v for k, v in r.items() if k != "image_float32"} for r in rows],
                                 schema=rest)
    column = _nested_rows([r["image_float32"] for r in rows])
    table = table.add_column(schema.get_field_index("image_float32"), schema.field("image_float32"), column)
    table = table.replace_schema_metadata(schema.metadata)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


class Format(_Base):
    name = "hf"

    def begin(self, sink, context):
        require("pyarrow", "pyarrow", self.name)
        super().begin(sink, context)
        self.rows = {}    # split -> rows not yet written
        self.shards = {}  # split -> [(relative path, rows, sha256)]

    def add(self, record):
        return record_row(record, self.context.category_ids, self.context.min_area)

    def gather(self, entries):
        size = self.context.shard_size or ROWS_PER_SHARD
        for split, row in entries:
            if row is not None:
                self.rows.setdefault(split, []).append(row)
                if len(self.rows[split]) >= size:
                    self._flush(split)

    def _flush(self, split):
        import hashlib

        rows = self.rows.pop(split)
        shards = self.shards.setdefault(split, [])
        rel = f"data/{split}-{len(shards):05d}.parquet"
        data = parquet_bytes(rows)
        self.sink.bytes(f"{FOLDER}/{rel}", data)
        shards.append((rel, len(rows), hashlib.sha256(data).hexdigest()))

    def finish(self):
        from .hf_card import card, croissant

        for split in sorted(self.rows):
            self._flush(split)
        if not self.shards:
            return {}
        self.sink.bytes(f"{FOLDER}/README.md", card(self.shards, self.context).encode())
        self.sink.json(f"{FOLDER}/croissant.json", croissant(self.shards, self.context), indent=1)
        return {split: [s[0] for s in shards] for split, shards in self.shards.items()}
