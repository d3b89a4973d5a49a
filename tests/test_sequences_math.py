"""The math of lesson 09 against PyTorch: the shift and mask, the three means, accumulation,
the bigram model's gradient and its training with Adam (float64, to 1e-12)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import xent_lessons as xl
from xent_lessons.sequences import (
    MEANS,
    bigram_logits,
    bigram_loss_and_grad,
    micro_batch_token_weights,
    next_token_targets,
    pad_sequences,
    random_windows,
    sequence_cross_entropy,
    train_bigram,
)

TOL = 1e-12


def _batch(rng, B=3, V=6, T=7):
    z = rng.normal(0.0, 3.0, size=(B, V, T))
    y = rng.integers(0, V, size=(B, T))
    y[0, 4:] = -100
    y[2, 1:] = -100
    return z, y


def test_pad_and_shift():
    tokens, lengths = pad_sequences([[1, 2, 3, 4], [5, 6], [7]], pad_value=0)
    assert tokens.tolist() == [[1, 2, 3, 4], [5, 6, 0, 0], [7, 0, 0, 0]]
    assert lengths.tolist() == [4, 2, 1]
    inputs, targets = next_token_targets(tokens, lengths, ignore_index=-1)
    assert inputs.tolist() == [[1, 2, 3], [5, 6, 0], [7, 0, 0]]
    assert targets.tolist() == [[2, 3, 4], [6, -1, -1], [-1, -1, -1]]
    _, full_t = next_token_targets(tokens)  # no lengths: every row is full
    assert full_t.tolist()[1] == [6, 0, 0]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: next_token_targets([[1]]), ValueError, "at least 2 positions"),
        (lambda: next_token_targets([1, 2, 3]), ValueError, r"shape \(batch, time\)"),
        (lambda: next_token_targets([[1.0, 2.0]]), TypeError, "integer token ids"),
        (lambda: next_token_targets([[1, 2]], [3]), ValueError, "lengths must be between 1 and 2"),
        (lambda: next_token_targets([[1, 2]], [1, 2]), ValueError, r"lengths must have shape \(1,\)"),
        (lambda: pad_sequences([]), ValueError, "sequences is empty"),
        (lambda: pad_sequences([[1], []]), ValueError, "at least one token"),
        (lambda: random_windows(np.arange(5), 2, 6, np.random.default_rng(0)), ValueError, "longer than the text"),
        (lambda: sequence_cross_entropy(np.zeros((2, 3)), [[0, 1]]), ValueError, r"\(batch, vocab, time\)"),
        (lambda: sequence_cross_entropy(np.zeros((1, 3, 2)), [[0, 1]], mean="batch"), ValueError, "mean must be one of"),
        (lambda: micro_batch_token_weights([3, 0]), ValueError, "token_counts must be >= 1"),
        (lambda: train_bigram(np.array([0, 5]), vocab_size=3, steps=1), ValueError, "token_ids must be in"),
    ],
)
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_token_mean_matches_torch_and_the_flattened_layout(rng):
    z, y = _batch(rng)
    expected = F.cross_entropy(torch.tensor(z), torch.tensor(y)).item()
    assert sequence_cross_entropy(z, y, "token") == pytest.approx(expected, abs=TOL)
    assert xl.categorical_cross_entropy(z, y) == pytest.approx(expected, abs=TOL)
    flat = F.cross_entropy(torch.tensor(z).permute(0, 2, 1).reshape(-1, z.shape[1]),
                           torch.tensor(y).reshape(-1)).item()
    assert flat == pytest.approx(expected, abs=TOL)


def test_sequence_mean_and_per_sequence_sum_match_torch(rng):
    z, y = _batch(rng)
    per_token = F.cross_entropy(torch.tensor(z), torch.tensor(y), reduction="none").numpy()
    real = y != -100
    seq_means = per_token.sum(axis=1) / real.sum(axis=1)
    assert sequence_cross_entropy(z, y, "sequence") == pytest.approx(seq_means.mean(), abs=TOL)
    assert sequence_cross_entropy(z, y, "sequence_sum") == pytest.approx(per_token.sum() / 3, abs=TOL)
    # A row with no real target is left out of the sequence mean, not a NaN.
    y2 = y.copy()
    y2[1] = -100
    kept = [0, 2]
    expected = np.mean(per_token.sum(axis=1)[kept] / real.sum(axis=1)[kept])
    assert sequence_cross_entropy(z, y2, "sequence") == pytest.approx(expected, abs=TOL)


def test_a_fully_padded_batch_is_nan_like_torch_for_every_mean():
    z, y = np.zeros((2, 4, 3)), np.full((2, 3), -100)
    assert math.isnan(F.cross_entropy(torch.tensor(z), torch.tensor(y)).item())
    for mean in MEANS:
        assert math.isnan(sequence_cross_entropy(z, y, mean))


def test_the_three_means_weigh_tokens_as_documented():
    # Uniform logits over 4 classes: every real token costs ln 4; lengths 1 and 3.
    z = np.zeros((2, 4, 3))
    y = np.array([[0, -100, -100], [1, 2, 3]])
    assert sequence_cross_entropy(z, y, "token") == pytest.approx(math.log(4))
    assert sequence_cross_entropy(z, y, "sequence") == pytest.approx(math.log(4))
    assert sequence_cross_entropy(z, y, "sequence_sum") == pytest.approx(2 * math.log(4))
    # Make the short sequence's token cost more: the sequence mean weighs it 1/2, the token mean 1/4.
    z[0, :, 0] = [-5.0, 5.0, 5.0, 5.0]
    per = xl.categorical_cross_entropy(z, y, reduction="none")
    assert sequence_cross_entropy(z, y, "token") == pytest.approx((per[0, 0] + 3 * math.log(4)) / 4)
    assert sequence_cross_entropy(z, y, "sequence") == pytest.approx((per[0, 0] + math.log(4)) / 2)


def test_micro_batch_weights():
    naive, right = micro_batch_token_weights([2, 6])
    np.testing.assert_allclose(naive, [1 / 4, 1 / 12])
    np.testing.assert_allclose(right, [1 / 8, 1 / 8])
    assert (naive * [2, 6]).sum() == pytest.approx(1) and (right * [2, 6]).sum() == pytest.approx(1)


def _micro_batches(rng, V):
    out = []
    for B, T, n_pad in [(2, 9, 7), (1, 4, 0), (3, 5, 9), (2, 3, 5)]:
        tokens = rng.integers(0, V, size=(B, T + 1))
        lengths = np.full(B, T + 1)
        lengths[: min(B, n_pad)] = np.maximum(1, T + 1 - n_pad)
        out.append(next_token_targets(tokens, lengths))
    return out


def test_accumulating_sums_over_n_matches_the_full_batch_gradient_and_mean_of_means_does_not(rng):
    V = 7
    W = rng.normal(size=(V, V))
    micro = _micro_batches(rng, V)
    counts = [int(np.sum(t != -100)) for _, t in micro]
    N = sum(counts)
    # The full batch: all micro-batches' positions in one (1, V, sum T) sequence of rows.
    x_all = np.concatenate([x.reshape(-1) for x, _ in micro])[None, :]
    y_all = np.concatenate([y.reshape(-1) for _, y in micro])[None, :]
    table = torch.nn.Embedding(V, V, dtype=torch.float64)
    with torch.no_grad():
        table.weight.copy_(torch.tensor(W))

    def grad(losses):
        table.zero_grad()
        for loss in losses:
            loss.backward()
        return table.weight.grad.numpy().copy()

    def loss(x, y, reduction="mean"):
        return F.cross_entropy(table(torch.tensor(x)).permute(0, 2, 1), torch.tensor(y),
                               reduction=reduction)

    full = grad([loss(x_all, y_all)])
    fixed = grad(loss(x, y, "sum") / N for x, y in micro)
    naive = grad(loss(x, y) / len(micro) for x, y in micro)
    np.testing.assert_allclose(fixed, full, rtol=0, atol=TOL)
    assert np.abs(naive - full).max() > 1e-3
    # NumPy: each micro-batch's token-mean gradient, weighted by n_m / N.
    numpy_fixed = sum(n / N * bigram_loss_and_grad(W, x, y)[1] for n, (x, y) in zip(counts, micro, strict=True))
    np.testing.assert_allclose(numpy_fixed, full, rtol=0, atol=TOL)
    # and the accumulated loss equals the full batch's token mean
    total = sum(xl.categorical_cross_entropy(bigram_logits(W, x), y, reduction="sum") for x, y in micro)
    assert total / N == pytest.approx(loss(x_all, y_all).item(), abs=TOL)


def test_bigram_loss_and_grad_match_torch_autograd(rng):
    V = 9
    W = rng.normal(0.0, 2.0, size=(V, V))
    tokens = rng.integers(0, V, size=(4, 12))
    inputs, targets = next_token_targets(tokens, [12, 3, 8, 1])
    loss, grad = bigram_loss_and_grad(W, inputs, targets)
    W_t = torch.tensor(W, requires_grad=True)
    ref = F.cross_entropy(W_t[torch.tensor(inputs)].permute(0, 2, 1), torch.tensor(targets))
    ref.backward()
    assert loss == pytest.approx(ref.item(), abs=TOL)
    np.testing.assert_allclose(grad, W_t.grad.numpy(), rtol=0, atol=TOL)
    assert bigram_logits(W, inputs).shape == (4, V, 11)


def test_bigram_loss_and_grad_in_float32(rng):
    V = 6
    W = rng.normal(size=(V, V)).astype(np.float32)
    tokens = rng.integers(0, V, size=(2, 10))
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    loss, grad = bigram_loss_and_grad(W, inputs, targets)
    W_t = torch.tensor(W, requires_grad=True)
    ref = F.cross_entropy(W_t[torch.tensor(inputs)].permute(0, 2, 1), torch.tensor(targets))
    ref.backward()
    assert grad.dtype == np.float32
    assert loss == pytest.approx(ref.item(), rel=1e-5)
    np.testing.assert_allclose(grad, W_t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_train_bigram_follows_torch_adam_step_for_step():
    train, _ = xl.corpus.alice_split()
    alphabet = xl.corpus.Alphabet.of(xl.corpus.alice())
    ids = alphabet.encode(train[:20_000])
    V = len(alphabet)
    history = train_bigram(ids, V, steps=60, batch_size=8, length=33, lr=0.05, seed=3)
    table = torch.nn.Embedding(V, V, dtype=torch.float64)
    torch.nn.init.zeros_(table.weight)
    optimizer = torch.optim.Adam(table.parameters(), lr=0.05)
    rng = np.random.default_rng(3)
    losses = []
    for _ in range(60):
        w = torch.tensor(random_windows(ids, 8, 33, rng))
        optimizer.zero_grad()
        loss = F.cross_entropy(table(w[:, :-1]).permute(0, 2, 1), w[:, 1:])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    np.testing.assert_allclose(history.loss, losses, rtol=0, atol=TOL)
    np.testing.assert_allclose(history.W, table.weight.detach().numpy(), rtol=0, atol=TOL)
    assert history.loss[0] == pytest.approx(math.log(V), abs=1e-12)  # all-zero logits: ln V


def test_the_lessons_trained_bigram_meets_the_counts_on_held_out_text():
    train, held_out = xl.corpus.alice_split()
    alphabet = xl.corpus.Alphabet.of(xl.corpus.alice())
    history = train_bigram(alphabet.encode(train), len(alphabet), steps=300, checkpoint_every=100)
    assert sorted(history.checkpoints) == [0, 100, 200, 300]
    ids = alphabet.encode(held_out)
    bits = xl.categorical_cross_entropy(bigram_logits(history.W, ids[None, :-1]), ids[None, 1:]) / math.log(2)
    counted = xl.ngram.CharNGramModel(train, 1, 0.01, alphabet).surprisals(held_out)[1:].mean()
    assert bits == pytest.approx(3.5381, abs=1e-4)
    assert 0 < bits - counted < 0.03
