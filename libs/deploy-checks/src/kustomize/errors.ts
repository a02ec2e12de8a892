/** A kustomization the renderer cannot render exactly as `kustomize build` would: the message says why and where. */
export class KustomizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KustomizeError';
  }
}
