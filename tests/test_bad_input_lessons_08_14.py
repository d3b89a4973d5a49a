"""Lessons 08-14: bad input is refused with a message naming the argument; valid edge
input (empty batches, H = 0, float16 distributions, np.int64 counts) is taken.

Cases ported from the peers' own suites (PyTorch's test_nn, torchvision's focal loss,
torchmetrics' calibration error, Liger Kernel's fused linear cross-entropy, PyTorch's
pad_sequence) and from a bad-input campaign over the lessons' public functions.
"""

import math

import numpy as np
import pytest

import xent_lessons as xl
from xent_lessons.arithmetic_coding import arithmetic_decode, arithmetic_encode, ideal_code_length
from xent_lessons.huffman import huffman_code
from xent_lessons.ngram import CharNGramModel
from xent_lessons.sequences import next_token_targets, pad_sequences, sequence_cross_entropy

NAN, INF = np.nan, np.inf
P3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
Y3 = np.array([0, 2, 1])
Z2 = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.5]])
H = np.array([[1.0, 0.5], [-0.5, 2.0]])
W = np.array([[2.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
MODEL = CharNGramModel("abracadabra", order=1, alpha=0.5)
MASKED_TARGET = np.ma.array([0, 2, 1], mask=[False, True, False])
BOOL = np.array([True, False, True])
U64 = np.array([[1, 2, 2**64 - 100]], dtype=np.uint64)


def case(id_, call, exc, match):
    return pytest.param(call, exc, match, id=id_)


BOOL_ARRAYS = [
    # PyTorch refuses bool in its losses; reading True as 1 hides a mask passed for a number
    case("bce-target", lambda: xl.binary_cross_entropy([0.5, 0.5, 0.5], BOOL), TypeError, r"target is a boolean array.*target\.astype\(float\)"),
    case("bce-logits-target", lambda: xl.binary_cross_entropy_with_logits([0.5, 0.5, 0.5], BOOL), TypeError, r"target is a boolean array.*astype\(float\)"),
    case("softmax", lambda: xl.softmax(BOOL), TypeError, r"z is a boolean array.*z\.astype\(float\)"),
    case("entropy", lambda: xl.entropy(np.array([True, False])), TypeError, r"p is a boolean array"),
    case("focal-targets", lambda: xl.sigmoid_focal_loss([0.0, 1.0, 2.0], BOOL), TypeError, r"targets is a boolean array.*astype\(float\)"),
    case("focal-grad-inputs", lambda: xl.sigmoid_focal_loss_grad(BOOL, [1.0, 0.0, 1.0]), TypeError, r"inputs is a boolean array"),
    case("gaussian-nll-target", lambda: xl.gaussian_nll_loss([0.0, 1.0, 2.0], BOOL, 1.0), TypeError, r"target is a boolean array"),
    case("gaussian-nll-var", lambda: xl.gaussian_nll_loss([0.0, 1.0, 2.0], [0.0, 1.0, 2.0], BOOL), TypeError, r"var is a boolean array"),
    case("kl-div-target", lambda: xl.kl_div(np.log(np.full(3, 1 / 3)), BOOL), TypeError, r"target is a boolean array"),
    case("distillation-teacher", lambda: xl.distillation_loss(Z2, Z2 > 0.5), TypeError, r"teacher_logits is a boolean array"),
    case("ece-probs", lambda: xl.expected_calibration_error(BOOL, [1, 0, 1]), TypeError, r"probs is a boolean array"),
    case("ece-target", lambda: xl.expected_calibration_error([0.9, 0.2, 0.8], BOOL), TypeError, r"target is a boolean array.*target\.astype\(int\)"),
    case("brier-target", lambda: xl.brier_score([0.9, 0.2, 0.8], BOOL), TypeError, r"target is a boolean array"),
    case("fit-temperature-target", lambda: xl.fit_temperature([1.0, -1.0, 2.0], BOOL), TypeError, r"target is a boolean array"),
    case("linear-ce-hidden", lambda: xl.linear_cross_entropy(H > 0, W, [0, 2]), TypeError, r"hidden is a boolean array"),
    case("linear-ce-target", lambda: xl.linear_cross_entropy(H, W, np.array([True, False])), TypeError, r"target must hold integer class indices"),
    case("info-nce-scores", lambda: xl.info_nce_loss(np.eye(3, dtype=bool)), TypeError, r"scores is a boolean array"),
    case("pad-sequences", lambda: pad_sequences([BOOL]), TypeError, r"sequences\[0\] is a boolean array"),
    case("next-token-targets", lambda: next_token_targets(np.ones((1, 3), bool)), TypeError, r"tokens is a boolean array.*astype\(int\)"),
    case("arithmetic-encode-symbol", lambda: arithmetic_encode([True, False], MODEL), TypeError, r"symbols\[0\] must be an integer symbol class"),
    case("add-alpha-surprisal", lambda: xl.ngram.add_alpha_surprisal(BOOL, [1, 1, 1], 1.0, 3), TypeError, r"pair_count is a boolean array"),
]

MASKED_AND_RAGGED = [
    case("linear-ce-masked-target", lambda: xl.linear_cross_entropy(H, W, np.ma.array([0, 2], mask=[False, True])), TypeError, r"target is a masked array with masked entries"),
    case("linear-ce-grad-masked-target", lambda: xl.linear_cross_entropy_grad(H, W, np.ma.array([0, 2], mask=[False, True])), TypeError, r"target is a masked array"),
    case("ece-masked-target", lambda: xl.expected_calibration_error(P3, MASKED_TARGET), TypeError, r"target is a masked array"),
    case("bins-masked-target", lambda: xl.reliability_bins(P3, MASKED_TARGET), TypeError, r"target is a masked array"),
    case("brier-masked-target", lambda: xl.brier_score(P3, MASKED_TARGET), TypeError, r"target is a masked array"),
    case("fit-temperature-masked-target", lambda: xl.fit_temperature(np.log(P3), MASKED_TARGET), TypeError, r"target is a masked array"),
    case("linear-ce-ragged-target", lambda: xl.linear_cross_entropy(H, W, [[0, 1], [2]]), TypeError, r"target must be array-like of numbers \(a ragged list"),
    case("ece-ragged-target", lambda: xl.expected_calibration_error(P3, [[0], [1, 2], [1]]), TypeError, r"target must be array-like of numbers \(a ragged list"),
    case("fit-temperature-ragged-target", lambda: xl.fit_temperature(np.log(P3), [[0], [1, 2], [1]]), TypeError, r"target must be array-like"),
]

SEQUENCES = [
    case("next-token-uint64-wrap", lambda: next_token_targets(U64), ValueError, r"tokens holds 18446744073709551516; expected token ids from 0"),
    case("sequence-ce-uint64-wrap", lambda: sequence_cross_entropy(np.zeros((1, 3, 3)), U64), ValueError, r"target holds 18446744073709551516"),
    case("next-token-negative-id", lambda: next_token_targets([[1, -100, 3]]), ValueError, r"tokens holds -100.*collide with ignore_index"),
    case("pad-negative-id", lambda: pad_sequences([[1, -2], [3]]), ValueError, r"sequences\[0\] holds -2"),
    case("pad-value-float-for-ids", lambda: pad_sequences([[1, 2], [3]], pad_value=1.5), ValueError, r"pad_value must be an integer for sequences of integer token ids; got 1.5"),
    case("pad-value-none", lambda: pad_sequences([[1, 2], [3]], pad_value=None), TypeError, r"pad_value must be a number; got None"),
    case("pad-value-too-large", lambda: pad_sequences([[1, 2], [3]], pad_value=2**70), ValueError, r"pad_value must fit in int64"),
    case("pad-none", lambda: pad_sequences(None), TypeError, r"sequences must be a list of sequences; got None"),
    case("pad-scalar", lambda: pad_sequences(3), TypeError, r"sequences must be a list of sequences; got 3"),
    case("pad-scalar-sequence", lambda: pad_sequences([3, 4]), ValueError, r"sequences\[0\] is a scalar"),
    case("pad-trailing-mismatch", lambda: pad_sequences([np.ones((2, 3)), np.ones((1, 4))]), ValueError, r"same trailing dimensions"),
    case("pad-strings", lambda: pad_sequences(["ab", "c"]), TypeError, r"sequences\[0\] must be array-like of numbers"),
]

SCORING_FOCAL_DISTILLATION = [
    case("gnll-var-nan", lambda: xl.gaussian_nll_loss([0.0], [0.0], NAN), ValueError, r"var must be >= 0 and finite"),
    case("gnll-var-inf", lambda: xl.gaussian_nll_loss([0.0], [0.0], INF), ValueError, r"var must be >= 0 and finite"),
    case("gnll-var-array-nan", lambda: xl.gaussian_nll_loss([0.0, 1.0], [0.0, 1.0], [1.0, NAN]), ValueError, r"var contains NaN"),
    case("gnll-var-array-inf", lambda: xl.gaussian_nll_loss([0.0, 1.0], [0.0, 1.0], [1.0, INF]), ValueError, r"var must be finite"),
    case("gnll-input-inf", lambda: xl.gaussian_nll_loss([INF], [0.0], 1.0), ValueError, r"input must be finite"),
    case("gnll-target-nan", lambda: xl.gaussian_nll_loss([0.0], [NAN], 1.0), ValueError, r"target contains NaN"),
    case("gnll-target-inf", lambda: xl.gaussian_nll_loss([0.0], [-INF], 1.0), ValueError, r"target must be finite"),
    case("gnll-eps-nan", lambda: xl.gaussian_nll_loss([0.0], [0.0], 1.0, eps=NAN), ValueError, r"eps must be a number > 0"),
    case("gnll-eps-inf", lambda: xl.gaussian_nll_loss([0.0], [0.0], 1.0, eps=INF), ValueError, r"eps must be a number > 0"),
    case("gnll-full-string", lambda: xl.gaussian_nll_loss([0.0], [0.0], 1.0, full="yes"), TypeError, r"full must be True or False; got 'yes'"),
    case("gnll-full-int", lambda: xl.gaussian_nll_loss([0.0], [0.0], 1.0, full=2), TypeError, r"full must be True or False; got 2"),
    case("distillation-huge-temperature", lambda: xl.distillation_loss(Z2, Z2, temperature=1e300), ValueError, r"temperature must be at most 1e\+150"),
    case("distillation-grad-huge-temperature", lambda: xl.distillation_loss_grad(Z2, Z2, temperature=1e300), ValueError, r"temperature must be at most"),
    case("distillation-grad-return-loss-no", lambda: xl.distillation_loss_grad(Z2, Z2, return_loss="no"), TypeError, r"return_loss must be True or False; got 'no'"),
    case("kl-div-log-target-string", lambda: xl.kl_div(np.log(P3), P3, log_target="no"), TypeError, r"log_target must be True or False"),
]

LINEAR = [
    case("return-loss-no", lambda: xl.linear_cross_entropy_grad(H, W, [0, 2], return_loss="no"), TypeError, r"return_loss must be True or False; got 'no'"),
    case("return-loss-one", lambda: xl.linear_cross_entropy_grad(H, W, [0, 2], return_loss=1), TypeError, r"return_loss must be True or False; got 1"),
    case("ce-weight-wrong-shape", lambda: xl.linear_cross_entropy(H, W, [0, 2], ce_weight=[1.0, 2.0]), ValueError, r"ce_weight must have shape \(3,\), one weight per class"),
    case("ce-weight-negative", lambda: xl.linear_cross_entropy(H, W, [0, 2], ce_weight=[1.0, -2.0, 1.0]), ValueError, r"ce_weight must hold weights >= 0"),
    case("ce-weight-nan", lambda: xl.linear_cross_entropy(H, W, [0, 2], ce_weight=[1.0, NAN, 1.0]), ValueError, r"ce_weight contains NaN"),
    case("no-classes", lambda: xl.linear_cross_entropy(np.zeros((2, 0)), np.zeros((0, 0)), [0, 0]), ValueError, r"weight must have shape \(V, H\).*V >= 1"),
]

CALIBRATION = [
    case("fit-max-iter-zero", lambda: xl.fit_temperature(Z2, [0, 1, 0], max_iter=0), ValueError, r"max_iter must be a positive integer"),
    case("fit-max-iter-negative", lambda: xl.fit_temperature(Z2, [0, 1, 0], max_iter=-1), ValueError, r"max_iter must be a positive integer"),
    case("fit-max-iter-float", lambda: xl.fit_temperature(Z2, [0, 1, 0], max_iter=2.5), TypeError, r"max_iter must be a positive integer; got 2.5"),
    case("fit-tol-negative", lambda: xl.fit_temperature(Z2, [0, 1, 0], tol=-1e-3), ValueError, r"tol must be a finite number >= 0"),
    case("fit-tol-nan", lambda: xl.fit_temperature(Z2, [0, 1, 0], tol=NAN), ValueError, r"tol must be a finite number >= 0"),
    case("fit-tol-string", lambda: xl.fit_temperature(Z2, [0, 1, 0], tol="x"), TypeError, r"tol must be a real number"),
    case("fit-bounds-scalar", lambda: xl.fit_temperature(Z2, [0, 1, 0], bounds=1.0), TypeError, r"bounds must be a pair \(low, high\)"),
    case("fit-bounds-triple", lambda: xl.fit_temperature(Z2, [0, 1, 0], bounds=(0.1, 1.0, 10.0)), TypeError, r"bounds must be a pair"),
    case("fit-one-class", lambda: xl.fit_temperature([[1.0], [2.0]], [0, 0]), ValueError, r"logits has 1 class\(es\); a temperature needs at least 2"),
    case("ece-ignore-index-float", lambda: xl.expected_calibration_error(P3, Y3, ignore_index=1.5), TypeError, r"ignore_index must be an integer or None"),
    case("ece-target-out-of-range", lambda: xl.expected_calibration_error(P3, [0, 3, 1]), ValueError, r"target holds class 3, out of range for 3 classes"),
    case("ece-uint64-target", lambda: xl.expected_calibration_error(P3, np.array([0, 2**64 - 1, 1], np.uint64)), ValueError, r"target holds class 18446744073709551615"),
    case("ece-float16-not-a-distribution", lambda: xl.expected_calibration_error(np.float16([[0.7, 0.2, 0.2]]), [0]), ValueError, r"probs must sum to 1"),
]

ARITHMETIC_CODING = [
    case("encode-float-symbol", lambda: arithmetic_encode([1.7], MODEL), TypeError, r"symbols\[0\] must be an integer symbol class; got 1.7"),
    case("encode-nan-symbol", lambda: arithmetic_encode([NAN], MODEL), TypeError, r"symbols\[0\] must be an integer"),
    case("encode-complex-symbol", lambda: arithmetic_encode([1j], MODEL), TypeError, r"symbols\[0\] must be an integer"),
    case("encode-nested-symbol", lambda: arithmetic_encode([[1, 2]], MODEL), TypeError, r"symbols\[0\] must be an integer"),
    case("encode-none-symbol", lambda: arithmetic_encode([None], MODEL), TypeError, r"symbols\[0\] must be an integer"),
    case("encode-string", lambda: arithmetic_encode("abra", MODEL), TypeError, r"symbols must be a sequence of integer symbol classes.*alphabet\.encode"),
    case("encode-none", lambda: arithmetic_encode(None, MODEL), TypeError, r"symbols must be a sequence"),
    case("encode-model-none", lambda: arithmetic_encode([0, 1], None), TypeError, r"model must be an object with a method cumulative_frequencies"),
    case("encode-model-dict", lambda: arithmetic_encode([0, 1], {}), TypeError, r"model must be an object with a method cumulative_frequencies"),
    case("encode-model-list", lambda: arithmetic_encode([0, 1], [0, 1, 2]), TypeError, r"model must be an object"),
    case("decode-model-none", lambda: arithmetic_decode(b"\x00", 2, None), TypeError, r"model must be an object"),
    case("decode-code-string", lambda: arithmetic_decode("abc", 2, MODEL), TypeError, r"code must be bytes"),
    case("decode-n-float", lambda: arithmetic_decode(b"\x00", 2.0, MODEL), TypeError, r"n_symbols must be an integer; got 2.0"),
    case("decode-n-negative", lambda: arithmetic_decode(b"\x00", -1, MODEL), ValueError, r"n_symbols must be >= 0; got -1"),
    case("ideal-length-float-symbol", lambda: ideal_code_length([0.5], MODEL), TypeError, r"symbols\[0\] must be an integer"),
    case("bits-per-char-empty", lambda: MODEL.bits_per_char(""), ValueError, r"text is empty"),
    case("history-outside-alphabet", lambda: MODEL.cumulative_frequencies([99]), ValueError, r"history holds symbol 99, outside the alphabet's 6 classes"),
    case("history-negative", lambda: MODEL.cumulative_frequencies([-1]), ValueError, r"history holds symbol -1"),
    case("history-float", lambda: MODEL.cumulative_frequencies([1.5]), TypeError, r"history must hold integer symbol classes"),
    case("history-string", lambda: MODEL.cumulative_frequencies("ab"), TypeError, r"history must be a sequence of symbol classes"),
]


# Found by a sweep of every public function of lessons 08-14 with None, strings, NaN, inf,
# bools, arrays, huge integers and the like in each argument.
SWEEP = [
    case("strategy-array", lambda: xl.expected_calibration_error(P3, Y3, strategy=np.array([1, 2])), ValueError, r"strategy must be one of"),
    case("mean-array", lambda: sequence_cross_entropy(np.zeros((1, 3, 2)), [[0, 1]], mean=np.array([1, 2])), ValueError, r"mean must be one of"),
    case("kl-reduction-array", lambda: xl.kl_div(np.log(P3), P3, reduction=np.array([1, 2])), ValueError, r"reduction must be one of"),
    case("n-bins-huge", lambda: xl.reliability_bins(P3, Y3, n_bins=2**70), ValueError, r"n_bins must be a positive integer"),
    case("tol-huge-int", lambda: xl.fit_temperature(Z2, [0, 1, 0], tol=2**1100), ValueError, r"tol must be a finite number"),
    case("var-huge-int", lambda: xl.gaussian_nll_loss([0.0], [0.0], 2**1100), ValueError, r"var must be >= 0 and finite"),
    case("ignore-index-huge", lambda: next_token_targets([[1, 2]], ignore_index=2**70), ValueError, r"ignore_index must fit in int64"),
    case("bigram-table-scalar", lambda: xl.sequences.bigram_logits(1.0, [[0, 1]]), ValueError, r"W must have shape \(V, V\)"),
    case("bigram-table-bool", lambda: xl.sequences.bigram_loss_and_grad(np.eye(3, dtype=bool), [[0, 1]], [[1, 2]]), TypeError, r"W is a boolean array"),
    case("bigram-input-out-of-table", lambda: xl.sequences.bigram_logits(np.zeros((3, 3)), [[0, 5]]), ValueError, r"inputs holds token 5, out of range for a table of 3"),
    case("random-windows-rng", lambda: xl.sequences.random_windows(np.arange(9), 2, 3, rng=0), TypeError, r"rng must be a numpy.random.Generator"),
    case("micro-batch-ragged", lambda: xl.sequences.micro_batch_token_weights([[1, 2], [3]]), TypeError, r"token_counts must be array-like"),
    case("bits-by-order-train", lambda: xl.ngram.bits_per_char_by_order(None, "ab", [0, 1]), TypeError, r"train must be a string"),
    case("bits-by-order-orders", lambda: xl.ngram.bits_per_char_by_order("abab", "ab", 2), TypeError, r"orders must be a list of integer orders"),
    case("bits-by-order-order-float", lambda: xl.ngram.bits_per_char_by_order("abab", "ab", [1.5]), TypeError, r"order must be an integer"),
    case("ngram-huge-order", lambda: CharNGramModel("abab", order=2**70), ValueError, r"too long"),
    case("gaussian-on-grid-mean", lambda: xl.distillation.gaussian_on_grid(np.linspace(-1, 1, 5), None, 1.0), TypeError, r"mean must be a finite real number"),
    case("correlated-gaussians-seed-none", lambda: xl.correlated_gaussians(4, 0.5, seed=None), TypeError, r"seed must be an integer >= 0 or a numpy.random.Generator"),
    case("alpha-surprisal-negative-count", lambda: xl.ngram.add_alpha_surprisal([-1], [4], 1.0, 4), ValueError, r"pair_count must hold finite counts >= 0"),
    case("alpha-surprisal-inf-count", lambda: xl.ngram.add_alpha_surprisal([1], [np.inf], 1.0, 4), ValueError, r"context_count must hold finite counts"),
    case("alpha-surprisal-vocab", lambda: xl.ngram.add_alpha_surprisal([1], [4], 1.0, None), TypeError, r"vocab_size must be a positive integer"),
    case("alpha-surprisal-shapes", lambda: xl.ngram.add_alpha_surprisal([1, 2], [4, 4, 4], 1.0, 4), ValueError, r"pair_count \(2,\) and context_count \(3,\) must broadcast"),
    case("history-dict", lambda: MODEL.cumulative_frequencies({}), TypeError, r"history must be a sequence of symbol classes"),
    # issue 23's last sweep: a scalar for huffman_code's labels was a bare "not iterable"
    case("huffman-symbols-scalar", lambda: huffman_code([0.5, 0.5], symbols=3), TypeError, r"symbols must be a sequence of labels, one per probability; got 3"),
    case("bigram-targets-float", lambda: xl.sequences.bigram_loss_and_grad(np.zeros((3, 3)), [[0, 1]], [[0.5, 1.0]]), TypeError, r"targets must hold integer class indices"),
    case("bigram-targets-shape", lambda: xl.sequences.bigram_loss_and_grad(np.zeros((3, 3)), [[0, 1]], [[1]]), ValueError, r"targets must have shape \(1, 2\)"),
    case("bigram-targets-range", lambda: xl.sequences.bigram_loss_and_grad(np.zeros((3, 3)), [[0, 1]], [[1, 7]]), ValueError, r"targets holds class index 7"),
    case("huffman-symbols-nan", lambda: huffman_code([0.5, 0.5], symbols=NAN), TypeError, r"symbols must be a sequence of labels"),
]

# The sweep of this session: a count of 2**70 decoded or sampled forever (a hang), or met
# NumPy's "Maximum allowed dimension exceeded"; sample's n_chars was called "order".
BIG = 2**70
COUNTS = [
    case("decode-n-symbols-2**70", lambda: arithmetic_decode(b"", BIG, MODEL), ValueError, r"n_symbols must be at most 2\*\*63 - 1"),
    case("decode-n-symbols-uint64-max", lambda: arithmetic_decode(b"", np.uint64(2**64 - 1), MODEL), ValueError, r"n_symbols must be at most"),
    case("sample-n-chars-2**70", lambda: MODEL.sample(BIG, np.random.default_rng(0)), ValueError, r"n_chars must be at most 2\*\*63 - 1"),
    case("sample-n-chars-named", lambda: MODEL.sample(1.5, np.random.default_rng(0)), TypeError, r"n_chars must be an integer; got 1.5"),
    case("windows-n-tokens-2**70", lambda: xl.sliding_window_spans(BIG, 8, 4), ValueError, r"n_tokens must be at most"),
    case("random-windows-batch-2**70", lambda: xl.sequences.random_windows(np.arange(20), BIG, 5, np.random.default_rng(0)), ValueError, r"batch_size must be at most"),
    case("train-bigram-vocab-2**70", lambda: xl.sequences.train_bigram(np.arange(20) % 5, BIG, steps=1), ValueError, r"vocab_size must be at most"),
    case("train-bigram-steps-2**70", lambda: xl.sequences.train_bigram(np.arange(20) % 5, 5, steps=BIG), ValueError, r"steps must be at most"),
    case("ring-mixture-n-classes-2**70", lambda: xl.mixture.ring_mixture(n_classes=BIG), ValueError, r"n_classes must be at most"),
    case("ring-mixture-blobs-2**70", lambda: xl.mixture.ring_mixture(blobs_per_class=BIG), ValueError, r"blobs_per_class must be at most"),
    case("mixture-sample-n-2**70", lambda: xl.mixture.ring_mixture().sample(BIG), ValueError, r"n must be at most"),
    case("correlated-gaussians-n-2**70", lambda: xl.correlated_gaussians(BIG, 0.5), ValueError, r"n must be at most"),
    # and bare "not iterable" / "truth value of an array" errors the sweep found
    case("ngram-pad-none", lambda: CharNGramModel("abc", 1, pad=None), TypeError, r"pad must be one character \(a str of length 1\); got None"),
    case("kneser-ney-pad-int", lambda: xl.ngram.KneserNeyModel("abc", 1, pad=0), TypeError, r"pad must be one character"),
    case("alphabet-none", lambda: xl.corpus.Alphabet(None), TypeError, r"chars must be a string or an iterable of single characters; got None"),
    case("alphabet-ragged", lambda: xl.corpus.Alphabet([[1], [2]]), TypeError, r"chars must be a string or an iterable"),
    case("history-0-d-array", lambda: MODEL.cumulative_frequencies(np.array(1)), TypeError, r"history must be a sequence of symbol classes"),
    case("bits-per-byte-unit-array", lambda: xl.bits_per_byte(1.0, "ab", unit=np.array([1, 2])), ValueError, r'unit must be "nats" or "bits"'),
    case("fit-gaussian-kl-direction-array", lambda: xl.distillation.fit_gaussian_kl([0.5, 0.5], [0.0, 1.0], [0.0], [1.0], direction=np.array([1, 2])), ValueError, r"direction must be 'forward' or 'reverse'"),
    case("train-bigram-betas-none", lambda: xl.sequences.train_bigram(np.arange(20) % 5, 5, steps=2, betas=None), TypeError, r"betas must be a pair \(beta1, beta2\)"),
    case("train-bigram-betas-range", lambda: xl.sequences.train_bigram(np.arange(20) % 5, 5, steps=2, betas=(0.9, 1.5)), ValueError, r"betas must hold numbers in \[0, 1\)"),
    case("train-bigram-eps-str", lambda: xl.sequences.train_bigram(np.arange(20) % 5, 5, steps=2, eps="x"), TypeError, r"eps must be a real number"),
    case("train-bigram-eps-nan", lambda: xl.sequences.train_bigram(np.arange(20) % 5, 5, steps=2, eps=NAN), ValueError, r"eps must be a finite number > 0"),
    case("train-bigram-seed-float", lambda: xl.sequences.train_bigram(np.arange(20) % 5, 5, steps=2, seed=1.5), TypeError, r"seed must be an integer"),
    case("train-bigram-checkpoint-str", lambda: xl.sequences.train_bigram(np.arange(20) % 5, 5, steps=2, checkpoint_every="x"), TypeError, r"checkpoint_every must be an integer"),
]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    BOOL_ARRAYS + MASKED_AND_RAGGED + SEQUENCES + SCORING_FOCAL_DISTILLATION + LINEAR
    + CALIBRATION + ARITHMETIC_CODING + SWEEP + COUNTS,
)
def test_bad_input_raises_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ------------------------------------------------------------- valid input, taken


def test_float16_probabilities_are_distributions_to_float16_precision():
    # [0.7, 0.2, 0.1] in float16 sums to 1.0001220703125; it is a distribution all the same
    p16 = P3.astype(np.float16)
    assert abs(float(p16.astype(np.float64).sum(axis=1)[0]) - 1) > 1e-6  # the case is real
    p = p16.astype(np.float64) / p16.astype(np.float64).sum(axis=1, keepdims=True)
    assert xl.expected_calibration_error(p16, Y3, n_bins=5) == pytest.approx(
        xl.expected_calibration_error(p, Y3, n_bins=5), abs=1e-3
    )
    assert xl.reliability_bins(p16, Y3, n_bins=5).count.sum() == 3
    assert xl.brier_score(p16, Y3) == pytest.approx(xl.brier_score(p, Y3), abs=1e-3)


def test_a_float32_softmax_upcast_to_float64_is_a_soft_target():
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(0)
    teacher = torch.randn(4, 50257, generator=gen) * 3
    soft = torch.softmax(teacher, dim=1).double().numpy()  # computed in float32
    sums = soft.sum(axis=1)
    logits = np.random.default_rng(0).standard_normal((4, 50257))
    ours = xl.categorical_cross_entropy(logits, soft)
    theirs = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(soft))
    assert ours == pytest.approx(theirs.item(), rel=1e-12)
    assert np.abs(sums - 1).max() < 1e-4  # within float32's tolerance, whatever it is here
    # a float64 array that is clearly not a distribution is still refused
    with pytest.raises(ValueError, match="target must sum to 1"):
        xl.categorical_cross_entropy(logits, soft * 1.01)


def test_a_confidence_of_exactly_one_goes_in_the_last_bin_unlike_torchmetrics():
    # Ours, the continuous definition: both in [0.5, 1]; torchmetrics: 1.0 in a bin of its own (0.55)
    assert xl.expected_calibration_error([1.0, 0.9], [0, 1], n_bins=2) == pytest.approx(0.45)
    assert xl.expected_calibration_error([0.99999, 0.9], [0, 1], n_bins=2) == pytest.approx(0.45, abs=1e-4)
    doc = xl.expected_calibration_error.__doc__
    assert "0.55" in doc and "torchmetrics" in doc


def test_calibration_ignore_index_leaves_those_samples_out():
    kept = np.array([0, 2])
    y = np.array([0, -100, 2])
    for fn in (xl.expected_calibration_error, xl.brier_score):
        assert fn(P3, y, ignore_index=-100) == pytest.approx(fn(P3[kept], y[kept]))
    bins = xl.reliability_bins(P3, y, n_bins=4, ignore_index=-100)
    assert bins.count.sum() == 2
    none = xl.brier_score(P3, y, reduction="none", ignore_index=-100)
    assert none[1] == 0 and none.shape == (3,)
    z = np.log(P3) * 2
    assert xl.fit_temperature(z, y, ignore_index=-100) == pytest.approx(xl.fit_temperature(z[kept], y[kept]))
    np.testing.assert_allclose(
        xl.calibration.temperature_nll(z, y, [1.0, 2.0], ignore_index=-100), xl.calibration.temperature_nll(z[kept], y[kept], [1.0, 2.0])
    )
    with pytest.raises(ValueError, match=r"target holds class -100"):  # without it, -100 is a bad class
        xl.brier_score(P3, y)


def test_fit_temperature_still_fits_with_one_step_and_zero_tolerance():
    z, y = np.array([[4.0, 0.0], [0.0, 4.0], [4.0, 0.0]]), np.array([0, 1, 1])
    best = xl.fit_temperature(z, y)
    assert xl.fit_temperature(z, y, max_iter=1) != 1.0  # one Newton step moves away from T = 1
    assert xl.fit_temperature(z, y, tol=0.0) == pytest.approx(best, rel=1e-9)


def test_sigmoid_focal_loss_grad_at_minus_inf_is_its_limit():
    at_inf = xl.sigmoid_focal_loss_grad([-INF], [1.0])
    far = xl.sigmoid_focal_loss_grad([-5000.0], [1.0])
    np.testing.assert_array_equal(at_inf, [-0.25])
    np.testing.assert_array_equal(at_inf, far)
    soft = xl.sigmoid_focal_loss_grad([-INF, -INF], [0.3, 0.0], alpha=-1)
    assert np.isfinite(soft).all()
    np.testing.assert_allclose(soft, xl.sigmoid_focal_loss_grad([-1e4, -1e4], [0.3, 0.0], alpha=-1))


def test_arithmetic_decode_takes_numpy_integer_counts():
    message = list(MODEL.alphabet.encode("abracadabra"))
    code = arithmetic_encode(np.array(message), MODEL)  # NumPy integer symbols too
    assert arithmetic_decode(code, np.int64(len(message)), MODEL) == message


def test_next_token_targets_of_an_empty_batch():
    inputs, targets = next_token_targets(np.zeros((0, 5), dtype=np.int64))
    assert inputs.shape == targets.shape == (0, 4)
    inputs, targets = next_token_targets(np.zeros((0, 5), dtype=np.int64), lengths=np.zeros(0, int))
    assert inputs.shape == (0, 4)


def test_next_token_targets_allow_any_pad_id_beyond_the_lengths():
    _, targets = next_token_targets([[7, 8, 9, -1]], lengths=[3])
    np.testing.assert_array_equal(targets, [[8, 9, -100]])


def test_pad_sequences_matches_torch_pad_sequence_with_trailing_dims_and_floats():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 3, 2)).astype(np.float32) for n in (4, 1, 3)]
    ours, lengths = pad_sequences(seqs, pad_value=-1.5)
    theirs = torch.nn.utils.rnn.pad_sequence(
        [torch.from_numpy(s) for s in seqs], batch_first=True, padding_value=-1.5
    )
    assert ours.dtype == np.float32 and ours.shape == (3, 4, 3, 2)
    np.testing.assert_array_equal(ours, theirs.numpy())
    np.testing.assert_array_equal(lengths, [4, 1, 3])
    ids, _ = pad_sequences([np.array([1, 2], np.int32), [3]], pad_value=np.int64(0))
    assert ids.dtype == np.int64
    floats, _ = pad_sequences([[0.5, 1.5], [2.0]], pad_value=0)
    np.testing.assert_array_equal(floats, [[0.5, 1.5], [2.0, 0.0]])
    whole, _ = pad_sequences([[1, 2], [3]], pad_value=2.0)  # an integral float pads ids
    np.testing.assert_array_equal(whole, [[1, 2], [3, 2]])


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "mean", "none"])
def test_kl_div_and_distillation_of_an_empty_batch_match_torch(reduction):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    empty = np.zeros((0, 4))
    theirs = F.kl_div(torch.from_numpy(empty), torch.from_numpy(empty), reduction=reduction)
    ours = xl.kl_div(empty, empty, reduction=reduction)
    dist = xl.distillation_loss(empty, empty, temperature=2.0, reduction=reduction)
    grad = xl.distillation_loss_grad(empty, empty, temperature=2.0, reduction=reduction)
    assert grad.shape == (0, 4)
    if reduction == "none":
        assert ours.shape == dist.shape == (0, 4)
    else:
        np.testing.assert_equal(ours, theirs.item())
        np.testing.assert_equal(dist, theirs.item() * 4)


