import type { FieldSpec, NarrationRule } from '../config/schema.ts';
import { NarrationError } from '../narration/narration-error.ts';

/** A game event as a client sends it: `{ type, ...fields }`. */
export interface GameEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/**
 * What a rule made of an event: the text to narrate and/or the prompt for the language model, and how
 * it enters the room's queue. A rule with both narrates `prompt` through the model and falls back to `text`.
 */
export interface RenderedEvent {
  /** The rule's template filled in; absent when the rule has only an `llm` prompt. */
  readonly text?: string;
  /** The rule's `llm.prompt` filled in (issue 14); absent when the rule has none. */
  readonly prompt?: string;
  readonly priority: NarrationRule['priority'];
  /** The rule's voice, if it names one. */
  readonly voice?: string;
}

const PLACEHOLDER = /\{([a-zA-Z_][a-zA-Z0-9_]*)(\?)?\}/g;
/** Longest value a placeholder may take, characters; the text limit applies to the whole narration too. */
const MAX_FIELD_CHARS = 500;

/**
 * Maps game events to narration text (and language-model prompts, rule `llm`) with the config's rules table.
 * `{field}` placeholders take the event's fields (`{field?}` may be absent) (strings, finite numbers, booleans);
 * `context` supplies room-derived fields (e.g. `players`) that events cannot override.
 * A placeholder with no value is an error, not an empty string: half a sentence
 * narrated to a table is worse than an error the sender can fix.
 */
export class NarrationRules {
  constructor(private readonly rules: Readonly<Record<string, NarrationRule>>) {}

  /** Event types the rules know, sorted. */
  eventTypes(): string[] {
    return Object.keys(this.rules).sort();
  }

  /**
   * @param role who sent the event; players may only send events whose rule has `players: true`
   * @throws NarrationError `unknown_event` for an unknown type, `not_allowed` for a forbidden sender,
   *   `bad_event` for a missing or bad field
   */
  render(event: GameEvent, role: 'dm' | 'player', context: Record<string, string> = {}): RenderedEvent {
    const rule = Object.hasOwn(this.rules, event.type) ? this.rules[event.type] : undefined;
    if (!rule) throw new NarrationError('unknown_event', `unknown event type "${event.type}"; allowed: ${this.eventTypes().join(', ')}`);
    if (role === 'player' && !rule.players) {
      throw new NarrationError('not_allowed', `players may not send "${event.type}"; allowed for players: ${this.playerEventTypes().join(', ') || '(none)'}`);
    }
    const fill = (template: string) => template.replace(PLACEHOLDER, (_, name: string, optional?: string) => {
      const value = Object.hasOwn(context, name) ? context[name] : event[name];
      if ((value === undefined || value === null || value === '') && optional) return '';
      if (value === undefined || value === null || value === '') {
        throw new NarrationError('bad_event', `event "${event.type}" needs field "${name}"`);
      }
      const spec = rule.fields && Object.hasOwn(rule.fields, name) ? rule.fields[name] : undefined;
      if (spec) return checkField(event.type, name, value, spec);
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'boolean') return value ? 'yes' : 'no';
      if (typeof value !== 'string') throw new NarrationError('bad_event', `event "${event.type}" field "${name}" must be a string or number`);
      if (value.length > MAX_FIELD_CHARS) throw new NarrationError('bad_event', `event "${event.type}" field "${name}" is longer than ${MAX_FIELD_CHARS} characters`);
      return value;
    }).replace(/\s+/g, ' ').trim();
    return {
      ...(rule.template !== undefined ? { text: fill(rule.template) } : {}),
      ...(rule.llm ? { prompt: fill(rule.llm.prompt) } : {}),
      priority: rule.priority,
      ...(rule.voice ? { voice: rule.voice } : {}),
    };
  }

  /** Event types whose rule has an `llm` prompt and no template: they cannot be narrated without a language model. */
  llmOnlyEventTypes(): string[] {
    return this.eventTypes().filter((t) => this.rules[t]!.llm && this.rules[t]!.template === undefined);
  }

  private playerEventTypes(): string[] {
    return this.eventTypes().filter((t) => this.rules[t].players);
  }
}

/** Patterns of `fields` specs, compiled once (a rule's spec objects live as long as the rules). */
const compiled = new WeakMap<object, RegExp>();

/**
 * A field value against its rule's spec (rule `fields`).
 * @returns the text the placeholder takes
 * @throws NarrationError `bad_event` naming the field and what it may hold
 */
function checkField(type: string, name: string, value: unknown, spec: FieldSpec): string {
  const bad = (what: string) => new NarrationError('bad_event', `event "${type}" field "${name}" must be ${what}`);
  if ('enum' in spec) {
    if (typeof value !== 'string' || !spec.enum.includes(value)) throw bad(`one of ${spec.enum.join(', ')}`);
    return value;
  }
  if (spec.type === 'integer' || spec.type === 'number') {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    const range = spec.min !== undefined || spec.max !== undefined ? ` ${spec.min ?? '−∞'}–${spec.max ?? '∞'}` : '';
    const ok = typeof n === 'number' && Number.isFinite(n) && (spec.type === 'number' || Number.isInteger(n))
      && (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max);
    if (!ok) throw bad(`${spec.type === 'integer' ? 'an integer' : 'a number'}${range}`);
    return String(n);
  }
  if (typeof value !== 'string') throw bad('text');
  const text = spec as Extract<FieldSpec, { maxChars?: number }>;
  const max = text.maxChars ?? MAX_FIELD_CHARS;
  if (value.length > max) throw bad(`at most ${max} characters`);
  if (text.pattern) {
    let re = compiled.get(text);
    if (!re) compiled.set(text, (re = new RegExp(text.pattern)));
    if (!re.test(value)) throw bad(`text matching ${text.pattern}`);
  }
  return value;
}
