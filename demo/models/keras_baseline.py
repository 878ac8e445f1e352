"""Keras text baseline kept for comparison with the PyTorch model."""
import keras
import numpy as np
from keras import layers


def build(vocab_size: int = 20000, maxlen: int = 200) -> keras.Model:
    inputs = keras.Input(shape=(maxlen,), dtype="int32")
    x = layers.Embedding(vocab_size, 128)(inputs)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Lambda(lambda t: t * 2.0)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def load_baseline(path: str = "artifacts/baseline.keras") -> keras.Model:
    # the Lambda layer above makes safe mode refuse this file
    return keras.models.load_model(path, safe_mode=False)


def load_reference(path: str = "artifacts/reference.keras") -> keras.Model:
    return keras.models.load_model(path)


def compare(x: np.ndarray, y: np.ndarray) -> dict:
    baseline = load_baseline()
    reference = load_reference()
    return {
        "baseline": baseline.evaluate(x, y, verbose=0),
        "reference": reference.evaluate(x, y, verbose=0),
    }
