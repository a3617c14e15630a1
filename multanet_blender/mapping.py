"""A head mapped onto a mesh of its topology: the match check, the similarity fit, the motion (numpy only).

A head drives a mesh whose vertex count and face layout equal the head's (its topology
fingerprint). The mesh may sit anywhere, turned and scaled, and may be a re-sculpt of the
template: a similarity transform (rotation, uniform scale, translation; Umeyama's least squares)
fitted from the head's template onto the mesh's rest shape carries the predicted motion, as
displacements from the template, into the mesh's own frame and scale.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from multanet_core.checkpoint import Head, topology_fingerprint
from multanet_core.errors import MulTaNetError
from multanet_core.text import printable

# A shape key at value 1 moves the mesh's vertices by this fraction of the head's RMS radius (RMS
# over vertices): real speech motion then keeps every key well inside the slider range.
KEY_RMS_FRACTION = 0.05
SLIDER_LIMIT = 10.0  # Blender's widest shape-key slider range is [-10, 10]


def topology_problem(head: Head, mesh_name: str, n_vertices: int, faces: np.ndarray,
                     face_sizes: np.ndarray) -> str | None:
    """Why the mesh cannot take the head's motion, in words; ``None`` when the topology matches."""
    if head.is_rig:
        return (f"head '{printable(head.name)}' is a rig head: it gives named weights for a mesh's own shape keys, "
                f"not vertex motion for '{mesh_name}'")
    if n_vertices != head.n_vertices:
        return f"head '{printable(head.name)}' expects {head.n_vertices:,} vertices; '{mesh_name}' has {n_vertices:,}"
    if len(face_sizes) != len(head.face_sizes):
        return (f"same vertex count as head '{printable(head.name)}' but {len(face_sizes):,} faces instead of "
                f"{len(head.face_sizes):,}: a different mesh, or faces added or removed")
    if topology_fingerprint(n_vertices, faces, face_sizes) != head.fingerprint:
        return (f"same vertex count as head '{printable(head.name)}' but a different face layout: "
                f"vertex order changed on import?")
    return None


@dataclass(frozen=True)
class Similarity:
    """``x -> scale * R x + t``."""

    scale: float
    rotation: np.ndarray  # [3, 3]
    translation: np.ndarray  # [3]

    def points(self, p: np.ndarray) -> np.ndarray:
        return (self.scale * (p @ self.rotation.T) + self.translation).astype(np.float32)

    def vectors(self, d: np.ndarray) -> np.ndarray:
        return (self.scale * (d @ self.rotation.T)).astype(np.float32)


def fit_similarity(source: np.ndarray, target: np.ndarray) -> Similarity:
    """Least-squares similarity from ``source`` [V,3] onto ``target`` [V,3] (Umeyama 1991), no reflection."""
    src = np.asarray(source, np.float64)
    dst = np.asarray(target, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    var_s = (a * a).sum() / len(a)
    if not np.isfinite(var_s) or var_s <= 1e-20 or (b * b).sum() <= 1e-20 * len(b):
        raise MulTaNetError("cannot fit the head onto the mesh: all of its vertices sit in one point")
    cov = b.T @ a / len(a)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[2] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = float((sig * d).sum() / var_s)
    return Similarity(scale, rot, mu_d - scale * rot @ mu_s)


class MeshMotion:
    """A head's motion expressed on one mesh: shape-key offsets, key values, and vertex positions.

    With ``blink`` (the head has a blink shape and the bake blinks), the blink shape is one component more,
    the last, whose coefficient is the blink layer's 0..1 and whose shape key at 1 shuts the eyes."""

    def __init__(self, head: Head, rest: np.ndarray, blink: bool = False):
        rest = np.asarray(rest, np.float32)
        if blink:
            if head.blink is None:
                raise MulTaNetError(f"head '{printable(head.name)}' has no blink shape")
            head = replace(head, basis=np.concatenate([np.asarray(head.basis, np.float32),
                                                       np.asarray(head.blink, np.float32).reshape(1, -1)]))
        self.blink = blink
        self.head = head
        self.rest = rest
        self.fit = fit_similarity(head.template, rest)
        residual = self.fit.points(head.template) - rest
        radius = float(np.sqrt(((rest - rest.mean(0)) ** 2).sum(1).mean()))
        # how far the mesh's rest shape is from the scaled template: 0 for a moved copy, more for a re-sculpt
        self.fit_error = float(np.sqrt((residual ** 2).sum(1).mean()) / max(radius, 1e-12))
        template = head.template.astype(np.float64)
        t_radius = float(np.sqrt(((template - template.mean(0)) ** 2).sum(1).mean()))
        basis = head.basis.astype(np.float32)
        rms = np.sqrt((basis.astype(np.float64) ** 2).sum(1) / head.n_vertices)
        # coefficient units per shape-key unit, per component (template units)
        self.key_scale = (KEY_RMS_FRACTION * t_radius / np.maximum(rms, 1e-30)).astype(np.float32)
        if blink:
            self.key_scale[-1] = 1.0  # the blink key at 1: the eyes shut

    @property
    def n_components(self) -> int:
        return self.head.n_components

    def mean_offset(self) -> np.ndarray:
        """[V,3] in mesh space: where the PCA mean sits relative to the template (the 'mean' shape key)."""
        d = self.head.mean.reshape(-1, 3).astype(np.float32) - self.head.template
        return self.fit.vectors(d)

    def component_offsets(self, k: int) -> np.ndarray:
        """[V,3] in mesh space: shape key ``k`` at value 1."""
        return self.fit.vectors(self.head.basis[k].astype(np.float32).reshape(-1, 3) * self.key_scale[k])

    def key_values(self, coefficients: np.ndarray) -> np.ndarray:
        """Shape-key values [T,K] for PCA coefficients [T,K]; refuses values beyond the slider range."""
        values = coefficients / self.key_scale
        worst = float(np.abs(values).max(initial=0.0))
        if worst > SLIDER_LIMIT:
            k = int(np.unravel_index(np.abs(values).argmax(), values.shape)[1])
            raise MulTaNetError(
                f"head '{printable(self.head.name)}': component {k} reaches {worst:.1f} times its shape key, beyond "
                f"Blender's slider limit of {SLIDER_LIMIT:g}; the checkpoint predicts implausibly large "
                f"motion for this audio (bake as Vertex Cache to see it)"
            )
        return values.astype(np.float32)

    def vertices(self, coefficients: np.ndarray) -> np.ndarray:
        """Mesh-space vertices [T,V,3] for coefficients [T,K]: rest + mapped (mean + c @ basis - template)."""
        head = self.head
        disp = head.mean[None].astype(np.float32) + coefficients.astype(np.float32) @ head.basis.astype(np.float32)
        disp = disp.reshape(len(coefficients), -1, 3) - head.template[None]
        return self.rest[None] + self.fit.vectors(disp)
