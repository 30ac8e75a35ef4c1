"""The dataset-level files of the ``hf`` export: the dataset card ``README.md`` (the
Hugging Face Hub's YAML front matter, whose ``configs`` name the Parquet files of every
split, so ``datasets.load_dataset(<folder>)`` loads them) and ``croissant.json``
(Croissant 1.0 JSON-LD: every shard a ``FileObject`` with its sha256, one ``FileSet`` of
them, one ``RecordSet`` whose fields read the Parquet columns; ``mlcroissant`` validates
and iterates it)."""

import json

#: licence written in the card and in croissant.json (the Hub's identifier; change it to yours)
LICENSE = "cc-by-4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
TASKS = ("object-detection", "image-segmentation", "keypoint-detection")
TAGS = ("synthetic", "microscopy", "electron-microscopy", "haadf-stem", "atomic-resolution")
DESCRIPTION = ("Synthetic atomic-resolution HAADF-STEM images made by synthstem, with exact ground truth: "
               "column positions and classes, semantic masks, defect boxes and every parameter and seed.")

#: Croissant 1.0 JSON-LD context (mlcroissant's ``make_context`` for 1.0)
CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract", "field": "cr:field",
    "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField",
    "path": "cr:path", "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField", "transform": "cr:transform",
}

#: Croissant fields: column -> (dataType, description, repeated)
FIELDS = {
    "file_name": ("sc:Text", "image file name (<item>-<condition>.png)", False),
    "item": ("sc:Text", "item name", False),
    "condition": ("sc:Text", "image condition (dataset name in the item)", False),
    "split": ("sc:Text", "split (train / test / all)", False),
    "image": ("sc:ImageObject", "8-bit PNG of the image", False),
    "width": ("sc:Integer", "image width [px]", False),
    "height": ("sc:Integer", "image height [px]", False),
    "pixel_size_angstrom": ("sc:Float", "pixel size [Angstrom]", False),
    "points_x": ("sc:Float", "column x [px], pixel centres at integers", True),
    "points_y": ("sc:Float", "column y [px], pixel centres at integers", True),
    "points_class": ("sc:Text", "column class", True),
    "points_class_id": ("sc:Integer", "column class id (categories in the card)", True),
    "points_visible": ("sc:Boolean", "column centre inside the image", True),
    "mask": ("sc:ImageObject", "semantic mask PNG, pixel = class id, 0 background", False),
    "parameters": ("sc:Text", "JSON of every parameter and seed of the image", False),
}


def size_category(n):
    """The Hub's ``size_categories`` value for ``n`` rows."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return name
    return "10M<n<100M"


def _hf_split(split):
    # 'all' is reserved by datasets (Split.ALL): a dataset without a split is its 'train'
    return "train" if split == "all" else split


def card(shards, context):
    """The dataset card: YAML front matter (licence, tasks, size, configs with the data files
    of every split) and a short description of the columns and classes."""
    n = sum(rows for parts in shards.values() for _, rows, _ in parts)
    lines = ["---", f"license: {LICENSE}", "task_categories:", *[f"- {t}" for t in TASKS],
             "tags:", *[f"- {t}" for t in TAGS], "size_categories:", f"- {size_category(n)}",
             "pretty_name: synthstem synthetic HAADF-STEM", "configs:", "- config_name: default", "  data_files:"]
    for split in sorted(shards):
        lines += [f"  - split: {_hf_split(split)}", f"    path: data/{split}-*.parquet"]
    lines += ["---", "", "# synthstem synthetic HAADF-STEM images", "", DESCRIPTION, "",
              "| split | rows | files |", "|---|---|---|"]
    for split in sorted(shards):
        parts = shards[split]
        lines.append(f"| {_hf_split(split)} | {sum(p[1] for p in parts)} | {len(parts)} |")
    lines += ["", "Classes (`points_class_id`, mask pixel values; 0 is background):", "",
              "| id | class |", "|---|---|"]
    lines += [f"| {c['id']} | {c['name']} |" for c in context.categories]
    lines += ["", "Columns: `image` (8-bit PNG), `image_float32` (the image as simulated), `points_x`, "
              "`points_y` [px], `points_class`, `points_class_id`, `points_visible`, `defect_boxes` "
              "(`[x, y, w, h]` [px], top-left origin), `mask` (semantic mask PNG), `pixel_size_angstrom`, "
              "`parameters` (JSON of every parameter and seed). Machine-readable description: "
              "`croissant.json`.", "", "```python", "from datasets import load_dataset",
              "ds = load_dataset(\"path/to/this/folder\")", "```", ""]
    return "\n".join(lines)


def _field(column, data_type, description, repeated):
    field = {"@type": "cr:Field", "@id": f"images/{column}", "name": column, "description": description,
             "dataType": data_type,
             "source": {"fileSet": {"@id": "parquet-files"}, "extract": {"column": column}}}
    if data_type == "sc:ImageObject":
        field["source"]["transform"] = {"jsonPath": "bytes"}
    if repeated:
        field["repeated"] = True
    return field


def croissant(shards, context):
    """The Croissant 1.0 JSON-LD document of the shards."""
    files = [{"@type": "cr:FileObject", "@id": rel, "name": rel, "contentUrl": rel,
              "encodingFormat": "application/x-parquet", "sha256": sha}
             for split in sorted(shards) for rel, _, sha in shards[split]]
    fileset = {"@type": "cr:FileSet", "@id": "parquet-files", "name": "parquet-files",
               "description": "every Parquet shard", "encodingFormat": "application/x-parquet",
               "includes": "data/*.parquet"}
    classes = json.dumps({c["name"]: c["id"] for c in context.categories})
    return {
        "@context": CONTEXT, "@type": "sc:Dataset", "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": "synthstem-haadf-stem", "description": f"{DESCRIPTION} Classes: {classes}.",
        "license": LICENSE_URL, "version": "1.0.0",
        "keywords": list(TAGS),
        "citeAs": "synthstem: synthetic HAADF-STEM datasets with exact ground truth",
        "distribution": files + [fileset],
        "recordSet": [{"@type": "cr:RecordSet", "@id": "images", "name": "images",
                       "description": "one record per exported image",
                       "field": [_field(c, *spec) for c, spec in FIELDS.items()]}],
    }
