"""Training throughput of md's network in e3nn on the batches md trains on, step for step with
`md-bench train`.

    swift run -c release md-bench train --dump /tmp/md-batches        # md's steps, and the batches
    /work/venv/bin/python Benchmarks/e3nn_train.py /tmp/md-batches [--orders 1,2] [--threads 1,2] \
        [--passes 1] [--forward-only] [--json OUT]

Each batch file (md-bench's TrainingBatchFile: one frame of the dataset's train split) holds the
receptive field of the frame's loss atoms (protein atoms) in md's row order, the k-nearest edges
with their switch weights, and the loss atoms' reference forces. A step is what md train's step is
(Trainer.gradients + Trainer.apply): the network over the receptive field, each layer computing only
the rows md computes (e3nn_tfn's TFN.propagate with rows and layer_edges), the paper's vector Huber
loss over the loss atoms, loss.backward(), clip_grad_norm_ (max norm 100, md's), torch.optim.Adam
(lr 5e-3, md's; betas and eps are both libraries' defaults). The architecture is e3nn_tfn.py's with
pair-aware radial functions, as md trains.

Not timed, on either side: the k-NN graph and the geometry-only edge inputs (spherical harmonics,
radial basis, pair one-hots, w/sqrt(k)); md train builds them once per frame and keeps them, and so
does this script per batch before the clock starts. One untimed warm-up step on the first batch,
then every batch once per pass, in file order (md-bench's order).

--forward-only times inference instead, as `md-bench train --forward-only` does for md: what a
learned MD step spends in the network, the same layers over the same rows and edges under
torch.no_grad(), no loss; per loss (learned) atom as well as per batch. When md-bench wrote its
model and first prediction beside the batches (model-orderL.safetensors, prediction-orderL.safetensors),
e3nn runs md's parameters (md_parameters.py) and the first batch's forces are compared with md's.
"""
import argparse
import glob
import json
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import md_parameters  # noqa: E402
from e3nn_tfn import build_model, huber_loss, parameter_breakdown  # noqa: E402

BATCH_FORMAT = "md-train-batch 1"
CLIP_NORM = 100.0  # md's TrainingOptions.clipNorm
LEARNING_RATE = 5e-3  # md's TrainingOptions.learningRate


def load_batch(path):
    """A batch file as numpy arrays (integer arrays converted from the F64 md stores them in) and its metadata."""
    from safetensors import safe_open
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
        arrays = {name: f.get_tensor(name) for name in f.keys()}
    if meta.get("format") != BATCH_FORMAT:
        sys.exit(f"{path}: format {meta.get('format')!r}, this script reads {BATCH_FORMAT!r}")
    for name in ("atoms", "channels", "centres", "neighbours", "rows", "layer_edges"):
        arrays[name] = arrays[name].astype(np.int64)
    return arrays, meta


class Batch:
    """One step's inputs as torch tensors; edge inputs for one order, built once (not timed)."""

    def __init__(self, path, n_elements):
        import torch
        a, self.meta = load_batch(path)
        self.rows = a["rows"].tolist()
        self.layer_edges = a["layer_edges"].tolist()
        self.loss_atoms = self.rows[-1]
        self.onehot = torch.nn.functional.one_hot(torch.from_numpy(a["channels"]), n_elements).to(torch.get_default_dtype())
        self.src = torch.from_numpy(a["neighbours"])
        self.dst = torch.from_numpy(a["centres"])
        p = a["positions"]
        vec = p[a["neighbours"]] - p[a["centres"]] + a["shifts"]  # float64, then to float32 as md does
        self.vec = torch.from_numpy(vec).to(torch.get_default_dtype())
        self.weight = torch.from_numpy(a["switch_weights"]).to(torch.get_default_dtype())
        self.target = torch.from_numpy(a["target"]).to(torch.get_default_dtype())
        self.edge_inputs = None

    def prepare(self, model):
        import torch
        with torch.no_grad():
            self.edge_inputs = model.edge_inputs(self.onehot, self.src, self.dst, self.vec, self.weight)

    def label(self):
        return f"{self.meta['system']} {os.path.basename(self.meta['source'])}"


def train_step(model, optimizer, batch, order):
    """One optimiser step; returns (loss, forward+backward seconds, clip+Adam seconds)."""
    import torch
    t0 = time.perf_counter()
    optimizer.zero_grad(set_to_none=True)
    pred = model.propagate(batch.onehot, batch.src, batch.dst, *batch.edge_inputs,
                           rows=batch.rows, layer_edges=batch.layer_edges)
    loss = huber_loss(pred, batch.target, order)
    loss.backward()
    t1 = time.perf_counter()
    torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
    optimizer.step()
    return float(loss.detach()), t1 - t0, time.perf_counter() - t1


def forward_step(model, batch):
    """Inference as a learned MD step computes it; returns (prediction, seconds)."""
    import torch
    t0 = time.perf_counter()
    with torch.no_grad():
        pred = model.propagate(batch.onehot, batch.src, batch.dst, *batch.edge_inputs,
                               rows=batch.rows, layer_edges=batch.layer_edges)
    return pred, time.perf_counter() - t0


