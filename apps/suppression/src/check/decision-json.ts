import type { Decision, Reason } from '../engine';

/**
 * Hand-written JSON for the hot paths (bulk and stream): a result line is a pre-serialised ref and a tail
 * serialised once per decision and reasons (see resultTail) — there are few distinct ones in any campaign.
 */
const CACHE_LIMIT = 50_000;

/** Values under two string keys, cleared whole once it holds CACHE_LIMIT (a refill costs one serialisation each). */
class TwoKeyCache<V> {
  private readonly byFirst = new Map<string, Map<string, V>>();
  private size = 0;

  get(first: string, second: string): V | undefined {
    return this.byFirst.get(first)?.get(second);
  }

  set(first: string, second: string, value: V): V {
    if (this.size >= CACHE_LIMIT) {
      this.byFirst.clear();
      this.size = 0;
    }
    let bySecond = this.byFirst.get(first);
    if (bySecond === undefined) this.byFirst.set(first, (bySecond = new Map<string, V>()));
    bySecond.set(second, value);
    this.size++;
    return value;
  }
}

/**
 * rule → (code, since, register) → JSON. The rule is a key of its own: one code can come from several rules
 * (`consent-withdrawn` is R3, R4 or R6) with the same since, and each must cite its own rule and source.
 */
const reasonCache = new TwoKeyCache<string>();

function reasonJson(reason: Reason): string {
  let key = reason.since === null ? reason.code : reason.code + reason.since;
  if (reason.register !== undefined) key += `|${reason.register}|${reason.registerDate}`;
  return reasonCache.get(reason.rule, key) ?? reasonCache.set(reason.rule, key, JSON.stringify(reason));
}

export function refJson(ref: string | number | null): string {
  return ref === null ? 'null' : JSON.stringify(ref);
}

function reasonsJson(decision: Decision): string {
  const reasons = decision.reasons;
  if (reasons.length === 0) return '[]';
  let list = reasonJson(reasons[0]);
  for (let i = 1; i < reasons.length; i++) list += ',' + reasonJson(reasons[i]);
  return `[${list}]`;
}

/** `{"decision":…,"reasons":[…],"asOf":…}` — the single check's answer, as JSON.stringify would write it. */
export function decisionJson(decision: Decision, asOf: string): string {
  return `{"decision":"${decision.decision}","reasons":${reasonsJson(decision)},"asOf":"${asOf}"}`;
}

/** `{"ref":…,"decision":…,"reasons":[…]}` — the same bytes JSON.stringify would produce. */
export function resultJson(ref: string | number | null, decision: Decision): string {
  return resultLineJson(refJson(ref), decision);
}

/** resultJson with the ref already serialised (`refJson`). */
export function resultLineJson(refJson: string, decision: Decision): string {
  return '{"ref":' + refJson + resultTail(decision).json;
}

/** resultLineJson and a newline: a stream's answer line. */
export function resultLine(refJson: string, decision: Decision): string {
  return '{"ref":' + refJson + resultTail(decision).line;
}

/** What follows the ref in a result: `,"decision":…,"reasons":[…]}`, and the same with the line's newline. */
interface ResultTail {
  json: string;
  line: string;
}

/**
 * decision → its one reason's JSON ('' for none) → the tail. Most results have no reason or one, and few distinct
 * ones: sharing their tails keeps an answer line three strings rather than eight, which a stream's output chunk
 * (thousands of lines in one string) is flattened and encoded from.
 */
const tailCache = new TwoKeyCache<ResultTail>();

function resultTail(decision: Decision): ResultTail {
  const reasons = decision.reasons;
  if (reasons.length > 1) {
    const json = `,"decision":"${decision.decision}","reasons":${reasonsJson(decision)}}`;
    return { json, line: json + '\n' };
  }
  const key = reasons.length === 0 ? '' : reasonJson(reasons[0]);
  const tail = tailCache.get(decision.decision, key);
  if (tail !== undefined) return tail;
  const json = `,"decision":"${decision.decision}","reasons":${reasonsJson(decision)}}`;
  return tailCache.set(decision.decision, key, { json, line: json + '\n' });
}

/** `{"ref":…,"line":n,"error":"…"}` for a stream line that could not be checked (ref only when it was read). */
export function errorLineJson(ref: string | number | null, line: number, error: string): string {
  const head = ref === null ? '{' : `{"ref":${refJson(ref)},`;
  return `${head}"line":${line},"error":${JSON.stringify(error)}}`;
}
