import { describe, expect, it } from '@jest/globals';
import { ProgressWriter } from './progress-writer.js';

class Lost extends Error {}

/** A `send` whose answers the test gives, one by one, in order. */
function controlledSend() {
  const calls: Array<{ rowsDone: number; answer: (ok: boolean) => void; fail: (err: Error) => void }> = [];
  const send = (rowsDone: number) =>
    new Promise<boolean>((resolve, reject) => {
      calls.push({ rowsDone, answer: resolve, fail: reject });
    });
  return { calls, send };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ProgressWriter', () => {
  it('sends at once, keeps one update on its way and only the newest count meanwhile', async () => {
    const { calls, send } = controlledSend();
    const progress = new ProgressWriter(send, () => new Lost());
    progress.report(1000);
    progress.report(2000);
    progress.report(3000);
    expect(calls.map((c) => c.rowsDone)).toEqual([1000]);
    calls[0]!.answer(true);
    await tick();
    expect(calls.map((c) => c.rowsDone)).toEqual([1000, 3000]);
    const settled = progress.settle();
    calls[1]!.answer(true);
    await settled;
    expect(calls).toHaveLength(2);
  });

  it('never holds up report() while an update is on its way', () => {
    const { calls, send } = controlledSend();
    const progress = new ProgressWriter(send, () => new Lost());
    for (let i = 1; i <= 100; i++) progress.report(i);
    expect(calls).toHaveLength(1);
  });

  it('throws superseded once an update found the job taken over, and sends nothing more', async () => {
    const { calls, send } = controlledSend();
    const progress = new ProgressWriter(send, () => new Lost());
    progress.report(1);
    progress.report(2);
    calls[0]!.answer(false);
    await tick();
    expect(() => progress.check()).toThrow(Lost);
    expect(() => progress.report(3)).toThrow(Lost);
    await expect(progress.settle()).rejects.toThrow(Lost);
    expect(calls).toHaveLength(1);
  });

  it('passes on a failed update, from report(), check() and settle()', async () => {
    const { calls, send } = controlledSend();
    const progress = new ProgressWriter(send, () => new Lost());
    progress.report(1);
    calls[0]!.fail(new Error('connection lost'));
    await expect(progress.settle()).rejects.toThrow('connection lost');
    expect(() => progress.report(2)).toThrow('connection lost');
    expect(calls).toHaveLength(1);
  });

  it('treats a send that throws at once as a failed update', async () => {
    const progress = new ProgressWriter(() => {
      throw new Error('pool closed');
    }, () => new Lost());
    progress.report(1);
    await expect(progress.settle()).rejects.toThrow('pool closed');
  });

  it('settles at once when nothing was reported', async () => {
    const progress = new ProgressWriter(() => Promise.resolve(true), () => new Lost());
    await expect(progress.settle()).resolves.toBeUndefined();
  });

  it('sends nothing more once stopped (the export failed), not even a count waiting', async () => {
    const { calls, send } = controlledSend();
    const progress = new ProgressWriter(send, () => new Lost());
    progress.report(1);
    progress.report(2);
    progress.stop();
    progress.report(3);
    calls[0]!.answer(true);
    await progress.settle();
    expect(calls.map((c) => c.rowsDone)).toEqual([1]);
  });
});
