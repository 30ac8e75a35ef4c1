"""Column masks, semantic masks and per-element Gaussian heatmaps.

Pixel convention (docs/DESIGN.md): a column at pixel coordinates ``(x, y)`` (x = column,
y = row) lies exactly on the centre of pixel ``(row=y, col=x)`` when x and y are integers.
A pixel ``(r, c)`` belongs to the disc of a column when its centre is within ``radius``
pixels: ``(c - x)**2 + (r - y)**2 <= radius**2``. Where two discs overlap, the pixel goes
to the nearest column, so column masks never overlap (disc intersected with the Voronoi
cell). Continuous top-left-origin coordinates (COCO, CVAT) are ``x + 0.5``.
"""

import numpy as np

#: Disc radius [px] used when the pixel size is unknown (the radius in Angstrom is an
#: export option, synthstem.exports.registry).
DEFAULT_RADIUS_PX = 3.0

#: Colour palette of the colour-coded semantic masks: index = class id, RGB uint8.
#: 0 (background) is black; ids 1..20 follow matplotlib's 'tab20' order (colour-blind
#: friendlier than random); ids above 20 repeat the table from id 1.
PALETTE = np.array(
    [
        (0, 0, 0),
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
        (174, 199, 232), (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213),
        (196, 156, 148), (247, 182, 210), (199, 199, 199), (219, 219, 141), (158, 218, 229),
    ],
    dtype=np.uint8,
)


def palette_color(class_id):
    """RGB colour (tuple of int) of a class id in :data:`PALETTE`."""
    class_id = int(class_id)
    if class_id == 0:
        return (0, 0, 0)
    return tuple(int(v) for v in PALETTE[1 + (class_id - 1) % (len(PALETTE) - 1)])


def palette_hex(class_id):
    """'#rrggbb' of a class id (CVAT label colour)."""
    return "#{:02x}{:02x}{:02x}".format(*palette_color(class_id))


def _check_xy(xy):
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if not np.all(np.isfinite(xy)):
        raise ValueError("xy must be finite pixel coordinates (x, y)")
    return xy


def _check_shape(shape):
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be (rows, cols) with positive sizes, got {shape}")
    return shape


def disc_mask(x, y, shape, radius):
    """Boolean (rows, cols) mask of the pixels whose centre is within ``radius`` of (x, y).

    The plain, obviously-correct twin of :func:`instance_map` (no overlap handling).
    """
    rows, cols = _check_shape(shape)
    r, c = np.mgrid[0:rows, 0:cols]
    return (c - x) ** 2 + (r - y) ** 2 <= radius**2


def instance_map(xy, shape, radius):
    """Label image of the column discs: the index of the column owning each pixel, -1 elsewhere.

    Parameters
    ----------
    xy : array (M, 2)
        Column positions [px], (x = column, y = row), pixel-centre convention.
    shape : (rows, cols)
        Image shape.
    radius : float
        Disc radius [px]. Overlaps go to the nearest column (ties: lowest index).

    Returns
    -------
    numpy.ndarray (rows, cols) int32
    """
    rows, cols = _check_shape(shape)
    xy = _check_xy(xy)
    if not radius > 0:
        raise ValueError(f"radius must be > 0 px, got {radius}")
    out = np.full((rows, cols), -1, dtype=np.int32)
    best = np.full((rows, cols), np.inf)
    limit = radius * (1 + 1e-12) + 1e-12
    half = int(np.ceil(limit))
    # each disc is painted in its own window; a pixel goes to a column strictly nearer than
    # every earlier one, so ties go to the lowest index
    for k, (x, y) in enumerate(xy):
        c0, c1 = max(int(np.floor(x)) - half, 0), min(int(np.ceil(x)) + half + 1, cols)
        r0, r1 = max(int(np.floor(y)) - half, 0), min(int(np.ceil(y)) + half + 1, rows)
        if c0 >= c1 or r0 >= r1:
            continue
        d = np.hypot(np.arange(c0, c1)[None, :] - x, np.arange(r0, r1)[:, None] - y)
        win = (d <= limit) & (d < best[r0:r1, c0:c1])
        best[r0:r1, c0:c1][win] = d[win]
        out[r0:r1, c0:c1][win] = k
    return out


