import { afterEach, beforeEach } from 'vitest';
import { glrsOfEachTest } from './glr.js';

// a test that failed half-way (an assertion before its `await run.done`) leaves the glr it
// started running: it is killed at the test's end, never left to act on the next test's host
beforeEach(() => glrsOfEachTest.begin());
afterEach(() => glrsOfEachTest.end());
