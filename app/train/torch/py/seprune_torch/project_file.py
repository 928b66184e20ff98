"""Reads and writes `.seprune` project files (app/model/project-file.ts) without changing a bit.

Layout: b"SEPRUNE\\0", uint32 version 1, uint32 header length H, H bytes of JSON, zero padding to
a multiple of 8, then the float32 weight blob. The header's graph names every weight as
{offset, length} in floats; the blob's SHA-256 guards it.
"""
import hashlib
import json
import os
import struct

import numpy as np

MAGIC = b'SEPRUNE\0'
VERSION = 1


class ProjectError(Exception):
    pass


def read_project(path):
    """(header dict, {node name: {weight key: float32 array}})."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise ProjectError(f'{path} is not a .seprune project file.')
    version, hlen = struct.unpack('<II', data[8:16])
    if version != VERSION:
        raise ProjectError(f'{path} is a .seprune file of format version {version}; this runner reads version {VERSION}.')
    header = json.loads(data[16:16 + hlen].decode('utf-8'))
    start = 16 + hlen + (8 - (16 + hlen) % 8) % 8
    blob = data[start:]
    if len(blob) != header['blobBytes'] or hashlib.sha256(blob).hexdigest() != header['blobSha256']:
        raise ProjectError(f'{path} is truncated or corrupted (its weights do not match their checksum).')
    floats = np.frombuffer(blob, dtype='<f4')
    weights = {}
    for node in header['graph']['nodes']:
        refs = node.get('weights')
        if refs:
            weights[node['name']] = {k: floats[r['offset']:r['offset'] + r['length']].copy() for k, r in refs.items()}
    return header, weights


def encode_project(header, weights):
    """Bytes of a project with `header`'s graph and these weights (same keys, order and lengths)."""
    arrays = []
    offset = 0
    nodes = []
    for node in header['graph']['nodes']:
        refs = node.get('weights')
        if not refs:
            nodes.append(node)
            continue
        new_refs = {}
        for k in refs:
            a = np.ascontiguousarray(weights[node['name']][k], dtype='<f4').reshape(-1)
            if a.size != refs[k]['length']:
                raise ProjectError(f'weight {node["name"]}/{k} has {a.size} values, the graph says {refs[k]["length"]}')
            new_refs[k] = {'offset': offset, 'length': int(a.size)}
            offset += a.size
            arrays.append(a)
        nodes.append({**node, 'weights': new_refs})
    blob = b''.join(a.tobytes() for a in arrays)
    out = dict(header)
    out['graph'] = {**header['graph'], 'nodes': nodes}
    out['blobBytes'] = len(blob)
    out['blobSha256'] = hashlib.sha256(blob).hexdigest()
    js = json.dumps(out, separators=(',', ':'), allow_nan=False).encode('utf-8')
    pad = (8 - (16 + len(js)) % 8) % 8
    return MAGIC + struct.pack('<II', VERSION, len(js)) + js + b'\0' * pad + blob


def write_atomic(path, data):
    tmp = f'{path}.tmp-{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_project(path, header, weights):
    write_atomic(path, encode_project(header, weights))
