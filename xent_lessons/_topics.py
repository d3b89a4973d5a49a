"""Lazy lookup of names across a subpackage's topic modules.

``xl.plots``, ``xl.widgets`` and ``xl.check`` each hold one module per topic of the course,
so that each file keeps one idea and each lesson's helpers live together. A name such as
``xl.check.stable_softmax`` is found in whichever topic module exports it (``__all__``);
the modules load on first use.
"""

from __future__ import annotations

from importlib import import_module

# The course's topics, in lesson order (00 to 15). A topic module that does not exist yet
# is skipped, so a lesson's plots, widgets and checkers can arrive one module at a time.
TOPICS = (
    "welcome",  # 00
    "information",  # 01
    "divergence",  # 02
    "softmax",  # 03
    "binary",  # 04
    "categorical",  # 05
    "gradient",  # 06
    "training",  # 07
    "language_models",  # 08
    "sequences",  # 09
    "calibration",  # 10
    "distillation",  # 11
    "large_vocabulary",  # 12
    "contrastive",  # 13
    "choosing_a_loss",  # 14
    "preference",  # 15
    "at_scale",  # 16
)


def topic_modules(package: str):
    """The topic modules that exist in ``package``, loaded, in lesson order."""
    modules = []
    for topic in TOPICS:
        try:
            modules.append(import_module(f"{package}.{topic}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{topic}":
                raise  # a real missing dependency inside the module
    return modules


def exported_names(package: str) -> dict[str, object]:
    """Every name the topic modules of ``package`` export, mapped to its object."""
    names: dict[str, object] = {}
    for module in topic_modules(package):
        for name in getattr(module, "__all__", ()):
            if name in names:
                raise RuntimeError(f"{package}: {name!r} is exported by two topic modules")
            names[name] = getattr(module, name)
    return names


def lookup(package: str, name: str):
    """Find ``name`` in ``package``'s topic modules, or raise ``AttributeError``."""
    names = exported_names(package)
    if name not in names:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return names[name]
