"""The physics backend seam: FFT engines agree, results do not depend on thread counts."""

import numpy as np
import pytest
import scipy.fft

from synthstem.physics import backend
from synthstem.physics.simulate import FAST


@pytest.fixture(params=["scipy", "fftw"])
def fft_engine(request):
    if request.param == "fftw":
        pytest.importorskip("pyfftw")
    previous = backend.set_fft_backend(request.param)
    yield request.param
    backend.set_fft_backend(previous)


@pytest.mark.parametrize("dtype, tol", [(np.complex64, 2e-6), (np.complex128, 1e-13)])
def test_fft_engines_agree_with_numpy(fft_engine, dtype, tol):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(3, 30, 24)) + 1j * rng.normal(size=(3, 30, 24))).astype(dtype)
    ref = np.fft.fft2(x.astype(np.complex128))
    scale = np.abs(ref).max()
    k = backend.fft2(x)
    assert k.dtype == dtype and k.shape == x.shape
    assert np.abs(k - ref).max() / scale < tol
    assert np.abs(backend.ifft2(k) - x).max() < 10 * tol
    k1 = backend.fft(x, axis=-2, workers=2)
    assert np.abs(k1 - np.fft.fft(x.astype(np.complex128), axis=-2)).max() < tol * 30
    assert np.abs(backend.ifft(k1, axis=-2) - x).max() < 10 * tol
    np.testing.assert_array_equal(x, x.copy())  # input untouched without overwrite


def test_overwrite_writes_into_views(fft_engine):
    rng = np.random.default_rng(1)
    w = (rng.normal(size=(2, 16, 12)) + 1j * rng.normal(size=(2, 16, 12))).astype(np.complex64)
    ref = w.copy()
    ref[:, :5] = np.fft.fft(ref[:, :5], axis=-1)
    out = backend.fft(w[:, :5], axis=-1, overwrite=True)
    np.testing.assert_allclose(w, ref, atol=1e-4)  # the view was transformed in place
    assert np.shares_memory(out, w)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("axes", [(-2, -1), (-1,), (-2,)])
@pytest.mark.parametrize("inverse", [False, True])
def test_in_place_scipy_path_is_bit_identical_to_scipy_fft(dtype, axes, inverse, monkeypatch):
    """The in-place path calls pocketfft directly: same bits as scipy.fft.fftn / ifftn,
    on whole arrays and on strided views, and as the public-API fallback."""
    monkeypatch.setattr(backend, "_FFT_BACKEND", "scipy")
    rng = np.random.default_rng(3)
    a = (rng.normal(size=(3, 18, 14)) + 1j * rng.normal(size=(3, 18, 14))).astype(dtype)
    ref_fn = scipy.fft.ifftn if inverse else scipy.fft.fftn
    fns = {(-2, -1): backend.ifft2 if inverse else backend.fft2}

    def run(x):
        if axes in fns:
            return fns[axes](x, workers=2, overwrite=True)
        return (backend.ifft if inverse else backend.fft)(x, axis=axes[0], overwrite=True)

    for view in (np.s_[...], np.s_[:, 2:9, :], np.s_[:, :, 3:11]):
        x = a.copy()
        ref = ref_fn(a[view].copy(), axes=axes)
        out = run(x[view])
        np.testing.assert_array_equal(out, ref)
        np.testing.assert_array_equal(x[view], ref)  # written in place
        monkeypatch.setattr(backend, "_C2C", None)  # the public scipy.fft path
        y = a.copy()
        np.testing.assert_array_equal(run(y[view]), ref)
        monkeypatch.undo()
        monkeypatch.setattr(backend, "_FFT_BACKEND", "scipy")


def test_real_input_is_promoted(fft_engine):
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(backend.fft2(x), scipy.fft.fft2(x), atol=1e-12)


def test_engines_agree_with_each_other():
    pytest.importorskip("pyfftw")
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(4, 48, 40)) + 1j * rng.normal(size=(4, 48, 40))).astype(np.complex64)
    prev = backend.set_fft_backend("scipy")
    try:
        a = backend.fft2(x)
        backend.set_fft_backend("fftw")
        b = backend.fft2(x)
        c = backend.fft2(x, workers=2)
    finally:
        backend.set_fft_backend(prev)
    assert np.abs(a - b).max() / np.abs(a).max() < 2e-6  # float32 rounding
    assert np.abs(c - b).max() / np.abs(a).max() < 2e-6


def test_scipy_is_the_default(monkeypatch):
    monkeypatch.delenv("SYNTHSTEM_FFT", raising=False)
    assert backend._choose_fft_backend("") == "scipy"


def test_bad_fft_request_is_a_clear_error(monkeypatch):
    with pytest.raises(ValueError, match="SYNTHSTEM_FFT"):
        backend.set_fft_backend("cufft")


def test_available_cpus_respects_affinity():
    import os

    assert backend.available_cpus() == len(os.sched_getaffinity(0))


def test_matmul_independent_of_threads():
    rng = np.random.default_rng(3)
    a = (rng.normal(size=(200, 150)) + 1j * rng.normal(size=(200, 150))).astype(np.complex64)
    b = (rng.normal(size=(150, 90)) + 1j * rng.normal(size=(150, 90))).astype(np.complex64)
    one = backend.matmul(a, b, workers=1)
    two = backend.matmul(a, b, workers=2)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_allclose(one, a.astype(np.complex128) @ b, rtol=1e-4, atol=1e-3)


def test_device_validation():
    assert backend.get_xp("cpu") is np
    with pytest.raises(ValueError, match="device"):
        backend.get_xp("tpu")


# multislice at the preview settings (FAST, ~20x cheaper); PRISM at the converged defaults
@pytest.mark.parametrize("method, kwargs", [("prism", {"interpolation": 2}),
                                            ("prism", {"interpolation": 1}),
                                            ("multislice", FAST), ("incoherent", {})])
