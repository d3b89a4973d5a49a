"""Bad input fails early, with the right exception and a message that names the argument.

Each case is ``(function call, exception type, regex the message must match)``; the regex
always starts with the argument's name, so a bare NumPy traceback (an IndexError, a
broadcasting error, a NaN returned) cannot pass.
"""

import numpy as np
import pytest

import xent_lessons as xl

NAN, INF = np.nan, np.inf
Z = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])  # valid logits: 2 rows, 3 classes
Y = np.array([0, 2])  # valid class indices
P = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])  # valid probability rows
ALL_MINUS_INF = np.array([[0.0, 1.0, 2.0], [-INF, -INF, -INF]])


def case(id_, call, exc, match):
    return pytest.param(call, exc, match, id=id_)


WRONG_SHAPES = [
    case("ce-3d-logits-2d-target-missing", lambda: xl.categorical_cross_entropy(np.zeros((2, 3, 4)), Y), ValueError, r"target must have shape \(2, 4\), the logits' shape without its class axis"),
    case("ce-grad-3d-logits-1d-target", lambda: xl.categorical_cross_entropy_grad(np.zeros((2, 3, 4)), Y), ValueError, r"target must have shape \(2, 4\)"),
    case("ce-scalar-logits", lambda: xl.categorical_cross_entropy(1.0, 0), ValueError, r"logits must have shape \(C,\), \(N, C\) or \(N, C, d1, ..., dk\) with the classes on dim 1; got a scalar"),
    case("ce-too-many-targets", lambda: xl.categorical_cross_entropy(Z, [0, 1, 2]), ValueError, r"target must have shape \(2,\)"),
    case("ce-too-few-targets", lambda: xl.categorical_cross_entropy(Z, [0]), ValueError, r"target must have shape \(2,\)"),
    case("ce-2d-index-target", lambda: xl.categorical_cross_entropy(Z, [[0], [1]]), ValueError, r"target must have shape \(2,\)"),
    case("ce-probs-wrong-shape", lambda: xl.categorical_cross_entropy(Z, P[:, :2] / P[:, :2].sum(1, keepdims=True)), ValueError, r"target of class probabilities must have the logits' shape"),
    case("ce-single-sample-two-targets", lambda: xl.categorical_cross_entropy(Z[0], [0, 1]), ValueError, r"target must have shape \(1,\)"),
    case("ce-grad-too-few-targets", lambda: xl.categorical_cross_entropy_grad(Z, [1]), ValueError, r"target must have shape"),
    case("nll-too-few-targets", lambda: xl.nll_loss(Z, [0]), ValueError, r"target must have shape"),
    case("nll-3d-1d-target", lambda: xl.nll_loss(np.zeros((1, 2, 2)), [0]), ValueError, r"target must have shape \(1, 2\)"),
    case("nll-scalar", lambda: xl.nll_loss(-1.0, 0), ValueError, r"log_probs must have shape"),
    case("bce-mismatched-lengths", lambda: xl.binary_cross_entropy([0.5, 0.5], [1.0]), ValueError, r"target must have the same shape as probs"),
    case("bce-logits-mismatched", lambda: xl.binary_cross_entropy_with_logits([[0.5, 0.5]], [1.0, 0.0, 1.0]), ValueError, r"target must have the same shape as logits"),
    case("bce-logits-grad-mismatched", lambda: xl.binary_cross_entropy_with_logits_grad([0.5], [1.0, 0.0]), ValueError, r"target must have the same shape as logits"),
    case("pq-mismatched-lengths", lambda: xl.cross_entropy([0.5, 0.5], [0.2, 0.3, 0.5]), ValueError, r"p and q must have the same shape"),
    case("kl-mismatched-lengths", lambda: xl.kl_divergence([1.0], [0.5, 0.5]), ValueError, r"p and q must have the same shape"),
    case("softmax-axis-out-of-range", lambda: xl.softmax(Z, axis=2), ValueError, r"axis=2 is out of range"),
    case("entropy-axis-out-of-range", lambda: xl.entropy(P, axis=-3), ValueError, r"axis=-3 is out of range"),
    case("gradient-check-wrong-grad-shape", lambda: xl.gradient_check(lambda v: float(v.sum()), lambda v: np.ones(3), [1.0, 2.0]), ValueError, r"grad_f must return an array of x's shape"),
]

