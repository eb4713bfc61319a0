"""md's trained or initial parameters (an md model file) in e3nn_tfn's network, so that the two
engines' outputs can be compared value for value (e3nn_train.py --forward-only does, on the first
batch, when md-bench train --forward-only --dump wrote the model beside the batches).

What differs between the two and is converted here:
- bases: md's real harmonics have z as polar axis, m = -l..l, no Condon-Shortley phase
  (SphericalHarmonics.swift); e3nn's are another orthogonal basis per l, found by least squares.
- couplings: md's real Clebsch-Gordan tensor (ClebschGordan.real: U3 CG (U1 x U2)^dagger, norm
  2 l3 + 1) is, in e3nn's basis, a multiple (sign and size) of e3nn's wigner_3j, and e3nn scales
  each path by its path_weight: both go into the radial MLP's output layer, which is linear.
- layouts: md's radial output is path-major in md's path order (output order, then input, then
  filter); md's self-interaction weights are [order, in, out] without e3nn's 1/sqrt(fan-in).
md's self-interaction biases (e3nn_tfn has none) must be zero, as md initialises them.
"""
import math

import numpy as np


def md_harmonics(l, v):
    """md's real harmonics of the rows of v ("component" normalisation), l <= 2."""
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    if l == 0:
        return np.ones((len(v), 1))
    if l == 1:
        return math.sqrt(3) * np.stack([y, z, x], 1)
    s15, s5 = math.sqrt(15), math.sqrt(5)
    return np.stack([s15 * x * y, s15 * y * z, s5 / 2 * (3 * z * z - 1), s15 * x * z, s15 / 2 * (x * x - y * y)], 1)


def basis_change(l):
    """The orthogonal Q with e3nn's Y_l = Q (md's Y_l)."""
    import torch
    from e3nn import o3
    v = np.random.default_rng(1).normal(size=(200, 3))
    e3nn_y = o3.spherical_harmonics(l, torch.from_numpy(v), normalize=True, normalization="component").numpy()
    q = np.linalg.lstsq(md_harmonics(l, v), e3nn_y, rcond=None)[0].T
    assert np.abs(md_harmonics(l, v) @ q.T - e3nn_y).max() < 1e-10, f"l = {l}: not md's harmonics up to a change of basis"
    return q


def complex_cg(l1, m1, l2, m2, l3, m3):
    """<l1 m1 l2 m2 | l3 m3> by Racah's formula (ClebschGordan.complex)."""
    if m1 + m2 != m3 or abs(m1) > l1 or abs(m2) > l2 or abs(m3) > l3 or not abs(l1 - l2) <= l3 <= l1 + l2:
        return 0.0
    f = math.factorial
    pre = math.sqrt((2 * l3 + 1) * f(l3 + l1 - l2) * f(l3 - l1 + l2) * f(l1 + l2 - l3) / f(l1 + l2 + l3 + 1)
                    * f(l3 + m3) * f(l3 - m3) * f(l1 - m1) * f(l1 + m1) * f(l2 - m2) * f(l2 + m2))
    return pre * sum((-1) ** k / (f(k) * f(l1 + l2 - l3 - k) * f(l1 - m1 - k) * f(l2 + m2 - k) * f(l3 - l2 + m1 + k)
                                  * f(l3 - l1 - m2 + k))
                     for k in range(max(0, l2 - l3 - m1, l1 - l3 + m2), min(l1 + l2 - l3, l1 - m1, l2 + m2) + 1))


def complex_to_real(l):
    """U[m, mu] with md's real Y_m = sum_mu U[m, mu] (complex Y_mu) (ClebschGordan.complexToReal)."""
    h, u = 1 / math.sqrt(2), np.zeros((2 * l + 1, 2 * l + 1), dtype=complex)
    u[l, l] = 1
    for k in range(1, l + 1):
        sign = (-1) ** k
        u[l + k, l + k], u[l + k, l - k] = sign * h, h
        u[l - k, l + k], u[l - k, l - k] = -1j * sign * h, 1j * h
    return u


def md_cg(l1, l2, l3):
    """md's real coupling tensor [m1, m2, m3] (ClebschGordan.real)."""
    r = [range(-l, l + 1) for l in (l1, l2, l3)]
    cg = np.array([[[complex_cg(l1, a, l2, b, l3, c) for c in r[2]] for b in r[1]] for a in r[0]])
    t = np.einsum("ia,jb,kc,abc->ijk", complex_to_real(l1).conj(), complex_to_real(l2).conj(), complex_to_real(l3), cg)
    return t.real if np.abs(t.real).sum() >= np.abs(t.imag).sum() else t.imag


def load(model, path):
    """Copies md's model file into e3nn_tfn's `model` (same order, elements and pair_radial)."""
    import torch
    from e3nn import o3
    from safetensors.numpy import load_file
    p = load_file(path)
    q = [basis_change(l) for l in range(model.order + 1)]
    with torch.no_grad():
        for k, layer in enumerate(model.layers, 1):
            pre = f"block{k}."
            for name in ("si_in.bias", "si_out.bias"):
                assert not p.get(pre + name, np.zeros(1)).any(), f"{path}: {pre + name} is not zero, and e3nn_tfn has no such bias"
            for linear, name in ((layer.si_a, "si_in.weight"), (layer.si_b, "si_out.weight")):
                w = p[pre + name]  # md's degree index is the irreps' index: both list orders ascending
                linear.weight.copy_(torch.cat([torch.from_numpy(w[i.i_in] / i.path_weight).reshape(-1) for i in linear.instructions]))
            layer.radial[0].weight.copy_(torch.from_numpy(p[pre + "radial.w1"].T))
            layer.radial[0].bias.copy_(torch.from_numpy(p[pre + "radial.b1"]))
            md_paths = sorted(layer.paths, key=lambda t: (t[2], t[0], t[1]))  # TensorProductPath.all's order
            w2, channels = p[pre + "radial.w2"], layer.tp.irreps_in1[0].mul
            rows = []
            for instruction, (li, lf, lo) in zip(layer.tp.instructions, layer.paths):
                c = np.einsum("ia,jb,kc,abc->ijk", q[li], q[lf], q[lo], md_cg(li, lf, lo))
                w3j = o3.wigner_3j(li, lf, lo, dtype=torch.float64).numpy()
                ratio = float((c * w3j).sum() / (w3j * w3j).sum())
                assert np.abs(c - ratio * w3j).max() < 1e-9, f"path {li}x{lf}->{lo}: md's coupling is not e3nn's"
                m = md_paths.index((li, lf, lo))
                rows.append(w2[:, m * channels:(m + 1) * channels].T * ratio / instruction.path_weight)
            layer.radial[2].weight.copy_(torch.from_numpy(np.concatenate(rows, 0)))
            if layer.nonlin is not None and len(layer.nonlin.biases):
                for bias, row in zip(layer.nonlin.biases, p[pre + "gate.bias"]):  # one row per order > 0
                    bias.copy_(torch.from_numpy(row))
    return q


def cartesian(output, q):
    """e3nn_tfn's order-1 output (e3nn's basis) as md's Cartesian (x, y, z) forces."""
    return (output @ q[1])[:, [2, 0, 1]]  # to md's (y, z, x), then to (x, y, z)
