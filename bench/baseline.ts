import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WORKSPACE_ROOT } from '@audit/testing';

/** Another commit's files, to run its services beside this checkout's in the same run (`startService`'s `root`). */
export interface BaselineCheckout {
  /** The commit, abbreviated. */
  label: string;
  root: string;
  cleanup: () => void;
}

/** The commit's files (git archive) in a temporary directory, with this checkout's node_modules. */
export function baselineCheckout(commit: string): BaselineCheckout {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-bench-baseline-'));
  execSync(`git archive ${commit} | tar -x -C ${dir}`, { cwd: WORKSPACE_ROOT, shell: '/bin/bash' });
  symlinkSync(realpathSync(path.join(WORKSPACE_ROOT, 'node_modules')), path.join(dir, 'node_modules'));
  const label = execSync(`git rev-parse --short=12 ${commit}`, { cwd: WORKSPACE_ROOT }).toString().trim();
  return { label, root: dir, cleanup: () => existsSync(dir) && rmSync(dir, { recursive: true, force: true }) };
}
