r"""Cross-entropy when the vocabulary is split across processes (``torch.distributed``).

With tensor parallelism the output layer's matrix :math:`W` (V rows) is cut into P slices of
rows, one per process: process :math:`r` holds :math:`W_r` and makes only its own columns of
the logits, :math:`z^{(r)} = h W_r^\top`. No process ever holds a whole row of logits, and
gathering them (N x V numbers) is what the split was meant to avoid. The loss needs three
numbers per row from every process instead, combined with three all-reduces of N numbers:

1. the row's maximum, :math:`m = \max_r \max_c z^{(r)}_c` (all-reduce MAX);
2. the target's logit, :math:`z_y - m`, which one process owns and the others count as 0
   (all-reduce SUM);
3. the sum :math:`S = \sum_r \sum_c e^{z^{(r)}_c - m}` (all-reduce SUM);

then :math:`\ell = \log S - (z_y - m)` on every process, and the gradient of the logits
each process holds is its own slice of :math:`\mathrm{softmax}(z) - y`: no communication
in the backward. This is Megatron-LM's ``_VocabParallelCrossEntropy``
(``megatron/core/tensor_parallel/cross_entropy.py``, read at commit ``d98e8a6``), the
same online log-sum-exp merge as lesson 12's blocks of classes, across processes.

Where this module differs from that file, on purpose:

- ``ignore_index`` and ``reduction`` (Megatron returns every row's loss and leaves the
  padding mask to the caller): a row whose target is ``ignore_index`` is owned by no
  process, adds 0 to the loss and gets no gradient, and ``"mean"`` divides by the rows
  that count, as ``torch.nn.functional.cross_entropy``.
- ``label_smoothing`` is torch's (target ``(1 - ε) onehot + ε / V``), with the sum of the
  logits all-reduced too (a fourth N numbers, sent with the sum of exponentials). Megatron
  spreads its ``label_smoothing = α`` over the other V - 1 classes, which is torch's with
  ``ε = α V / (V - 1)``; in the version read, its ``vocab_size`` and
  ``log_probs.mean(dim=-1)`` are those of the process's own slice.

Loaded on first use (``xl.vocab_parallel``): importing :mod:`xent_lessons` does not
import torch.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import traceback

import numpy as np
import torch
import torch.distributed as dist

__all__ = [
    "free_port",
    "run_vocab_parallel",
    "vocab_parallel_cross_entropy",
    "vocab_range",
]


def vocab_range(n_classes: int, rank: int, world_size: int) -> tuple[int, int]:
    """The classes ``[start, stop)`` that process ``rank`` of ``world_size`` owns.

    V is cut into ``world_size`` contiguous slices as equal as they can be (the first
    ``V % world_size`` slices one class longer; Megatron asks V to be divisible instead).

    Examples
    --------
    >>> [vocab_range(10, r, 4) for r in range(4)]
    [(0, 3), (3, 6), (6, 8), (8, 10)]
    """
    base, extra = divmod(n_classes, world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (rank < extra)


def _all_reduce(tensor, op, group, traffic):
    if traffic is not None:
        traffic["all_reduce_calls"] = traffic.get("all_reduce_calls", 0) + 1
        traffic["all_reduce_bytes"] = (
            traffic.get("all_reduce_bytes", 0) + tensor.numel() * tensor.element_size()
        )
    dist.all_reduce(tensor, op=op, group=group)


class _VocabParallelCrossEntropy(torch.autograd.Function):
    """Every row's loss from this process's slice of the logits; backward: its slice of
    ``softmax - y`` (smoothed), times the rows' incoming gradient."""

    @staticmethod
    def forward(ctx, local_logits, target, vocab_start, n_classes, ignore_index,
                label_smoothing, group, traffic):  # fmt: skip
        z = local_logits.detach()
        width = z.shape[1]
        # 1. the global max of each row (a shift: the loss does not change, exp cannot overflow)
        row_max = z.max(dim=1).values
        _all_reduce(row_max, dist.ReduceOp.MAX, group, traffic)
        shifted = z - row_max[:, None]
        # 2. the target's logit: the process that owns the target gives it, the others 0
        owned = (target >= vocab_start) & (target < vocab_start + width)
        local_target = torch.where(owned, target - vocab_start, torch.zeros_like(target))
        target_logit = shifted.gather(1, local_target[:, None])[:, 0]
        target_logit = torch.where(owned, target_logit, torch.zeros_like(target_logit))
        _all_reduce(target_logit, dist.ReduceOp.SUM, group, traffic)
        # 3. the sum of exp (and, for label smoothing, of the shifted logits), summed over
        # processes: one all-reduce of (N,) or (N, 2)
        exp = torch.exp(shifted)
        sums = exp.sum(dim=1)
        if label_smoothing > 0:
            sums = torch.stack([sums, shifted.sum(dim=1)], dim=1)
        _all_reduce(sums, dist.ReduceOp.SUM, group, traffic)
        sum_exp = sums[:, 0] if label_smoothing > 0 else sums
        log_sum = torch.log(sum_exp)  # LSE(z) - max
        loss = log_sum - target_logit
        if label_smoothing > 0:
            eps = label_smoothing
            loss = (1 - eps) * loss + eps * (log_sum - sums[:, 1] / n_classes)
        keep = target != ignore_index
        loss = torch.where(keep, loss, torch.zeros_like(loss))
        softmax = exp / sum_exp[:, None]
        ctx.save_for_backward(softmax, owned & keep, local_target, keep)
        ctx.label_smoothing, ctx.n_classes = label_smoothing, n_classes
        return loss

    @staticmethod
    def backward(ctx, grad_rows):
        softmax, owned, local_target, keep = ctx.saved_tensors
        eps = ctx.label_smoothing
        grad = softmax.clone()  # this process's columns of softmax(z)
        rows = torch.arange(grad.shape[0])
        grad[rows, local_target] -= (1 - eps) * owned.to(grad.dtype)  # - y, where it lies here
        if eps > 0:
            grad -= eps / ctx.n_classes
        grad *= (grad_rows * keep.to(grad.dtype))[:, None]
        return grad, None, None, None, None, None, None, None


