"""Run configuration: defaults, TOML round trip, errors that name the key."""

from pathlib import Path

import pytest

from synthstem.noise.conditions import REFERENCE_CONDITIONS as ALL_CONDITIONS
from synthstem.runs.config import Config, config_from_dict, load_config
from synthstem.runs.toml import to_toml

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_defaults_and_show_round_trip():
    import tomllib

    config = load_config(None)
    assert config.simulation.method == "prism" and config.run.seed == 0
    assert config.conditions() == list(ALL_CONDITIONS) and len(ALL_CONDITIONS) == 16
    text = to_toml(config)
    for key in ("energy", "convergence", "detector", "pixels", "size", "interpolation",
                "conditions", "exports", "variants", "radius", "targets", "choices", "kinds",
                "export_conditions", "min_area", "radius_angstrom", "heatmap_sigma_angstrom", "tiff_dtype",
                "n_transforms", "min_box_size", "min_box_visible", "shard_size", "test_fraction"):
        assert f"\n{key} = " in text
    assert config_from_dict(tomllib.loads(text)).to_dict() == config.to_dict()


@pytest.mark.parametrize("data, key", [
    ({"microscope": {"energy": -1.0}}, "microscope.energy"),
    ({"microscope": {"enrgy": 1.0}}, "microscope.enrgy: unknown key"),
    ({"microscope": {"detector": [150.0, 100.0]}}, "microscope.detector"),
    ({"simulation": {"pixels": "64"}}, "simulation.pixels"),
    ({"simulation": {"method": "magic"}}, "simulation.method"),
    ({"simulation": {"size": 0}}, "simulation.size"),
    ({"simulation": {"phonon_rms": -0.1}}, "simulation.phonon_rms"),
    ({"simulation": {"phonon_rms": {"Sr": 2.0}}}, "simulation.phonon_rms"),
    ({"run": {"seed": -3}}, "run.seed"),
    ({"output": {"png": "true"}}, "output.png"),
    ({"output": {"conditions": ["clean", "blurry"]}}, "output.conditions"),
    ({"output": {"exports": ["coco", "yolo"]}}, "output.exports[1]"),
    ({"output": {"augment": {"variants": -1}}}, "output.augment.variants"),
    ({"output": {"peaks": {"window": 4}}}, "output.peaks.window"),
    ({"structures": [{"prototype": "fcc", "uvw": [[0, 0]]}]}, "structures[0].uvw"),
    ({"structures": [{"prototype": "fcc"}, {"cif": "a.cif", "prototype": "fcc"}]}, "structures[1]"),
    ({"structures": [{"prototype": "fcc", "draws": 3}]}, "structures[0]"),
    ({"structures": []}, "structures"),
    ({"retrieval": {"targets": 10, "choices": 5}}, "retrieval"),
    ({"retrieval": {"choice_conditions": ["raw", "noisy"]}}, "retrieval.choice_conditions"),
    ({"defects": {"kinds": ["antisite"]}}, "defects.kinds[0]"),
    ({"extra_table": {}}, "extra_table: unknown key"),
    ({"": 1}, '"": unknown key'),
    ({"run": {"": 1}}, 'run."": unknown key'),
    ({"structures": [{"prototype": "perovskite", "elements": {"A": [], "B": "Ti", "X": "O"}}]},
     "structures[0].elements: the element list of role(s) ['A'] is empty"),
])
def test_bad_configs_name_the_key(data, key):
    data = {"structures": [{"prototype": "fcc"}], **data}
    with pytest.raises(ValueError) as err:
        config_from_dict(data)
    assert key in str(err.value)


