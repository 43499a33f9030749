"""shap's TreeExplainer on mloop's trees given as arrays: reads {outputs, base, trees, X} as JSON on
stdin, prints {"expected": [per output], "phi": [per output: rows x columns]} as JSON."""
import json
import sys

import numpy as np
import shap


def as_shap_tree(t):
    m = len(t["feature"])
    leaves = len(t["value"])
    size = m + leaves
    index = lambda c: c if c >= 0 else m + ~c
    left = np.full(size, -1, dtype=np.int32)
    right = np.full(size, -1, dtype=np.int32)
    default = np.full(size, -1, dtype=np.int32)
    features = np.full(size, -2, dtype=np.int32)
    thresholds = np.zeros(size)
    values = np.zeros((size, 1))
    weights = np.zeros(size)
    for k in range(m):
        left[k] = index(t["left"][k])
        right[k] = index(t["right"][k])
        default[k] = left[k] if t["default_left"][k] else right[k]
        features[k] = t["feature"][k]
        thresholds[k] = t["threshold"][k]
        weights[k] = t["cover"][k]
    for l in range(leaves):
        values[m + l, 0] = t["value"][l]
        weights[m + l] = t["leaf_cover"][l]
    return {"children_left": left, "children_right": right, "children_default": default, "features": features,
            "thresholds": thresholds, "values": values, "node_sample_weight": weights}


def main():
    given = json.load(sys.stdin)
    X = np.array(given["X"], dtype=np.float64)
    expected, phi = [], []
    for k in range(given["outputs"]):
        trees = [as_shap_tree(t) for t in given["trees"] if t["output"] == k]
        model = {"trees": trees, "base_offset": given["base"][k], "tree_output": "raw_value", "objective": "squared_error",
                 "input_dtype": np.float64, "internal_dtype": np.float64}
        explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent", model_output="raw")
        values = explainer.shap_values(X, check_additivity=False)
        expected.append(float(np.ravel(explainer.expected_value)[0]))
        phi.append(np.asarray(values).reshape(len(X), -1).tolist())
    json.dump({"expected": expected, "phi": phi}, sys.stdout)


main()