BAD_CLASS_INDICES = [
    case("float-target-of-shape-n", lambda: xl.categorical_cross_entropy(Z, [0.0, 2.0]), ValueError, r"target of class probabilities must have the logits' shape \(2, 3\)"),
    case("float-target-grad", lambda: xl.categorical_cross_entropy_grad(Z, np.array([0.0, 1.0])), ValueError, r"target of class probabilities must have the logits' shape"),
    case("nll-float-target", lambda: xl.nll_loss(Z, [0.5, 1.0]), TypeError, r"target must hold integer class indices"),
    case("bool-target", lambda: xl.categorical_cross_entropy(Z, [True, False]), TypeError, r"target must hold integer class indices"),
    case("index-too-large", lambda: xl.categorical_cross_entropy(Z, [0, 3]), ValueError, r"target holds class index 3, out of range for 3 classes"),
    case("index-negative", lambda: xl.categorical_cross_entropy(Z, [-1, 0]), ValueError, r"target holds class index -1"),
    case("index-negative-other-ignore", lambda: xl.categorical_cross_entropy(Z, [-1, 0], ignore_index=-2), ValueError, r"target holds class index -1"),
    case("grad-index-too-large", lambda: xl.categorical_cross_entropy_grad(Z, [5, 0]), ValueError, r"target holds class index 5"),
    case("nll-index-too-large", lambda: xl.nll_loss(Z, [0, 7]), ValueError, r"target holds class index 7"),
    case("single-sample-index-too-large", lambda: xl.categorical_cross_entropy(Z[0], 3), ValueError, r"target holds class index 3"),
]

OUTSIDE_UNIT_INTERVAL = [
    case("bce-probs-above-1", lambda: xl.binary_cross_entropy([1.5, 0.5], [1.0, 0.0]), ValueError, r"probs must hold probabilities in \[0, 1\]"),
    case("bce-probs-negative", lambda: xl.binary_cross_entropy([-0.1, 0.5], [1.0, 0.0]), ValueError, r"probs must hold probabilities"),
    case("bce-probs-inf", lambda: xl.binary_cross_entropy([INF, 0.5], [1.0, 0.0]), ValueError, r"probs must hold probabilities"),
    case("bce-target-above-1", lambda: xl.binary_cross_entropy([0.5], [2.0]), ValueError, r"target must hold probabilities"),
    case("bce-logits-target-negative", lambda: xl.binary_cross_entropy_with_logits([0.5], [-1.0]), ValueError, r"target must hold probabilities"),
    case("surprisal-above-1", lambda: xl.surprisal(1.5), ValueError, r"p must hold probabilities"),
    case("entropy-negative", lambda: xl.entropy([1.2, -0.2]), ValueError, r"p must hold probabilities"),
    case("cross-entropy-q-negative", lambda: xl.cross_entropy([0.5, 0.5], [1.5, -0.5]), ValueError, r"q must hold probabilities"),
    case("ce-probs-target-negative", lambda: xl.categorical_cross_entropy(Z, [[1.2, -0.2, 0.0], [0.0, 0.0, 1.0]]), ValueError, r"target must hold probabilities"),
]

