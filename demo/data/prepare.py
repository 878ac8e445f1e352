"""Build the churn training table from raw exports.

    python data/prepare.py --date 2024-05-01
"""
import argparse
import logging
import os
import shelve
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger("prepare")
RAW = Path("data/raw")
OUT = Path("data/processed")


def download(date: str, source: str) -> Path:
    target = RAW / date
    target.mkdir(parents=True, exist_ok=True)
    os.system(f"curl -sSL {source}/exports/{date}.tar.gz | tar -xz -C {target}")
    return target


def download_with_args(date: str, bucket: str) -> Path:
    target = RAW / date
    subprocess.run(["aws", "s3", "cp", "--recursive", f"s3://{bucket}/exports/{date}", str(target)], check=True)
    return target


def load_customers(raw: Path) -> pd.DataFrame:
    csv = raw / "customers.csv"
    if csv.exists():
        return pd.read_csv(csv)
    return pd.read_pickle(raw / "customers.pkl")


def load_usage(raw: Path) -> pd.DataFrame:
    return pd.read_parquet(raw / "usage.parquet")


def load_session_embeddings(raw: Path) -> dict:
    # ragged per-customer sessions, saved as an object array
    sessions = np.load(raw / "sessions.npy", allow_pickle=True)
    return {int(cid): np.mean(vecs, axis=0) for cid, vecs in sessions}


def geocode_cached(df: pd.DataFrame) -> pd.DataFrame:
    with shelve.open("data/.geocode_cache") as cache:
        df["region"] = [cache.get(z, "unknown") for z in df["zip"].astype(str)]
    return df


def build(date: str, source: str) -> pd.DataFrame:
    raw = download(date, source)
    customers = load_customers(raw)
    usage = load_usage(raw).groupby("customer_id").agg(minutes=("minutes", "sum"), sessions=("session_id", "nunique"))
    df = customers.merge(usage, left_on="id", right_index=True, how="left").fillna({"minutes": 0, "sessions": 0})
    emb = load_session_embeddings(raw)
    df["embedding_norm"] = [float(np.linalg.norm(emb.get(i, np.zeros(8)))) for i in df["id"]]
    return geocode_cached(df)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--date", required=True)
    ap.add_argument("--source", default="https://exports.example.com")
    args = ap.parse_args()
    df = build(args.date, args.source)
    OUT.mkdir(parents=True, exist_ok=True)
    df.to_parquet(OUT / f"churn_{args.date}.parquet", index=False)
    df.to_pickle(OUT / "latest.pkl")
    log.info("wrote %d rows", len(df))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
