import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import YAML from 'yaml';

const run = promisify(execFile);

/**
 * Renders a kustomization (an overlay) the way Argo CD would apply it, with `kubectl kustomize`.
 * Kustomize is Go and has no JavaScript port, so the real binary is the only faithful renderer.
 */
export async function renderOverlay(dir: string): Promise<string> {
  try {
    const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new Error('kubectl is not installed (it renders overlays with `kubectl kustomize`)');
    }
    throw new Error(`kubectl kustomize ${dir} failed: ${failure.stderr?.trim() || failure.message}`);
  }
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** The rendered overlay as objects, in kustomize's output order. */
export async function renderOverlayObjects(dir: string): Promise<KubernetesObject[]> {
  return YAML.parseAllDocuments(await renderOverlay(dir))
    .map((doc) => doc.toJS() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => object !== null);
}
