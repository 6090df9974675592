#!/usr/bin/env python3
"""Adds package-lock entries for optional per-platform binaries the machine's npm registry does not serve.

The build machines' npm registry answers 404 for some other-platform binaries (e.g. @swc/core-darwin-arm64), so npm
leaves them out of package-lock.json and `npm ci` then refuses the lock as out of sync. These entries carry the
os/cpu constraints (from the package name, the convention these packages follow), so `npm ci` skips them on
non-matching platforms exactly as it would with a complete lock. Run after `npm install` changes the lock.
"""
import json
import re
import sys

OS = {'darwin': 'darwin', 'win32': 'win32', 'linux': 'linux', 'android': 'android', 'freebsd': 'freebsd', 'openharmony': 'openharmony'}
CPU = {'arm64': 'arm64', 'x64': 'x64', 'ia32': 'ia32', 'arm': 'arm', 'ppc64': 'ppc64', 's390x': 's390x', 'loong64': 'loong64', 'riscv64': 'riscv64'}

lock_path = sys.argv[1] if len(sys.argv) > 1 else 'package-lock.json'
lock = json.load(open(lock_path))
packages = lock['packages']
added = []
for path, meta in list(packages.items()):
    for name, version in (meta.get('optionalDependencies') or {}).items():
        key = f'node_modules/{name}'
        if key in packages or f'{path}/node_modules/{name}' in packages:
            continue
        tail = name.split('/')[-1]
        parts = tail.split('-')
        os_name = next((OS[p] for p in parts if p in OS), None)
        cpu = next((CPU[p] for p in parts if p in CPU), None)
        if not os_name or not cpu or not re.match(r'^\d+\.\d+\.\d+', version):
            continue
        entry = {'version': version, 'cpu': [cpu], 'optional': True, 'os': [os_name]}
        if 'musl' in tail:
            entry['libc'] = ['musl']
        elif os_name == 'linux' and ('gnu' in tail):
            entry['libc'] = ['glibc']
        packages[key] = entry
        added.append(f'{name}@{version}')
lock['packages'] = dict(sorted(packages.items(), key=lambda kv: (kv[0] != '', kv[0])))
with open(lock_path, 'w') as f:
    json.dump(lock, f, indent=2)
    f.write('\n')
print(f'added {len(added)} platform entries' + (': ' + ', '.join(added) if added else ''))
