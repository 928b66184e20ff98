"""The training loop of the torch engine: app/train/trainer.ts's semantics on PyTorch.

Same epoch orders (computed by the TypeScript side from the seed and handed over), SGD with
momentum/Nesterov and L2 decay or AdamW with decoupled decay (never on biases or BN), the same
schedules, cross-entropy with label smoothing, distillation α·KL(teacher_T ‖ student_T)·T² +
(1 − α)·CE with cached teacher logits when nothing augments, a checkpoint after every epoch in
the trainer's own format, resume, cancel (SIGINT/SIGTERM after the current step), and NaN
detection. Progress goes to stdout as one JSON object a line (and to progress.jsonl).
Data-parallel over processes when started by torchrun (DDP; each rank takes its share of every
global batch and the loss is scaled so the averaged gradient is the global batch's).
"""
import json
import math
import os
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoint
from .data import ShardedImages, augment
from .irnet import build, ir_weights, named_slots, to_ir_array
from .project_file import read_project, write_project
from .schedule import learning_rate


class JobError(Exception):
    """A problem the user can act on; its message is one sentence. `facts` (JSON values) let the
    host word it in its own terms (the CLI names its flags, the app its controls)."""

    def __init__(self, message, **facts):
        super().__init__(message)
        self.facts = facts


class Reporter:
    def __init__(self, folder, enabled):
        self.enabled = enabled
        self.path = os.path.join(folder, 'progress.jsonl') if folder else None
        self.last = 0.0

    def emit(self, ev, throttle=False):
        if not self.enabled:
            return
        t = time.monotonic()
        if throttle and t - self.last < 0.2:
            return
        self.last = t
        line = json.dumps(ev, allow_nan=True)
        print(line, flush=True)
        if self.path:
            with open(self.path, 'a') as f:
                f.write(line + '\n')


def choose_device(want):
    """(torch.device, why) for 'auto' | 'cpu' | 'cuda' | 'cuda:N' | 'mps'."""
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, 'mps', None) and torch.backends.mps.is_available())
    if want in (None, '', 'auto'):
        if cuda:
            return torch.device('cuda'), 'CUDA is available'
        if mps:
            return torch.device('mps'), 'no CUDA device; Apple MPS is available'
        return torch.device('cpu'), 'no CUDA or MPS device'
    if want.startswith('cuda'):
        if not cuda:
            raise JobError(f'--device {want} was asked for but this PyTorch ({torch.__version__}) sees no CUDA device.')
        d = torch.device(want)
        if d.index is not None and d.index >= torch.cuda.device_count():
            raise JobError(f'--device {want} was asked for but only {torch.cuda.device_count()} CUDA device(s) exist.')
        return d, 'asked for'
    if want == 'mps':
        if not mps:
            raise JobError('--device mps was asked for but this PyTorch has no MPS device.')
        return torch.device('mps'), 'asked for'
    if want == 'cpu':
        return torch.device('cpu'), 'asked for'
    raise JobError(f'--device must be auto, cpu, cuda, cuda:N or mps, got "{want}".')


def device_name(d):
    if d.type == 'cuda':
        return torch.cuda.get_device_name(d)
    return 'Apple GPU (MPS)' if d.type == 'mps' else 'CPU'


def structure(header):
    return json.dumps([[n['name'], n['kind'], n['inputs'], n['attrs']] for n in header['graph']['nodes']], sort_keys=True)


def shard_range(n, world, rank):
    base, extra = divmod(n, world)
    a = rank * base + min(rank, extra)
    return a, a + base + (1 if rank < extra else 0)


def suggest_lr(lr):
    x = lr / 5
    e = math.floor(math.log10(x))
    m = x / 10 ** e
    m = 1 if m < 2 else 2 if m < 5 else 5
    return f'{m * 10 ** e:.{max(0, -e)}f}'


