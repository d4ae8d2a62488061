// The `featurestore` command line: one file per command group in commands/, shared plumbing in
// program.ts. Every command has a description and an example in --help.
import { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { DEFAULT_ENDPOINT } from './client.js';
import { accessCommands } from './commands/access.js';
import { featureSetCommands } from './commands/feature-sets.js';
import { featureViewCommands } from './commands/feature-views.js';
import { ingestCommands } from './commands/ingest.js';
import { jobCommands } from './commands/jobs.js';
import { loginCommands } from './commands/login.js';
import { onlineCommands } from './commands/online.js';
import { projectCommands } from './commands/projects.js';
import { retrieveCommands } from './commands/retrieve.js';
import { schemaCommands } from './commands/schema.js';
import { tokenCommands } from './commands/tokens.js';

const program = new Command('featurestore')
  .description('Command line for the feature store: projects, feature sets, ingest, retrieve, training sets, online rows and jobs.')
  .version(pkg.version, '-V, --version', 'print the release')
  .option('--endpoint <host:port>', 'feature store gRPC endpoint (env FEATURESTORE_ENDPOINT)', process.env['FEATURESTORE_ENDPOINT'] || DEFAULT_ENDPOINT)
  .option('--json', 'print JSON for scripts instead of tables', false)
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Flags mean one thing everywhere: -t is a tag, -d a description, -k the primary key, -f feature references, -o where output goes.
Start the store with \`make up\`; then, for example:
  $ featurestore projects create fraud -d "Card fraud features"
  $ featurestore fs register fraud transactions --from-sample examples/transactions.csv -k customer_id
  $ featurestore ingest fraud transactions examples/transactions.csv
  $ featurestore training-set examples/labels.csv -f fraud/transactions/amount --csv`,
  );

for (const add of [
  projectCommands,
  featureSetCommands,
  featureViewCommands,
  ingestCommands,
  retrieveCommands,
  onlineCommands,
  jobCommands,
  schemaCommands,
  accessCommands,
  tokenCommands,
  loginCommands,
])
  add(program);

await program.parseAsync(process.argv);
