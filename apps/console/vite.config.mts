import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const here = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));
const contractsDir = here('../../libs/contracts/src/');

/**
 * The console imports only the action types from @audit/contracts, whose barrel also exports validation
 * and UUID generation built on node:crypto, node:net and node:buffer. The lib's modules have no side
 * effects worth keeping in a browser (uuid.ts fills a random pool for uuidv7 only), so unused modules are
 * dropped; this check fails the build if a Node built-in is still reached, instead of a blank page at run time.
 */
function noNodeBuiltinsInBundle(): Plugin {
  return {
    name: 'console:no-node-builtins',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const reached = chunk.moduleIds.filter((id) => id.includes('__vite-browser-external'));
        if (reached.length > 0) this.error(`${chunk.fileName} reaches Node built-ins (${reached.join(', ')}): import only browser-safe parts of the libs`);
      }
    },
  };
}

/**
 * The console is served under /audit by the query service and by standalone (CONSOLE_DIR, default
 * dist/apps/console). `nx run console:serve` previews it with the API proxied to a running platform
 * (CONSOLE_API_URL, default `npm start`'s).
 */
export default defineConfig({
  root: here('.'),
  base: '/audit/',
  plugins: [react(), noNodeBuiltinsInBundle()],
  resolve: {
    // The contracts lib is imported through its barrel, as everywhere else (tsconfig paths are not read by Vite).
    alias: { '@audit/contracts': here('../../libs/contracts/src/index.ts') },
  },
  build: {
    outDir: here('../../dist/apps/console'),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    rolldownOptions: {
      treeshake: { moduleSideEffects: (id: string) => !id.startsWith(contractsDir) },
      // Those built-ins are dropped with the unused modules (noNodeBuiltinsInBundle checks it): not worth a warning.
      onLog(level, log, handler) {
        if (log.plugin === 'rolldown:vite-resolve' && /Module "node:\w+" has been externalized/.test(log.message) && log.message.includes(contractsDir)) return;
        handler(level, log);
      },
    },
  },
  // `nx run console:serve` rebuilds on change and previews the build: the dev server would load the
  // contracts lib's Node-only modules unbundled, which a browser cannot run.
  preview: {
    port: 4173,
    proxy: { '/v1': process.env.CONSOLE_API_URL ?? 'http://127.0.0.1:3000' },
  },
});
