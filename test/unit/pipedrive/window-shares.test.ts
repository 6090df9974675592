import { fairSlots, headroom, slotsAllowed, slotsToAsk, type SlotClaim } from '../../../src/pipedrive/window-shares';

const LIMIT = 100;
const wants = (slots: number): SlotClaim => ({ slots, wanting: true });
const content = (slots: number): SlotClaim => ({ slots, wanting: false });

describe('one token window shared in slots among its clients', () => {
  it('leaves room to grow: a quarter of the use, at least 5% of the window', () => {
    expect(headroom(0, LIMIT)).toBe(5);
    expect(headroom(12, LIMIT)).toBe(5);
    expect(headroom(40, LIMIT)).toBe(10);
    expect(headroom(41, LIMIT)).toBe(11);
  });

  it('splits what the clients that want no more leave equally among those that want more', () => {
    expect(fairSlots(LIMIT, [wants(90)])).toBe(50);
    expect(fairSlots(LIMIT, [wants(10), wants(80)])).toBe(33);
    expect(fairSlots(LIMIT, [content(20), wants(70)])).toBe(40);
    expect(fairSlots(LIMIT, [content(60), content(45)])).toBe(0);
  });

  it('asks for the whole window alone, else for its use and room to grow, its waiting requests on top while it wants more', () => {
    expect(slotsToAsk({ limit: LIMIT, used: 3, waiting: 0, wanting: false, others: [] })).toBe(LIMIT);
    expect(slotsToAsk({ limit: LIMIT, used: 40, waiting: 0, wanting: false, others: [content(10)] })).toBe(50);
    expect(slotsToAsk({ limit: LIMIT, used: 40, waiting: 3, wanting: true, others: [content(10)] })).toBe(53);
    expect(slotsToAsk({ limit: LIMIT, used: 95, waiting: 3, wanting: true, others: [content(5)] })).toBe(LIMIT);
  });

  it('asks for no more than its fair part while others want more too, and for the least room when it wants no more', () => {
    expect(slotsToAsk({ limit: LIMIT, used: 45, waiting: 2, wanting: true, others: [wants(55)] })).toBe(50);
    expect(slotsToAsk({ limit: LIMIT, used: 10, waiting: 1, wanting: true, others: [wants(80), content(10)] })).toBe(16);
    expect(slotsToAsk({ limit: LIMIT, used: 40, waiting: 0, wanting: false, others: [wants(55)] })).toBe(45);
  });

  it('sends within the room the others leave, and within its fair part only while it wants more beside others that do', () => {
    expect(slotsAllowed({ limit: LIMIT, asked: LIMIT, wanting: true, others: [] })).toBe(LIMIT);
    expect(slotsAllowed({ limit: LIMIT, asked: 60, wanting: true, others: [content(30)] })).toBe(60);
    expect(slotsAllowed({ limit: LIMIT, asked: 60, wanting: true, others: [content(50)] })).toBe(50);
    // Another holds 94 and wants more: this one's fair part is 50, but only 6 are free until the other gives some back.
    expect(slotsAllowed({ limit: LIMIT, asked: 50, wanting: true, others: [wants(94)] })).toBe(6);
    // The one holding 94 beside another that wants more: down to its fair part at once.
    expect(slotsAllowed({ limit: LIMIT, asked: LIMIT, wanting: true, others: [wants(6)] })).toBe(50);
    // Never less than nothing, whatever the others hold.
    expect(slotsAllowed({ limit: LIMIT, asked: 10, wanting: false, others: [content(70), wants(40)] })).toBe(0);
  });
});
