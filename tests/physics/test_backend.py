"""The physics backend seam: FFT engines agree, results do not depend on thread counts."""

import numpy as np
import pytest
import scipy.fft

from synthstem.physics import backend


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


@pytest.mark.parametrize("method, kwargs", [("prism", {"interpolation": 2}),
                                            ("prism", {"interpolation": 1}),
                                            ("multislice", {}), ("incoherent", {})])
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
