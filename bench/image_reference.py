"""Keras reference for `npm run bench:image`: the network mloop's cnn family builds for the same
parameters, trained on the very split bench/image.ts wrote (float32 NHWC images, int32 labels), same
epochs, batch size and optimiser. As mloop's trainer: He-uniform convolutions without bias, batch norm
with momentum 0.9 and epsilon 1e-3, the head (global average pooling or flatten), dropout, a softmax
layer; the validation loss is computed each epoch and the best epoch's weights are kept. Writes the test
split's probabilities beside the data (bench/image.ts scores them with mloop's metrics) and prints one
JSON object: seconds, cpu_seconds, peak_rss_mb, threads, best_epoch.

Usage: image_reference.py <dir> <size> <classes> <epochs> <params as JSON: filters, head, dropout,
batch_size, learning_rate, seed>
"""
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


class KeepBest(tf.keras.callbacks.Callback):
    """The weights of the epoch with the lowest validation loss, restored at the end, as mloop keeps them."""

    def __init__(self):
        super().__init__()
        self.best, self.epoch, self.weights = float("inf"), 0, None

    def on_epoch_end(self, epoch, logs=None):
        if logs["val_loss"] < self.best:
            self.best, self.epoch, self.weights = logs["val_loss"], epoch + 1, self.model.get_weights()

    def on_train_end(self, logs=None):
        self.model.set_weights(self.weights)


def main():
    folder, size, classes, epochs, params = sys.argv[1:6]
    size, classes, epochs, p = int(size), int(classes), int(epochs), json.loads(params)
    read = lambda name, dtype: np.fromfile(f"{folder}/{name}", dtype=dtype)  # noqa: E731
    x, y = read("train_x.f32", np.float32).reshape(-1, size, size, 1), read("train_y.i32", np.int32)
    xv, yv = read("validation_x.f32", np.float32).reshape(-1, size, size, 1), read("validation_y.i32", np.int32)
    xt = read("test_x.f32", np.float32).reshape(-1, size, size, 1)
    tf.keras.utils.set_random_seed(p["seed"])
    L = tf.keras.layers
    layers = [L.Input((size, size, 1))]
    for filters in p["filters"]:
        layers += [
            L.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer="he_uniform"),
            L.BatchNormalization(momentum=0.9, epsilon=1e-3),
            L.ReLU(),
            L.MaxPooling2D(2),
        ]
    layers.append(L.GlobalAveragePooling2D() if p["head"] == "gap" else L.Flatten())
    if p["dropout"] > 0:
        layers.append(L.Dropout(p["dropout"]))
    layers.append(L.Dense(classes, activation="softmax"))
    model = tf.keras.Sequential(layers)
    model.compile(optimizer=tf.keras.optimizers.Adam(p["learning_rate"]), loss="sparse_categorical_crossentropy")
    best = KeepBest()
    started = time.perf_counter()
    cpu_started = time.process_time()
    model.fit(x, y, epochs=epochs, batch_size=p["batch_size"], shuffle=True, validation_data=(xv, yv), callbacks=[best], verbose=0)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    model.predict(xt, batch_size=256, verbose=0).astype(np.float32).tofile(f"{folder}/keras_probabilities.f32")
    print(json.dumps({
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "threads": tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count(),
        "best_epoch": best.epoch,
        "tensorflow": tf.__version__,
    }))


main()
