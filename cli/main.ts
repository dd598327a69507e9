import { Command, CommanderError, Option } from 'commander';
import { LEDGER_CHANNELS, CHANNELS, PRODUCTS, PURPOSES, REGISTERS, SUPPRESSION_ENTRY_REASONS } from '@kielto/contracts';
import { clearCommand } from './commands/clear';
import { exportCommand } from './commands/export';
import { importCommand } from './commands/import';
import { importRegisterCommand, REGISTER_KINDS, RegisterKind } from './commands/import-register';
import { registerCommand } from './commands/register';
import { requestsCommand } from './commands/requests';
import { statusCommand } from './commands/status';
import { CliConfig, GlobalOptions, KieltoClient, ProblemError, SERVICES, urlEnvName, UsageError } from './http';
import { UnreadableFileError } from './input';
import { EXIT } from './report';

const ENVIRONMENT = `
Environment:
  KIELTO_API_KEY               API key (Authorization: Bearer); import needs staff, clear marketing or staff,
                               export dpo (or admin), requests staff or dpo; status needs none.
                               KIELTO_API_KEY_FILE reads it from a file.
${SERVICES.map((s) => `  ${urlEnvName(s).padEnd(29)}base URL of ${s} (default http://127.0.0.1:${3001 + SERVICES.indexOf(s)})`).join('\n')}
  KIELTO_TIMEOUT_MS            per-request timeout in ms (default 300000)

Exit codes: 0 ok, 1 failed, 2 usage, 65 invalid input file (nothing sent), 69 a service is not ready.
Progress bars and messages go to stderr; data and summaries to stdout.`;

const REGISTER_HELP = `
Loading a legacy register (staff key): kielto import customers|consents|bans|population-register-bans FILE
  The whole file is validated by the services first (nothing is imported if any line is bad, exit 65); then the
  rows go in batches, each all-or-nothing; re-running the file skips what is held. Summary: imported / already
  present / failed. CSV columns (lists ;-separated) or NDJSON (one row as the route takes it, see /docs):
  customers  ref, kind, name, personalIdentityCode, businessId, language, emails, phones, street, postalCode, city,
             country, activeContract, products, customerNumber, customerSince, contactPersons (JSON array)
  consents   customerRef|customerId|email|phone, channel, purpose, decision, source, recordedAt, expiresAt,
             noticeVersion, capturedBy, reference
  bans       customerRef|customerId, scope, hiddenFields, outlets, reason
  population-register-bans
             customerNumber, populationRegisterBans (direct-marketing;safety, empty: none) — a DVV refresh file

Examples:
  KIELTO_API_KEY=… kielto import robinson.csv --reason robinson --channel phone
  KIELTO_API_KEY=… kielto import customers register.csv && kielto import consents history.ndjson`;

function buildProgram(run: (action: (config: CliConfig) => Promise<number>) => Promise<void>): Command {
  const program = new Command('kielto')
    .description(
      'Operator CLI of kielto: bulk suppression imports, campaign clearance, data-subject exports, stack status.',
    )
    .version('0.1.0')
    .option('--api-key-file <path>', 'read the API key from this file (instead of KIELTO_API_KEY)')
    .option('--timeout <ms>', 'per-request timeout in milliseconds')
    .showHelpAfterError('(run kielto --help for usage)')
    .addHelpText('after', ENVIRONMENT)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  for (const service of SERVICES) program.option(`--url-${service} <url>`, `base URL of the ${service} service`);
  const client = (config: CliConfig) => new KieltoClient(config);

  program
    .command('import')
    .description(
      'Import a suppression list (e.g. a Robinson register extract). Every line is validated first; if any is bad, ' +
        'nothing is imported and every bad line is listed. Then the entries are sent in batches with a progress bar.',
    )
    .argument(
      '<file>',
      'customers|consents|bans|population-register-bans, then the register file (see below); or a suppression list: CSV with a header (email and/or ' +
        'phone columns; optional channel, reason) or NDJSON ({email|phone, channel?, reason?} a line)',
    )
    .argument(
      '[register-file]',
      'the register file when the first argument is customers, consents, bans or population-register-bans',
    )
    .addOption(new Option('--reason <reason>', 'reason for lines without one').choices([...SUPPRESSION_ENTRY_REASONS]))
    .addOption(new Option('--channel <channel>', 'channel for lines without one').choices([...LEDGER_CHANNELS]))
    .addOption(new Option('--format <format>', 'input format (default: by file extension)').choices(['csv', 'ndjson']))
    .option(
      '--batch-size <n>',
      'entries per request (suppression list 1-1000000, default 10000; register 1-10000, default 1000)',
    )
    .option('--dry-run', 'validate only; send nothing')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', REGISTER_HELP)
    .action((file: string, registerFile: string | undefined, options: Parameters<typeof importCommand>[2]) =>
      run((config) => {
        if ((REGISTER_KINDS as readonly string[]).includes(file)) {
          if (!registerFile) throw new UsageError(`kielto import ${file} needs a file`);
          return importRegisterCommand(client(config), file as RegisterKind, registerFile, options);
        }
        if (registerFile)
          throw new UsageError(
            `the first argument must be customers, consents, bans or population-register-bans, or a file`,
          );
        return importCommand(client(config), file, { ...options, batchSize: options.batchSize ?? '10000' });
      }),
    );

  program
    .command('clear')
    .description(
      'Clear a campaign file: every row is checked by campaign clearance (chunks of 10 000, each stored as an audit ' +
        'record) and written to allowed.csv or suppressed.csv (with reasons and rules); clearance.json holds the records.',
    )
    .argument('<campaignId>', 'campaign id (1-128 of A-Z a-z 0-9 . _ : -)')
    .argument(
      '<contacts>',
      'CSV with a header: email, phone, customerId, emailHash and/or phoneHash (post: also name, street, postalCode, city?), any other columns',
    )
    .addOption(
      new Option('--channel <channel>', 'channel of the campaign').choices([...CHANNELS]).makeOptionMandatory(),
    )
    .addOption(
      new Option('--purpose <purpose>', 'purpose of the campaign').choices([...PURPOSES]).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--product <product>',
        'product marketed (mobile-subscription applies §201 to phone calls, R10)',
      ).choices([...PRODUCTS]),
    )
    .option('--out <dir>', 'output directory (default: ./clearance-<campaignId>)')
    .option('--chunk-size <n>', 'contacts per clearance request (1-10000)', '10000')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kielto clear spring-2026 contacts.csv --channel email --purpose own-marketing --out out/',
    )
    .action((campaignId: string, contacts: string, options: Parameters<typeof clearCommand>[3]) =>
      run((config) =>
        clearCommand(client(config), campaignId, contacts, {
          ...options,
          out: options.out ?? `clearance-${campaignId}`,
        }),
      ),
    );

  program
    .command('export')
    .description("Export a data subject's data from all four services (JSON)")
    .argument('<customerId>')
    .option('--out <file>', 'write to this file (mode 600) instead of stdout')
    .action((customerId: string, options: Parameters<typeof exportCommand>[2]) =>
      run((config) => exportCommand(client(config), customerId, options)),
    );

  program
    .command('requests')
    .description(
      'List the open data-subject requests (GDPR Art 12(3)), oldest deadline first; exit 1 when any is overdue',
    )
    .option('--overdue', 'only requests past their deadline')
    .option('--json', 'print as JSON (subjects included)')
    .action((options: Parameters<typeof requestsCommand>[1]) =>
      run((config) => requestsCommand(client(config), options)),
    );

  program
    .command('register')
    .description(
      'Import a full snapshot of an outside register (asml-phone, asml-post): afterwards the register holds exactly ' +
        "the file's rows. Streamed with a progress bar; every row is validated by the service before anything changes.",
    )
    .argument('<register>', REGISTERS.join(' | '))
    .argument('<file>', 'CSV with a header (phone; or name, street, postalCode, city) or NDJSON, one row a line')
    .requiredOption('--date <YYYY-MM-DD>', 'the date of the snapshot (X-Register-Date)')
    .addOption(new Option('--format <format>', 'input format (default: by file extension)').choices(['csv', 'ndjson']))
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExample:\n  kielto register asml-phone robinson-phone-2026-12.csv --date 2026-12-01')
    .action((register: string, file: string, options: Parameters<typeof registerCommand>[3]) =>
      run((config) => registerCommand(client(config), register, file, options)),
    );

  program
    .command('status')
    .description("Show every service's readiness (database, Kafka, own conditions)")
    .option('--json', 'print as JSON')
    .action((options: Parameters<typeof statusCommand>[1]) => run((config) => statusCommand(config, options)));

  return program;
}

/** Runs the CLI with `argv` (as process.argv) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(async (action) => {
    code = await action(new CliConfig(program.opts<GlobalOptions>()));
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0
        ? EXIT.ok
        : EXIT.usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`kielto: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof UnreadableFileError) {
      process.stderr.write(`kielto: the file cannot be read: ${error.message}. Nothing was sent.\n`);
      return EXIT.dataError;
    }
    const message = (error as Error).message;
    process.stderr.write(`kielto: ${message}\n`);
    if (error instanceof ProblemError) {
      for (const e of error.problem.errors?.slice(0, 20) ?? [])
        process.stderr.write(`  ${e.field ?? ''}: ${e.message ?? ''}\n`);
      if (error.status === 503) return EXIT.unavailable;
    }
    return EXIT.failure;
  }
}
