"""``[simulation]`` preset, projection, sampling, device: values from physics.simulate,
explicit keys win, errors name the key, the item's simulation uses (and records) them."""

import pytest

from synthstem.cli import main
from synthstem.physics.optics import Microscope
from synthstem.physics.simulate import DATASET_DEFAULTS, FAST
from synthstem.runs.config import config_from_dict, load_config
from synthstem.runs.toml import to_toml

STRUCTURES = [{"prototype": "fcc", "elements": "Au"}]


def _sim(**simulation):
    return config_from_dict({"simulation": simulation, "structures": STRUCTURES}).simulation


def test_presets_take_their_values_from_simulate():
    conv = _sim()
    assert conv.preset == "converged" and conv.device == "cpu"
    assert conv.slice_thickness == DATASET_DEFAULTS["slice_thickness"]
    assert conv.projection == DATASET_DEFAULTS["projection"]
    # unset: simulate's thickness rule (physics.numerics_rule) picks them per item
    assert conv.slice_thickness is None and conv.sampling is None
    fast = _sim(preset="fast")
    assert {k: getattr(fast, k) for k in FAST} == FAST


def test_explicit_keys_win_over_the_preset():
    sim = _sim(preset="fast", slice_thickness=1.0, sampling=0.04)
    assert (sim.slice_thickness, sim.projection, sim.sampling) == (1.0, "infinite", 0.04)
    sim = _sim(projection="infinite", device="gpu")
    assert (sim.slice_thickness, sim.projection, sim.device) == (
        DATASET_DEFAULTS["slice_thickness"], "infinite", "gpu")


@pytest.mark.parametrize("simulation, key", [
    ({"preset": "slow"}, "simulation.preset"),
    ({"projection": "partial"}, "simulation.projection"),
    ({"sampling": -0.1}, "simulation.sampling"),
    ({"sampling": 0.0}, "simulation.sampling"),
    ({"sampling": "coarse"}, "simulation.sampling"),
    ({"device": "tpu"}, "simulation.device"),
    ({"slice_thickness": 0.0}, "simulation.slice_thickness"),
])
def test_bad_values_name_the_key(simulation, key):
    with pytest.raises(ValueError) as err:
        _sim(**simulation)
    assert key in str(err.value)


def test_show_lists_the_keys_and_round_trips():
    import tomllib

    for preset in ("converged", "fast"):
        config = config_from_dict({"simulation": {"preset": preset}, "structures": STRUCTURES})
        text = to_toml(config)
        for key in ("preset", "projection", "device"):
            assert f"\n{key} = " in text
        # converged: unset (the thickness rule picks it per item), listed with its description
        assert ("\nslice_thickness = " in text) == (preset == "fast")
        assert "slice_thickness" in text and "thickness rule" in text
        assert "sampling" in text and "detector" in text  # the key and its description
        again = config_from_dict(tomllib.loads(text))
        assert again.to_dict() == config.to_dict()


@pytest.mark.parametrize("simulation, expected", [
    ({"slice_thickness": 2.0}, "warning: simulation: finite projection with slice_thickness = 2.0"),
    ({"preset": "fast"}, "note: simulation: infinite projection is the preview setting"),
    ({}, None),
])
def test_check_warns_about_unconverged_settings(tmp_path, capsys, simulation, expected):
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in simulation.items()]
    path = tmp_path / "c.toml"
    path.write_text('[simulation]\nmethod = "incoherent"\n' + "\n".join(lines)
                    + '\n[[structures]]\nprototype = "fcc"\nelements = "Au"\n')
    assert main(["config", "check", str(path)]) == 0
    out = capsys.readouterr().out
    if expected is None:
        assert "warning" not in out and "note" not in out
    else:
        assert expected in out


@pytest.mark.parametrize("simulation", [{"preset": "fast"},
                                        {"slice_thickness": 1.0, "sampling": 0.05}])
