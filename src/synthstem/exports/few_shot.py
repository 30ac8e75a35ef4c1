"""Few-shot training subsets of the COCO export (MaskTerial):
``RLE_annotations/{K}_shot/run_{r}/train_annotations[_with_class].json``.

For every K and run the training images are shuffled with ``SeedSequence([seed, K, run])``
and, for every category, the first K images containing it are kept with all their
instances (``synthstem.labels.splits.few_shot_subsets``).
"""

from ..labels.coco import subset_document
from ..labels.splits import few_shot_subsets


def write_few_shot(sink, with_class, agnostic, category_ids, shots, runs, seed):
    """Write the subsets of the training documents; return their ``splits.json`` entry
    ``{"<K>_shot": {"run_<r>": {"seed": [seed, K, r], "images": [file names]}}}``."""
    index_of = {im["id"]: n for n, im in enumerate(with_class["images"])}
    present = [set() for _ in with_class["images"]]
    for a in with_class["annotations"]:
        present[index_of[a["image_id"]]].add(a["category_id"])
    subsets = few_shot_subsets(present, list(category_ids), shots, runs, seed)
    summary = {}
    for k, chosen in subsets.items():
        for run, sel in chosen.items():
            ids = [with_class["images"][i]["id"] for i in sel["images"]]
            folder = f"RLE_annotations/{k}_shot/run_{run}"
            sink.json(f"{folder}/train_annotations_with_class.json", subset_document(with_class, ids))
            sink.json(f"{folder}/train_annotations.json", subset_document(agnostic, ids))
        summary[f"{k}_shot"] = {f"run_{run}": {"seed": sel["seed"],
                                               "images": [with_class["images"][j]["file_name"] for j in sel["images"]]}
                                for run, sel in chosen.items()}
    return summary