def _torch_focal(x, t, reduction):
    import torch

    p = torch.sigmoid(x)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** 2)
    loss = (0.25 * t + 0.75 * (1 - t)) * loss
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_empty_batches_of_gaussian_nll_and_focal_loss_match_torch(reduction):
    torch = pytest.importorskip("torch")
    empty = np.zeros((0, 3))
    theirs = torch.nn.functional.gaussian_nll_loss(
        torch.from_numpy(empty), torch.from_numpy(empty), torch.ones(0, 3, dtype=torch.float64),
        reduction=reduction,
    )
    ours = xl.gaussian_nll_loss(empty, empty, np.ones((0, 3)), reduction=reduction)
    focal = xl.sigmoid_focal_loss(empty, empty, reduction=reduction)
    their_focal = _torch_focal(torch.from_numpy(empty), torch.from_numpy(empty), reduction)
    assert xl.sigmoid_focal_loss_grad(empty, empty, reduction=reduction).shape == (0, 3)
    if reduction == "none":
        assert ours.shape == focal.shape == (0, 3)
    else:
        np.testing.assert_equal(ours, theirs.item())
        np.testing.assert_equal(focal, their_focal.item())


def test_z_loss_and_softcap_take_python_ints_of_any_size():
    # 2**70 went to np.isfinite, which cannot take it ("ufunc 'isfinite' not supported")
    big = xl.linear_cross_entropy(H, W, [0, 2], z_loss=2**70)
    assert math.isfinite(big) and big > 1e20
    assert xl.linear_cross_entropy(H, W, [0, 2], softcap=2**70) == pytest.approx(
        xl.linear_cross_entropy(H, W, [0, 2]), rel=1e-12
    )
    with pytest.raises(ValueError, match=r"z_loss must be a finite number >= 0"):
        xl.linear_cross_entropy(H, W, [0, 2], z_loss=-(2**70))


def test_linear_cross_entropy_with_no_hidden_units_is_log_v_as_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    h, w, y = np.zeros((3, 0)), np.zeros((5, 0)), np.array([1, 4, 0])
    assert xl.linear_cross_entropy(h, w, y) == pytest.approx(math.log(5), rel=1e-15)
    bias = np.array([0.5, -1.0, 2.0, 0.0, 1.0])
    ht, wt, bt = (torch.tensor(a, requires_grad=True) for a in (h, w, bias))
    for kwargs in ({}, {"label_smoothing": 0.2}, {"reduction": "sum"}):
        loss = F.cross_entropy(ht @ wt.T + bt, torch.from_numpy(y), **kwargs)
        (d_b,) = torch.autograd.grad(loss, [bt])
        ours = xl.linear_cross_entropy_grad(h, w, y, bias=bias, return_loss=True, **kwargs)
        assert ours[0] == pytest.approx(loss.item(), rel=1e-12)
        assert ours[1].shape == (3, 0) and ours[2].shape == (5, 0)
        np.testing.assert_allclose(ours[3], d_b.numpy(), rtol=0, atol=1e-12)
