# -*- coding: utf-8 -*-
# Copyright: glr maintainers; MIT License (see the repository's package.json)
"""
glr's command line as the modules of genlayer.glr use it. They rely only on what glr's contract
promises (docs/contract.md, docs/status.md): the exit codes, the JSON `reconcile --json` and
`status --json` print on stdout, and the history file's fields. glr's stderr carries its logs
(JSON lines) and its one-line errors (`glr: ...`); it never decides anything here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import json
import os
import re
import shutil
import tempfile
import time

DEFAULT_GLR = ['node', '/opt/glr/dist/bin/glr.js']

# reconcile's exit codes (docs/contract.md, "Exit codes")
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_PENDING = 2
EXIT_ROLLED_BACK = 3
EXIT_MUST_ACT = 4

OUTCOME_OF_EXIT = {EXIT_REFUSED: 'refused', EXIT_ROLLED_BACK: 'rolled-back', EXIT_MUST_ACT: 'must-act'}

_VERSION_LINE = re.compile(r'^version:[^\r\n]*', re.MULTILINE)


class GlrRun(object):
    def __init__(self, argv, rc, stdout, stderr):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def json(self):
        """The JSON object glr printed on stdout, or None."""
        try:
            value = json.loads(self.stdout)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def error_lines(self):
        """glr's own error lines (`glr: ...` on stderr), without the prefix; log lines are JSON."""
        return [line[5:] for line in self.stderr.splitlines() if line.startswith('glr: ')]

    def said(self):
        """What glr said went wrong, in its own words, or a line naming the exit code."""
        lines = self.error_lines()
        if lines:
            return '\n'.join(lines)
        return 'glr %s exited %s' % (self.argv[0] if self.argv else '', self.rc)


class Glr(object):
    """Runs glr on one desired-state file, with the file's folder as the working directory."""

    def __init__(self, module, argv, file):
        self.module = module
        self.argv = list(argv or DEFAULT_GLR)
        self.file = os.path.abspath(file)
        self.cwd = os.path.dirname(self.file)
        self._check_runnable()

    def _check_runnable(self):
        if not self.argv:
            self.module.fail_json(msg='glr: an empty command; give the argv that runs glr (e.g. [node, /opt/glr/dist/bin/glr.js])')
        exe = self.argv[0]
        found = exe if os.path.isabs(exe) else self.module.get_bin_path(exe)
        if not found or not os.access(found, os.X_OK):
            self.module.fail_json(msg='cannot run glr: %s is not an executable here (glr: %s)' % (exe, ' '.join(self.argv)))
        if len(self.argv) > 1 and self.argv[1].endswith('.js') and not os.path.isfile(self.argv[1]):
            self.module.fail_json(msg='cannot run glr: %s does not exist (is glr installed? the role genlayer.glr.glr installs it)' % self.argv[1])

    def run(self, args, file=None):
        argv = self.argv + list(args) + ['-f', file or self.file]
        rc, out, err = self.module.run_command(argv, cwd=self.cwd)
        return GlrRun(list(args), rc, out, err)

    def status(self):
        """`glr status --json` (docs/status.md); fails the task when glr cannot read the file or root."""
        r = self.run(['status', '--json'])
        status = r.json()
        if r.rc != 0 or status is None:
            self.module.fail_json(msg=r.said(), changed=False, exit_code=r.rc)
        return status


def read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def version_line(data):
    """The file's top-level `version:` line (what diff mode shows), or ''."""
    m = _VERSION_LINE.search(data.decode('utf-8', 'replace'))
    return m.group(0) + '\n' if m else ''


