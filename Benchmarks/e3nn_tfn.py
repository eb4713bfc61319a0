"""md's Tensor Field Network built with e3nn (PyTorch, CPU), for timing side by side with md.

    /work/venv/bin/python Benchmarks/e3nn_tfn.py --prmtop P.prmtop --coordinates C.rst7 \
        [--orders 1,2] [--threads 2] [--repeats 3] [--atoms-limit N] [--target random|openmm] [--json OUT]

Builds the whole frame's k-nearest-neighbour graph (k = 50, periodic images of an orthorhombic box;
not timed), then for each order L times forward (inference, torch.no_grad) and forward+backward
(vector Huber loss, loss.backward() w.r.t. the parameters only, no optimizer step). Prints the
parameter count of each order (with a breakdown so md's count can be checked block by block) and a
table of best/median wall time, µs per atom and peak RSS; --json writes the same figures.

The architecture (md's, in e3nn terms; irreps of natural parity only, 0e 1o 2e, l <= L):
  input     one-hot of the element over [C, H, N, O, S] + one channel per other element present
  edges     r_ij = x_j - x_i (neighbour minus centre); Y^l(r_hat), l <= L, e3nn 'component'
            normalization; 16 Bessel functions sqrt(2/rc) sin(n pi r/rc)/r, rc = 6 Å, times NequIP's
            polynomial envelope (p = 6); edge weight w_e = 1
  layer k   SI_a: o3.Linear per l, channels -> D_k          (D = 24, 24, 12)
  (k=1..3)  conv: depthwise 'uvu' tensor product x_j (x) Y(r_hat) -> l_out for every path
                  (l_in, l_f, l_out) with l_f, l_out <= L, the triangle rule, l_in+l_f+l_out even;
                  layer 3 only l_out = 1 (L >= 1) or 0 (L = 0); per-edge weights from a radial MLP
                  16 -> 32 (SiLU, bias) -> weight_numel (no bias), or with pair_radial (md's default,
                  used by e3nn_train.py) 16 + the centre's and neighbour's one-hot elements -> 32 ->
                  weight_numel; messages * w_e/sqrt(50)
                  summed onto the centre; + x_i where l_out is also an input l (residual)
            SI_b: o3.Linear per l, D_k -> F_k                (F = 24, 12, 1)
            layers 1, 2: norm nonlinearity (l = 0: SiLU; l > 0: x sigmoid(|x| + b_c)) then
                  normalization per atom per l: x / sqrt(mean_c |x_c|^2 + 1)
  output    L >= 1: layer 3's 1x1o is the force vector (times a constant scale); L = 0: a scalar
            magnitude
  loss      mean over atoms of the paper's vector Huber loss h(|pred - target|), delta = 0.2306
            kcal/mol/Å (10 meV/Å); L = 0 compares the magnitude with |target|
"""
import argparse
import json
import math
import os
import platform
import resource
import statistics
import sys
import time

import numpy as np

ELEMENTS = {1: "H", 6: "C", 7: "N", 8: "O", 9: "F", 11: "Na", 12: "Mg", 15: "P", 16: "S", 17: "Cl",
            19: "K", 20: "Ca", 26: "Fe", 30: "Zn", 35: "Br", 53: "I"}
BASE_ELEMENTS = [6, 1, 7, 8, 16]  # C, H, N, O, S
K_NEIGHBOURS = 50
CUTOFF = 6.0  # Å, radial basis
N_BASIS = 16
ENVELOPE_P = 6
RADIAL_HIDDEN = 32
D = (24, 24, 12)  # SI_a output channels (convolution width) per layer
F = (24, 12, 1)  # SI_b output channels per layer
HUBER_DELTA = 0.2306  # kcal/mol/Å (the paper's 10 meV/Å)
NORM_EPS = 1.0  # md's EquivariantNormalization.epsilon (a soft squash, not a unit-norm projection)
KCAL_PER_KJ = 1 / 4.184


# ----------------------------------------------------------------------------------------------
# System and graph (not timed)

