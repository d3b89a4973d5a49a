"""xent_lessons: the helper package of the cross-entropy course.

The math lives at the top level and needs only NumPy::

    import xent_lessons as xl
    xl.categorical_cross_entropy([[2.0, 0.5, -1.0]], [0])

Plots, widgets, exercise checkers and data sets are submodules that load on first use
(``xl.plots``, ``xl.widgets``, ``xl.check``, ...), so ``import xent_lessons`` stays fast
and never imports torch, matplotlib or ipywidgets.
"""

from importlib import import_module

from .activations import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax
from .calibration import (
    brier_score,
    correct_prior,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)
from .contrastive import (
    clip_loss,
    correlated_gaussians,
    gaussian_critic,
    gaussian_mutual_information,
    info_nce_bound,
    info_nce_loss,
    siglip_loss,
)
from .distillation import distillation_loss, distillation_loss_grad, generalized_jsd, kl_div
from .focal import focal_optimal_forecast, sigmoid_focal_loss, sigmoid_focal_loss_grad
from .gradients import (
    binary_cross_entropy_with_logits_grad,
    categorical_cross_entropy_grad,
    gradient_check,
    numerical_gradient,
)
from .information import cross_entropy, entropy, kl_divergence, surprisal
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    nll_loss,
)
from .preference import bradley_terry_loss, dpo_loss, dpo_loss_grad
from .scoring_rules import expected_score, gaussian_nll_loss

__version__ = "0.1.0"

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "bits_per_byte",
    "bradley_terry_loss",
    "brier_score",
    "categorical_cross_entropy",
    "categorical_cross_entropy_grad",
    "clip_loss",
    "correct_prior",
    "correlated_gaussians",
    "cross_entropy",
    "distillation_loss",
    "distillation_loss_grad",
    "dpo_loss",
    "dpo_loss_grad",
    "entropy",
    "expected_calibration_error",
    "expected_score",
    "fit_temperature",
    "focal_optimal_forecast",
    "gaussian_critic",
    "gaussian_mutual_information",
    "gaussian_nll_loss",
    "generalized_jsd",
    "gradient_check",
    "info_nce_bound",
    "info_nce_loss",
    "kl_div",
    "kl_divergence",
    "linear_cross_entropy",
    "linear_cross_entropy_grad",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "nll_loss",
    "numerical_gradient",
    "peak_memory",
    "reliability_bins",
    "show_figure",
    "siglip_loss",
    "sigmoid",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_grad",
    "sliding_window_spans",
    "softmax",
    "surprisal",
    "vocab_parallel_cross_entropy",
]

# Submodules that import heavy libraries (matplotlib, ipywidgets) load on first access.
_LAZY_SUBMODULES = {
    "arithmetic_coding",
    "check",
    "corpus",
    "huffman",
    "letter_frequencies",
    "mixture",
    "mlp",
    "ngram",
    "plots",
    "sequences",
    "style",
    "training",
    "vocab_parallel",
    "widgets",
}


# Functions of modules that lesson 12 brought (and a few notebooks use), loaded on first
# use so that they add nothing to the import of the package.
_LAZY_FUNCTIONS = {
    "bits_per_byte": "ngram",
    "linear_cross_entropy": "fused_linear",
    "linear_cross_entropy_grad": "fused_linear",
    "peak_memory": "memory",
    "show_figure": "figures",
    "sliding_window_spans": "sequences",
    "vocab_parallel_cross_entropy": "vocab_parallel",
}


def __getattr__(name):
    if name in _LAZY_FUNCTIONS:
        value = getattr(import_module(f".{_LAZY_FUNCTIONS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _LAZY_SUBMODULES:
        module = import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'xent_lessons' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY_SUBMODULES | set(_LAZY_FUNCTIONS))