def vocab_parallel_cross_entropy(
    local_logits,
    target,
    *,
    ignore_index=-100,
    reduction="mean",
    label_smoothing=0.0,
    group=None,
    traffic=None,
):
    r"""Cross-entropy of logits whose classes are split across the processes of ``group``.

    Every process calls it with its own slice of the logits (its ``vocab_range`` of the
    classes, in rank order) and the same ``target``; every process gets the same loss, and
    autograd gives each process the gradient of its own slice.

    Parameters
    ----------
    local_logits : torch.Tensor
        Shape ``(N, V_r)``: this process's columns of the logits, floating point.
    target : torch.Tensor
        Shape ``(N,)``, integer class indices in ``[0, V)`` (V the sum of the slices'
        widths) or ``ignore_index``; the same on every process.
    ignore_index : int, optional
        Rows whose target equals it add 0 and do not count in the mean.
    reduction : {"mean", "sum", "none"}
        As ``torch.nn.functional.cross_entropy``.
    label_smoothing : float, optional
        In [0, 1): torch's, the target ``(1 - ε) onehot + ε / V``. (Megatron's ``α``
        is ``ε = α V / (V - 1)``.)
    group : torch.distributed.ProcessGroup, optional
        The processes that hold the slices (default: every process).
    traffic : dict, optional
        If given, gets ``"all_reduce_calls"`` and ``"all_reduce_bytes"`` (the bytes each
        process hands to the all-reduces) added to it.

    Returns
    -------
    torch.Tensor
        A scalar, or ``(N,)`` for ``"none"``.

    Examples
    --------
    In one process (a group of one) it is plain cross-entropy:

    >>> import torch.distributed as dist, torch.nn.functional as F
    >>> from xent_lessons.vocab_parallel import free_port
    >>> dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}",
    ...                         rank=0, world_size=1)
    >>> z, y = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]]), torch.tensor([0, 1])
    >>> round(vocab_parallel_cross_entropy(z, y).item(), 6), round(F.cross_entropy(z, y).item(), 6)
    (1.205579, 1.205579)
    >>> dist.destroy_process_group()
    """
    if not isinstance(local_logits, torch.Tensor) or local_logits.ndim != 2:
        raise TypeError(
            f"local_logits must be a 2-d torch.Tensor (N, V_r): this process's columns of the "
            f"logits; got {type(local_logits).__name__} {getattr(local_logits, 'shape', '')}"
        )
    if not local_logits.is_floating_point():
        raise TypeError(f"local_logits must be floating point; got {local_logits.dtype}")
    if not isinstance(target, torch.Tensor) or target.shape != local_logits.shape[:1]:
        raise ValueError(
            f"target must be a torch.Tensor of shape ({local_logits.shape[0]},), one class "
            f"index per row; got {getattr(target, 'shape', type(target).__name__)}"
        )
    if target.dtype.is_floating_point or target.dtype == torch.bool:
        raise TypeError(f"target must hold integer class indices; got {target.dtype}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")
    if not 0.0 <= float(label_smoothing) < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1); got {label_smoothing!r}")
    if not dist.is_initialized():
        raise RuntimeError(
            "torch.distributed is not initialized: call dist.init_process_group first "
            "(see run_vocab_parallel for a whole run on this machine)"
        )
    rank, world_size = dist.get_rank(group), dist.get_world_size(group)
    # Every process's width, to know where its slice starts and what V is.
    widths = torch.zeros(world_size, dtype=torch.int64)
    widths[rank] = local_logits.shape[1]
    dist.all_reduce(widths, group=group)  # once per call, world_size numbers
    n_classes = int(widths.sum())
    vocab_start = int(widths[:rank].sum())
    target = target.to(torch.int64)
    counted = target != ignore_index
    bad = counted & ((target < 0) | (target >= n_classes))
    if bool(bad.any()):
        raise ValueError(
            f"target must be class indices in [0, {n_classes}) or ignore_index "
            f"{ignore_index}; got {int(target[bad][0])}"
        )
    rows = _VocabParallelCrossEntropy.apply(
        local_logits, target, vocab_start, n_classes, ignore_index, float(label_smoothing),
        group, traffic,
    )  # fmt: skip
    if reduction == "none":
        return rows
    if reduction == "sum":
        return rows.sum()
    return rows.sum() / counted.sum()  # 0 / 0 = NaN when every row is ignored, as torch


