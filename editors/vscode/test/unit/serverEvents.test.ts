import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { describeActivity, isStartup, ServerEvents, type Activity } from '../../src/serverEvents';

function recorder() {
  const calls: { active: Activity[]; ended?: Activity }[] = [];
  const shown: string[] = [];
  return {
    calls,
    shown,
    sink: {
      onActivity: (active: Activity[], ended?: Activity) => calls.push({ active, ended }),
      onMessage: (m: { text: string }) => shown.push(m.text),
    },
  };
}

const progress = (token: string, value: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  method: '$/progress',
  params: { token, value },
});
const show = (message: string, type = 3) => ({ jsonrpc: '2.0', method: 'window/showMessage', params: { type, message } });

describe('ServerEvents', () => {
  it('tracks work-done progress from begin to end', () => {
    const r = recorder();
    const events = new ServerEvents(r.sink);
    events.observe(progress('a', { kind: 'begin', title: 'InkMod', message: 'opening profile', percentage: 0 }));
    events.observe(progress('a', { kind: 'report', message: 'starting the InkMod daemon' }));
    events.observe(progress('b', { kind: 'begin', title: "InkMod: training profile 'default'" }));
    assert.equal(events.activities.length, 2);
    assert.equal(events.activities[0].message, 'starting the InkMod daemon');
    events.observe(progress('a', { kind: 'end' }));
    events.observe(progress('b', { kind: 'end', message: 'done' }));
    events.observe(progress('zzz', { kind: 'end' })); // unknown token: ignored
    assert.equal(events.activities.length, 0);
    assert.equal(r.calls.length, 5);
    assert.equal(r.calls[4].ended?.message, 'done');
  });

  it('passes every message on through the strategy, unchanged', () => {
    const r = recorder();
    const events = new ServerEvents(r.sink);
    const passed: unknown[] = [];
    const next = (m: unknown) => passed.push(m);
    const messages = [
      { jsonrpc: '2.0', id: 1, result: null },
      { jsonrpc: '2.0', id: 2, method: 'workspace/configuration', params: {} },
      show("InkMod: profile 'default', daemon ready; rewrite available."),
      progress('a', { kind: 'begin', title: 'InkMod' }),
    ];
    for (const m of messages) {
      events.strategy.handleMessage(m as never, next);
    }
    assert.deepEqual(passed, messages);
    assert.equal(r.shown.length, 1);
  });

  it('never loses a message when observing fails', () => {
    const events = new ServerEvents({ onActivity: () => { throw new Error('bug'); } });
    const passed: unknown[] = [];
    events.strategy.handleMessage(progress('a', { kind: 'begin', title: 'x' }) as never, (m) => passed.push(m));
    assert.equal(passed.length, 1);
  });

  it('remembers what the server said, for a while', () => {
    let now = 1_000;
    const r = recorder();
    const events = new ServerEvents(r.sink, () => now);
    events.observe(show('InkMod: samples folder not found: /x'));
    assert.deepEqual(r.shown, ['InkMod: samples folder not found: /x']);
    assert.equal(events.wasShown('samples folder not found: /x'), true);
    assert.equal(events.wasShown('InkMod: samples folder not found: /x'), true);
    assert.equal(events.wasShown('something else'), false);
    now += 60_000;
    assert.equal(events.wasShown('samples folder not found: /x'), false);
  });

  it('forgets running work on reset', () => {
    const events = new ServerEvents(recorder().sink);
    events.observe(progress('a', { kind: 'begin', title: 'InkMod' }));
    events.reset();
    assert.equal(events.activities.length, 0);
  });
});

describe('describeActivity', () => {
  it('names the latest work briefly', () => {
    assert.equal(describeActivity([]), undefined);
    assert.equal(describeActivity([{ token: '1', title: 'InkMod', message: 'opening profile' }]), 'opening profile');
    assert.equal(
      describeActivity([{ token: '1', title: 'InkMod: rewriting in your style', message: 'candidate 1/3: 12 tokens' }]),
      'rewriting in your style: candidate 1/3: 12 tokens',
    );
    const long = describeActivity([{ token: '1', title: 'InkMod: x', message: 'y'.repeat(100) }]);
    assert.equal(long?.length, 60);
    assert.ok(long?.endsWith('…'));
  });
  it('recognises the start-up progress', () => {
    assert.equal(isStartup({ token: '1', title: 'InkMod' }), true);
    assert.equal(isStartup({ token: '1', title: 'InkMod: training' }), false);
  });
});