def test_image_bit_identical_with_1_and_2_threads(method, kwargs):
    assert backend.fft_backend() == "scipy"
    from ase import Atoms

    from synthstem.physics.simulate import simulate

    a = 3.905
    atoms = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                              (0.5, 0, 0.5), (0, 0.5, 0.5)],
                  cell=[a, a, a], pbc=True).repeat((2, 2, 1))
    one = simulate(atoms, pixels=24, method=method, workers=1, phonons=2, seed=5, **kwargs)
    two = simulate(atoms, pixels=24, method=method, workers=2, phonons=2, seed=5, **kwargs)
    np.testing.assert_array_equal(one.image, two.image)
    assert one.image.mean() > 0


@pytest.fixture
def array_path(monkeypatch):
    """Run the array-namespace (GPU) code path of the wave operations with NumPy."""
    from synthstem.physics import wave_ops

    monkeypatch.setattr(wave_ops, "FORCE_ARRAY", True)


@pytest.mark.parametrize("method, kwargs", [("prism", {"interpolation": 2}),
                                            ("prism", {"interpolation": 1}),
                                            ("multislice", FAST)])
def test_array_namespace_path_equals_numba_path(method, kwargs, monkeypatch):
    """The code CuPy runs (indexing, roll, broadcasting instead of numba kernels), run
    with NumPy, gives the numba path's image to float32 rounding."""
    from ase import Atoms

    from synthstem.physics import wave_ops
    from synthstem.physics.simulate import simulate

    atoms = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                              (0.5, 0, 0.5), (0, 0.5, 0.5)],
                  cell=[3.905] * 3, pbc=True).repeat((2, 2, 1))
    ref = simulate(atoms, pixels=24, method=method, workers=1, **kwargs).image
    monkeypatch.setattr(wave_ops, "FORCE_ARRAY", True)
    arr = simulate(atoms, pixels=24, method=method, workers=1, **kwargs).image
    assert np.abs(arr - ref).max() < 1e-5 * ref.max()
    assert ref.mean() > 0


@pytest.mark.parametrize("name", ["multiply_batch", "propagate_rows", "shifted_product",
                                  "gather_block", "crop_windows", "intensity_sum",
                                  "crop_spectrum"])
def test_array_wave_ops_equal_naive_twins(name, array_path):
    import naive

    from synthstem.physics import wave_ops

    rng = np.random.default_rng(4)

    def c64(*shape):
        return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(np.complex64)

    w, f = c64(3, 10, 12), c64(10, 12)
    if name == "multiply_batch":
        got, want = wave_ops.multiply_batch(w.copy(), f), naive.multiply_batch(w, f)
    elif name == "propagate_rows":
        got, want = wave_ops.propagate_rows(w.copy(), f, 3, 7), naive.propagate_rows(w, f, 3, 7)
    elif name == "shifted_product":
        sy, sx = np.array([0, 4, -3]), np.array([1, -5, 13])
        got = wave_ops.shifted_product(np.empty_like(w), f, f, sy, sx, 2, 4)
        want = naive.shifted_product(w.shape, f, f, sy, sx, 2, 4)
    elif name == "gather_block":
        got = wave_ops.gather_block(w, -4, 9, np.empty((3, 7, 15), np.complex64))
        want = naive.gather_block(w, -4, 9, 7, 15)
    elif name == "crop_spectrum":
        iy, ix = np.array([0, 1, 9, 8]), np.array([0, 2, 11, 10, 5])
        got = wave_ops.crop_spectrum(w, iy, ix, f[:4, :5], np.empty((3, 4, 5), np.complex64))
        want = naive.crop_spectrum(w, iy, ix, f[:4, :5])
    elif name == "crop_windows":
        oy, ox = np.array([0, 2, 3]), np.array([4, 0, 1])
        got = wave_ops.crop_windows(w, oy, ox, np.empty((3, 6, 5), np.complex64))
        want = naive.crop_windows(w, oy, ox, 6, 5)
    else:
        flat, idx = w.reshape(3, -1), np.array([1, 7, 100], dtype=np.int64)
        got, want = wave_ops.intensity_sum(flat, idx, 0.25), naive.intensity_sum(flat, idx, 0.25)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_gpu_without_cupy_is_a_clear_error():
    try:
        import cupy  # noqa: F401

        pytest.skip("CuPy installed: this test is for machines without it")
    except ImportError:
        pass
    from synthstem.physics.simulate import simulate

    with pytest.raises(ValueError, match="device='gpu' needs CuPy"):
        simulate(__import__("ase").Atoms("Si", cell=[4, 4, 4], pbc=True), pixels=8,
                 device="gpu")
    with pytest.raises(ValueError, match="device must be one of"):
        simulate(__import__("ase").Atoms("Si", cell=[4, 4, 4], pbc=True), pixels=8,
                 device="tpu")


def test_prism_image_with_fftw_equals_scipy_to_rounding():
    pytest.importorskip("pyfftw")
    from ase import Atoms

    from synthstem.physics.simulate import simulate

    atoms = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (0.5, 0.5, 0.5), (0.5, 0.5, 0),
                                              (0.5, 0, 0.5), (0, 0.5, 0.5)],
                  cell=[3.905] * 3, pbc=True).repeat((2, 2, 1))
    ref = simulate(atoms, pixels=24, interpolation=2, workers=2).image
    prev = backend.set_fft_backend("fftw")
    try:
        res = simulate(atoms, pixels=24, interpolation=2, workers=2)
    finally:
        backend.set_fft_backend(prev)
    assert res.params["backend"]["fft"] == "fftw"
    assert np.abs(res.image - ref).max() < 1e-5 * ref.max()