def run_job(folder, job, rank=0, world=1, local_rank=0):
    o = job['options']
    rep = Reporter(folder if job.get('progressFile', True) else None, rank == 0)
    if job.get('threads'):
        torch.set_num_threads(int(job['threads']))
    want = job.get('device') or 'auto'
    if world > 1 and want in ('auto', 'cuda') and torch.cuda.is_available():
        want = f'cuda:{local_rank}'
    device, why = choose_device(want)
    path = lambda p: p if os.path.isabs(p) else os.path.join(folder, p)

    header, weights = read_project(path(job['model']))
    net = build(header, weights)
    ckpt_dir = path(job['checkpointDir']) if job.get('checkpointDir') else None
    config = {'optimizer': o['optimizer'], 'epochs': o['epochs'], 'stepsPerEpoch': o['stepsPerEpoch'], 'batchSize': o['batchSize'], 'seed': o['seed']}
    start_epoch, history, slots_in, steps_in, resumed_from = 0, [], None, 0, None
    if ckpt_dir and checkpoint.exists(ckpt_dir):
        if not job.get('resume'):
            raise JobError(f'{ckpt_dir} already holds a checkpoint; pass --resume to continue from it or choose another checkpoint folder.')
        meta, model_path, slots_in = checkpoint.load(ckpt_dir)
        for k, v in config.items():
            if meta['config'].get(k) != v:
                raise JobError(f'The checkpoint in {ckpt_dir} was made with {k} {meta["config"].get(k)}, this run has {v}; resume with the same settings.')
        ck_header, ck_weights = read_project(model_path)
        if structure(ck_header) != structure(header):
            raise JobError(f'The checkpoint in {ckpt_dir} is of a different model than the one given.')
        net = build(header, ck_weights)
        start_epoch, history, steps_in, resumed_from = meta['epoch'], list(meta['history']), meta['optimizerSteps'], meta['epoch']

    channels_last = device.type == 'cuda' and job.get('channelsLast', True)
    net = net.to(device)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    teacher = None
    if job.get('teacher'):
        th, tw = read_project(path(job['teacher']))
        teacher = build(th, tw).to(device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)

    slots = named_slots(net)
    trainable = [(k, t, to_t, to_ir) for k, t, to_t, to_ir, tr in slots if tr]
    decayed = set()
    for node, key in net.steps:
        for wk in (node.get('weights') or {}):
            if (node['kind'] in ('conv2d', 'dense') and wk == 'kernel') or (node['kind'] == 'se' and wk in ('fc1', 'fc2')):
                decayed.add(f'{node["name"]}/{wk}')
    decay_params = [t for k, t, _, _ in trainable if k in decayed]
    other_params = [t for k, t, _, _ in trainable if k not in decayed]
    groups = [{'params': decay_params, 'weight_decay': o['weightDecay']}, {'params': other_params, 'weight_decay': 0.0}]
    if o['optimizer'] == 'sgd':
        opt = torch.optim.SGD(groups, lr=o['lr'], momentum=o['momentum'], nesterov=bool(o['nesterov']) and o['momentum'] > 0)
    else:
        opt = torch.optim.AdamW(groups, lr=o['lr'], betas=(0.9, 0.999), eps=1e-8)
    if slots_in is not None:
        load_optimizer(opt, o, trainable, slots_in, steps_in, device)

    model = net
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP
        if job.get('syncBn') and device.type == 'cuda':
            net = torch.nn.SyncBatchNorm.convert_sync_batchnorm(net)
        model = DDP(net, device_ids=[device.index] if device.type == 'cuda' else None)

    data = ShardedImages(path(job['data']), device)
    k = len(data.classes)
    per_epoch = o['perEpoch']
    orders = np.memmap(path(job['orders']), dtype='<i4', mode='r', shape=(o['epochs'], per_epoch))
    aug = o.get('augment')
    augmenting = bool(aug and (aug.get('flip') or aug.get('shift', 0) > 0))
    cache = None
    if teacher is not None and o.get('cacheTeacher', True) and not augmenting:
        cache = (torch.zeros((data.count, k), device=device), torch.zeros(data.count, dtype=torch.bool, device=device))
    amp = bool(job.get('amp')) and device.type == 'cuda'
    scaler = torch.cuda.amp.GradScaler() if amp else None
    T, alpha, ls = o['temperature'], (o['alpha'] if teacher is not None else 0.0), o['labelSmoothing']

    stop = {'now': False}

    def on_signal(signum, frame):
        stop['now'] = True
    old = [signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)]

    rep.emit({'event': 'started', 'device': str(device), 'deviceName': device_name(device), 'why': why, 'torch': torch.__version__,
              'threads': torch.get_num_threads(), 'worldSize': world, 'amp': amp, 'channelsLast': channels_last,
              **({'resumedFrom': resumed_from} if resumed_from is not None else {})})
    teacher_images = 0
    run_images, run_steps, train_seconds = 0, 0, 0.0
    run_start = time.perf_counter()
    bs = o['batchSize']
    steps_per_epoch = o['stepsPerEpoch']
    total_steps = o['totalSteps']
    model.train()
    try:
        for epoch in range(start_epoch, o['epochs']):
            gen = torch.Generator().manual_seed((o['seed'] * 1000003 + epoch * 7919 + 17) % (2 ** 63))
            order = np.asarray(orders[epoch])
            t0 = time.perf_counter()
            loss_sum, correct_sum, images, step, step_lr = 0.0, 0.0, 0, 0, o['lr']
            for s in range(0, per_epoch, bs):
                if stop['now']:
                    last = history[-1]['epoch'] if history else None
                    rep.emit({'event': 'cancelled', 'epoch': epoch + 1, 'lastCheckpoint': last})
                    return 3
                positions = order[s:s + bs]
                n = positions.size
                global_step = epoch * steps_per_epoch + step
                step += 1
                if n < 2:
                    continue
                step_lr = learning_rate(global_step, o['schedule'], o['lr'], total_steps, o['warmupSteps'])
                for g in opt.param_groups:
                    g['lr'] = step_lr
                a, b = shard_range(n, world, rank)
                mine = positions[a:b]
                x, y = data.batch(mine)
                if augmenting:
                    x = augment(x, aug.get('flip'), aug.get('shift', 0), aug.get('fill'), gen)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                t_logits = None
                if teacher is not None:
                    pos_t = torch.from_numpy(np.ascontiguousarray(mine, dtype=np.int64)).to(device)
                    if cache is not None and bool(cache[1][pos_t].all()):
                        t_logits = cache[0][pos_t]
                    else:
                        with torch.no_grad(), torch.autocast(device.type, enabled=amp):
                            t_logits = teacher(x).float()
                        teacher_images += int(mine.size)
                        if cache is not None:
                            cache[0][pos_t] = t_logits
                            cache[1][pos_t] = True
                with torch.autocast(device.type, enabled=amp):
                    logits = model(x)
                logits = logits.float()
                if logits.dim() != 2 or logits.shape[1] != k:
                    raise JobError(f'The model outputs {"×".join(str(d) for d in logits.shape[1:])} values per image but the dataset has {k} classes.')
                loss = F.cross_entropy(logits, y, label_smoothing=ls)
                if teacher is not None and alpha > 0:
                    kd = F.kl_div(F.log_softmax(logits / T, 1), F.log_softmax(t_logits / T, 1), log_target=True, reduction='batchmean') * (T * T)
                    loss = kd * alpha + loss * (1 - alpha)
                correct = (logits.argmax(1) == y).sum()
                stats = torch.stack([loss.detach() * mine.size, correct.float()])
                if world > 1:
                    torch.distributed.all_reduce(stats)
                batch_loss = float(stats[0]) / n
                if not math.isfinite(batch_loss):
                    raise JobError(f'Training diverged (the loss became {batch_loss}) at epoch {epoch + 1} step {step} with learning rate {step_lr:.3g}; '
                                   f'try a lower one, e.g. {suggest_lr(o["lr"])}.',
                                   kind='diverged', loss=str(batch_loss), epoch=epoch + 1, step=step, lr=float(f'{step_lr:.3g}'), suggestedLr=suggest_lr(o['lr']))
                scaled = loss * (mine.size * world / n) if world > 1 else loss
                opt.zero_grad(set_to_none=True)
                if scaler:
                    scaler.scale(scaled).backward()
                    scaler.step(opt)
                    scaler.update()
                else:
                    scaled.backward()
                    opt.step()
                loss_sum += batch_loss * n
                correct_sum += float(stats[1])
                images += n
                run_images += n
                run_steps += 1
                elapsed = time.perf_counter() - run_start
                steps_left = total_steps - (epoch * steps_per_epoch + step)
                rep.emit({'event': 'progress', 'epoch': epoch + 1, 'epochs': o['epochs'], 'step': step, 'steps': steps_per_epoch,
                          'loss': loss_sum / images, 'accuracy': correct_sum / images, 'lr': step_lr,
                          'imagesPerSecond': run_images / max(elapsed, 1e-9), 'etaSeconds': elapsed / run_steps * steps_left},
                         throttle=step < steps_per_epoch)
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - t0
            train_seconds += seconds
            summary = {'epoch': epoch + 1, 'loss': loss_sum / images if images else float('nan'), 'accuracy': correct_sum / images if images else float('nan'),
                       'lr': step_lr, 'images': images, 'seconds': seconds, 'imagesPerSecond': images / max(seconds, 1e-9)}
            history.append(summary)
            if ckpt_dir and rank == 0:
                checkpoint.save(ckpt_dir, header, ir_weights(net), export_optimizer(opt, o, trainable), steps_in + run_steps,
                                epoch + 1, config, history, job.get('project') or {})
            rep.emit({'event': 'epoch', **summary})
        if rank == 0:
            write_project(path(job['out']), header, ir_weights(net))
        rep.emit({'event': 'done', 'out': job['out'], 'epochs': max(start_epoch, o['epochs']), 'imagesPerSecond': run_images / train_seconds if train_seconds > 0 else 0,
                  'history': history, 'teacherImages': teacher_images, 'device': str(device), 'deviceName': device_name(device),
                  **({'resumedFrom': resumed_from} if resumed_from is not None else {})})
        return 0
    finally:
        for s, h in zip((signal.SIGINT, signal.SIGTERM), old):
            signal.signal(s, h)


