#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: glr maintainers; MIT License (see the repository's package.json)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: glr_reconcile
short_description: Bring a GenLayer validator host to its desired state with glr
version_added: 0.1.0
description:
  - Optionally bumps the host's desired-state file to I(version) (as C(glr bump) does, changing
    no other byte of the file), then has glr bring the host there - prepare the new version
    while the old node runs, stop, switch, start, verify, and roll back by itself when the new
    version is not healthy in time.
  - Where C(glr reconcile) is run by this module, its exit code and its C(--json) result decide
    the task's result; where C(glr watch) runs on the host (it holds the root's lock, see
    C(glr status --json)), the module writes the file and waits for the watcher's result in the
    host's history (C({root}/.glr/history.jsonl)) instead of running a second glr against the
    watcher's lock.
  - "Results follow glr's outcome: converged is ok; applied is changed; refused is failed and
    unchanged (the file is put back as it was); rolled back is failed and changed, with
    C(rolled_back=true); must act (the switch failed and could not be undone) is failed, with
    C(must_act=true)."
  - Check mode applies the bump to a temporary copy of the file and runs
    C(glr reconcile --dry-run --json) on the copy; nothing on the host changes. Diff mode shows
    the file's C(version:) line before and after.
  - Needs glr installed on the host (the role C(genlayer.glr.glr) installs it) and Python 3 there.
author:
  - glr maintainers
extends_documentation_fragment:
  - genlayer.glr.glr
options:
  file:
    description:
      - The desired-state file on the host (absolute path). glr runs with its folder as the
        working directory.
    type: path
    required: true
  version:
    description:
      - The version to bump the file to first (C(vX.Y.Z) or C(vX.Y.Z-pre)), with C(glr bump).
        Omitted, the file is used as it is.
      - A file that pins C(release.sha256) needs I(sha256) with a new version; glr bump refuses
        it otherwise, as the old checksum cannot match the new tarball.
    type: str
  sha256:
    description:
      - The new release tarball's SHA-256 (64 hex digits), set as C(release.sha256) with
        I(version).
    type: str
  timeout:
    description:
      - Where C(glr watch) runs on the host, how long to wait for its result (seconds). The
        switch itself is bounded by the file's C(health.timeoutSeconds); this also covers the
        download and the preparation.
    type: int
    default: 1800
  restore_on_rollback:
    description:
      - When the switch failed and was rolled back, put the file back to the version that runs,
        so that C(glr watch) does not try the bad release again - its original bytes when it
        named that version, else with C(glr bump) (refused when the file pins C(release.sha256)).
      - A refused run always leaves the file as it was; after must act the file is never touched
        (the operator acts, see glr's operator guide, "Recovery after exit 4").
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
notes:
  - glr never prints a value of the node's C(.env); neither does this module.
seealso:
  - module: genlayer.glr.glr_info
'''

EXAMPLES = r'''
- name: Bring the host to v0.5.11
  genlayer.glr.glr_reconcile:
    file: /etc/glr/desired-state.yaml
    version: v0.5.11
  register: switch

- name: Pin the tarball's checksum too, and put the file back if the release is rolled back
  genlayer.glr.glr_reconcile:
    file: /etc/glr/desired-state.yaml
    version: v0.5.11
    sha256: 9f2c4d0b6e8a1f3c5b7d9e0a2c4e6f8a1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a
    restore_on_rollback: true

- name: Converge to whatever the file says, with glr installed elsewhere
  genlayer.glr.glr_reconcile:
    file: /srv/validator/desired-state.yaml
    glr: [/usr/local/bin/node, /srv/glr/dist/bin/glr.js]
'''

RETURN = r'''
outcome:
  description: How glr's pass ended.
  returned: always
  type: str
  choices: [converged, applied, refused, rolled-back, must-act, pending]
  sample: applied
exit_code:
  description: The exit code of C(glr reconcile) (0, 1, 3, 4; 0 or 2 in check mode), or of the
    watcher's pass as its history records it.
  returned: when glr ran
  type: int
  sample: 0
from:
  description: The version that ran before (null when none ran).
  returned: always
  type: str
  sample: v0.5.10
version:
  description: The version the file asks for.
  returned: always
  type: str
  sample: v0.5.11
downtime_ms:
  description: The node's downtime as a prober of /health sees it (null when the node was not
    stopped).
  returned: when applied, rolled back or must act
  type: int
  sample: 3870
window_ms:
  description: The switch window (stop, swap, start), in ms.
  returned: when applied, rolled back or must act
  type: int
  sample: 2950