def test_toml_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[microscope]\nenergy = 0\n[[structures]]\nprototype = 'fcc'\n")
    with pytest.raises(ValueError, match=r"microscope\.energy"):
        load_config(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[run\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(broken)
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "none.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"[run]\nseed = 1 # \xff\xfe\n")
    with pytest.raises(ValueError, match=r"binary\.toml: not a text \(UTF-8\) file") as err:
        load_config(binary)
    assert len(str(err.value).splitlines()) == 1


def test_cif_paths_are_relative_to_the_config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[[structures]]\ncif = "cifs/x.cif"\n')
    config = load_config(path)
    assert config.cif_path(config.structures[0]) == tmp_path / "cifs" / "x.cif"


@pytest.mark.parametrize("name", ["quickstart.toml", "atomagined-retrieval.toml", "atomagined-general.toml"])
def test_shipped_configs_are_valid(name):
    config = load_config(CONFIGS / name)
    assert isinstance(config, Config)
    if name == "quickstart.toml":
        assert config.simulation.method == "prism" and config.conditions() == list(ALL_CONDITIONS)
        assert set(config.output.exports) == {"coco", "cvat", "masks", "heatmaps", "boxes"}
        assert config.output.augment.variants == 3
        assert {"stem00-dfct1", "stem00-dfct2"} <= set(config.export_conditions())  # defect boxes
        assert config.output.splits.by == "structure" and config.output.splits.few_shot
    if name == "atomagined-retrieval.toml":
        assert (config.retrieval.n_targets, config.retrieval.n_choices) == (400, 2400)
        assert config.conditions("choice") == ["raw", "clean", "blbk1", "blbk2"]


def test_phonon_settings_reach_the_simulation(tmp_path):
    """phonons / phonon_rms from the config are what the item's simulation used."""
    from synthstem.runs.build import simulate_cell
    from synthstem.structures.orient import orient
    from synthstem.structures.prototypes import prototype

    cell = orient(prototype("fcc", elements="Au"), (0, 0, 1), size=8.0)
    settings = config_from_dict({"simulation": {"method": "incoherent", "pixels": 32, "size": 8.0,
                                                "phonons": 2, "phonon_rms": {"Au": 0.1}},
                                 "structures": [{"prototype": "fcc"}]}).to_dict()
    res = simulate_cell(cell, settings, seed=3)
    assert res.params["phonons"] == 2
    assert res.params["phonon_rms"] == {"Au": 0.1}
    static = simulate_cell(cell, dict(settings, simulation=dict(settings["simulation"], phonons=0)), seed=3)
    assert not (res.image == static.image).all()


def test_empty_config_shows_the_minimal_one(tmp_path):
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing\n")
    with pytest.raises(ValueError, match="empty; the minimal config is") as err:
        load_config(empty)
    minimal = str(err.value).split("is:\n", 1)[1]
    (tmp_path / "minimal.toml").write_text(minimal)
    assert load_config(tmp_path / "minimal.toml").structures[0].prototype  # and it is valid
    with pytest.raises(ValueError, match=r"structures: Field required[\s\S]*minimal config"):
        config_from_dict({"run": {"seed": 1}})


@pytest.mark.parametrize("entry, ok", [
    ({"uvw": [[2, -2, 1]]}, True),
    ({"uvw": [[3, 0, 0]]}, False),  # a run refuses it: so does the schema
    ({"uvw": [[3, 0, 0]], "allow_large_indices": True}, True),
    ({"uvw": [[10, 0, 1]], "allow_large_indices": True}, False),  # item names hold one digit
    ({"uvw": "all", "max_index": 3}, False),
    ({"uvw": "all", "max_index": 3, "allow_large_indices": True}, True),
])
def test_zone_axis_rule_is_the_run_rule(entry, ok):
    from synthstem.structures.names import check_uvw

    data = {"structures": [{"prototype": "fcc", **entry}]}
    if ok:
        config_from_dict(data)
    else:
        with pytest.raises(ValueError, match=r"structures\[0\]"):
            config_from_dict(data)
    if entry["uvw"] != "all" and max(abs(i) for i in entry["uvw"][0]) <= 9:  # same verdict as orient's check
        try:
            check_uvw(entry["uvw"][0], allow_large_indices=entry.get("allow_large_indices", False))
            assert ok
        except ValueError:
            assert not ok


def test_condition_seeds_do_not_depend_on_list_order():
    """A reference condition's stream is its fixed child, whatever the config lists."""
    import numpy as np

    from synthstem.noise.conditions import SEED_CHILDREN, noise_seed_sequence
    from synthstem.random import STAGE_NOISE

    assert sorted(SEED_CHILDREN.values()) == list(range(len(SEED_CHILDREN)))  # no child twice
    # the streams of the pre-refactor code: spawn(16)[position in the atomagined list]
    legacy = np.random.SeedSequence([7, 3, STAGE_NOISE]).spawn(16)
    for position, name in enumerate(ALL_CONDITIONS):
        a = noise_seed_sequence(7, 3, name).generate_state(4)
        np.testing.assert_array_equal(a, legacy[position].generate_state(4))
    user = noise_seed_sequence(7, 3, "lowdose").generate_state(4)
    assert not any(np.array_equal(user, s.generate_state(4)) for s in legacy)