ROWS_NOT_SUMMING_TO_ONE = [
    case("entropy", lambda: xl.entropy([0.5, 0.4]), ValueError, r"p must sum to 1 along axis 0"),
    case("entropy-axis-0", lambda: xl.entropy(P, axis=0), ValueError, r"p must sum to 1 along axis 0"),
    case("cross-entropy-p", lambda: xl.cross_entropy([0.2, 0.2], [0.5, 0.5]), ValueError, r"p must sum to 1"),
    case("cross-entropy-q", lambda: xl.cross_entropy([0.5, 0.5], [0.3, 0.3]), ValueError, r"q must sum to 1"),
    case("kl-q", lambda: xl.kl_divergence([0.5, 0.5], [0.9, 0.9]), ValueError, r"q must sum to 1"),
    case("ce-probs-target", lambda: xl.categorical_cross_entropy(Z, [[0.2, 0.2, 0.2], [0.0, 0.0, 1.0]]), ValueError, r"target must sum to 1 along axis 1"),
    case("ce-grad-probs-target", lambda: xl.categorical_cross_entropy_grad(Z, P * 0.5), ValueError, r"target must sum to 1"),
    case("float32-off-by-1e-3", lambda: xl.entropy(np.float32([0.5, 0.501])), ValueError, r"p must sum to 1"),
]

NANS = [
    case("ce-logits", lambda: xl.categorical_cross_entropy([[NAN, 0.0]], [0]), ValueError, r"logits contains NaN"),
    case("ce-logits-probs-target", lambda: xl.categorical_cross_entropy([[NAN, 0.0]], [[1.0, 0.0]]), ValueError, r"logits contains NaN"),
    case("ce-grad-logits", lambda: xl.categorical_cross_entropy_grad([[0.0, NAN]], [0]), ValueError, r"logits contains NaN"),
    case("ce-probs-target", lambda: xl.categorical_cross_entropy(Z, [[NAN, 0.5, 0.5], [0.0, 0.0, 1.0]]), ValueError, r"target contains NaN"),
    case("ce-index-target-with-nan", lambda: xl.categorical_cross_entropy(Z, [0.0, NAN]), ValueError, r"target contains NaN"),
    case("ce-weight", lambda: xl.categorical_cross_entropy(Z, Y, weight=[1.0, NAN, 1.0]), ValueError, r"weight contains NaN"),
    case("nll-log-probs", lambda: xl.nll_loss([[NAN, 0.0]], [1]), ValueError, r"log_probs contains NaN"),
    case("bce-probs", lambda: xl.binary_cross_entropy([NAN], [1.0]), ValueError, r"probs contains NaN"),
    case("bce-target", lambda: xl.binary_cross_entropy([0.5], [NAN]), ValueError, r"target contains NaN"),
    case("bce-logits", lambda: xl.binary_cross_entropy_with_logits([NAN], [1.0]), ValueError, r"logits contains NaN"),
    case("bce-logits-target", lambda: xl.binary_cross_entropy_with_logits([0.0], [NAN]), ValueError, r"target contains NaN"),
    case("bce-logits-pos-weight", lambda: xl.binary_cross_entropy_with_logits([0.0], [1.0], pos_weight=[NAN]), ValueError, r"pos_weight contains NaN"),
    case("bce-logits-grad", lambda: xl.binary_cross_entropy_with_logits_grad([NAN], [1.0]), ValueError, r"logits contains NaN"),
    case("softmax", lambda: xl.softmax([1.0, NAN]), ValueError, r"z contains NaN"),
    case("log-softmax", lambda: xl.log_softmax([NAN]), ValueError, r"z contains NaN"),
    case("logsumexp", lambda: xl.logsumexp([0.0, NAN]), ValueError, r"z contains NaN"),
    case("sigmoid", lambda: xl.sigmoid(NAN), ValueError, r"z contains NaN"),
    case("log-sigmoid", lambda: xl.log_sigmoid([NAN]), ValueError, r"z contains NaN"),
    case("surprisal", lambda: xl.surprisal([NAN]), ValueError, r"p contains NaN"),
    case("entropy", lambda: xl.entropy([NAN, 1.0]), ValueError, r"p contains NaN"),
    case("cross-entropy-p", lambda: xl.cross_entropy([NAN, 1.0], [0.5, 0.5]), ValueError, r"p contains NaN"),
    case("cross-entropy-q", lambda: xl.cross_entropy([0.5, 0.5], [NAN, 1.0]), ValueError, r"q contains NaN"),
    case("kl-q", lambda: xl.kl_divergence([0.5, 0.5], [0.5, NAN]), ValueError, r"q contains NaN"),
    case("numerical-gradient-x", lambda: xl.numerical_gradient(np.sum, [NAN]), ValueError, r"x contains NaN"),
]

