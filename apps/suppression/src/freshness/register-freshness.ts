import { Injectable } from '@nestjs/common';
import { Channel, REGISTER_CHANNEL, RegisterName, REGISTERS } from '@kielto/contracts';
import { ProblemException, ReadinessCheck } from '@kielto/platform';
import { SuppressionState } from '../engine';
import type { SubjectFacts } from '../engine';
import { SuppressionEnv } from '../suppression.env';

const DAY_MS = 86_400_000;

/** A register used in decisions is older than `KIELTO_REGISTER_MAX_AGE_DAYS`: a non-customer's check is not answered. */
export class StaleRegisterProblem extends ProblemException {
  constructor(register: RegisterName, date: number) {
    super(
      503,
      'stale-register',
      `The register ${register} is overdue: its newest snapshot is of ${new Date(date).toISOString().slice(0, 10)}; ` +
        'import a newer one (PUT /v1/suppression/registers/' +
        register +
        '). Refusing to answer for a non-customer rather than risk a wrong allow',
      [{ field: 'register', message: `register ${register} is overdue` }],
      { 'retry-after': '3600' },
    );
  }
}

/**
 * Fail closed on an outside register that was not refreshed (docs/CONTRACT.md §3.9): ASML members must stop using a
 * number or address soon after it is added, so a register whose newest snapshot is older than the bound may be
 * missing rows. Checks of its channel for anyone who is not a customer (whom only the register could stop) answer
 * 503. A register never imported does not block. Also a health condition (always ready: checks for customers go on)
 * naming the overdue registers.
 */
@Injectable()
export class RegisterFreshness implements ReadinessCheck {
  readonly name = 'registers';
  private readonly maxAgeMs: number;

  constructor(
    private readonly state: SuppressionState,
    env: SuppressionEnv,
  ) {
    this.maxAgeMs = env.KIELTO_REGISTER_MAX_AGE_DAYS * DAY_MS;
  }

  /** The register of a channel when it is overdue. */
  overdue(channel: Channel, now = Date.now()): RegisterName | undefined {
    const register = channel === 'phone' ? 'asml-phone' : channel === 'post' ? 'asml-post' : undefined;
    if (register === undefined) return undefined;
    const date = this.state.register(register).head.date;
    return date !== undefined && now - date > this.maxAgeMs ? register : undefined;
  }

  /** Throws the 503 when the subject is not a customer and the channel's register is overdue. */
  assertCurrentFor(channel: Channel, facts: SubjectFacts, now: number): void {
    if (facts.subject !== 'identifier' || (channel !== 'phone' && channel !== 'post')) return;
    const register = this.overdue(channel, now);
    if (register !== undefined) throw new StaleRegisterProblem(register, this.state.register(register).head.date!);
  }

  /** Throws the 503 when the channel's register is overdue (a stream, whose rows cannot wait to be told apart). */
  assertCurrent(channel: Channel): void {
    const register = this.overdue(channel);
    if (register !== undefined) throw new StaleRegisterProblem(register, this.state.register(register).head.date!);
  }

  /** Age in days of each register's newest snapshot (null: never imported), and which are overdue. */
  status(): { register: RegisterName; date: string | null; ageDays: number | null; overdue: boolean }[] {
    const now = Date.now();
    return REGISTERS.map((register) => {
      const date = this.state.register(register).head.date;
      return {
        register,
        date: date === undefined ? null : new Date(date).toISOString().slice(0, 10),
        ageDays: date === undefined ? null : Math.floor((now - date) / DAY_MS),
        overdue: this.overdue(REGISTER_CHANNEL[register], now) !== undefined,
      };
    });
  }

  check() {
    const registers = this.status();
    return Promise.resolve({
      ok: true,
      detail: { overdue: registers.filter((r) => r.overdue).map((r) => r.register), registers },
    });
  }
}
