#!/usr/bin/env python3
"""Runs a SE Prune Studio fine-tuning job folder with PyTorch alone (no Node.js needed).

    python3 run.py [JOB_DIR ...]       # one process (CUDA, then MPS, then CPU); several folders in turn
    torchrun --standalone --redirects 1 --tee 1 --nproc_per_node 2 run.py JOB_DIR
                                       # data-parallel (DDP) over 2 local devices
    torchrun --nnodes N --node_rank R --master_addr HOST --master_port 29500 \\
             --redirects 1 --tee 1 --nproc_per_node G run.py JOB_DIR   # a cluster: on every node

(`--redirects 1 --tee 1` shows rank output with a prefix; torchrun 1.13 on Python 3.11 needs it.)
JOB_DIR (default: this file's folder) holds job.json, model.seprune, the data shards and, after
the run, result.seprune, checkpoints/ and progress.jsonl. `seprune finetune --resume-job JOB_DIR`
brings the result back. Needs Python ≥ 3.8, numpy and torch; nothing else.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    folders = [os.path.abspath(a) for a in sys.argv[1:]] or [HERE]
    try:
        import torch  # noqa: F401
    except Exception as e:  # the caller says which engine runs instead
        print(json.dumps({'event': 'error', 'message': f'PyTorch cannot be imported here ({e}).'}), flush=True)
        return 4
    from seprune_torch.trainer import JobError, run_job
    from seprune_torch.project_file import ProjectError
    world = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    local_rank = int(os.environ.get('LOCAL_RANK', '0'))
    if world > 1:
        import torch.distributed as dist
        with open(os.path.join(folders[0], 'job.json')) as f:
            device = json.load(f).get('device', 'auto')
        dist.init_process_group('nccl' if torch.cuda.is_available() and device != 'cpu' else 'gloo')
    try:
        for folder in folders:
            with open(os.path.join(folder, 'job.json')) as f:
                job = json.load(f)
            code = run_job(folder, job, rank, world, local_rank)
            if code:
                return code
        return 0
    except (JobError, ProjectError) as e:
        if rank == 0:
            facts = getattr(e, 'facts', None)
            print(json.dumps({'event': 'error', 'message': str(e), **({'facts': facts} if facts else {})}), flush=True)
        return 2
    finally:
        if world > 1:
            import torch.distributed as dist
            dist.destroy_process_group()


if __name__ == '__main__':
    sys.exit(main())