PLUS_INF_LOGITS = [
    case("ce-index-target", lambda: xl.categorical_cross_entropy([[INF, 0.0]], [0]), ValueError, r"logits contains \+inf"),
    case("ce-probs-target", lambda: xl.categorical_cross_entropy([[INF, 0.0]], [[1.0, 0.0]]), ValueError, r"logits contains \+inf"),
    case("ce-grad-index-target", lambda: xl.categorical_cross_entropy_grad([[0.0, INF]], [0]), ValueError, r"logits contains \+inf"),
    case("ce-grad-probs-target", lambda: xl.categorical_cross_entropy_grad([[0.0, INF]], [[0.5, 0.5]]), ValueError, r"logits contains \+inf"),
    case("nll", lambda: xl.nll_loss([[INF, 0.0]], [0]), ValueError, r"log_probs contains \+inf"),
    case("bce-logits", lambda: xl.binary_cross_entropy_with_logits([INF], [1.0]), ValueError, r"logits contains \+inf"),
    case("bce-logits-grad", lambda: xl.binary_cross_entropy_with_logits_grad([INF], [1.0]), ValueError, r"logits contains \+inf"),
    case("softmax", lambda: xl.softmax([INF, 0.0]), ValueError, r"z contains \+inf"),
    case("log-softmax", lambda: xl.log_softmax([INF, 0.0]), ValueError, r"z contains \+inf"),
    case("logsumexp", lambda: xl.logsumexp([INF]), ValueError, r"z contains \+inf"),
    case("sigmoid", lambda: xl.sigmoid([INF]), ValueError, r"z contains \+inf"),
    case("log-sigmoid", lambda: xl.log_sigmoid(INF), ValueError, r"z contains \+inf"),
]

BAD_OPTIONS = [
    case("ce-unknown-reduction", lambda: xl.categorical_cross_entropy(Z, Y, reduction="avg"), ValueError, r"reduction must be one of \('mean', 'sum', 'none'\); got 'avg'"),
    case("ce-grad-unknown-reduction", lambda: xl.categorical_cross_entropy_grad(Z, Y, reduction="max"), ValueError, r"reduction must be one of"),
    case("nll-unknown-reduction", lambda: xl.nll_loss(Z, Y, reduction=None), ValueError, r"reduction must be one of"),
    case("bce-unknown-reduction", lambda: xl.binary_cross_entropy([0.5], [1.0], reduction="Mean"), ValueError, r"reduction must be one of"),
    case("bce-logits-unknown-reduction", lambda: xl.binary_cross_entropy_with_logits([0.5], [1.0], reduction="total"), ValueError, r"reduction must be one of"),
    case("bce-logits-grad-unknown-reduction", lambda: xl.binary_cross_entropy_with_logits_grad([0.5], [1.0], reduction=""), ValueError, r"reduction must be one of"),
    case("label-smoothing-above-1", lambda: xl.categorical_cross_entropy(Z, Y, label_smoothing=1.5), ValueError, r"label_smoothing must be in \[0, 1\]; got 1.5"),
    case("label-smoothing-negative", lambda: xl.categorical_cross_entropy(Z, Y, label_smoothing=-0.1), ValueError, r"label_smoothing must be in \[0, 1\]"),
    case("label-smoothing-nan", lambda: xl.categorical_cross_entropy(Z, Y, label_smoothing=NAN), ValueError, r"label_smoothing must be in \[0, 1\]"),
    case("grad-label-smoothing-above-1", lambda: xl.categorical_cross_entropy_grad(Z, Y, label_smoothing=2.0), ValueError, r"label_smoothing must be in"),
    case("label-smoothing-string", lambda: xl.categorical_cross_entropy(Z, Y, label_smoothing="0.1"), TypeError, r"label_smoothing must be a real number"),
    case("softmax-temperature-zero", lambda: xl.softmax(Z, temperature=0), ValueError, r"temperature must be a finite number > 0; got 0.0"),
    case("softmax-temperature-negative", lambda: xl.softmax(Z, temperature=-1.0), ValueError, r"temperature must be a finite number > 0"),
    case("softmax-temperature-inf", lambda: xl.softmax(Z, temperature=INF), ValueError, r"temperature must be a finite number > 0"),
    case("log-softmax-temperature-zero", lambda: xl.log_softmax(Z, temperature=0.0), ValueError, r"temperature must be a finite number > 0"),
    case("softmax-temperature-string", lambda: xl.softmax(Z, temperature="hot"), TypeError, r"temperature must be a real number"),
    case("ignore-index-float", lambda: xl.categorical_cross_entropy(Z, Y, ignore_index=1.5), TypeError, r"ignore_index must be an integer"),
    case("nll-ignore-index-string", lambda: xl.nll_loss(Z, Y, ignore_index="pad"), TypeError, r"ignore_index must be an integer"),
    case("softmax-axis-float", lambda: xl.softmax(Z, axis=1.0), TypeError, r"axis must be an integer"),
    case("numerical-gradient-eps-zero", lambda: xl.numerical_gradient(np.sum, [1.0], eps=0.0), ValueError, r"eps must be a finite number > 0"),
    case("numerical-gradient-not-callable", lambda: xl.numerical_gradient("f", [1.0]), TypeError, r"f must be callable"),
    case("gradient-check-not-callable", lambda: xl.gradient_check(np.sum, None, [1.0]), TypeError, r"grad_f must be callable"),
]

