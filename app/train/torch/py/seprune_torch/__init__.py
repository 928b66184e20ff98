"""The PyTorch side of SE Prune Studio's training engine (standard library + numpy + torch only).

Modules: project_file (read/write .seprune files bit-exactly), irnet (the IR as an nn.Module),
schedule (learning rates, as app/train/schedule.ts), data (memory-mapped image shards and
on-device augmentation), checkpoint (the trainer's checkpoint folder format), trainer (the loop).
"""
