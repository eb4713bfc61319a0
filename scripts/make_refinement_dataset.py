#!/usr/bin/env python3
"""Build md's refinement dataset (format "md-refinement-dataset 1") from RNA-Puzzles.

Reads the standardized RNA-Puzzles solutions and candidates (index.csv with gzip-compressed PDB files,
as in ../shared/data/rna-puzzles; source and citation in its README), decompresses them into OUT and
writes OUT/dataset.json for `md train` and `md evaluate`.

Split by target in the order the solutions were determined (puzzle number), never by candidate:
train rp01-rp12, validation rp13-rp17, test rp18-rp24 (about 60/20/20 of the puzzle numbers; the
paper used 13/4/4 of its 21 FARFAR2-Puzzles targets). Same-family targets share a split (rp14
bound/free: validation; rp19/rp20: test). Byte-identical candidate files within a target are kept
once (RNA-Puzzles holds some under several names).

--last-training N moves the first puzzles after rp12 up to rpN into training (rp17: no validation
targets left, so `md train` trains for its --steps and writes the last parameters); the test targets
stay rp18-rp24. md's models are selected on the default split; this measures what more training
targets give.

Usage: scripts/make_refinement_dataset.py [--source ../shared/data/rna-puzzles] [--last-training 12] OUT
Python standard library only.
"""
import argparse, csv, gzip, hashlib, json, os, re, sys

def split_of(puzzle, last_training):
    number = int(re.match(r"rp(\d+)", puzzle).group(1))
    return "train" if number <= last_training else "validation" if number <= 17 else "test"

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--source", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "rna-puzzles"))
    parser.add_argument("--last-training", type=int, default=12, choices=range(12, 18), metavar="N",
                        help="last training puzzle number, 12 to 17 (default 12)")
    args = parser.parse_args()
    index = os.path.join(args.source, "index.csv")
    if not os.path.exists(index):
        sys.exit(f"{index}: not found (pass --source, the folder holding RNA-Puzzles' index.csv)")
    rows = list(csv.DictReader(open(index)))
    targets, duplicates = {}, 0
    seen = {}
    for row in rows:
        puzzle, relative = row["puzzle"], row["file"]
        data = gzip.open(os.path.join(args.source, puzzle, relative), "rb").read()
        name = relative[:-3] if relative.endswith(".gz") else relative
        target = targets.setdefault(puzzle, {"id": puzzle, "split": split_of(puzzle, args.last_training), "solution": None, "candidates": []})
        if row["role"] == "candidate":
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen.setdefault(puzzle, set()):
                duplicates += 1
                continue
            seen[puzzle].add(digest)
        path = os.path.join(puzzle, name)
        os.makedirs(os.path.join(args.out, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(args.out, path), "wb") as f:
            f.write(data)
        if row["role"] == "solution":
            target["solution"] = path
        else:
            target["candidates"].append(path)
    manifest = {"format": "md-refinement-dataset 1",
                "source": f"RNA-Puzzles standardized submissions ({os.path.abspath(args.source)}); split by puzzle number: train rp01-{args.last_training}"
                          + ("" if args.last_training == 17 else f", validation rp{args.last_training + 1}-17") + ", test rp18-24",
                "targets": sorted(targets.values(), key=lambda t: t["id"])}
    with open(os.path.join(args.out, "dataset.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    counts = {s: sum(len(t["candidates"]) for t in targets.values() if t["split"] == s) for s in ("train", "validation", "test")}
    print(f"{args.out}/dataset.json: {len(targets)} targets, candidates {counts} ({duplicates} byte-identical duplicates dropped)")

if __name__ == "__main__":
    main()
