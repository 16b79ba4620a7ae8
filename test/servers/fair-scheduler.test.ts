import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATAGRAM_OVERHEAD, DEFAULT_FAIR_SCHEDULER, FairScheduler, type FairSchedulerOptions } from '../../src/servers/fair-scheduler.js';

/** A scheduler whose turns end when the test says, with a clock the test moves. */
function harness(options: Partial<FairSchedulerOptions> = {}) {
  const answered: string[] = [];
  let pending: (() => void) | undefined;
  let now = 0;
  const scheduler = new FairScheduler<string>((_datagram, from) => { answered.push(from); now += 0.01; },
    { ...DEFAULT_FAIR_SCHEDULER, ...options },
    { afterTurn: (callback) => { pending = callback; }, now: () => now });
  const endTurn = (): void => { const callback = pending; pending = undefined; callback?.(); };
  const send = (client: string, label: string, bytes = 40): string => scheduler.submit(client, new Uint8Array(bytes), label);
  return { scheduler, answered, endTurn, send, turnPending: () => pending !== undefined };
}

describe('fair scheduling of UDP queries', () => {
  test('a quiet client is answered at once while a flooding one waits its turn; nothing is lost or reordered within a client', () => {
    const { answered, endTurn, send } = harness();
    for (let i = 1; i <= 10; i++) send('10.0.0.1', `a${i}`);
    assert.equal(send('10.0.0.2', 'b1'), 'now');
    assert.deepEqual(answered, ['a1', 'a2', 'a3', 'a4', 'b1'], 'the flood gets its inline share, then the quiet client goes first');
    endTurn();
    assert.deepEqual(answered.slice(5), ['a5', 'a6', 'a7', 'a8', 'a9', 'a10']);
  });

  test('waiting clients are served round robin', () => {
    const { answered, endTurn, send } = harness({ inlinePerTurn: 1 });
    for (let i = 1; i <= 3; i++) { send('a', `a${i}`); send('b', `b${i}`); }
    endTurn();
    assert.deepEqual(answered, ['a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
  });

  test('a client with datagrams waiting queues its next ones too, even in a new turn: its answers stay in order', () => {
    const { answered, endTurn, send } = harness({ inlinePerTurn: 2, fullBatch: 4, busyDrain: 1 });
    for (let i = 1; i <= 5; i++) send('a', `a${i}`);
    endTurn(); // busy (5 >= 4): one waiting datagram served
    assert.deepEqual(answered, ['a1', 'a2', 'a3']);
    assert.equal(send('a', 'a6'), 'queued', 'a new turn, but a4 and a5 still wait');
    endTurn();
    assert.deepEqual(answered, ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
  });

  test('while the socket keeps delivering full batches only a few waiting datagrams are served per turn; when it goes quiet, the rest', () => {
    const { scheduler, answered, endTurn, send, turnPending } = harness({ fullBatch: 32, busyDrain: 2, idleDrainMs: 1 });
    for (let i = 0; i < 40; i++) send('flood', `f${i}`);
    endTurn();
    assert.equal(answered.length, 4 + 2, 'busy turn: inline share plus two');
    assert.equal(turnPending(), true, 'more turns are asked for while datagrams wait');
    endTurn(); // nothing read this turn: the socket is quiet
    // The clock moves 0.01 ms per answer: a 1 ms slice answers about 100, which covers the rest.
    assert.equal(answered.length, 40);
    assert.equal(scheduler.waiting, 0);
    assert.equal(scheduler.stats.deferred, 36);
  });

  test('a quiet-socket drain stops at its time slice and goes on in the next turn', () => {
    const { scheduler, answered, endTurn, send } = harness({ inlinePerTurn: 0, fullBatch: 10_000, idleDrainMs: 0.05 });
    for (let i = 0; i < 100; i++) send('c', `c${i}`);
    endTurn();
    assert.ok(answered.length < 100 && answered.length >= 5, `answered ${answered.length} in one slice`);
    while (scheduler.waiting > 0) endTurn();
    assert.equal(answered.length, 100);
  });

  test('bounded: a client\'s queue and all queues\' bytes; beyond them datagrams are dropped and counted', () => {
    const perClient = harness({ inlinePerTurn: 0, queuePerClient: 5 });
    const outcomes = Array.from({ length: 8 }, (_, i) => perClient.send('a', `a${i}`));
    assert.deepEqual(outcomes, ['queued', 'queued', 'queued', 'queued', 'queued', 'dropped', 'dropped', 'dropped']);
    assert.equal(perClient.scheduler.stats.dropped, 3);
    assert.equal(perClient.send('b', 'b0'), 'queued', 'another client has its own queue');

    // Each waiting datagram counts its bytes plus DATAGRAM_OVERHEAD.
    const bytes = harness({ inlinePerTurn: 0, queueBytes: 2 * DATAGRAM_OVERHEAD + 1100 });
    assert.equal(bytes.send('a', 'big', 900), 'queued');
    assert.equal(bytes.send('b', 'over', 300), 'dropped', 'the byte bound covers every client');
    assert.equal(bytes.send('b', 'small', 100), 'queued');
    bytes.endTurn();
    assert.equal(bytes.send('b', 'fits now', 300), 'queued', 'answered datagrams give their bytes back');

    const tiny = harness({ inlinePerTurn: 0, queueBytes: 10 * DATAGRAM_OVERHEAD });
    const queued = Array.from({ length: 20 }, (_, i) => tiny.send(`10.0.0.${i}`, `t${i}`, 12)).filter((outcome) => outcome === 'queued').length;
    assert.equal(queued, 9, 'a flood of tiny datagrams from many addresses is bounded by count too');
  });

  test('discard forgets what waits (the socket is closing)', () => {
    const { scheduler, answered, endTurn, send } = harness({ inlinePerTurn: 0 });
    for (let i = 0; i < 5; i++) send('a', `a${i}`);
    scheduler.discard();
    endTurn();
    assert.deepEqual(answered, []);
    assert.equal(scheduler.waiting, 0);
  });

  test('the end of a turn is asked for only when it can matter; until then counts run on, so the share is never looser', () => {
    const { answered, endTurn, send, turnPending } = harness({ inlinePerTurn: 3, fullBatch: 5 });
    // One datagram per turn, below the share: no end of turn is asked for (no timer per datagram).
    assert.equal(send('a', 'a1'), 'now');
    assert.equal(turnPending(), false);
    assert.equal(send('a', 'a2'), 'now');
    assert.equal(turnPending(), false);
    // The third reaches the share: now the turn must end to start the counts over.
    assert.equal(send('a', 'a3'), 'now');
    assert.equal(turnPending(), true);
    assert.equal(send('a', 'a4'), 'queued', 'the share counts from the last end of a turn, across turns');
    endTurn();
    assert.deepEqual(answered, ['a1', 'a2', 'a3', 'a4']);
    assert.equal(turnPending(), false);
    assert.equal(send('a', 'a5'), 'now', 'the count started over');

    // Many clients with one datagram each: a batch's worth ends the turn, which bounds the counts kept.
    const many = harness({ inlinePerTurn: 3, fullBatch: 5 });
    for (let i = 0; i < 4; i++) many.send(`10.0.0.${i}`, `c${i}`);
    assert.equal(many.turnPending(), false);
    many.send('10.0.0.4', 'c4');
    assert.equal(many.turnPending(), true);
    assert.equal(many.answered.length, 5);
  });
});
