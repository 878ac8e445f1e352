"""HTTP API for the product classifier and the tabular churn model.

    uvicorn serve:app --port 8000
"""
import base64
import importlib
import io
import logging
import os
import pickle
from pathlib import Path

import joblib
import numpy as np
import torch
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel
from torchvision import models

log = logging.getLogger("serve")
ARTIFACTS = Path(os.environ.get("ARTIFACTS", "artifacts"))

app = FastAPI(title="demo-models")

churn_model = joblib.load(ARTIFACTS / "churn_model.joblib")

image_model = models.resnet18(num_classes=12)
image_model.load_state_dict(torch.load(ARTIFACTS / "resnet18.pt", map_location="cpu", weights_only=True))
image_model.eval()


class Customer(BaseModel):
    features: list[float]


class Batch(BaseModel):
    # base64 of a pickled numpy array, kept for the old Java client
    payload: str


@app.get("/health")
def health():
    return {"ok": True}


@app.post("/churn")
def churn(customer: Customer):
    x = np.asarray(customer.features, dtype=np.float32)[None, :]
    return {"churn_probability": float(churn_model.predict_proba(x)[0, 1])}


@app.post("/churn/batch")
def churn_batch(batch: Batch):
    rows = pickle.loads(base64.b64decode(batch.payload))
    return {"churn_probability": churn_model.predict_proba(np.asarray(rows))[:, 1].tolist()}


@app.post("/churn/npy")
async def churn_npy(request: Request):
    rows = np.load(io.BytesIO(await request.body()))
    return {"churn_probability": churn_model.predict_proba(rows)[:, 1].tolist()}


@app.post("/image")
async def classify(request: Request):
    tensor = torch.frombuffer(bytearray(await request.body()), dtype=torch.float32).reshape(1, 3, 224, 224)
    with torch.no_grad():
        logits = image_model(tensor)
    return {"class": int(logits.argmax(1))}


@app.post("/postprocess/{name}")
def postprocess(name: str, customer: Customer):
    try:
        plugin = importlib.import_module(f"plugins.{name}")
    except ModuleNotFoundError:
        raise HTTPException(status_code=404, detail=f"no plugin {name}")
    return plugin.apply(customer.features)