phases:
  description: Every timed step of the apply, in the order they ran.
  returned: when glr applied a plan
  type: list
  elements: dict
  sample: [{name: download, ms: 5210}, {name: stop, ms: 2100}, {name: verify, ms: 41000}]
rolled_back:
  description: The switch failed and the previous version was restored and is healthy again.
  returned: always
  type: bool
must_act:
  description: The switch failed and the previous version could not be restored - the node may
    be down and the operator must act.
  returned: always
  type: bool
restored:
  description: The file was put back (a refusal, or a rollback with I(restore_on_rollback)).
  returned: always
  type: bool
restore_problem:
  description: Why the file could not be put back to the version that runs after a rollback
    (glr bump's refusal, e.g. a file that pins C(release.sha256) another version's).
  returned: when I(restore_on_rollback) could not put the file back
  type: str
watcher:
  description: The process id of the C(glr watch) whose result was awaited; null when the module
    ran glr itself.
  returned: always
  type: int
plan:
  description: The plan as C(glr reconcile --dry-run --json) prints it (what would run, in
    order, with its refusals, warnings and notes).
  returned: in check mode, and when the plan is refused
  type: dict
msg:
  description: glr's message (the refusal, or why the switch failed).
  returned: always
  type: str
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.genlayer.glr.plugins.module_utils.glr import (
    DEFAULT_GLR,
    EXIT_OK,
    EXIT_PENDING,
    EXIT_REFUSED,
    OUTCOME_OF_EXIT,
    Glr,
    Scratch,
    history_since,
    now,
    read_bytes,
    version_line,
    wait_for_watcher,
    write_bytes,
)