def compare_with_md(folder, order, pred, bases):
    """e3nn's first-batch forces against md's (md_parameters.py's conversion), or what there is to say without md's."""
    if bases is None:
        return f"e3nn's own parameters (no model-order{order}.safetensors), forces {tuple(pred.shape)}, max |F| {float(pred.abs().max()):.3f}"
    from safetensors.numpy import load_file
    md = load_file(os.path.join(folder, f"prediction-order{order}.safetensors"))["forces"]
    difference = np.abs(md_parameters.cartesian(pred.numpy(), bases) - md).max()
    return f"md's parameters, {len(md)} forces against md's: max |Δ| {difference:.2e}, max |F| {np.abs(md).max():.3f} kcal/mol/Å"


def row(cells):
    print("| " + " | ".join(cells) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("batches", help="folder of batch-*.safetensors written by md-bench train --dump")
    ap.add_argument("--orders", default="1,2")
    ap.add_argument("--threads", default="1,2", help="comma-separated torch.set_num_threads values")
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--forward-only", action="store_true", help="time inference (no gradients, no update) instead of training steps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, help="write every step's figures here")
    args = ap.parse_args()

    import torch
    import e3nn
    paths = sorted(glob.glob(os.path.join(args.batches, "batch-*.safetensors")))
    if not paths:
        sys.exit(f"{args.batches}: no batch-*.safetensors (write them with md-bench train --dump DIR)")
    _, meta = load_batch(paths[0])
    elements = meta["elements"].split(",")
    if meta.get("pair_radial") != "true":
        sys.exit(f"{paths[0]}: batches of a model without pair-aware radial functions; this script builds md's default")
    mode = " --forward-only" if args.forward_only else ""
    print(f"e3nn_train{mode}: {len(paths)} batches from {args.batches}, elements {elements}, torch {torch.__version__},"
          f" e3nn {e3nn.__version__}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    row(["order", "threads", "step", "batch", "field atoms", "loss atoms", "edges (layers 1/2/3)"]
        + (["forward ms", "forward µs/loss atom"] if args.forward_only else ["loss", "fwd+bwd ms", "clip+Adam ms", "step ms"]))
    row(["---"] * (9 if args.forward_only else 11))

    steps, checks = [], []
    for order in [int(o) for o in args.orders.split(",")]:
        batches = [Batch(p, len(elements)) for p in paths]
        for threads in [int(t) for t in args.threads.split(",")]:
            torch.set_num_threads(threads)
            torch.manual_seed(args.seed)
            model = build_model(order, len(elements), pair_radial=True)
            for b in batches:
                b.prepare(model)
            if args.forward_only:
                optimizer = None
                md_model = os.path.join(args.batches, f"model-order{order}.safetensors")
                bases = md_parameters.load(model, md_model) if os.path.exists(md_model) else None
                pred, _ = forward_step(model, batches[0])  # warm-up, untimed
                checks.append(f"order {order}, {threads} threads, first batch: " + compare_with_md(args.batches, order, pred, bases))
            else:
                optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
                train_step(model, optimizer, batches[0], order)  # warm-up, untimed
            for p in range(args.passes):
                for i, b in enumerate(batches):
                    s = {"order": order, "threads": threads, "batch": b.label(), "field_atoms": b.rows[0],
                         "loss_atoms": b.loss_atoms, "layer_edges": b.layer_edges}
                    cells = [str(order), str(threads), str(p * len(batches) + i + 1), s["batch"], str(b.rows[0]),
                             str(b.loss_atoms), "/".join(map(str, b.layer_edges))]
                    if args.forward_only:
                        _, fw = forward_step(model, b)
                        s.update(forward_s=fw, step_s=fw)
                        cells += [f"{fw * 1e3:.1f}", f"{fw / b.loss_atoms * 1e6:.1f}"]
                    else:
                        loss, fb, up = train_step(model, optimizer, b, order)
                        s.update(loss=loss, forward_backward_s=fb, update_s=up, step_s=fb + up)
                        cells += [f"{loss:.4f}", f"{fb * 1e3:.1f}", f"{up * 1e3:.1f}", f"{(fb + up) * 1e3:.1f}"]
                    steps.append(s)
                    row(cells)
            parameters = parameter_breakdown(model)[0]
            print(f"order {order}, {threads} threads: {parameters} parameters")
            del model, optimizer

    print()
    row(["order", "threads", "steps", "mean field atoms", "mean loss atoms", "ms/step", "field atoms/s", "loss atoms/s"]
        + (["forward µs/loss atom"] if args.forward_only else []))
    row(["---"] * (9 if args.forward_only else 8))
    for key in dict.fromkeys((s["order"], s["threads"]) for s in steps):
        group = [s for s in steps if (s["order"], s["threads"]) == key]
        seconds = sum(s["step_s"] for s in group)
        field, loss_atoms = sum(s["field_atoms"] for s in group), sum(s["loss_atoms"] for s in group)
        row([str(key[0]), str(key[1]), str(len(group)), f"{field / len(group):.0f}", f"{loss_atoms / len(group):.0f}",
             f"{seconds / len(group) * 1e3:.1f}", f"{field / seconds:.0f}", f"{loss_atoms / seconds:.0f}"]
            + ([f"{seconds / loss_atoms * 1e6:.1f}"] if args.forward_only else []))
    for c in checks:
        print("check, " + c)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"batches": paths, "versions": {"python": platform.python_version(), "torch": torch.__version__,
                                                      "e3nn": e3nn.__version__, "numpy": np.__version__},
                       "machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "steps": steps}, fh, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