def read_system(prmtop, coordinates):
    """Atomic numbers (prmtop ATOMIC_NUMBER via ParmEd), coordinates (Å) and box lengths (Å or None)."""
    from parmed.amber import AmberFormat, Rst7
    parm = AmberFormat(prmtop)
    z = np.asarray(parm.parm_data["ATOMIC_NUMBER"], dtype=np.int64)
    rst = Rst7.open(coordinates)
    xyz = np.asarray(rst.coordinates, dtype=np.float64).reshape(-1, 3)
    if len(xyz) != len(z):
        sys.exit(f"{coordinates}: {len(xyz)} atoms, {prmtop}: {len(z)}")
    box = None
    if getattr(rst, "box", None) is not None:
        b = np.asarray(rst.box, dtype=np.float64)
        if not np.allclose(b[3:], 90.0, atol=1e-3):
            sys.exit(f"box angles {b[3:]}: only orthorhombic boxes are supported")
        box = b[:3]
    return z, xyz, box


def element_channels(z):
    """[C, H, N, O, S] plus every other element present (by atomic number); one-hot indices per atom."""
    extra = sorted(set(z.tolist()) - set(BASE_ELEMENTS))
    order = BASE_ELEMENTS + extra
    index = {e: i for i, e in enumerate(order)}
    return [ELEMENTS.get(e, f"Z{e}") for e in order], np.array([index[e] for e in z], dtype=np.int64)


def cut_cluster(xyz, box, n):
    """The n atoms nearest the box centre (minimum image), as a non-periodic cluster."""
    centre = box / 2 if box is not None else xyz.mean(axis=0)
    d = xyz - centre
    if box is not None:
        d -= box * np.round(d / box)
    keep = np.sort(np.argsort(np.einsum("ij,ij->i", d, d), kind="stable")[:n])
    return keep, centre + d[keep]


def knn_graph(xyz, box, k):
    """Each atom's k nearest neighbours (periodic images if box). Returns src (neighbour j), dst (centre i)
    and edge vectors r_ij = x_j - x_i (minimum image), all edges of a centre contiguous."""
    from scipy.spatial import cKDTree
    n = len(xyz)
    if n <= k:
        sys.exit(f"{n} atoms: need more than k = {k}")
    if box is not None:
        wrapped = np.mod(xyz, box)
        wrapped[wrapped >= box] = 0.0  # np.mod can round up to exactly box
        tree = cKDTree(wrapped, boxsize=box)
    else:
        wrapped = xyz
        tree = cKDTree(xyz)
    dist, idx = tree.query(wrapped, k=k + 1)
    # Drop each atom itself (distance 0, normally column 0; robust to exact duplicates).
    centre = np.arange(n)[:, None]
    not_self = idx != centre
    keep_first_k = np.cumsum(not_self, axis=1) <= k
    mask = not_self & keep_first_k
    nbr = idx[mask].reshape(n, k)
    dst = np.repeat(np.arange(n), k)
    src = nbr.reshape(-1)
    vec = wrapped[src] - wrapped[dst]
    if box is not None:
        vec -= box * np.round(vec / box)
    return src, dst, vec


def openmm_forces(prmtop, coordinates, threads, keep):
    """Reference forces (kcal/mol/Å) from OpenMM CPU: PME, 9 Å, no constraints."""
    import openmm as mm
    import openmm.app as app
    import openmm.unit as u
    prm = app.AmberPrmtopFile(prmtop)
    crd = app.AmberInpcrdFile(coordinates)
    periodic = crd.boxVectors is not None
    system = prm.createSystem(nonbondedMethod=app.PME if periodic else app.NoCutoff,
                              nonbondedCutoff=0.9 * u.nanometer, constraints=None, rigidWater=False)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("CPU"),
                     {"Threads": str(threads)})
    if periodic:
        ctx.setPeriodicBoxVectors(*crd.boxVectors)
    ctx.setPositions(crd.positions)
    f = ctx.getState(getForces=True).getForces(asNumpy=True).value_in_unit(u.kilojoule_per_mole / u.angstrom)
    return np.asarray(f, dtype=np.float64)[keep] * KCAL_PER_KJ


# ----------------------------------------------------------------------------------------------
# The network

