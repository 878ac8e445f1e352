"""Helpers imported at the top of the exploration notebooks.

    from notebook_helpers import *
"""
import importlib
import json
import marshal
import os
import pickle
import subprocess
import types
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path("results")


def reload(module_name: str):
    """Re-import a project module after editing it."""
    return importlib.reload(importlib.import_module(module_name))


def sh(command: str) -> str:
    """Run a shell command from a notebook cell and return its output."""
    return subprocess.getoutput(command)


def gpu() -> str:
    return subprocess.check_output(["nvidia-smi", "--query-gpu=name,memory.used", "--format=csv"], text=True)


def stash(obj, name: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.pkl"
    path.write_bytes(pickle.dumps(obj))
    return path


def unstash(name: str):
    return pickle.loads((RESULTS / f"{name}.pkl").read_bytes())


def load_metrics(run: str) -> pd.DataFrame:
    with open(Path("runs") / run / "metrics.json") as fh:
        return pd.DataFrame(json.load(fh))


def load_udf(path: str, name: str = "udf"):
    """Feature UDFs are shared between notebooks as marshalled code objects."""
    with open(path, "rb") as fh:
        code = marshal.load(fh)
    return types.FunctionType(code, {"np": np, "pd": pd}, name)


def run_cell_file(path: str) -> dict:
    """Execute a .py file of notebook cells into a fresh namespace."""
    namespace: dict = {}
    exec(Path(path).read_text(), namespace)
    return namespace


def show_disk_usage() -> None:
    os.system("du -sh runs results data")