class Reconcile(object):
    def __init__(self, module):
        self.module = module
        p = module.params
        self.file = os.path.abspath(p['file'])
        if not os.path.isfile(self.file):
            module.fail_json(msg='%s: no such desired-state file' % self.file)
        self.glr = Glr(module, p['glr'], self.file)
        self.original = read_bytes(self.file)
        # the bytes this task means the file to hold (the bump's result)
        self.wanted = None
        self.result = dict(changed=False, rolled_back=False, must_act=False, restored=False, watcher=None)

    def done(self, **kw):
        self.result.update(kw)
        self.module.exit_json(**self.result)

    def failed(self, msg, **kw):
        self.result.update(kw)
        self.module.fail_json(msg=msg, **self.result)

    def run(self):
        p = self.module.params
        if p['sha256'] is not None and p['version'] is None:
            self.failed('sha256 is set without a version: give the version it is the checksum of')
        before = self.glr.status()
        self.result['from'] = (before.get('running') or {}).get('version')
        # the version the file named before this task: a rollback may put those bytes back
        self.named = (before.get('desired') or {}).get('version')

        # the bump and the plan on a copy first: the file is only written for a plan glr accepts
        scratch = Scratch(self.module, self.file)
        try:
            if p['version'] is not None:
                bump = ['bump', p['version']] + (['--sha256', p['sha256']] if p['sha256'] else [])
                r = self.glr.run(bump, file=scratch.file)
                if r.rc != 0:
                    self.failed(self.in_file(r.said(), scratch), outcome='refused', exit_code=r.rc, version=p['version'])
            self.wanted = wanted = read_bytes(scratch.file)
            dry = self.glr.run(['reconcile', '--dry-run', '--json'], file=scratch.file)
        finally:
            scratch.remove()
        plan = dry.json()
        version = p['version'] or (before.get('desired') or {}).get('version')
        self.result.update(version=version)
        if self.module._diff:
            self.result['diff'] = dict(before=version_line(self.original), after=version_line(wanted), before_header=self.file, after_header=self.file)
        file_differs = wanted != self.original

        if dry.rc == EXIT_REFUSED:
            refusals = (plan or {}).get('refusals') or []
            msg = '\n'.join(refusals) if refusals else self.in_file(dry.said(), scratch)
            self.failed(msg, outcome='refused', exit_code=dry.rc, plan=plan)
        if dry.rc not in (EXIT_OK, EXIT_PENDING) or plan is None:
            self.failed('glr reconcile --dry-run: %s' % self.in_file(dry.said(), scratch), exit_code=dry.rc)
        pending = dry.rc == EXIT_PENDING

        if self.module.check_mode:
            msg = 'would apply the plan to %s' % version if pending else 'converged: %s runs healthy' % version
            self.done(changed=pending or file_differs, outcome='pending' if pending else 'converged', exit_code=dry.rc, plan=plan, msg=msg)

        started = now() - 0.001
        if file_differs:
            self.write_version(p['version'], p['sha256'], wanted)
        if not pending:
            self.done(changed=file_differs, outcome='converged', exit_code=EXIT_OK, msg='converged: %s runs healthy; nothing to do' % version)

        lock = before.get('lock') or {}
        if lock.get('command') == 'watch':
            self.result['watcher'] = lock.get('pid')
            waited = wait_for_watcher(self.glr, (before.get('root') or {}).get('path'), version, started, p['timeout'])
            if waited.record is not None:
                return self.report(waited.record['exitCode'], waited.record.get('outcome'), self.measures(waited.record), waited.record.get('message') or waited.record.get('reason'))
            if waited.refusals:
                return self.report(EXIT_REFUSED, 'refused', {}, '\n'.join(waited.refusals))
            if waited.converged:
                return self.report(EXIT_OK, 'applied', {}, '%s runs healthy (the watcher recorded no result)' % version)
            if waited.timed_out:
                self.failed(
                    'glr watch (pid %s) has not reported a result for %s within %s s; the file asks for it: see glr status on the host'
                    % (lock.get('pid'), version, p['timeout']),
                    changed=file_differs,
                    outcome='pending',
                )
            # the watcher went away without a result: this module runs glr itself

        r = self.glr.run(['reconcile', '--json'])
        out = r.json() or {}
        record = history_since((before.get('root') or {}).get('path') or '', version, started) if r.rc != EXIT_REFUSED else None
        measures = self.measures(out)
        if record is not None:
            measures['from'] = record.get('from')
        msg = out.get('message') or r.said()
        return self.report(r.rc, out.get('outcome'), measures, msg)

    def report(self, exit_code, outcome, measures, msg):
        self.result.update(measures)
        self.result['exit_code'] = exit_code
        if exit_code == EXIT_OK:
            applied = outcome != 'converged'
            self.done(changed=applied or self.result.get('changed', False) or self.original != read_bytes(self.file), outcome='applied' if applied else 'converged', msg=msg)
        kind = OUTCOME_OF_EXIT.get(exit_code)
        if kind == 'refused':
            restored = self.restore_original()
            self.failed(msg, changed=False, outcome=kind, restored=restored)
        if kind == 'rolled-back':
            restored = self.module.params['restore_on_rollback'] and self.restore_running()
            self.failed(msg, changed=True, outcome=kind, rolled_back=True, restored=bool(restored))
        if kind == 'must-act':
            self.failed(msg, changed=True, outcome=kind, must_act=True)
        self.failed('glr reconcile exited %s: %s' % (exit_code, msg), changed=True, outcome=outcome)

    @staticmethod
    def measures(source):
        keep = dict(downtime_ms='downtimeMs', window_ms='windowMs', phases='phases')
        out = dict((k, source.get(v)) for k, v in keep.items() if v in source)
        if 'from' in source:
            out['from'] = source['from']
        return out

    def write_version(self, version, sha256, wanted):
        """The file to the bumped bytes, by glr bump itself (it keeps mode and owner)."""
        r = self.glr.run(['bump', version] + (['--sha256', sha256] if sha256 else []))
        if r.rc != 0:
            self.failed(r.said(), outcome='refused', exit_code=r.rc)
        self.result['changed'] = True
        if read_bytes(self.file) != wanted:
            self.failed('%s changed while glr_reconcile ran; run it again' % self.file, outcome='refused')

    def restore_original(self):
        """The file as it was before this task, when it still holds what this task wrote (an edit made since is kept)."""
        if self.original == self.wanted or read_bytes(self.file) != self.wanted:
            return False
        write_bytes(self.module, self.file, self.original)
        return True

    def restore_running(self):
        """After a rollback: the file back to the version that runs (`from`); its own bytes when it named that one."""
        back = self.result.get('from')
        if not back:
            return False
        if self.named == back:
            return self.restore_original()
        before = read_bytes(self.file)
        r = self.glr.run(['bump', back])
        if r.rc != 0:
            self.result['restore_problem'] = r.said()
            return False
        return read_bytes(self.file) != before

    def in_file(self, text, scratch):
        """glr's words about the temporary copy, said about the file."""
        return text.replace(scratch.file, self.file)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            file=dict(type='path', required=True),
            version=dict(type='str'),
            sha256=dict(type='str'),
            glr=dict(type='list', elements='str', default=list(DEFAULT_GLR)),
            timeout=dict(type='int', default=1800),
            restore_on_rollback=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    Reconcile(module).run()


if __name__ == '__main__':
    main()
