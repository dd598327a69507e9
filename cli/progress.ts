import { Presets, SingleBar } from 'cli-progress';

/**
 * A progress bar on stderr (stdout stays clean for data). On a terminal it redraws in place; in a pipe or a CI
 * log it prints a line about once a second and a final line, so progress is visible there too.
 */
export class Progress {
  private readonly bar: SingleBar;
  private value = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.bar = new SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | ETA {eta_formatted}`,
        noTTYOutput: true,
        notTTYSchedule: 1000,
        hideCursor: stream.isTTY ? true : null,
        etaBuffer: 20,
      },
      Presets.shades_classic,
    );
    this.bar.start(total, 0);
  }

  increment(by: number): void {
    this.value += by;
    this.bar.update(this.value);
  }

  stop(): void {
    this.bar.update(this.value);
    this.bar.stop();
    if (!this.stream.isTTY) this.stream.write(`${this.label} ${this.value}/${this.total} ${this.unit} done\n`);
  }
}
