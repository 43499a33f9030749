"""The reference the serving bench compares mloop with: a typical FastAPI + uvicorn + onnxruntime service.

It serves the same model.onnx with the same encoding (raw numerics with the training mean for a
missing value, one-hot categories, booleans as 0/1) and answers POST /score/<model> with the same
{"instances": [...]} -> {"predictions": [{"score", "label"}]}. Run by bench/serve.ts with
`uvicorn serve_reference:app --workers 2`; MODEL_DIR names the version folder.
"""
import json
import os
from typing import Any, Dict, List, Optional, Union

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

MODEL_DIR = os.environ["MODEL_DIR"]
with open(os.path.join(MODEL_DIR, "manifest.json")) as f:
    MANIFEST = json.load(f)
FEATURES = MANIFEST["features"]
WIDTH = MANIFEST["input"]["width"]
THRESHOLD = MANIFEST["threshold"]
options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
SESSION = ort.InferenceSession(os.path.join(MODEL_DIR, "model.onnx"), options, providers=["CPUExecutionProvider"])
INPUT = MANIFEST["input"]["name"]
OUTPUT = MANIFEST["output"]["name"]

OFFSETS = []
_at = 0
for spec in FEATURES:
    OFFSETS.append(_at)
    _at += len(spec["categories"]) if spec["kind"] == "categorical" else 1
CATEGORY_INDEX = [{c: j for j, c in enumerate(spec.get("categories", []))} for spec in FEATURES]

app = FastAPI()


class Instances(BaseModel):
    instances: List[Dict[str, Optional[Union[float, str, bool]]]]


def encode(instances: List[Dict[str, Any]]) -> np.ndarray:
    x = np.zeros((len(instances), WIDTH), dtype=np.float32)
    for i, row in enumerate(instances):
        for f, spec in enumerate(FEATURES):
            value = row.get(spec["name"])
            at = OFFSETS[f]
            if spec["kind"] == "numeric":
                x[i, at] = spec["fill"] if value is None else float(value)
            elif spec["kind"] == "boolean":
                x[i, at] = 1.0 if value in (True, 1, "true") else 0.0
            else:
                j = CATEGORY_INDEX[f].get(value) if isinstance(value, str) else None
                if j is not None:
                    x[i, at + j] = 1.0
    return x


@app.post("/score/{model}")
def score(model: str, body: Instances):
    if not body.instances:
        raise HTTPException(status_code=400, detail="instances: expected at least one instance")
    scores = SESSION.run([OUTPUT], {INPUT: encode(body.instances)})[0].reshape(-1)
    return {"model": model, "predictions": [{"score": float(s), "label": int(s >= THRESHOLD)} for s in scores]}
