"""Values as plain data: what ``skae.json`` holds, and how it is read back.

:class:`Encoder` turns parameters and fitted attributes into JSON-ready data,
moving NumPy arrays aside into ``arrays.npz``; values JSON cannot hold directly
(tuples, NumPy scalars, non-finite floats, Keras optimizers, network specs,
NumPy random states) become objects with one tag. :class:`Decoder` reverses it
and refuses any tag it does not know: nothing in the file names code to run.
"""

import dataclasses
import math

import numpy as np

from .._registry import SPECS
from .allowlist import check_config


class Encoder:
    """Turn a value into JSON-ready data, moving arrays aside."""

    def __init__(self):
        self.arrays = {}

    def __call__(self, value, where):
        import keras

        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int) and not isinstance(value, np.integer):
            return value
        if isinstance(value, float) and not isinstance(value, np.floating):
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, tuple):
            return {
                "__tuple__": [self(v, f"{where}[{i}]") for i, v in enumerate(value)]
            }
        if isinstance(value, list):
            return [self(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError(f"Cannot save {where}: its keys must be strings.")
            return {
                "__dict__": {k: self(v, f"{where}[{k!r}]") for k, v in value.items()}
            }
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return {"__scalar__": [value.dtype.str, self(value.item(), where)]}
        if isinstance(value, keras.optimizers.Optimizer):
            config = keras.optimizers.serialize(value)
            return {"__optimizer__": self(config, where)}
        if type(value).__name__ in SPECS and type(value) is SPECS[type(value).__name__]:
            fields = {
                field.name: self(getattr(value, field.name), f"{where}.{field.name}")
                for field in dataclasses.fields(value)
            }
            return {"__spec__": [type(value).__name__, fields]}
        if isinstance(value, np.random.RandomState):
            return {"__random_state__": self(value.get_state(legacy=False), where)}
        raise TypeError(
            f"Cannot save {where}: a {type(value).__name__} is not plain data. "
            "The safe format holds numbers, strings, lists, tuples, dicts, NumPy "
            "arrays, Keras optimizers and NumPy RandomState objects; use pickle "
            "or joblib for anything else."
        )

    def array(self, value, where):
        if value.dtype.kind == "O":
            if not all(isinstance(v, str) for v in value.flat):
                raise TypeError(f"Cannot save {where}: an object array of non-strings.")
            return {"__strings__": [value.shape, value.ravel().tolist()]}
        if value.dtype.kind not in "biufc":
            raise TypeError(f"Cannot save {where}: arrays of dtype {value.dtype}.")
        name = f"a{len(self.arrays)}"
        self.arrays[name] = value
        return {"__array__": name}


class Decoder:
    """The inverse of :class:`Encoder`; refuses any tag it does not know."""

    def __init__(self, arrays):
        self.arrays = arrays

    def __call__(self, value):
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            raise corrupt("an untagged object in skae.json")
        ((tag, body),) = value.items()
        if tag == "__tuple__" and isinstance(body, list):
            return tuple(self(v) for v in body)
        if tag == "__dict__" and isinstance(body, dict):
            return {k: self(v) for k, v in body.items()}
        if tag == "__float__" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "__array__" and body in self.arrays:
            return self.arrays[body]
        if tag == "__strings__":
            shape, values = body
            if not all(isinstance(v, str) for v in values):
                raise corrupt("a string array holding non-strings")
            array = np.empty(len(values), dtype=object)
            array[:] = values
            return array.reshape(shape)
        if tag == "__scalar__":
            dtype, item = body
            if np.dtype(dtype).kind not in "biuf":
                raise corrupt(f"a scalar of dtype {dtype!r}")
            return np.dtype(dtype).type(item)
        if tag == "__optimizer__":
            import keras

            config = self(body)
            check_config(config, None, where="the optimizer")
            return keras.optimizers.deserialize(config)
        if tag == "__spec__":
            name, fields = body
            if name not in SPECS or not isinstance(fields, dict):
                raise corrupt(f"an unknown network spec {name!r}")
            return SPECS[name](**{key: self(value) for key, value in fields.items()})
        if tag == "__random_state__":
            random_state = np.random.RandomState()
            random_state.set_state(self(body))
            return random_state
        raise corrupt(f"an unknown value tag {tag!r}")


def corrupt(what):
    return ValueError(f"Not a valid skae model file: it holds {what}.")