def semantic_mask(inst_map, class_ids):
    """Semantic mask: pixel value = class id of the owning column, 0 for background.

    Parameters
    ----------
    inst_map : (rows, cols) int array from :func:`instance_map`.
    class_ids : sequence of int, one per column (the COCO category ids).

    Returns
    -------
    numpy.ndarray uint8 (uint16 if an id exceeds 255).
    """
    class_ids = np.asarray(class_ids, dtype=np.int64).reshape(-1)
    if class_ids.size and (class_ids.min() < 1 or class_ids.max() > 65535):
        raise ValueError("class_ids must lie in 1..65535 (0 is the background)")
    dtype = np.uint8 if (class_ids.size == 0 or class_ids.max() < 256) else np.uint16
    lut = np.concatenate([[0], class_ids]).astype(dtype)
    return lut[np.asarray(inst_map) + 1]


def colorize(semantic):
    """RGB (rows, cols, 3) uint8 rendering of a semantic mask with :data:`PALETTE`."""
    semantic = np.asarray(semantic).astype(np.int64)
    lut = np.array([palette_color(i) for i in range(int(semantic.max(initial=0)) + 1)], dtype=np.uint8)
    return lut[semantic]


def elements_of(label):
    """Elements of a column class: 'O+Ti' -> ['O', 'Ti']."""
    return [e for e in str(label).split("+") if e]


def gaussian_heatmaps(xy, labels, shape, sigma, elements=None, truncate=4.0):
    """Per-element Gaussian heatmaps, peak value 1 at each column, overlaps combined by max.

    A mixed column ('O+Ti') contributes to the map of every element it contains.

    Parameters
    ----------
    xy : array (M, 2) column positions [px] (pixel-centre convention).
    labels : sequence of str (M,) column classes.
    shape : (rows, cols).
    sigma : float  Gaussian standard deviation [px].
    elements : sequence of str, optional  Channels to produce (default: all found, sorted).
    truncate : float  Gaussians are evaluated within ``truncate * sigma`` [px].

    Returns
    -------
    dict[str, numpy.ndarray float32 (rows, cols)]
    """
    rows, cols = _check_shape(shape)
    xy = _check_xy(xy)
    labels = list(labels)
    if len(labels) != len(xy):
        raise ValueError(f"labels ({len(labels)}) and xy ({len(xy)}) differ in length")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0 px, got {sigma}")
    if elements is None:
        elements = sorted({e for lab in labels for e in elements_of(lab)})
    maps = {e: np.zeros((rows, cols), dtype=np.float32) for e in elements}
    half = int(np.ceil(truncate * sigma))
    for (x, y), lab in zip(xy, labels):
        c0, c1 = max(int(np.floor(x)) - half, 0), min(int(np.ceil(x)) + half + 1, cols)
        r0, r1 = max(int(np.floor(y)) - half, 0), min(int(np.ceil(y)) + half + 1, rows)
        if c0 >= c1 or r0 >= r1:
            continue
        gx = np.exp(-0.5 * ((np.arange(c0, c1) - x) / sigma) ** 2)
        gy = np.exp(-0.5 * ((np.arange(r0, r1) - y) / sigma) ** 2)
        g = (gy[:, None] * gx[None, :]).astype(np.float32)
        for e in elements_of(lab):
            if e in maps:
                np.maximum(maps[e][r0:r1, c0:c1], g, out=maps[e][r0:r1, c0:c1])
    return maps


def rasterise_points(xy, shape):
    """Boolean map with one True pixel at the nearest pixel of each point inside the image."""
    rows, cols = _check_shape(shape)
    xy = _check_xy(xy)
    out = np.zeros((rows, cols), dtype=bool)
    ij = np.rint(xy).astype(np.int64)
    ok = (ij[:, 0] >= 0) & (ij[:, 0] < cols) & (ij[:, 1] >= 0) & (ij[:, 1] < rows)
    out[ij[ok, 1], ij[ok, 0]] = True
    return out
