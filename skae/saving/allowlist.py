"""What a model file's Keras configuration may name: exactly what skae writes.

The allowlist is derived, not written by hand: the networks of every example
spec the estimators register (``skae._registry.SPEC_EXAMPLES``: one per value of
each parameter that changes which Keras objects a network holds) are built,
untrained, by :func:`skae.networks.build.build_autoencoder`, the function every
fit builds with, and every object their serialized configurations name is
recorded, as ``(module, class_name, registered_name)`` with the configuration
keys it was seen with. Activations
and losses are settings written as names; the names allowed are those of
skae's own options. Optimizers are the classes of ``keras.optimizers`` (the
``optimizer`` parameter takes any of them), with their learning-rate
schedules.

:func:`check_config` walks a configuration before Keras reads any of it and
raises a ``ValueError`` naming the path of the first entry that is not allowed:
a class, module or registered name outside the list, a function-typed object,
a ``Lambda`` in any form, configuration keys the class never writes, or a
layer call whose keyword arguments are not tensors. Every route that rebuilds
a Keras model from bytes runs it (see :mod:`skae.saving.keras_bytes`).

Who trusts what:

* the model of one of skae's own estimator classes may hold exactly what skae
  writes, plus what the caller of :func:`skae.load` names in
  ``custom_objects``;
* the model of a user's subclass of ``BaseAutoencoder``, when it comes back
  through unpickling or skops (which were told to trust that class, and have
  no ``custom_objects``), may also hold Keras's own built-in modeling classes
  (``keras.layers.Add``...), the activation and loss names Keras knows, and
  the objects registered with ``keras.saving.register_keras_serializable`` in
  the loading process, as if they were passed in ``custom_objects``.

On every route code objects (``Lambda``, ``TFSMLayer``, function-typed entries
other than a function the caller named or registered), modules outside Keras
and skae, unknown registered names, skae's own classes with keys skae never
writes, and layer calls whose keyword arguments are not tensors are refused.
"""

import functools
import inspect
import json
import sys

import numpy as np

from .._options import ACTIVATION_NAMES, LOSSES
from .._registry import SPEC_EXAMPLES

# Objects that run code from the file however they are named: refused with
# their own message, whatever the allowlist says.
CODE_OBJECTS = frozenset(
    {"Lambda", "__lambda__", "function", "TorchModuleWrapper", "JaxLayer"}
)
CODE_OBJECTS |= {"FlaxLayer", "TFSMLayer"}
# The special entries Keras writes for values that are not objects: those in
# skae's models, and the plain data a user's functional model may hold besides
# (``x[:, :2]`` writes a slice, a constant a NumPy array).
KERAS_VALUES = frozenset({"__keras_tensor__", "__tuple__"})
DATA_VALUES = frozenset(
    {"__slice__", "__ellipsis__", "__numpy__", "__tensor__", "__bytes__"}
)
# Configuration keys that hold names of activations and losses.
NAMED_SETTINGS = ("activation", "recurrent_activation", "loss")


class Allowlist:
    """The objects, keys and names skae's models may hold.

    Parameters
    ----------
    objects : dict
        ``(module, class_name, registered_name)`` to the set of its
        configuration keys (``"config"``'s keys) seen, or None for any.
    top_keys : frozenset
        Keys an object entry itself may have.
    names : frozenset
        Activation and loss names.
    call_values : dict
        Keyword argument of a layer call to the JSON of the values other than
        tensors it was seen with (``training=False`` where sampling is off).
    """

    def __init__(self, objects, top_keys, names, call_values):
        self.objects = objects
        self.top_keys = top_keys
        self.names = names
        self.call_values = call_values