# ---------------------------------------------------------------- a run on this machine


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world_size, init_method, arrays, options, results, timeout):
    """One process: its slice of W (and b), its logits, the loss and its gradients."""
    try:
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # gloo's own sockets on loopback too
        torch.set_num_threads(1)
        dist.init_process_group(
            "gloo", init_method=init_method, rank=rank, world_size=world_size,
            timeout=__import__("datetime").timedelta(seconds=timeout),
        )  # fmt: skip
        try:
            hidden, weight, target, bias = arrays
            start, stop = vocab_range(weight.shape[0], rank, world_size)
            h = torch.tensor(hidden, requires_grad=True)
            w = torch.tensor(weight[start:stop], requires_grad=True)  # this process's rows
            z = h @ w.T
            b = None
            if bias is not None:
                b = torch.tensor(bias[start:stop], requires_grad=True)
                z = z + b
            traffic = {}
            loss = vocab_parallel_cross_entropy(
                z, torch.tensor(target), traffic=traffic, **options
            )
            loss.backward(torch.ones_like(loss))
            # Each process's d_hidden is its slice's share: the sum over processes is the
            # gradient (the all-reduce that the layer before the output layer needs anyway).
            d_h = h.grad.clone()
            dist.all_reduce(d_h)
            out = {
                "rank": rank,
                "loss": loss.detach().numpy(),
                "d_hidden": d_h.numpy(),
                "d_weight": w.grad.numpy(),
                "d_bias": None if b is None else b.grad.numpy(),
                "traffic": traffic,
                "local_logits_shape": tuple(z.shape),
            }
        finally:
            dist.destroy_process_group()
        results.put(out)
    except BaseException:  # the parent reports it, with the traceback
        results.put({"rank": rank, "error": traceback.format_exc()})


