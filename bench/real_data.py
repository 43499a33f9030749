"""Real datasets and scikit-learn anchors for `npm run bench:real`.

  real_data.py export <dir>                       the modeldata datasets as CSV files, and datasets.json
  real_data.py fit <split dir> <task> <width> <reference> [seed] [given JSON]
                                                  one anchor trained on the split mloop prepared, seeded
                                                  with seed (default 0); a `_same` reference takes the
                                                  parameters mloop's model chose (given); prints JSON
  real_data.py score <split dir> <task> <width> <file.f32>
                                                  test metrics of predictions mloop made; prints JSON

The datasets come from R's modeldata package as Debian installs it (r-cran-modeldata): a lazy-load
database (Rdata.rdx, an index in gzip'd RDS; Rdata.rdb, each object an LZMA2 stream behind a 5-byte
header), read with the `rdata` package, without R. Both sides are scored by the same functions here.
"""
import gzip
import json
import lzma
import os
import sys
import time
import warnings

import numpy as np

MODELDATA = os.environ.get("MLOOP_MODELDATA", "/usr/lib/R/site-library/modeldata/data/Rdata")

# name, target, task, positive class (binary), columns left out (identifiers)
DATASETS = [
    {"name": "concrete", "target": "compressive_strength", "task": "regression"},
    {"name": "ames", "target": "Sale_Price", "task": "regression"},
    {"name": "attrition", "target": "Attrition", "task": "binary", "positive_class": "Yes"},
    {"name": "credit_data", "target": "Status", "task": "binary", "positive_class": "bad"},
    {"name": "hpc_data", "target": "class", "task": "multiclass"},
]


def modeldata(name):
    import rdata

    warnings.simplefilter("ignore")
    index = rdata.conversion.convert(rdata.parser.parse_data(gzip.decompress(open(MODELDATA + ".rdx", "rb").read())))
    offset, length = (int(x) for x in index["variables"][name])
    with open(MODELDATA + ".rdb", "rb") as f:
        f.seek(offset)
        chunk = f.read(length)
    if chunk[4:5] != b"Z":
        raise ValueError(f"{name}: compression {chunk[4:5]!r}, expected Z (xz)")
    raw = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}])
    return rdata.conversion.convert(rdata.parser.parse_data(raw.decompress(chunk[5:])))


def export(folder):
    os.makedirs(folder, exist_ok=True)
    written = []
    for spec in DATASETS:
        frame = modeldata(spec["name"])
        frame.columns = [str(c) for c in frame.columns]
        path = os.path.join(folder, spec["name"] + ".csv")
        frame.to_csv(path, index=False)
        written.append({**spec, "file": path, "rows": len(frame), "columns": len(frame.columns)})
    with open(os.path.join(folder, "datasets.json"), "w") as f:
        json.dump(written, f)
    print(json.dumps(written))


def load(folder, name, width):
    X = np.fromfile(f"{folder}/{name}_X.f32", dtype=np.float32).reshape(-1, width).astype(np.float64)
    y = np.fromfile(f"{folder}/{name}_y.f32", dtype=np.float32).astype(np.float64)
    return X, y


def metrics(task, y, predicted, classes):
    from sklearn.metrics import accuracy_score, average_precision_score, mean_squared_error, r2_score, roc_auc_score

    if task == "regression":
        return {"rmse": float(np.sqrt(mean_squared_error(y, predicted))), "r2": float(r2_score(y, predicted))}
    if task == "binary":
        return {"auc": float(roc_auc_score(y, predicted)), "pr_auc": float(average_precision_score(y, predicted))}
    p = predicted.reshape(-1, classes)
    p = p / p.sum(axis=1, keepdims=True)
    return {
        "macro_auc": float(roc_auc_score(y, p, multi_class="ovr", average="macro", labels=list(range(classes)))),
        "accuracy": float(accuracy_score(y, p.argmax(axis=1))),
    }


def scaled(model):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), model)


def calibrated_svc(random_state=0):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    return CalibratedClassifierCV(scaled(LinearSVC(random_state=random_state)), cv=5)


