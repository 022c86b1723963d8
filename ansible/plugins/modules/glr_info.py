#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: glr maintainers; MIT License (see the repository's package.json)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: glr_info
short_description: What glr sees on a GenLayer validator host (glr status --json)
version_added: 0.1.0
description:
  - Runs C(glr status --json) on the host and returns it - what runs and how healthy it is, where
    the links point, the prepared versions, the bad releases, the last results of the history,
    who holds the root's lock, and the plan for the file, computed read-only. The shape is glr's
    C(docs/status.md), version 1.
  - Never changes anything (C(glr status) writes nothing and takes no lock), so it runs in check
    mode too.
  - With I(healthy_for), it also watches the host for that long and fails as soon as the node is
    not healthy (on I(version), when given) - a rollout's soak between batches.
author:
  - glr maintainers
extends_documentation_fragment:
  - genlayer.glr.glr
options:
  file:
    description:
      - The desired-state file on the host (absolute path).
    type: path
    required: true
  healthy_for:
    description:
      - Seconds the node must stay healthy; it is looked at every I(every) seconds, and the first
        look that finds it unhealthy fails the task. 0 looks once and fails nothing.
    type: int
    default: 0
  every:
    description:
      - Seconds between two looks during I(healthy_for).
    type: int
    default: 5
  version:
    description:
      - With I(healthy_for), the version that must run (healthy on another one is a failure).
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
seealso:
  - module: genlayer.glr.glr_reconcile
'''

EXAMPLES = r'''
- name: What runs on each host
  genlayer.glr.glr_info:
    file: /etc/glr/desired-state.yaml
  register: glr

- ansible.builtin.debug:
    msg: "{{ inventory_hostname }} runs {{ glr.running_version }} ({{ 'healthy' if glr.healthy else 'not healthy' }})"

- name: Stay healthy on v0.5.11 for 10 minutes before the next batch
  genlayer.glr.glr_info:
    file: /etc/glr/desired-state.yaml
    version: v0.5.11
    healthy_for: 600
'''

RETURN = r'''
status:
  description: The whole of C(glr status --json) (glr's docs/status.md, field by field).
  returned: always
  type: dict
running_version:
  description: The version the links name (C(status.running.version)); null when they disagree.
  returned: always
  type: str
  sample: v0.5.11
healthy:
  description: Healthy on the running version (C(status.running.healthy)); with I(healthy_for),
    at every look.
  returned: always
  type: bool
desired_version:
  description: The version the file asks for (C(status.desired.version)).
  returned: always
  type: str
converged:
  description: The host is at the file's state (C(status.plan.state) is C(converged)).
  returned: always
  type: bool
watcher:
  description: The process id of the C(glr watch) that holds the root's lock, or null.
  returned: always
  type: int
looks:
  description: How many times the host was looked at.
  returned: always
  type: int
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.genlayer.glr.plugins.module_utils.glr import DEFAULT_GLR, Glr


def summary(status):
    running = status.get('running') or {}
    lock = status.get('lock') or {}
    return dict(
        status=status,
        running_version=running.get('version'),
        healthy=bool(running.get('healthy')),
        desired_version=(status.get('desired') or {}).get('version'),
        converged=(status.get('plan') or {}).get('state') == 'converged',
        watcher=lock.get('pid') if lock.get('command') == 'watch' else None,
    )


def unhealthy(s, version):
    """Why the host fails a soak look, or None."""
    if version is not None and s['running_version'] != version:
        return 'runs %s, not %s' % (s['running_version'], version)
    if not s['healthy']:
        health = s['status'].get('running', {}).get('health') or {}
        why = health.get('problem') or 'HTTP %s, status %s' % (health.get('httpStatus'), health.get('status'))
        return '%s is not healthy (%s)' % (s['running_version'], why)
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            file=dict(type='path', required=True),
            glr=dict(type='list', elements='str', default=list(DEFAULT_GLR)),
            healthy_for=dict(type='int', default=0),
            every=dict(type='int', default=5),
            version=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p['every'] < 1:
        module.fail_json(msg='every must be at least 1 second')
    glr = Glr(module, p['glr'], p['file'])
    s = summary(glr.status())
    looks = 1
    if p['healthy_for'] > 0:
        deadline = time.time() + p['healthy_for']
        while True:
            why = unhealthy(s, p['version'])
            if why:
                module.fail_json(msg='%s after %s look(s) of the %s s it must stay healthy' % (why, looks, p['healthy_for']), changed=False, looks=looks, **s)
            left = deadline - time.time()
            if left <= 0:
                break
            time.sleep(min(p['every'], left))
            s = summary(glr.status())
            looks += 1
    module.exit_json(changed=False, looks=looks, **s)


if __name__ == '__main__':
    main()
