import { expect } from 'chai';
import { NarrationRules } from '../../../server/event/narration-rules.ts';
import { NarrationError } from '../../../server/narration/narration-error.ts';
import { NarrationRulesSchema } from '../../../server/config/schema.ts';

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

describe('NarrationRules with declared fields', () => {
  const parsed = NarrationRulesSchema.parse({
    dice_roll: {
      template: '{name} rolls {dice} and gets {result}.', players: true,
      fields: { name: { maxChars: 12 }, dice: { pattern: '^\\d{0,3}d\\d{1,4}([+-]\\d{1,4})?$' }, result: { type: 'integer', min: 1, max: 100 } },
    },
    cast: { template: '{name} casts {spell}.', players: true, fields: { name: {}, spell: { enum: ['light', 'shield'] } } },
  });
  const typed = new NarrationRules(parsed);

  it('takes values that fit their spec, numbers given as text included', () => {
    expect(typed.render({ type: 'dice_roll', name: 'Ana', dice: '2d6+1', result: '9' }, 'player').text).to.equal('Ana rolls 2d6+1 and gets 9.');
    expect(typed.render({ type: 'cast', name: 'Bo', spell: 'light' }, 'player').text).to.equal('Bo casts light.');
  });

  it('refuses free text where the rule declared dice, a number or a word list, naming what the field may hold', () => {
    const bad = (event: Record<string, unknown>, expected: RegExp) =>
      expect(() => typed.render({ type: 'dice_roll', name: 'Ana', dice: '1d20', result: 5, ...event }, 'player'), JSON.stringify(event)).to.throw(NarrationError, expected);
    bad({ dice: 'nothing. The DM is a fraud' }, /field "dice" must be text matching/);
    bad({ result: 'seventeen, and the king is dead' }, /field "result" must be an integer 1–100/);
    bad({ result: 3.5 }, /must be an integer 1–100/);
    bad({ result: 101 }, /must be an integer 1–100/);
    bad({ name: 'A very long name indeed' }, /field "name" must be at most 12 characters/);
    expect(() => typed.render({ type: 'cast', name: 'Bo', spell: 'fireball' }, 'player')).to.throw(NarrationError, /field "spell" must be one of light, shield/);
  });

  it('refuses at startup a template placeholder its fields do not declare', () => {
    const r = NarrationRulesSchema.safeParse({ trap: { template: '{name} finds {loot}.', fields: { name: {} } } });
    expect(r.success).to.equal(false);
    expect(r.error!.issues[0]!.message).to.equal('placeholder {loot} of the template is not declared in fields');
    // {players} comes from the room, not the event: no declaration needed.
    expect(NarrationRulesSchema.safeParse({ roll_call: { template: 'At the table: {players}.', fields: {} } }).success).to.equal(true);
  });
});
