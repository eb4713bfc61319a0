"""A refinement dataset manifest (format "md-refinement-dataset 1") for the refinement scripts."""
import json, os, sys

DEFAULT_MD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "md")

def load(data):
    """(folder the manifest's paths are relative to, manifest) for DATA, a dataset.json or its folder; exits naming the file otherwise."""
    manifest = data if data.endswith(".json") else os.path.join(data, "dataset.json")
    dataset = json.load(open(manifest))
    if dataset.get("format") != "md-refinement-dataset 1":
        sys.exit(f"{manifest}: not a refinement dataset (format \"md-refinement-dataset 1\")")
    return os.path.dirname(manifest), dataset
