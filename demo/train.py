"""Train the product-image classifier.

    python train.py --config resnet18 [--resume runs/latest.pt]
"""
import argparse
import json
import logging
import subprocess
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, models, transforms

from configs.load_config import load_config, save_config
from utils.checkpoint import latest, load_checkpoint, load_pretrained_backbone, save_checkpoint

log = logging.getLogger("train")


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="resnet18")
    ap.add_argument("--resume", default=None)
    ap.add_argument("--backbone", default=None)
    ap.add_argument("--notify", default=None, help="command to run when training finishes")
    return ap.parse_args()


def git_commit() -> str:
    return subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()


def make_loaders(cfg):
    normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize])
    eval_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize])
    root = Path(cfg.get("data_root", "data/images"))
    train_ds = datasets.ImageFolder(root / "train", transform=train_tf)
    val_ds = datasets.ImageFolder(root / "val", transform=eval_tf)
    return (
        DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True, num_workers=4),
        DataLoader(val_ds, batch_size=cfg["batch_size"], num_workers=4),
        len(train_ds.classes),
    )


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1).cpu()
            correct += (pred == y).sum().item()
            total += y.numel()
    return correct / max(total, 1)


def main():
    args = get_args()
    cfg = load_config(args.config)
    torch.manual_seed(cfg["seed"])
    np.random.seed(cfg["seed"])
    device = "cuda" if torch.cuda.is_available() else "cpu"

    train_loader, val_loader, n_classes = make_loaders(cfg)
    model = models.resnet18(num_classes=n_classes)
    if args.backbone:
        load_pretrained_backbone(model, args.backbone)
    model.to(device)

    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
    # the schedule is written in the config as a lambda, e.g. "lambda epoch: 0.95 ** epoch"
    schedule = eval(cfg["lr_schedule"])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)

    run_dir = Path(cfg["output_dir"]) / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, str(run_dir / "config.yaml"))
    (run_dir / "meta.json").write_text(json.dumps({"commit": git_commit()}))

    start = 0
    resume_from = args.resume or latest(cfg["output_dir"])
    if resume_from:
        start = load_checkpoint(resume_from, model, optimizer, scheduler, device)

    for epoch in range(start, cfg["epochs"]):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        acc = evaluate(model, val_loader, device)
        log.info("epoch %d: val acc %.3f", epoch, acc)
        save_checkpoint(str(run_dir / f"epoch_{epoch:03d}.pt"), model, optimizer, scheduler, epoch)

    if args.notify:
        subprocess.run(f"{args.notify} 'training finished: {run_dir}'", shell=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
