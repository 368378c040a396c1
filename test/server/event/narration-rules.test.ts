import { expect } from 'chai';
import { NarrationRules } from '../../../server/event/narration-rules.ts';
import { NarrationError } from '../../../server/narration/narration-error.ts';

const rules = new NarrationRules({
  enter_location: { template: 'You enter {location}. {description?}', priority: 'queue', players: false },
  dice_roll: { template: '{name} rolls {dice} and gets {result}.', priority: 'queue', players: true },
  combat_start: { template: 'Combat begins! {enemies} attack.', priority: 'interrupt', players: false },
  roll_call: { template: 'At the table: {players}.', priority: 'queue', players: true },
  innkeeper: { template: 'The innkeeper says: {line}', priority: 'queue', players: false, voice: 'npc:innkeeper' },
});

describe('NarrationRules', () => {
  it('fills a template from event fields, numbers included', () => {
    const r = rules.render({ type: 'dice_roll', name: 'Ana', dice: '1d20+5', result: 17 }, 'player');
    expect(r).to.deep.equal({ text: 'Ana rolls 1d20+5 and gets 17.', priority: 'queue' });
  });

  it('drops an optional placeholder that is absent and tidies spaces', () => {
    expect(rules.render({ type: 'enter_location', location: 'the crypt' }, 'dm').text).to.equal('You enter the crypt.');
  });

  it('carries the rule voice, and none when the rule names none', () => {
    expect(rules.render({ type: 'innkeeper', line: 'Welcome!' }, 'dm').voice).to.equal('npc:innkeeper');
    expect(rules.render({ type: 'combat_start', enemies: 'Ghouls' }, 'dm')).to.not.have.property('voice');
  });

  it('carries the rule priority', () => {
    expect(rules.render({ type: 'combat_start', enemies: 'Ghouls' }, 'dm').priority).to.equal('interrupt');
  });

  it('takes room context over event fields', () => {
    expect(rules.render({ type: 'roll_call', players: 'spoofed' }, 'player', { players: 'Ana, Bruno' }).text).to.equal('At the table: Ana, Bruno.');
  });

  it('rejects an unknown event type, listing the allowed ones', () => {
    expect(() => rules.render({ type: 'teleport' }, 'dm')).to.throw(NarrationError, /unknown event type "teleport".*combat_start/);
  });

  it('rejects an event a player may not send', () => {
    expect(() => rules.render({ type: 'combat_start', enemies: 'x' }, 'player')).to.throw(NarrationError, /players may not send "combat_start"/);
  });

  it('rejects a missing required field, naming it', () => {
    expect(() => rules.render({ type: 'dice_roll', name: 'Ana', dice: 'd20' }, 'player')).to.throw(NarrationError, /needs field "result"/);
  });

  it('rejects a field that is an object', () => {
    expect(() => rules.render({ type: 'combat_start', enemies: { a: 1 } }, 'dm')).to.throw(NarrationError, /"enemies" must be a string or number/);
  });

  it('does not read inherited properties as event types', () => {
    expect(() => rules.render({ type: 'constructor' }, 'dm')).to.throw(NarrationError, /unknown event type/);
  });
});