def build_model(order, n_elements, pair_radial=False):
    """pair_radial: the radial MLP also sees the centre's and the neighbour's one-hot element (md's
    default, `pairRadial`); its input is then 16 + 2 n_elements wide (TFN.edge_inputs builds it)."""
    import torch
    from e3nn import o3

    def irreps(mul, ls):
        return o3.Irreps([(mul, (l, (-1) ** l)) for l in ls])

    class RadialBasis(torch.nn.Module):
        """Bessel basis times NequIP's polynomial envelope, rc = 6 Å, 16 functions."""

        def __init__(self):
            super().__init__()
            self.register_buffer("freq", torch.arange(1, N_BASIS + 1, dtype=torch.get_default_dtype()) * math.pi / CUTOFF)
            self.prefactor = math.sqrt(2 / CUTOFF)

        def forward(self, r):
            x = r / CUTOFF
            p = ENVELOPE_P
            u = (1 - (p + 1) * (p + 2) / 2 * x ** p + p * (p + 2) * x ** (p + 1) - p * (p + 1) / 2 * x ** (p + 2))
            u = u * (x < 1)
            return self.prefactor * torch.sin(self.freq * r[:, None]) / r[:, None] * u[:, None]

    class NormActivation(torch.nn.Module):
        """l = 0: SiLU; l > 0: x sigmoid(|x| + b_c) with a learned bias per channel."""

        def __init__(self, irr):
            super().__init__()
            self.irr = irr
            self.biases = torch.nn.ParameterList(
                [torch.nn.Parameter(torch.zeros(mul)) for mul, ir in irr if ir.l > 0])

        def forward(self, x):
            out, b = [], 0
            for (mul, ir), s in zip(self.irr, self.irr.slices()):
                xs = x[:, s]
                if ir.l == 0:
                    out.append(torch.nn.functional.silu(xs))
                else:
                    v = xs.reshape(-1, mul, ir.dim)
                    norm = torch.sqrt((v * v).sum(-1) + 1e-12)  # eps keeps the gradient finite at 0
                    out.append((v * torch.sigmoid(norm + self.biases[b])[:, :, None]).reshape(-1, mul * ir.dim))
                    b += 1
            return torch.cat(out, dim=1)

    class Normalize(torch.nn.Module):
        """Per atom, per l: x / sqrt(mean over channels of |x_c|^2 + NORM_EPS)."""

        def __init__(self, irr):
            super().__init__()
            self.irr = irr

        def forward(self, x):
            out = []
            for (mul, ir), s in zip(self.irr, self.irr.slices()):
                v = x[:, s].reshape(-1, mul, ir.dim)
                scale = torch.rsqrt((v * v).sum(-1).mean(-1) + NORM_EPS)
                out.append((v * scale[:, None, None]).reshape(-1, mul * ir.dim))
            return torch.cat(out, dim=1)

    class Layer(torch.nn.Module):
        def __init__(self, irreps_in, width, f_out, l_outs, irreps_sh, last, radial_inputs):
            super().__init__()
            l_ins = [ir.l for _, ir in irreps_in]
            self.si_a = o3.Linear(irreps_in, irreps(width, l_ins))
            x_irreps = self.si_a.irreps_out
            l_fs = [ir.l for _, ir in irreps_sh]
            out_ls = [l for l in l_outs  # l_out reachable by some path (triangle rule, even l_in + l_f + l_out)
                      if any(abs(li - lf) <= l <= li + lf and (li + lf + l) % 2 == 0 for li in l_ins for lf in l_fs)]
            conv_out = irreps(width, out_ls)
            instructions = []
            for i_in, (_, ir_in) in enumerate(x_irreps):
                for i_sh, (_, ir_sh) in enumerate(irreps_sh):
                    for i_out, (_, ir_out) in enumerate(conv_out):
                        if ir_out in ir_in * ir_sh:  # triangle rule and parity
                            instructions.append((i_in, i_sh, i_out, "uvu", True))
            self.paths = [(x_irreps[i][1].l, irreps_sh[j][1].l, conv_out[k][1].l) for i, j, k, _, _ in instructions]
            self.tp = o3.TensorProduct(x_irreps, irreps_sh, conv_out, instructions,
                                       shared_weights=False, internal_weights=False)
            self.radial = torch.nn.Sequential(
                torch.nn.Linear(radial_inputs, RADIAL_HIDDEN, bias=True), torch.nn.SiLU(),
                torch.nn.Linear(RADIAL_HIDDEN, self.tp.weight_numel, bias=False))
            # Residual: conv output blocks whose l is also an input l get + x_i.
            self.residual = [(x_irreps.slices()[l_ins.index(ir.l)], s)
                             for (_, ir), s in zip(conv_out, conv_out.slices()) if ir.l in l_ins]
            self.si_b = o3.Linear(conv_out, irreps(f_out, out_ls))
            self.irreps_out = self.si_b.irreps_out
            self.nonlin = None if last else NormActivation(self.irreps_out)
            self.norm = None if last else Normalize(self.irreps_out)

        def forward(self, h, src, dst, sh, basis, edge_scale, n_out):
            """Features of the first n_out atoms (every centre in dst is one of them) from those of h's atoms."""
            x = self.si_a(h)
            w = self.radial(basis)
            msg = self.tp(x[src], sh, w) * edge_scale
            conv = torch.zeros(n_out, msg.shape[1], dtype=msg.dtype)
            conv.index_add_(0, dst, msg)
            if self.residual:
                conv = self._add_residual(conv, x[:n_out])
            y = self.si_b(conv)
            if self.nonlin is not None:
                y = self.norm(self.nonlin(y))
            return y

        def _add_residual(self, conv, x):
            res = {s_out.start: s_in for s_in, s_out in self.residual}
            parts = [conv[:, s] + x[:, res[s.start]] if s.start in res else conv[:, s]
                     for s in self.tp.irreps_out.slices()]
            return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    class TFN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.order = order
            self.irreps_sh = irreps(1, range(order + 1))
            self.basis = RadialBasis()
            h = irreps(n_elements, [0])
            layers = []
            for k in range(3):
                last = k == 2
                l_outs = [1 if order >= 1 else 0] if last else list(range(order + 1))
                layer = Layer(h, D[k], F[k], l_outs, self.irreps_sh, last,
                              N_BASIS + (2 * n_elements if pair_radial else 0))
                layers.append(layer)
                h = layer.irreps_out
            self.layers = torch.nn.ModuleList(layers)
            self.irreps_out = h
            self.output_scale = 1.0

        def forward(self, onehot, src, dst, vec, edge_weight):
            return self.propagate(onehot, src, dst, *self.edge_inputs(onehot, src, dst, vec, edge_weight))

        def edge_inputs(self, onehot, src, dst, vec, edge_weight):
            """Geometry only, no parameters (md builds the same once per frame, EdgeFeatures): Y(r_hat),
            the radial MLP's input (basis, then the centre's and neighbour's one-hot if pair_radial),
            the message scale w_e/sqrt(k)."""
            r = torch.linalg.norm(vec, dim=1)
            sh = o3.spherical_harmonics(self.irreps_sh, vec, normalize=True, normalization="component")
            basis = self.basis(r)
            if pair_radial:
                basis = torch.cat([basis, onehot[dst], onehot[src]], dim=1)
            edge_scale = (edge_weight / math.sqrt(K_NEIGHBOURS))[:, None]
            return sh, basis, edge_scale

        def propagate(self, onehot, src, dst, sh, basis, edge_scale, rows=None, layer_edges=None):
            """The layers from edge inputs. Every atom a centre by default; or md's receptive field:
            atoms ordered outputs first, layer k computes the first rows[k] atoms from the first
            rows[k - 1] over the first layer_edges[k - 1] edges (its centres' edges, grouped by centre)."""
            h = onehot
            for k, layer in enumerate(self.layers):
                e = slice(None) if layer_edges is None else slice(0, layer_edges[k])
                n_out = h.shape[0] if rows is None else rows[k + 1]
                h = layer(h, src[e], dst[e], sh[e], basis[e], edge_scale[e], n_out)
            return h * self.output_scale  # L >= 1: (N, 3) force (e3nn 1o is x, y, z); L = 0: (N, 1)

    return TFN()