@functools.lru_cache(maxsize=1)
def skae_allowlist():
    """The :class:`Allowlist` of every registered estimator; built once."""
    import keras

    # Keras adds this key to an object it writes more than once (a dtype
    # policy all layers share), as a reference to the first; it loads no code.
    objects, top_keys, call_values = {}, {"shared_object_id"}, {}
    for config in _example_configs():
        _record(config, objects, top_keys, call_values)
    # The optimizer parameter takes any of Keras's optimizers, with a schedule.
    for module, base in (
        (keras.optimizers, keras.optimizers.Optimizer),
        (keras.optimizers.schedules, keras.optimizers.schedules.LearningRateSchedule),
    ):
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, base):
                objects[(module.__name__, name, None)] = None
    names = frozenset(_setting_names())
    return Allowlist(objects, frozenset(top_keys), names, call_values)


def check_config(config, custom_objects=None, where="config.json", *, user_model=False):
    """Raise a ``ValueError`` naming the first entry of ``config`` not allowed.

    ``custom_objects`` are the caller's own classes and functions, by name, as
    for ``keras.saving.load_model``: entries naming them are allowed as they
    are (the caller trusts them). With ``user_model`` (the model of a user's
    subclass, see the module doc) Keras's own built-in modeling classes and
    names, and the objects registered with Keras in this process, are allowed
    too; skae's own classes are still checked key by key.
    """
    allowlist = skae_allowlist()
    objects = dict(custom_objects or {})
    if user_model:
        objects = {**_registered_objects(allowlist), **objects}
    trusted = set(objects)
    for obj in objects.values():
        trusted.add(_registered_name(obj))
    trusted.discard(None)
    stack = [(config, where)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        if "class_name" in node:
            _check_object(node, path, allowlist, trusted, user_model)
        for key, value in node.items():
            if key in NAMED_SETTINGS and isinstance(value, str):
                allowed = value in allowlist.names or value in trusted
                if not allowed and not (user_model and _is_keras_name(key, value)):
                    _refuse(f"{path}.{key}", f"the {key} {value!r}")
            if key == "inbound_nodes":
                _check_calls(value, f"{path}.{key}", allowlist.call_values)
            stack.append((value, f"{path}.{key}"))


def _check_object(node, path, allowlist, trusted, user_model):
    class_name = node.get("class_name")
    module = node.get("module")
    registered = node.get("registered_name")
    function = node.get("config")
    if class_name == "function" and isinstance(function, str) and function in trusted:
        return  # a function the caller named or registered: their own code
    if class_name in CODE_OBJECTS or registered in CODE_OBJECTS:
        _refuse(
            path,
            f"a {class_name} entry ({module}.{node.get('config')!r}), which "
            "names Python code to run; skae files never hold code",
        )
    values = KERAS_VALUES | DATA_VALUES if user_model else KERAS_VALUES
    if class_name in values and module is None and registered is None:
        return
    if {class_name, registered} & trusted:
        return
    if user_model and _is_keras_builtin(module, class_name, registered):
        return
    triple = (module, class_name, registered)
    if triple not in allowlist.objects:
        _refuse(
            path,
            f"{module}.{class_name} (registered as {registered!r}), which skae's "
            "models never hold. A model of your own may name it if you pass "
            f"custom_objects={{{class_name!r}: ...}}",
        )
    extra = set(node) - allowlist.top_keys
    keys = allowlist.objects[triple]
    config = node.get("config")
    if keys is not None and isinstance(config, dict):
        extra |= {f"config.{key}" for key in set(config) - keys}
    if extra:
        _refuse(path, f"a {class_name} with keys skae never writes: {sorted(extra)}")


def _registered_objects(allowlist):
    """Keras's global registry of serializables, less skae's own layers.

    skae's layers are registered too; left out, they stay checked key by key.
    """
    import keras

    skae_names = {registered for _, _, registered in allowlist.objects}
    return {
        name: obj
        for name, obj in keras.saving.get_custom_objects().items()
        if name not in skae_names
    }


def _is_keras_builtin(module, class_name, registered):
    """Whether an entry names one of Keras's own modeling classes.

    A layer, an operation (``x[:, :2]`` in a functional model is a
    ``keras.src.ops.numpy.GetItem``), an initializer, regularizer,
    constraint, loss, metric, optimizer, schedule or dtype policy, looked up
    in the modules Keras has already imported (nothing is imported here), as
    Keras resolves it; never a function such as ``keras.utils.get_file``.
    """
    import keras

    if not isinstance(module, str) or not isinstance(class_name, str):
        return False
    if module != "keras" and not module.startswith("keras."):
        return False
    if registered not in (None, class_name):
        return False
    namespace = sys.modules.get(module)
    cls = None if namespace is None else vars(namespace).get(class_name)
    bases = (
        keras.Operation,
        keras.initializers.Initializer,
        keras.regularizers.Regularizer,
        keras.constraints.Constraint,
        keras.losses.Loss,
        keras.metrics.Metric,
        keras.optimizers.Optimizer,
        keras.optimizers.schedules.LearningRateSchedule,
        keras.DTypePolicy,
    )
    return inspect.isclass(cls) and issubclass(cls, bases)


def _is_keras_name(key, value):
    """Whether Keras itself knows the activation or loss named ``value``."""
    import keras

    get = keras.losses.get if key == "loss" else keras.activations.get
    try:
        get(value)
    except (ValueError, TypeError):
        return False
    return True


def _check_calls(nodes, path, call_values):
    """Layer calls pass tensors, None, or what skae's own calls pass, nothing else."""
    if not isinstance(nodes, list):
        return
    for i, call in enumerate(nodes):
        kwargs = call.get("kwargs", {}) if isinstance(call, dict) else {}
        if not isinstance(kwargs, dict):
            _refuse(f"{path}[{i}].kwargs", "keyword arguments that are not a mapping")
        for name, value in kwargs.items():
            seen = json.dumps(value) in call_values.get(name, ())
            if value is not None and not _is_tensor(value) and not seen:
                _refuse(
                    f"{path}[{i}].kwargs.{name}",
                    f"a layer called with {name}={value!r}, which is not a tensor",
                )


def _is_tensor(value):
    if isinstance(value, list):
        return all(_is_tensor(item) for item in value)
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _refuse(path, what):
    raise ValueError(
        f"Refusing to load the model: {path} holds {what}. Nothing from the file "
        "was run."
    )


def _registered_name(obj):
    import keras

    try:
        return keras.saving.get_registered_name(obj)
    except Exception:  # an object Keras cannot name is trusted by its key only
        return None


def _record(node, objects, top_keys, call_values):
    """Add every object ``node`` names, its configuration keys, its calls' values."""
    if isinstance(node, list):
        for item in node:
            _record(item, objects, top_keys, call_values)
        return
    if not isinstance(node, dict):
        return
    if "class_name" in node and node["class_name"] not in KERAS_VALUES:
        triple = (node.get("module"), node["class_name"], node.get("registered_name"))
        keys = objects.setdefault(triple, set())
        if isinstance(node.get("config"), dict):
            keys.update(node["config"])
        top_keys.update(node)
    for call in node.get("inbound_nodes") or ():
        for name, value in call.get("kwargs", {}).items():
            if value is not None and not _is_tensor(value):
                call_values.setdefault(name, set()).add(json.dumps(value))
    for value in node.values():
        _record(value, objects, top_keys, call_values)


def _setting_names():
    """The activation and loss names skae's parameters accept, as Keras writes them."""
    import keras

    names = set(LOSSES)
    for name in ACTIVATION_NAMES:
        names.add(keras.activations.serialize(keras.activations.get(name)))
    return names


def _example_configs():
    """Serialized, compiled models of every registered estimator's variations."""
    import keras

    from ..networks.build import build_autoencoder, float32_keras
    from ..networks.ordered import truncate_autoencoder

    with float32_keras():
        for examples in SPEC_EXAMPLES.values():
            for spec in examples():
                model = build_autoencoder(spec, np.random.SeedSequence(0))
                # An ordered model may be kept truncated to a prefix of its code.
                models = (
                    [model, truncate_autoencoder(model, 1)] if spec.ordered else [model]
                )
                for model in models:
                    model.compile(optimizer="adam", loss=spec.loss)
                    yield keras.saving.serialize_keras_object(model)
