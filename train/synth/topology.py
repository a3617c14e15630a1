"""Sphere meshes of distinct topologies, the raw material of the procedural heads.

Every generator returns ``(points [V,3] on the unit sphere, face_indices (flat int32),
face_sizes (int32 [F]))`` with faces wound counter-clockwise seen from outside (outward normals).
"""

from __future__ import annotations

import numpy as np

TOPOLOGIES = ("uv_quads", "quadsphere", "geodesic", "uv_tris_x", "scan")


def _pack(faces: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.concatenate([np.full(len(f), f.shape[1], np.int32) for f in faces if len(f)])
    flat = np.concatenate([f.reshape(-1) for f in faces if len(f)]).astype(np.int32)
    return flat, sizes


def orient_outward(points: np.ndarray, flat: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Reverse the faces whose normal points into the (star-shaped about the origin) surface."""
    flat = flat.copy()
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    a, b, c = points[flat[starts]], points[flat[starts + 1]], points[flat[starts + 2]]
    normal = np.cross(b - a, c - a)
    inward = np.einsum("ij,ij->i", normal, a + b + c) < 0
    for s, n in zip(starts[inward], sizes[inward], strict=True):
        flat[s:s + n] = flat[s:s + n][::-1]
    return flat


def uv_sphere(n_lat: int, n_lon: int, axis: int = 1, triangles: bool = False):
    """Latitude-longitude sphere: rings of quads (or split quads) and triangle fans at the poles."""
    theta = np.linspace(0, np.pi, n_lat + 1)[1:-1]
    phi = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    th, ph = np.meshgrid(theta, phi, indexing="ij")
    along = np.cos(th).ravel()
    u, v = (np.sin(th) * np.cos(ph)).ravel(), (np.sin(th) * np.sin(ph)).ravel()
    ring = np.stack([u, along, v], 1) if axis == 1 else np.stack([along, u, v], 1)
    pole = np.zeros(3)
    pole[axis] = 1.0
    points = np.concatenate([pole[None], ring, -pole[None]])
    idx = 1 + np.arange((n_lat - 1) * n_lon).reshape(n_lat - 1, n_lon)
    nxt = np.roll(idx, -1, axis=1)
    quads = np.stack([idx[:-1], idx[1:], nxt[1:], nxt[:-1]], -1).reshape(-1, 4)
    top = np.stack([np.zeros(n_lon, int), idx[0], nxt[0]], 1)
    bottom = np.stack([np.full(n_lon, len(points) - 1), nxt[-1], idx[-1]], 1)
    if triangles:
        # alternate the diagonal so the triangulation has no preferred direction
        flip = (np.arange(len(quads)) + np.arange(len(quads)) // n_lon) % 2 == 1
        q = quads
        t1 = np.where(flip[:, None], q[:, [0, 1, 2]], q[:, [0, 1, 3]])
        t2 = np.where(flip[:, None], q[:, [0, 2, 3]], q[:, [1, 2, 3]])
        flat, sizes = _pack([top, t1, t2, bottom])
    else:
        flat, sizes = _pack([top, quads, bottom])
    return points, orient_outward(points, flat, sizes), sizes


def quad_sphere(n: int):
    """Cube subdivided into n x n quads a side and inflated onto the sphere: all quads."""
    g = np.linspace(-1, 1, n + 1)
    a, b = np.meshgrid(g, g, indexing="ij")
    points, faces = [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            p = np.zeros((n + 1, n + 1, 3))
            p[..., axis] = sign
            p[..., (axis + 1) % 3] = a
            p[..., (axis + 2) % 3] = b
            base = sum(len(x) for x in points)
            idx = base + np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
            points.append(p.reshape(-1, 3))
            faces.append(np.stack([idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]], -1).reshape(-1, 4))
    return _weld(np.concatenate(points), [np.concatenate(faces)], normalize="cube")


def geodesic_sphere(n: int):
    """Icosahedron with every face split into n x n triangles (class I geodesic): 10 n^2 + 2 vertices."""
    t = (1 + 5 ** 0.5) / 2
    ico = np.array([[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t], [0, -1, -t],
                    [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]], float)
    tri = np.array([[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4],
                    [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8],
                    [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]])
    ij = [(i, j) for i in range(n + 1) for j in range(n + 1 - i)]
    local = {key: k for k, key in enumerate(ij)}
    small = []
    for i in range(n):
        for j in range(n - i):
            small.append([local[(i, j)], local[(i + 1, j)], local[(i, j + 1)]])
            if i + j < n - 1:
                small.append([local[(i + 1, j)], local[(i + 1, j + 1)], local[(i, j + 1)]])
    small = np.array(small)
    w = np.array(ij, float) / n
    points, faces = [], []
    for a, b, c in tri:
        p = ico[a] + w[:, :1] * (ico[b] - ico[a]) + w[:, 1:] * (ico[c] - ico[a])
        faces.append(small + sum(len(x) for x in points))
        points.append(p)
    return _weld(np.concatenate(points), [np.concatenate(faces)], normalize="sphere")


def scan_sphere(count: int):
    """Fibonacci-spiral points joined by their convex hull: an irregular triangle mesh like a scan."""
    from scipy.spatial import ConvexHull

    k = np.arange(count) + 0.5
    y = 1 - 2 * k / count
    r = np.sqrt(1 - y * y)
    phi = np.pi * (3 - 5 ** 0.5) * k
    points = np.stack([r * np.cos(phi), y, r * np.sin(phi)], 1)
    hull = ConvexHull(points)
    flat, sizes = _pack([hull.simplices])
    return points, orient_outward(points, flat, sizes), sizes


def _weld(points: np.ndarray, faces: list[np.ndarray], normalize: str):
    key = np.round(points * 1e6).astype(np.int64)
    uniq, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # keep vertex order stable (order of first appearance)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    pts = points[first[order]]
    if normalize == "cube":  # equal-area-ish cube to sphere map
        x, y, z = pts.T
        pts = np.stack([x * np.sqrt(1 - y * y / 2 - z * z / 2 + y * y * z * z / 3),
                        y * np.sqrt(1 - z * z / 2 - x * x / 2 + z * z * x * x / 3),
                        z * np.sqrt(1 - x * x / 2 - y * y / 2 + x * x * y * y / 3)], 1)
    pts /= np.linalg.norm(pts, axis=1, keepdims=True)
    remap = rank[inverse.reshape(-1)]
    flat, sizes = _pack([remap[f] for f in faces])
    return pts, orient_outward(pts, flat, sizes), sizes


def sphere(topology: int | str, target_vertices: int):
    """A unit sphere of the named topology with about ``target_vertices`` vertices."""
    name = TOPOLOGIES[topology] if isinstance(topology, int) else topology
    v = max(int(target_vertices), 100)
    if name == "uv_quads":
        n_lon = max(8, int(round((2.2 * v) ** 0.5)))
        return uv_sphere(max(4, int(round(v / n_lon)) + 1), n_lon, axis=1)
    if name == "uv_tris_x":
        n_lon = max(8, int(round((2.0 * v) ** 0.5)))
        return uv_sphere(max(4, int(round(v / n_lon)) + 1), n_lon, axis=0, triangles=True)
    if name == "quadsphere":
        return quad_sphere(max(2, int(round(((v - 2) / 6) ** 0.5))))
    if name == "geodesic":
        return geodesic_sphere(max(1, int(round(((v - 2) / 10) ** 0.5))))
    if name == "scan":
        return scan_sphere(v)
    raise ValueError(f"unknown topology {name!r}; known: {', '.join(TOPOLOGIES)}")
