"""``xl.sliding_window_spans``: every token scored exactly once, and Hugging Face's windows.

The reference is the loop of Hugging Face's guide "Perplexity of fixed-length models"
(transformers, docs/source/en/perplexity.md), ported here on spans only (no model, no
transformers import): which tokens each window reads, and which of its labels the model's
internal shift scores.
"""

import itertools

import pytest

import xent_lessons as xl


def hugging_face_spans(seq_len, max_length, stride):
    """The guide's loop, computing spans: (begin, end, first scored target, end) per window."""
    spans, prev_end_loc = [], 0
    for begin_loc in range(0, seq_len, stride):
        end_loc = min(begin_loc + max_length, seq_len)
        trg_len = end_loc - prev_end_loc  # may be different from stride on last loop
        # target_ids[:, :-trg_len] = -100: labels at positions >= end_loc - trg_len count;
        # the model's shift drops the label at the window's first position (no context).
        first_label = max(end_loc - trg_len, begin_loc)
        first_scored = max(first_label, begin_loc + 1)
        spans.append((begin_loc, end_loc, first_scored, end_loc))
        prev_end_loc = end_loc
        if end_loc == seq_len:
            break
    return spans


CASES = [(n, L, s) for n, L in itertools.product([2, 3, 5, 16, 17, 40, 101], [2, 3, 4, 8, 16])
         for s in range(1, L)]


@pytest.mark.parametrize(("n", "L", "s"), CASES)
def test_every_token_but_the_first_is_scored_exactly_once(n, L, s):
    spans = xl.sliding_window_spans(n, L, s)
    scored = [t for span in spans for t in range(span.target_start, span.target_end)]
    assert scored == list(range(1, n))
    for span in spans:
        assert 0 <= span.input_start < span.target_start <= span.target_end <= span.input_end <= n
        assert span.input_end - span.input_start <= L
        assert span.target_end == span.input_end  # a window scores its last targets
    # each later window's targets have at least L - s tokens of context in their window
    for span in spans[1:]:
        if span.input_end - span.input_start == L:
            assert span.target_start - span.input_start >= L - s


@pytest.mark.parametrize(("n", "L", "s"), CASES)
def test_equal_to_hugging_face_loop_below_stride_max_length(n, L, s):
    assert [tuple(w) for w in xl.sliding_window_spans(n, L, s)] == hugging_face_spans(n, L, s)


def test_hugging_face_loop_at_stride_max_length_skips_each_window_start():
    # transformers issue 30975: with stride = max_length, the label at each later window's
    # first position is dropped by the shift and no window scores it.
    spans = hugging_face_spans(20, 5, 5)
    scored = {t for _, _, a, b in spans for t in range(a, b)}
    assert sorted(set(range(1, 20)) - scored) == [5, 10, 15]


def test_stride_context_length_minus_one_gives_windows_sharing_one_token():
    spans = xl.sliding_window_spans(13, 5, 4)
    assert [tuple(w) for w in spans] == [(0, 5, 1, 5), (4, 9, 5, 9), (8, 13, 9, 13)]


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((1, 4, 2), ValueError, "n_tokens must be >= 2"),
        ((10, 1, 1), ValueError, "context_length must be >= 2"),
        ((10, 4, 0), ValueError, "stride must be >= 1"),
        ((10, 4, 4), ValueError, "stride must be at most context_length - 1 = 3; got 4"),
        ((10.0, 4, 2), TypeError, "n_tokens must be an integer"),
        ((10, 4, True), TypeError, "stride must be an integer"),
    ],
)
def test_bad_input_is_refused_clearly(args, error, words):
    with pytest.raises(error, match=words):
        xl.sliding_window_spans(*args)
