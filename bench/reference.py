"""Reference models for `npm run bench:train`: LightGBM, scikit-learn's MLP, LogisticRegression, LinearSVC,
its forests, KNeighbors and KMeans on the very split mloop trained on, read from the float32 matrices bench/train.ts wrote.
Prints one JSON object.

Usage: reference.py <lightgbm|sklearn_mlp|sklearn_logistic|sklearn_linearsvc|sklearn_rf|sklearn_et|sklearn_knn|sklearn_kmeans> <dir> <width> '<params as JSON>'
       reference.py linear_coefficients <dir> <width> '<[{"penalty", "alpha", "l1_ratio", "task"}, ...]>'
"""
import json
import resource
import sys
import time

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def load(folder, name, width):
    X = np.fromfile(f"{folder}/{name}_X.f32", dtype=np.float32).reshape(-1, width)
    y = np.fromfile(f"{folder}/{name}_y.f32", dtype=np.float32)
    return X, y


def lightgbm(train, valid, test, p):
    import lightgbm as lgb

    params = {
        "objective": "binary",
        "metric": "binary_logloss",
        "num_leaves": p["num_leaves"],
        "learning_rate": p["learning_rate"],
        "min_data_in_leaf": p["min_data_in_leaf"],
        "min_sum_hessian_in_leaf": p["min_sum_hessian_in_leaf"],
        "lambda_l2": p["lambda_l2"],
        "min_gain_to_split": p["min_gain_to_split"],
        "feature_fraction": p["feature_fraction"],
        "bagging_fraction": p["bagging_fraction"],
        "bagging_freq": p["bagging_freq"],
        "max_bin": p["max_bin"],
        "bin_construct_sample_cnt": p["bin_construct_sample_cnt"],
        "scale_pos_weight": p["scale_pos_weight"],
        "max_depth": p["max_depth"],
        "num_threads": p["num_threads"],
        "seed": p["seed"],
        "verbose": -1,
    }
    started = time.perf_counter()
    dtrain = lgb.Dataset(train[0], train[1])
    dvalid = lgb.Dataset(valid[0], valid[1], reference=dtrain)
    stopping = p["early_stopping_rounds"]
    evals = {}
    callbacks = [lgb.record_evaluation(evals)] + ([lgb.early_stopping(stopping, verbose=False)] if stopping > 0 else [])
    booster = lgb.train(params, dtrain, num_boost_round=p["num_iterations"], valid_sets=[dvalid], callbacks=callbacks)
    seconds = time.perf_counter() - started
    # as mloop does, with or without early stopping: keep the round of the lowest validation loss
    best = int(np.argmin(evals["valid_0"]["binary_logloss"])) + 1
    return seconds, booster.predict(test[0], num_iteration=best), {"iterations": booster.current_iteration(), "best_iteration": best}


def sklearn_mlp(train, valid, test, p):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    started, cpu_started = time.perf_counter(), time.process_time()
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=tuple(p["hidden_units"]),
            batch_size=p["batch_size"],
            learning_rate_init=p["learning_rate"],
            max_iter=p["epochs"],
            n_iter_no_change=p["patience"],
            random_state=p["seed"],
        ),
    )
    # money columns span orders of magnitude: the same signed log mloop's networks apply
    signed_log = lambda X: np.sign(X) * np.log1p(np.abs(X))
    model.fit(signed_log(train[0]), train[1])
    seconds = time.perf_counter() - started
    # every thread's CPU time: on a shared machine a steadier comparison than the wall clock
    cpu_seconds = time.process_time() - cpu_started
    epochs = model[-1].n_iter_
    return seconds, model.predict_proba(signed_log(test[0]))[:, 1], {"iterations": epochs, "cpu_seconds": cpu_seconds}


def sklearn_logistic(train, valid, test, p):
    """mloop's `linear` objective in scikit-learn's terms: C = 1 / (n · alpha), on standardised columns."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    started = time.perf_counter()
    scaler = StandardScaler().fit(train[0])
    C = 1.0 / (len(train[1]) * p["alpha"])
    # lbfgs for L2; liblinear for L1 (saga stopped at a 14 % higher objective on the demo data), its
    # intercept scaled up so that the penalty liblinear puts on it vanishes, as mloop puts none
    l1 = p["penalty"] == "l1"
    solver = "liblinear" if l1 else "lbfgs"
    extra = {"intercept_scaling": 100} if l1 else {}
    model = LogisticRegression(C=C, l1_ratio=1.0 if l1 else 0.0, solver=solver, tol=p["tol"], max_iter=p["max_iter"], **extra)
    model.fit(scaler.transform(train[0]), train[1])
    seconds = time.perf_counter() - started
    return seconds, model.predict_proba(scaler.transform(test[0]))[:, 1], {"iterations": int(np.max(model.n_iter_)), "backend": f"scikit-learn {solver}"}


def sklearn_linearsvc(train, valid, test, p):
    """LinearSVC on standardised columns, its margins calibrated by a Platt sigmoid on the validation split."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    started = time.perf_counter()
    scaler = StandardScaler().fit(train[0])
    svc = LinearSVC(C=p["C"], loss=p["loss"], tol=p["tol"], max_iter=p["max_iter"], dual="auto", random_state=p["seed"])
    svc.fit(scaler.transform(train[0]), train[1])
    calibrated = CalibratedClassifierCV(FrozenEstimator(svc), method="sigmoid").fit(scaler.transform(valid[0]), valid[1])
    seconds = time.perf_counter() - started
    return seconds, calibrated.predict_proba(scaler.transform(test[0]))[:, 1], {"iterations": int(np.max(svc.n_iter_)), "backend": "scikit-learn liblinear"}


