import { cliMain } from '@audit/cli';

void cliMain(process.argv.slice(2));
