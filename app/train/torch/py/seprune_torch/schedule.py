"""Learning rate of optimiser step `step` (0-based): app/train/schedule.ts line by line."""
import math

ONECYCLE_DIV = 25
ONECYCLE_FINAL_DIV = 1e4
ONECYCLE_DEFAULT_WARMUP = 0.3


def _cosine_between(a, b, t):
    c = min(1.0, max(0.0, t))
    return b + (a - b) * 0.5 * (1 + math.cos(math.pi * c))


def learning_rate(step, kind, lr, total_steps, warmup_steps, min_lr=0.0):
    total = max(1, total_steps)
    if kind == 'constant':
        return lr * (step + 1) / warmup_steps if warmup_steps > 0 and step < warmup_steps else lr
    if kind == 'cosine':
        warm = min(warmup_steps, total)
        if step < warm:
            return lr * (step + 1) / warm
        span = total - warm
        return lr if span <= 1 else _cosine_between(lr, min_lr, (step - warm) / (span - 1))
    if kind == 'onecycle':
        warm = max(1, min(total, warmup_steps if warmup_steps > 0 else round_half_up(total * ONECYCLE_DEFAULT_WARMUP)))
        start = lr / ONECYCLE_DIV
        end = start / ONECYCLE_FINAL_DIV
        if step < warm:
            return lr if warm == 1 else start + (lr - start) * step / (warm - 1)
        span = total - warm
        return end if span <= 1 else _cosine_between(lr, end, (step - warm + 1) / span)
    raise ValueError(f'unknown schedule {kind}')


def round_half_up(x):
    """JavaScript's Math.round (Python's round() rounds half to even)."""
    return math.floor(x + 0.5)