def test_item_simulation_uses_and_records_the_settings(simulation):
    from synthstem.runs.build import simulate_cell
    from synthstem.structures.orient import orient
    from synthstem.structures.prototypes import prototype

    cfg = {"simulation": {"method": "prism", "interpolation": 2, "pixels": 16, "size": 4.08,
                          "phonons": 0, **simulation}, "structures": STRUCTURES}
    physics = config_from_dict(cfg).to_dict()
    sim = physics["simulation"]
    cell = orient(prototype("fcc", elements="Au"), (0, 0, 1), size=4.08)
    res = simulate_cell(cell, physics, seed=1)
    assert res.params["projection"] == sim["projection"]
    assert res.params["slice_thickness"] == sim["slice_thickness"]
    assert res.params["device"] == "cpu"
    want = (Microscope(**physics["microscope"]).max_sampling() if sim["sampling"] == "detector"
            else sim["sampling"])
    # the grid spacing: the requested sampling, or finer to fit a whole number of points
    assert all(0.8 * want <= s <= want for s in res.params["sampling"])


def test_converged_item_takes_its_numerics_from_the_thickness_rule():
    from synthstem.physics.numerics_rule import default_numerics
    from synthstem.runs.build import simulate_cell
    from synthstem.structures.orient import orient
    from synthstem.structures.prototypes import prototype

    cfg = {"simulation": {"method": "prism", "interpolation": 2, "pixels": 16, "size": 4.08,
                          "phonons": 0}, "structures": STRUCTURES}
    physics = config_from_dict(cfg).to_dict()
    assert physics["simulation"]["slice_thickness"] is None
    cell = orient(prototype("fcc", elements="Au"), (0, 0, 1), size=4.08)
    res = simulate_cell(cell, physics, seed=1)
    rule = default_numerics(cell.atoms.cell[2, 2], 79)
    assert res.params["slice_thickness"] == rule["slice_thickness"]
    assert res.params["numerics"]["slice_thickness"] == "rule"
    assert res.params["numerics"]["predicted_error"] == rule["predicted_error"]
    assert all(s <= rule["sampling"] for s in res.params["sampling"])


def test_shipped_configs_choose_a_preset():
    from pathlib import Path

    configs = Path(__file__).resolve().parents[2] / "configs"
    for name in ("quickstart", "atomagined-general", "atomagined-retrieval", "randomized"):
        assert load_config(configs / f"{name}.toml").simulation.preset == "fast", name


def test_simulate_command_preset_overrides_the_config(tmp_path):
    from synthstem.cli import build_parser
    from synthstem.commands.simulate import config_of

    path = tmp_path / "c.toml"
    path.write_text('[simulation]\nslice_thickness = 0.5\nsampling = 0.03\n'
                    '[[structures]]\nprototype = "fcc"\n')
    base = ["simulate", "--prototype", "fcc/Au", "--config", str(path)]
    sim = config_of(build_parser().parse_args(base)).simulation
    assert (sim.preset, sim.slice_thickness, sim.sampling) == ("converged", 0.5, 0.03)
    sim = config_of(build_parser().parse_args([*base, "--preset", "fast", "--device", "gpu"])).simulation
    assert {k: getattr(sim, k) for k in FAST} == FAST and sim.device == "gpu"
    sim = config_of(build_parser().parse_args(["simulate", "--prototype", "fcc/Au"])).simulation
    assert sim.preset == "converged" and sim.slice_thickness == DATASET_DEFAULTS["slice_thickness"]


def test_too_coarse_sampling_is_refused_at_plan_time(tmp_path):
    from synthstem.runs.plan import plan

    limit = Microscope().max_sampling()  # the default detector, 150 mrad at 200 kV
    ok = config_from_dict({"simulation": {"sampling": round(limit * 0.99, 4)},
                           "structures": STRUCTURES})
    assert plan(ok, tmp_path)[0].physics["simulation"]["sampling"] == round(limit * 0.99, 4)
    bad = config_from_dict({"simulation": {"sampling": 0.1}, "structures": STRUCTURES})
    with pytest.raises(ValueError, match=r"simulation.sampling = 0.1 Angstrom is too coarse "
                                         r"for item 0: .* needs <= 0.05\d+ Angstrom"):
        plan(bad, tmp_path)