BAD_BASES = [
    case(f"{fn.__name__}-base-{base}", lambda fn=fn, args=args, base=base: fn(*args, base=base), ValueError, r"base must be")
    for fn, args in (
        (xl.surprisal, (0.5,)),
        (xl.entropy, ([0.5, 0.5],)),
        (xl.cross_entropy, ([0.5, 0.5], [0.5, 0.5])),
        (xl.kl_divergence, ([0.5, 0.5], [0.5, 0.5])),
    )
    for base in (0, -2.0, 1, 1.0, INF)
] + [
    case("entropy-base-string", lambda: xl.entropy([0.5, 0.5], base="2"), TypeError, r"base must be a real number"),
    case("surprisal-base-bool", lambda: xl.surprisal(0.5, base=True), TypeError, r"base must be a real number"),
]

# Empty batches are valid (tests/test_empty_batches.py); what is empty where something is
# needed is not: a class axis of size 0 under positions that need a class, a target that
# is empty for non-empty logits, a distribution with no outcomes, an empty weight.
EMPTY = [
    case("ce-no-classes", lambda: xl.categorical_cross_entropy(np.empty((2, 0)), Y), ValueError, r"logits is empty along its class axis \(dim 1\)"),
    case("ce-kdim-no-classes", lambda: xl.categorical_cross_entropy(np.empty((2, 0, 3)), np.zeros((2, 3), int)), ValueError, r"logits is empty along its class axis"),
    case("ce-empty-target", lambda: xl.categorical_cross_entropy(Z, []), ValueError, r"target is empty; expected class indices of shape \(2,\) or class probabilities"),
    case("ce-empty-int-target", lambda: xl.categorical_cross_entropy(Z, np.empty(0, int)), ValueError, r"target must have shape \(2,\)"),
    case("ce-grad-empty-logits", lambda: xl.categorical_cross_entropy_grad([], 0), ValueError, r"logits is empty"),
    case("nll-no-classes", lambda: xl.nll_loss(np.empty((2, 0)), [0, 0]), ValueError, r"log_probs is empty along its class axis"),
    case("entropy-empty", lambda: xl.entropy([]), ValueError, r"p is empty along axis 0: a distribution needs at least one outcome"),
    case("entropy-no-outcomes", lambda: xl.entropy(np.empty((3, 0))), ValueError, r"p is empty along axis 1"),
    case("kl-empty-q", lambda: xl.kl_divergence([1.0], []), ValueError, r"p and q must have the same shape"),
    case("ce-empty-weight", lambda: xl.categorical_cross_entropy(Z, Y, weight=[]), ValueError, r"weight is empty"),
    case("numerical-gradient-empty-x", lambda: xl.numerical_gradient(np.sum, []), ValueError, r"x is empty"),
]