def same_linear(task, given):
    """mloop's linear model in scikit-learn's spelling: mean loss + alpha · penalty is Ridge(n · alpha),
    ElasticNet(alpha, l1_ratio) (Lasso at l1_ratio 1) and LogisticRegression(C = 1 / (n · alpha))."""
    from sklearn import linear_model

    penalty, alpha, n = given["penalty"], float(given["alpha"]), int(given["n"])
    ratio = {"l2": 0.0, "l1": 1.0, "elasticnet": float(given["l1_ratio"]), "none": 0.0}[penalty]
    fit = {"max_iter": max(int(given["max_iter"]), 5000), "tol": float(given["tol"])}
    if task == "regression":
        if penalty == "none" or alpha == 0:
            return scaled(linear_model.LinearRegression())
        if ratio == 0:
            return scaled(linear_model.Ridge(alpha=n * alpha))
        return scaled(linear_model.ElasticNet(alpha=alpha, l1_ratio=ratio, **fit))
    if penalty == "none" or alpha == 0:
        return scaled(linear_model.LogisticRegression(penalty=None, **fit))
    C = 1.0 / (n * alpha)
    if ratio == 0:
        return scaled(linear_model.LogisticRegression(C=C, **fit))
    return scaled(linear_model.LogisticRegression(penalty="elasticnet", solver="saga", l1_ratio=ratio, C=C, **fit))


def anchor(reference, task, random_state=0, given=None):
    """The scikit-learn (or LightGBM) model of that name, with its library's defaults, or (a `_same`
    reference) with the parameters mloop's model chose."""
    import lightgbm as lgb
    from sklearn import ensemble, linear_model, neighbors, neural_network, svm

    classify = task != "regression"
    seed = {"random_state": random_state}
    given = given or {}
    models = {
        "lightgbm": lambda: (lgb.LGBMClassifier if classify else lgb.LGBMRegressor)(verbose=-1, random_state=0, n_jobs=1),
        "hist_gradient_boosting": lambda: (ensemble.HistGradientBoostingClassifier if classify else ensemble.HistGradientBoostingRegressor)(**seed),
        "random_forest": lambda: (ensemble.RandomForestClassifier if classify else ensemble.RandomForestRegressor)(n_jobs=1, **seed),
        "extra_trees": lambda: (ensemble.ExtraTreesClassifier if classify else ensemble.ExtraTreesRegressor)(n_jobs=1, **seed),
        "logistic_regression": lambda: scaled(linear_model.LogisticRegression(max_iter=5000)),
        "ridge": lambda: scaled(linear_model.Ridge()),
        "lasso": lambda: scaled(linear_model.Lasso(max_iter=50_000)),
        "elastic_net": lambda: scaled(linear_model.ElasticNet(max_iter=50_000)),
        "linear_svc": lambda: calibrated_svc(random_state),
        "linear_svr": lambda: scaled(svm.LinearSVR(max_iter=50_000, **seed)),
        "kneighbors": lambda: scaled((neighbors.KNeighborsClassifier if classify else neighbors.KNeighborsRegressor)()),
        "kneighbors_same_k": lambda: scaled(
            (neighbors.KNeighborsClassifier if classify else neighbors.KNeighborsRegressor)(
                n_neighbors=int(given["n_neighbors"]), weights=given["weights"], metric=given["metric"]
            )
        ),
        "linear_same": lambda: same_linear(task, given),
        "logistic_regression_same": lambda: same_linear(task, given),
        "mlp": lambda: scaled((neural_network.MLPClassifier if classify else neural_network.MLPRegressor)(max_iter=1000, early_stopping=True, **seed)),
    }
    return models[reference]()


def fit(folder, task, width, reference, random_state=0, given=None):
    train, test = load(folder, "train", width), load(folder, "test", width)
    classes = int(json.load(open(f"{folder}/meta.json"))["classes"])
    model = anchor(reference, task, random_state, given)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(train[0], train[1] if task == "regression" else train[1].astype(int))
    seconds = time.perf_counter() - started
    if task == "regression":
        predicted = model.predict(test[0])
    elif task == "binary":
        predicted = model.predict_proba(test[0])[:, 1]
    else:
        predicted = model.predict_proba(test[0]).reshape(-1)
    print(json.dumps({"reference": reference, "seconds": seconds, **metrics(task, test[1], predicted, classes)}))


def score(folder, task, width, file):
    _, y = load(folder, "test", width)
    classes = int(json.load(open(f"{folder}/meta.json"))["classes"])
    predicted = np.fromfile(file, dtype=np.float32).astype(np.float64)
    print(json.dumps(metrics(task, y, predicted, classes)))


def main():
    mode = sys.argv[1]
    if mode == "export":
        export(sys.argv[2])
    elif mode == "fit":
        random_state = int(sys.argv[6]) if len(sys.argv) > 6 else 0
        given = json.loads(sys.argv[7]) if len(sys.argv) > 7 else None
        fit(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], random_state, given)
    elif mode == "score":
        score(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