def run_vocab_parallel(
    hidden,
    weight,
    target,
    bias=None,
    *,
    world_size=2,
    ignore_index=-100,
    reduction="mean",
    label_smoothing=0.0,
    start_method=None,
    timeout=60.0,
):
    """Run :func:`vocab_parallel_cross_entropy` on ``world_size`` processes of this machine.

    Starts ``world_size`` processes that meet at ``tcp://127.0.0.1:<a free port>`` (gloo
    backend, CPU); process ``r`` gets rows ``vocab_range(V, r, world_size)`` of ``weight``
    (and ``bias``), makes its logits, the loss and the gradients. Every process is ended
    before this returns, also when one fails or the time runs out.

    Parameters
    ----------
    hidden : array_like
        ``(N, H)`` hidden states (every process gets all of them).
    weight : array_like
        ``(V, H)`` output matrix, cut by rows across the processes.
    target : array_like of int
        ``(N,)`` class indices (or ``ignore_index``).
    bias : array_like, optional
        ``(V,)``, cut like ``weight``.
    world_size : int, optional
        Number of processes.
    ignore_index, reduction, label_smoothing
        As in :func:`vocab_parallel_cross_entropy`.
    start_method : {"fork", "spawn", "forkserver"}, optional
        How the processes start. Default: ``"fork"`` where the system has it (Linux,
        macOS): the children start as copies of this process, torch already imported,
        in well under a second; ``"spawn"`` starts fresh interpreters that import
        torch again (seconds each), and needs the caller's script to be importable
        (the ``if __name__ == "__main__":`` idiom).
    timeout : float, optional
        Seconds before the run is given up (every process is then ended).

    Returns
    -------
    dict
        ``"loss"`` (every process's loss: a list of world_size arrays, all equal),
        ``"d_hidden"`` (from rank 0, after the sum over processes), ``"d_weight"`` and
        ``"d_bias"`` (the processes' slices, put back together in rank order),
        ``"all_reduce_bytes"`` and ``"all_reduce_calls"`` (per process, of the loss),
        ``"local_logits_shapes"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> h, w = rng.standard_normal((4, 3)), rng.standard_normal((10, 3))
    >>> out = run_vocab_parallel(h, w, [1, 9, 4, 0], world_size=2)  # doctest: +SKIP
    >>> out["local_logits_shapes"]  # doctest: +SKIP
    [(4, 5), (4, 5)]
    """
    import multiprocessing

    arrays = (
        np.ascontiguousarray(hidden, dtype=np.float64),
        np.ascontiguousarray(weight, dtype=np.float64),
        np.asarray(target, dtype=np.int64),
        None if bias is None else np.ascontiguousarray(bias, dtype=np.float64),
    )
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive integer; got {world_size!r}")
    if world_size > arrays[1].shape[0]:
        raise ValueError(
            f"world_size must be at most V = {arrays[1].shape[0]} (each process owns a class)"
        )
    options = {
        "ignore_index": ignore_index,
        "reduction": reduction,
        "label_smoothing": label_smoothing,
    }
    if start_method is None:
        start_method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(start_method)
    results = context.Queue()
    init_method = f"tcp://127.0.0.1:{free_port()}"
    processes = [
        context.Process(
            target=_worker,
            args=(rank, world_size, init_method, arrays, options, results, timeout),
            daemon=True,
        )
        for rank in range(world_size)
    ]
    outs = {}
    try:
        for p in processes:
            p.start()
        while len(outs) < world_size:
            try:
                out = results.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(
                    f"the {world_size} processes did not finish in {timeout} s"
                ) from None
            if "error" in out:
                raise RuntimeError(f"process {out['rank']} failed:\n{out['error']}")
            outs[out["rank"]] = out
        for p in processes:
            p.join(timeout)
    finally:
        for p in processes:  # every process ends, whatever happened above
            if p.is_alive():
                p.terminate()
                p.join(5)
            if p.is_alive():
                p.kill()
                p.join()
        with contextlib.suppress(Exception):
            results.close()
    ranks = [outs[r] for r in range(world_size)]
    return {
        "loss": [o["loss"] for o in ranks],
        "d_hidden": ranks[0]["d_hidden"],
        "d_weight": np.concatenate([o["d_weight"] for o in ranks]),
        "d_bias": None if bias is None else np.concatenate([o["d_bias"] for o in ranks]),
        "all_reduce_bytes": ranks[0]["traffic"].get("all_reduce_bytes", 0),
        "all_reduce_calls": ranks[0]["traffic"].get("all_reduce_calls", 0),
        "local_logits_shapes": [o["local_logits_shape"] for o in ranks],
    }
