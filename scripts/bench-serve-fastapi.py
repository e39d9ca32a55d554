"""BENCHMARK REFERENCE ONLY (not part of mlship): the usual Python serving stack, FastAPI + uvicorn +
a scikit-learn gradient-boosting model on the flights features, answering the same
`POST /predict {"instances": [...]}` bodies as mlship's service. scripts/bench-serve.ts starts it
with Debian's /usr/bin/python3 (python3-fastapi, python3-uvicorn, python3-sklearn), with OMP_NUM_THREADS=1 (OpenMP threads
spinning in every worker cost 50x in throughput here).

usage: BENCH_TRAIN_CSV=rows.csv /usr/bin/python3 scripts/bench-serve-fastapi.py PORT [WORKERS]
"""
import os
import pickle
import sys

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from sklearn.ensemble import HistGradientBoostingClassifier

CATEGORICAL = ["origin", "destination"]
NUMERIC = ["distance", "dep_hour", "day_of_week"]
FEATURES = CATEGORICAL + NUMERIC


def train(csv_path):
    """Codes categories with plain dicts (unknown or missing: NaN) and fits gradient boosting with
    native categorical support; serving then builds one numpy array per request, the fastest of
    the configurations tried (a pandas DataFrame + ColumnTransformer per request was 2-3x slower)."""
    frame = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    codes = {c: {v: i for i, v in enumerate(sorted(frame[c].dropna().unique()))} for c in CATEGORICAL}
    matrix = encode(codes, frame[FEATURES].to_dict("records"))
    model = HistGradientBoostingClassifier(
        max_iter=200, max_depth=8, learning_rate=0.1, categorical_features=[0, 1], random_state=42
    )
    model.fit(matrix, frame["delayed"].astype(int).to_numpy())
    return codes, model


def encode(codes, records):
    matrix = np.empty((len(records), len(FEATURES)), dtype=np.float64)
    for r, record in enumerate(records):
        for c, name in enumerate(CATEGORICAL):
            matrix[r, c] = codes[name].get(record.get(name), np.nan)
        for c, name in enumerate(NUMERIC, start=len(CATEGORICAL)):
            value = record.get(name)
            matrix[r, c] = np.nan if value is None or value == "" else value
    return matrix


# The launcher trains once and pickles the model; each uvicorn worker imports this module and loads it.
MODEL_PATH = os.environ["BENCH_TRAIN_CSV"] + ".pkl"
if __name__ == "__main__":
    CODES, MODEL = None, None
else:
    with open(MODEL_PATH, "rb") as f:
        CODES, MODEL = pickle.load(f)
app = FastAPI()


@app.get("/health")
def health():
    return {"ready": True}


@app.post("/predict")
async def predict(request: Request):
    body = await request.json()
    probabilities = MODEL.predict_proba(encode(CODES, body["instances"]))
    return {
        "predictions": [
            {"label": int(p[1] > 0.5), "score": float(p[1]), "probabilities": [float(p[0]), float(p[1])]}
            for p in probabilities
        ]
    }


if __name__ == "__main__":
    import uvicorn

    with open(MODEL_PATH, "wb") as f:
        pickle.dump(train(os.environ["BENCH_TRAIN_CSV"]), f)
    port = int(sys.argv[1])
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    uvicorn.run(
        "bench-serve-fastapi:app",
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        app_dir=os.path.dirname(os.path.abspath(__file__)),
    )
