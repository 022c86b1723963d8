/**
 * GenLayer's node facts glr reads, pure: /metrics sync gauges and progress, config.yaml as key
 * paths, and the GENLAYERNODE_* overrides of config keys (genlayer-docs setup-guide.mdx).
 */
import { describe, expect, it } from 'vitest';
import { changedKeys, configLeaves, driftWarnings, keysMissingFrom, overriddenKeys, overrideVariable } from '../../src/genlayer/node-config.js';
import { madeProgress, parseSync, syncPace } from '../../src/genlayer/node-sync.js';

const METRICS = `# HELP genlayer_node_synced_block Last synced block number.
# TYPE genlayer_node_synced_block gauge
genlayer_node_synced_block{node="0xab",network="asimov"} 1200
genlayer_node_synced{node="0xab",network="asimov"} 0
genlayer_node_blocks_behind{node="0xab",network="asimov"} 800
genlayer_node_latest_block{node="0xab",network="asimov"} 2000
go_goroutines 42
`;

describe('the sync gauges of /metrics', () => {
  it('read with their labels; blocks behind computed when the node does not say it; none of them: null', () => {
    expect(parseSync(METRICS, 5)).toEqual({ at: 5, syncedBlock: 1200, latestBlock: 2000, blocksBehind: 800, synced: false });
    expect(parseSync('genlayer_node_synced_block 10\ngenlayer_node_latest_block 25\n', 1)).toMatchObject({ blocksBehind: 15, synced: null });
    expect(parseSync('go_goroutines 42\n', 1)).toBeNull();
  });

  it('progress: the synced block rising, or the blocks behind falling; standing still while the chain moves is none', () => {
    const at = (t: number, synced: number, behind: number) => ({
      at: t,
      syncedBlock: synced,
      latestBlock: synced + behind,
      blocksBehind: behind,
      synced: false,
    });
    expect(madeProgress(at(0, 100, 50), at(1, 101, 60))).toBe(true);
    expect(madeProgress(at(0, 100, 50), at(1, 100, 49))).toBe(true);
    expect(madeProgress(at(0, 100, 50), at(1, 100, 70))).toBe(false);
    expect(syncPace(at(0, 100, 1000), at(10_000, 700, 400))).toEqual({ blocksPerSecond: 60, doneInSeconds: 400 / 60 });
    expect(syncPace(at(0, 100, 1000), at(10_000, 100, 1100))).toEqual({ blocksPerSecond: -10, doneInSeconds: null });
  });
});

describe('config.yaml as key paths', () => {
  const RUNNING =
    'consensus:\n  consensusaddress: "0xold"\n  genesis: 17326\nnode:\n  validatorWalletAddress: "0x1"\n  ops: {port: 9153}\nrollup:\n  urls: [a, b]\n';
  const NEW =
    'consensus:\n  consensusaddress: "0xnew"\n  genesis: 17326\nnode:\n  validatorWalletAddress: "0x1"\n  ops: {port: 9153}\ngenvm:\n  sync_permits: 64\n';

  it('leaves by dotted path (a list is one); what changed between two configs, never a value', () => {
    const a = configLeaves(RUNNING)!;
    expect([...a.keys()]).toEqual(['consensus.consensusaddress', 'consensus.genesis', 'node.validatorWalletAddress', 'node.ops.port', 'rollup.urls']);
    expect(changedKeys(a, configLeaves(NEW)!)).toEqual(['consensus.consensusaddress', 'genvm.sync_permits', 'rollup.urls']);
    expect(configLeaves('- a list\n')).toBeNull();
    expect(configLeaves('a: [unclosed\n')).toBeNull();
  });

  it('drift: each missing section named once, at its top', () => {
    expect(keysMissingFrom(NEW, RUNNING)).toEqual(['genvm']);
    expect(keysMissingFrom(RUNNING, NEW)).toEqual(['rollup']);
    expect(driftWarnings('v0.5.12', { missing: ['genvm'], extra: [] })).toEqual([
      "v0.5.12's configs/node/config.yaml.example has genvm, which the config.yaml v0.5.12 runs with lacks (GenLayer: releases add keys; do not copy config blindly): the node uses its defaults for it",
    ]);
  });

  it('GENLAYERNODE_<KEY>: dots → _, upper case; matched against the keys the configs have, else spelled out', () => {
    expect(overrideVariable('node.validatorWalletAddress')).toBe('GENLAYERNODE_NODE_VALIDATORWALLETADDRESS');
    expect(overrideVariable('consensus.chain_submit_buffer')).toBe('GENLAYERNODE_CONSENSUS_CHAIN_SUBMIT_BUFFER');
    expect(
      overriddenKeys(
        ['HEURISTKEY', 'GENLAYERNODE_NODE_VALIDATORWALLETADDRESS', 'GENLAYERNODE_CONSENSUS_CHAIN_SUBMIT_BUFFER', 'GENLAYERNODE_X_Y', 'GENLAYERNODE_'],
        ['node.validatorWalletAddress', 'consensus.chain_submit_buffer'],
      ),
    ).toEqual([
      { variable: 'GENLAYERNODE_CONSENSUS_CHAIN_SUBMIT_BUFFER', key: 'consensus.chain_submit_buffer', known: true },
      { variable: 'GENLAYERNODE_NODE_VALIDATORWALLETADDRESS', key: 'node.validatorWalletAddress', known: true },
      { variable: 'GENLAYERNODE_X_Y', key: 'x.y', known: false },
    ]);
  });
});
