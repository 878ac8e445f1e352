"""Experiment configuration: YAML files with an optional per-user override."""
import os
from pathlib import Path

import yaml

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULTS = {
    "seed": 0,
    "epochs": 10,
    "batch_size": 64,
    "lr": 3e-4,
    "lr_schedule": "lambda epoch: 0.95 ** epoch",
    "output_dir": "runs",
}


class IncludeLoader(yaml.SafeLoader):
    """Safe loader that also understands `!include other.yaml`."""


def _include(loader, node):
    target = CONFIG_DIR / loader.construct_scalar(node)
    with open(target) as fh:
        return yaml.load(fh, Loader=IncludeLoader)


IncludeLoader.add_constructor("!include", _include)


def load_config(name: str) -> dict:
    cfg = dict(DEFAULTS)
    with open(CONFIG_DIR / f"{name}.yaml") as fh:
        cfg.update(yaml.load(fh, Loader=IncludeLoader) or {})

    # Personal overrides may use Python tags like !!python/name:torch.optim.AdamW,
    # which the safe loader rejects, so they are read with the unsafe loader.
    override = os.environ.get("EXPERIMENT_OVERRIDE")
    if override and Path(override).exists():
        with open(override) as fh:
            cfg.update(yaml.load(fh, Loader=yaml.UnsafeLoader) or {})
    return cfg


def load_sweep(path: str) -> list[dict]:
    with open(path) as fh:
        return list(yaml.load_all(fh))


def save_config(cfg: dict, path: str) -> None:
    with open(path, "w") as fh:
        yaml.safe_dump(cfg, fh, sort_keys=False)
