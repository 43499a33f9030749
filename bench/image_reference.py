"""Keras reference for `npm run bench:image`: the same small CNN as mloop's TF.js run, trained on the very
split bench/image.ts wrote (float32 NHWC images, int32 labels), same epochs, batch size and optimiser.
Writes the test split's probabilities beside the data (bench/image.ts scores them with mloop's metrics)
and prints one JSON object: seconds, cpu_seconds, peak_rss_mb, threads.

Usage: image_reference.py <dir> <size> <classes> <epochs> <batch_size> <learning_rate> <seed>
"""
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def main():
    folder, size, classes, epochs, batch, lr, seed = sys.argv[1:8]
    size, classes, epochs, batch, lr, seed = int(size), int(classes), int(epochs), int(batch), float(lr), int(seed)
    x = np.fromfile(f"{folder}/train_x.f32", dtype=np.float32).reshape(-1, size, size, 1)
    y = np.fromfile(f"{folder}/train_y.i32", dtype=np.int32)
    xt = np.fromfile(f"{folder}/test_x.f32", dtype=np.float32).reshape(-1, size, size, 1)
    tf.keras.utils.set_random_seed(seed)
    L = tf.keras.layers
    model = tf.keras.Sequential([
        L.Input((size, size, 1)),
        L.Conv2D(32, 3, padding="same", use_bias=False), L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(2),
        L.Conv2D(64, 3, padding="same", use_bias=False), L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(2),
        L.GlobalAveragePooling2D(), L.Dense(classes, activation="softmax"),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy")
    started = time.perf_counter()
    cpu_started = time.process_time()
    model.fit(x, y, epochs=epochs, batch_size=batch, shuffle=True, verbose=0)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    model.predict(xt, batch_size=256, verbose=0).astype(np.float32).tofile(f"{folder}/keras_probabilities.f32")
    print(json.dumps({
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "threads": tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count(),
        "tensorflow": tf.__version__,
    }))


main()