# Functions of a distribution or of a row of logits need an axis: a scalar is not one.
SCALARS = [
    case("entropy", lambda: xl.entropy(0.5), ValueError, r"p is a scalar \(0.5\); expected an array with the probabilities of one distribution along `axis`"),
    case("cross-entropy", lambda: xl.cross_entropy(1.0, 1.0), ValueError, r"p is a scalar"),
    case("kl-q", lambda: xl.kl_divergence([1.0], 1.0), ValueError, r"q is a scalar"),
    case("softmax", lambda: xl.softmax(3.0), ValueError, r"z is a scalar \(3.0\); expected an array with the classes along `axis`"),
    case("log-softmax", lambda: xl.log_softmax(np.float32(2.0)), ValueError, r"z is a scalar"),
    case("logsumexp", lambda: xl.logsumexp(np.array(1.0)), ValueError, r"z is a scalar"),
]

BAD_WEIGHTS = [
    case("ce-weight-too-short", lambda: xl.categorical_cross_entropy(Z, Y, weight=[1.0, 2.0]), ValueError, r"weight must have shape \(3,\), one per class; got \(2,\)"),
    case("ce-weight-2d", lambda: xl.categorical_cross_entropy(Z, Y, weight=np.ones((1, 3))), ValueError, r"weight must have shape \(3,\)"),
    case("ce-probs-weight-too-long", lambda: xl.categorical_cross_entropy(Z, P, weight=np.ones(4)), ValueError, r"weight must have shape \(3,\)"),
    case("ce-grad-weight", lambda: xl.categorical_cross_entropy_grad(Z, Y, weight=np.ones(2)), ValueError, r"weight must have shape"),
    case("ce-weight-inf", lambda: xl.categorical_cross_entropy(Z, Y, weight=[1.0, INF, 1.0]), ValueError, r"weight must be finite"),
    case("nll-weight", lambda: xl.nll_loss(Z, Y, weight=[1.0]), ValueError, r"weight must have shape"),
    case("bce-weight", lambda: xl.binary_cross_entropy([0.5, 0.5], [1.0, 0.0], weight=[1.0, 2.0, 3.0]), ValueError, r"weight of shape \(3,\) cannot be broadcast to input's shape \(2,\)"),
    case("bce-logits-weight", lambda: xl.binary_cross_entropy_with_logits(Z, (Z > 0).astype(float), weight=np.ones(2)), ValueError, r"weight of shape \(2,\) cannot be broadcast"),
    case("bce-logits-pos-weight", lambda: xl.binary_cross_entropy_with_logits(Z, (Z > 0).astype(float), pos_weight=np.ones(2)), ValueError, r"pos_weight of shape \(2,\) cannot be broadcast to logits's shape \(2, 3\)"),
    case("bce-logits-grad-pos-weight", lambda: xl.binary_cross_entropy_with_logits_grad(Z, (Z > 0).astype(float), pos_weight=np.ones(4)), ValueError, r"pos_weight of shape \(4,\) cannot be broadcast"),
]

PROBABILITY_TARGET_WITH_IGNORE_INDEX = [
    case("ce", lambda: xl.categorical_cross_entropy(Z, P, ignore_index=0), ValueError, r"ignore_index is only for class-index targets"),
    case("ce-negative", lambda: xl.categorical_cross_entropy(Z, P, ignore_index=-1), ValueError, r"ignore_index is only for class-index targets"),
    case("ce-grad", lambda: xl.categorical_cross_entropy_grad(Z, P, ignore_index=-1), ValueError, r"ignore_index is only for class-index targets"),
    case("ce-single-sample", lambda: xl.categorical_cross_entropy(Z[0], P[0], ignore_index=2), ValueError, r"ignore_index is only"),
]

