"""synthstem: synthetic atomic-resolution HAADF-STEM data with exact ground truth.

The public API is small and imported lazily, so ``import synthstem`` is cheap and
``python -m synthstem --help`` does not compile any numba kernel.

Units throughout: lengths [Angstrom], energies [eV], angles [mrad], images in pixels
with x = column, y = row and pixel (row j, column i) sampled at scan position
(x, y) = (i, j) * size / pixels.
"""

from importlib import import_module

from ._version import __version__

_API = {
    # structures
    "prototypes": "synthstem.structures.prototypes",
    "prototype": "synthstem.structures.prototypes",
    "decorations": "synthstem.structures.prototypes",
    "draw_structure": "synthstem.structures.prototypes",
    "load_structure": "synthstem.structures.readers",
    "orient": "synthstem.structures.orient",
    "OrientedCell": "synthstem.structures.orient",
    "zone_axes": "synthstem.structures.zone_axes",
    "project_positions": "synthstem.structures.columns",
    "merge_columns": "synthstem.structures.columns",
    "Columns": "synthstem.structures.columns",
    "item_name": "synthstem.structures.names",
    "parse_item_name": "synthstem.structures.names",
    "add_point_defect": "synthstem.structures.defects",
    "DefectRecord": "synthstem.structures.defects",
    "add_point_defects": "synthstem.structures.defect_placement",
    "add_amorphous_layer": "synthstem.structures.amorphous",
    # physics
    "Microscope": "synthstem.physics.optics",
    "simulate": "synthstem.physics.simulate",
    "SimulationResult": "synthstem.physics.simulate",
    "FAST": "synthstem.physics.simulate",
    # noise
    "add_stem_noise": "synthstem.noise.stem_noise",
    "draw_noise_params": "synthstem.noise.stem_noise",
    "apply_stem_noise": "synthstem.noise.stem_noise",
    "CONDITIONS": "synthstem.noise.conditions",
    "condition_from_dict": "synthstem.noise.conditions",
    "register_condition": "synthstem.noise.conditions",
    "Condition": "synthstem.noise.conditions",
    # datasets
    "read_item": "synthstem.io.hdf5",
    "write_item": "synthstem.io.hdf5",
    "Item": "synthstem.io.hdf5",
    "load_config": "synthstem.runs.config",
    "run_dataset": "synthstem.runs.run",
    "open_dataset": "synthstem.loaders",
    "write_store": "synthstem.loaders",
    # exports
    "export_dataset": "synthstem.exports",
    "export_item": "synthstem.exports",
}

__all__ = ["__version__", *_API]


def __getattr__(name):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'synthstem' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
