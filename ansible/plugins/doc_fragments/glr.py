# -*- coding: utf-8 -*-
# Copyright: glr maintainers; MIT License (see the repository's package.json)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The option every module of genlayer.glr has (module_utils/glr.py's DEFAULT_GLR is its default).
    DOCUMENTATION = r'''
options:
  glr:
    description:
      - The argv that runs glr on the host.
    type: list
    elements: str
    default: [node, /opt/glr/dist/bin/glr.js]
'''
