import { afterEach } from 'vitest';
import { killStartedGlrs } from './glr.js';

// a test that failed half-way (an assertion before its `await run.done`) leaves the glr it
// started running: it is killed here, never left to act on the next test's host
afterEach(() => killStartedGlrs());