def linear_coefficients(folder, width, fits):
    """Each fit's coefficients on the raw columns (coef / scale, intercept less Σ coef · mean / scale)."""
    from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
    from sklearn.preprocessing import StandardScaler

    answers = []
    for fit in fits:
        X, y = load(folder, fit["task"], width)
        X = X.astype(np.float64)
        scaler = StandardScaler().fit(X)
        Z = scaler.transform(X)
        n, alpha, tol = len(y), fit["alpha"], 1e-10
        if fit["task"] == "regression":
            model = {
                "none": lambda: LinearRegression(),
                "l2": lambda: Ridge(alpha=n * alpha, tol=tol),
                "l1": lambda: Lasso(alpha=alpha, tol=tol, max_iter=100_000),
                "elasticnet": lambda: ElasticNet(alpha=alpha, l1_ratio=fit["l1_ratio"], tol=tol, max_iter=100_000),
            }[fit["penalty"]]()
        else:
            l1 = {"l2": 0.0, "l1": 1.0, "elasticnet": fit["l1_ratio"]}[fit["penalty"]]
            solver = "lbfgs" if l1 == 0 else "saga"
            model = LogisticRegression(C=1.0 / (n * alpha), l1_ratio=l1, solver=solver, tol=1e-8, max_iter=100_000)
        model.fit(Z, y)
        coef = np.ravel(model.coef_) / scaler.scale_
        intercept = float(np.ravel([model.intercept_])[0] - np.sum(coef * scaler.mean_))
        answers.append({**fit, "coefficients": coef.tolist(), "intercept": intercept})
    return answers


def forest_params(p):
    """mloop's forest parameters under scikit-learn's names; "auto" is its classifier default, sqrt."""
    return {
        "n_estimators": p["n_estimators"],
        "max_features": "sqrt" if p["max_features"] == "auto" else p["max_features"],
        "min_samples_leaf": p["min_samples_leaf"],
        "max_depth": None if p["max_depth"] == -1 else p["max_depth"],
        "bootstrap": p["bootstrap"],
        "oob_score": p["bootstrap"],
        "n_jobs": p["n_jobs"],
        "random_state": p["seed"],
    }


def sklearn_forest(make):
    def train(train, valid, test, p):
        model = make(**forest_params(p))
        started = time.perf_counter()
        model.fit(train[0], train[1])
        seconds = time.perf_counter() - started
        leaves = sum(tree.get_n_leaves() for tree in model.estimators_)
        extra = {"iterations": p["n_estimators"], "leaves_per_tree": round(leaves / p["n_estimators"])}
        if p["bootstrap"]:
            extra["oob_score"] = model.oob_score_
        return seconds, model.predict_proba(test[0])[:, 1], extra

    return train


def sklearn_rf(train, valid, test, p):
    from sklearn.ensemble import RandomForestClassifier

    return sklearn_forest(RandomForestClassifier)(train, valid, test, p)


def sklearn_et(train, valid, test, p):
    from sklearn.ensemble import ExtraTreesClassifier

    return sklearn_forest(ExtraTreesClassifier)(train, valid, test, p)


def sklearn_knn(train, valid, test, p):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # train holds the rows mloop's knn stored; standardised on them, as knn does
    started = time.perf_counter()
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=p["k"], weights=p["weights"], p=2 if p["distance"] == "euclidean" else 1))
    model.fit(train[0], train[1])
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    scores = model.predict_proba(test[0])[:, 1]
    return seconds, scores, {"iterations": 1, "predict_seconds": time.perf_counter() - started}


def sklearn_kmeans(train, valid, test, p):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    started = time.perf_counter()
    Z = StandardScaler().fit_transform(train[0])
    model = KMeans(n_clusters=p["n_clusters"], init="k-means++", n_init=p["n_init"], max_iter=p["max_iter"], tol=p["tol"], random_state=p["seed"], algorithm="lloyd").fit(Z)
    seconds = time.perf_counter() - started
    # as kmeans reports it: inertia on the training rows, the silhouette of 2 000 of them
    silhouette = silhouette_score(Z, model.labels_, sample_size=min(2000, len(Z)), random_state=p["seed"])
    return seconds, None, {"iterations": int(model.n_iter_), "inertia": float(model.inertia_), "silhouette": float(silhouette)}


def main():
    kind, folder, width, params = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
    if kind == "linear_coefficients":
        print(json.dumps(linear_coefficients(folder, width, params)))
        return
    train, valid, test = (load(folder, name, width) for name in ("train", "validation", "test"))
    models = {"lightgbm": lightgbm, "sklearn_mlp": sklearn_mlp, "sklearn_logistic": sklearn_logistic, "sklearn_logistic_l1": sklearn_logistic, "sklearn_linearsvc": sklearn_linearsvc, "sklearn_rf": sklearn_rf, "sklearn_et": sklearn_et, "sklearn_knn": sklearn_knn, "sklearn_kmeans": sklearn_kmeans}
    seconds, scores, extra = models[kind](train, valid, test, params)
    # a clustering answers no score
    quality = {} if scores is None else {"auc": roc_auc_score(test[1], scores), "pr_auc": average_precision_score(test[1], scores)}
    print(
        json.dumps(
            {
                "seconds": seconds,
                **quality,
                # Linux reports kilobytes
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                **extra,
            }
        )
    )


if __name__ == "__main__":
    main()
