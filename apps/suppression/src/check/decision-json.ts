import type { Decision, Reason } from '../engine';

/**
 * Hand-written JSON for the hot paths (bulk and stream): a result line is a pre-serialised ref and a tail
 * serialised once per decision and reasons (see resultTail) — there are few distinct ones in any campaign.
 */
const REASON_CACHE_LIMIT = 50_000;
/**
 * rule → (code, since, register) → JSON. The rule is a key of its own: one code can come from several rules
 * (`consent-withdrawn` is R3, R4 or R6) with the same since, and each must cite its own rule and source.
 */
const reasonCache = new Map<string, Map<string, string>>();
let reasonCacheSize = 0;

function reasonJson(reason: Reason): string {
  let key = reason.since === null ? reason.code : reason.code + reason.since;
  if (reason.register !== undefined) key += `|${reason.register}|${reason.registerDate}`;
  let byKey = reasonCache.get(reason.rule);
  let json = byKey?.get(key);
  if (json === undefined) {
    if (reasonCacheSize >= REASON_CACHE_LIMIT) {
      reasonCache.clear();
      reasonCacheSize = 0;
      byKey = undefined;
    }
    if (byKey === undefined) reasonCache.set(reason.rule, (byKey = new Map<string, string>()));
    json = JSON.stringify(reason);
    byKey.set(key, json);
    reasonCacheSize++;
  }
  return json;
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
const tailCache = new Map<string, Map<string, ResultTail>>();
let tailCacheSize = 0;

function resultTail(decision: Decision): ResultTail {
  const reasons = decision.reasons;
  if (reasons.length > 1) {
    const json = `,"decision":"${decision.decision}","reasons":${reasonsJson(decision)}}`;
    return { json, line: json + '\n' };
  }
  const key = reasons.length === 0 ? '' : reasonJson(reasons[0]);
  let byReason = tailCache.get(decision.decision);
  let tail = byReason?.get(key);
  if (tail === undefined) {
    if (tailCacheSize >= REASON_CACHE_LIMIT) {
      tailCache.clear();
      tailCacheSize = 0;
      byReason = undefined;
    }
    if (byReason === undefined) tailCache.set(decision.decision, (byReason = new Map<string, ResultTail>()));
    const json = `,"decision":"${decision.decision}","reasons":${reasonsJson(decision)}}`;
    tail = { json, line: json + '\n' };
    byReason.set(key, tail);
    tailCacheSize++;
  }
  return tail;
}

/** `{"ref":…,"line":n,"error":"…"}` for a stream line that could not be checked (ref only when it was read). */
export function errorLineJson(ref: string | number | null, line: number, error: string): string {
  const head = ref === null ? '{' : `{"ref":${refJson(ref)},`;
  return `${head}"line":${line},"error":${JSON.stringify(error)}}`;
}
