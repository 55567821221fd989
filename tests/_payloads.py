"""The published payload shapes against ``.keras`` files, as edits of a skae model.

Each payload edits the ``config.json`` of a fitted skae model's ``.keras``
archive (a dense model with a PCA shortcut: its encoder's layer 1 is skae's
``Residual``), as a forger would, and names the part of the ``ValueError``
skae's check must raise. The archive is the same on every route, so the same
payloads go into a skae file (test_allowlist.py), a skops file and a pickle
(test_skops.py).
"""

import io
import json
import zipfile
from typing import NamedTuple


class Payload(NamedTuple):
    edit: object
    match: str


def members_of(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(members, compression=zipfile.ZIP_STORED, comment=b""):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.comment = comment
    return buffer.getvalue()


def edited_archive(archive, edit):
    """The ``.keras`` archive bytes ``archive`` with ``edit`` applied to its config."""
    inner = members_of(archive)
    config = json.loads(inner["config.json"])
    edit(config)
    inner["config.json"] = json.dumps(config).encode()
    return zipped(inner)


def with_member(archive, name, data):
    """The ``.keras`` archive bytes ``archive`` with one more member."""
    return zipped({**members_of(archive), name: data})


def encoder_layer(config, index):
    """The ``index``-th layer of the encoder inside the saved Functional model."""
    encoder = next(
        layer
        for layer in config["config"]["layers"]
        if layer["config"]["name"] == "encoder"
    )
    return encoder["config"]["layers"][index]


def function_entry(module, name):
    return {
        "module": module,
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    }


def arbitrary_module(config):
    """CVE-2025-1550: config.json naming any module and class to construct."""
    encoder_layer(config, 1).update(
        module="subprocess",
        class_name="Popen",
        registered_name=None,
        config={"args": ["touch", "pwned"]},
    )


def lambda_calling_load_model(config):
    """CVE-2025-9906: a Lambda whose function is keras.models.load_model, with
    safe_mode false in its arguments and the path in its call's kwargs."""
    config["config"]["layers"].append(
        {
            "module": "keras.layers",
            "class_name": "Lambda",
            "config": {
                "name": "unsafe",
                "function": function_entry("keras.models", "load_model"),
                "arguments": {"safe_mode": False},
            },
            "registered_name": None,
            "inbound_nodes": [{"args": [], "kwargs": {"inputs": "/tmp/x.keras"}}],
        }
    )


def get_file_as(setting):
    """CVE-2025-8747: keras.utils.get_file as a function-typed setting."""

    def edit(config):
        shortcut = encoder_layer(config, 1)["config"]["shortcut"]
        shortcut["config"][setting] = function_entry("keras.utils", "get_file")

    return edit


def tfsm_layer(config):
    """CVE-2026-1462: a TFSMLayer loads and runs a SavedModel from a path."""
    encoder_layer(config, 1).update(
        module="keras.layers",
        class_name="TFSMLayer",
        registered_name=None,
        config={"filepath": "/tmp/saved_model", "call_endpoint": "serve"},
    )


def unexpected_key(where):
    """A skae class carrying an object in a key skae never writes."""

    def edit(config):
        residual = encoder_layer(config, 1)
        target = residual["config"] if where == "config" else residual
        target["payload"] = {"module": "keras.utils", "class_name": "get_file"}

    return edit


def unknown_registered_name(config):
    encoder_layer(config, 1)["registered_name"] = "skae>Anything"


def call_kwargs_not_tensors(config):
    decoder = config["config"]["layers"][-1]
    decoder["inbound_nodes"][0]["kwargs"]["mask"] = "/etc/passwd"


def unknown_activation_name(config):
    encoder_layer(config, 1)["config"]["shortcut"]["config"]["activation"] = "get_file"


def function_typed_optimizer_setting(config):
    """The compiled model's optimizer, with a learning rate that is os.system."""
    optimizer = config["compile_config"]["optimizer"]
    optimizer["config"]["learning_rate"] = function_entry("os", "system")


PAYLOADS = {
    "arbitrary-module": Payload(
        arbitrary_module, r"layers\[1\] holds subprocess.Popen"
    ),
    "lambda-load-model": Payload(
        lambda_calling_load_model, r"layers\[\d+\] holds a Lambda entry"
    ),
    **{
        f"get-file-{setting}": Payload(
            get_file_as(setting),
            rf"layers\[1\]\.config\.shortcut\.config\.{setting} holds a function",
        )
        for setting in ("activation", "kernel_initializer")
    },
    "tfsm-layer": Payload(tfsm_layer, r"layers\[1\] holds a TFSMLayer entry"),
    **{
        f"unexpected-key-in-{where}": Payload(
            unexpected_key(where), r"layers\[1\] holds a Residual with keys skae"
        )
        for where in ("config", "entry")
    },
    "unknown-registered-name": Payload(
        unknown_registered_name, r"layers\[1\] holds .*registered as 'skae>Anything'"
    ),
    "call-kwargs-not-tensors": Payload(
        call_kwargs_not_tensors, r"inbound_nodes\[0\]\.kwargs\.mask holds"
    ),
    "unknown-activation-name": Payload(
        unknown_activation_name,
        r"shortcut\.config\.activation holds the activation 'get_file'",
    ),
    "function-typed-optimizer-setting": Payload(
        function_typed_optimizer_setting,
        r"compile_config\.optimizer\.config\.learning_rate holds a function",
    ),
}

# A member that would be written outside the archive's folder if extracted.
TRAVERSAL = "assets/../../../escaped.txt"
TRAVERSAL_MATCH = "Keras model archive holds the unexpected members"
# A legacy HDF5 model in place of the .keras archive (CVE-2025-9905).
HDF5_MATCH = "Keras model archive is not a zip archive"
