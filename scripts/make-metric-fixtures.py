#!/usr/bin/python3
"""Writes test/fixtures/metrics/*.json: fixed input vectors and scikit-learn's values for them.

Run once with Debian's python (apt-get install python3-sklearn): /usr/bin/python3 scripts/make-metric-fixtures.py
The fixtures are committed; CI compares mlship's metrics to them without needing scikit-learn.
"""
import json
import os

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.calibration import calibration_curve

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "metrics")
rng = np.random.default_rng(20260101)


def floats(a):
    return [float(x) for x in a]


def binary_case(name, y, p, threshold=0.5):
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    fpr, tpr, roc_thr = metrics.roc_curve(y, p, drop_intermediate=False)
    prec, rec, pr_thr = metrics.precision_recall_curve(y, p)
    pred = (p >= threshold).astype(np.int64)
    tn, fp, fn, tp = metrics.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    return {
        "name": name,
        "labels": [int(v) for v in y],
        "scores": floats(p),
        "threshold": threshold,
        "expected": {
            "auc": float(metrics.roc_auc_score(y, p)),
            "pr_auc": float(metrics.average_precision_score(y, p)),
            "log_loss": float(metrics.log_loss(y, p, labels=[0, 1])),
            "brier": float(metrics.brier_score_loss(y, p)),
            "accuracy": float(metrics.accuracy_score(y, pred)),
            "precision": float(metrics.precision_score(y, pred, zero_division=0)),
            "recall": float(metrics.recall_score(y, pred, zero_division=0)),
            "f1": float(metrics.f1_score(y, pred, zero_division=0)),
            "confusion": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
            "roc": {"fpr": floats(fpr), "tpr": floats(tpr), "thresholds": [None if np.isinf(t) else float(t) for t in roc_thr]},
            "pr": {"precision": floats(prec), "recall": floats(rec), "thresholds": floats(pr_thr)},
            "calibration": {"fraction_positive": floats(prob_true), "mean_predicted": floats(prob_pred)},
        },
    }


def binary_cases():
    cases = []
    # Continuous scores loosely related to the label: no ties.
    n = 300
    y = rng.binomial(1, 0.3, n)
    p = 1 / (1 + np.exp(-(rng.normal(0, 1, n) + 1.2 * y - 0.8)))
    cases.append(binary_case("continuous", y, p))
    # Scores rounded to one decimal: many ties, including on calibration bin edges.
    y2 = rng.binomial(1, 0.4, 200)
    p2 = np.round(np.clip(rng.normal(0.35 + 0.25 * y2, 0.2), 0, 1), 1)
    cases.append(binary_case("ties", y2, p2))
    # Confident mistakes at exactly 0 and 1 (log-loss clipping) and another threshold.
    y3 = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
    p3 = [0.0, 1.0, 0.0, 1.0, 0.2, 0.8, 0.5, 0.5, 0.65, 0.3]
    cases.append(binary_case("extremes", y3, p3, threshold=0.6))
    # Rare positives, every score tied with another.
    y4 = [0] * 17 + [1] * 3
    p4 = [0.1, 0.2, 0.3, 0.4] * 4 + [0.9, 0.2, 0.4, 0.9]
    cases.append(binary_case("rare", y4, p4))
    return cases


def multiclass_case(name, y, proba):
    y = np.asarray(y, dtype=np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    k = proba.shape[1]
    pred = proba.argmax(axis=1)
    labels = list(range(k))
    p, r, f, s = metrics.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    return {
        "name": name,
        "classes": k,
        "labels": [int(v) for v in y],
        "probabilities": floats(proba.ravel()),
        "expected": {
            "accuracy": float(metrics.accuracy_score(y, pred)),
            "macro_f1": float(metrics.f1_score(y, pred, average="macro", zero_division=0)),
            "weighted_f1": float(metrics.f1_score(y, pred, average="weighted", zero_division=0)),
            "log_loss": float(metrics.log_loss(y, proba, labels=labels)),
            "per_class": [
                {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                for i in range(k)
            ],
        },
    }


def multiclass_cases():
    n, k = 240, 4
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 1.0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    # A class (3) that is never predicted: its precision is 0/0.
    y2 = np.array([0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 3, 0])
    proba2 = np.array([[0.7, 0.1, 0.1, 0.1], [0.2, 0.5, 0.2, 0.1], [0.1, 0.3, 0.5, 0.1], [0.3, 0.3, 0.3, 0.1],
                       [0.4, 0.4, 0.1, 0.1], [0.6, 0.2, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1], [0.0, 1.0, 0.0, 0.0],
                       [0.25, 0.5, 0.25, 0.0], [0.2, 0.2, 0.5, 0.1], [0.1, 0.1, 0.6, 0.2], [0.9, 0.05, 0.05, 0.0]])
    return [multiclass_case("random", y, proba), multiclass_case("never_predicted", y2, proba2)]


def regression_cases():
    x = rng.normal(10, 3, 150)
    y = 2 * x + rng.normal(0, 2, 150)
    pred = 2.1 * x - 0.5
    out = []
    for name, a, b in [("linear", y, pred), ("constant_target", np.full(5, 3.0), np.array([3.0, 2.5, 3.5, 3.0, 4.0]))]:
        out.append({
            "name": name,
            "actual": floats(a),
            "predicted": floats(b),
            "expected": {
                "rmse": float(np.sqrt(metrics.mean_squared_error(a, b))),
                "mae": float(metrics.mean_absolute_error(a, b)),
                "r2": float(metrics.r2_score(a, b)),
            },
        })
    return out


def write(name, cases):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump({"generator": "scripts/make-metric-fixtures.py", "sklearn": sklearn.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path))


os.makedirs(OUT, exist_ok=True)
write("binary.json", binary_cases())
write("multiclass.json", multiclass_cases())
write("regression.json", regression_cases())
