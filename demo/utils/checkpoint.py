"""Saving and restoring training state."""
import logging
import os
from pathlib import Path

import dill
import torch
from safetensors.torch import load_file, save_file

log = logging.getLogger(__name__)


def save_weights(model: torch.nn.Module, path: str) -> None:
    save_file(model.state_dict(), path)


def load_weights(model: torch.nn.Module, path: str, device: str = "cpu") -> torch.nn.Module:
    """Preferred: safetensors holds tensors only."""
    model.load_state_dict(load_file(path, device=device))
    return model


def save_checkpoint(path: str, model, optimizer, scheduler, epoch: int, extra: dict | None = None) -> None:
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "epoch": epoch,
            "extra": extra or {},
        },
        path,
    )


def load_checkpoint(path: str, model, optimizer=None, scheduler=None, device: str = "cpu") -> int:
    ckpt = torch.load(path, map_location=device)
    model.load_state_dict(ckpt["model"])
    if optimizer is not None:
        optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(ckpt["scheduler"])
    log.info("resumed from %s (epoch %d)", path, ckpt["epoch"])
    return ckpt["epoch"] + 1


def load_pretrained_backbone(model: torch.nn.Module, path: str) -> torch.nn.Module:
    state = torch.load(path, map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    log.info("backbone: %d missing keys, %d unexpected keys", len(missing), len(unexpected))
    return model


def load_community_checkpoint(path: str):
    """Checkpoints from the community hub sometimes hold custom classes."""
    return torch.load(path, map_location="cpu", weights_only=False)


def latest(run_dir: str) -> str | None:
    ckpts = sorted(Path(run_dir).glob("epoch_*.pt"), key=os.path.getmtime)
    return str(ckpts[-1]) if ckpts else None


def save_augmentation(pipeline, path: str) -> None:
    # augmentation pipelines contain lambdas, which plain pickle cannot handle
    with open(path, "wb") as fh:
        dill.dump(pipeline, fh)


def load_augmentation(path: str):
    with open(path, "rb") as fh:
        return dill.load(fh)
