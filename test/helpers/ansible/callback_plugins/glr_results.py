# -*- coding: utf-8 -*-
# glr's fleet tests: every task result as one JSON line in $GLR_RESULTS_FILE, so that a test reads
# what each module returned on each host (the screen output is for people).
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: glr_results
type: aggregate
short_description: write every task result as a JSON line (glr's tests)
description:
  - Appends one JSON object per task result (host, task, action, status, the module's result) to
    the file named by the environment variable GLR_RESULTS_FILE.
requirements:
  - GLR_RESULTS_FILE set in the environment
'''

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'glr_results'
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status, result):
        path = os.environ.get('GLR_RESULTS_FILE')
        if not path:
            return
        line = dict(
            host=result._host.get_name(),
            task=result._task.get_name(),
            action=result._task.action,
            status=status,
            result=result._result,
        )
        with open(path, 'a') as f:
            f.write(json.dumps(line, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._write('changed' if result._result.get('changed') else 'ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('failed', result)

    def v2_runner_on_skipped(self, result):
        self._write('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._write('unreachable', result)