ROWS_OF_ALL_MINUS_INF = [
    case("softmax", lambda: xl.softmax(ALL_MINUS_INF), ValueError, r"z has a row whose logits are all -inf along axis 1"),
    case("softmax-axis-0", lambda: xl.softmax(ALL_MINUS_INF.T, axis=0), ValueError, r"z has a row whose logits are all -inf along axis 0"),
    case("softmax-1d", lambda: xl.softmax([-INF, -INF]), ValueError, r"z has a row whose logits are all -inf"),
    case("log-softmax", lambda: xl.log_softmax(ALL_MINUS_INF), ValueError, r"z has a row whose logits are all -inf"),
    case("ce-index-target", lambda: xl.categorical_cross_entropy(ALL_MINUS_INF, Y), ValueError, r"logits has a row whose entries are all -inf"),
    case("ce-probs-target", lambda: xl.categorical_cross_entropy(ALL_MINUS_INF, P), ValueError, r"logits has a row whose entries are all -inf"),
    case("ce-grad-index-target", lambda: xl.categorical_cross_entropy_grad(ALL_MINUS_INF, Y), ValueError, r"logits has a row whose entries are all -inf"),
    case("ce-grad-probs-target", lambda: xl.categorical_cross_entropy_grad(ALL_MINUS_INF, P), ValueError, r"logits has a row whose entries are all -inf"),
    case("ce-ignored-row-is-still-checked", lambda: xl.categorical_cross_entropy(ALL_MINUS_INF, [0, -100]), ValueError, r"logits has a row whose entries are all -inf"),
]

NOT_NUMBERS = [
    case("ce-string-logits", lambda: xl.categorical_cross_entropy([["a", "b"]], [0]), TypeError, r"logits must be an array of real numbers; got dtype <U1"),
    case("ce-object-logits", lambda: xl.categorical_cross_entropy(np.array([[1.0, None]]), [0]), TypeError, r"logits must be an array of real numbers; got dtype object"),
    case("ce-ragged-logits", lambda: xl.categorical_cross_entropy([[1.0, 2.0], [3.0]], [0, 0]), TypeError, r"logits must be array-like of numbers"),
    case("ce-string-target", lambda: xl.categorical_cross_entropy(Z, ["cat", "dog"]), TypeError, r"target must hold integer class indices"),
    case("ce-complex-logits", lambda: xl.categorical_cross_entropy(np.array([[1j, 0.0]]), [0]), TypeError, r"logits must be an array of real numbers; got dtype complex128"),
    case("ce-dict-logits", lambda: xl.categorical_cross_entropy({"a": 1.0}, [0]), TypeError, r"logits must be an array of real numbers; got dtype object"),
    case("ce-string-weight", lambda: xl.categorical_cross_entropy(Z, Y, weight=["a", "b", "c"]), TypeError, r"weight must be an array of real numbers"),
    case("nll-string", lambda: xl.nll_loss("log-probs", [0]), TypeError, r"log_probs must be an array of real numbers"),
    case("bce-string-probs", lambda: xl.binary_cross_entropy("0.5", [1.0]), TypeError, r"probs must be an array of real numbers"),
    case("bce-string-target", lambda: xl.binary_cross_entropy([0.5], ["yes"]), TypeError, r"target must be an array of real numbers"),
    case("bce-logits-object", lambda: xl.binary_cross_entropy_with_logits(np.array([None]), [1.0]), TypeError, r"logits must be an array of real numbers"),
    case("bce-logits-grad-string-weight", lambda: xl.binary_cross_entropy_with_logits_grad([0.5], [1.0], weight="w"), TypeError, r"weight must be an array of real numbers"),
    case("softmax-string", lambda: xl.softmax("logits"), TypeError, r"z must be an array of real numbers"),
    case("logsumexp-ragged", lambda: xl.logsumexp([[1.0], [2.0, 3.0]]), TypeError, r"z must be array-like of numbers"),
    case("sigmoid-object", lambda: xl.sigmoid(np.array([object()])), TypeError, r"z must be an array of real numbers"),
    case("log-sigmoid-string", lambda: xl.log_sigmoid(["1"]), TypeError, r"z must be an array of real numbers"),
    case("surprisal-string", lambda: xl.surprisal("half"), TypeError, r"p must be an array of real numbers"),
    case("entropy-object", lambda: xl.entropy(np.array([0.5, None])), TypeError, r"p must be an array of real numbers; got dtype object"),
    case("cross-entropy-string-q", lambda: xl.cross_entropy([0.5, 0.5], ["a", "b"]), TypeError, r"q must be an array of real numbers"),
    case("kl-ragged-p", lambda: xl.kl_divergence([[0.5, 0.5], [1.0]], [0.5, 0.5]), TypeError, r"p must be array-like of numbers"),
    case("numerical-gradient-string-x", lambda: xl.numerical_gradient(np.sum, "x"), TypeError, r"x must be an array of real numbers"),
]


