"""``simulate``: an oriented supercell -> a HAADF-STEM image (fraction of the beam).

Pipeline: validate -> (frozen-phonon configurations) -> projected-potential slices ->
PRISM or multislice on a coarse scan grid at the image's Nyquist rate -> average ->
source-size blur and Fourier interpolation to ``pixels x pixels``.

Sampling rules (recorded in ``SimulationResult.params``):

- Potential grid: sampling <= ``2/3 * lambda / (2 * max(outer, convergence))`` so that the
  detector's outer angle lies inside the antialiased band (2/3 of Nyquist); the number of
  grid points is the next 5-smooth integer (a multiple of ``interpolation`` for PRISM).
- Scan grid: the HAADF image is band-limited to ``2 alpha / lambda`` (autocorrelation of
  the aperture), so ``n_scan = 2 floor(2 alpha L / lambda) + 2`` positions per axis
  (rounded up to a 5-smooth number) sample it without loss; the result is Fourier
  interpolated to ``pixels`` (exact for a periodic band-limited image). If ``n_scan >=
  pixels`` the probe is scanned directly on the output grid.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import replace

import numpy as np

from .._version import __version__
from ..random import as_rng
from . import backend
from . import numerics_rule
from . import parametrization as param
from .prism_check import (DEFAULT_PROBES, PrismAccuracyError, PrismAccuracyWarning,
                          failure_line, prism_check as prism_check_probes)
from .incoherent import incoherent_image, incoherent_inputs
from .optics import Microscope, choose_gpts
from .scan_grid import fourier_interpolate, scan_points
from .simulate_inputs import SimulationResult, adp_atoms, atoms_of, check_int
from ..structures.thermal import rms_per_atom, thermal_displacements
from .potential import (FINITE_RADIUS, PROJECTIONS, cell_extent, n_slices_for,
                        potential_slices)

METHODS = ("prism", "multislice", "incoherent")

#: default RMS displacement per axis [Angstrom] of frozen-phonon configurations
DEFAULT_PHONON_RMS = 0.08

#: recommended settings for dataset generation (measured in docs/physics.md): PRISM f=4
#: is within NCC 0.9997 / 2.5 % mean of multislice; 8 frozen-phonon configurations give
#: NCC ~0.99 and mean within ~1 % of a 64-configuration average, while the static lattice
#: overestimates the mean by ~60 % and column maxima by ~2.6x (coherent columns).
DATASET_DEFAULTS = {"method": "prism", "interpolation": 4, "slice_thickness": None,
                    "projection": "finite",
                    "phonons": 8, "phonon_rms": DEFAULT_PHONON_RMS,
                    "parametrization": "lobato"}

#: coarsest default potential sampling cap [Angstrom] (the rule's first candidate): unset
#: ``slice_thickness`` / ``sampling`` come from ``numerics_rule.default_numerics`` (the
#: specimen's thickness, heaviest element and the energy; benchmarks/THICKNESS.md), and the
#: grid is also at most ``Microscope.max_sampling()`` (the detector rule)
DEFAULT_SAMPLING = numerics_rule.table()["candidates"][0]["sampling"]
#: preview settings (the defaults before the convergence study): ~8-20x faster, HAADF mean
#: up to ~35 % off on static cells (benchmarks/CONVERGENCE.md); ``simulate(..., **FAST)``
FAST = {"slice_thickness": 2.0, "projection": "infinite", "sampling": "detector"}


@backend.interruptible()  # Ctrl-C stops it at the next unit of work (physics/threads.py)
def simulate(cell, microscope=None, pixels=256, method="prism", interpolation=None,
             slice_thickness=None, phonons=0, seed=None, parametrization="lobato",
             workers=None, progress=False, *, phonon_rms=DEFAULT_PHONON_RMS,
             sampling=None, scan_pixels=None, projection="finite", focal_points=7,
             device="cpu", prism_check=DEFAULT_PROBES, prism_strict=False, accuracy=None,
             incoherent_slab=None, incoherent_damping="atom", tolerance=numerics_rule.DEFAULT_TOLERANCE):
    """Simulate a HAADF-STEM image of a periodic supercell.

    Defaults: 256 px, PRISM f=4 (or the accuracy rule's f with ``accuracy``), converged
    sampling (``numerics`` rule: slices and sampling for the thickness), finite projection,
    Lobato potentials, ``Microscope()`` (200 kV, 20 mrad, detector 100-150 mrad); ``phonons=0``
    is a static lattice, NOT converged in the thermal average (pass ``phonons=8``).

    Parameters
    ----------
    cell : OrientedCell or ase.Atoms
        Orthogonal cell, beam along +z, used as is and periodic in x and y. The image
        covers the cell's lateral extent ``(Lx, Ly)`` [Angstrom].
    microscope : Microscope, optional
        Optics and detector; default ``Microscope()`` (200 kV, 20 mrad, 100-150 mrad).
    pixels : int
        Output image edge in pixels (>= 8).
    method : {"prism", "multislice", "incoherent"}
        "prism" (default) and "multislice" are dynamical; "incoherent" sums each atom's
        detector cross-section times the probe intensity at its depth (physics/incoherent.py;
        no channelling: for thin or weak specimens, see ``incoherent_error_estimate``).
    interpolation : int or None
        PRISM interpolation factor ``f`` (>= 1); ignored by the other methods. None: 4
        without ``accuracy``; with it, the cheapest f predicted to meet it
        (``synthstem.physics.prism_f``).
    slice_thickness : float or None
        Largest slice thickness [Angstrom] (> 0); slices are equal, ``ceil(Lz / dz)``.
        None (default): ``numerics_rule.default_numerics`` of the cell's thickness, its
        heaviest element and the energy (HAADF mean within ``tolerance``,
        benchmarks/THICKNESS.md); the choice and its predicted error are recorded in
        ``params["numerics"]``.
    phonons : int
        Frozen-phonon configurations. 0 (default): a static lattice, not converged (HAADF
        mean +59 %, maxima 2.6x the thermal average, docs/physics.md "Frozen phonons");
        ``phonons=8`` (``DATASET_DEFAULTS``) as dataset runs and ``synthstem simulate``.
        Atoms with a displacement tensor ``atoms.arrays['synthstem_adp']`` (CIF
        Debye-Waller factors, ``synthstem.structures.thermal``) move by ``N(0, U)``.
    seed : int, Generator or None
        Randomness of the phonon displacements; None draws a fresh seed (recorded).
    parametrization : {"lobato", "kirkland"}
        Scattering-factor table.
    workers : int or None
        Threads (FFTs, S-matrix beams, probe tiles, GEMM blocks); None =
        ``backend.default_threads()`` (``OMP_NUM_THREADS`` or the CPU affinity). The image
        does not depend on it (bit-identical).
    progress : bool
        Show tqdm progress bars.
    phonon_rms : float or dict
        RMS displacement per Cartesian axis [Angstrom] of atoms without a displacement
        tensor, one value or {symbol: value}.
    sampling : float, "detector" or None
        Potential sampling [Angstrom] (at most ``Microscope.max_sampling()``); None (default):
        ``min(rule's sampling, max_sampling())`` (as ``slice_thickness``); "detector":
        ``max_sampling()`` (``FAST``).
    scan_pixels : int, optional
        Force the scan-grid size per axis (default: the Nyquist rule above).
    projection : {"finite", "infinite"}
        "finite" (default): each atom's potential is integrated over the z-range of every
        slice it reaches (needs thin slices for HAADF, docs/physics.md); "infinite": each
        atom fully projected into the slice containing its z (``FAST``).
    focal_points : int
        Gauss-Hermite points of the focal-spread average (used when
        ``microscope.focal_spread > 0``; see ``Microscope.focal_series``).
    device : {"cpu", "gpu"}
        Where PRISM and multislice run: "gpu" runs the same steps on CuPy arrays
        (complex64; needs ``synthstem[gpu]`` and a CUDA device, else ``ValueError``).
        The potential, the incoherent method (physics/incoherent.py) and the interpolation stay on the CPU.
    prism_check : int
        PRISM only: number of scan positions recomputed by exact multislice through the
        first configuration's potential slices (0 = off, no cost); the measured error
        ``max |PRISM - multislice|`` over the image contrast is recorded in
        ``params["prism_check"]`` and a ``PrismAccuracyWarning`` is issued above
        ``prism_check.TOLERANCE`` (``synthstem.physics.prism_check``; costs
        ~``prism_check / n_beams`` of one configuration's S-matrix).
    prism_strict : bool
        Raise ``PrismAccuracyError`` (a ValueError) instead of warning when the check fails
        (with ``accuracy``: when the retried setting still fails).
    accuracy : {None, "dataset", "converged"}
        None (default): the settings as given, the check warns. A level
        (``prism_f.LEVELS``: "dataset" = PRISM check error <= 0.1 of the image contrast,
        "converged" = <= 0.02): PRISM's f from the measured spread rule when
        ``interpolation`` is None, and an image whose check fails is recomputed once at
        the next safer setting (f halved, then multislice); recorded in
        ``params["accuracy"]`` (``synthstem.physics.accuracy``).
    incoherent_slab, incoherent_damping : float or None, {"atom", "tds"}
        Incoherent only: depth-plane spacing [Angstrom] (None: depth of field / 8) and the
        cross-section damping (``physics.cross_sections``).
    tolerance : float
        HAADF-mean tolerance of the rule that fills an unset ``slice_thickness`` or
        ``sampling`` (default 0.02).

    Returns
    -------
    SimulationResult
    """
    if accuracy is not None:
        from .accuracy import simulate_to_accuracy

        return simulate_to_accuracy(simulate, cell, accuracy, dict(
            microscope=microscope, pixels=pixels, method=method, interpolation=interpolation,
            slice_thickness=slice_thickness, phonons=phonons, seed=seed,
            parametrization=parametrization, workers=workers, progress=progress,
            phonon_rms=phonon_rms, sampling=sampling, scan_pixels=scan_pixels,
            projection=projection, focal_points=focal_points, device=device,
            prism_check=prism_check, prism_strict=prism_strict))
    interpolation = 4 if interpolation is None else interpolation
    t_start = time.perf_counter()
    atoms = atoms_of(cell)
    microscope = Microscope() if microscope is None else microscope
    if not isinstance(microscope, Microscope):
        raise ValueError(f"microscope must be a Microscope, got {type(microscope).__name__}")
    pixels = check_int("pixels", pixels, 8)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    interpolation = check_int("interpolation", interpolation, 1)
    lx, ly, lz = cell_extent(atoms)
    max_z = int(np.max(atoms.numbers)) if len(atoms) else 1
    rule = numerics_rule.default_numerics(lz, max_z, microscope.energy, tolerance)
    numerics = {"slice_thickness": "explicit" if slice_thickness is not None else "rule",
                "sampling": "explicit" if sampling is not None else "rule",
                "thickness": lz, "max_z": max_z, "tolerance": rule["tolerance"],
                "extrapolated": rule["extrapolated"], "source": rule["source"]}
    if slice_thickness is None:
        slice_thickness = rule["slice_thickness"]
    try:
        slice_thickness = float(slice_thickness)
    except (TypeError, ValueError):
        raise ValueError(f"slice_thickness must be a number, got {slice_thickness!r}") from None
    if not (math.isfinite(slice_thickness) and slice_thickness > 0):
        raise ValueError(f"slice_thickness must be > 0 Angstrom, got {slice_thickness}")
    phonons = check_int("phonons", phonons, 0)
    prism_check = check_int("prism_check", prism_check, 0)
    if not isinstance(prism_strict, (bool, np.bool_)):
        raise ValueError(f"prism_strict must be True or False, got {prism_strict!r}")
    parametrization = str(parametrization).lower()
    if parametrization not in param.PARAMETRIZATIONS:
        raise ValueError(
            f"parametrization must be one of {param.PARAMETRIZATIONS}, got {parametrization!r}"
        )
    device = backend.check_device(device)
    workers_asked = None if workers is None else check_int("workers", workers, 1)
    workers = backend.default_threads() if workers is None else workers_asked
    if projection not in PROJECTIONS:
        raise ValueError(f"projection must be one of {PROJECTIONS}, got {projection!r}")
    symbols = atoms.get_chemical_symbols()
    param.check_elements(symbols, parametrization)
    if phonons:
        rms_per_atom(symbols, phonon_rms, "phonon_rms")  # validates phonon_rms

    max_sampling = microscope.max_sampling()
    if sampling == "detector":
        sampling = max_sampling
    if sampling is not None:
        try:
            sampling = float(sampling)
        except (TypeError, ValueError):
            raise ValueError(f"sampling must be a number [Angstrom], 'detector' or None, "
                             f"got {sampling!r}") from None
        if not sampling > 0:
            raise ValueError(f"sampling must be > 0 Angstrom, got {sampling}")
        if sampling > max_sampling * (1 + 1e-9):
            raise ValueError(
                f"sampling={sampling:.4g} Angstrom is too coarse: the detector's outer angle "
                f"{microscope.detector[1]} mrad needs <= {max_sampling:.4g} Angstrom at "
                f"{microscope.energy:g} eV (antialiased band = 2/3 of Nyquist)"
            )
    grid_sampling = min(max_sampling, rule["sampling"]) if sampling is None else sampling
    numerics["predicted_error"] = (
        rule["predicted_error"] if sampling is None and numerics["slice_thickness"] == "rule"
        else numerics_rule.predicted_error(slice_thickness, rule["sampling"] if sampling is None
                                           else sampling, lz, max_z, projection))
    multiple = interpolation if method == "prism" else 1
    gpts = (choose_gpts(ly, grid_sampling, multiple), choose_gpts(lx, grid_sampling, multiple))

    if scan_pixels is None:
        nsy, nsx = scan_points(ly, microscope, pixels), scan_points(lx, microscope, pixels)
    else:
        nsy = nsx = check_int("scan_pixels", scan_pixels, 2)
    scan_x = np.arange(nsx) * (lx / nsx)
    scan_y = np.arange(nsy) * (ly / nsy)

    # seed: recorded so that any image can be regenerated
    if isinstance(seed, np.random.Generator):
        rng, seed_record = seed, None
    else:
        if seed is None and phonons:
            seed = int(np.random.SeedSequence().entropy % (2**63))
        rng, seed_record = as_rng(seed), (None if seed is None else int(seed))

    pos0 = np.asarray(atoms.positions, dtype=np.float64)
    timings = {"potential": 0.0, "scan": 0.0}
    info = {}
    configs = max(phonons, 1)
    accum = np.zeros((nsy, nsx))
    n_slices = n_slices_for(lz, slice_thickness)
    # partial temporal coherence: incoherent Gauss-Hermite average over defocus
    defoci, focal_weights = microscope.focal_series(focal_points)
    scopes = [replace(microscope, defocus=float(d)) for d in defoci]
    check_scope = int(np.argmax(focal_weights))  # the PRISM check's focal point
    check = None
    if method == "incoherent":
        inc_sigma, inc_blur, inc_record = incoherent_inputs(
            atoms, microscope, parametrization, incoherent_damping, phonons, phonon_rms)
    for c in range(configs):
        backend.check_interrupt()  # Ctrl-C: stop between configurations too
        pos = pos0
        if phonons:  # N(0, U) per atom with CIF ADPs, else N(0, phonon_rms^2) per axis
            pos = pos0 + thermal_displacements(atoms, rng, phonon_rms)
        t0 = time.perf_counter()
        if method == "incoherent":
            img, info = incoherent_image(pos, inc_sigma, inc_blur, microscope, (nsy, nsx),
                                         (ly, lx), defoci, focal_weights, incoherent_slab, workers)
            accum += img
            timings["scan"] += time.perf_counter() - t0
        else:
            pot = potential_slices(atoms, gpts, slice_thickness, parametrization, positions=pos,
                                   workers=workers, projection=projection)
            t1 = time.perf_counter()
            timings["potential"] += t1 - t0
            if method == "prism":
                from .prism import prism_scan, scattering_matrix

                # one S-matrix serves every defocus: only the probe coefficients change
                smatrix = scattering_matrix(pot, microscope, interpolation, workers,
                                            progress=progress, device=device)
                timings["smatrix"] = timings.get("smatrix", 0.0) + time.perf_counter() - t1
                for fi, (scope, weight) in enumerate(zip(scopes, focal_weights)):
                    img, info = prism_scan(pot, scope, scan_x, scan_y, interpolation,
                                           workers=workers, progress=progress, smatrix=smatrix,
                                           device=device)
                    info["timings"].pop("smatrix")
                    for k, v in info.pop("timings").items():
                        timings[k] = timings.get(k, 0.0) + v
                    accum += weight * img
                    if prism_check and c == 0 and fi == check_scope:
                        t2 = time.perf_counter()
                        check = prism_check_probes(pot, scope, scan_x, scan_y, img, prism_check,
                                                   workers, device)
                        timings["prism_check"] = time.perf_counter() - t2
            else:
                from .multislice import multislice_scan

                sx, sy = np.meshgrid(scan_x, scan_y)
                for scope, weight in zip(scopes, focal_weights):
                    img = multislice_scan(pot, scope, np.stack([sx.ravel(), sy.ravel()], 1),
                                          workers=workers, progress=progress, device=device)
                    accum += weight * img.reshape(nsy, nsx)
            timings["scan"] += time.perf_counter() - t1
    scan_image = accum / configs

    t0 = time.perf_counter()
    image = fourier_interpolate(scan_image, (pixels, pixels), (ly, lx), microscope.source_size)
    timings["interpolation"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start

    coords = np.empty((len(atoms), 2))
    coords[:, 0] = np.mod(pos0[:, 0], lx) / (lx / pixels)
    coords[:, 1] = np.mod(pos0[:, 1], ly) / (ly / pixels)

    params = {
        "method": method,
        "pixels": pixels,
        "interpolation": interpolation if method == "prism" else None,
        "slice_thickness": slice_thickness,
        "n_slices": n_slices,
        "slice_thickness_used": lz / n_slices,
        "numerics": numerics if method != "incoherent" else None,
        "projection": projection if method != "incoherent" else None,
        "finite_radius": FINITE_RADIUS if projection == "finite" else None,
        "phonons": phonons,
        "phonon_adp_atoms": adp_atoms(atoms) if phonons else None,
        "phonon_rms": (dict(phonon_rms) if isinstance(phonon_rms, dict) else float(phonon_rms))
        if phonons else None,
        "seed": seed_record,
        "parametrization": parametrization,
        "parametrization_reference": param.reference(parametrization),
        "microscope": microscope.to_dict(),
        "focal_defoci": [float(d) for d in defoci],
        "focal_weights": [float(w) for w in focal_weights],
        "wavelength": microscope.wavelength,
        "interaction_constant": microscope.sigma,
        "extent": [lx, ly, lz],
        "gpts": [int(gpts[0]), int(gpts[1])] if method != "incoherent" else None,
        "sampling": [ly / gpts[0], lx / gpts[1]] if method != "incoherent" else None,
        "max_sampling": max_sampling,
        "scan_gpts": [int(nsy), int(nsx)],
        "scan_sampling": [ly / nsy, lx / nsx],
        "scan_interpolation": "fourier" if (nsy, nsx) != (pixels, pixels) else "none",
        "image_units": "fraction of the incident beam on the detector",
        "workers": workers_asked,  # as asked (None: the default); results do not depend on it
        "backend": backend.describe(),
        "device": device,
        "synthstem_version": __version__,
    }
    if method == "prism" and info:
        params["n_beams"] = info["n_beams"]
        params["prism_window"] = info["window"]
        params["smatrix_gpts"] = info["smatrix_gpts"]
        params["smatrix_bytes"] = info["smatrix_bytes"]
    if check is not None:
        params["prism_check"] = check
        line = failure_line(check, interpolation, (ly / interpolation, lx / interpolation), lz)
        if line is not None:
            if prism_strict:
                raise PrismAccuracyError(line)
            warnings.warn(line, PrismAccuracyWarning, stacklevel=3)  # 3: past the interruptible() wrapper, at the caller
    if method == "incoherent":
        params["incoherent"] = dict(inc_record, **info)
    return SimulationResult(image=image, coords=coords, params=params, timings=timings)
