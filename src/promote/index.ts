export { type ImagePin, type OverlayState, readOverlay, writeOverlay } from './overlay.ts';
export {
  type PromoteImage,
  type PromoteOptions,
  type PromoteResult,
  promote,
  promotionBranch,
} from './promote.ts';
export { type KubernetesObject, renderOverlay, renderOverlayObjects } from './render.ts';