def parameter_breakdown(model):
    rows = {}
    for k, layer in enumerate(model.layers, 1):
        rows[f"layer{k}.si_a"] = sum(p.numel() for p in layer.si_a.parameters())
        rows[f"layer{k}.radial_mlp"] = sum(p.numel() for p in layer.radial.parameters())
        rows[f"layer{k}.si_b"] = sum(p.numel() for p in layer.si_b.parameters())
        if layer.nonlin is not None:
            rows[f"layer{k}.norm_bias"] = sum(p.numel() for p in layer.nonlin.parameters())
    total = sum(p.numel() for p in model.parameters())
    assert total == sum(rows.values())
    return total, rows


def huber_loss(pred, target, order):
    import torch
    if order == 0:
        a = (pred[:, 0] - torch.linalg.norm(target, dim=1)).abs()
    else:
        a = torch.sqrt(((pred - target) ** 2).sum(dim=1) + 1e-12)
    return torch.where(a <= HUBER_DELTA, 0.5 * a * a, HUBER_DELTA * (a - 0.5 * HUBER_DELTA)).mean()


# ----------------------------------------------------------------------------------------------
# Timing

def reset_peak_rss():
    """Resets the kernel's peak-RSS mark (VmHWM) for this process; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_call(fn, repeats):
    """Warm-up once, then `repeats` timed calls; returns the times and the last call's result."""
    fn()
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def check_equivariance(model, inputs):
    """Rotating the edge vectors rotates the predicted vectors (L >= 1) or leaves scalars unchanged."""
    import torch
    from e3nn import o3
    onehot, src, dst, vec, w = inputs
    torch.manual_seed(7)
    R = o3.rand_matrix()
    with torch.no_grad():
        a = model(onehot, src, dst, vec, w)
        b = model(onehot, src, dst, vec @ R.T, w)
    ref = a @ R.T if model.order >= 1 else a
    return float((b - ref).abs().max() / (ref.abs().max() + 1e-30))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prmtop", required=True)
    ap.add_argument("--coordinates", required=True, help="rst7 (box from its last line)")
    ap.add_argument("--orders", default="1,2", help="comma-separated maximum orders L (0, 1, 2)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--atoms-limit", type=int, default=None,
                    help="keep only the N atoms nearest the box centre, as a non-periodic cluster "
                         "(to bound memory); µs/atom is per centre atom and barely changes")
    ap.add_argument("--target", choices=["random", "openmm"], default="random",
                    help="loss target: random forces (normal, σ = 15 kcal/mol/Å per component, mean |F| ≈ 24) or OpenMM CPU "
                         "forces of the frame (PME 9 Å, no constraints)")
    ap.add_argument("--modes", default="fwd,fwdbwd", help="which timings: fwd, fwdbwd")
    ap.add_argument("--check", action="store_true", help="also check rotation equivariance once per order")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args()

    import torch
    import e3nn
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    orders = [int(o) for o in args.orders.split(",")]
    modes = args.modes.split(",")
    if any(o not in (0, 1, 2) for o in orders) or any(m not in ("fwd", "fwdbwd") for m in modes):
        sys.exit("--orders takes 0, 1, 2; --modes takes fwd, fwdbwd")

    t0 = time.perf_counter()
    z, xyz, box = read_system(args.prmtop, args.coordinates)
    n_total = len(z)
    keep = np.arange(n_total)
    if args.atoms_limit is not None and args.atoms_limit < n_total:
        keep, xyz = cut_cluster(xyz, box, args.atoms_limit)
        z, box = z[keep], None
    names, channel = element_channels(z)
    src, dst, vec = knn_graph(xyz, box, K_NEIGHBOURS)
    n = len(z)
    if args.target == "openmm":
        target_np = openmm_forces(args.prmtop, args.coordinates, args.threads, keep)
    else:
        target_np = np.random.default_rng(args.seed).normal(0.0, 15.0, size=(n, 3))  # mean |F| ≈ 24
    setup_s = time.perf_counter() - t0

    onehot = torch.nn.functional.one_hot(torch.from_numpy(channel), len(names)).to(torch.get_default_dtype())
    inputs = (onehot, torch.from_numpy(src), torch.from_numpy(dst),
              torch.from_numpy(vec).to(torch.get_default_dtype()), torch.ones(len(src)))
    target = torch.from_numpy(target_np).to(torch.get_default_dtype())
    r = np.linalg.norm(vec, axis=1)
    print(f"system: {os.path.basename(args.prmtop)}  atoms {n}" + (f" (of {n_total}, cluster)" if n != n_total else "")
          + f"  box {'x'.join(f'{b:.3f}' for b in box) if box is not None else 'none'}  edges {len(src)}"
          f"  edge r {r.min():.2f}-{r.max():.2f} Å (mean {r.mean():.2f})  elements {names}")
    print(f"torch {torch.__version__}  e3nn {e3nn.__version__}  threads {torch.get_num_threads()}"
          f"  target {args.target}  setup (not timed) {setup_s:.1f} s  load average {os.getloadavg()[0]:.1f}"
          f" (this machine's cores: {os.cpu_count()})")

    results = []
    for order in orders:
        torch.manual_seed(args.seed)
        model = build_model(order, len(names))
        total, rows = parameter_breakdown(model)
        print(f"\norder {order}: parameters {total}  " + "  ".join(f"{k} {v}" for k, v in rows.items()))
        for k, layer in enumerate(model.layers, 1):
            print(f"  layer{k}: {layer.si_a.irreps_in} -> SI_a {layer.si_a.irreps_out} -> conv {layer.tp.irreps_out}"
                  f" ({len(layer.paths)} paths (l_in,l_f,l_out) {layer.paths}, radial weights {layer.tp.weight_numel})"
                  f" -> SI_b {layer.si_b.irreps_out}")
        entry = {"order": order, "parameters": total, "parameter_breakdown": rows,
                 "paths": [layer.paths for layer in model.layers]}
        if args.check:
            entry["equivariance_rel_error"] = check_equivariance(model, inputs)
            print(f"  equivariance: max relative error {entry['equivariance_rel_error']:.2e}")

        def fwd():
            with torch.no_grad():
                model(*inputs)

        def fwdbwd():
            model.zero_grad(set_to_none=True)
            loss = huber_loss(model(*inputs), target, order)
            loss.backward()
            return loss.detach()

        for mode in modes:
            fn = fwd if mode == "fwd" else fwdbwd
            reset_ok = reset_peak_rss()
            times, result = time_call(fn, args.repeats)
            best, med = min(times), statistics.median(times)
            entry[mode] = {"best_s": best, "median_s": med, "times_s": times,
                           "best_us_per_atom": best / n * 1e6, "median_us_per_atom": med / n * 1e6,
                           "peak_rss_mib": peak_rss_mib(), "peak_rss_is_per_phase": reset_ok,
                           "loadavg_1min_after": os.getloadavg()[0]}
            if mode == "fwdbwd":
                entry["loss"] = float(result.detach())
            print(f"  {mode:7s} best {best:8.3f} s  median {med:8.3f} s  "
                  f"{best / n * 1e6:8.1f} µs/atom (best)  peak RSS {entry[mode]['peak_rss_mib']:.0f} MiB"
                  f"  (load average {os.getloadavg()[0]:.1f})")
        results.append(entry)
        del model

    print(f"\n{'order':>5} {'params':>8} {'fwd µs/atom':>12} {'fwd med':>8} {'f+b µs/atom':>12} {'f+b med':>8}"
          f" {'fwd RSS MiB':>11} {'f+b RSS MiB':>11}")
    for e in results:
        f, b = e.get("fwd", {}), e.get("fwdbwd", {})
        cell = lambda d, key, fmt: format(d[key], fmt) if key in d else "-"
        print(f"{e['order']:>5} {e['parameters']:>8} {cell(f, 'best_us_per_atom', '12.1f'):>12}"
              f" {cell(f, 'median_us_per_atom', '8.1f'):>8} {cell(b, 'best_us_per_atom', '12.1f'):>12}"
              f" {cell(b, 'median_us_per_atom', '8.1f'):>8} {cell(f, 'peak_rss_mib', '11.0f'):>11}"
              f" {cell(b, 'peak_rss_mib', '11.0f'):>11}")

    if args.json:
        out = {"system": {"prmtop": args.prmtop, "coordinates": args.coordinates, "atoms": n, "atoms_total": n_total,
                          "box": None if box is None else box.tolist(), "periodic": box is not None,
                          "edges": int(len(src)), "elements": names},
               "settings": {"k": K_NEIGHBOURS, "cutoff": CUTOFF, "basis": N_BASIS, "envelope_p": ENVELOPE_P,
                            "D": D, "F": F, "radial_hidden": RADIAL_HIDDEN, "huber_delta": HUBER_DELTA,
                            "threads": args.threads, "repeats": args.repeats, "target": args.target,
                            "dtype": str(torch.get_default_dtype())},
               "versions": {"python": platform.python_version(), "torch": torch.__version__, "e3nn": e3nn.__version__,
                            "numpy": np.__version__},
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
               "results": results}
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
