#!/usr/bin/env python3
"""Cross-check md's safetensors files against Python's `safetensors` (issue 6).

    /work/venv/bin/python scripts/check_safetensors.py [--write-fixture]

--write-fixture  (re)writes Tests/Fixtures/tensorcore/python-written.safetensors with Python's
                 safetensors (F32 and F64 tensors, metadata) and python-written.json holding the
                 expected values; the Swift tests read both.
Always:          reads Tests/Fixtures/tensorcore/md-written.safetensors (written by md's
                 TensorCore: `MD_WRITE_FIXTURES=1 swift test -c release -Xswiftc -enable-testing
                 --filter SafeTensorsTests`) with safetensors.numpy.load_file and safe_open, and
                 checks every tensor, dtype, shape and the metadata against md-written.json.
Exits non-zero on any mismatch. Needs `safetensors` and `numpy` (pip install safetensors numpy).
"""
import json
import pathlib
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "tensorcore"


def write_fixture():
    rng = np.random.default_rng(20261125)
    tensors = {
        "layer0.weight": rng.standard_normal((3, 4)).astype(np.float32),
        "layer0.bias": np.array([0.5, -1.25, 3.0e-8, 1.0e30], dtype=np.float32),
        "radial.centres": np.linspace(0.0, 7.0, 5, dtype=np.float64),
        "scalar": np.array(2.718281828459045, dtype=np.float64),
        "cg.l1l1l2": rng.standard_normal((3, 3, 5)).astype(np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    metadata = {"md.format": "md-model 1", "writer": "python safetensors", "note": "ünïcode \"quoted\"\nline"}
    path = FIXTURES / "python-written.safetensors"
    save_file(tensors, str(path), metadata=metadata)
    expected = {
        "metadata": metadata,
        "tensors": {name: {"dtype": {"float32": "F32", "float64": "F64"}[str(t.dtype)], "shape": list(t.shape),
                           "values": [float(x) for x in t.reshape(-1)]} for name, t in tensors.items()},
    }
    (FIXTURES / "python-written.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes) and python-written.json")


def check_md_written():
    path = FIXTURES / "md-written.safetensors"
    expected = json.loads((FIXTURES / "md-written.json").read_text())
    failures = 0
    loaded = load_file(str(path))
    with safe_open(str(path), framework="numpy") as f:
        metadata = f.metadata()
        keys = set(f.keys())
    if metadata != expected["metadata"]:
        print(f"FAIL metadata: {metadata!r} != {expected['metadata']!r}")
        failures += 1
    if keys != set(expected["tensors"]):
        print(f"FAIL tensor names: {sorted(keys)} != {sorted(expected['tensors'])}")
        failures += 1
    for name, want in expected["tensors"].items():
        got = loaded.get(name)
        dtype = {"F32": np.float32, "F64": np.float64}[want["dtype"]]
        ok = (got is not None and got.dtype == dtype and list(got.shape) == want["shape"]
              and np.array_equal(got.reshape(-1), np.array(want["values"], dtype=dtype)))
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {want['dtype']} {want['shape']}")
        failures += 0 if ok else 1
    return failures


if __name__ == "__main__":
    if "--write-fixture" in sys.argv:
        write_fixture()
    failures = check_md_written()
    print("md-written.safetensors read by Python safetensors:", "OK" if failures == 0 else f"{failures} failure(s)")
    sys.exit(1 if failures else 0)