def export_optimizer(opt, o, trainable):
    """The optimiser's slots in IR layout, keyed and ordered as app/train/optimizers.ts exports them."""
    out = []
    names = (['momentum'] if o['momentum'] > 0 else []) if o['optimizer'] == 'sgd' else ['m', 'v']
    torch_names = {'momentum': 'momentum_buffer', 'm': 'exp_avg', 'v': 'exp_avg_sq'}
    for key, t, _, to_ir in trainable:
        st = opt.state.get(t, {})
        for s in names:
            buf = st.get(torch_names[s])
            out.append((f'{s}:{key}', to_ir_array(buf, to_ir) if buf is not None else np.zeros(t.numel(), dtype=np.float32)))
    return out


def load_optimizer(opt, o, trainable, slots, steps, device):
    """Restores exported slots (IR layout) into the torch optimiser's state."""
    names = (['momentum'] if o['momentum'] > 0 else []) if o['optimizer'] == 'sgd' else ['m', 'v']
    torch_names = {'momentum': 'momentum_buffer', 'm': 'exp_avg', 'v': 'exp_avg_sq'}
    for key, t, to_t, _ in trainable:
        st = {}
        for s in names:
            a = slots.get(f'{s}:{key}')
            if a is None or a.size != t.numel():
                raise JobError(f"The checkpoint's optimiser state has no matching {s}:{key}.")
            arr = to_t(a) if to_t else a
            st[torch_names[s]] = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).reshape(t.shape).to(device)
        if o['optimizer'] == 'adamw':
            st['step'] = torch.tensor(float(steps))
        if steps > 0 and st:
            opt.state[t] = st
