export { renderKustomization, splitImage } from './kustomize/render';
export { KustomizeError } from './kustomize/errors';
export type { Resource } from './kustomize/resource';
export { checkOverlay, checkComposeFile, overlayNames, type OverlayReport } from './deployment-checks';
export { readSourceFacts, type SourceFacts, type AppFacts } from './checks/source-facts';
