import path from 'node:path';
import { readSourceFacts } from './checks/source-facts';
import { checkComposeFile, checkOverlay, overlayNames } from './deployment-checks';

const USAGE = `usage: node scripts/run.js tools/deploy-checks/src/cli.ts <command>

  check   render (kubectl kustomize) and validate every overlay and docker-compose.yml; exit 1 on a problem
`;

/** The deployment checks from a shell: what the jest suite asserts, printed. */
function main(argv: string[]): number {
  const root = path.resolve(__dirname, '../../..');
  const [command] = argv;
  if (command === 'check') {
    let failed = 0;
    const facts = readSourceFacts(root);
    for (const overlay of overlayNames(root)) {
      const report = checkOverlay(root, overlay, facts);
      failed += report.problems.length;
      process.stdout.write(`k8s/overlays/${overlay}: ${report.resources.length} resources, ${report.problems.length} problems\n`);
      for (const problem of report.problems) process.stdout.write(`  - ${problem}\n`);
    }
    const compose = checkComposeFile(root, facts);
    failed += compose.length;
    process.stdout.write(`docker-compose.yml: ${compose.length} problems\n`);
    for (const problem of compose) process.stdout.write(`  - ${problem}\n`);
    return failed === 0 ? 0 : 1;
  }
  process.stderr.write(USAGE);
  return 2;
}

process.exit(main(process.argv.slice(2)));