def write_bytes(module, path, data):
    """
    Replaces the file atomically (a temporary file in its folder, then a rename over it) with its
    mode and owner kept, so that `glr watch` never reads half of it; a symlink stays a link.
    """
    real = os.path.realpath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(real), prefix='.%s.' % os.path.basename(real))
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        module.atomic_move(tmp, real)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class Scratch(object):
    """A private temporary folder for a copy of the desired-state file (check mode, trial bumps)."""

    def __init__(self, module, file):
        self.dir = tempfile.mkdtemp(prefix='glr-ansible-')
        module.add_cleanup_file(self.dir)
        self.file = os.path.join(self.dir, os.path.basename(file))
        shutil.copyfile(file, self.file)

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_time(at):
    """An ISO 8601 UTC time as glr writes it (`2026-11-24T21:25:03.120Z`) → seconds, or None."""
    if not isinstance(at, str):
        return None
    m = re.match(r'^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$', at)
    if not m:
        return None
    whole = calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7)) + (0, 0, 0))
    frac = float('0.' + m.group(7)) if m.group(7) else 0.0
    return whole + frac


def history_since(root, version, since):
    """
    The newest record of `{root}/.glr/history.jsonl` for `version` that ended at or after `since`
    (seconds), or None. A record is appended whole in one write; a line that does not parse is a
    torn last line and is skipped, as glr's own readers do. A rotation moves older lines away,
    never the newest, so the current file is enough.
    """
    path = os.path.join(root, '.glr', 'history.jsonl')
    try:
        with open(path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
    except (IOError, OSError):
        return None
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        at = parse_time(record.get('at'))
        if at is None or at < since:
            return None
        if record.get('version') == version:
            return record
    return None


def now():
    return time.time()


class Waited(object):
    def __init__(self):
        self.record = None
        self.refusals = None
        self.converged = False
        self.timed_out = False
        self.gone = False


# how often the watcher's result is looked for in the history, and its state asked of glr status
HISTORY_POLL_SECONDS = 0.25
STATUS_POLL_SECONDS = 2.0
# how long a record may follow a host seen converged
RECORD_GRACE_SECONDS = 10.0


def wait_for_watcher(glr, root, version, since, timeout):
    """
    Waits for the `glr watch` that holds the root's lock to act on the file just written: its
    history record for `version` ended at or after `since`. Meanwhile `glr status --json` is asked
    every few seconds: the watcher gone (nothing holds the lock) ends the wait with `gone`; a plan
    glr refuses, or a host converged on `version`, seen at two looks in a row with no record in
    between, is the watcher's verdict (a refused plan writes no history line; one look could fall
    in the middle of the watcher's own switch).
    """
    waited = Waited()
    deadline = now() + timeout
    next_status = now() + STATUS_POLL_SECONDS
    settled = None
    while True:
        waited.record = history_since(root, version, since) if root else None
        if waited.record is not None:
            return waited
        if now() >= next_status:
            next_status = now() + STATUS_POLL_SECONDS
            r = glr.run(['status', '--json'])
            status = r.json() if r.rc == 0 else None
            if status is not None:
                lock = status.get('lock') or {}
                plan = status.get('plan') or {}
                running = status.get('running') or {}
                if lock.get('command') != 'watch':
                    waited.record = history_since(root, version, since) if root else None
                    waited.gone = waited.record is None
                    return waited
                state = plan.get('state')
                if state == 'refused':
                    seen = ('refused', tuple(plan.get('refusals') or []))
                elif state == 'converged' and running.get('version') == version and running.get('healthy'):
                    seen = ('converged',)
                else:
                    seen = None
                if seen is not None and seen == settled:
                    if seen[0] == 'refused':
                        waited.refusals = list(seen[1])
                        return waited
                    # healthy on it: the record follows the last steps of the apply
                    grace = now() + RECORD_GRACE_SECONDS
                    while waited.record is None and now() < grace:
                        time.sleep(HISTORY_POLL_SECONDS)
                        waited.record = history_since(root, version, since) if root else None
                    waited.converged = waited.record is None
                    return waited
                settled = seen
        if now() >= deadline:
            waited.timed_out = True
            return waited
        time.sleep(HISTORY_POLL_SECONDS)
