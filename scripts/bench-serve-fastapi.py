"""BENCHMARK REFERENCE ONLY (not part of mlship): the usual Python serving stack, FastAPI + uvicorn +
a scikit-learn gradient-boosting model on the flights features, answering the same
`POST /predict {"instances": [...]}` bodies as mlship's service. scripts/bench-serve.ts starts it
with Debian's /usr/bin/python3 (python3-fastapi, python3-uvicorn, python3-sklearn).

usage: BENCH_TRAIN_CSV=rows.csv /usr/bin/python3 scripts/bench-serve-fastapi.py PORT [WORKERS]
"""
import os
import pickle
import sys

import pandas as pd
from fastapi import FastAPI, Request
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

CATEGORICAL = ["origin", "destination"]
NUMERIC = ["distance", "dep_hour", "day_of_week"]
FEATURES = CATEGORICAL + NUMERIC


def train(csv_path):
    frame = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    encode = ColumnTransformer(
        [
            (
                "categories",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                CATEGORICAL,
            ),
            ("numbers", "passthrough", NUMERIC),
        ]
    )
    model = HistGradientBoostingClassifier(
        max_iter=200, max_depth=8, learning_rate=0.1, categorical_features=[0, 1], random_state=42
    )
    pipeline = Pipeline([("encode", encode), ("model", model)])
    pipeline.fit(frame[FEATURES], frame["delayed"].astype(int))
    return pipeline


# The launcher trains once and pickles the pipeline; each uvicorn worker imports this module and loads it.
MODEL_PATH = os.environ["BENCH_TRAIN_CSV"] + ".pkl"
if __name__ == "__main__":
    PIPELINE = None
else:
    with open(MODEL_PATH, "rb") as f:
        PIPELINE = pickle.load(f)
app = FastAPI()


@app.get("/health")
def health():
    return {"ready": True}


@app.post("/predict")
async def predict(request: Request):
    body = await request.json()
    frame = pd.DataFrame.from_records(body["instances"], columns=FEATURES)
    probabilities = PIPELINE.predict_proba(frame)
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