def _check(call, exc, match):
    with pytest.raises(exc, match=match) as info:
        call()
    assert type(info.value) is exc  # not a subclass such as numpy's AxisError


@pytest.mark.parametrize(("call", "exc", "match"), WRONG_SHAPES)
def test_wrong_shapes_and_mismatched_lengths(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), BAD_CLASS_INDICES)
def test_non_integer_and_out_of_range_class_indices(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), OUTSIDE_UNIT_INTERVAL)
def test_probabilities_outside_the_unit_interval(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), ROWS_NOT_SUMMING_TO_ONE)
def test_distributions_that_do_not_sum_to_one(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), NANS)
def test_nan_in_any_input(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), PLUS_INF_LOGITS)
def test_plus_inf_logits(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), BAD_OPTIONS)
def test_bad_options_reduction_label_smoothing_temperature_and_others(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), BAD_BASES)
def test_log_base_must_be_positive_and_not_one(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), EMPTY)
def test_empty_arrays(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), SCALARS)
def test_scalars_where_an_axis_is_needed(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), BAD_WEIGHTS)
def test_weights_of_the_wrong_shape(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), PROBABILITY_TARGET_WITH_IGNORE_INDEX)
def test_probability_targets_reject_ignore_index(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), ROWS_OF_ALL_MINUS_INF)
def test_rows_of_all_minus_inf_logits(call, exc, match):
    _check(call, exc, match)


@pytest.mark.parametrize(("call", "exc", "match"), NOT_NUMBERS)
def test_strings_objects_and_ragged_lists_are_type_errors(call, exc, match):
    _check(call, exc, match)


def test_valid_neighbours_of_the_bad_inputs_are_accepted():
    """The checks are not too eager: the edge of each valid range passes."""
    assert xl.categorical_cross_entropy(Z, Y, label_smoothing=1.0) > 0
    assert xl.categorical_cross_entropy(Z, Y, label_smoothing=0) > 0
    assert xl.categorical_cross_entropy(Z, [-100, 2]) > 0  # the default ignore_index
    assert xl.categorical_cross_entropy(Z, P, ignore_index=-100) > 0  # left at its default
    assert xl.entropy(np.float32([0.5, 0.50001])) > 0  # float32 rounding is tolerated
    assert xl.surprisal(1.0, base=0.5) == 0.0
    assert xl.binary_cross_entropy([0.0, 1.0], [0.0, 1.0]) == 0.0
    assert xl.logsumexp([-INF, -INF]) == -INF  # an empty sum, as in SciPy (not an error)
    assert xl.softmax([[0.0, -INF]]).tolist() == [[1.0, 0.0]]
    assert xl.categorical_cross_entropy(np.int64([[1, 2]]), np.int32([1])) > 0  # integer logits
